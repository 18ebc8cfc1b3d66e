"""Issue 13, items 3 and 4: customer ids are normalised one way in every route.

A customer id written "NaN" (or empty) used to become one customer built from rows of different
customers; ids ``1`` and ``1.0`` were two customers in the CLI and ``rfm_from_file`` (400 → 676
customers) but one in ``rfm_summary``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bad_input_routes import assert_same_tables, run_routes

import clvmodel as clv
from clvmodel.engine import TransactionSource


def _log(ids):
    n = len(ids)
    days = pd.date_range("2025-01-01", periods=n, freq="3D")
    return pd.DataFrame({"customer_id": ids, "date": days, "amount": np.arange(1.0, n + 1)})


@pytest.mark.parametrize("missing", ["NaN", "nan", "None", "NULL", "", "   ", "N/A", None])
def test_missing_ids_are_rejects_never_one_customer(tmp_path, missing):
    tx = _log(["a", missing, "b", missing, "a"])
    with pytest.raises(clv.InputError, match=r"2 transaction\(s\) have no customer id"):
        clv.rfm_summary(tx, observation_end="2025-06-30")
    results = run_routes(tx, tmp_path, observation_end="2025-06-30", on_invalid="drop")
    assert_same_tables(results)
    for result in results.values():
        assert list(result.index) == ["a", "b"]
    frame = clv.rfm_summary(tx, observation_end="2025-06-30", on_invalid="drop")
    assert frame.attrs["rejected_rows"] == {"missing customer id": 2}
    source = TransactionSource(tmp_path / "log.csv", observation_end="2025-06-30")
    rejects = source.rejects()
    assert rejects["reason"].tolist() == ["missing customer id"] * 2


def test_one_and_one_point_zero_are_one_customer_in_every_route(tmp_path):
    as_float = _log([1.0, 2.0, 1.0, 3.0])
    as_text = _log(["1", "2.0", "1.00", " 3 "])
    expected = clv.rfm_summary(_log([1, 2, 1, 3]), observation_end="2025-06-30")
    assert list(expected.index) == [1, 2, 3]
    for tx in (as_float, as_text):
        results = run_routes(tx, tmp_path, observation_end="2025-06-30")
        assert_same_tables(results, expected)
    mixed = _log(pd.array([1, "1.0", 2, "2"], dtype=object))
    assert list(clv.rfm_summary(mixed, observation_end="2025-06-30").index) == ["1", "2"]


def test_text_ids_keep_leading_zeros_and_are_trimmed(tmp_path):
    tx = _log(["007", "7", " 007", "a ", "a"])
    results = run_routes(tx, tmp_path, observation_end="2025-06-30")
    assert_same_tables(results)
    assert list(results["frame"].index) == ["007", "7", "a"]
    assert results["frame"].loc["007", "frequency"] == 1


def test_fractional_float_ids_are_rejects(tmp_path):
    tx = _log([1.0, 1.5, 2.0])
    with pytest.raises(clv.InputError, match="fractional id"):
        clv.rfm_summary(tx, observation_end="2025-06-30")
    rfm = clv.rfm_summary(tx, observation_end="2025-06-30", on_invalid="drop")
    assert list(rfm.index) == [1, 2]
    assert rfm.attrs["rejected_rows"] == {"customer id is not a whole number": 1}
    parquet = tmp_path / "ids.parquet"
    tx.to_parquet(parquet)
    source = TransactionSource(parquet, observation_end="2025-06-30")
    assert source.rejects()["reason"].tolist() == ["customer id is not a whole number"]
    assert sorted(source.rfm().index) == [1, 2]


def test_a_fractional_id_is_shown_as_written_in_the_rejects(tmp_path):
    # The rejects list used to show an empty id for it: every input customer must be findable.
    tx = _log([1.0, 1.5, 2.0])
    tx.loc[3] = [7.25, tx["date"].iloc[0], 3.0]
    tx.loc[4] = [
        9.0,
        pd.Timestamp("2026-01-01"),
        3.0,
    ]  # after the end: a customer with no valid row
    parquet = tmp_path / "ids.parquet"
    tx.to_parquet(parquet)
    rejects = TransactionSource(parquet, observation_end="2025-06-30").rejects()
    shown = dict(zip(rejects["customer_id"], rejects["reason"], strict=True))
    assert shown == {
        "1.5": "customer id is not a whole number",
        "7.25": "customer id is not a whole number",
        "9": "no valid transaction",
    }
    assert len(rejects) == 4  # and customer 9's row, after the end


def test_customers_read_equal_scored_plus_rejected(tmp_path):
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "NaN", "d"],
            "date": [
                "2025-01-01",
                "2025-01-05",
                "not a date",
                "2025-01-02",
                "2025-01-03",
                "2025-01-04",
            ],
            "amount": ["1", "2", "3", "abc", "5", "6"],
        }
    )
    rfm = clv.rfm_summary(tx, observation_end="2025-06-30", on_invalid="drop")
    assert sorted(rfm.index) == ["a", "d"]
    assert rfm.attrs["rejected_customers"] == 2  # b and c have no usable row
    assert sum(rfm.attrs["rejected_rows"].values()) == 3
    tx.to_csv(tmp_path / "log.csv", index=False)
    source = TransactionSource(tmp_path / "log.csv", observation_end="2025-06-30")
    counts = source.counts()
    no_valid = (source.rejects()["reason"] == "no valid transaction").sum()
    assert counts["customers"] == len(source.rfm()) + no_valid == 4


@pytest.mark.parametrize("values", [[[1], [1], [2]], [{"id": 1}, {"id": 1}, {"id": 2}]])
def test_nested_ids_are_refused_in_words(values):
    """Before: pandas' "TypeError: unhashable type: 'list'" from rfm_summary."""
    log = pd.DataFrame(
        {
            "customer_id": values,
            "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-03"]),
            "amount": [1.0, 2.0, 3.0],
        }
    )
    with pytest.raises(clv.InputError, match="not customer ids; ids must be numbers or text"):
        clv.rfm_summary(log, observation_end="2024-01-31")
