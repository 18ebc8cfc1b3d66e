"""Model files' fit counts checked on load; the subscription models' probability of cancelling
within 0 periods is +0.0; their values at discount_rate=0 refused when infinite."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.errors import InputError

SUBSCRIBERS = pd.DataFrame({"periods": [0, 3, 10, 4], "cancelled": [0, 0, 0, 1]})


def _write(document: dict, folder, name: str = "bad.json"):
    path = folder / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _with_fit(model, key: str, value) -> dict:
    """The model's document with ``fit[key]`` set to ``value``."""
    document = json.loads(json.dumps(model.to_dict()))
    document["fit"][key] = value
    return document


# --------------------------------------------------------------------------------------------------
# Fit counts in a model file.
BAD_COUNTS = [
    ("n_customers", -3),
    ("n_customers", 0),
    ("n_customers", 2.5),
    ("n_customers", 2357.0),  # whole, but a float: the fit writes an integer
    ("n_customers", True),
    ("n_customers", 10**400),
    ("n_customers", None),
    ("n_customers", "2357"),
    ("n_distinct_rows", 0),
    ("n_distinct_rows", -1),
    ("n_distinct_rows", 1.5),
    ("n_distinct_rows", False),
    ("n_iterations", -1),
    ("n_iterations", 0.5),
    ("n_iterations", True),
]


@pytest.mark.parametrize(
    ("key", "value"), BAD_COUNTS, ids=[f"{k}={v!r}"[:40] for k, v in BAD_COUNTS]
)
def test_load_refuses_a_tampered_fit_count(key, value, fitted_bg, tmp_path):
    path = _write(_with_fit(fitted_bg, key, value), tmp_path)
    for load in (clv.load_model, clv.load):
        with pytest.raises(clv.ModelFileError, match=rf"'fit' section's {key} = .* whole number"):
            load(path)
    with pytest.raises(clv.ModelFileError, match=key):
        clv.BetaGeoModel.from_dict(_with_fit(fitted_bg, key, value))


def test_the_least_counts_load_and_the_ones_below_are_refused(fitted_bg, tmp_path):
    least = {"n_customers": 1, "n_distinct_rows": 1, "n_iterations": 0}
    document = json.loads(json.dumps(fitted_bg.to_dict()))
    document["fit"].update(least)
    loaded = clv.load_model(_write(document, tmp_path, "least.json"))
    assert (loaded.n_customers_, loaded.n_distinct_rows_, loaded.n_iterations_) == (1, 1, 0)
    for key, value in least.items():
        below = _write(_with_fit(fitted_bg, key, value - 1), tmp_path, f"{key}.json")
        with pytest.raises(clv.ModelFileError, match=f"{key} = {value - 1} is not a whole number"):
            clv.load_model(below)


def test_a_subscription_model_file_refuses_a_tampered_customer_count(tmp_path):
    truth = clv.ShiftedBetaGeoModel.from_params({"alpha": 1.3, "beta": 2.0})
    data = truth.simulate(500, 8, random_state=3)[["periods", "cancelled"]]
    model = clv.ShiftedBetaGeoModel().fit(data)
    assert clv.load_model(model.save(tmp_path / "ok.json")).n_customers_ == 500
    with pytest.raises(clv.ModelFileError, match="n_customers = 0 is not a whole number ≥ 1"):
        clv.load_model(_write(_with_fit(model, "n_customers", 0), tmp_path))


@pytest.mark.parametrize("weight", [0.0, 0.0005])
def test_spend_model_refuses_weights_summing_to_under_two_customers(weight, cdnow_rfm):
    # It wrote n_customers 0 (0.0005 per row) or divided by zero (0 per row).
    with pytest.raises(InputError, match="cannot fit GammaGammaModel on .* repeat buyer"):
        clv.GammaGammaModel().fit(cdnow_rfm, weights=np.full(len(cdnow_rfm), weight))


def test_a_weighted_spend_model_round_trips(cdnow_rfm, tmp_path):
    weights = np.full(len(cdnow_rfm), 0.01)
    buyers = (cdnow_rfm["frequency"] > 0) & (cdnow_rfm["monetary_value"] > 0)
    expected = int(weights[buyers.to_numpy()].sum())  # the weights' sum, truncated
    assert expected >= 2
    model = clv.GammaGammaModel().fit(cdnow_rfm, weights=weights)
    loaded = clv.load_model(model.save(tmp_path / "gg.json"))
    assert loaded.n_customers_ == model.n_customers_ == expected
    with pytest.raises(clv.ModelFileError, match=f"n_customers = {expected + 0.5}"):
        clv.load_model(_write(_with_fit(model, "n_customers", expected + 0.5), tmp_path))


# --------------------------------------------------------------------------------------------------
# The subscription models.
def _models():
    return [
        clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182}),
        clv.BetaDiscreteWeibullModel.from_params({"alpha": 0.704, "beta": 1.182, "c": 1.1}),
    ]


@pytest.mark.parametrize("model", _models(), ids=["sBG", "BdW"])
def test_probability_of_cancelling_within_zero_periods_is_plus_zero(model):
    active = SUBSCRIBERS["cancelled"].to_numpy() == 0
    for values in (
        model.probability_cancel(SUBSCRIBERS, 0).to_numpy(),
        model.probability_cancel(SUBSCRIBERS, [0, 0, 0, 0]).to_numpy(),
        model.predict(SUBSCRIBERS, 0)["probability_cancel"].to_numpy(),
        model.predict(SUBSCRIBERS, [0, 0, 0, 0], 0.1)["probability_cancel"].to_numpy(),
    ):
        assert (values[active] == 0.0).all()
        assert not np.signbit(values).any()
    assert "-0.0" not in model.predict(SUBSCRIBERS, 0).to_csv()
    mixed = model.probability_cancel(SUBSCRIBERS, [0, 1, 0, 0]).to_numpy()
    assert not np.signbit(mixed).any() and 0.0 < mixed[1] < 1.0


@pytest.mark.parametrize(
    ("model", "condition"),
    list(zip(_models(), ["α ≤ 1", "cα ≤ 1"], strict=True)),
    ids=["sBG", "BdW"],
)
def test_values_at_discount_rate_zero_are_refused_when_infinite(model, condition):
    message = rf"is infinite at discount_rate=0: .*infinite \({condition},"
    with pytest.raises(InputError, match="the residual value " + message):
        model.residual_value(SUBSCRIBERS, price=100.0, margin=0.3, discount_rate=0)
    with pytest.raises(InputError, match="the lifetime value of a new subscriber " + message):
        model.lifetime_value_new(price=100.0, margin=0.3, discount_rate=0.0)
    with pytest.raises(InputError, match="residual value is infinite"):
        model.residual_value(SUBSCRIBERS, price=0.0, margin=0.3, discount_rate=0)  # not NaN
    # The lifetimes themselves stay inf; the cancelled have no residual value to refuse.
    assert model.discounted_expected_lifetime(0.0) == np.inf
    assert np.isinf(model.discounted_expected_residual_lifetime(SUBSCRIBERS, 0.0)[:3]).all()
    cancelled = SUBSCRIBERS[SUBSCRIBERS.cancelled == 1]
    assert model.residual_value(cancelled, 100.0, 0.3, 0.0).tolist() == [0.0]
    # With a finite mean lifetime (α > 1) the values at d = 0 are given as before.
    finite = type(model).from_params({**model.params_.to_dict(), "alpha": 1.704})
    derl = finite.discounted_expected_residual_lifetime(SUBSCRIBERS, 0.0)
    value = finite.residual_value(SUBSCRIBERS, price=100.0, margin=0.3, discount_rate=0)
    np.testing.assert_allclose(value, 30.0 * derl, rtol=1e-15)
    assert np.isfinite(value).all() and value.iloc[3] == 0.0
    new = finite.lifetime_value_new(price=100.0, margin=0.3, discount_rate=0)
    assert new == pytest.approx(30.0 * finite.discounted_expected_lifetime(0.0), rel=1e-15)


def test_the_refusal_reads_as_subscriber_churn_risks():
    model = _models()[0]
    with pytest.raises(InputError) as own:
        model.residual_value(SUBSCRIBERS, price=100.0, margin=0.3, discount_rate=0.0)
    with pytest.raises(InputError) as churn:
        clv.subscriber_churn_risk(model, SUBSCRIBERS, 1, price=100.0, discount_rate=0.0)
    assert str(own.value) == str(churn.value)
