"""Gamma-Gamma spend model: published CDNOW results and checks against independent computations.

References
----------
[FHL05b] Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). RFM and CLV: using iso-value curves
         for customer base analysis. Journal of Marketing Research 42(4), 415-430.
[H-GG]   Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value
         (brucehardie.com/notes/025).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from published import PUBLISHED_GG
from scipy.special import gammaln

import clvmodel as clv

PARAM_NAMES = ["p", "q", "v"]

# [FHL05b] / [H-GG]: MLE on the 946 repeat buyers of the CDNOW sample's 39-week calibration period.
PUBLISHED = PUBLISHED_GG


# ---------------------------------------------------------------------------------------------
# Published reference results
@pytest.mark.parametrize("name", PARAM_NAMES)
def test_fitted_parameters_match_the_paper(fitted_gg, name):
    # [FHL05b] / [H-GG]: p = 6.25, q = 3.74, γ = 15.44, published to 2 decimals (±0.005).
    assert fitted_gg.params_[name] == pytest.approx(PUBLISHED[name], abs=0.005 + 1e-9)


def test_fitted_log_likelihood_and_sample_match_the_paper(fitted_gg):
    # [H-GG]: log-likelihood −4055.92 (2 decimals) on the 946 customers with a repeat purchase.
    assert fitted_gg.log_likelihood_ == pytest.approx(-4055.92, abs=0.01)
    assert fitted_gg.n_customers_ == 946


def _eq1a_log_likelihood(theta, x, m):
    """Log density of the mean spend m given x, [H-GG] eq. (1a), written out from the note."""
    p, q, v = theta
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(v + m * x)
    )


def test_log_likelihood_is_eq_1a_summed(fitted_gg, cdnow_rfm):
    repeat = cdnow_rfm[cdnow_rfm["frequency"] > 0]
    x, m = repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy(float)
    total = _eq1a_log_likelihood(fitted_gg.params_.to_numpy(), x, m).sum()
    assert fitted_gg.log_likelihood_ == pytest.approx(total, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Predictions
def test_population_mean_spend(published_gg):
    # [H-GG]: E(Z) = p γ / (q − 1).
    p, q, v = (PUBLISHED[k] for k in PARAM_NAMES)
    assert published_gg.population_mean_spend() == pytest.approx(p * v / (q - 1), rel=1e-14)


def test_expected_spend_is_the_weighted_average(published_gg, cdnow_rfm):
    # [H-GG] eq. (5) rearranged: E(M | x, m_x) = (1 − w) · pγ/(q − 1) + w · m_x,
    # with w = p x / (p x + q − 1).
    p, q, v = (PUBLISHED[k] for k in PARAM_NAMES)
    x = cdnow_rfm["frequency"].to_numpy(float)
    m = cdnow_rfm["monetary_value"].to_numpy(float)
    weight = p * x / (p * x + q - 1)
    expected = (1 - weight) * (p * v / (q - 1)) + weight * m
    result = published_gg.expected_spend(cdnow_rfm)
    assert isinstance(result, pd.Series) and result.index.equals(cdnow_rfm.index)
    np.testing.assert_allclose(result, expected, rtol=1e-12)


def test_expected_spend_lies_between_own_mean_and_population_mean(published_gg, cdnow_rfm):
    repeat = cdnow_rfm[cdnow_rfm["frequency"] > 0]
    spend = published_gg.expected_spend(repeat).to_numpy()
    population = published_gg.population_mean_spend()
    own = repeat["monetary_value"].to_numpy()
    low, high = np.minimum(own, population), np.maximum(own, population)
    assert np.all((spend >= low * (1 - 1e-12)) & (spend <= high * (1 + 1e-12)))


def test_customers_without_repeat_purchases_get_the_population_mean(published_gg, cdnow_rfm):
    zero = cdnow_rfm[cdnow_rfm["frequency"] == 0]
    assert len(zero) > 0
    np.testing.assert_array_equal(
        published_gg.expected_spend(zero), published_gg.population_mean_spend()
    )
    # Whatever their recorded monetary value (it carries no information without a repeat purchase).
    odd = pd.DataFrame({"frequency": [0, 0], "monetary_value": [0.0, 123.0]})
    np.testing.assert_array_equal(
        published_gg.expected_spend(odd), published_gg.population_mean_spend()
    )


def test_heavy_buyers_are_pulled_to_their_own_mean(published_gg):
    table = pd.DataFrame({"frequency": [10**6], "monetary_value": [42.0]})
    assert published_gg.expected_spend(table).iloc[0] == pytest.approx(42.0, rel=1e-5)


@pytest.mark.parametrize("q", [1.0, 0.5])
def test_q_at_most_one_raises_model_error(q, cdnow_rfm):
    model = clv.GammaGammaModel.from_params({"p": 6.25, "q": q, "v": 15.44})
    with pytest.raises(clv.ModelError, match="q"):
        model.population_mean_spend()
    # Customers without a repeat purchase would get the (infinite) population mean.
    with pytest.raises(clv.ModelError):
        model.expected_spend(cdnow_rfm)


# ---------------------------------------------------------------------------------------------
# The fitting machinery
def test_fit_returns_self(cdnow_rfm):
    model = clv.GammaGammaModel()
    assert model.fit(cdnow_rfm) is model


def test_unfitted_model_raises_not_fitted(cdnow_rfm):
    model = clv.GammaGammaModel()
    with pytest.raises(clv.NotFittedError, match="fit"):
        model.expected_spend(cdnow_rfm)
    with pytest.raises(clv.NotFittedError, match="fit"):
        model.population_mean_spend()


def test_standard_errors_and_summary(fitted_gg):
    errors = fitted_gg.standard_errors_
    assert list(errors.index) == PARAM_NAMES
    assert np.all(np.isfinite(errors)) and np.all(errors > 0)
    table = fitted_gg.summary
    assert list(table.columns) == ["estimate", "std_error", "lower_95", "upper_95"]
    assert list(table.index) == PARAM_NAMES


def test_fit_with_weights_equals_fitting_the_expanded_table(cdnow_rfm):
    rng = np.random.default_rng(2005)
    weights = rng.integers(0, 4, size=len(cdnow_rfm))
    expanded = cdnow_rfm.iloc[np.repeat(np.arange(len(cdnow_rfm)), weights)]
    weighted = clv.GammaGammaModel().fit(cdnow_rfm, weights=weights)
    plain = clv.GammaGammaModel().fit(expanded)
    np.testing.assert_allclose(weighted.params_, plain.params_, rtol=1e-5)
    assert weighted.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-9)


@pytest.mark.parametrize("theta", [[6.25, 3.74, 15.44], [0.8, 12.0, 3.0], [40.0, 1.5, 200.0]])
def test_log_likelihood_and_analytic_gradient(cdnow_rfm, theta):
    model = clv.GammaGammaModel()
    arrays, _, _ = model._prepare(cdnow_rfm, None)
    theta = np.array(theta)
    ll, grad = model._loglik(theta, arrays)
    assert grad.shape == (3, ll.size)
    x, m = arrays[0], arrays[1]
    np.testing.assert_allclose(ll, _eq1a_log_likelihood(theta, x, m), rtol=1e-11)
    # Central differences, relative step 1e-6: truncation ~1e-12, rounding ~1e-10 (relative).
    for j in range(3):
        step = 1e-6 * theta[j]
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        numeric = (model._loglik(up, arrays)[0] - model._loglik(down, arrays)[0]) / (2 * step)
        scale = np.abs(numeric).max()
        np.testing.assert_allclose(grad[j], numeric, rtol=1e-6, atol=1e-7 * scale)


# ---------------------------------------------------------------------------------------------
# Heavy-tailed spends: the likelihood near the edges, and fits with more than one maximum


def _heavy_tailed_spends(seed: int, n: int = 20) -> pd.DataFrame:
    """One-repeat-purchase customers whose mean spends run log-uniformly from $0.03 to $7·10⁸:
    spends whose likelihood has maxima in the interior and suprema towards both edges."""
    rng = np.random.default_rng(seed)
    spend = np.exp(rng.uniform(np.log(0.03), np.log(7e8), n))
    return pd.DataFrame(
        {"frequency": 1.0, "recency": 1.0, "T": 5.0, "monetary_value": spend},
        index=pd.RangeIndex(n, name="customer_id"),
    )


def _mp_log_likelihood(theta, x, m) -> float:
    """Eq. (1a) summed, at 40 digits: the terms as written in [H-GG], no rearrangement."""
    import mpmath as mp

    with mp.workdps(40):
        p, q, v = (mp.mpf(float(t)) for t in theta)
        total = mp.mpf(0)
        for xi, mi in zip(x, m, strict=True):
            xi, mi = mp.mpf(float(xi)), mp.mpf(float(mi))
            total += (
                mp.loggamma(p * xi + q)
                - mp.loggamma(p * xi)
                - mp.loggamma(q)
                + q * mp.log(v)
                + (p * xi - 1) * mp.log(mi)
                + p * xi * mp.log(xi)
                - (p * xi + q) * mp.log(v + xi * mi)
            )
        return float(total)


@pytest.mark.parametrize(
    "theta",
    [
        [1e7, 0.1, 1e-6],  # towards p → ∞ with pγ fixed: inverse-gamma spends
        [1e12, 0.2, 3e-10],
        [0.1, 1e6, 1e8],  # towards q, γ → ∞ with γ/q fixed: gamma spends
        [1e12, 1e9, 1e3],
    ],
)
def test_log_likelihood_keeps_its_digits_towards_the_edges(cdnow_rfm, theta):
    # Written as lnΓ(px+q) − lnΓ(px) − ..., eq. (1a) cancels numbers of order p ln p: at
    # p = 1e7 the sum lost every digit, and a fit could climb to a value that does not exist.
    model = clv.GammaGammaModel()
    arrays, counts, _ = model._prepare(cdnow_rfm.iloc[:400], None)
    ll, _, _ = model._objective(np.array(theta), arrays, counts, False)
    x, m = np.repeat(arrays[0], counts.astype(int)), np.repeat(arrays[1], counts.astype(int))
    assert ll == pytest.approx(_mp_log_likelihood(theta, x, m), rel=1e-12)


@pytest.mark.parametrize("theta", [[1e7, 0.1, 1e-6], [0.1, 1e6, 1e8], [3.0, 0.2, 0.5]])
def test_gradient_and_hessian_agree_with_differences_towards_the_edges(cdnow_rfm, theta):
    model = clv.GammaGammaModel()
    arrays, counts, _ = model._prepare(cdnow_rfm, None)
    theta = np.array(theta)
    _, grad, hess = model._objective(theta, arrays, counts, True)
    # In log-parameters (where the fit works), central differences with step 1e-5.
    for j in range(3):
        step = np.zeros(3)
        step[j] = 1e-5
        up = model._objective(theta * np.exp(step), arrays, counts, False)
        down = model._objective(theta * np.exp(-step), arrays, counts, False)
        assert theta[j] * grad[j] == pytest.approx(
            (up[0] - down[0]) / 2e-5, rel=1e-6, abs=1e-6 * np.abs(theta * grad).max()
        )
        numeric_row = (up[1] * theta * np.exp(step) - down[1] * theta * np.exp(-step)) / 2e-5
        # d(θ∘g)/dφ_j = θ θ_j H[:, j] + δ_j θ∘g
        analytic_row = theta * hess[:, j] * theta[j] + np.where(np.arange(3) == j, theta * grad, 0)
        np.testing.assert_allclose(
            analytic_row, numeric_row, rtol=1e-5, atol=1e-6 * np.abs(analytic_row).max()
        )


def test_a_fit_that_ends_on_an_edge_tries_other_starts_and_keeps_the_highest_maximum():
    # From the default start, Newton steps ran to the edge q, γ → ∞ (log-likelihood −221.45,
    # with a warning) although an interior maximum is higher: −216.64, where lifetimes'
    # GammaGammaFitter ends (p = 0.370, q = 0.154, γ = 33.74).
    spends = _heavy_tailed_spends(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "ended on the edge" warning
        model = clv.GammaGammaModel().fit(spends)
    assert model.log_likelihood_ == pytest.approx(-216.639, abs=1e-3)
    assert model.params_.to_numpy() == pytest.approx([0.370, 0.1541, 33.744], rel=1e-3)
    # Nothing reached from a wide grid of starts is higher.
    for p, q in itertools.product([0.03, 0.3, 3.0, 30.0], [0.05, 0.5, 5.0, 50.0]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            other = clv.GammaGammaModel().fit(
                spends, initial_params={"p": p, "q": q, "v": 100.0 * q / p}
            )
        assert other.log_likelihood_ <= model.log_likelihood_ + 1e-6


def test_a_supremum_on_the_edge_is_reported_with_a_warning_not_a_convergence_error():
    # This table raised ConvergenceError: its likelihood rises towards q, γ → ∞ (gamma spends),
    # and the digits lost near that edge stopped the optimiser.
    spends = _heavy_tailed_spends(0)
    with pytest.warns(clv.StatisticalWarning, match="edge of its parameter space"):
        model = clv.GammaGammaModel().fit(spends)
    assert model.log_likelihood_ == pytest.approx(-241.776, abs=2e-3)
    assert model.params_["q"] > 1e5


def test_the_unit_of_money_does_not_change_the_fit(cdnow_rfm):
    # In a currency worth 1/20,000 of a dollar γ is 3·10⁵: a scale, not an edge (it was warned
    # about as one), and p, q and the log-likelihood up to ln(20,000) per customer are the same.
    dollars = clv.GammaGammaModel().fit(cdnow_rfm)
    cheap = cdnow_rfm.assign(monetary_value=cdnow_rfm["monetary_value"] * 20_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        other = clv.GammaGammaModel().fit(cheap)
    np.testing.assert_allclose(other.params_[["p", "q"]], dollars.params_[["p", "q"]], rtol=1e-6)
    assert other.params_["v"] == pytest.approx(20_000 * dollars.params_["v"], rel=1e-6)
    shift = dollars.n_customers_ * np.log(20_000)
    assert other.log_likelihood_ == pytest.approx(dollars.log_likelihood_ - shift, rel=1e-9)


def test_each_edge_limit_is_the_likelihood_far_along_that_edge_and_its_maximum():
    from clvmodel.models._gamma_gamma_limits import gamma_limit, inverse_gamma_limit

    model = clv.GammaGammaModel()
    spends = _heavy_tailed_spends(3, n=60).assign(frequency=np.tile([1.0, 2.0, 5.0], 20))
    arrays, counts, _ = model._prepare(spends, None)
    x, m, _, log_m = arrays[:4]
    q, c, ll = inverse_gamma_limit(m, log_m, counts)
    p, theta, ll_gamma = gamma_limit(x, m, log_m, counts)

    def loglik(params):
        return model._objective(np.array(params, dtype=float), arrays, counts, False)[0]

    far = 1e9
    assert loglik([far, q, c / far]) == pytest.approx(ll, rel=1e-8)
    assert loglik([p, far, theta * far]) == pytest.approx(ll_gamma, rel=1e-8)
    # Maxima of the limits: a step in either of their parameters lowers the likelihood there.
    for factor in (0.999, 1.001):
        assert loglik([far, q * factor, c / far]) < ll
        assert loglik([far, q, c * factor / far]) < ll
        assert loglik([p * factor, far, theta * far / factor]) < ll_gamma
        assert loglik([p, far, theta * factor * far]) < ll_gamma


def test_an_edge_higher_than_the_interior_maximum_is_found_and_reported():
    # From the default start the fit converged inside, to a local maximum (−216.845, no
    # warning); the likelihood rises higher towards p → ∞ (−216.357), which only the limiting
    # model's maximum reveals.
    spends = _heavy_tailed_spends(3)
    with pytest.warns(clv.StatisticalWarning, match=r"edge of its parameter space \(p = "):
        model = clv.GammaGammaModel().fit(spends)
    assert model.log_likelihood_ == pytest.approx(-216.357, abs=1e-3)
    interior = clv.GammaGammaModel().fit(spends, initial_params={"p": 0.2, "q": 0.23, "v": 4000.0})
    assert interior.log_likelihood_ == pytest.approx(-216.845, abs=1e-3)


def test_a_single_price_is_refused_with_the_reason(tmp_path):
    # A shop with one $9.99 product: every repeat buyer's mean spend is 9.99, so there is no
    # spread to estimate. The fit used to end in numpy's "Singular matrix" (or a convergence
    # error, or a fit at p = q = 1e40, depending on the frequencies), after an overflow warning.
    rfm = pd.DataFrame(
        {"frequency": [0, 1, 2, 3, 5, 1], "recency": [0, 3, 5, 6, 9, 2], "T": [10] * 6,
         "monetary_value": [0.0, 9.99, 9.99, 9.99 * 3 / 3, 9.99, 9.99]}
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(clv.InputError, match=r"5 repeat buyers spent the same .*\(9\.99"):
            clv.GammaGammaModel().fit(rfm)
        with pytest.raises(clv.InputError, match=r"every one of the 12 repeat buyers"):
            clv.GammaGammaModel().fit(rfm, weights=[1, 2, 2, 2, 2, 4])
    # One customer at another price is spread enough to fit.
    varied = rfm.assign(monetary_value=[0.0, 9.99, 9.99, 19.98, 9.99, 12.5])
    assert np.isfinite(clv.GammaGammaModel().fit(varied).params_).all()


def test_a_fit_that_stops_early_advises_on_spend(cdnow_rfm):
    with pytest.raises(clv.ConvergenceError, match="check monetary_value") as stopped:
        clv.GammaGammaModel(max_iter=1).fit(cdnow_rfm)
    assert "RFM table" not in str(stopped.value)


def test_a_row_of_weight_0_changes_nothing(cdnow_rfm):
    """A row of weight 0 stands for no customer: it was counted as a distinct row and took part
    in the checks (a lone price beside it passed as spread in spend)."""
    buyers = cdnow_rfm[cdnow_rfm["frequency"] > 0]
    plain = clv.GammaGammaModel().fit(buyers)
    odd = pd.DataFrame(
        {"frequency": [5], "recency": [10.0], "T": [20.0], "monetary_value": [1e6]}, index=["x"]
    )
    weights = np.r_[np.ones(len(buyers)), 0.0]
    weighted = clv.GammaGammaModel().fit(pd.concat([buyers, odd]), weights=weights)
    np.testing.assert_array_equal(weighted.params_, plain.params_)
    assert weighted.n_distinct_rows_ == plain.n_distinct_rows_
    one_price = buyers.assign(monetary_value=12.0)
    with pytest.raises(clv.InputError, match="spent the same per purchase"):
        clv.GammaGammaModel().fit(pd.concat([one_price, odd]), weights=weights)


def test_weights_all_0_with_a_covariate_are_refused_in_words(cdnow_rfm):
    table = cdnow_rfm.assign(segment=np.arange(len(cdnow_rfm)) % 2)
    with pytest.raises(clv.InputError, match="cannot fit GammaGammaModel on 0 repeat buyer"):
        clv.GammaGammaModel(spend_covariates=["segment"]).fit(table, weights=np.zeros(len(table)))


def test_expected_spend_stays_finite_at_a_huge_shape_p():
    # p = 1e300 with v = 1e-290: population mean p v / (q − 1) = 1e10 and a weight p x/(p x + q − 1)
    # of 1 on the customer's own mean; (v + x m) p overflowed to inf before.
    model = clv.GammaGammaModel.from_params({"p": 1e300, "q": 2.0, "v": 1e-290})
    rfm = pd.DataFrame(
        {"frequency": [1, 0], "recency": [1.0, 0.0], "T": [2.0, 2.0], "monetary_value": [1e12, 0.0]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spend = model.expected_spend(rfm).to_numpy()
    np.testing.assert_allclose(spend, [1e12, 1e10], rtol=1e-12)


def test_repeat_buyers_without_positive_spend_are_named_as_such():
    # A log whose amounts were all 0 was refused with "Use a longer observation
    # period", although it had hundreds of repeat buyers.
    rfm = pd.DataFrame(
        {"frequency": [2, 3, 1, 0], "recency": [5.0, 8, 3, 0], "T": [10.0] * 4}
    ).assign(monetary_value=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(clv.InputError, match="3 repeat buyers, but their monetary_value"):
            clv.GammaGammaModel().fit(rfm)
        with pytest.raises(clv.InputError, match="longer observation period"):
            clv.GammaGammaModel().fit(rfm.assign(frequency=[2, 0, 0, 0], recency=[5.0, 0, 0, 0]))
