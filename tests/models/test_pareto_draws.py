"""Pareto/NBD's own path for intervals from parameter draws (clvmodel.models._pareto_draws) and
its count distribution on one quadrature grid for all counts (clvmodel.models._pareto_counts),
against the generic path of clvmodel.models._intervals and the per-count quadrature of
clvmodel.models._pareto_special.

The draws path interpolates ln J, the tail of the death integral, per distinct x and draw, with a
checked error of 1e-10 (plus the quadrature's own 3e-11): P(alive), E[Y] and P(no purchase)
then err by at most 2ε relative (module docstring), so their limits are compared to 1e-8
relative; the count limits use the same survival tables on both paths and must be identical."""

from __future__ import annotations

import copy
import warnings
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.models import _pareto_draws
from clvmodel.models._intervals import interval_columns
from clvmodel.models._pareto_counts import ParetoCounts, count_survival
from clvmodel.models._pareto_draws import draw_interval_columns, tail_curves
from clvmodel.models._pareto_special import _integrals, pmf_if_alive

WHICH = ("probability_alive", "expected_purchases", "probability_no_purchase")
RTOL = 1e-8


def _random_parameters(rng, n, wide=True):
    """Posterior parameters (r', α', s, β') and horizons over wide ranges, log-uniform."""

    def log_uniform(lo, hi):
        return np.exp(rng.uniform(np.log(lo), np.log(hi), n))

    if wide:
        return (log_uniform(0.02, 300), log_uniform(0.05, 1e4), log_uniform(0.05, 50),
                log_uniform(0.05, 1e4), log_uniform(0.01, 3e3))  # fmt: skip
    return (log_uniform(0.1, 30), log_uniform(1, 1e3), log_uniform(0.2, 5),
            log_uniform(1, 1e3), log_uniform(1, 400))  # fmt: skip


def test_counts_agree_with_the_per_count_quadrature():
    """1 − Σ_{j≤k} P(j) from pmf_if_alive (mpmath-validated to ~1e-11) against the grid for all
    counts, over wide parameter ranges, up to where the survival is negligible."""
    r, alpha, s, beta, t = _random_parameters(np.random.default_rng(0), 150)
    k_max = 40
    ours = count_survival(r, alpha, s, beta, t, k_max)
    ks = np.arange(k_max + 1)
    pmf = pmf_if_alive(r[:, None], alpha[:, None], s[:, None], beta[:, None], ks, t[:, None])
    theirs = 1.0 - np.cumsum(pmf, axis=1)
    assert np.abs(ours - theirs).max() < 1e-9


def test_counts_converge_with_the_grid():
    """Twice the nodes per panel (24) change nothing beyond 1e-12: the panels resolve every
    count's integrand, whatever the parameters (r' up to 1000, k up to 300)."""
    from clvmodel.models import _pareto_kernels as kernels

    rng = np.random.default_rng(1)
    r, alpha, s, beta, t = _random_parameters(rng, 300)
    r = r * np.exp(rng.uniform(0.0, 1.2, r.size))  # up to ~1000 (terms carried scaled)
    k_max = 300
    ours = count_survival(r, alpha, s, beta, t, k_max)
    nodes, weights = np.polynomial.legendre.leggauss(24)
    fine = np.empty_like(ours)
    kernels.count_survival(r, alpha, s, beta, t, 0, k_max, (nodes + 1.0) / 2.0, weights / 2.0,
                           1.5, fine)  # fmt: skip
    assert np.abs(ours - fine).max() < 1e-12


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_count_distribution_sums_to_one_with_the_right_mean(seed):
    """The pmf sums to 1 and its mean Σ_k P(X > k) equals the closed form E[Y | alive]."""
    rng = np.random.default_rng(seed)
    r, alpha, s, beta, t = _random_parameters(rng, 20, wide=False)
    alpha, t = alpha + 5.0, np.minimum(t, 100.0)  # means up to ~200: the counts below reach
    survival = count_survival(r, alpha, s, beta, t, 2000)
    assert np.all(survival[:, -1] < 1e-12)
    assert np.all(np.diff(survival, axis=1) <= 1e-15)
    params = {"r": r, "alpha": alpha, "s": s, "beta": beta}
    mean = clv.ParetoNBDModel._expected_if_alive(params, 0.0, 0.0, t)
    # Survival is 1 − Σ_{j≤k} P(j): once it is ~0, a rounding floor of a few ulp of 1 remains,
    # and 2,001 of them add up to ~2e-12 for a customer whose mean is tiny (seed 1330).
    floor = survival.shape[1] * 4 * np.finfo(float).eps
    np.testing.assert_allclose(survival.sum(axis=1), mean, rtol=1e-9, atol=floor)


def test_counts_by_blocks_are_the_counts_on_one_grid():
    """ParetoCounts' blocks (0–15, 16–47, 48–111, …), with elements dropped on the way, give the
    values of one grid per block: within the grids' agreement."""
    r, alpha, s, beta, t = _random_parameters(np.random.default_rng(2), 60, wide=False)
    steps = ParetoCounts(r, alpha, s, beta, t)
    whole = count_survival(r, alpha, s, beta, t, 120)
    kept = np.arange(r.size)
    for k in range(121):
        np.testing.assert_allclose(steps.survival(), whole[kept, k], rtol=0, atol=1e-12)
        if k == 10:
            mask = np.arange(kept.size) % 3 > 0
            steps.keep(mask)
            kept = kept[mask]


@pytest.mark.parametrize("y_hi", [1e3, 1e7])
def test_tail_interpolants_match_the_quadrature(y_hi):
    """ln J from the Chebyshev interpolants against the quadrature at random points, for
    ranges of y up to 1e7 and x up to 400: within 1e-9 (the checked 1e-10 plus the
    quadrature's own error)."""
    rng = np.random.default_rng(3)
    draws = 40
    params = (rng.uniform(0.3, 3.0, draws), rng.uniform(5.0, 200.0, draws),
              rng.uniform(0.3, 3.0, draws), rng.uniform(5.0, 900.0, draws))  # fmt: skip
    xs = np.array([0.0, 1.0, 7.0, 60.0, 400.0])
    y_lo = np.array([0.0, 0.5, 3.0, 10.0, 100.0])
    curves = tail_curves(params, xs, y_lo, np.full(xs.size, y_hi))
    assert curves.served.all()
    curve = rng.integers(0, xs.size, 300)
    y = y_lo[curve] + (y_hi - y_lo[curve]) * rng.uniform(0.0, 1.0, 300) ** 3
    ours = curves.log_tail(curve, y)
    j = np.arange(draws)
    shape = (y.size, draws)
    columns = (*(v[j] for v in params), xs[curve][:, None])
    cols = [np.broadcast_to(v, shape).ravel() for v in columns]
    with np.errstate(divide="ignore"):
        log_y = np.broadcast_to(np.log(y)[:, None], shape).ravel()
    exact = _integrals(*cols, log_y, np.full(log_y.size, np.inf), 0)[0].reshape(shape)
    assert np.abs(ours - exact).max() < 1e-9


def _compare(ours, theirs):
    assert list(ours) == list(theirs)
    for name in ours:
        a, b = np.asarray(ours[name]), np.asarray(theirs[name])
        if name in ("purchases_lower", "purchases_upper"):
            np.testing.assert_array_equal(a, b, err_msg=name)
        elif name == "purchases_interval_mass":
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-9, err_msg=name)
        else:
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-300, err_msg=name)


@pytest.fixture(scope="module")
def cdnow(cdnow_rfm):
    rfm = cdnow_rfm  # tests/conftest.py: the sample's RFM to 1997-09-30, weeks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = clv.ParetoNBDModel().fit(rfm)
    generic = copy.copy(model)
    generic._draw_interval_columns = None  # the hook switched off: the generic path
    return rfm, model, generic


def test_cdnow_columns_agree_with_the_generic_path(cdnow):
    rfm, model, generic = cdnow
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = model.predict(rfm, 52.0, interval=0.9, method="draws", n_draws=100, seed=1)
    theirs = generic.predict(rfm, 52.0, interval=0.9, method="draws", n_draws=100, seed=1)
    _compare({c: ours[c] for c in ours.columns}, {c: theirs[c] for c in theirs.columns})


def _histories(rng, n, extremes):
    """Random RFM rows, with extremes mixed in: no repeat purchase, t_x = T, T = 0, huge ages,
    heavy buyers."""
    age = rng.uniform(0.0, 100.0, n)
    x = rng.poisson(rng.gamma(0.5, 4.0, n)).astype("float64")
    t_x = np.where(x > 0, age * rng.uniform(0.0, 1.0, n), 0.0)
    if extremes:
        kind = rng.integers(0, 5, n)
        t_x = np.where((kind == 1) & (x > 0), age, t_x)
        huge = kind == 2
        age = np.where(huge, 1e6, age)
        t_x = np.where(huge & (x > 0), rng.uniform(0.0, 1e6, n), t_x)
        zero = kind == 3
        age, x, t_x = np.where(zero, 0.0, age), np.where(zero, 0.0, x), np.where(zero, 0.0, t_x)
        x = np.where(kind == 4, rng.integers(50, 400, n), x)
        t_x = np.where(kind == 4, age * rng.uniform(0.5, 1.0, n), t_x)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": age})


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(1, 60),
    n_draws=st.integers(2, 40),
    level=st.floats(0.5, 0.99),
    extremes=st.booleans(),
    horizon=st.sampled_from(["scalar", "zero", "per row"]),
)
def test_same_columns_as_the_generic_path(cdnow, seed, n, n_draws, level, extremes, horizon):
    _, model, generic = cdnow
    rng = np.random.default_rng(seed)
    rfm = _histories(rng, n, extremes)
    t = {"scalar": 52.0, "zero": 0.0, "per row": rng.uniform(0.0, 150.0, n)}[horizon]
    # Interpolants for every x, however few its histories (not integrated per row instead).
    with warnings.catch_warnings(), mock.patch.object(_pareto_draws, "_FEW", 0):
        warnings.simplefilter("error")
        ours = model.predict(rfm, t, interval=level, method="draws", n_draws=n_draws, seed=seed)
    theirs = generic.predict(rfm, t, interval=level, method="draws", n_draws=n_draws, seed=seed)
    _compare({c: ours[c] for c in ours.columns}, {c: theirs[c] for c in theirs.columns})


@pytest.mark.parametrize("few", [0, 16])
def test_extreme_draws_fall_back_to_the_quadrature(cdnow, few):
    """Draws whose tail decays too slowly for the interpolant (r + s < 0.25 at x = 0), and x
    values with few histories (``few``), are integrated per row, and heavy buyers' tiny
    P(no purchase | alive) per group: the columns still agree with the generic path."""
    _, model, _ = cdnow
    rng = np.random.default_rng(4)
    rfm = _histories(rng, 80, True)
    points = np.array([[0.08, 3.0, 0.1, 8.0], [0.5, 10.0, 0.6, 12.0], [4.0, 2.0, 0.6, 30.0],
                       [0.1, 50.0, 0.1, 1.0], [1.0, 10.0, 2.0, 12.0]])  # fmt: skip
    histories = (rfm["frequency"].to_numpy(), rfm["recency"].to_numpy(), rfm["T"].to_numpy(),
                 np.empty((80, 0)), np.empty((80, 0)))  # fmt: skip
    with warnings.catch_warnings(), mock.patch.object(_pareto_draws, "_FEW", few):
        warnings.simplefilter("error")
        ours = draw_interval_columns(model, points, 0.8, histories, 30.0, WHICH)
    generic = copy.copy(model)
    generic._draw_interval_columns = None
    theirs = interval_columns(generic, points, "draws", 0.8, {}, histories, 30.0, WHICH)
    _compare(ours, theirs)


def test_covariates_take_the_generic_path(cdnow):
    _, model, _ = cdnow
    histories = (np.ones(3), np.ones(3), np.full(3, 2.0), np.ones((3, 1)), np.empty((3, 0)))
    assert model._draw_interval_columns(np.ones((2, 5)), 0.9, histories, 1.0, WHICH) is None
