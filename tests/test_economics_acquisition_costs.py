"""A customer without an acquisition cost (CAC 0: an organic channel) has nothing to pay back: the
payback of a zero cost is not defined, so cac_payback leaves it NaN and not paid back, and
unit_economics_summary counts payback over the customers with a CAC only, as the HTML report
does (it showed n/a where the Python API said "paid back at once").

Costs are given per segment: a Series of costs indexed by customer id got only "pass segments=", as
if it were a mapping of segments; the message says which reading it takes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from published import PUBLISHED_GG

import clvmodel as clv
from clvmodel.economics import cac_payback, day_one_payback, unit_economics_summary

HUGE = 1e9


def _models():
    """Every customer buys 0.5 times a week for 40 (no dropout): a steady positive net margin."""
    bg = clv.BetaGeoModel.from_params(dict(r=0.5 * HUGE, alpha=HUGE, a=1e-9, b=HUGE), "W")
    gg = clv.GammaGammaModel.from_params(dict(p=1.0, q=HUGE + 1.0, v=40.0 * HUGE))
    return bg, gg


def _rfm():
    rows = [(3, 20.0, 30.0, 40.0)] * 4
    rfm = pd.DataFrame(
        rows, columns=["frequency", "recency", "T", "monetary_value"], index=list("abcd")
    )
    rfm["channel"] = ["organic", "organic", "paid", "paid"]
    return rfm


def test_zero_cac_has_no_payback_and_is_not_paid_back():
    bg, gg = _models()
    table = cac_payback(
        bg, gg, _rfm(), {"organic": 0.0, "paid": 20.0}, "12M", margin=0.3, segments="channel"
    )
    organic = table["segment"] == "organic"
    # Was 0.0 and True: "paid back at once" a cost that was never paid.
    assert table.loc[organic, "payback_periods"].isna().all()
    assert not table.loc[organic, "paid_back"].any()
    assert table.loc[organic, "clv_to_cac"].isna().all()
    # The paying customers keep their payback (about 20 / (0.3·40·0.5·4.35 − 0) ≈ 0.77 months).
    assert table.loc[~organic, "paid_back"].all()
    assert table.loc[~organic, "payback_periods"].between(0.0, 12.0).all()
    assert table["paid_back"].dtype == bool


def test_summary_counts_payback_over_customers_with_a_cac():
    bg, gg = _models()
    rfm = _rfm()
    table = cac_payback(
        bg, gg, rfm, {"organic": 0.0, "paid": 1e6}, "12M", margin=0.3, segments="channel"
    )
    by_channel = unit_economics_summary(table)
    # Nothing to pay back: n/a, as in the report (was a share of 1.0 and a median of 0).
    assert math.isnan(by_channel.loc["organic", "paid_back_share"])
    assert math.isnan(by_channel.loc["organic", "median_payback"])
    assert by_channel.loc["paid", "paid_back_share"] == 0.0
    overall = unit_economics_summary(table, by=None)
    # The share of all customers is that of the two with a CAC (none paid back), not 2 of 4.
    assert overall.loc["all", "paid_back_share"] == 0.0
    assert math.isnan(overall.loc["all", "median_payback"])
    assert overall.loc["all", "customers"] == 4


def test_summary_of_a_hand_made_table_ignores_zero_cac_rows():
    """A table made elsewhere (or by an older version) that marks a CAC of 0 as paid back."""
    table = pd.DataFrame(
        {
            "net_clv": [5.0, 5.0, 30.0, 10.0],
            "acquisition_cost": [0.0, 0.0, 10.0, 10.0],
            "payback_periods": [0.0, 0.0, 3.0, np.nan],
            "paid_back": [True, True, True, False],
        }
    )
    overall = unit_economics_summary(table, by=None)
    assert overall.loc["all", "paid_back_share"] == pytest.approx(0.5)
    # Median of (3, never) over the two with a CAC: halfway to never, so not defined.
    assert math.isnan(overall.loc["all", "median_payback"])
    with_cac = unit_economics_summary(table.iloc[[0, 2]], by=None)
    assert with_cac.loc["all", "median_payback"] == 3.0
    assert with_cac.loc["all", "paid_back_share"] == 1.0


def test_day_one_payback_without_cac_is_not_paid_back():
    tx = clv.datasets.load_cdnow_sample()
    with pytest.warns(clv.ClvWarning):
        rfm = clv.rfm_summary(tx, observation_end="1997-09-30")
    signup = clv.dayone.first_purchase_attributes(tx).loc[rfm.index]
    model = clv.DayOneModel(
        ["first_purchase_amount"],
        log=["first_purchase_amount"],
        first_purchase_col="first_purchase_amount",
    ).fit(rfm, signup)
    table = day_one_payback(model, signup.iloc[:5], acquisition_cost=0.0, margin=0.3)
    assert table["payback_periods"].isna().all()
    assert not table["paid_back"].any()
    assert (table["first_purchase_margin"] > 0).all()  # a margin at once, but no cost to cover


def test_a_cost_per_customer_is_told_that_costs_are_per_segment():
    """Before: a Series indexed by customer id got only "pass segments=", as if it were a
    mapping of segments; now the message says which reading it takes."""
    bg = clv.BetaGeoModel.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}, "W")
    gg = clv.GammaGammaModel.from_params(PUBLISHED_GG)
    rfm = pd.DataFrame(
        {"frequency": [0, 2], "recency": [0.0, 30.43], "T": [38.0, 38.86],
         "monetary_value": [0.0, 25.0]},
        index=pd.Index([101, 102], name="customer_id"),
    )  # fmt: skip
    per_customer = pd.Series([5.0, 7.0], index=rfm.index)
    with pytest.raises(clv.InputError, match="never per customer"):
        clv.cac_payback(bg, gg, rfm, per_customer, "12M")
