"""A simulated transaction log shared by the tests of several users' journeys (report segments,
churn and plan settings without a spend model, value without a spend model, interval coverage, a
space-separated file): a plain module, imported by those test files."""

from __future__ import annotations

import pandas as pd

import clvmodel as clv

BG = {"r": 0.5, "alpha": 10.0, "a": 0.8, "b": 3.0}
GG = {"p": 6.0, "q": 4.0, "v": 15.0}


def simulated_log() -> pd.DataFrame:
    """300 simulated customers over 18 months, with a 0/1 channel held as floats (as pandas
    reads a 0/1 column with a missing value, or a join gives it)."""
    tx = clv.simulate_transactions(
        300, BG, gg_params=GG, start="2020-01-01", acquisition_days=90, observation_days=540,
        seed=1,
    )  # fmt: skip
    tx["channel"] = (tx["customer_id"] % 3 == 0).astype("float64")
    tx["date"] = tx["date"].dt.strftime("%Y-%m-%d")
    return tx
