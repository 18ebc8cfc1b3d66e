"""clvmodel.price_increase_plan's tiers, thresholds and increases, and the churn risks it cuts.

Tier labels and cut points given as a numpy array, a pandas Index or a Series were told "tiers must
be a sequence of labels", which they are (a table of labels is still refused); a missing (NaN)
increase must be called missing, not a price cut; churn risks given as percentages are refused
with the fraction to write."""

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv


@pytest.mark.parametrize("make", [np.array, pd.Index, pd.Series])
def test_tier_labels_and_cut_points_from_arrays_are_taken(make):
    # tiers=np.array(["a", "b", "c"]) (or a pandas Index, a column of labels) was told
    # "tiers must be a sequence of labels", which it is; thresholds as a pandas Series too.
    scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [30.0, 20.0, 1.0]})
    plan = clv.price_increase_plan(
        scores, tiers=make(["a", "b", "c"]), thresholds=make([0.5, 0.8]), margin=1.0
    )
    assert plan.tiers == ("a", "b", "c")
    assert all(type(label) is str for label in plan.settings["tiers"])
    assert plan.assignments["tier"].astype(str).tolist() == ["a", "b", "c"]
    assert plan.settings["thresholds"] == [0.5, 0.8]


def test_tier_labels_in_a_table_are_still_refused():
    scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [30.0, 20.0, 1.0]})
    with pytest.raises(clv.InputError, match=r"tiers must be a sequence of labels"):
        clv.price_increase_plan(
            scores, tiers=np.array([["a", "b", "c"]]), thresholds=(0.5, 0.8), margin=1.0
        )


def test_a_missing_increase_is_called_missing_not_a_price_cut():
    scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [1.0, 1.0, 1.0]})
    with pytest.raises(clv.InputError, match=r"tier 'medium' is missing \(NaN\)"):
        clv.price_increase_plan(scores, np.array([0.05, np.nan, 0.0]), thresholds=(0.5, 0.8))


def test_churn_risks_given_as_percentages_are_refused_with_the_fraction_to_write():
    scores = pd.DataFrame({"churn_risk": [10.0, 60.0, 90.0], "predicted_clv": [1.0, 1.0, 1.0]})
    with pytest.raises(clv.InputError, match=r"probability \(0.5, not 50, for 50 %\)"):
        clv.price_increase_plan(scores, thresholds=(0.5, 0.8), margin=1.0)
