"""Contractual models with a continuous covariate: predictions per distinct (tenure, covariates)
row, and the new-cohort functions.

Checks:

* with covariates, every per-subscriber prediction (``predict``, ``retention_curve``,
  ``probability_cancel`` with one horizon per subscriber) equals a loop over the subscribers of
  the plain model at each subscriber's own α_i = α₀ exp(γ_α z_i), β_i = β₀ exp(γ_β z_i) (and c):
  the model definition (Fader and Hardie 2007 for sBG, Fader et al. 2018 for BdW, with the
  log-links of :mod:`clvmodel.models._contractual`), whatever the rows' order, repeats and
  cancellations, and whatever the number of rows summed together;
* intervals of many subscribers at once equal those of each subscriber alone;
* ``survival_function``, ``retention_rate``, ``discounted_expected_lifetime`` and
  ``lifetime_value_new`` of a model with covariates refuse to run without the new subscribers'
  covariates, and with ``data=`` are the cohort's: the mean of the subscribers' own S_i(t) and
  DEL_i(d), and the rate S̄(t)/S̄(t − 1) of the mean curve.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clvmodel.models._contractual_derl as derl_module
from clvmodel.errors import InputError
from clvmodel.models.beta_discrete_weibull import BetaDiscreteWeibullModel
from clvmodel.models.shifted_beta_geo import ShiftedBetaGeoModel

pytestmark = pytest.mark.filterwarnings("error")

MODELS = {"sBG": ShiftedBetaGeoModel, "BdW": BetaDiscreteWeibullModel}
SETTINGS = {"alpha_covariates": ["age"], "beta_covariates": ["premium"]}


def _model(cls, alpha, beta, c, g_age, g_premium):
    params = {"alpha": alpha, "beta": beta, "alpha:age": g_age, "beta:premium": g_premium}
    if cls is BetaDiscreteWeibullModel:
        params["c"] = c
    return cls.from_params(params, **SETTINGS)


def _own_models(model, data):
    """The plain model at each subscriber's own parameters (the log-links, as the model
    defines them)."""
    p = model.params_
    alpha = p["alpha"] * np.exp(data["age"].to_numpy() * p["alpha:age"])
    beta = p["beta"] * np.exp(data["premium"].to_numpy() * p["beta:premium"])
    cls = type(model)
    extra = {"c": p["c"]} if "c" in p else {}
    return [
        cls.from_params({"alpha": a, "beta": b, **extra}) for a, b in zip(alpha, beta, strict=True)
    ]


def _subscribers(rng, n):
    """Subscribers with a continuous age (centred) and a 0/1 premium flag, some cancelled, some
    rows repeated."""
    rows = pd.DataFrame(
        {
            "periods": rng.integers(1, 30, n),
            "cancelled": (rng.random(n) < 0.3).astype("int64"),
            "age": np.round(rng.uniform(-1.5, 1.5, n), 3),
            "premium": (rng.random(n) < 0.5).astype(float),
        },
        index=pd.Index(rng.permutation(1000)[:n] + 1000, name="subscriber"),
    )
    repeated = rows.iloc[: n // 4].set_axis(rows.index[: n // 4] + 5000)
    return pd.concat([rows, repeated]).sample(frac=1.0, random_state=1)


def _one_at_a_time(model, data, method, *args):
    """``method`` of each subscriber's own plain model on their own row."""
    parts = []
    for own, (label, row) in zip(_own_models(model, data), data.iterrows(), strict=True):
        frame = pd.DataFrame(
            [row[["periods", "cancelled"]].astype("int64")],
            index=pd.Index([label], name=data.index.name),
        )
        parts.append(getattr(own, method)(frame, *args))
    return pd.concat(parts)


parameters = st.tuples(
    st.floats(0.3, 3.0),  # α₀
    st.floats(0.3, 5.0),  # β₀
    st.floats(0.6, 1.6),  # c (BdW)
    st.floats(-1.0, 1.0),  # γ_α (age)
    st.floats(-1.0, 1.0),  # γ_β (premium)
)


@pytest.mark.parametrize("name", sorted(MODELS))
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(values=parameters, seed=st.integers(0, 2**16))
def test_predictions_equal_each_subscribers_plain_model(name, values, seed, monkeypatch):
    monkeypatch.setattr(derl_module, "_ROW_CHUNK", 3)  # several chunks of summed rows
    model = _model(MODELS[name], *values)
    data = _subscribers(np.random.default_rng(seed), 8)
    got = model.predict(data, 4, discount_rate=0.05)
    expected = _one_at_a_time(model, data, "predict", 4, 0.05)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, atol=0.0)
    curve = model.retention_curve(data, 6)
    expected = _one_at_a_time(model, data, "retention_curve", 6)
    pd.testing.assert_frame_equal(curve, expected, check_exact=False, rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_horizon_per_subscriber_uses_their_own_parameters(name):
    model = _model(MODELS[name], 0.8, 2.0, 0.9, 0.5, -0.7)
    data = _subscribers(np.random.default_rng(3), 40)
    horizon = np.arange(len(data)) % 5
    got = model.probability_cancel(data, horizon)
    expected = [
        own.probability_cancel(row.to_frame().T[["periods", "cancelled"]].astype("int64"), k)
        for own, (_, row), k in zip(_own_models(model, data), data.iterrows(), horizon, strict=True)
    ]
    np.testing.assert_allclose(got, pd.concat(expected).to_numpy(), rtol=1e-13, atol=0.0)
    assert (got[data["cancelled"] == 1] == 1.0).all()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_intervals_of_many_subscribers_equal_those_of_each_alone(name, monkeypatch):
    monkeypatch.setattr(derl_module, "_ROW_CHUNK", 2)
    rng = np.random.default_rng(5)
    rows = _subscribers(rng, 400)
    truth = _model(MODELS[name], 1.2, 3.0, 1.1, 0.6, 0.8)
    # One subscriber drawn from each own model, in the rows' order: their covariates are the rows'.
    draws = [own.simulate(1, 24, random_state=rng) for own in _own_models(truth, rows)]
    table = pd.concat(draws, ignore_index=True)
    assert len(table) == len(rows)
    table = table.assign(age=rows["age"].to_numpy(), premium=rows["premium"].to_numpy())
    fitted = MODELS[name](**SETTINGS).fit(table)
    data = rows.head(7)
    together = fitted.predict(data, 3, 0.02, interval=0.9)
    alone = pd.concat([fitted.predict(data.iloc[[i]], 3, 0.02, interval=0.9) for i in range(7)])
    pd.testing.assert_frame_equal(together, alone, check_exact=False, rtol=1e-12, atol=0.0)
    assert (together["derl_lower"] < together["derl_upper"])[data["cancelled"] == 0].all()


# --------------------------------------------------------------------------------------------------
# A new cohort
@pytest.mark.parametrize("name", sorted(MODELS))
def test_cohort_functions_refuse_a_model_with_covariates_without_data(name):
    model = _model(MODELS[name], 0.8, 2.0, 0.9, 0.5, -0.7)
    calls = [
        lambda: model.survival_function(12),
        lambda: model.retention_rate([1, 2]),
        lambda: model.discounted_expected_lifetime(0.01),
        lambda: model.lifetime_value_new(10.0, 0.5, 0.01),
    ]
    for call in calls:
        with pytest.raises(InputError, match=r"covariates \['age', 'premium'\].*pass data="):
            call()


@pytest.mark.parametrize("name", sorted(MODELS))
@settings(max_examples=10, deadline=None)
@given(values=parameters, seed=st.integers(0, 2**16), d=st.sampled_from([0.0, 0.01, 0.2]))
def test_cohort_functions_with_data_average_the_subscribers(name, values, seed, d):
    model = _model(MODELS[name], *values)
    data = _subscribers(np.random.default_rng(seed), 6)
    own = _own_models(model, data)
    t = np.array([0, 1, 5, 12])
    curves = np.array([m.survival_function(t) for m in own])
    np.testing.assert_allclose(model.survival_function(t, data), curves.mean(axis=0), rtol=1e-13)
    assert model.survival_function(5, data) == pytest.approx(curves[:, 2].mean(), rel=1e-13)
    later = np.array([m.survival_function(t + 1) for m in own])
    rate = model.retention_rate(t + 1, data)  # of the cohort: S̄(t + 1)/S̄(t)
    np.testing.assert_allclose(rate, later.mean(axis=0) / curves.mean(axis=0), rtol=1e-12)
    lifetimes = np.array([m.discounted_expected_lifetime(d) for m in own])
    got = model.discounted_expected_lifetime(d, data)
    if np.isfinite(lifetimes).all():
        assert got == pytest.approx(lifetimes.mean(), rel=1e-12)
        value = model.lifetime_value_new(20.0, 0.4, d, data)
        assert value == pytest.approx(8.0 * lifetimes.mean(), rel=1e-12)
    else:
        assert got == np.inf
        with pytest.raises(InputError, match="infinite"):
            model.lifetime_value_new(20.0, 0.4, d, data)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_cohort_functions_of_a_plain_model_ignore_data(name):
    params = {"alpha": 0.704, "beta": 1.182} | ({"c": 0.9} if name == "BdW" else {})
    model = MODELS[name].from_params(params)
    data = pd.DataFrame({"age": [1.0, 2.0, 3.0]})
    t = np.arange(1, 9)
    np.testing.assert_array_equal(model.survival_function(t, data), model.survival_function(t))
    np.testing.assert_array_equal(model.retention_rate(t, data), model.retention_rate(t))
    assert model.discounted_expected_lifetime(0.1, data) == model.discounted_expected_lifetime(0.1)
    with pytest.raises(InputError, match="no rows"):
        model.survival_function(t, data.iloc[:0])


def test_simulate_refuses_a_covariate_model():
    # It drew every subscriber at covariates 0, whatever the subscribers' own covariates.
    model = ShiftedBetaGeoModel.from_params(
        {"alpha": 1.0, "beta": 2.0, "alpha:age": 0.1}, alpha_covariates=["age"]
    )
    with pytest.raises(InputError, match=r"has covariates \['age'\]; simulate each group"):
        model.simulate(10, 5)


@pytest.mark.parametrize("model_class", [ShiftedBetaGeoModel, BetaDiscreteWeibullModel])
def test_predict_computes_only_the_columns_asked_for(model_class):
    # The command line's score and the price plan use two columns; the undiscounted residual
    # lifetime, BdW's costliest sum, was computed at every sigma point and thrown away.
    rng = np.random.default_rng(0)
    params = {
        "alpha": 1.2,
        "beta": 2.0,
        **({"c": 0.9} if model_class is BetaDiscreteWeibullModel else {}),
    }
    subscribers = model_class.from_params(params).simulate(200, rng.integers(1, 13, 200), 1)
    subscribers["age"] = rng.uniform(20, 60, 200).round(1)
    model = model_class(alpha_covariates=["age"]).fit(subscribers)
    scored = subscribers.head(60)
    full = model.predict(scored, 12, 0.01, interval=0.9)
    which = ["probability_cancel", "derl"]
    part = model.predict(scored, 12, 0.01, which=which, interval=0.9)
    assert list(part.columns) == [*which, *(f"{n}_{s}" for n in which for s in ("lower", "upper"))]
    pd.testing.assert_frame_equal(part, full[part.columns])
    with pytest.raises(InputError, match="which must name some of"):
        model.predict(subscribers, 12, which=["retention"])
    with pytest.raises(InputError, match="'derl', which needs a discount_rate"):
        model.predict(subscribers, 12, which="derl")
