"""Tests of the messages of the subscriber churn scores (``clv.subscription_churn``).

They name the model's own condition for an infinite lifetime (cα ≤ 1 for the BdW model) and the
argument the user gave (``annual_rate``, ``increases``), and refuse churn tiers on weighted rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel import subscriptions
from clvmodel.errors import InputError
from clvmodel.subscription_churn import (
    annual_to_period_rate,
    subscriber_churn_risk,
    subscriber_price_plan,
)

# Fader and Hardie (2007), "How to project customer retention", the "regular" cohort.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]


def test_infinite_residual_value_names_c_alpha_for_the_weibull_model():
    # α = 1.1 > 1 but c·α = 0.55 ≤ 1: BdW's expected lifetime is infinite; the message used to
    # blame "α ≤ 1", which this α is not.
    bdw = clv.BetaDiscreteWeibullModel.from_params({"alpha": 1.1, "beta": 1.2, "c": 0.5})
    subs = pd.DataFrame({"periods": [0, 3], "cancelled": [0, 0]})
    with pytest.raises(InputError, match="cα ≤ 1"):
        subscriber_churn_risk(bdw, subs, 1, price=10.0, discount_rate=0.0)


def test_infinite_residual_value_names_alpha_for_the_sbg_model():
    sbg = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.2})
    subs = pd.DataFrame({"periods": [0, 3], "cancelled": [0, 0]})
    with pytest.raises(InputError, match=r"\(α ≤ 1"):
        subscriber_churn_risk(sbg, subs, 1, price=10.0, discount_rate=0.0)


@pytest.mark.parametrize("rate", [10, 1.0, -0.1, "ten"])
def test_annual_rate_error_names_annual_rate(rate):
    # It used to say "discount_rate must be a fraction per billing period" for the annual rate.
    with pytest.raises(InputError, match=r"^annual_rate must be a fraction per year"):
        annual_to_period_rate(rate, "M")


def test_price_plan_increases_as_a_numpy_array():
    # Before: an array of 2 increases was taken as 3 tiers: "thresholds=[0.2] make 2 tiers, but
    # tiers= has 3 labels ['low', 'medium', 'high'] (the default)", tiers the caller never gave.
    sbg = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182}, time_unit="Y")
    subs = pd.DataFrame({"periods": [0, 1, 3, 10], "cancelled": 0, "price": 100.0})
    kwargs = {"price": "price", "margin": 0.3, "discount_rate": 0.1, "thresholds": (0.2,)}
    plan = subscriber_price_plan(sbg, subs, 1, np.array([0.05, 0.0]), **kwargs)
    same = subscriber_price_plan(sbg, subs, 1, (0.05, 0.0), **kwargs)
    assert plan.stages["tier"].tolist() == ["low", "high"]
    pd.testing.assert_frame_equal(plan.stages, same.stages)


@pytest.mark.parametrize("increases", [0.05, "5%"])
def test_price_plan_increases_not_one_per_tier(increases):
    # Before: the same message about tiers= the caller never gave.
    sbg = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182}, time_unit="Y")
    subs = pd.DataFrame({"periods": [0, 1, 3, 10], "cancelled": 0, "price": 100.0})
    with pytest.raises(InputError, match="^increases must be one fraction per tier"):
        subscriber_price_plan(sbg, subs, 1, increases, price="price", discount_rate=0.1,
                              thresholds=(0.2,))  # fmt: skip


def test_churn_tiers_on_weighted_rows_are_refused():
    from clvmodel.subscription_churn import subscriber_churn_risk

    groups = subscriptions.from_survival_counts(REGULAR[:8], period="Y", weighted=True)
    model = clv.ShiftedBetaGeoModel().fit(groups, weights=groups["subscribers"])
    with pytest.raises(InputError, match="one row per subscriber"):
        subscriber_churn_risk(model, groups, 1)
