"""Horizons of the economics functions: probability_alive_at refuses a per-customer Series t in
words, naming the customer without printing the Series, and day_one_payback's default horizon is
13 months whatever the period (time_unit=) it reports in."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.dayone import first_purchase_attributes
from clvmodel.economics import day_one_payback, probability_alive_at


def test_probability_alive_at_refuses_a_series_without_printing_it(published_bg, cdnow_rfm):
    rows = cdnow_rfm.iloc[:5]
    t = pd.Series([1.0, 2.0, -3.0, 4.0, 5.0], index=rows.index)
    with pytest.raises(clv.InputError) as caught:
        probability_alive_at(published_bg, rows, t)
    assert "dtype" not in str(caught.value) and "-3.0 for customer id" in str(caught.value)
    with pytest.raises(clv.InputError, match="t must be one number"):
        probability_alive_at(published_bg, rows, t.abs())


def test_day_one_payback_default_horizon_is_13_months_in_any_period(cdnow_sample):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        rfm = clv.rfm_summary(cdnow_sample, observation_end="1997-09-30")
    signups = first_purchase_attributes(cdnow_sample).loc[rfm.index]
    model = clv.DayOneModel(
        ["first_purchase_amount"],
        log=["first_purchase_amount"],
        first_purchase_col="first_purchase_amount",
    ).fit(rfm, signups)
    rows = signups.iloc[:10]
    months = day_one_payback(model, rows, 0.0)
    weeks = day_one_payback(model, rows, 0.0, time_unit="W")
    np.testing.assert_allclose(weeks["expected_purchases"], months["expected_purchases"])
    thirteen_weeks = day_one_payback(model, rows, 0.0, horizon="13W")
    assert (thirteen_weeks["expected_purchases"] < months["expected_purchases"]).all()
