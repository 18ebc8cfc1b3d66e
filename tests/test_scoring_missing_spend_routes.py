"""A missing mean spend of a customer without repeat purchases is 0 on every route.

A one-time buyer has no repeat purchase, so no mean spend: :func:`clvmodel.rfm.validate_rfm`
reads a missing ``monetary_value`` (NaN) there as 0 rather than refusing the table (dropping
those customers would bias the purchase model). ``clvmodel score`` on an RFM file (DuckDB) and
:func:`clvmodel.spark.score` (tests/spark/test_spark_missing_spend.py) and ``clvmodel plan`` read
it the same way: such customers are scored as with
``monetary_value`` 0, not rejected. A missing spend of a repeat buyer, text that is no number and
an infinite spend are still rejected, with the reasons they had. The fit's one-pass compression
(:func:`clvmodel.models._compress.compress_rfm`) takes such a table too, as the table with 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel._rfm_source import RfmSource
from clvmodel.models._compress import compress_rfm
from clvmodel.models.bundle import ModelBundle
from clvmodel.scoring import score_customers

MISSING = "missing or non-numeric value"
NOT_FINITE = "value is not finite"
#: The columns clvmodel score computes (those it copies from the input aside).
SCORES = [
    "probability_alive",
    "churn_risk",
    "expected_purchases",
    "expected_spend",
    "predicted_clv",
]


@pytest.fixture(scope="module")
def models_file(published_bg, published_gg, tmp_path_factory):
    folder = tmp_path_factory.mktemp("missing_spend")
    return ModelBundle(published_bg, published_gg).save(folder / "models.json")


def _without_one_time_spend(rfm: pd.DataFrame) -> pd.DataFrame:
    """``rfm`` with monetary_value missing (NaN) where frequency is 0."""
    table = rfm.copy()
    table.loc[table["frequency"] == 0, "monetary_value"] = np.nan
    return table


def _score_file(models_file, table: pd.DataFrame, folder, name: str):
    """``clvmodel score`` on ``table`` written as CSV with its index; the scores and rejects."""
    folder.mkdir(exist_ok=True)
    path, output = folder / f"{name}.csv", folder / f"{name}.scores.csv"
    table.to_csv(path)
    result = run_cli("score", models_file, path, "-o", output)
    assert result.returncode == 0, result.output
    scores = pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id")
    scores = scores.sort_index()  # the output's order is DuckDB's, which may vary
    rejects = pd.read_csv(folder / f"{name}.scores.rejects.csv", dtype={"customer_id": str})
    return scores, rejects


def test_cli_scores_one_time_buyers_without_spend_as_with_spend_0(
    models_file, cdnow_rfm, published_bg, published_gg, tmp_path
):
    """CDNOW: 1,411 of the 2,357 customers bought once; all were rejected before the fix."""
    missing = _without_one_time_spend(cdnow_rfm)
    assert missing["monetary_value"].isna().sum() == (cdnow_rfm["frequency"] == 0).sum() > 1000
    scores, rejects = _score_file(models_file, missing, tmp_path, "missing")
    zeros, _ = _score_file(models_file, cdnow_rfm, tmp_path, "zeros")
    assert rejects.empty
    assert sorted(scores.index) == sorted(cdnow_rfm.index.astype(str))
    pd.testing.assert_frame_equal(scores, zeros)
    # And as the Python API scores them (NaN read as 0 there).
    python = score_customers(published_bg, published_gg, missing)
    python.index = python.index.astype(str)
    pd.testing.assert_frame_equal(
        scores[SCORES], python.loc[scores.index, SCORES], check_names=False, rtol=1e-12
    )


def test_cli_rejects_missing_spend_of_repeat_buyers_non_numbers_and_infinities(
    models_file, tmp_path
):
    rows = [  # customer, frequency, recency, T, monetary_value as written in the CSV
        ("once_empty", "0", "0", "10", ""),
        ("once_na", "0", "0", "10", "NA"),
        ("once_nan", "0", "0", "10", "NaN"),
        ("once_zero", "0", "0", "10", "0"),
        ("once_text", "0", "0", "10", "abc"),
        ("once_inf", "0", "0", "10", "inf"),
        ("repeat_empty", "2", "5", "10", ""),
        ("repeat_nan", "2", "5", "10", "NaN"),
        ("repeat_ok", "2", "5", "10", "7"),
        ("no_frequency", "", "0", "10", ""),
    ]
    path, output = tmp_path / "rfm.csv", tmp_path / "scores.csv"
    text = "\n".join(",".join(row) for row in rows)
    path.write_text(f"customer_id,frequency,recency,T,monetary_value\n{text}\n")
    result = run_cli("score", models_file, path, "-o", output)
    assert result.returncode == 0, result.output
    scores = pd.read_csv(output).set_index("customer_id")
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv").set_index("customer_id")
    assert sorted([*scores.index, *rejects.index]) == sorted(row[0] for row in rows)
    assert sorted(scores.index) == ["once_empty", "once_na", "once_nan", "once_zero", "repeat_ok"]
    assert rejects["reason"].to_dict() == {
        "once_text": MISSING,
        "once_inf": NOT_FINITE,
        "repeat_empty": MISSING,
        "repeat_nan": NOT_FINITE,
        "no_frequency": MISSING,
    }
    once = scores.loc[["once_empty", "once_na", "once_nan"]]
    for column in ["monetary_value", *SCORES]:
        assert (once[column] == scores.loc["once_zero", column]).all(), column


def test_parquet_rfm_with_nan_spend_of_one_time_buyers_is_read_as_0(tmp_path):
    table = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "frequency": [0, 0, 2, 0],
            "recency": [0.0, 0.0, 5.0, 0.0],
            "T": [10.0, 10.0, 10.0, 10.0],
            "monetary_value": [np.nan, 3.0, np.nan, -np.inf],
        }
    )
    table.to_parquet(tmp_path / "rfm.parquet", index=False)
    source = RfmSource(tmp_path / "rfm.parquet")
    rejects = source.rejects().set_index("customer_id")["reason"].to_dict()
    assert rejects == {"c": MISSING, "d": NOT_FINITE}
    valid = pd.concat(list(source.batches()))
    assert valid["monetary_value"].to_dict() == {"a": 0.0, "b": 3.0}


def test_compression_takes_nan_spend_of_one_time_buyers_as_0(cdnow_rfm):
    missing = _without_one_time_spend(cdnow_rfm)
    compressed, zeros = compress_rfm(missing, "W"), compress_rfm(cdnow_rfm, "W")
    assert compressed is not None and zeros is not None
    for ours, theirs in zip(compressed.values, zeros.values, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(compressed.counts, zeros.counts)
    # Still refused where the rules are broken: a repeat buyer's missing spend, an infinity.
    repeat = cdnow_rfm.copy()
    repeat.iloc[np.flatnonzero(repeat["frequency"] > 0)[0], 3] = np.nan
    assert compress_rfm(repeat, "W") is None
    infinite = cdnow_rfm.copy()
    infinite.iloc[np.flatnonzero(infinite["frequency"] == 0)[0], 3] = np.inf
    assert compress_rfm(infinite, "W") is None
    fitted = clv.BetaGeoModel().fit(missing)
    assert fitted.params_.to_dict() == clv.BetaGeoModel().fit(cdnow_rfm).params_.to_dict()


def test_cli_plan_takes_one_time_buyers_without_spend_as_with_spend_0(
    models_file, cdnow_rfm, tmp_path
):
    """``clvmodel plan`` on an RFM file refused the table before ("holds 1411 value(s) that are
    missing or infinite")."""
    plans = {}
    for name, table in (("missing", _without_one_time_spend(cdnow_rfm)), ("zeros", cdnow_rfm)):
        path, output = tmp_path / f"{name}.csv", tmp_path / f"{name}.plan.csv"
        table.to_csv(path)
        result = run_cli("plan", models_file, path, "-o", output, "--horizon", "39W")
        assert result.returncode == 0, result.output
        plans[name] = pd.read_csv(output)
    pd.testing.assert_frame_equal(plans["missing"], plans["zeros"])
    # A repeat buyer's missing spend is still refused.
    repeat = cdnow_rfm.copy()
    repeat.iloc[np.flatnonzero(repeat["frequency"] > 0)[0], 3] = np.nan
    repeat.to_csv(tmp_path / "repeat.csv")
    result = run_cli("plan", models_file, tmp_path / "repeat.csv", "-o", tmp_path / "r.csv")
    assert result.returncode != 0 and "monetary_value" in result.output
