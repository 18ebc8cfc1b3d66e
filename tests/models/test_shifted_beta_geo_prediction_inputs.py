"""Tests of the prediction arguments of ``ShiftedBetaGeoModel`` (contractual models).

* A horizon or price given as a Series is matched by subscriber id (not by position), and a
  Series missing an id is refused; a horizon as text or a Duration is a clear error, as are
  several periods for ``retention_curve``.
* A price table ended in a raw pandas error; a ``retention_curve`` too large for memory got the
  process killed.
* A missing covariate column is named in subscription words (no "rfm" or "time_unit").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.subscription_churn import subscriber_churn_risk

# The "regular" cohort of Fader and Hardie (2007), "How to project customer retention", Table 1.
REGULAR = {"alpha": 0.704, "beta": 1.182}
SBG = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182})
SUBS = pd.DataFrame({"periods": [0, 1], "cancelled": [0, 0]})


@pytest.fixture
def sbg():
    return clv.ShiftedBetaGeoModel.from_params(REGULAR, time_unit="M")


@pytest.fixture
def subscribers():
    return pd.DataFrame(
        {"periods": [0, 10, 3], "cancelled": [0, 0, 0], "price": [10.0, 20.0, 30.0]},
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )


def _one_by_one(method, data, values):
    """The prediction of each subscriber alone, with their own value of the argument."""
    return [float(method(data.loc[[i]], values[i]).iloc[0]) for i in data.index]


def test_horizon_series_is_matched_by_subscriber_id(sbg, subscribers):
    horizon = pd.Series({"c": 2, "a": 1, "b": 5})  # another order than the table's
    expected = _one_by_one(sbg.probability_cancel, subscribers, horizon)
    got = sbg.probability_cancel(subscribers, horizon)
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12)
    predicted = sbg.predict(subscribers, horizon, 0.1)["probability_cancel"]
    np.testing.assert_allclose(predicted.to_numpy(), expected, rtol=1e-12)


def test_horizon_series_missing_an_id_is_refused(sbg, subscribers):
    with pytest.raises(InputError, match="no value for customer id"):
        sbg.probability_cancel(subscribers, pd.Series({"a": 1, "b": 5}))


def test_price_series_is_matched_by_subscriber_id(sbg, subscribers):
    price = pd.Series({"c": 30.0, "a": 10.0, "b": 20.0})
    by_column = sbg.residual_value(subscribers, "price", 0.5, 0.1)
    by_series = sbg.residual_value(subscribers, price, 0.5, 0.1)
    np.testing.assert_allclose(by_series.to_numpy(), by_column.to_numpy(), rtol=1e-12)
    scores = subscriber_churn_risk(sbg, subscribers, 1, price=price, discount_rate=0.01)
    assert scores["price"].to_dict() == {"a": 10.0, "b": 20.0, "c": 30.0}


@pytest.mark.parametrize("horizon", ["12M", "1Y", clv.Duration(1, "Y"), "3"])
def test_horizon_as_text_or_duration_is_a_clear_error(sbg, subscribers, horizon):
    for call in (
        lambda: sbg.probability_cancel(subscribers, horizon),
        lambda: sbg.predict(subscribers, horizon),
        lambda: sbg.retention_curve(subscribers, horizon),
    ):
        with pytest.raises(InputError, match="billing period"):
            call()


def test_retention_curve_with_several_periods_is_a_clear_error(sbg, subscribers):
    with pytest.raises(InputError, match="one whole number"):
        sbg.retention_curve(subscribers, [1, 2])


def test_residual_value_refuses_a_price_table():
    # Before: "ValueError: Length of values (1) does not match length of index (2)" from pandas.
    with pytest.raises(
        InputError, match=r"price must be one number or one per subscriber.*\(1, 2\)"
    ):
        SBG.residual_value(SUBS, [[10.0, 20.0]], 1.0, 0.1)


def test_residual_value_flat_prices_still_work():
    # DERL(0.1) of t = 0 and 1 at the "regular" estimates, times price × margin.
    derl = SBG.discounted_expected_residual_lifetime(SUBS, 0.1).to_numpy()
    value = SBG.residual_value(SUBS, [10.0, 20.0], 0.5, 0.1).to_numpy()
    assert value.tolist() == pytest.approx([5.0 * derl[0], 10.0 * derl[1]])


def test_retention_curve_refuses_a_table_too_large_for_memory():
    # Before: retention_curve(data, 10**9) built 2 × 10^9 values and the process was killed.
    with pytest.raises(
        InputError, match=r"retention_curve\(periods=1000000000\).*probability_cancel"
    ):
        SBG.retention_curve(SUBS, 10**9)
    assert SBG.retention_curve(SUBS, 12).shape == (2, 13)


def test_a_missing_covariate_column_is_named_in_subscription_words(subscribers):
    rows = subscribers.assign(premium=[0.0, 1.0, 0.0])
    model = clv.ShiftedBetaGeoModel.from_params(
        {**REGULAR, "alpha:premium": 0.2}, alpha_covariates=["premium"]
    )
    calls = (
        lambda: model.probability_cancel(subscribers, 1),
        lambda: model.survival_function(3, data=subscribers),
        lambda: clv.ShiftedBetaGeoModel(beta_covariates=["premium"]).fit(subscribers),
    )
    for call in calls:
        with pytest.raises(InputError, match="no covariate column 'premium'") as caught:
            call()
        assert "rfm" not in str(caught.value) and "time_unit" not in str(caught.value)
    assert model.probability_cancel(rows, 1).notna().all()
