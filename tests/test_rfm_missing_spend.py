"""RFM tables whose monetary_value is missing (NaN) for the customers without repeat purchases:
accepted, and scored as with 0, while a missing spend of a repeat buyer, a missing spend without
a frequency to tell, and an infinite spend are still refused in words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.rfm import validate_rfm
from clvmodel.scoring import score_customers


# --------------------------------------------------------------------------------------------------
# monetary_value missing (NaN) for customers without repeat purchases: "no repeat purchase, no
# mean spend", a common convention. The purchase models ignore it, Gamma-Gamma uses repeat buyers
# only and the value functions take m = 0 at x = 0, so the table is usable as it is; refusing it
# with "drop or fix those customers" led users to drop the one-time buyers, biasing BG/NBD.
@pytest.fixture(scope="module")
def spend_tables(cdnow_rfm):
    """The CDNOW calibration table with monetary_value 0 (as rfm_summary gives it) and NaN for
    the one-time buyers."""
    zero = cdnow_rfm.copy()
    zero.loc[zero["frequency"] == 0, "monetary_value"] = 0.0
    missing = zero.copy()
    missing.loc[missing["frequency"] == 0, "monetary_value"] = np.nan
    return zero, missing


def test_a_missing_spend_of_one_time_buyers_is_accepted_and_not_changed(spend_tables):
    zero, missing = spend_tables
    before = missing.copy()
    checked = validate_rfm(missing, require=("frequency", "recency", "T", "monetary_value"))
    np.testing.assert_array_equal(checked.monetary_value, zero["monetary_value"].to_numpy())
    pd.testing.assert_frame_equal(missing, before)  # the caller's table keeps its NaN


@pytest.mark.parametrize("model", [clv.BetaGeoModel, clv.GammaGammaModel])
def test_models_fit_the_same_with_a_missing_spend_of_one_time_buyers(spend_tables, model):
    zero, missing = spend_tables
    on_zero, on_missing = model().fit(zero), model().fit(missing)
    pd.testing.assert_series_equal(on_missing.params_, on_zero.params_, rtol=1e-9)
    assert on_missing.n_customers_ == on_zero.n_customers_


def test_values_are_finite_and_equal_with_a_missing_spend_of_one_time_buyers(
    spend_tables, fitted_bg, fitted_gg
):
    zero, missing = spend_tables
    bg, gg = fitted_bg, fitted_gg  # fitted: intervals need their covariance
    one_time = (zero["frequency"] == 0).to_numpy()
    for function in (
        lambda table: clv.customer_lifetime_value(bg, gg, table, horizon="12M"),
        lambda table: clv.customer_lifetime_value(bg, gg, table, horizon="12M", interval=0.9),
        lambda table: gg.expected_spend(table),
    ):
        expected, got = function(zero), function(missing)
        assert np.isfinite(np.asarray(got, dtype=float)[one_time]).all()
        pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(expected))
    scores = score_customers(bg, gg, missing, horizon="12M", interval=0.9)
    expected = score_customers(bg, gg, zero, horizon="12M", interval=0.9)
    values = ["expected_spend", "predicted_clv", "clv_lower", "clv_upper"]
    assert np.isfinite(scores.loc[one_time, values].to_numpy()).all()
    pd.testing.assert_frame_equal(scores[values], expected[values])
    table = clv.clv_table(bg, gg, missing, horizon="12M")
    assert np.isfinite(table["predicted_clv"]).all()
    np.testing.assert_array_equal(
        table["predicted_clv"], clv.clv_table(bg, gg, zero, horizon="12M")["predicted_clv"]
    )


def test_a_missing_spend_of_a_repeat_buyer_is_refused_in_words(spend_tables):
    _, missing = spend_tables
    broken = missing.copy()
    repeat = broken.index[broken["frequency"] > 0][:2]
    broken.loc[repeat, "monetary_value"] = np.nan
    for attempt in (
        lambda: clv.GammaGammaModel().fit(broken),
        lambda: validate_rfm(broken, require=("frequency", "monetary_value")),
    ):
        with pytest.raises(clv.InputError, match="2 value.*monetary_value.*missing") as error:
            attempt()
        message = str(error.value)
        assert repr(repeat[0]) in message and "only where frequency is 0" in message


def test_a_missing_spend_without_frequency_and_an_infinite_one_are_still_refused():
    with pytest.raises(clv.InputError, match="monetary_value.*missing or infinite"):
        validate_rfm({"monetary_value": [np.nan, 1.0]}, require=("monetary_value",))
    table = pd.DataFrame(
        {"frequency": [0, 1], "recency": [0.0, 2.0], "T": [3.0, 3.0], "monetary_value": [np.inf, 1]}
    )
    with pytest.raises(clv.InputError, match="monetary_value.*missing or infinite"):
        validate_rfm(table)
