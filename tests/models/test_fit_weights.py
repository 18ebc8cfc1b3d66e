"""Fits with weights=: what the weights may be and how they are matched to the table.

Rows of weight 0 stand for no customer: such a row must neither hide that nobody made a repeat
purchase nor change the fit, and weights all 0 are refused as no customers. Weights that are
missing, negative, not numbers or summing beyond floating point are refused in words (a missing
weight was reported as a shape, and a sum beyond floating point must not pass through numpy
warnings). A Series of weights is matched to the table's rows by customer id, not by position,
for BG/BB as for the other models."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from fit_helpers import quiet_fit, rfm_table

import clvmodel as clv
from clvmodel.errors import InputError

# --- rows of weight 0 stand for no customer ------------------------------------------------------
PURCHASE = [clv.BetaGeoModel, clv.ParetoNBDModel, clv.ModifiedBetaGeoModel]


@pytest.mark.parametrize("model_class", PURCHASE)
def test_a_zero_weight_row_does_not_hide_that_nobody_repurchased(model_class):
    data = pd.DataFrame(
        {"frequency": [0] * 200 + [3], "recency": [0.0] * 200 + [20.0], "T": [30.0] * 201}
    )
    weights = np.r_[np.ones(200), 0.0]
    with pytest.raises(InputError, match="no customer made a repeat purchase"):
        model_class().fit(data, weights=weights, time_unit="D")


def test_a_zero_weight_row_changes_nothing_in_a_purchase_fit():
    table = rfm_table(n=200)
    plain = quiet_fit(clv.BetaGeoModel(), table)
    extra = pd.concat([table, pd.DataFrame({"frequency": [3], "recency": [5.0], "T": [10.0]})])
    extra.attrs["time_unit"] = "W"
    weights = np.r_[np.ones(len(table)), 0.0]
    weighted = quiet_fit(clv.BetaGeoModel(), extra, weights=weights)
    assert weighted.n_distinct_rows_ == plain.n_distinct_rows_
    assert weighted.n_customers_ == plain.n_customers_ == 200
    np.testing.assert_allclose(weighted.params_, plain.params_, rtol=1e-6)
    assert weighted.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-9)


def test_all_weights_zero_is_refused_as_no_customers():
    table = rfm_table(n=20)
    with pytest.raises(InputError, match="on 0 customer"):
        clv.BetaGeoModel().fit(table, weights=np.zeros(len(table)))


# --- Weights' messages say what is wrong ---------------------------------------------------------
def test_a_missing_weight_is_named_not_reported_as_a_shape(cdnow_rfm):
    weights = pd.Series(np.ones(len(cdnow_rfm)), index=cdnow_rfm.index).astype("Int64")
    weights.iloc[3] = pd.NA
    with pytest.raises(clv.InputError, match="position 3") as caught:
        clv.BetaGeoModel().fit(cdnow_rfm, weights=weights)
    assert "shape" not in str(caught.value)


def test_a_negative_weight_is_named(cdnow_rfm):
    weights = np.ones(len(cdnow_rfm))
    weights[7] = -2.0
    with pytest.raises(clv.InputError, match=r"-2\.0 at position 7"):
        clv.BetaGeoModel().fit(cdnow_rfm, weights=weights)


@pytest.mark.parametrize("weights", [{"a": 1}, object()])
def test_weights_that_are_not_numbers_are_refused_in_words(weights, cdnow_rfm):
    with pytest.raises(clv.InputError, match="weights"):
        clv.BetaGeoModel().fit(cdnow_rfm, weights=weights)


@pytest.mark.parametrize("model_class", [clv.BetaGeoModel, clv.GammaGammaModel])
def test_weights_summing_beyond_floating_point_are_refused_without_numpy_warnings(
    model_class, cdnow_rfm
):
    weights = np.full(len(cdnow_rfm), 1e306)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(clv.InputError, match="weights sum"):
            model_class().fit(cdnow_rfm, weights=weights)


# --- A Series of weights is matched to the table's rows by customer id ----------------------
def test_fit_matches_a_shuffled_weights_series_by_id(cdnow_rfm):
    weights = pd.Series(np.arange(len(cdnow_rfm)) % 4 + 1.0, index=cdnow_rfm.index)
    expected = clv.BetaGeoModel().fit(cdnow_rfm, weights=weights.to_numpy()).params_
    shuffled = weights.sample(frac=1.0, random_state=1)
    fitted = clv.BetaGeoModel().fit(cdnow_rfm, weights=shuffled)
    pd.testing.assert_series_equal(fitted.params_, expected)
    spend = clv.GammaGammaModel().fit(cdnow_rfm, weights=shuffled).params_
    pd.testing.assert_series_equal(
        spend, clv.GammaGammaModel().fit(cdnow_rfm, weights=weights.to_numpy()).params_
    )


def test_fit_of_bgbb_matches_weights_by_id():
    from lifetimes.datasets import load_donations

    donations = load_donations().rename(columns={"periods": "n_periods"})
    donations.index = [f"d{i}" for i in range(len(donations))]
    weights = donations["weights"]
    expected = clv.BetaGeoBetaBinomModel().fit(donations, weights=weights.to_numpy()).params_
    fitted = clv.BetaGeoBetaBinomModel().fit(donations, weights=weights.iloc[::-1])
    pd.testing.assert_series_equal(fitted.params_, expected)
