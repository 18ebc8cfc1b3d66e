"""BG/NBD's one-pass objective (clvmodel/models/_beta_geo_fit.py) and the Newton fit.

The value, gradient and Hessian must equal (to 1e-9 relative) the aggregated objective clvmodel
used before (kept in tests/models/bg_objective_reference.py), the row-by-row log-likelihood of
eq. (6) (BetaGeoModel._row_loglik, summed with counts), and central differences.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import clvmodel as clv
from clvmodel.models import _fit, _optimise
from clvmodel.models._beta_geo_fit import Histories, objective
from clvmodel.models._compress import compress_rows
from clvmodel.models.beta_geo import BetaGeoModel


def _load_reference():
    path = Path(__file__).with_name("bg_objective_reference.py")
    spec = importlib.util.spec_from_file_location("bg_objective_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._Histories, module.objective


ReferenceHistories, reference_objective = _load_reference()

POINTS = [
    np.array([0.24, 4.4, 0.79, 2.4]),  # near CDNOW's estimates (weeks)
    np.array([1.3, 20.0, 0.2, 7.0]),
    np.array([0.05, 300.0, 3.0, 0.5]),
    np.array([4.0, 0.5, 0.02, 40.0]),
]


@pytest.fixture(scope="module", params=["weeks", "days"])
def histories(request):
    """Distinct histories of 20,000 simulated customers (BG/NBD), with counts."""
    rng = np.random.default_rng(11)
    days = rng.integers(1, 400, 20_000).astype("float64")
    T = days / 7 if request.param == "weeks" else days
    rfm = clv.simulate_customers(20_000, dict(r=0.3, alpha=5.0, a=0.8, b=2.5), T=T, seed=2)
    # Recency in whole days, as an RFM summary gives it, so that many histories repeat.
    recency = rfm["recency"].to_numpy()
    recency = np.round(recency * 7) / 7 if request.param == "weeks" else np.round(recency)
    (x, t_x, age), counts = compress_rows(rfm["frequency"].to_numpy(), recency, T)
    assert counts.size < 20_000  # rows do repeat
    return x, t_x, age, counts


def _scale(counts):
    return counts.sum()


@pytest.mark.parametrize("theta", POINTS)
def test_equals_the_previous_aggregated_objective(histories, theta):
    x, t_x, age, counts = histories
    ll, grad, hess = objective(theta, Histories(x, t_x, age, counts), hessian=True)
    ref = reference_objective(theta, ReferenceHistories(x, t_x, age, counts), counts, True)
    np.testing.assert_allclose(ll, ref[0], rtol=1e-12)
    # Components near zero lose relative digits to cancellation: compare on the sum's scale.
    np.testing.assert_allclose(grad, ref[1], rtol=1e-9, atol=1e-12 * _scale(counts))
    np.testing.assert_allclose(hess, ref[2], rtol=1e-9, atol=1e-12 * _scale(counts))
    ll0, grad0, none = objective(theta, Histories(x, t_x, age, counts), hessian=False)
    assert none is None and ll0 == ll
    np.testing.assert_array_equal(grad0, grad)


@pytest.mark.parametrize("theta", POINTS)
def test_equals_eq6_row_by_row_and_central_differences(histories, theta):
    x, t_x, age, counts = histories
    h = Histories(x, t_x, age, counts)
    ll, grad, hess = objective(theta, h, hessian=True)
    p = dict(zip(("r", "alpha", "a", "b"), theta, strict=True))
    rows, row_grad = BetaGeoModel._row_loglik(p, x, t_x, age, gradient=True)
    np.testing.assert_allclose(ll, counts @ rows, rtol=1e-11)
    np.testing.assert_allclose(grad, row_grad @ counts, rtol=1e-9, atol=1e-11 * counts.sum())
    # Central differences of the value (gradient) and of the analytic gradient (Hessian).
    steps = 1e-5 * theta
    for j in range(4):
        up, down = theta.copy(), theta.copy()
        up[j] += steps[j]
        down[j] -= steps[j]
        f_up, g_up, _ = objective(up, h, hessian=False)
        f_down, g_down, _ = objective(down, h, hessian=False)
        assert (f_up - f_down) / (2 * steps[j]) == pytest.approx(
            grad[j], rel=1e-5, abs=1e-6 * counts.sum() / theta[j]
        )
        difference = (g_up - g_down) / (2 * steps[j]) - hess[:, j]
        bound = 1e-5 * np.abs(hess[:, j]) + 1e-6 * counts.sum() / (theta[j] * theta)
        assert np.all(np.abs(difference) <= bound), (j, difference, hess[:, j])


def test_newton_steps_reach_the_trust_region_optimum(cdnow_rfm, monkeypatch):
    newton = BetaGeoModel().fit(cdnow_rfm)
    # Hardie's published estimates for the CDNOW sample: r = 0.2426, α = 4.4137, a = 0.7930,
    # b = 2.4262 (Fader, Hardie and Lee 2005, section 5), log-likelihood −9582.43.
    np.testing.assert_allclose(newton.params_, [0.2426, 4.4137, 0.7930, 2.4262], rtol=1e-3)
    assert newton.log_likelihood_ == pytest.approx(-9582.43, abs=0.01)
    monkeypatch.setattr(_optimise, "_NEWTON_STEPS", 0)  # straight to scipy's trust-exact
    trust = BetaGeoModel().fit(cdnow_rfm)
    np.testing.assert_allclose(newton.params_, trust.params_, rtol=1e-7)
    np.testing.assert_allclose(newton.standard_errors_, trust.standard_errors_, rtol=1e-6)


def test_newton_gives_up_on_an_indefinite_hessian():
    calls = []

    def saddle(z):
        calls.append(z)
        return float(z[0] ** 2 - z[1] ** 2), np.array([2 * z[0], -2 * z[1]]), np.diag([2.0, -2.0])

    assert _optimise._newton(saddle, np.array([1.0, 1.0]), 1e-9, 50) is None
    bowl = _optimise._newton(
        lambda z: (float(z @ z), 2 * z, 2 * np.eye(2)), np.array([1.5, -1.0]), 1e-12, 50
    )
    np.testing.assert_allclose(bowl.x, 0.0, atol=1e-12)
    assert bowl.nit == 1


def test_a_model_with_a_fused_hessian_is_fitted_by_newton_steps(cdnow_rfm):
    """The protocol's optional _row_loglik_grad_hess: here MBG/NBD's per-row Hessian by central
    differences of its analytic per-row gradient; the Newton fit must reach the optimum of the
    BFGS fit without it."""

    def fused(p, x, t_x, T):
        ll, grad = clv.ModifiedBetaGeoModel._row_loglik(p, x, t_x, T, gradient=True)
        names = ("r", "alpha", "a", "b")
        hess = np.empty((4, 4, ll.size))
        for j, name in enumerate(names):
            step = 1e-6 * p[name]
            up = clv.ModifiedBetaGeoModel._row_loglik({**p, name: p[name] + step}, x, t_x, T)[1]
            down = clv.ModifiedBetaGeoModel._row_loglik({**p, name: p[name] - step}, x, t_x, T)[1]
            hess[:, j] = (up - down) / (2 * step)
        return ll, grad, (hess + hess.transpose(1, 0, 2)) / 2

    class FusedMBG(clv.ModifiedBetaGeoModel):
        _row_loglik_grad_hess = staticmethod(fused)

    _fit.REGISTRY.pop("FusedMBG")  # a test class, not a model to load files of
    plain, newton = clv.ModifiedBetaGeoModel(), FusedMBG()
    assert not plain._analytic_hessian and newton._analytic_hessian
    plain.fit(cdnow_rfm)
    newton.fit(cdnow_rfm)
    np.testing.assert_allclose(newton.params_, plain.params_, rtol=1e-5)
    assert newton.log_likelihood_ == pytest.approx(plain.log_likelihood_, abs=1e-6)
    assert newton.n_iterations_ < plain.n_iterations_


def test_row_loglik_keeps_its_digits_when_a_and_b_are_large():
    """Eq. (6) with a dropout distribution collapsing onto its mean (a, b ~ 10^6, where the
    apparel covariate fit ends): against mpmath at 40 digits. betaln's difference lost ~1e-10."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    p = {"r": 0.6, "alpha": 38.0, "a": 1.16e6, "b": 8.58e6}
    x = np.array([0.0, 1.0, 3.0, 20.0])
    t_x = np.array([0.0, 4.0, 30.0, 90.0])
    T = np.array([10.0, 50.0, 60.0, 100.0])
    got, _ = BetaGeoModel._row_loglik(p, x, t_x, T, gradient=False)
    r, alpha, a, b = (mpmath.mpf(p[k]) for k in ("r", "alpha", "a", "b"))
    for i in range(x.size):
        xi, ti, Ti = (mpmath.mpf(float(v[i])) for v in (x, t_x, T))
        alive = (alpha + Ti) ** -(r + xi)
        dead = a / (b + xi - 1) * (alpha + ti) ** -(r + xi) if x[i] > 0 else 0
        expected = (
            mpmath.loggamma(r + xi)
            - mpmath.loggamma(r)
            + r * mpmath.log(alpha)
            + mpmath.log(mpmath.beta(a, b + xi) / mpmath.beta(a, b))
            + mpmath.log(alive + dead)
        )
        assert got[i] == pytest.approx(float(expected), rel=1e-13, abs=1e-12)
