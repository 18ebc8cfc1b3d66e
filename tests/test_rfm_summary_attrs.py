"""Tests of the attrs of RFM tables: ``rfm_from_file``'s Parquet route and the calibration table.

* ``rfm_from_file``'s fast Parquet route did not count the customers whose purchases all fall
  after the end (``rejected_customers``), where ``rfm_summary`` and the CSV route do.
* The calibration table of ``calibration_holdout_split`` carries ``rfm_summary``'s attrs for the
  calibration period (duplicates, purchase days after the end, rejected customers).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import clvmodel as clv


@pytest.mark.parametrize("ids", [["a", "a", "b", "c", "d"], [10, 10, 11, 13, 14]])
def test_parquet_route_counts_customers_only_after_the_end(tmp_path, monkeypatch, ids):
    tx = pd.DataFrame(
        {
            "customer_id": ids,
            "date": pd.to_datetime(
                ["2020-01-01", "2020-01-05", "2020-01-02", "2020-02-01", "2020-02-03"]
            ),
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    parquet, csv = tmp_path / "log.parquet", tmp_path / "log.csv"
    tx.to_parquet(parquet, index=False)
    tx.to_csv(csv, index=False)
    frame = clv.rfm_summary(tx, observation_end="2020-01-10")
    from_csv = clv.rfm_from_file(csv, observation_end="2020-01-10")

    def no_pandas_route(*args, **kwargs):
        raise AssertionError("the Parquet log should take the fast route")

    monkeypatch.setattr(clv.io, "read_table", no_pandas_route)
    from_parquet = clv.rfm_from_file(parquet, observation_end="2020-01-10")
    assert frame.attrs["rejected_customers"] == 2  # the last two customers buy after the end only
    assert from_parquet.attrs == frame.attrs == from_csv.attrs
    pd.testing.assert_frame_equal(from_parquet, frame, check_index_type=False)


def test_parquet_route_without_late_purchases_rejects_none(tmp_path):
    tx = pd.DataFrame(
        {
            "customer_id": [3, 3, 5],
            "date": pd.to_datetime(["2020-01-01", "2020-01-04", "2020-01-02"]),
        }
    )
    path = tmp_path / "log.parquet"
    tx.to_parquet(path, index=False)
    summary = clv.rfm_from_file(path, amount_col=None, observation_end="2020-01-04")
    expected = clv.rfm_summary(tx, amount_col=None, observation_end="2020-01-04")
    assert summary.attrs == expected.attrs
    assert summary.attrs["rejected_customers"] == summary.attrs["purchase_days_after_end"] == 0


def _log_with_duplicates() -> pd.DataFrame:
    """Exact duplicate rows in both periods, a customer new in the holdout and one after it."""
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "b", "c", "d"],
            "date": ["2020-01-01", "2020-01-01", "2020-01-05", "2020-01-02"]
            + ["2020-02-01", "2020-02-01", "2020-01-20", "2020-03-01"],
            "amount": [5.0, 5.0, 2.0, 3.0, 4.0, 4.0, 1.0, 1.0],
        }
    )


@pytest.mark.parametrize("drop_duplicates", [False, True])
def test_calibration_attrs_are_rfm_summarys(drop_duplicates):
    tx = _log_with_duplicates()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.errors.ClvWarning)
        summary = clv.rfm_summary(tx, observation_end="2020-01-10", drop_duplicates=drop_duplicates)
        cal, _ = clv.calibration_holdout_split(
            tx, "2020-01-10", "2020-02-01", drop_duplicates=drop_duplicates
        )
    # One duplicate in the calibration period (a's first row); b's is in the holdout.
    assert cal.attrs["duplicate_rows"] == 1
    assert cal.attrs["purchase_days_after_end"] == 3  # b on 02-01, c on 01-20, d on 03-01
    assert cal.attrs["rejected_customers"] == 2  # c and d buy after the calibration end only
    assert cal.attrs == summary.attrs
    pd.testing.assert_frame_equal(cal, summary[cal.columns])


def test_calibration_attrs_on_cdnow(cdnow_sample, cdnow_rfm):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.errors.ClvWarning)
        cal, _ = clv.calibration_holdout_split(cdnow_sample, "1997-09-30", "1998-06-30")
    assert cal.attrs == cdnow_rfm.attrs
    assert cal.attrs["duplicate_rows"] == 9 and cal.attrs["purchase_days_after_end"] > 0


def test_calibration_attrs_without_amounts():
    tx = _log_with_duplicates()
    summary = clv.rfm_summary(tx, amount_col=None, observation_end="2020-01-10")
    cal, _ = clv.calibration_holdout_split(tx, "2020-01-10", "2020-02-01", amount_col=None)
    assert cal.attrs == summary.attrs
    assert set(cal.attrs) == {
        "duplicate_rows", "time_unit", "purchase_days_after_end", "rejected_rows",
        "rejected_customers",
    }  # fmt: skip
