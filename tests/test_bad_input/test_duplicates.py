"""Issue 13, item 6: exact duplicate rows are counted and reported, and can be dropped.

Exact duplicate rows used to raise total CLV by 17 % without a word.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.engine import TransactionSource

LOG = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "a", "b", "b", "b"],
        "date": [
            "2025-01-01",
            "2025-01-05",
            "2025-01-05",
            "2025-01-05 10:00",
            "2025-01-02",
            "2025-01-09",
            "2025-01-09",
        ],
        "amount": [10.0, 20.0, 20.0, 20.0, 5.0, 7.0, 8.0],
    }
)
# Row 2 repeats row 1 exactly; row 3 has a time, row 6 another amount: not duplicates.


def test_duplicates_warn_with_their_count():
    with pytest.warns(clv.ClvWarning, match=r"^1 row\(s\) repeat another row exactly"):
        rfm = clv.rfm_summary(LOG, observation_end="2025-01-31")
    assert rfm.attrs["duplicate_rows"] == 1
    assert rfm.loc["a", "monetary_value"] == 60.0  # kept: 20 + 20 + 20 on the repeat day


def test_drop_duplicates_leaves_them_out_in_every_route(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rfm = clv.rfm_summary(LOG, observation_end="2025-01-31", drop_duplicates=True)
    assert rfm.loc["a", "monetary_value"] == 40.0
    assert rfm.loc["b", "monetary_value"] == 15.0
    csv = tmp_path / "log.csv"
    LOG.to_csv(csv, index=False)
    pd.testing.assert_frame_equal(
        clv.rfm_from_file(csv, observation_end="2025-01-31", drop_duplicates=True), rfm
    )
    source = TransactionSource(csv, observation_end="2025-01-31", drop_duplicates=True)
    assert source.counts()["duplicate_rows"] == 1
    assert source.rfm().loc["a", "monetary_value"] == 40.0
    kept = TransactionSource(csv, observation_end="2025-01-31")
    assert kept.counts()["duplicate_rows"] == 1
    assert kept.rfm().loc["a", "monetary_value"] == 60.0


def test_parquet_fast_route_counts_duplicates(tmp_path):
    log = LOG.assign(date=pd.to_datetime(LOG["date"], format="ISO8601"))
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    with pytest.warns(clv.ClvWarning, match=r"^1 row\(s\)"):
        rfm = clv.rfm_from_file(path, observation_end="2025-01-31")
    assert rfm.attrs["duplicate_rows"] == 1
    dropped = clv.rfm_from_file(path, observation_end="2025-01-31", drop_duplicates=True)
    assert dropped.loc["a", "monetary_value"] == 40.0


def test_calibration_split_reports_and_drops_duplicates():
    with pytest.warns(clv.ClvWarning, match="1 row"):
        cal, _ = clv.calibration_holdout_split(LOG, "2025-01-06", "2025-01-31")
    assert cal.loc["a", "monetary_value"] == 60.0
    cal, _ = clv.calibration_holdout_split(LOG, "2025-01-06", "2025-01-31", drop_duplicates=True)
    assert cal.loc["a", "monetary_value"] == 40.0


def test_cdnow_duplicates_are_counted():
    # The full CDNOW log has 255 rows that repeat another row exactly (pandas' own count).
    tx = clv.datasets.load_cdnow()
    assert tx.duplicated(["customer_id", "date", "amount"]).sum() == 255
    with pytest.warns(clv.ClvWarning, match="^255 row"):
        rfm = clv.rfm_summary(tx, time_unit="D")
    assert rfm.attrs["duplicate_rows"] == 255


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 2), st.integers(0, 1)), min_size=1, max_size=30
    ),
    st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_duplicate_positions_match_pandas(rows, with_tag):
    from clvmodel._rfm_rows import duplicate_positions

    rows = sorted(rows, key=lambda row: row[0])  # the summary sees rows sorted by key, stably
    key = np.array([r[0] for r in rows])
    amount = np.array([float(r[1]) for r in rows])
    tag = np.array([r[2] for r in rows]) if with_tag else None
    repeats = np.flatnonzero(key[1:] == key[:-1]) + 1
    got = np.sort(duplicate_positions(key, amount, tag, repeats))
    columns = {"key": key, "amount": amount} | ({"tag": tag} if with_tag else {})
    np.testing.assert_array_equal(got, np.flatnonzero(pd.DataFrame(columns).duplicated()))
