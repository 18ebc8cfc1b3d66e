"""Tests of ``rfm_summary`` and ``calibration_holdout_split`` on transaction logs whose dates are
Arrow-backed (``pd.read_parquet(..., dtype_backend="pyarrow")``,
``read_csv(..., dtype_backend="pyarrow")``): read as the same days as numpy datetimes.

Before: a ``date32[pyarrow]`` column stopped ``rfm_summary`` and ``calibration_holdout_split``
with pandas' "NotImplementedError: dt.tz is not supported for date32[day][pyarrow]".
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

import clvmodel as clv

LOG = pd.DataFrame(
    {
        "customer_id": [1, 1, 2, 1, 3],
        "date": pd.to_datetime(
            ["2024-01-01", "2024-01-05", "2024-01-03", "2024-02-10", "2024-01-25"]
        ),
        "amount": [10.0, 20.0, 5.0, 7.0, 3.0],
    }
)


@pytest.mark.parametrize(
    "arrow_type", [pa.date32(), pa.date64(), pa.timestamp("ms"), pa.timestamp("us", tz="UTC")]
)
def test_arrow_dates_give_the_days_of_numpy_dates(arrow_type):
    log = LOG.copy()
    dates = (
        log["date"].dt.tz_localize("UTC")
        if arrow_type == pa.timestamp("us", tz="UTC")
        else log["date"]
    )
    log["date"] = pd.Series(pa.array(dates, type=arrow_type), dtype=pd.ArrowDtype(arrow_type))
    log.loc[4, "date"] = None  # a missing date: left out on both, not a crash
    numpy_log = LOG.copy()
    numpy_log.loc[4, "date"] = pd.NaT
    end = dict(observation_end="2024-01-31", on_invalid="drop")
    expected = clv.rfm_summary(numpy_log, **end)
    pd.testing.assert_frame_equal(clv.rfm_summary(log, **end), expected)
    assert expected.index.tolist() == [1, 2]
    split = dict(calibration_end="2024-01-20", observation_end="2024-02-28")
    expected_split = clv.calibration_holdout_split(numpy_log.drop(index=4), **split)
    got_split = clv.calibration_holdout_split(log.drop(index=4), **split)
    for got_part, expected_part in zip(got_split, expected_split, strict=True):
        pd.testing.assert_frame_equal(got_part, expected_part)
