"""The purchase-model protocol (clvmodel.models.base), checked the same way for every model.

Each model supplies a likelihood and a few functions of arrays; the base derives the rest. These
tests hold every registered purchase model to the same identities: the conditional count
distribution sums to 1 and has the conditional expectation as its mean, discounting with factors 1
gives the plain expectation, covariates with zero coefficients give the plain model, the chain
rule of the covariate mode matches finite differences, and a failed or degenerate fit says so.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from gradient_check import assert_gradient_matches_central_differences
from published import PUBLISHED_BG

import clvmodel as clv
from clvmodel.models import PURCHASE_MODELS

# Parameters near each model's CDNOW fit (weeks): BG/NBD and MBG/NBD r, α, a, b; Pareto/NBD r, α,
# s, β (Fader, Hardie and Lee 2005; Batislam et al. 2007; CLVTools).
PARAMS = {
    "bgnbd": PUBLISHED_BG,
    "mbgnbd": {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
    "pnbd": {"r": 0.5531, "alpha": 10.5763, "s": 0.6062, "beta": 11.6715},
}
NAMES = sorted(PURCHASE_MODELS)


@pytest.fixture(scope="module")
def rfm(cdnow_rfm):
    return cdnow_rfm  # tests/conftest.py: the sample's RFM to 1997-09-30, weeks


@pytest.fixture(scope="module")
def days(cdnow_sample):
    """The sample's RFM to 1997-09-30 in days (tests/conftest.py's ``cdnow_sample``)."""
    return clv.rfm_summary(cdnow_sample, observation_end="1997-09-30", time_unit="D")


def model_of(name, **kwargs):
    return PURCHASE_MODELS[name].from_params(PARAMS[name], time_unit="W", **kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_count_distribution_sums_to_one_and_has_the_conditional_mean(name, rfm):
    model = model_of(name)
    sample = rfm.iloc[::7]
    pmf = model.purchase_distribution(sample, t=39, max_purchases=150)
    np.testing.assert_allclose(pmf.sum(axis=1), 1.0, atol=1e-8)
    mean = pmf.to_numpy() @ np.arange(pmf.shape[1])
    np.testing.assert_allclose(mean, model.expected_purchases(sample, 39), rtol=1e-6, atol=1e-9)
    # P(X = 0 | history) is the churn risk.
    np.testing.assert_allclose(pmf[0], model.probability_no_purchase(sample, 39), rtol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_new_customer_distribution_sums_to_one_and_has_the_mean(name):
    model = model_of(name)
    n = np.arange(5000)
    for t in (1.0, 39.0, 78.0):
        pmf = model.probability_of_purchases(n, t)
        assert pmf.sum() == pytest.approx(1.0, abs=1e-8)
        assert pmf @ n == pytest.approx(model.expected_purchases_new(t), rel=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_discounting_with_unit_factors_is_the_plain_expectation(name, rfm):
    model = model_of(name)
    times = np.arange(1.0, 53.0)
    plain = model.discounted_expected_purchases(rfm, times, np.ones(times.size))
    np.testing.assert_allclose(plain, model.expected_purchases(rfm, 52.0), rtol=1e-10)
    discounted = model.discounted_expected_purchases(rfm, times, 0.99 ** np.arange(1, 53))
    assert (discounted <= plain + 1e-12).all() and (discounted < plain).any()


@pytest.mark.parametrize("name", NAMES)
def test_zero_coefficients_give_the_plain_model(name, rfm):
    table = rfm.copy()
    table["z"] = np.random.default_rng(3).normal(size=len(table))
    plain = model_of(name)
    params = {**PARAMS[name], "purchase:z": 0.0, "dropout:z": 0.0}
    covariate = PURCHASE_MODELS[name].from_params(
        params, time_unit="W", purchase_covariates=["z"], dropout_covariates=["z"]
    )
    np.testing.assert_allclose(covariate.predict(table, 39), plain.predict(rfm, 39), rtol=1e-12)
    histories, counts, _ = covariate._prepare(table, None)
    theta = np.array(list(params.values()))
    ll_cov, _ = covariate._loglik(theta, histories)
    assert counts @ ll_cov == pytest.approx(_plain_ll(plain, rfm), rel=1e-12)


def _plain_ll(model, rfm):
    p = model.params_.to_dict()
    ll, _ = type(model)._row_loglik(
        p, rfm["frequency"].to_numpy(float), rfm["recency"].to_numpy(), rfm["T"].to_numpy()
    )
    return ll.sum()


@pytest.mark.parametrize("name", NAMES)
def test_covariate_gradient_matches_finite_differences(name, rfm):
    table = rfm.iloc[::5].copy()
    rng = np.random.default_rng(5)
    table["z1"] = rng.normal(size=len(table))
    table["z2"] = rng.binomial(1, 0.4, len(table)).astype(float)
    model = PURCHASE_MODELS[name](purchase_covariates=["z1", "z2"], dropout_covariates=["z2"])
    histories, counts, _ = model._prepare(table, None)
    theta = np.array([*PARAMS[name].values(), 0.3, -0.2, 0.4])
    assert_gradient_matches_central_differences(model, theta, histories, counts, abs_tol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_predictions_on_extreme_histories_are_finite_and_quiet(name):
    model = model_of(name)
    histories = pd.DataFrame(
        {
            "frequency": [0, 1, 50, 10_000, 10_000, 3],
            "recency": [0.0, 0.5, 100.0, 14_000.0, 10.0, 14_000.0],
            "T": [1e-3, 1.0, 500.0, 14_285.0, 14_285.0, 14_285.0],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = model.predict(histories, [0.0, 1.0, 52.0, 1e4, 1e4, 1e4])
        pmf = model.purchase_distribution(histories, 52.0, max_purchases=5)
    assert np.isfinite(table.to_numpy()).all() and np.isfinite(pmf.to_numpy()).all()
    assert ((table["probability_alive"] >= 0) & (table["probability_alive"] <= 1)).all()
    assert (table["expected_purchases"] >= 0).all()


def test_numerical_gradient_fallback_fits_the_same_parameters(rfm, fitted_bg):
    class NoGradientBetaGeo(clv.BetaGeoModel):
        """BG/NBD as a model that gives its likelihood only."""

        _analytic_hessian = False

        @staticmethod
        def _row_loglik(p, x, t_x, T, gradient=True):
            return clv.BetaGeoModel._row_loglik(p, x, t_x, T, gradient=False)

        def _prepare(self, data, weights, time_unit=None):  # row by row, not the fused form
            return clv.models.PurchaseModel._prepare(self, data, weights, time_unit)

    reference = fitted_bg  # tests/conftest.py: clv.BetaGeoModel().fit(cdnow_rfm)
    fallback = NoGradientBetaGeo().fit(rfm)
    np.testing.assert_allclose(fallback.params_, reference.params_, rtol=1e-4)
    assert fallback.log_likelihood_ == pytest.approx(reference.log_likelihood_, abs=1e-6)


def test_a_failed_fit_leaves_no_fitted_state(rfm):
    model = clv.BetaGeoModel().fit(rfm)
    with pytest.raises(clv.ConvergenceError):
        model.max_iter = 1
        model.fit(rfm, initial_params={"r": 5.0, "alpha": 0.1, "a": 9.0, "b": 0.1})
    with pytest.raises(clv.NotFittedError, match="call fit"):
        model.probability_alive(rfm)
    assert not hasattr(model, "log_likelihood_")


def test_a_hessian_that_stops_being_finite_is_a_convergence_error():
    # Found by fuzzing: Newton steps run a parameter off towards a boundary, the Hessian there
    # holds inf or NaN, and scipy's step solver stopped with its own ValueError ("array must
    # not contain infs or NaNs"). The fit must fall back or say it did not converge.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Every customer one repeat purchase just after the first, aged 2.1 weeks.
        true = {"r": 52.79, "alpha": 0.014116, "a": 65.19, "b": 0.014059}
        data = clv.simulate_customers(200, true, T=2.119387992329348, seed=0)
        with pytest.raises(clv.ConvergenceError):
            clv.BetaGeoModel().fit(data)
        spends = pd.DataFrame({
            "frequency": [97.0, 707.0, 576.0, 989.0, 112.0],
            "monetary_value": [1.3638938738343476, 31.013937838179007, 2.9285867149974787,
                               277.35778662967215, 1.8724234687903092],
        })  # fmt: skip
        # Gamma-Gamma stopped the same way on these spends. Its likelihood now keeps its digits
        # towards the edges (test_gamma_gamma.py), and the fit reaches the supremum, on the edge
        # p → ∞, and says so.
        with pytest.warns(clv.StatisticalWarning, match="edge of its parameter space"):
            model = clv.GammaGammaModel().fit(spends)
        assert model.params_["p"] > 1e5


def test_no_dropout_in_the_data_ends_on_the_edge_with_a_clear_warning():
    # Customers who never drop out: BG/NBD's dropout probability runs off to 0 (an NBD model).
    rng = np.random.default_rng(2)
    n, age = 3000, 52.0
    rate = rng.gamma(0.8, 1 / 8.0, n)
    times = [np.sort(rng.uniform(0, age, rng.poisson(lam * age))) for lam in rate]
    rfm = pd.DataFrame(
        {
            "frequency": [len(t) for t in times],
            "recency": [t[-1] if len(t) else 0.0 for t in times],
            "T": age,
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = clv.BetaGeoModel().fit(rfm)
        table = model.summary
    messages = [str(w.message) for w in caught]
    assert any("reduces to the NBD model" in m for m in messages), messages
    assert not any(issubclass(w.category, RuntimeWarning) for w in caught), messages
    # a → 0 (dropout probability a/(a + b) → 0): held at its limit, without a standard error.
    assert table.loc["a", "note"] == "not identified"
    # b's standard error on the log scale is in the thousands: its 95 % interval is (0, inf)
    # and says so, where exp used to overflow with a numpy warning.
    assert table.loc["b", "std_error"] / table.loc["b", "estimate"] > 1e3
    assert (table.loc["b", "lower_95"], table.loc["b", "upper_95"]) == (0.0, np.inf)
    assert table.loc["b", "note"] == "not bounded by the data"
    assert (table.loc[["r", "alpha"], "note"] == "").all()
    assert np.isfinite(table.loc[["r", "alpha"], "std_error"]).all()
    # The limiting model still predicts: close to the NBD's r/α per week.
    assert model.params_["r"] / model.params_["alpha"] == pytest.approx(0.1, rel=0.1)


def test_a_table_in_another_time_unit_is_refused(days):
    model = model_of("pnbd")
    with pytest.raises(clv.InputError, match="in days .* fitted in weeks"):
        model.expected_purchases(days, 10)


def test_covariate_model_without_data_for_new_customers_is_refused(rfm):
    table = rfm.assign(z=np.linspace(-1, 1, len(rfm)))
    model = PURCHASE_MODELS["pnbd"].from_params(
        {**PARAMS["pnbd"], "purchase:z": 0.5}, time_unit="W", purchase_covariates=["z"]
    )
    with pytest.raises(clv.InputError, match="pass data="):
        model.expected_purchases_new(10.0)
    per_customer = model.expected_purchases_new(10.0, data=table)
    assert per_customer.index.equals(table.index)
    assert per_customer.is_monotonic_increasing  # higher z, faster purchasing


def test_unknown_process_for_covariates_is_refused():
    class NoDropoutCovariates(clv.BetaGeoModel):
        covariate_links = {"purchase": {"alpha": -1.0}}

    with pytest.raises(clv.InputError, match="takes no dropout covariates"):
        NoDropoutCovariates(dropout_covariates=["z"])


def test_time_unit_can_be_given_when_join_drops_it(rfm, days):
    # DataFrame.join drops attrs, and with them the unit rfm_summary recorded (issue 13, item 5).
    joined = days.join(pd.DataFrame({"z": 1.0}, index=days.index))
    assert "time_unit" not in joined.attrs
    model = model_of("bgnbd")  # fitted in weeks
    with pytest.raises(clv.InputError, match="in days .* fitted in weeks"):
        model.predict(joined, 10, time_unit="D")
    with pytest.raises(clv.InputError, match="contradicts"):
        model.probability_alive(days, time_unit="W")
    weeks = rfm.join(pd.DataFrame({"z": 1.0}, index=rfm.index))
    np.testing.assert_allclose(
        model.expected_purchases(weeks, 10, time_unit="W"), model.expected_purchases(rfm, 10)
    )


def test_price_plan_refuses_to_guess_a_lost_margin(rfm, fitted_gg):
    model = model_of("bgnbd")
    gg = fitted_gg  # tests/conftest.py: clv.GammaGammaModel().fit(cdnow_rfm)
    scores = clv.churn_risk(model, rfm, 39, gg, margin=0.3)
    rebuilt = scores.copy()
    rebuilt.attrs.clear()  # as after a join, a merge or a round trip through a file
    with pytest.warns(clv.ClvWarning, match="pass margin="):
        clv.price_increase_plan(rebuilt)
    plan = clv.price_increase_plan(rebuilt, margin=0.3)
    assert plan.stages["total_predicted_clv"].sum() == pytest.approx(scores["predicted_clv"].sum())


def test_a_tiny_observation_window_fits_its_limit_without_numpy_warnings():
    # T = 1e-9 weeks: numpy's overflow and divide-by-zero warnings from the optimiser's steps
    # leaked. The fit failed then, its likelihood lost to rounding at r, α ~ 1e20; with
    # ln(α + T) − ln α taken as ln(1 + T/α) it reaches the NBD limit without dropout (an edge
    # warning), whose rate is the Poisson estimate Σx / ΣT = 30 / 3e-8 = 1e9 a week.
    rfm = pd.DataFrame({"frequency": [0.0, 1.0, 2.0] * 10, "recency": [0.0, 5e-10, 1e-9] * 10,
                        "T": 1e-9})  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = clv.BetaGeoModel().fit(rfm)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert any("edge of its parameter space" in str(w.message) for w in caught)
    assert model.params_["r"] / model.params_["alpha"] == pytest.approx(1e9, rel=1e-6)
