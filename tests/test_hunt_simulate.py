"""Findings of the hunt on the simulators: sizes that would not fit in memory, spends beyond the
floats, amounts rounded to nothing, logs that rfm_summary takes for copies, and subscription tables
drawn in another period than the model's."""

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.subscriptions import from_subscription_table, simulate_subscription_table

BG = dict(r=0.5, alpha=20.0, a=0.8, b=2.5)
GG = dict(p=6.0, q=4.0, v=15.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: clv.simulate_customers(10**12, BG),
        lambda: clv.simulate_transactions(10**11, BG),
    ],
    ids=["customers", "transactions"],
)
def test_a_population_too_large_for_memory_is_refused_before_any_allocation(call):
    with pytest.raises(clv.InputError, match="n_customers"):
        call()


def test_a_log_with_too_many_purchases_is_refused_by_name():
    # About 5 billion purchases: the log would take tens of GB.
    busy = dict(r=1e4, alpha=1.0, a=1e-3, b=1e3)
    with pytest.raises(clv.InputError, match="bg_params"):
        clv.simulate_transactions(1000, busy, seed=1)


@pytest.mark.parametrize("gg", [dict(GG, q=1e-3), dict(GG, p=1e300, v=1e300)])
@pytest.mark.parametrize("simulator", ["customers", "transactions"])
def test_spends_beyond_the_floats_are_refused_without_numpy_warnings(gg, simulator):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(clv.InputError, match="gg_params"):
            if simulator == "customers":
                clv.simulate_customers(2000, BG, T=200.0, gg_params=gg, seed=1)
            else:
                clv.simulate_transactions(2000, BG, gg_params=gg, seed=1)


def test_transaction_amounts_are_positive():
    # Exponential amounts (p = 1) with mean 30: about 1 in 6,000 rounds to 0.00 at cents.
    log = clv.simulate_transactions(50_000, BG, gg_params=dict(p=1.0, q=4.0, v=90.0), seed=1)
    assert (log["amount"] > 0).all()


@pytest.mark.parametrize("gg", [None, GG], ids=["no_amounts", "gamma_gamma"])
def test_the_log_is_one_row_per_customer_and_day_and_summarises_without_warnings(gg):
    # Purchases drawn in continuous time may share a day; as separate rows with equal amounts,
    # rfm_summary took them for copies and advised drop_duplicates=True (dropping purchases).
    log = clv.simulate_transactions(
        20_000, BG, gg_params=gg, seed=1, acquisition_days=100, observation_days=200
    )
    assert not log.duplicated(["customer_id", "date"]).any()
    end = pd.Timestamp("2024-01-01") + pd.Timedelta(days=199)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rfm = clv.rfm_summary(log, observation_end=end, time_unit="D")
    assert rfm.attrs["duplicate_rows"] == 0
    days = log.groupby("customer_id")["date"].agg(["min", "max", "size"])
    assert (rfm["frequency"] == days["size"] - 1).all()
    assert ((rfm["recency"] == 0) == (rfm["frequency"] == 0)).all()
    assert (rfm["recency"] <= rfm["T"]).all()
    assert log["date"].min() >= pd.Timestamp("2024-01-01") and log["date"].max() <= end


def test_merging_same_day_purchases_keeps_the_totals():
    plain = clv.simulate_transactions(5000, dict(BG, alpha=2.0), seed=4)
    # Without gg_params each purchase counts 1: a row's amount is its purchases that day.
    assert (plain["amount"] >= 1).all() and (plain["amount"] > 1).any()
    assert np.allclose(plain["amount"], np.round(plain["amount"]))


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


@pytest.mark.parametrize(
    ("model", "cls", "params"),
    [
        ("bgnbd", clv.BetaGeoModel, dict(r=2.0, alpha=3.0, a=1.5, b=1.0)),
        ("mbgnbd", clv.ModifiedBetaGeoModel, dict(r=0.25, alpha=4.0, a=0.8, b=2.5)),
        ("pnbd", clv.ParetoNBDModel, dict(r=2.0, alpha=3.0, s=1.5, beta=4.0)),
    ],
)
def test_the_draws_follow_the_models_count_distribution(model, cls, params):
    n, T = 100_000, 10.0
    rfm = clv.simulate_customers(n, params, T=T, seed=7, model=model)
    fitted = cls.from_params(params)
    mean = float(np.ravel(fitted.expected_purchases_new(T))[0])
    assert abs(rfm["frequency"].mean() - mean) < 4 * rfm["frequency"].std() / np.sqrt(n)
    for k in range(4):
        p = float(np.ravel(fitted.probability_of_purchases(k, T))[0])
        assert abs((rfm["frequency"] == k).mean() - p) < 4 * np.sqrt(p * (1 - p) / n)
