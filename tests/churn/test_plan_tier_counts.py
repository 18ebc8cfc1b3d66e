"""``clv.price_increase_plan`` (and ``clv.churn_risk``) when the cut points make another number of
tiers than there are labels or increases: the message names what set each count (thresholds= or
quantiles=, and tiers= or the plan's increases=), not tier labels the caller never gave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from published import PUBLISHED_BG

import clvmodel as clv

BG = PUBLISHED_BG


@pytest.fixture(scope="module")
def scores():
    rng = np.random.default_rng(7)
    n = 200
    frequency = rng.integers(0, 6, n).astype(float)
    T = np.full(n, 39.0)
    recency = np.where(frequency > 0, rng.uniform(1.0, 39.0, n), 0.0)
    rfm = pd.DataFrame(
        {"frequency": frequency, "recency": recency, "T": T},
        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"),
    )
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    return clv.churn_risk(bg, rfm, horizon=39)


def test_a_plan_without_tiers_names_its_increases(scores):
    # Found in review: "3 tier labels ['low', 'medium', 'high'] for 2 tiers; give one label per
    # tier" for a call that gave no labels: the three default increases set them.
    with pytest.raises(clv.InputError) as caught:
        clv.price_increase_plan(scores, thresholds=(0.5,))
    message = str(caught.value)
    assert "thresholds=[0.5] make 2 tiers" in message, message
    assert "increases= gives 3" in message and "one increase per tier" in message, message
    assert "label" not in message, message


def test_a_plan_with_increases_by_tier_shows_them_with_their_tiers(scores):
    increases = {"low": 0.05, "medium": 0.01, "high": 0.0}
    with pytest.raises(clv.InputError, match=r"quantiles=\[0.2, 0.5, 0.9\] make 4 tiers") as caught:
        clv.price_increase_plan(scores, quantiles=(0.2, 0.5, 0.9), increases=increases)
    assert "'medium': 0.01" in str(caught.value)


def test_churn_risk_says_its_labels_are_the_default(scores):
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    rfm = scores[["frequency", "recency", "T"]]
    with pytest.raises(clv.InputError) as caught:
        clv.churn_risk(bg, rfm, horizon=39, thresholds=(0.5,))
    message = str(caught.value)
    assert "make 2 tiers" in message and "(the default)" in message, message
    assert "one label per tier" in message and "or 2 cut point(s)" in message, message


def test_labels_given_with_other_cut_points_still_name_the_labels(scores):
    with pytest.raises(clv.InputError, match="one label per tier") as caught:
        clv.price_increase_plan(scores, tiers=("a", "b"), thresholds=(0.5, 0.8))
    assert "tiers= has 2 labels ['a', 'b']" in str(caught.value)
    assert "(the default)" not in str(caught.value)


def test_matching_counts_still_plan(scores):
    plan = clv.price_increase_plan(scores, thresholds=(0.5,), increases=(0.05, 0.0))
    assert list(plan.stages["tier"]) == ["low", "high"]
