"""Subscription tables drawn by simulate_subscription_table and screened by
screen_subscription_table.

A table is drawn in the model's period (it was drawn in another period than the model's), from a
subscription model only, within memory, with its seed checked as the other simulators check
theirs (numpy's raw ValueError for -1). Prices are bounded as transaction amounts are: a price of
1e300 was accepted and gave an absurd residual value."""

import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.subscriptions import from_subscription_table, simulate_subscription_table


def test_a_subscription_table_is_drawn_in_the_models_period():
    weekly = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.2}, time_unit="W")
    table = simulate_subscription_table(weekly, 2000, "2023-01-01", "2024-12-31", random_state=1)
    rows = from_subscription_table(table, observation_end="2024-12-31", period="W")
    cancelled = rows["cancelled"] == 1
    lifetime = table.set_index("customer_id")["lifetime"]
    assert (rows["periods"][cancelled] == lifetime[cancelled]).all()
    with pytest.raises(clv.InputError, match="period"):
        simulate_subscription_table(weekly, 10, "2023-01-01", "2024-12-31", period="M")


@pytest.mark.parametrize(
    "model",
    [
        "sbg",
        clv.BetaGeoModel.from_params(dict(r=1.0, alpha=1.0, a=1.0, b=1.0)),
        clv.BetaGeoBetaBinomModel.from_params(dict(alpha=1.0, beta=1.0, gamma=1.0, delta=1.0)),
    ],
    ids=["text", "bgnbd", "bgbb"],
)
def test_a_subscription_table_needs_a_subscription_model(model):
    with pytest.raises(clv.InputError, match="model must be a subscription model"):
        simulate_subscription_table(model, 5, "2023-01-01", "2024-12-31")


def test_a_subscription_table_too_large_for_memory_is_refused():
    sbg = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.2})
    with pytest.raises(clv.InputError, match="n_subscribers"):
        simulate_subscription_table(sbg, 10**12, "2023-01-01", "2024-12-31")


@pytest.mark.parametrize("seed", [-1, "x", 1.5])
def test_the_subscription_simulator_checks_its_seed_as_the_others(seed):
    # One check (clvmodel._random), as simulate.py's (tests/test_simulate_inputs.py):
    # simulate_subscription_table gave numpy's raw ValueError for -1.
    sbg = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182})
    with pytest.raises(clv.InputError, match="random_state must be a whole number ≥ 0"):
        clv.subscriptions.simulate_subscription_table(
            sbg, 10, "2020-01-01", "2021-01-01", random_state=seed
        )


def test_a_subscription_price_beyond_1e12_is_rejected_as_amounts_are():
    """A price of 1e300 was accepted and gave an absurd residual value (near 1e308, inf);
    prices are bounded as transaction amounts are."""
    from clvmodel import subscriptions

    table = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "start": ["2024-01-05"] * 4,
            "end": [None, "2024-03-01", None, None],
            "price": [9.99, 1e300, 1e12, -1.0],
        }
    )
    accepted, rejects, _ = subscriptions.screen_subscription_table(table, numeric_cols=["price"])
    assert accepted["customer_id"].tolist() == ["a", "c"]  # 1e12 itself is within the bound
    assert rejects.set_index("customer_id")["reason"].to_dict() == {
        "b": "price beyond 1e12",
        "d": "price is missing or not a number ≥ 0",
    }
