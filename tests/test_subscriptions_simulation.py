"""Tests of simulation from contractual models and ``simulate_subscription_table``.

* A Beta mixing distribution piling up at θ = 0: a θ of 0 or a subnormal one is an endless
  lifetime, drawn without a numpy overflow warning.
* The simulated table kept every lifetime above 100,000 periods as 100,000.
* The table's size must be a whole number of subscribers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import clvmodel as clv
from clvmodel import subscriptions
from clvmodel.errors import InputError

# The "regular" cohort of Fader and Hardie (2007), "How to project customer retention", Table 1.
REGULAR = {"alpha": 0.704, "beta": 1.182}


@pytest.fixture
def sbg():
    return clv.ShiftedBetaGeoModel.from_params(REGULAR, time_unit="M")


@pytest.mark.parametrize(
    "model",
    [
        clv.ShiftedBetaGeoModel.from_params({"alpha": 1e-3, "beta": 1e-3}),
        clv.BetaDiscreteWeibullModel.from_params({"alpha": 1e-4, "beta": 1e-4, "c": 0.3}),
    ],
)
def test_simulate_with_theta_near_zero_is_quiet_and_right(model):
    # Before: "RuntimeWarning: overflow encountered in divide" (ln U / ln(1 − θ) at θ ~ 1e-320).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        drawn = model.simulate(100_000, 10, random_state=1)
    # P(T ≤ 10) = 1 − S(10), S(t) = B(α, β + t^c)/B(α, β); the standard error of the share is
    # about 0.0016 at 100,000 draws.
    expected = 1.0 - model.survival_function([10])[0]
    assert drawn["cancelled"].mean() == pytest.approx(expected, abs=0.01)
    assert (drawn["lifetime"] >= 1).all()


def test_simulate_subscription_table_with_theta_near_zero_is_quiet():
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": 1e-3, "beta": 1e-3})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = subscriptions.simulate_subscription_table(
            model, 2000, "2022-01-01", "2024-12-31", random_state=3
        )
        rows = subscriptions.from_subscription_table(table, observation_end="2024-12-31")
    assert np.isin(rows["cancelled"], [0, 1]).all()


def test_simulated_table_keeps_true_lifetimes_beyond_100000_periods():
    # Before: every lifetime above 100,000 periods was written as 100,000 in the "true lifetime"
    # column (55 % of this table). P(T > 100,000) = S(100,000) = B(α, β + 10^5)/B(α, β) ≈ 0.547;
    # the share of 20,000 draws has a standard error of about 0.0035.
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.05, "beta": 1.0})
    table = subscriptions.simulate_subscription_table(
        model, 20_000, "2022-01-01", "2024-12-31", random_state=1
    )
    expected = model.survival_function([100_000])[0]
    assert (table["lifetime"] > 100_000).mean() == pytest.approx(expected, abs=0.02)


@pytest.mark.parametrize("n", [10.5, -1, "10", True])
def test_simulated_table_size_must_be_a_whole_number(sbg, n):
    with pytest.raises(InputError, match="n_subscribers"):
        clv.subscriptions.simulate_subscription_table(sbg, n, "2022-01-01", "2024-12-31")
