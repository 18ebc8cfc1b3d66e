"""What the simulators draw: transaction amounts are positive (not rounded to nothing at
cents); the log has one row per customer and day, purchases of the same day merged with their
totals kept, so that rfm_summary takes none of them for copies; and the customers' purchase
counts follow the model's count distribution."""

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv

BG = dict(r=0.5, alpha=20.0, a=0.8, b=2.5)


GG = dict(p=6.0, q=4.0, v=15.0)


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
