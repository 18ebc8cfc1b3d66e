"""BG/NBD, MBG/NBD and Pareto/NBD at extreme parameters: every finite positive value is valid.

Predictions must stay finite, free of numpy warnings, probabilities in [0, 1], monotone in the
horizon, and agree with the model's limit (or with mpmath) where one is known:

* BG/NBD, b → 0: p ~ Beta(a, b) sits at 1, every customer drops out at the next repeat purchase,
  so a new customer's expected purchases tend to g(1) = 1 − (1 + t/(α+T))^−r (b = 1e-200 gave
  NaN, b = 1e-301 a ValueError from the quadrature);
* Pareto/NBD, r or s → ∞ (α, β fixed): every customer buys, or dies, at once (r = 1e18 or
  s = 1e18 gave NaN); r, s → ∞ with r/α and s/β fixed: no heterogeneity, closed forms.
"""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.models import _beta_geo_quadrature as quadrature
from clvmodel.models._log_concave import LogConcave
from clvmodel.models._pareto_steep import _local
from clvmodel.models._special import expected_purchases_if_alive, pmf_dropout_at_purchases

HISTORIES = pd.DataFrame(
    {
        "frequency": [0, 0, 1, 2, 5, 30],
        "recency": [0.0, 0.0, 5.0, 10.0, 30.0, 38.0],
        "T": [0.0, 40.0, 40.0, 40.0, 40.0, 40.0],
    }
)
ORDINARY = {
    clv.ParetoNBDModel: {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67},
    clv.BetaGeoModel: {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43},
    clv.ModifiedBetaGeoModel: {"r": 0.525, "alpha": 6.18, "a": 0.891, "b": 1.614},
}
MODELS = list(ORDINARY)


def _everything(model, t):
    """Every public prediction (and the log-likelihood) at horizon t, warnings as errors."""
    x = HISTORIES["frequency"].to_numpy(dtype="float64")
    t_x, age = HISTORIES["recency"].to_numpy(), HISTORIES["T"].to_numpy()
    params = {k: float(v) for k, v in model.params_.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return {
            "predict": model.predict(HISTORIES, t),
            "alive": model.probability_alive(HISTORIES).to_numpy(),
            "expected": model.expected_purchases(HISTORIES, t).to_numpy(),
            "silent": model.probability_no_purchase(HISTORIES, t).to_numpy(),
            "counts": model.purchase_distribution(HISTORIES, t, 4).to_numpy(),
            "discounted": model.discounted_expected_purchases(
                HISTORIES, [t / 2, t], [1.0, 0.9]
            ).to_numpy(),
            "new": np.asarray(model.expected_purchases_new([t]), dtype="float64"),
            "new_counts": np.asarray(model.probability_of_purchases([0, 1, 3], t), dtype=float),
            "loglik": type(model)._row_loglik(params, x, t_x, age, gradient=False)[0],
        }


def _check(out, rate=1.0):
    """``rate``: r/α. Where r t/α passes 1e300, the expected purchases of a customer of age 0
    (row 0 and the new customer) may exceed the largest double: then they are not checked."""
    for name, value in out.items():
        values = value.to_numpy() if isinstance(value, pd.DataFrame) else value
        if rate > 1e297 and name in ("predict", "expected", "discounted", "new"):
            values = values[:0] if name == "new" else values[1:]
        assert np.isfinite(values).all(), (name, values)
    probabilities = [out["alive"], out["silent"], out["counts"], out["new_counts"]]
    for values in probabilities:
        assert (values >= 0.0).all() and (values <= 1.0).all()
    assert (out["counts"].sum(axis=1) <= 1.0 + 1e-9).all()
    assert (out["expected"] >= 0.0).all() and (out["new"] >= 0.0).all()


log_uniform = st.floats(-300.0, 18.0).map(lambda e: 10.0**e)


@settings(max_examples=40, deadline=None)
@given(
    model_class=st.sampled_from(MODELS),
    values=st.tuples(log_uniform, log_uniform, log_uniform, log_uniform),
    horizon=st.floats(-3.0, 3.0).map(lambda e: 10.0**e),
)
# Found by the dev profile: Pareto/NBD's expected purchases at T = 0 beyond the largest double
# (r/α = 1e308) were NaN at s = 1 (a 0/0 in the s < 1 form), where they are infinite.
@example(clv.ParetoNBDModel, (1e11, 1e-297, 1.0, 1.0), 10.0)
@example(clv.ParetoNBDModel, (1e11, 1e-297, 0.5, 1.0), 10.0)
# BG/NBD's E[X(t)] near the largest double at a small a and a huge b
# was -inf (the degenerate-shape quadrature's K overflowed; now combined in logs).
@example(clv.BetaGeoModel, (1.0, 1e-289, 0.001, 1e14), 1000.0)
@example(clv.ModifiedBetaGeoModel, (1.0, 1e-289, 0.001, 1e14), 1000.0)
# Found over [1e-300, 1e300] (400 examples; not the range above, as BG/NBD at r = 1e237, α = a = 1,
# b = 0.1, t = 1000 is not monotone: its quadrature misses E ~ b ln(rt/α)). Pareto/NBD's death-
# time integrals were NaN, with "invalid value encountered in subtract", where the mode search's
# 100 Newton steps (about one unit of w = ln τ each, beside a bend with c ~ 1e200) ended
# hundreds of units short of the mode;
@example(
    clv.ParetoNBDModel,
    (6.010046020374419e201, 2.3658835858235606e-98, 2.927865599181814e-91, 2.701601564652313e201),
    52.3357,
)
# there too, and E[purchases | alive] was inf (then NaN beside P(alive) = 0): r/α ~ 1e289 times
# β ~ 1e261 overflowed before E[min(lifetime, t)] ~ β/s brought the product back;
@example(
    clv.ParetoNBDModel,
    (1.7371923003654473e261, 4.63360434717746e-29) + (1.7371923003654473e261,) * 2,
    1.0,
)
# Seed 1 of the wide range: r/α = 1e309 overflowed to inf, s/β = 1e324 made E[min(lifetime, t)]
# underflow to 0, and their product (~1e-15) was NaN: now in logs.
@example(clv.ParetoNBDModel, (1e228, 1e-81, 1e228, 1e-96), 1.0)
# BG/NBD's count distribution was NaN beyond k = 1: SciPy's betainc(n, r, y) is NaN for
# r ≳ 1e154, n ≥ 2 (now Poisson's tail there).
@example(clv.BetaGeoModel, (5.87008971965851e240,) * 3 + (1.0,), 1.0)
@example(clv.ModifiedBetaGeoModel, (5.87008971965851e240,) * 3 + (1.0,), 1.0)
def test_any_positive_parameters_give_finite_monotone_predictions(model_class, values, horizon):
    _check_finite_and_monotone(model_class, values, horizon)


def _check_finite_and_monotone(model_class, values, horizon):
    params = dict(zip(ORDINARY[model_class], values, strict=True))
    model = model_class.from_params(params)
    short, long = _everything(model, horizon), _everything(model, 2.0 * horizon)
    rate = params["r"] / params["alpha"]
    _check(short, rate)
    _check(long, rate)
    # More time: at least as many purchases expected, no more chance of none.
    assert (long["expected"] >= short["expected"] * (1.0 - 1e-9)).all()
    assert (long["silent"] <= short["silent"] * (1.0 + 1e-9) + 1e-300).all()


@settings(max_examples=40, deadline=None)
@given(
    model_class=st.sampled_from(MODELS),
    which=st.integers(0, 3),
    value=st.sampled_from([5e-324, 1e-310, 1e-300, 1e-200, 1e-100, 1e-20, 1e8, 1e12, 1e18])
    | log_uniform,
    horizon=st.floats(-3.0, 3.0).map(lambda e: 10.0**e),
)
def test_one_extreme_parameter_among_ordinary_ones(model_class, which, value, horizon):
    params = dict(ORDINARY[model_class])
    params[list(params)[which]] = value
    _check(_everything(model_class.from_params(params), horizon), params["r"] / params["alpha"])


@pytest.mark.parametrize("b", [1e-200, 1e-250, 1e-300, 1e-301, 1e-310, 5e-324])
def test_bg_nbd_with_b_near_zero_drops_out_at_the_next_purchase(b):
    params = {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": b}
    out = _everything(clv.BetaGeoModel.from_params(params), 10.0)
    _check(out)
    # A customer without repeat purchases is alive and buys once more at most: E = g(1), with
    # a share b/(a+b) of order 1e-200 beside it.
    s = 10.0 / (4.41 + 40.0)
    assert out["expected"][1] == pytest.approx(-np.expm1(-0.24 * np.log1p(s)), rel=1e-14)
    assert out["new"][0] == pytest.approx(-np.expm1(-0.24 * np.log1p(10.0 / 4.41)), rel=1e-14)
    # One repeat purchase: the customer has almost surely dropped out (odds of order a/b).
    assert out["alive"][2] <= 1e3 * b


@pytest.mark.parametrize(
    ("a", "b"), [(0.79, 1e-8), (1e-8, 0.5), (1e-6, 1e-7), (0.5, 1e-300), (1e-300, 1e-300)]
)
def test_degenerate_beta_against_mpmath(a, b):
    """Integral (1) for a tiny shape, by the rearrangement of _degenerate_if_alive with its
    expectation (over a Beta without a tiny shape) integrated by mpmath in logit space."""
    r, alpha, age, t = 0.24, 4.41, 40.0, 10.0
    mp.mp.dps = 30
    m, s = mp.mpf(r), mp.mpf(t) / (mp.mpf(alpha) + age)
    a_, b_ = mp.mpf(a), mp.mpf(b)

    def g(p):
        return m * s if p == 0 else -mp.expm1(-m * mp.log1p(p * s)) / p

    g0, g1 = g(0), g(1)

    def mean(f, shape_a, shape_b):
        log_b = mp.loggamma(shape_a) + mp.loggamma(shape_b) - mp.loggamma(shape_a + shape_b)

        def integrand(eta):
            p, q = 1 / (1 + mp.exp(-eta)), 1 / (1 + mp.exp(eta))
            log_density = -shape_a * mp.log1p(mp.exp(-eta)) - shape_b * mp.log1p(mp.exp(eta))
            return f(p, q) * mp.exp(log_density - log_b)

        return mp.quad(integrand, [-mp.inf, -20, -5, 0, 5, 20, mp.inf])

    if a >= 0.01:  # H over Beta(a, b + 1)
        expected = g1 + b_ / (a_ + b_) * mean(lambda p, q: (g(p) - g1) / q, a_, b_ + 1)
    elif b >= 0.01:  # K over Beta(a + 1, b)
        expected = g0 - a_ / (a_ + b_) * mean(lambda p, q: (g0 - g(p)) / p, a_ + 1, b_)
    else:  # M over Beta(a + 1, b + 1)
        k1 = g0 - g1
        inner = mean(lambda p, q: ((g0 - g(p)) / p - k1) / q, a_ + 1, b_ + 1)
        expected = (a_ * g1 + b_ * g0) / (a_ + b_) - a_ * b_ / ((a_ + b_) * (a_ + b_ + 1)) * inner
    value = float(expected_purchases_if_alive(r, alpha, a, b, 0.0, age, t))
    assert value == pytest.approx(float(expected), rel=1e-12)


def test_degenerate_rearrangement_matches_the_plain_quadrature_where_both_hold():
    # Shapes 0.01-0.02: the plain quadrature is accurate there, and the rearrangement is exact.
    for a, b in [(0.79, 0.02), (0.02, 0.5), (0.015, 0.02), (3.0, 0.011)]:
        args = [np.array([v]) for v in (0.24, 4.41, a, b, 0.0, 40.0, 10.0)]
        plain = quadrature.quadrature_if_alive(*args)[0]
        with np.errstate(all="ignore"):
            rearranged = quadrature._degenerate_if_alive(*args)[0]
        assert rearranged == pytest.approx(plain, rel=1e-12)


@pytest.mark.parametrize(
    ("a", "b", "p"),
    [
        (1e18, 2.43, 1.0),
        (0.79, 1e18, 0.0),
        (1e12, 1e12, 0.5),
        (1e18, 1e18, 0.5),
        (1e17, 8e11, None),
    ],
)
def test_concentrated_beta_tends_to_g_at_its_mean(a, b, p):
    r, alpha, age, t = 0.24, 4.41, 40.0, 10.0
    s = t / (alpha + age)
    p = a / (a + b) if p is None else p
    limit = r * s if p == 0.0 else -np.expm1(-r * np.log1p(p * s)) / p
    value = float(expected_purchases_if_alive(r, alpha, a, b, 0.0, age, t))
    assert value == pytest.approx(limit, rel=1e-10)
    counts = pmf_dropout_at_purchases(r, alpha + age, a, b, np.arange(200.0), t)
    assert counts.sum() == pytest.approx(1.0, abs=1e-9)


def test_concentrated_beta_against_mpmath():
    r, alpha, a, b, age, t = 3.0, 4.41, 2e4, 3e4, 40.0, 30.0
    mp.mp.dps = 30
    m, s = mp.mpf(r), mp.mpf(t) / (mp.mpf(alpha) + age)
    log_b = mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)
    mean, sd = a / (a + b), (a * b / (a + b) ** 2 / (a + b + 1)) ** 0.5

    def integrand(p):
        return (
            -mp.expm1(-m * mp.log1p(p * s))
            / p
            * mp.exp((a - 1) * mp.log(p) + (b - 1) * mp.log1p(-p) - log_b)
        )

    points = [0, *(mean + k * sd for k in (-40, -10, -3, 0, 3, 10, 40)), 1]
    expected = float(mp.quad(integrand, points))
    value = float(expected_purchases_if_alive(r, alpha, a, b, 0.0, age, t))
    assert value == pytest.approx(expected, rel=1e-12)


# 1e200 and 1e300: predictions stopped with "ValueError: cannot convert float NaN to integer" (the
# width of the integrand's bend, 1/sqrt(curvature + slope²), took slope² = inf).
@pytest.mark.parametrize("huge", [1e18, 1e200, 1e300])
def test_pareto_nbd_with_huge_r_or_s_is_the_limit_of_immediate_purchases_or_death(huge):
    base = ORDINARY[clv.ParetoNBDModel]
    r, alpha, s, beta = base["r"], base["alpha"], base["s"], base["beta"]
    # r → ∞: λ ≈ r/α; no repeat purchase in (0, T] means death first: L ≈ E[μ]/λ.
    out = _everything(clv.ParetoNBDModel.from_params({**base, "r": huge}), 10.0)
    _check(out, huge / alpha)
    assert (out["alive"][1:] == 0.0).all()
    assert (out["expected"][1:] == 0.0).all() and (out["silent"][1:] == 1.0).all()
    assert out["loglik"][1] == pytest.approx(np.log(s / beta * alpha / huge), rel=1e-6)
    # s → ∞: μ ≈ s/β; dead at once, so no purchase: L ≈ 1 − λ/μ for x = 0.
    out = _everything(clv.ParetoNBDModel.from_params({**base, "s": huge}), 10.0)
    _check(out)
    assert (out["alive"][1:] == 0.0).all()
    # ln L is −6e-19 at 1e18: to 1e-15 in absolute terms (pytest's default abs tolerance, 1e-12,
    # was the one applied before), since the likelihood 1 − 6e-19 rounds to 1.
    assert out["loglik"][1] == pytest.approx(-(r / alpha) * beta / huge, abs=1e-15)


@pytest.mark.parametrize("scale", [1e12, 1e18])
def test_pareto_nbd_without_heterogeneity(scale):
    """r, s → ∞ with λ = r/α and μ = s/β fixed: Poisson purchases, exponential lifetime."""
    lam, mu, t = 0.5, 0.05, 10.0
    params = {"r": scale, "alpha": scale / lam, "s": scale, "beta": scale / mu}
    out = _everything(clv.ParetoNBDModel.from_params(params), t)
    _check(out)
    x, t_x, age = (HISTORIES[c].to_numpy() for c in ("frequency", "recency", "T"))
    alive = 1.0 / (1.0 + mu / (lam + mu) * np.expm1((lam + mu) * (age - t_x)))
    np.testing.assert_allclose(out["alive"], alive, rtol=1e-6)
    np.testing.assert_allclose(out["expected"], alive * lam * -np.expm1(-mu * t) / mu, rtol=1e-6)
    np.testing.assert_allclose(out["new"], lam * -np.expm1(-mu * t) / mu, rtol=1e-6)


def test_pareto_local_rule_matches_the_generic_one_on_ordinary_integrals():
    rng = np.random.default_rng(3)
    n = 300
    A = np.where(rng.uniform(size=n) < 0.5, 1.0, np.floor(np.exp(rng.uniform(0, 4, n))))
    c1 = A - 1.0 + np.exp(rng.uniform(np.log(0.05), np.log(100.0), n))
    c2 = 1.0 + np.exp(rng.uniform(np.log(0.05), np.log(20.0), n))
    a1, a2 = np.exp(rng.uniform(-3, 6, n)), np.exp(rng.uniform(-3, 6, n))
    lo = np.where(rng.uniform(size=n) < 0.5, -np.inf, rng.uniform(-2, 4, n))
    hi = np.where(np.isinf(lo), rng.uniform(-2, 4, n), lo + np.exp(rng.uniform(-4, 2, n)))
    keep = c1 + c2 > A + 0.25
    args = [v[keep] for v in (A, c1, a1, c2, a2, lo, hi)]
    generic, _ = LogConcave(*args).integrate()
    local, _ = _local(*args)
    np.testing.assert_allclose(local, generic, rtol=0, atol=1e-9)


@pytest.mark.parametrize("model_class", MODELS)
@pytest.mark.parametrize("value", [1e-300, 1e18])
@pytest.mark.parametrize("which", ["r", "alpha"])
def test_r_and_alpha_at_the_ends(model_class, value, which):
    params = {**ORDINARY[model_class], which: value}
    _check(_everything(model_class.from_params(params), 10.0), params["r"] / params["alpha"])


@pytest.mark.parametrize("beta", [1e-300, 1.0])
def test_pareto_nbd_count_distribution_keeps_its_digits_at_a_large_r(beta):
    """r = 1e8: ln Γ(r + k) − ln Γ(r) as a plain difference of two numbers near 1.7e9 kept ~2e-7
    of ln P(k), and the PMF summed to 1 + 1.5e-9 (found by fuzzing)."""
    model = clv.ParetoNBDModel.from_params({"r": 1e8, "alpha": 1e10, "s": 1.0, "beta": beta})
    counts = model.purchase_distribution(HISTORIES, 1.0, 40).to_numpy()
    assert np.abs(counts.sum(axis=1) - 1.0).max() < 1e-11
    mean = counts @ np.arange(counts.shape[1])
    assert mean == pytest.approx(model.expected_purchases(HISTORIES, 1.0).to_numpy(), rel=1e-9)


def test_mbg_nbd_likelihood_at_a_subnormal_b_is_silent():
    """b = 5e-324: 1/b and ψ(b) are infinite; ψ(b + 0) − ψ(b) gave NaN with a warning."""
    params = {**ORDINARY[clv.ModifiedBetaGeoModel], "b": 5e-324}
    x = HISTORIES["frequency"].to_numpy(dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ll, _ = clv.ModifiedBetaGeoModel._row_loglik(
            params, x, HISTORIES["recency"].to_numpy(), HISTORIES["T"].to_numpy(), gradient=False
        )
    assert np.isfinite(ll).all()


@pytest.mark.parametrize("model_class", [clv.BetaGeoModel, clv.ModifiedBetaGeoModel])
def test_bg_count_distribution_keeps_its_digits_at_a_large_r(model_class):
    """r = 1e6, α = 1e8 (a fuzzing find): r · (ln α − ln(α + t)) as a difference of two logs
    near 18.4 kept ~2e-7 of a term ~1e-2, and the PMF summed to 1 + 2.7e-9; now r · ln(1 + t/α)."""
    model = model_class.from_params({"r": 1e6, "alpha": 1e8, "a": 1.0, "b": 1.0})
    counts = model.purchase_distribution(HISTORIES, 1.0, 40).to_numpy()
    assert np.abs(counts.sum(axis=1) - 1.0).max() < 1e-12


def test_mode_search_crosses_hundreds_of_units_to_a_bend_with_c_of_1e201():
    """G' ≈ 1 − c₁ e^(w − d₁) at c₁ = 6e201: Newton moves ~1 unit of w per step from the middle
    of a bracket ~460 units wide; 100 steps stopped ~130 units short (NaN integrals)."""
    c1, a1 = 6.010046020374419e201, 40.0
    args = [np.array([v]) for v in (1.0, c1, a1, 1.0 + 3e-91, 2.7e201, -np.inf, np.log(52.3))]
    mode = LogConcave(*args).mode()[0]
    # c₂'s term is e^−900 there: the root of 1 = c₁ σ(w − ln a₁).
    assert mode == pytest.approx(np.log(a1) - np.log(c1 - 1.0), rel=1e-12)


def test_huge_shapes_give_the_limits_without_heterogeneity():
    # Pareto/NBD, λ = r/α ≈ 3.7e289 and μ = s/β = 1: E[X(t)] = λ (1 − e^−t)/μ (was inf: r/α
    # times β overflowed), dead at once without a repeat purchase in 40 (was NaN).
    huge, t = 1.7371923003654473e261, 1.0
    params = {"r": huge, "alpha": 4.63360434717746e-29, "s": huge, "beta": huge}
    out = _everything(clv.ParetoNBDModel.from_params(params), t)
    lam = huge / params["alpha"]
    assert out["new"][0] == pytest.approx(lam * -np.expm1(-t), rel=1e-12)
    assert out["expected"][0] == pytest.approx(lam * -np.expm1(-t), rel=1e-12)
    assert (out["expected"][1:] == 0.0).all() and (out["silent"][1:] == 1.0).all()
    # λ = r/α = 1e309 (beyond the largest double), μ = s/β = 1e324: E[X(t)] ≈ λ/μ = 1e-15.
    params = {"r": 1e228, "alpha": 1e-81, "s": 1e228, "beta": 1e-96}
    out = _everything(clv.ParetoNBDModel.from_params(params), t)
    assert out["new"][0] == pytest.approx(1e-15, rel=1e-12)
    # BG/NBD, λ = r/α = 1 and p ~ Beta(a, b) at r, α ~ 1e240: P(n) = B(a, b+n)/B(a, b) Poisson(n)
    # + B(a+1, b+n−1)/B(a, b) P(N ≥ n), N ~ Poisson(t) (NaN for n ≥ 2: SciPy's betainc).
    a, b = 2.0, 3.0
    model = clv.BetaGeoModel.from_params({"r": 5.87e240, "alpha": 5.87e240, "a": a, "b": b})
    got = model.probability_of_purchases([0, 1, 2, 3, 6], 2.0)
    mp.mp.dps = 30
    for n, value in zip([0, 1, 2, 3, 6], got, strict=True):
        poisson = mp.exp(-2) * mp.mpf(2) ** n / mp.factorial(n)
        tail = mp.gammainc(n, 0, 2, regularized=True) if n else 0
        share = mp.beta(a, b + n) / mp.beta(a, b)
        later = mp.beta(a + 1, b + n - 1) / mp.beta(a, b) * tail if n else 0
        assert value == pytest.approx(float(share * poisson + later), rel=1e-12)
