"""Count prediction intervals of covariate models scored far outside the covariates' fitted range.

A covariate 100 or 1000 times beyond the range it was fitted on is valid input: it gives extreme
per-customer parameters (a_i and b_i of 1e-40 or 1e-300 under a dropout coefficient), and the
intervals must stay finite, in range and right, with no NumPy warning. The recurrence's first
coin c_1 = b/(a + b) was formed as ((b + 1) − 1)/((a + b + 1) − 1), which cancels to 0/0 for
such a and b (NaN ``purchases_interval_mass``)."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pandas as pd
import pytest
from interval_reference import central_interval
from scipy.stats import nbinom

import clvmodel as clv
from clvmodel.errors import OutsideRangeWarning
from clvmodel.models import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel
from clvmodel.models import _interval_kernels as kernels
from clvmodel.models._count_tables import DropoutAtPurchasesCounts
from clvmodel.models._intervals import sigma_points

MODELS = {
    "bgnbd": (BetaGeoModel, dict(r=0.6, alpha=8.0, a=0.8, b=2.5)),
    "mbgnbd": (ModifiedBetaGeoModel, dict(r=0.6, alpha=8.0, a=0.8, b=2.5)),
    "pnbd": (ParetoNBDModel, dict(r=0.6, alpha=8.0, s=0.8, beta=12.0)),
}


@pytest.fixture(scope="module")
def fitted():
    """Each model fitted with a 0/1 covariate on purchases and dropout, and its table."""
    rng = np.random.default_rng(3)
    z = pd.DataFrame({"z": (rng.random(1500) < 0.4).astype(float)})
    out = {}
    for name, (cls, base) in MODELS.items():
        rfm = clv.simulate_customers_with_covariates(
            z, base, T=52.0, purchase_coefficients={"z": 0.4},
            dropout_coefficients={"z": -0.3}, seed=4, model=name,
        )  # fmt: skip
        out[name] = (cls(purchase_covariates=["z"], dropout_covariates=["z"]).fit(rfm), rfm)
    return out


def _scored(model, rfm, value, method):
    """predict(..., interval=0.9) on 150 histories with the covariate set to ``value``: the
    out-of-range warning is expected, any other warning is an error."""
    rows = rfm.iloc[::10].copy()
    rows["z"] = float(value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", OutsideRangeWarning)
        table = model.predict(rows, 39.0, interval=0.9, method=method, n_draws=20)
    return rows, table


@pytest.mark.parametrize("method", ["delta", "draws"])
@pytest.mark.parametrize("value", [100.0, 1000.0, -100.0, -1000.0])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_intervals_finite_and_in_range_far_outside_the_fitted_range(fitted, name, value, method):
    model, rfm = fitted[name]
    _, table = _scored(model, rfm, value, method)
    values = table.select_dtypes("number")
    assert np.isfinite(values.to_numpy()).all(), values.columns[
        ~np.isfinite(values.to_numpy()).all(axis=0)
    ].tolist()
    probabilities = [c for c in values if c.startswith("probability_")]
    probabilities.append("purchases_interval_mass")
    assert ((values[probabilities] >= 0.0) & (values[probabilities] <= 1.0)).all().all()
    # A count's equal-tailed interval holds at least the nominal level (up to rounding).
    assert (table["purchases_interval_mass"] >= 0.9 - 1e-12).all()
    assert (table["purchases_lower"] >= 0).all()
    assert (table["purchases_lower"] <= table["purchases_upper"]).all()


@pytest.mark.parametrize("value", [100.0, 1000.0, -100.0])
@pytest.mark.parametrize("name", ["bgnbd", "mbgnbd"])
def test_interval_agrees_with_the_model_without_covariates_at_each_customers_parameters(
    fitted, name, value
):
    # The delta-method interval by hand: at every sigma point, the model without covariates
    # built from that point's per-customer parameters (from_params with r, alpha_i, a_i, b_i)
    # gives P(alive) and the PMF given alive, mixed over the points; then the cumulative sums.
    model, rfm = fitted[name]
    rows, table = _scored(model, rfm, value, "delta")
    cls = type(model)
    x, t_x, age = (rows[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))
    # Counts up to just beyond the largest upper limit: the cumulative sums that place the
    # limits stop there (a table short of an upper limit fails the coverage check below).
    counts = np.arange(int(table["purchases_upper"].max()) + 2, dtype="float64")
    mixture = np.zeros((x.size, counts.size))
    points = sigma_points(model)
    z = np.array([[value]])
    for theta in points:
        own = {k: float(np.ravel(v)[0]) for k, v in model._individual(theta, z, z).items()}
        plain = cls.from_params(own)
        alive = plain.probability_alive(rows).to_numpy()[:, None]
        with np.errstate(all="ignore"):
            inside = cls._pmf_if_alive(own, counts[None, :], x[:, None], age[:, None], 39.0)
        assert np.isfinite(inside).all()
        mixture += alive * inside + (1.0 - alive) * (counts == 0)
    mixture /= len(points)
    assert mixture.sum(axis=1).min() > 0.95  # the table covers every upper limit
    lower, upper, mass = central_interval(mixture)
    np.testing.assert_array_equal(table["purchases_lower"], lower)
    np.testing.assert_array_equal(table["purchases_upper"], upper)
    np.testing.assert_allclose(table["purchases_interval_mass"], mass, rtol=0, atol=1e-9)


def _reference(r, alpha, a, b, t, counts):
    """P(X > k) = B(a, b + k)/B(a, b) · P(N > k), N ~ NBD(r, α, t): the first factor as
    Π_{i<k} (b + i)/(a + b + i) in 40 digits by mpmath (SciPy's betaln cancels for a, b ≫ k),
    the second from SciPy."""
    k = np.arange(counts, dtype="float64")
    coins = np.ones((a.size, counts))
    with mpmath.workdps(40):
        for row, (ai, bi) in enumerate(zip(a, b, strict=True)):
            c = mpmath.mpf(1)
            for i in range(1, counts):
                c *= (mpmath.mpf(bi) + (i - 1)) / (mpmath.mpf(ai) + mpmath.mpf(bi) + (i - 1))
                coins[row, i] = float(c)
    return coins * nbinom.sf(k[None, :], r[:, None], alpha[:, None] / (alpha[:, None] + t))


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("scale", [1e-40, 1e-200, 1e-300, 1e40, 1e200])
def test_recurrence_at_extreme_beta_parameters(scale, compiled):
    # a and b scaled together (a dropout covariate scales both): their ratio stays ordinary, so
    # c_1 = b/(a + b) does too. Both branches of the recurrence, against SciPy.
    r = np.array([0.6, 1.6, 4.6, 0.6])
    alpha = np.array([52.0, 60.0, 52.0, 1e-3])
    a = np.array([0.8, 0.3, 2.0, 0.8]) * scale
    b = np.array([2.5, 0.7, 0.5, 2.5]) * scale + np.array([0.0, 1.0, 4.0, 0.0])
    steps = DropoutAtPurchasesCounts(r, alpha, a, b, 39.0)
    step = (lambda: steps._compiled_survival(kernels)) if compiled else steps._numpy_survival
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = [step() for _ in range(60)]
    values = np.stack(values, axis=1)
    assert np.isfinite(values).all() and (values >= 0.0).all() and (values <= 1.0).all()
    np.testing.assert_allclose(values, _reference(r, alpha, a, b, 39.0, 60), rtol=1e-9, atol=1e-15)
