"""Covariates on the contractual models: α_i = α₀ exp(γ_αᵀz_i), β_i = β₀ exp(γ_βᵀz_i).

Checks: the analytic gradient against central differences; zero coefficients give the plain
model; each subscriber's predictions equal those of a plain model at their own α_i, β_i
(closed form via scipy's betaln); simulation recovery for sBG (and BdW) within 3 standard errors;
the coefficients survive a save and load.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from gradient_check import assert_gradient_matches_central_differences
from scipy.special import betaln

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.models.beta_discrete_weibull import BetaDiscreteWeibullModel
from clvmodel.models.shifted_beta_geo import ShiftedBetaGeoModel

pytestmark = pytest.mark.filterwarnings("error")

TRUE = {"alpha": 0.8, "beta": 2.0, "alpha:plan": 0.4, "beta:plan": -0.5, "beta:channel": 0.6}


def _simulate(cls, params, n, seed, c=None):
    """Subscribers with a 0/1 plan and channel, observed 6-24 periods, drawn per group from the
    plain model at the group's own α, β."""
    rng = np.random.default_rng(seed)
    plan, channel = rng.integers(0, 2, n), rng.integers(0, 2, n)
    alpha = params["alpha"] * np.exp(params["alpha:plan"] * plan)
    beta = params["beta"] * np.exp(params["beta:plan"] * plan + params["beta:channel"] * channel)
    observed = rng.integers(6, 25, n)
    rows = pd.DataFrame(index=pd.RangeIndex(n), columns=["periods", "cancelled"], dtype="int64")
    for a, b in sorted(set(zip(alpha, beta, strict=True))):
        members = np.flatnonzero((alpha == a) & (beta == b))
        own = {"alpha": a, "beta": b} if c is None else {"alpha": a, "beta": b, "c": c}
        draws = cls.from_params(own).simulate(members.size, observed[members], random_state=rng)
        rows.loc[members, ["periods", "cancelled"]] = draws[["periods", "cancelled"]].to_numpy()
    return rows.astype("int64").assign(plan=plan, channel=channel)


@pytest.fixture(scope="module")
def data():
    return _simulate(ShiftedBetaGeoModel, TRUE, 20_000, seed=1)


@pytest.fixture(scope="module")
def fitted(data):
    return ShiftedBetaGeoModel(alpha_covariates=["plan"],
                               beta_covariates=["plan", "channel"]).fit(data)  # fmt: skip


def test_simulation_recovery(fitted):
    estimate, se = fitted.params_, fitted.standard_errors_
    for name, value in TRUE.items():
        assert abs(estimate[name] - value) < 3 * se[name], (name, estimate[name], se[name])


def test_gradient_matches_central_differences(data, fitted):
    model = fitted
    arrays, counts, _ = model._prepare(data, None)
    theta = model.params_.to_numpy() * np.array([1.1, 0.9, 1.0, 1.0, 1.0]) + [0, 0, 0.1, -0.2, 0]
    assert_gradient_matches_central_differences(model, theta, arrays, counts, abs_tol=1e-3)


def test_zero_coefficients_are_the_plain_model(data):
    plain = ShiftedBetaGeoModel().fit(data)
    zero = ShiftedBetaGeoModel.from_params(
        {**plain.params_.to_dict(), "beta:plan": 0.0}, beta_covariates=["plan"]
    )
    arrays, counts, _ = zero._prepare(data, None)
    assert counts @ zero._loglik(zero._check_fitted(), arrays)[0] == pytest.approx(
        plain.log_likelihood_, rel=1e-12
    )
    subs = data.head(50)
    pd.testing.assert_frame_equal(zero.predict(subs, 6, 0.01), plain.predict(subs, 6, 0.01))


def test_predictions_use_each_subscribers_parameters(fitted):
    p = fitted.params_
    subs = pd.DataFrame(
        {"periods": [0, 5, 5, 12, 3], "cancelled": [0, 0, 0, 0, 1], "plan": [0, 1, 0, 1, 1],
         "channel": [1, 0, 0, 1, 0]}, index=list("abcde"),
    )  # fmt: skip
    risk = fitted.probability_cancel(subs, 4)
    curve = fitted.retention_curve(subs, 3)
    for key, row in subs.iterrows():
        a = p["alpha"] * np.exp(p["alpha:plan"] * row.plan)
        b = p["beta"] * np.exp(p["beta:plan"] * row.plan + p["beta:channel"] * row.channel)
        t = row.periods
        if row.cancelled:
            assert risk[key] == 1.0 and (curve.loc[key] == 0).all()
            continue
        assert risk[key] == pytest.approx(1 - np.exp(betaln(a, b + t + 4) - betaln(a, b + t)))
        expected = np.exp(betaln(a, b + t + np.arange(4)) - betaln(a, b + t))
        np.testing.assert_allclose(curve.loc[key], expected, rtol=1e-12)
        own = ShiftedBetaGeoModel.from_params({"alpha": a, "beta": b})
        one = subs.loc[[key], ["periods", "cancelled"]]
        assert fitted.discounted_expected_residual_lifetime(subs.loc[[key]], 0.01).iloc[
            0
        ] == pytest.approx(own.discounted_expected_residual_lifetime(one, 0.01).iloc[0])


def test_bdw_covariates_recover():
    params = {**TRUE, "alpha": 1.2}
    data = _simulate(BetaDiscreteWeibullModel, params, 12_000, seed=5, c=0.8)
    model = BetaDiscreteWeibullModel(alpha_covariates=["plan"],
                                     beta_covariates=["plan", "channel"]).fit(data)  # fmt: skip
    truth = {**params, "c": 0.8}
    for name, value in truth.items():
        assert abs(model.params_[name] - value) < 3.5 * model.standard_errors_[name], name
    assert model.predict(data.head(20), 3, 0.01)["derl"].notna().all()


def test_save_and_load_keep_the_covariates(fitted, tmp_path):
    loaded = clv.load(fitted.save(tmp_path / "sbg.json"))
    assert loaded.alpha_covariates == ["plan"] and loaded.beta_covariates == ["plan", "channel"]
    pd.testing.assert_series_equal(loaded.params_, fitted.params_)
    subs = pd.DataFrame({"periods": [4], "cancelled": [0], "plan": [1], "channel": [1]})
    pd.testing.assert_frame_equal(loaded.predict(subs, 6, 0.01), fitted.predict(subs, 6, 0.01))


def test_covariate_errors(fitted):
    with pytest.raises(InputError, match="no covariate column 'channel'"):
        fitted.predict(pd.DataFrame({"periods": [1], "cancelled": [0], "plan": [1]}), 2)
    with pytest.raises(InputError, match="constant"):
        ShiftedBetaGeoModel(beta_covariates=["plan"]).fit(
            pd.DataFrame({"periods": [1, 2, 3], "cancelled": [1, 0, 1], "plan": 1})
        )
    with pytest.raises(InputError, match="more than once"):
        ShiftedBetaGeoModel(alpha_covariates=["plan", "plan"])
