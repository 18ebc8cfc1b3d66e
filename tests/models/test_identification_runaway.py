"""Coefficients that run off to infinity are reported, and only those.

A 0/1 purchase covariate set only for customers who never bought again puts the maximum of the
likelihood at a coefficient of −∞, and a subscriber group that never cancels does the same for
sBG: the fit warns (StatisticalWarning), naming the coefficient, and reports it as not identified
(standard error NaN). An ordinary covariate, or a real effect over a wide range of the covariate,
must not be called runaway."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv


# --- A coefficient that runs off to infinity is reported ------------------------------------------
@pytest.fixture(scope="module")
def separated(cdnow_rfm):
    """A 0/1 purchase covariate set only for customers who never bought again: the maximum of the
    likelihood lies at a purchase rate of 0 for them, a coefficient of −∞."""
    data = cdnow_rfm.copy()
    rng = np.random.default_rng(0)
    data["never"] = ((data["frequency"] == 0) & (rng.random(len(data)) < 0.5)).astype(float)
    return data


@pytest.mark.parametrize("model_class", [clv.ParetoNBDModel, clv.BetaGeoModel])
def test_a_coefficient_running_off_is_warned_about_and_not_identified(model_class, separated):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = model_class(purchase_covariates=["never"]).fit(separated)
    said = [str(w.message) for w in caught if issubclass(w.category, clv.StatisticalWarning)]
    assert any("purchase:never" in words and "infinity" in words for words in said)
    assert np.isnan(model.standard_errors_["purchase:never"])
    assert model.summary.loc["purchase:never", "note"] == "not identified"


def test_an_ordinary_covariate_is_not_called_runaway(with_covariate, recwarn):
    model = clv.ParetoNBDModel(purchase_covariates=["z"], dropout_covariates=["member"])
    model.fit(with_covariate)
    assert not [w for w in recwarn if issubclass(w.category, clv.StatisticalWarning)]
    assert np.isfinite(model.standard_errors_).all()


def test_a_subscriber_group_that_never_cancels_is_reported(recwarn):
    truth = clv.ShiftedBetaGeoModel.from_params({"alpha": 1.0, "beta": 3.0})
    subscribers = truth.simulate(1000, observed_periods=8, random_state=0)
    rng = np.random.default_rng(0)
    subscribers["loyal"] = (subscribers["cancelled"] == 0) & (rng.random(len(subscribers)) < 0.5)
    with pytest.warns(clv.StatisticalWarning, match="beta:loyal.*never cancels"):
        model = clv.ShiftedBetaGeoModel(beta_covariates=["loyal"]).fit(subscribers)
    assert np.isnan(model.standard_errors_["beta:loyal"])


def test_a_real_effect_over_a_wide_range_is_not_called_runaway(recwarn):
    """γ = 0.5 over z from −25 to 3.5: a rate 10⁶ times lower at one end, but a real effect,
    whose doubling would lose much of the likelihood."""
    rng = np.random.default_rng(1)
    z = pd.DataFrame({"z": rng.normal(size=3000)})
    z.loc[:9, "z"] = -25.0
    truth = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
    rfm = clv.simulate_customers_with_covariates(
        z, truth, T=52.0, purchase_coefficients={"z": 0.5}, seed=2
    )
    model = clv.BetaGeoModel(purchase_covariates=["z"]).fit(rfm)
    assert not [w for w in recwarn if issubclass(w.category, clv.StatisticalWarning)]
    assert abs(model.params_["purchase:z"] - 0.5) < 4 * model.standard_errors_["purchase:z"]
