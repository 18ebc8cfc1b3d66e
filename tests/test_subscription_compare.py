"""compare_retention_models with covariate models, repeated labels and billing periods.

References
----------
[FH07]  Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. Journal of
        Interactive Marketing 21(1), 76-90. Eq. (5): the sBG survival of a subscriber with
        parameters (α, β) is S(t) = B(α, β + t) / B(α, β); the expected survivors of a cohort are
        the sum of its members' S(t).

Covariates enter as α_i = α₀ exp(γ_α z_i), β_i = β₀ exp(γ_β z_i) (the model's documented link);
the reference projections below are computed from these formulas with scipy's betaln, not from
the module's code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import betaln

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.subscription_value import compare_retention_models


def _sbg_survival(alpha, beta, t):
    """[FH07] eq. (5)."""
    return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))


def _two_segment_cohort(n=600, observed=5, horizon=9):
    """Premium subscribers (premium = 1) are far more loyal than the others."""
    parts = []
    for g, (a, b) in enumerate([(0.7, 1.2), (3.0, 20.0)]):
        model = clv.ShiftedBetaGeoModel.from_params({"alpha": a, "beta": b})
        sim = model.simulate(n // 2, horizon, random_state=g)
        sim["premium"] = g
        parts.append(sim)
    d = pd.concat(parts, ignore_index=True)
    cal = pd.DataFrame(
        {
            "periods": np.minimum(d["lifetime"], observed),
            "cancelled": (d["lifetime"] <= observed).astype(int),
            "premium": d["premium"],
        }
    )
    holdout = {t: int((d["lifetime"] > t).sum()) for t in range(observed + 1, horizon + 1)}
    return cal, holdout


def _covariate_sbg(params=None):
    if params is None:
        return clv.ShiftedBetaGeoModel(alpha_covariates=["premium"], beta_covariates=["premium"])
    return clv.ShiftedBetaGeoModel.from_params(
        params, alpha_covariates=["premium"], beta_covariates=["premium"]
    )


def test_models_sharing_a_label_are_both_kept():
    cal, holdout = _two_segment_cohort()
    cov = _covariate_sbg()
    result = compare_retention_models(cal, holdout=holdout, models=[cov, "sbg"])
    assert sorted(result.table["model"]) == ["sBG", "sBG (covariates: premium)"]
    assert result.models["sBG (covariates: premium)"] is cov
    assert "alpha:premium" in result.models["sBG (covariates: premium)"].params_
    assert "alpha:premium" not in result.models["sBG"].params_
    assert list(result.projection.columns) == ["actual", "sBG (covariates: premium)", "sBG"]
    # The covariate model's log-likelihood is its own, higher than the plain sBG's (nested).
    ll = result.table.set_index("model")["log_likelihood"]
    assert ll["sBG (covariates: premium)"] > ll["sBG"]


def test_distinct_alpha_and_beta_covariates_are_named():
    cal, _ = _two_segment_cohort()
    models = [clv.ShiftedBetaGeoModel(alpha_covariates=["premium"]), "sbg"]
    result = compare_retention_models(cal, models=models)
    assert sorted(result.table["model"]) == ["sBG", "sBG (alpha covariates: premium)"]


@pytest.mark.parametrize(
    "models",
    [["sbg", "sbg"], ["bdw", clv.BetaDiscreteWeibullModel()], [_covariate_sbg(), _covariate_sbg()]],
)
def test_a_repeated_label_is_refused(models):
    cal, _ = _two_segment_cohort()
    with pytest.raises(InputError, match="two models have the label"):
        compare_retention_models(cal, models=models)


def test_covariate_projection_sums_each_subscribers_survival():
    cal, holdout = _two_segment_cohort()
    params = {"alpha": 0.7, "beta": 1.2, "alpha:premium": np.log(3.0 / 0.7),
              "beta:premium": np.log(20.0 / 1.2)}  # fmt: skip
    result = compare_retention_models(cal, holdout=holdout, models=[_covariate_sbg(params)])
    t = np.arange(6, 10)
    premium = int(cal["premium"].sum())
    expected = (cal.shape[0] - premium) * _sbg_survival(0.7, 1.2, t) + premium * _sbg_survival(
        3.0, 20.0, t
    )
    projected = result.projection.iloc[:, 1].to_numpy()  # the one model's column
    np.testing.assert_allclose(projected, expected, rtol=1e-10)
    errors = np.abs(expected - np.array([holdout[k] for k in t]))
    assert result.table["holdout_mae"].iloc[0] == pytest.approx(errors.mean(), rel=1e-10)


def test_covariate_model_wins_on_two_segment_holdout():
    cal, holdout = _two_segment_cohort()
    result = compare_retention_models(cal, holdout=holdout, models=["sbg", _covariate_sbg()])
    assert result.table["model"].iloc[0] == "sBG (covariates: premium)"
    mae = result.table.set_index("model")["holdout_mae"]
    assert mae["sBG (covariates: premium)"] < mae["sBG"]


@settings(max_examples=15, deadline=None)
@given(
    alpha=st.floats(0.2, 5.0),
    beta=st.floats(0.2, 10.0),
    ga=st.floats(-2.0, 2.0),
    gb=st.floats(-2.0, 2.0),
    z=st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0]), min_size=2, max_size=12),
)
def test_projection_property_against_closed_form(alpha, beta, ga, gb, z):
    z = np.asarray([0.0, 1.0, *z])  # a constant covariate is refused
    # One cancellation: the log-likelihood row of the table needs one.
    cal = pd.DataFrame({"periods": 2, "cancelled": np.arange(z.size) == 0, "premium": z})
    model = _covariate_sbg({"alpha": alpha, "beta": beta, "alpha:premium": ga, "beta:premium": gb})
    result = compare_retention_models(cal, holdout={3: 0, 4: 0}, models=[model])
    t = np.array([3.0, 4.0])
    a_i, b_i = alpha * np.exp(ga * z), beta * np.exp(gb * z)
    expected = _sbg_survival(a_i[:, None], b_i[:, None], t[None, :]).sum(axis=0)
    np.testing.assert_allclose(result.projection.iloc[:, 1].to_numpy(), expected, rtol=1e-9)


def test_fitted_model_of_another_billing_period_is_refused():
    true = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.9, "beta": 2.0})
    table = clv.subscriptions.simulate_subscription_table(
        true, 300, "2022-01-01", "2023-12-31", period="M", random_state=5
    )
    build = clv.subscriptions.from_subscription_table
    months = build(table, observation_end="2023-12-31", period="M")
    weeks = build(table, observation_end="2023-12-31", period="W")
    model = clv.ShiftedBetaGeoModel().fit(months)
    with pytest.raises(InputError, match="billing periods in weeks"):
        compare_retention_models(weeks, models=[model])
    assert compare_retention_models(months, models=[model]).best is model


def test_holdout_log_likelihood_refuses_a_repeated_subscriber_in_words():
    """A repeated id raised pandas' InvalidIndexError from a reindex."""
    from clvmodel.subscription_value import holdout_log_likelihood

    model = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.2})
    calibration = pd.DataFrame({"periods": [2, 2, 1], "cancelled": [0, 0, 1]}, index=[1, 2, 3])
    later = pd.DataFrame({"periods": [4, 3, 1], "cancelled": [0, 1, 1]}, index=[1, 2, 2])
    with pytest.raises(clv.InputError, match=r"appear more than once in later \(for example \[2\]"):
        holdout_log_likelihood(model, calibration, later)
    with pytest.raises(clv.InputError, match="more than once in calibration"):
        holdout_log_likelihood(model, later, calibration)
