"""The observation period of :func:`clvmodel.simulate_transactions`, as its docstring states it.

The docstring said customers are observed until ``start + observation_days``, but the log never
reaches that day: a customer's age is ``observation_days - 1 - first`` days, so purchase times in
(0, age] fall on days before ``start + observation_days - 1``, and only a first purchase (with an
acquisition window as long as the observation period) falls on that day. The test reads the day
from the docstring and checks the log against it.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

import clvmodel as clv

START = pd.Timestamp("2024-01-01")
DAYS = 10
# About 50 purchases a day and almost no dropout: every day a purchase can fall on gets some.
HEAVY = {
    "bgnbd": {"r": 50.0, "alpha": 1.0, "a": 0.001, "b": 1000.0},
    "mbgnbd": {"r": 50.0, "alpha": 1.0, "a": 0.001, "b": 1000.0},
    "pnbd": {"r": 50.0, "alpha": 1.0, "s": 0.001, "beta": 1000.0},
}


def documented_end(observation_days: int) -> pd.Timestamp:
    """The day the docstring says observation ends on."""
    doc = " ".join(clv.simulate_transactions.__doc__.split())
    day = r"observed until (?:the start of day )?``start \+ observation_days(?: - (\d+))?``"
    found = re.search(day, doc)
    assert found, "the docstring names the day observation ends"
    return START + pd.Timedelta(days=observation_days - int(found.group(1) or 0))


def _log(model: str, acquisition_days: int) -> pd.DataFrame:
    return clv.simulate_transactions(
        1000, HEAVY[model], start=START, acquisition_days=acquisition_days,
        observation_days=DAYS, seed=7, model=model,
    )  # fmt: skip


@pytest.mark.parametrize("model", sorted(HEAVY))
def test_repeat_purchases_stop_the_day_before_the_documented_end(model):
    end = documented_end(DAYS)
    log = _log(model, acquisition_days=DAYS)
    first = log.groupby("customer_id")["date"].transform("min")
    repeat = log.loc[log["date"] > first, "date"]
    assert repeat.max() == end - pd.Timedelta(days=1)  # a repeat purchase can fall there ...
    assert (repeat < end).all()  # ... never on the end day
    # With the acquisition window as long as the observation period, first purchases reach it.
    assert log["date"].max() == end
    assert (log.loc[log["date"] == end, "date"] == first[log["date"] == end]).all()


@pytest.mark.parametrize("model", sorted(HEAVY))
def test_no_purchase_on_the_documented_end_with_a_shorter_acquisition_window(model):
    end = documented_end(DAYS)
    log = _log(model, acquisition_days=DAYS // 2)
    assert log["date"].max() == end - pd.Timedelta(days=1)
    assert log["date"].min() == START


def test_rfm_summary_to_the_documented_end_gives_the_simulated_ages():
    """T to the documented end is ``observation_days - 1 - first`` days, the age drawn with; no
    repeat buyer has recency = T (nobody buys again on the end day)."""
    end = documented_end(DAYS)
    log = _log("bgnbd", acquisition_days=DAYS)
    rfm = clv.rfm_summary(log, observation_end=end, time_unit="D")
    first = log.groupby("customer_id")["date"].min()
    assert (rfm["T"] == (DAYS - 1 - (first - START).dt.days).reindex(rfm.index)).all()
    repeaters = rfm["frequency"] > 0
    assert (rfm.loc[repeaters, "recency"] < rfm.loc[repeaters, "T"]).all()
