"""A covariate's unit and origin do not change a fit; linearly dependent covariates are refused.

A model with covariates gives row i its own θ_i = θ₀ exp(sign · γᵀz_i) (Fader and Hardie 2007,
"Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD models"). Replacing each
column z by a·z + b (a ≠ 0) is a linear reparametrisation of the working parameters,

    γ' = γ / a,    ln θ₀' = ln θ₀ − sign · Σ γ b / a,

so the maximum log-likelihood and every prediction are the same, the coefficients scale by 1/a
and the working covariance maps by the same matrix B: Σ' = B Σ Bᵀ. The fit works on standardised
columns (:mod:`clvmodel.models._covariate_scaling`); on the raw columns it stopped early at
1e-6·z (CDNOW BG/NBD: log-likelihood −17136.796 against −17135.821) and did not converge at
1e4·z + 2020, or ended "on an edge" with a year-like covariate.

The delta-method intervals use sigma points φ̂ ± √k·Lᵢ of the working covariance (Σ = LLᵀ from its
eigenvectors), whose spread is the delta method's gᵀΣg to first order only: the second-order
term depends on the square root L, which differs between parametrisations. With the images of the
same sigma points the intervals agree to the digits of the fit (checked below); with each model's
own sigma points they agree to the size of that second-order term (within 2 % here).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import clvmodel as clv
import clvmodel.models._interval_draws as interval_draws
from clvmodel.errors import InputError, StatisticalWarning
from clvmodel.models._covariate_scaling import CovariateScaling
from clvmodel.models._covariates import times_exp

# (a, b) of a·z + b: a quantity recorded in millionths, and a year-like origin with a unit 1e4.
TRANSFORMS = {"tiny": (1e-6, 0.0), "year": (1e4, 2020.0)}


@dataclass
class Case:
    """A model kind with covariates: how to build it, its data, predictions and intervals."""

    make: Any  # () -> unfitted model
    data: pd.DataFrame
    columns: list
    links: dict  # coefficient prefix -> {base parameter: sign}
    predict: Any  # (model, data) -> DataFrame of point predictions
    intervals: Any  # (model, data) -> DataFrame with interval columns


def _subscribers(n: int, seed: int) -> pd.DataFrame:
    """sBG subscribers whose α grows with age (whole years, 20-60) and β with a 0/1 premium."""
    rng = np.random.default_rng(seed)
    age = np.round(rng.uniform(20, 60, n))
    premium = (rng.random(n) < 0.5).astype(float)
    theta = rng.beta(np.exp(0.04 * (age - 40)), 3.0 * np.exp(0.8 * premium))
    life, observed = rng.geometric(theta), rng.integers(1, 25, n)
    cancelled = (life <= observed).astype(int)
    periods = np.where(cancelled == 1, life, observed)
    return pd.DataFrame(
        {"periods": periods, "cancelled": cancelled, "age": age, "premium": premium}
    )


def _purchase_case(cls, table, purchase, dropout):
    return Case(
        lambda: cls(purchase_covariates=purchase, dropout_covariates=dropout),
        table,
        ["z", "w"],
        {"purchase": cls.covariate_links["purchase"], "dropout": cls.covariate_links["dropout"]},
        lambda m, d: m.predict(d, 52),
        lambda m, d: m.predict(d.head(400), 52, interval=0.9),
    )


def _contractual_case(cls, n):
    return Case(
        lambda: cls(alpha_covariates=["age"], beta_covariates=["premium"]),
        _subscribers(n, seed=3),
        ["age", "premium"],
        {"alpha": {"alpha": 1.0}, "beta": {"beta": 1.0}},
        lambda m, d: m.predict(d.head(500), 12),
        lambda m, d: m.predict(d.head(50), 12, interval=0.9),  # BdW: a few s per 100
    )


def _spend_case(table, plain):
    return Case(
        lambda: clv.GammaGammaModel(spend_covariates=["z", "w"]),
        table,
        ["z", "w"],
        {"spend": {"v": 1.0}},
        lambda m, d: m.expected_spend(d).to_frame(),
        lambda m, d: clv.customer_lifetime_value(plain, m, d.head(400), "12M", 0.1, interval=0.9),
    )


@pytest.fixture(scope="module")
def table(cdnow_rfm):
    """The CDNOW sample calibration table with a normal and a 0/1 covariate (seeded)."""
    rng = np.random.default_rng(11)
    data = cdnow_rfm.assign(z=rng.normal(size=len(cdnow_rfm)))
    data["w"] = rng.binomial(1, 0.4, len(data)).astype(float)
    return data


@pytest.fixture(scope="module", params=["bgnbd", "mbgnbd", "pnbd", "gg", "sbg", "bdw"])
def case(request, table, fitted_bg):
    kind = request.param
    if kind == "bgnbd":
        return _purchase_case(clv.BetaGeoModel, table, ["z", "w"], ["w"])
    if kind == "mbgnbd":
        return _purchase_case(clv.ModifiedBetaGeoModel, table, ["z", "w"], ["w"])
    if kind == "pnbd":
        return _purchase_case(clv.ParetoNBDModel, table, ["z"], ["w"])
    if kind == "gg":
        return _spend_case(table, fitted_bg)  # BG/NBD on the same CDNOW table (conftest.py)
    if kind == "sbg":
        return _contractual_case(clv.ShiftedBetaGeoModel, 3000)
    return _contractual_case(clv.BetaDiscreteWeibullModel, 1500)


def _transformed(data, columns, a, b):
    out = data.copy()
    for column in columns:
        out[column] = a * data[column] + b
    return out


@pytest.fixture(scope="module")
def fits(case):
    """The fit on the columns as they are, and on each transform of them."""
    fitted = {"unit": (case.make().fit(case.data), case.data)}
    for label, (a, b) in TRANSFORMS.items():
        data = _transformed(case.data, case.columns, a, b)
        fitted[label] = (case.make().fit(data), data)
    return fitted


@pytest.fixture(scope="module")
def expected(case, fits):
    """The reference fit's point predictions and intervals, computed once per case: the tests
    below only read them (each compares them with those of a transformed fit)."""
    reference, data = fits["unit"]
    return {"predict": case.predict(reference, data), "intervals": case.intervals(reference, data)}


def _reparametrisation(model, links, a, b) -> np.ndarray:
    """B with φ' = B φ: the working parameters of the fit on a·z + b from those on z."""
    names = list(model.param_names)
    matrix = np.eye(len(names))
    for c, name in enumerate(names):
        if ":" not in name:
            continue
        matrix[c, c] = 1.0 / a
        for base, sign in links[name.split(":", 1)[0]].items():
            matrix[names.index(base), c] = -sign * b / a
    return matrix


@pytest.mark.parametrize("label", list(TRANSFORMS))
def test_the_same_maximum_and_coefficients_times_the_scale(case, fits, label):
    (reference, _), (model, _) = fits["unit"], fits[label]
    a, b = TRANSFORMS[label]
    assert model.log_likelihood_ == pytest.approx(reference.log_likelihood_, rel=1e-6)
    coefficients = [n for n in model.param_names if ":" in n]
    np.testing.assert_allclose(
        model.params_[coefficients] * a, reference.params_[coefficients], rtol=1e-5, atol=1e-7
    )
    working = reference._to_working(reference.params_.to_numpy())
    mapped = _reparametrisation(model, case.links, a, b) @ working
    got = model._to_working(model.params_.to_numpy())
    np.testing.assert_allclose(got, mapped, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("label", list(TRANSFORMS))
def test_the_covariance_and_standard_errors_map_exactly(case, fits, label):
    (reference, _), (model, _) = fits["unit"], fits[label]
    a, b = TRANSFORMS[label]
    inverse = np.linalg.inv(_reparametrisation(model, case.links, a, b))
    back = inverse @ model.covariance_.to_numpy() @ inverse.T
    expected = reference.covariance_.to_numpy()
    atol = 1e-6 * np.abs(np.diag(expected)).max()
    np.testing.assert_allclose(back, expected, rtol=1e-4, atol=atol)
    coefficients = [n for n in model.param_names if ":" in n]
    np.testing.assert_allclose(
        model.standard_errors_[coefficients] * abs(a),
        reference.standard_errors_[coefficients],
        rtol=1e-4,
    )


@pytest.mark.parametrize("label", list(TRANSFORMS))
def test_the_same_predictions(case, fits, expected, label):
    model, scaled = fits[label]
    got = case.predict(model, scaled)
    np.testing.assert_allclose(
        got.to_numpy(), expected["predict"].to_numpy(), rtol=1e-5, atol=1e-12
    )


def _assert_same_limits(got: pd.DataFrame, expected: pd.DataFrame, rtol: float) -> None:
    """The interval limits of two prediction tables agree where both are finite (an infinite
    mean lifetime has no interval to compare), the count quantiles (whole numbers) aside."""
    columns = [c for c in expected.columns if c.endswith(("_lower", "_upper"))]
    columns = [c for c in columns if not c.startswith("purchases_")]
    finite = np.isfinite(got[columns].to_numpy()) & np.isfinite(expected[columns].to_numpy())
    assert finite.sum() > 0.4 * finite.size
    np.testing.assert_allclose(
        got[columns].to_numpy()[finite], expected[columns].to_numpy()[finite], rtol=rtol
    )


@pytest.mark.parametrize("label", list(TRANSFORMS))
def test_delta_intervals_at_the_same_sigma_points_are_equal(
    case, fits, expected, label, monkeypatch
):
    (reference, _), (model, scaled) = fits["unit"], fits[label]
    a, b = TRANSFORMS[label]
    # The images, in the transformed model's parameters, of the reference's sigma points.
    matrix = _reparametrisation(model, case.links, a, b)
    working = [reference._to_working(theta) for theta in interval_draws.sigma_points(reference)]
    images = np.array([model._to_natural(matrix @ phi)[0] for phi in working])
    original = interval_draws.sigma_points
    monkeypatch.setattr(
        interval_draws, "sigma_points", lambda m: images if m is model else original(m)
    )
    _assert_same_limits(case.intervals(model, scaled), expected["intervals"], rtol=1e-4)


@pytest.mark.parametrize("label", list(TRANSFORMS))
def test_delta_intervals_agree_to_second_order(case, fits, expected, label):
    """Each model's own sigma points. A subscriber's expected residual lifetime is left out: near
    α_i = 1, where it becomes infinite, it is too far from linear in the parameters for the
    second-order term to be small (its limits differ by up to 4 %)."""
    model, scaled = fits[label]
    reference, got = expected["intervals"], case.intervals(model, scaled)
    lifetime = [c for c in reference.columns if c.startswith("expected_residual_lifetime")]
    _assert_same_limits(got.drop(columns=lifetime), reference.drop(columns=lifetime), rtol=2e-2)


# ---------------------------------------------------------------------------------------------
# Covariates of any scale on the CDNOW sample to 1998-06-30 (weeks), built on a normal covariate.
@pytest.fixture(scope="module")
def full_period(cdnow_sample):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        rfm = clv.rfm_summary(cdnow_sample, observation_end="1998-06-30", time_unit="W")
    rfm["z1"] = np.random.default_rng(0).normal(size=len(rfm))
    rfm["z2"] = (np.random.default_rng(1).random(len(rfm)) < 0.4).astype(float)
    return rfm


@pytest.fixture(scope="module")
def unit_fit(full_period):
    return clv.BetaGeoModel(purchase_covariates=["z1"]).fit(full_period)


@pytest.mark.parametrize(
    ("a", "b"), [(1e-6, 0.0), (1e4, 50_000.0), (1.0, 2020.0), (1e9, 0.0)], ids=str
)
def test_income_and_year_like_covariates_converge_without_warnings(full_period, unit_fit, a, b):
    data = full_period.assign(z=a * full_period["z1"] + b)
    with warnings.catch_warnings():
        warnings.simplefilter("error", StatisticalWarning)
        model = clv.BetaGeoModel(purchase_covariates=["z"]).fit(data)
    assert model.log_likelihood_ == pytest.approx(unit_fit.log_likelihood_, rel=1e-9)
    assert model.params_["purchase:z"] * a == pytest.approx(
        unit_fit.params_["purchase:z1"], rel=1e-5
    )
    np.testing.assert_allclose(
        model.expected_purchases(data, 52), unit_fit.expected_purchases(full_period, 52), rtol=1e-6
    )


def test_a_base_parameter_beyond_floating_point_is_refused_naming_the_covariate():
    """Coefficient 0.5 on a year (2020 + z): α₀ = α̃ e^{0.5 · 2020} overflows."""
    rng = np.random.default_rng(5)
    z = pd.DataFrame({"z": rng.normal(size=3000)})
    rfm = clv.simulate_customers_with_covariates(
        z, {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}, T=52.0, purchase_coefficients={"z": 0.5},
        seed=2,
    )  # fmt: skip
    rfm["year"] = 2020.0 + z["z"].to_numpy()
    centred = clv.BetaGeoModel(purchase_covariates=["z"]).fit(rfm)
    assert centred.params_["purchase:z"] == pytest.approx(
        0.5, abs=4 * centred.standard_errors_["purchase:z"]
    )
    with pytest.raises(InputError, match=r"'year' \(mean 20\d\d.*Centre"):
        clv.BetaGeoModel(purchase_covariates=["year"]).fit(rfm)


def test_predictions_with_large_linear_predictors_are_those_of_the_centred_model(full_period):
    """α_i = α₀ exp(−3 (120 + z_i)) with α₀ = 5 e^360 is α_i = 5 exp(−3 z_i): a linear predictor
    of 360 used to be clipped at 300, giving every customer the same α."""
    data = full_period.assign(years=120.0 + full_period["z1"])
    base = {"r": 0.25, "a": 0.6, "b": 2.6}
    raw = clv.BetaGeoModel.from_params(
        {**base, "alpha": 5.0 * np.exp(360.0), "purchase:years": 3.0},
        purchase_covariates=["years"],
    )
    centred = clv.BetaGeoModel.from_params(
        {**base, "alpha": 5.0, "purchase:z1": 3.0}, purchase_covariates=["z1"]
    )
    np.testing.assert_allclose(
        raw.expected_purchases(data, 52, time_unit="W"),
        centred.expected_purchases(data, 52, time_unit="W"),
        rtol=1e-9,
    )


# ---------------------------------------------------------------------------------------------
# Linearly dependent covariates.
@pytest.mark.parametrize(
    ("extra", "columns", "named"),
    [
        ({"coll": lambda t: 2 * t["z1"] + 1}, ["z1", "coll"], ["z1", "coll"]),
        ({"not_z2": lambda t: 1.0 - t["z2"]}, ["z2", "not_z2"], ["z2", "not_z2"]),
        (
            {"z3": lambda t: t["z1"] ** 2, "sum": lambda t: t["z1"] - 3 * t["z2"]},
            ["z1", "z3", "z2", "sum"],
            ["z1", "z2", "sum"],
        ),
    ],
    ids=["affine", "dummy-trap", "three-of-four"],
)
@pytest.mark.parametrize("kind", ["purchase", "dropout", "spend"])
def test_linearly_dependent_covariates_are_refused_naming_them(
    full_period, extra, columns, named, kind
):
    data = full_period.assign(**extra)
    if kind == "spend":
        model = clv.GammaGammaModel(spend_covariates=columns)
    else:
        model = clv.ParetoNBDModel(**{f"{kind}_covariates": columns})
    with pytest.raises(InputError, match="linearly dependent") as raised:
        model.fit(data)
    message = str(raised.value)
    assert f"{kind}_covariates {named}" in message
    assert all(f"'{c}'" in message for c in named)
    assert all(f"'{c}'" not in message for c in set(columns) - set(named))


def test_dependent_subscription_covariates_are_refused():
    data = _subscribers(500, seed=0)
    data["not_premium"] = 1.0 - data["premium"]
    model = clv.ShiftedBetaGeoModel(beta_covariates=["premium", "not_premium"])
    with pytest.raises(InputError, match=r"beta_covariates \['premium', 'not_premium'\]"):
        model.fit(data)
    # The same column on both links is two processes, each of full rank.
    both = clv.ShiftedBetaGeoModel(alpha_covariates=["premium"], beta_covariates=["premium"])
    assert np.isfinite(both.fit(data).log_likelihood_)


# ---------------------------------------------------------------------------------------------
# Properties of the map and of the rows' own parameters.
@settings(max_examples=50, deadline=None)
@given(log_base=st.floats(-650, 650), eta=st.floats(-1000, 1000))
def test_times_exp_is_the_product_wherever_it_is_representable(log_base, eta):
    base = float(np.exp(log_base))
    value = times_exp(base, np.array([eta]))[0]
    assert np.isfinite(value) and value > 0
    if abs(eta) <= 300 and abs(log_base + eta) < 700:
        assert np.log(value) == pytest.approx(log_base + eta, abs=1e-9)
    elif abs(eta) > 300:
        bound = min(300 + abs(log_base), 700)
        assert np.log(value) == pytest.approx(np.clip(log_base + eta, -bound, bound), abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    scale=st.floats(1e-8, 1e8),
    negative=st.booleans(),
    offset=st.floats(-250, 250),
    effects=st.lists(st.floats(-2, 2), min_size=3, max_size=3),
    seed=st.integers(0, 2**32 - 1),
)
def test_rows_parameters_are_the_same_on_the_standardised_columns(
    scale, negative, offset, effects, seed
):
    """θ̃₀ exp(sign δᵀu) at the standardised fit's parameters equals θ₀ exp(sign γᵀz) at the
    user's, for columns z = ±scale · (N(0, 1) + offset), and the two maps are inverses."""
    rng = np.random.default_rng(seed)
    z = (-scale if negative else scale) * (rng.normal(size=(60, 2)) + offset)
    frequency = rng.integers(0, 5, 60)
    rows = pd.DataFrame(
        {"frequency": frequency, "recency": np.where(frequency > 0, 10.0, 0.0), "T": 20.0}
    ).assign(z=z[:, 0], w=z[:, 1])
    model = clv.BetaGeoModel(purchase_covariates=["z", "w"], dropout_covariates=["w"])
    histories, counts, _ = model._prepare(rows, None)
    scaling = CovariateScaling(model, histories, counts)
    scaled = np.array([np.log(0.3), np.log(5.0), np.log(0.8), np.log(2.5), *effects])
    user = scaling.to_user(scaled)
    # A base parameter beyond a float at covariates 0 (ln α₀ = 712.7 for offset 150) has no
    # model in the user's units: the fit refuses it (the test of such a base, above).
    assume(np.all(np.abs(user[:4]) < 700))
    np.testing.assert_allclose(scaling.to_scaled(user), scaled, rtol=1e-9, atol=1e-9)
    standard = scaling.arrays
    mine = model._individual(model._to_natural(user)[0], histories.z_purchase, histories.z_dropout)
    theirs = model._individual(
        model._to_natural(scaled)[0], standard.z_purchase, standard.z_dropout
    )
    for name in ("alpha", "a", "b"):
        np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-8)
    centre = np.average(standard.z_purchase, axis=0, weights=counts)
    spread = np.average(standard.z_purchase**2, axis=0, weights=counts)
    np.testing.assert_allclose(centre, 0.0, atol=1e-9)
    np.testing.assert_allclose(spread, 1.0, rtol=1e-9)
