"""``clvmodel score --rejects`` names the rejected rows' columns as INPUT does (--customer-col,
--date-col, --amount-col), as ``clvmodel evaluate`` names its id column; before, the rejects file
always said customer_id,date,amount."""

from __future__ import annotations

import pandas as pd
from cli_run import run_cli

import clvmodel as clv


def _log(tmp_path, names):
    tx = clv.datasets.load_cdnow_sample()[["customer_id", "date", "amount"]]
    tx.loc[:2, "amount"] = -1.0  # three rows rejected: negative amount
    path = tmp_path / "log.csv"
    tx.set_axis(names, axis=1).to_csv(path, index=False)
    return path, tx


def _score(tmp_path, names):
    path, tx = _log(tmp_path, names)
    flags = ["--customer-col", names[0], "--date-col", names[1], "--amount-col", names[2]]
    model = tmp_path / "model.json"
    fitted = run_cli("fit", path, *flags, "-o", model)
    assert fitted.exit_code == 0, fitted.output
    rejects = tmp_path / "r.csv"
    result = run_cli("score", model, path, *flags, "-o", tmp_path / "s.csv", "--rejects", rejects)
    assert result.exit_code == 0, result.output
    return pd.read_csv(rejects, dtype=str), tx


def test_rejects_file_keeps_the_input_column_names(tmp_path):
    names = ["cust", "day", "spend"]
    rejected, tx = _score(tmp_path, names)
    assert list(rejected.columns) == [*names, "reason"]
    # The rows as they were read: each found in INPUT under its own names.
    bad = tx[tx["amount"] < 0]
    assert rejected.loc[rejected["reason"] == "negative amount", "cust"].tolist() == list(
        bad["customer_id"]
    )
    assert rejected["day"].iloc[0] == bad["date"].iloc[0].strftime("%Y-%m-%d")


def test_an_input_column_called_reason_keeps_its_name(tmp_path):
    rejected, _ = _score(tmp_path, ["cust", "day", "reason"])
    assert list(rejected.columns) == ["cust", "day", "reason", "reject_reason"]
    assert set(rejected["reject_reason"]) == {"negative amount"}
