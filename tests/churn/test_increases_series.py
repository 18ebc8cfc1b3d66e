"""Increases given as a pandas Series: by tier name when its index names the tiers, else in
order (it was refused as "not a sequence" either way)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.churn import churn_risk, price_increase_plan


@pytest.fixture(scope="module")
def scores():
    rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), drop_duplicates=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return churn_risk(clv.BetaGeoModel().fit(rfm), rfm, "12M")


def stages(plan):
    return plan.stages["increase"].tolist()


def test_a_series_in_order_or_by_tier_equals_the_tuple(scores):
    expected = stages(price_increase_plan(scores, (0.05, 0.025, 0.0)))
    assert stages(price_increase_plan(scores, pd.Series([0.05, 0.025, 0.0]))) == expected
    named = pd.Series({"high": 0.0, "low": 0.05, "medium": 0.025})
    assert stages(price_increase_plan(scores, named)) == expected
    with pytest.raises(clv.InputError, match="unknown tier"):
        price_increase_plan(scores, pd.Series({"lo": 0.05, "medium": 0.025, "high": 0.0}))
