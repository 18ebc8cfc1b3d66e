"""Tests of per-segment economics tables: ``naive_vs_model`` and ``unit_economics_summary``.

* ``naive_vs_model`` gave an infinite error for a segment without holdout revenue.
* The median payback is NaN unless more than half of the customers pay back (as documented),
  exactly half included.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.economics import unit_economics_summary


@pytest.fixture(scope="module")
def tx():
    return clv.datasets.load_cdnow_sample()


@pytest.fixture(scope="module")
def split_models(tx):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)  # the 21 duplicate rows
        cal, _ = clv.calibration_holdout_split(tx, "1997-09-30", "1998-06-30")
    return clv.BetaGeoModel().fit(cal), clv.GammaGammaModel().fit(cal), cal


def test_a_segment_without_holdout_revenue_has_no_infinite_error(tx, split_models):
    bg, gg, cal = split_models
    holdout = tx[pd.to_datetime(tx["date"]) > "1997-09-30"]
    silent = sorted(set(cal.index) - set(holdout["customer_id"]))
    segment = pd.Series("active", index=cal.index)
    segment[silent[:50]] = "silent"
    with pytest.warns(clv.ClvWarning, match=r"\['silent'\] had no revenue in the holdout"):
        table = clv.naive_vs_model(bg, gg, tx, "1997-09-30", "1998-06-30", segment)
    assert table.loc["silent", "actual_holdout"] == 0
    assert np.isnan(table.loc["silent", ["naive_error", "model_error"]].astype(float)).all()
    assert np.isfinite(table.loc["active", ["naive_error", "model_error"]].astype(float)).all()
    assert any("'silent'" in note for note in table.attrs["notes"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(0.5, 24.0)), min_size=1, max_size=12))
def test_median_payback_is_finite_exactly_when_more_than_half_pay_back(paybacks):
    periods = np.array([np.nan if p is None else p for p in paybacks])
    table = pd.DataFrame(
        {
            "net_clv": 1.0,
            "acquisition_cost": 1.0,
            "payback_periods": periods,
            "paid_back": ~np.isnan(periods),
        }
    )
    row = unit_economics_summary(table, by=None).iloc[0]
    assert np.isfinite(row["median_payback"]) == (row["paid_back_share"] > 0.5)
    if row["paid_back_share"] > 0.5:
        paid = np.sort(periods[~np.isnan(periods)])
        assert paid[0] <= row["median_payback"] <= paid[-1]


def test_median_payback_at_exactly_half_is_nan_as_documented():
    table = pd.DataFrame(
        {
            "segment": ["web"] * 4,
            "net_clv": [30.0, 25.0, 1.0, 2.0],
            "acquisition_cost": [10.0] * 4,
            "payback_periods": [2.0, 3.0, np.nan, np.nan],
            "paid_back": [True, True, False, False],
        }
    )
    row = unit_economics_summary(table).loc["web"]
    assert row["paid_back_share"] == 0.5 and np.isnan(row["median_payback"])
    doc = " ".join(unit_economics_summary.__doc__.split())
    assert "NaN unless more than half pay back" in doc
    assert "fewer than half" not in doc
