"""MBG/NBD: published CDNOW estimates, parity with lifetimes, and independent cross-checks.

References
----------
[BDF07]   Batislam, E. P., Denizel, M. and Filiztekin, A. (2007). Empirical validation and
          comparison of models for customer base analysis. IJRM 24(3), 201-209.
[WH08]    Wagner, U. and Hoppe, D. (2008). Erratum on the MBG/NBD model. IJRM 25(3), 225-226.
[BTYDplus] Platzer, M., R package BTYDplus: ``mbgnbd.EstimateParameters(cdnow.sample()$cbs)``,
          the CDNOW 1/10 sample with the 39-week calibration period, in weeks.
[lifetimes] lifetimes 0.11.3, ``ModifiedBetaGeoFitter`` (the project's reference implementation).

The high-precision references below are the model's formulas as printed in [BDF07]/[WH08] (Gauss
₂F₁ and finite sums), evaluated with mpmath at 40 digits: a route independent of clvmodel's
(Euler-transformed series, quadrature, incomplete beta functions).
"""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.special import expit
from scipy.stats import nbinom

import clvmodel as clv
from clvmodel.models.modified_beta_geo import ModifiedBetaGeoModel as MBG

lifetimes = pytest.importorskip("lifetimes")

NAMES = ("r", "alpha", "a", "b")
# [BTYDplus] on the CDNOW sample, 3 decimals.
BTYDPLUS = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
RTOL = 1e-6  # DESIGN.md: equal to lifetimes to 1e-6 relative wherever lifetimes is finite
HORIZONS = [1.0, 13.0, 39.0, 52.0, 104.0, 520.0]


def _quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def _columns(rfm):
    return tuple(rfm[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))


def _lifetimes_mbg(params):
    fitter = lifetimes.ModifiedBetaGeoFitter()
    fitter.params_ = pd.Series({k: float(params[k]) for k in NAMES})
    return fitter


@pytest.fixture(scope="module")
def lifetimes_fit(cdnow_rfm):
    return _quietly(lifetimes.ModifiedBetaGeoFitter().fit, *_columns(cdnow_rfm))


@pytest.fixture(scope="module")
def params(lifetimes_fit):
    """lifetimes' estimates on the sample, used as 'identical parameters' for the parity tests."""
    return lifetimes_fit.params_[list(NAMES)].to_dict()


# ---------------------------------------------------------------------------------------------
# mpmath references, from the printed formulas
def _mp(params):
    return tuple(mp.mpf(repr(float(params[k]))) for k in NAMES)


def _mp_row_loglik(params, x, t_x, age):
    with mp.workdps(40):
        r, alpha, a, b = _mp(params)
        x, t_x, age = (mp.mpf(repr(float(v))) for v in (x, t_x, age))
        front = mp.gamma(r + x) * alpha**r / mp.gamma(r)
        alive = mp.beta(a, b + x + 1) / mp.beta(a, b) * (alpha + age) ** -(r + x)
        dead = mp.beta(a + 1, b + x) / mp.beta(a, b) * (alpha + t_x) ** -(r + x)
        return float(mp.log(front * (alive + dead)))


def _mp_expected(params, x, t_x, age, t, a_offset="0"):
    """[WH08] corrected E[Y(t) | x, t_x, T], with a shifted by ``a_offset`` (for a limit)."""
    with mp.workdps(60):
        r, alpha, a, b = _mp(params)
        a += mp.mpf(a_offset)
        x, t_x, age, t = (mp.mpf(repr(float(v))) for v in (x, t_x, age, t))
        odds = a / (b + x) * ((alpha + age) / (alpha + t_x)) ** (r + x)
        y, z = t / (alpha + age + t), (alpha + age) / (alpha + age + t)
        hyp = mp.hyp2f1(r + x, b + x + 1, a + b + x, y)
        return float((a + b + x) / (a - 1) * (1 - z ** (r + x) * hyp) / (1 + odds))


def _mp_pmf_new(params, n, t):
    """[BDF07]: P(X(t) = n) with the NBD tail as 1 − a finite sum, at 60 digits."""
    with mp.workdps(60):
        r, alpha, a, b = _mp(params)
        t = mp.mpf(repr(float(t)))
        q = t / (alpha + t)

        def nbd(j):
            return mp.gamma(r + j) / mp.gamma(r) / mp.factorial(j) * (1 - q) ** r * q**j

        tail = 1 - mp.fsum(nbd(j) for j in range(n))
        stay = mp.beta(a, b + n + 1) / mp.beta(a, b) * nbd(n)
        return float(stay + mp.beta(a + 1, b + n) / mp.beta(a, b) * tail)


# ---------------------------------------------------------------------------------------------
# The likelihood and its gradient
STRESS_ROWS = np.array(
    # x, t_x, T: new customer, CDNOW-like, heavy buyers at the protocol's limits
    [[0, 0, 0], [0, 0, 38.86], [2, 30.43, 38.86], [170, 77, 78], [1e4, 9.9e4, 1e5], [1e4, 10, 1e5]]
).T
PARAM_SETS = [
    BTYDPLUS,
    {"r": 1e-3, "alpha": 1e4, "a": 1e-3, "b": 1e4},
    {"r": 1e4, "alpha": 1e-3, "a": 1e4, "b": 1e-3},
    {"r": 0.3, "alpha": 2.0, "a": 1.0, "b": 1.0},
]


@pytest.mark.parametrize("p", PARAM_SETS)
def test_log_likelihood_matches_mpmath(p):
    ll, _ = MBG._row_loglik(p, *STRESS_ROWS, gradient=False)
    expected = [_mp_row_loglik(p, *row) for row in STRESS_ROWS.T]
    np.testing.assert_allclose(ll, expected, rtol=1e-11, atol=1e-11)


def test_log_likelihood_sums_to_lifetimes(cdnow_rfm):
    x, t_x, age = _columns(cdnow_rfm)
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        ll, _ = MBG._row_loglik(BTYDPLUS, x, t_x, age, gradient=False)
    log_params = np.log([BTYDPLUS[k] for k in NAMES])
    weights = np.ones_like(x)
    theirs = _quietly(
        lifetimes.ModifiedBetaGeoFitter._negative_log_likelihood, log_params, x, t_x, age,
        weights, 0.0,
    )  # fmt: skip
    assert ll.sum() == pytest.approx(-theirs * x.size, rel=1e-12)


@pytest.mark.parametrize("p", PARAM_SETS)
def test_gradient_matches_central_differences(p):
    _, grad = MBG._row_loglik(p, *STRESS_ROWS)
    for i, name in enumerate(NAMES):
        step = 1e-6 * p[name]
        up, down = dict(p), dict(p)
        up[name] += step
        down[name] -= step
        ll_up, _ = MBG._row_loglik(up, *STRESS_ROWS, gradient=False)
        ll_down, _ = MBG._row_loglik(down, *STRESS_ROWS, gradient=False)
        numerical = (ll_up - ll_down) / (2 * step)
        # Rounding in ll (~1e-16 |ll|) divided by the step bounds the differences' accuracy.
        ll, _ = MBG._row_loglik(p, *STRESS_ROWS, gradient=False)
        tolerance = 1e-6 * np.abs(numerical) + 1e-9 * (1.0 + np.abs(ll)) / step
        assert np.all(np.abs(grad[i] - numerical) <= tolerance), name


def test_gradient_with_one_parameter_set_per_row(cdnow_rfm):
    # Scalar parameters take the once-per-distinct-x route, per-row parameters the row route.
    rows = np.concatenate([np.stack(_columns(cdnow_rfm)), STRESS_ROWS], axis=1)
    n = rows.shape[1]
    p = {k: np.full(n, v) for k, v in BTYDPLUS.items()}
    ll_rows, grad_rows = MBG._row_loglik(p, *rows)
    ll, grad = MBG._row_loglik(BTYDPLUS, *rows)
    np.testing.assert_allclose(ll, ll_rows, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(grad, grad_rows, rtol=1e-14, atol=1e-14)


positive = st.floats(1e-3, 1e4)


@st.composite
def histories(draw):
    x = float(draw(st.integers(0, 10_000)))
    age = draw(st.floats(0.0, 1e5))
    t_x = draw(st.floats(0.0, 1.0)) * age if x > 0 else 0.0
    return x, t_x, age


@settings(max_examples=200, deadline=None)
@given(r=positive, alpha=positive, a=positive, b=positive, history=histories())
def test_log_likelihood_and_predictions_are_finite(r, alpha, a, b, history):
    p = {"r": r, "alpha": alpha, "a": a, "b": b}
    x, t_x, age = (np.array([v]) for v in history)
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        ll, grad = MBG._row_loglik(p, x, t_x, age)
        odds = MBG._log_odds_dead(p, x, t_x, age)
        pmf = MBG._pmf_if_alive(p, np.arange(5.0), x, age, 39.0)
    assert np.isfinite(ll).all() and np.isfinite(grad).all()
    if x[0] == 0:  # a probability; with x > 0 the likelihood is a density in t_x
        assert ll[0] <= 1e-12
    assert not np.isnan(odds).any() and np.all(odds > -np.inf)
    assert np.isfinite(pmf).all() and (pmf >= 0).all() and pmf.sum() <= 1 + 1e-9


# ---------------------------------------------------------------------------------------------
# Predictions: parity with lifetimes on all 23,570 customers of the full CDNOW data
def _compare(ours, theirs, what):
    ours, theirs = np.asarray(ours, dtype="float64"), np.asarray(theirs, dtype="float64")
    assert ours.shape == theirs.shape and np.isfinite(ours).all(), what
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=RTOL, atol=0, err_msg=what)
    return int((~finite).sum())


def test_probability_alive_on_full_cdnow(params, cdnow_full_rfm):
    x, t_x, age = _columns(cdnow_full_rfm)
    theirs = _lifetimes_mbg(params).conditional_probability_alive(x, t_x, age)
    ours = expit(-MBG._log_odds_dead(params, x, t_x, age))
    assert _compare(ours, theirs, "P(alive)") == 0
    # [BDF07]: unlike BG/NBD, customers without a repeat purchase may be dead.
    assert ours[x == 0].max() < 1


@pytest.mark.parametrize("t", HORIZONS)
def test_expected_purchases_on_full_cdnow(params, cdnow_full_rfm, t):
    x, t_x, age = _columns(cdnow_full_rfm)
    theirs = _quietly(
        _lifetimes_mbg(params).conditional_expected_number_of_purchases_up_to_time, t, x, t_x, age
    )
    ours = expit(-MBG._log_odds_dead(params, x, t_x, age)) * MBG._expected_if_alive(
        params, x, age, t
    )
    assert _compare(ours, theirs, f"E[Y({t})]") == 0


def test_unconditional_expected_purchases(params):
    t = np.array([0.1, 1.0, 3.0, 32.0, 39.0, 78.0, 520.0, 5200.0])
    theirs = _lifetimes_mbg(params).expected_number_of_purchases_up_to_time(t)
    assert _compare(MBG._expected_new(params, t), theirs, "E[X(t)]") == 0
    assert MBG._expected_new(params, 0.0) == 0.0


@pytest.mark.parametrize("t", [0.5, 1.0, 13.0, 39.0, 78.0, 520.0])
def test_unconditional_pmf(params, t):
    n = np.arange(41)
    fitter = _lifetimes_mbg(params)
    theirs = np.array(
        [_quietly(fitter.probability_of_n_purchases_up_to_time, t, int(k)) for k in n]
    )
    ours = MBG._pmf_new(params, n, t)
    assert np.isfinite(ours).all()
    # lifetimes' 1 − Σ_{j<n} cancels once the NBD tail is tiny: it is off by ~1e-17 absolute
    # there (checked against mpmath below), hence the absolute floor.
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize(("n", "t"), [(0, 1.0), (1, 1.0), (20, 1.0), (50, 1.0), (5, 520.0)])
def test_unconditional_pmf_matches_mpmath_in_the_tail(params, n, t):
    assert MBG._pmf_new(params, n, t) == pytest.approx(_mp_pmf_new(params, n, t), rel=1e-10)


@pytest.mark.parametrize(
    ("x", "t_x", "age", "t"),
    [
        (1e4, 9.999e4, 1e5, 52.0),
        (1e4, 1e5, 1e5, 520.0),
        (1e4, 1e3, 1e3, 1e4),  # lifetimes: NaN (₂F₁ overflow)
        (2000.0, 729.0, 730.0, 39.0),
        (0.0, 0.0, 1e5, 1e4),
    ],
)
def test_heavy_buyers_match_mpmath(params, x, t_x, age, t):
    row = (np.array([x]), np.array([t_x]), np.array([age]))
    ours = expit(-MBG._log_odds_dead(params, *row)) * MBG._expected_if_alive(
        params, row[0], row[2], t
    )
    assert ours[0] == pytest.approx(_mp_expected(params, x, t_x, age, t), rel=1e-10)


@pytest.mark.parametrize("t", [1.0, 39.0, 520.0])
def test_a_equal_to_one_on_full_cdnow(params, cdnow_full_rfm, t):
    # lifetimes divides by a − 1: not finite for any customer. clvmodel is finite, and equals the
    # printed formula at a = 1 + 1e-30 (60 digits) on a spread of customers.
    at_one = {**params, "a": 1.0}
    x, t_x, age = _columns(cdnow_full_rfm)
    theirs = _quietly(
        _lifetimes_mbg(at_one).conditional_expected_number_of_purchases_up_to_time, t, x, t_x, age
    )
    ours = expit(-MBG._log_odds_dead(at_one, x, t_x, age)) * MBG._expected_if_alive(
        at_one, x, age, t
    )
    assert _compare(ours, theirs, "a = 1") == x.size
    order = np.argsort(x, kind="stable")
    for i in order[np.linspace(0, x.size - 1, 6).astype(int)]:
        reference = _mp_expected(at_one, x[i], t_x[i], age[i], t, a_offset="1e-30")
        assert ours[i] == pytest.approx(reference, rel=1e-9), (x[i], t_x[i], age[i])


def test_lifetimes_fails_where_clvmodel_does_not(params):
    # A heavy buyer at the protocol's limits: lifetimes' ₂F₁ overflows to NaN.
    theirs = _quietly(
        _lifetimes_mbg(params).conditional_expected_number_of_purchases_up_to_time,
        1e4, 1e4, 1e3, 1e3,
    )  # fmt: skip
    assert not np.isfinite(theirs)
    ours = MBG._expected_if_alive(params, np.array([1e4]), np.array([1e3]), 1e4)
    assert np.isfinite(ours).all()


# ---------------------------------------------------------------------------------------------
# Properties of the conditional distribution of future purchases
def _support(p, x, age, t):
    """Purchases up to which the NBD (hence the MBG/NBD) tail is below 1e-17."""
    m, q = p["r"] + x, t / (p["alpha"] + age + t)
    return int(nbinom.isf(1e-17, m, 1.0 - q)) + 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    r=st.floats(0.05, 20.0),
    alpha=st.floats(0.1, 100.0),
    a=st.floats(0.05, 20.0),
    b=st.floats(0.05, 20.0),
    x=st.integers(0, 200),
    age=st.floats(0.0, 200.0),
    t=st.floats(0.01, 200.0),
)
def test_conditional_pmf_sums_to_one_with_the_conditional_mean(r, alpha, a, b, x, age, t):
    p = {"r": r, "alpha": alpha, "a": a, "b": b}
    support = _support(p, x, age, t)
    assume(support < 20_000)
    k = np.arange(support, dtype="float64")
    pmf = MBG._pmf_if_alive(p, k, float(x), age, t)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-10)
    mean = MBG._expected_if_alive(p, float(x), age, t)
    assert k @ pmf == pytest.approx(float(mean), rel=1e-8, abs=1e-12)


@pytest.mark.parametrize("p", PARAM_SETS[:1] + PARAM_SETS[3:])
@pytest.mark.parametrize("t", [0.0, 1.0, 39.0, 520.0])
def test_unconditional_pmf_sums_to_one_with_mean_e_x(p, t):
    n = np.arange(_support(p, 0.0, 0.0, max(t, 1e-9)), dtype="float64")
    pmf = MBG._pmf_new(p, n, t)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-10)
    assert n @ pmf == pytest.approx(float(MBG._expected_new(p, t)), rel=1e-8, abs=1e-14)
    # Customers who dropped out at time 0 make no repeat purchase: P(X(t) = 0) ≥ a / (a + b).
    assert pmf[0] >= p["a"] / (p["a"] + p["b"])


# ---------------------------------------------------------------------------------------------
# Fitting and the public methods
@pytest.fixture(scope="module")
def fitted(cdnow_rfm):
    return MBG().fit(cdnow_rfm)


@pytest.mark.parametrize("name", NAMES)
def test_fitted_parameters_match_btydplus(fitted, name):
    # [BTYDplus] on cdnow.sample(): r = 0.525, α = 6.183, a = 0.891, b = 1.614.
    assert fitted.params_[name] == pytest.approx(BTYDPLUS[name], abs=5e-4)


def test_fitted_parameters_match_lifetimes(fitted, params):
    np.testing.assert_allclose(fitted.params_[list(NAMES)], list(params.values()), rtol=1e-4)


def test_public_predictions_use_the_hooks(fitted, cdnow_rfm):
    p = fitted.params_[list(NAMES)].to_dict()
    x, t_x, age = _columns(cdnow_rfm)
    alive = expit(-MBG._log_odds_dead(p, x, t_x, age))
    np.testing.assert_allclose(fitted.probability_alive(cdnow_rfm), alive, rtol=1e-12)
    expected = alive * MBG._expected_if_alive(p, x, age, 39.0)
    np.testing.assert_allclose(fitted.expected_purchases(cdnow_rfm, 39.0), expected, rtol=1e-12)
    silent = 1 - alive * (1 - MBG._pmf_if_alive(p, 0.0, x, age, 39.0))
    np.testing.assert_allclose(fitted.probability_no_purchase(cdnow_rfm, 39.0), silent, rtol=1e-12)
    table = fitted.purchase_distribution(cdnow_rfm, 39.0, 60).to_numpy()
    k = np.arange(61.0)
    pmf = MBG._pmf_if_alive(p, k[None, :], x[:, None], age[:, None], 39.0)
    mixture = alive[:, None] * pmf + (1 - alive[:, None]) * (k == 0)
    np.testing.assert_allclose(table, mixture, rtol=1e-10, atol=1e-15)
    assert table.sum(axis=1).max() <= 1 + 1e-12


def test_new_customer_methods_and_persistence(fitted, tmp_path):
    p = fitted.params_[list(NAMES)].to_dict()
    t = np.array([1.0, 39.0, 78.0])
    np.testing.assert_allclose(fitted.expected_purchases_new(t), MBG._expected_new(p, t))
    n = np.arange(10)
    np.testing.assert_allclose(fitted.probability_of_purchases(n, 39.0), MBG._pmf_new(p, n, 39.0))
    path = tmp_path / "mbg.json"
    fitted.save(path)
    loaded = clv.load_model(path)
    assert type(loaded) is MBG is clv.ModifiedBetaGeoModel
    np.testing.assert_array_equal(loaded.params_, fitted.params_)


def test_standard_errors_match_lifetimes(fitted, lifetimes_fit):
    # lifetimes differentiates exactly (autograd); clvmodel differentiates its analytic gradient.
    theirs = lifetimes_fit.standard_errors_[list(NAMES)]
    np.testing.assert_allclose(fitted.standard_errors_[list(NAMES)], theirs, rtol=1e-3)


@pytest.mark.parametrize(
    "alpha, a, b",
    [
        (0.013755238499805419, 0.013415756178807612, 6.858802784988444),
        (58.471603674837525, 39.80537772631229, 1.0),
        (0.001, 176.49561874449049, 10000.0),
    ],
)
def test_a_customer_of_age_0_has_probability_1_at_large_r(alpha, a, b):
    """x = 0 at T = 0 has probability 1 (ln L = 0). With r = 1e4, r ln α was added to each
    branch's −r ln(α + T) apart and cancelled to 7e-12 (a hypothesis run of the test above
    found it); the branches now hold −r ln(1 + T/α)."""
    p = {"r": 1e4, "alpha": alpha, "a": a, "b": b}
    zero = np.zeros(1)
    ll, _ = MBG._row_loglik(p, zero, zero, zero)
    assert abs(ll[0]) <= 1e-12
