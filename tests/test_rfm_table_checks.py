"""Tests of ``clv.rfm.validate_rfm`` (and the DuckDB route's rejects) on RFM tables.

* Recency in weeks stored to 6 decimals (``numeric(12,6)``) rejected customers with as many
  repeat purchase days as days in recency; more repeat days than days are still refused, alike
  on the pandas and DuckDB routes.
* Messages show values plainly ("for example 1.5", not "[1.5]"), and text in an RFM column is
  named rather than left to numpy's "could not convert".
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel._rfm_source import RfmSource
from clvmodel._rfm_sql import MORE_REPEATS_THAN_DAYS
from clvmodel.rfm import validate_rfm


def _rounded_weeks(extra_purchase: int) -> pd.DataFrame:
    """Customers with 1 to 60 days of recency, written in weeks to 6 decimals, each with as many
    repeat purchase days as days (plus ``extra_purchase``)."""
    days = np.arange(1, 61)
    return pd.DataFrame(
        {
            "customer_id": [f"c{d}" for d in days],
            "frequency": (days + extra_purchase).astype(float),
            "recency": np.round(days / 7, 6),
            "T": np.round((days + 30) / 7, 6),
            "monetary_value": 20.0,
        }
    )


def test_recency_rounded_to_6_decimals_bounds_frequency_alike_on_both_routes(tmp_path):
    table = _rounded_weeks(0)
    validate_rfm(table, time_unit="W")  # pandas: every customer passes
    path = tmp_path / "rfm.csv"
    table.to_csv(path, index=False)
    assert RfmSource(path, time_unit="W").rejects().empty  # DuckDB: none rejected


def test_more_repeat_days_than_days_are_still_refused_on_both_routes(tmp_path):
    table = _rounded_weeks(1)
    with pytest.raises(clv.InputError, match="more of them than days in recency"):
        validate_rfm(table, time_unit="W")
    path = tmp_path / "rfm.csv"
    table.to_csv(path, index=False)
    rejects = RfmSource(path, time_unit="W").rejects()
    assert sorted(rejects["customer_id"]) == sorted(table["customer_id"])
    assert set(rejects["reason"]) == {MORE_REPEATS_THAN_DAYS}


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [("frequency", 1.5, "for example 1.5;"), ("frequency", 2e12, "for example 2000000000000)"),
     ("monetary_value", 2e12, "for example 2000000000000)")],
)  # fmt: skip
def test_rfm_values_are_shown_plainly(cdnow_rfm, column, value, shown):
    table = cdnow_rfm.astype({column: "float64"})
    table.iloc[0, table.columns.get_loc(column)] = value
    with warnings.catch_warnings(), pytest.raises(clv.InputError) as caught:
        warnings.simplefilter("ignore")
        validate_rfm(table)
    assert shown in str(caught.value) and "[" not in str(caught.value)


def test_text_in_an_rfm_column_is_named_not_left_to_numpy(cdnow_rfm):
    table = cdnow_rfm.astype({"frequency": object})
    table.iloc[2, 0] = "abc"
    with pytest.raises(clv.InputError) as caught:
        validate_rfm(table)
    message = str(caught.value)
    assert (
        f"1 value(s) of 'frequency' are not numbers (index label(s) '{table.index[2]}'" in message
    )
    assert "for example abc" in message and "could not convert" not in message
