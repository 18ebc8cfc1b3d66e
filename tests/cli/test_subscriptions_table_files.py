"""Tests of ``clvmodel subscriptions fit`` and ``score`` on subscription table files.

* Missing-value texts in a Parquet end column mean an active subscription, as a CSV's do.
* A table without rows says so (not "()").
* The command line's fit agrees with Python's on cancellations in a running billing period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from cli_run import run_cli

import clvmodel as clv

# The "regular" cohort of Fader and Hardie (2007), "How to project customer retention", Table 1.
REGULAR = {"alpha": 0.704, "beta": 1.182}


def test_missing_value_texts_in_a_parquet_end_column_mean_active(tmp_path):
    # As a CSV's NULL is read as empty, so is a Parquet file's.
    table = pd.DataFrame(
        {
            "customer_id": [f"S{i}" for i in range(6)],
            "start": ["2023-01-15", "2023-02-01", "2023-03-01", "2023-04-01", "2023-05-01",
                      "2023-06-01"],
            "end": ["NULL", "2023-05-01", "Null", "2024-02-01", "N/A", "2023-07-01"],
            "price": 10.0,
        }
    )  # fmt: skip
    parquet, csv = tmp_path / "subs.parquet", tmp_path / "subs.csv"
    table.to_parquet(parquet)
    table.to_csv(csv, index=False)
    model = clv.ShiftedBetaGeoModel.from_params(REGULAR, time_unit="M")
    model.save(tmp_path / "model.json")
    outputs = []
    for source in (parquet, csv):
        out = tmp_path / f"{source.suffix[1:]}_scores.csv"
        result = run_cli("subscriptions", "score", tmp_path / "model.json", source, "-o", out,
                         "--observation-end", "2024-12-31")  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append(pd.read_csv(out, index_col=0))
    pd.testing.assert_frame_equal(outputs[0], outputs[1])
    assert outputs[0]["cancelled"].to_dict() == {
        "S0": 0, "S1": 1, "S2": 0, "S3": 1, "S4": 0, "S5": 1
    }  # fmt: skip


def test_cli_on_a_table_without_rows_says_so(tmp_path):
    table = tmp_path / "subs.csv"
    table.write_text("customer_id,start,end,price\n", encoding="utf-8")
    model = tmp_path / "model.json"
    clv.ShiftedBetaGeoModel.from_params(REGULAR, time_unit="M").save(model)
    for args in (("fit", table, "-o", tmp_path / "fitted.json"),
                 ("score", model, table, "-o", tmp_path / "scores.csv")):  # fmt: skip
        result = run_cli("subscriptions", *args)
        assert result.exit_code == 2, result.output
        assert "has no rows" in result.stderr
        assert "()" not in result.stderr


def test_cli_fit_agrees_with_python_on_cancellations_in_a_running_period(tmp_path):
    truth = clv.ShiftedBetaGeoModel.from_params(REGULAR)
    table = clv.subscriptions.simulate_subscription_table(
        truth, 3_000, "2012-01-01", "2024-12-31", period="Y", random_state=4
    )
    path = tmp_path / "subs.csv"
    table.drop(columns="lifetime").to_csv(path, index=False)
    result = run_cli("subscriptions", "fit", path, "-o", tmp_path / "model.json",
                     "--billing-period", "Y", "--observation-end", "2024-12-31",
                     "--batch-size", 500)  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = clv.subscriptions.from_subscription_table(
        pd.read_csv(path), observation_end="2024-12-31", period="Y"
    )
    python = clv.ShiftedBetaGeoModel().fit(rows)
    cli = clv.load(tmp_path / "model.json")
    np.testing.assert_allclose(cli.params_.to_numpy(), python.params_.to_numpy(), rtol=1e-6)
