"""`clvmodel score` and `clvmodel plan` on an RFM table with models that predict no spend.

Models fitted without amounts (`clvmodel fit --no-amount`), or any with --no-amount, need no
``monetary_value``: an RFM table without that column, or with it empty (as `clvmodel score`
writes it for such models), is scored and planned like the transaction log it summarises, its
value columns empty. An RFM CSV written with its index (``rfm_summary(...).to_csv()``) has its
ids in a first column without a name, which `score` reads as `plan` does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cli_run import error_line, run_cli
from rfm_rows import BG, GG

import clvmodel as clv
from clvmodel._rfm_source import nameless_first_column
from clvmodel.models.bundle import ModelBundle
from clvmodel.scoring import score_customers

VALUE_COLUMNS = ["monetary_value", "expected_spend", "predicted_clv", "naive_clv"]
PURCHASE_COLUMNS = ["frequency", "recency", "T", "probability_alive", "churn_risk"]
PURCHASE_COLUMNS.append("expected_purchases")
END = "2021-12-31"


def _log(amounts: bool) -> pd.DataFrame:
    """A small synthetic log: 40 customers, 1 to 6 purchase days each over 2021."""
    rng = np.random.default_rng(7)
    rows = []
    for customer in range(1, 41):
        days = rng.choice(365, size=int(rng.integers(1, 7)), replace=False)
        for day in days:
            rows.append((f"c{customer}", pd.Timestamp("2021-01-01") + pd.Timedelta(days=int(day))))
    log = pd.DataFrame(rows, columns=["customer_id", "date"])
    if amounts:
        log["amount"] = rng.uniform(5.0, 50.0, size=len(log)).round(2)
    return log


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Models without and with a spend model, the log, and its RFM table without amounts."""
    folder = tmp_path_factory.mktemp("rfm_no_amounts")
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    log = _log(amounts=True)
    log.to_csv(folder / "log.csv", index=False)
    rfm = clv.rfm_summary(log, amount_col=None, observation_end=END, time_unit="W")
    rfm.index.name = "customer_id"
    rfm.to_csv(folder / "rfm.csv")  # customer_id, frequency, recency, T
    return {
        "purchases": ModelBundle(bg).save(folder / "purchases.json"),
        "bundle": ModelBundle(bg, clv.GammaGammaModel.from_params(GG)).save(folder / "both.json"),
        "log": folder / "log.csv",
        "rfm": folder / "rfm.csv",
        "rfm_frame": rfm,
        "bg": bg,
    }


def _scores(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"customer_id": str}).set_index("customer_id").sort_index()


def _expected(files) -> pd.DataFrame:
    return score_customers(files["bg"], None, files["rfm_frame"]).sort_index()


def _check_purchases(scores: pd.DataFrame, files) -> None:
    expected = _expected(files)
    assert list(scores.index) == list(expected.index)
    for column in PURCHASE_COLUMNS:
        np.testing.assert_allclose(scores[column], expected[column], rtol=1e-9, err_msg=column)
    for column in VALUE_COLUMNS:
        assert scores[column].isna().all(), column


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_rfm_table_without_monetary_value_is_scored_with_models_without_spend(
    files, tmp_path, suffix
):
    table = tmp_path / f"rfm{suffix}"
    if suffix == ".csv":
        table.write_bytes(files["rfm"].read_bytes())
    else:
        files["rfm_frame"].reset_index().to_parquet(table, index=False)
    output = tmp_path / "scores.csv"
    result = run_cli("score", files["purchases"], table, "-o", output)
    assert result.returncode == 0, result.stderr
    assert "customers: 40 read = 40 scored + 0 rejected" in result.stdout
    _check_purchases(_scores(output), files)


def test_with_no_amount_a_bundle_scores_an_rfm_table_without_monetary_value(files, tmp_path):
    output = tmp_path / "scores.csv"
    result = run_cli("score", files["bundle"], files["rfm"], "--no-amount", "-o", output)
    assert result.returncode == 0, result.stderr
    _check_purchases(_scores(output), files)


def test_a_spend_model_still_needs_monetary_value(files, tmp_path):
    result = run_cli("score", files["bundle"], files["rfm"], "-o", tmp_path / "scores.csv")
    assert result.returncode == 2
    assert "monetary_value" in error_line(result)


def test_score_reads_its_own_output_back_and_plan_reads_it_too(files, tmp_path):
    """Score's output for models without spend has an empty monetary_value column: as INPUT
    it gives the same scores, and plan assigns the customers as from the RFM table."""
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    result = run_cli(
        "score", files["purchases"], files["log"], "--observation-end", END, "-o", first
    )
    assert result.returncode == 0, result.stderr
    assert _scores(first)["monetary_value"].isna().all()
    result = run_cli("score", files["purchases"], first, "-o", second)
    assert result.returncode == 0, result.stderr
    _check_purchases(_scores(second), files)

    from_scores, from_rfm = tmp_path / "plan_scores.csv", tmp_path / "plan_rfm.csv"
    result = run_cli("plan", files["purchases"], first, "-o", from_scores)
    assert result.returncode == 0, result.stderr
    assert run_cli("plan", files["purchases"], files["rfm"], "-o", from_rfm).returncode == 0
    planned = pd.read_csv(from_scores, dtype={"customer_id": str}).set_index("customer_id")
    control = pd.read_csv(from_rfm, dtype={"customer_id": str}).set_index("customer_id")
    assert len(planned) == 40
    pd.testing.assert_frame_equal(planned.sort_index(), control.sort_index())


def test_monetary_value_is_not_read_without_a_spend_model(files, tmp_path):
    """Without a spend model monetary_value is ignored, whatever it holds; rows are still
    rejected for their own reasons, with monetary_value empty in the rejects."""
    frame = files["rfm_frame"].reset_index()
    frame["monetary_value"] = ["n/a"] * len(frame)
    frame.loc[0, "recency"] = frame.loc[0, "T"] + 1.0  # recency > T: rejected
    table = tmp_path / "rfm.csv"
    frame.to_csv(table, index=False)
    output = tmp_path / "scores.csv"
    result = run_cli("score", files["purchases"], table, "-o", output)
    assert result.returncode == 0, result.stderr
    assert "customers: 40 read = 39 scored + 1 rejected" in result.stdout
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv", dtype={"customer_id": str})
    assert rejects[["customer_id", "reason"]].values.tolist() == [
        [frame.loc[0, "customer_id"], "recency > T"]
    ]
    assert rejects["monetary_value"].isna().all()
    assert len(_scores(output)) == 39


def test_plan_with_a_spend_model_still_refuses_an_empty_monetary_value(files, tmp_path):
    frame = files["rfm_frame"].reset_index().assign(monetary_value=np.nan)
    table = tmp_path / "rfm.csv"
    frame.to_csv(table, index=False)
    result = run_cli("plan", files["bundle"], table, "-o", tmp_path / "plan.csv")
    assert result.returncode == 2
    # One-time buyers may lack a mean spend (it is 0 for them); the repeat buyers may not.
    repeat = int((frame["frequency"] > 0).sum())
    assert 0 < repeat < 40
    message = f"column 'monetary_value' holds {repeat} value(s) that are missing"
    assert message in error_line(result)


def test_score_reads_ids_in_a_nameless_first_column_as_plan_does(files, tmp_path):
    """``rfm_summary(...).to_csv()`` writes the ids in a first column without a name."""
    log = pd.read_csv(files["log"])
    rfm = clv.rfm_summary(log, observation_end=END, time_unit="W")
    assert rfm.index.name is None
    table = tmp_path / "rfm.csv"
    rfm.to_csv(table)
    assert table.read_text().splitlines()[0] == ",frequency,recency,T,monetary_value"
    scores, planned = tmp_path / "scores.csv", tmp_path / "plan.csv"
    result = run_cli("score", files["bundle"], table, "-o", scores)
    assert result.returncode == 0, result.stderr
    assert run_cli("plan", files["bundle"], table, "-o", planned).returncode == 0
    scored = _scores(scores)
    expected = score_customers(files["bg"], clv.GammaGammaModel.from_params(GG), rfm)
    assert list(scored.index) == sorted(rfm.index)
    np.testing.assert_allclose(
        scored["expected_purchases"], expected.sort_index()["expected_purchases"], rtol=1e-9
    )
    np.testing.assert_allclose(
        scored["monetary_value"], rfm.sort_index()["monetary_value"], rtol=1e-12
    )
    planned_ids = pd.read_csv(planned, dtype={"customer_id": str})["customer_id"]
    assert sorted(planned_ids) == list(scored.index)


@pytest.mark.parametrize(
    ("names", "unnamed", "expected"),
    [
        (["Unnamed: 0", "frequency"], (), "Unnamed: 0"),  # pandas' name for an empty cell
        (["", "frequency"], (), ""),
        (["column0", "frequency"], ("column0",), "column0"),  # DuckDB's, flagged as unnamed
        (["column0", "frequency"], (), None),  # a column really named so
        (["frequency", "Unnamed: 1"], (), None),  # only the first column holds ids
        ([], (), None),
    ],
)
def test_nameless_first_column(names, unnamed, expected):
    assert nameless_first_column(names, unnamed) == expected
