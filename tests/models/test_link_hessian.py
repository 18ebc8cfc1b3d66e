"""The Hessian from each row's own parameters (clvmodel/models/_link_hessian.py).

With covariates, ln θ_im = ln θ_m + sign · z_iᵀγ is linear in the working parameters, so the
Hessian of the objective is Σ_i w_i A_iᵀ h_i A_i with h_i the 2×2 or 3×3 curvature in the row's
own log-parameters. It must equal central differences of the analytic gradient over every
parameter (the route it replaces) for every model kind with covariates, at points away from
the optimum, while evaluating the gradient only twice per base parameter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.models import _link_hessian
from clvmodel.models._link_hessian import link_hessian


def _subscribers(n: int, seed: int, levels: int = 3) -> pd.DataFrame:
    """Subscribers with an age and a region of ``levels`` levels, as 0/1 columns r01, r02, ...
    (the first level the baseline, as the CLI encodes a text covariate)."""
    rng = np.random.default_rng(seed)
    age = np.round(rng.uniform(20, 60, n))
    region = rng.integers(0, levels, n)
    theta = rng.beta(np.exp(0.03 * (age - 40)), 3.0 * np.exp(0.2 * (region % 2)))
    life, observed = rng.geometric(theta), rng.integers(1, 25, n)
    cancelled = (life <= observed).astype(int)
    table = pd.DataFrame(
        {"periods": np.where(cancelled == 1, life, observed), "cancelled": cancelled, "age": age}
    )
    for level in range(1, levels):
        table[f"r{level:02d}"] = (region == level).astype(float)
    return table


def _regions(table) -> list[str]:
    return [c for c in table.columns if c.startswith("r")]


@pytest.fixture(scope="module")
def table(cdnow_rfm):
    rng = np.random.default_rng(5)
    data = cdnow_rfm.assign(z=rng.normal(size=len(cdnow_rfm)))
    data["w"] = rng.binomial(1, 0.4, len(data)).astype(float)
    return data


def _models(table):
    subscribers = _subscribers(600, seed=2, levels=6)
    regions = _regions(subscribers)
    repeat = table[table["frequency"] > 0]
    return {
        "bgnbd": (
            clv.BetaGeoModel(purchase_covariates=["z", "w"], dropout_covariates=["w"]),
            table,
        ),
        "mbgnbd": (
            clv.ModifiedBetaGeoModel(purchase_covariates=["z"], dropout_covariates=["w"]),
            table,
        ),
        "pnbd": (clv.ParetoNBDModel(purchase_covariates=["z"], dropout_covariates=["w"]), table),
        "gg": (clv.GammaGammaModel(spend_covariates=["z", "w"]), repeat),
        "sbg": (
            clv.ShiftedBetaGeoModel(alpha_covariates=["age", *regions], beta_covariates=regions),
            subscribers,
        ),
        "bdw": (
            clv.BetaDiscreteWeibullModel(alpha_covariates=["age"], beta_covariates=regions),
            subscribers,
        ),
    }


def _prepared(model, data):
    """The rows and counts the optimiser works on (covariates standardised), as in fit."""
    arrays, counts, _ = model._prepare(data, None, None)
    return model._covariate_scaling(arrays, counts).arrays, counts


def _working_gradient(model, arrays, counts):
    def gradient(phi):
        theta, _ = model._to_natural(phi)
        _, grad, _ = model._objective(theta, arrays, counts, False)
        return model._working_derivatives(theta, grad, None, counts.sum())[0]

    return gradient


@pytest.mark.parametrize("kind", ["bgnbd", "mbgnbd", "pnbd", "gg", "sbg", "bdw"])
def test_equals_differences_over_every_parameter(table, kind):
    model, data = _models(table)[kind]
    arrays, counts = _prepared(model, data)
    rng = np.random.default_rng(7)
    start = model._to_working(np.asarray(model._initial(arrays, counts), dtype="float64"))
    for _ in range(2):  # away from the optimum: coefficients not 0
        phi = start + rng.normal(scale=0.2, size=start.size)
        expected = model._numerical_hessian(_working_gradient(model, arrays, counts), phi)
        got = link_hessian(model, phi, arrays, counts)
        assert got is not None and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max())


def test_evaluates_the_gradient_twice_per_base_parameter(monkeypatch):
    data = _subscribers(2000, seed=4, levels=41)
    model = clv.ShiftedBetaGeoModel(alpha_covariates=_regions(data), beta_covariates=_regions(data))
    arrays, counts = _prepared(model, data)
    calls = []
    original = type(model)._loglik
    monkeypatch.setattr(
        type(model), "_loglik", lambda self, *a: calls.append(1) or original(self, *a)
    )
    phi = np.zeros(len(model.param_names))
    hessian = link_hessian(model, phi, arrays, counts)
    assert hessian.shape == (len(model.param_names),) * 2 == (82, 82)
    assert len(calls) == 4  # 2 × (α, β), where differences over every parameter take 164
    np.testing.assert_array_equal(hessian, hessian.T)


def test_no_covariates_or_no_gradient_leaves_it_to_the_differences(table, monkeypatch):
    plain = clv.BetaGeoModel()
    arrays, counts = _prepared(plain, table)
    assert link_hessian(plain, np.zeros(4), arrays, counts) is None
    model = clv.ShiftedBetaGeoModel(alpha_covariates=["age"])
    arrays, counts = _prepared(model, _subscribers(300, seed=1))
    monkeypatch.setattr(_link_hessian, "_own_gradients", lambda *a: None)
    assert link_hessian(model, np.zeros(3), arrays, counts) is None


def test_a_fit_gives_the_errors_of_differences_over_every_parameter(monkeypatch):
    """The fit's standard errors come from this Hessian: the same as from differences over
    every parameter (the route before), and the same optimum."""
    data = _subscribers(1500, seed=9, levels=12)
    covariates = ["age", *_regions(data)]
    fitted = clv.ShiftedBetaGeoModel(alpha_covariates=covariates).fit(data)
    monkeypatch.setattr(_link_hessian, "_own_gradients", lambda *a: None)
    before = clv.ShiftedBetaGeoModel(alpha_covariates=covariates).fit(data)
    assert fitted.log_likelihood_ == pytest.approx(before.log_likelihood_, rel=1e-9)
    np.testing.assert_allclose(fitted.params_, before.params_, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(fitted.standard_errors_, before.standard_errors_, rtol=1e-4)
