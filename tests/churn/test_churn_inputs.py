"""Checks of the inputs of the churn scores, the risk tiers and the staged price-increase plan."""

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from published import PUBLISHED_BG, PUBLISHED_GG

import clvmodel as clv
from clvmodel.churn import risk_tiers

# Published BG/NBD and Gamma-Gamma estimates on the CDNOW sample (Fader, Hardie and Lee 2005;
# Fader, Hardie and Lee, "RFM and CLV: using iso-value curves").
BG = clv.BetaGeoModel.from_params(PUBLISHED_BG, "W")
GG = clv.GammaGammaModel.from_params(PUBLISHED_GG)
RFM = pd.DataFrame(
    {
        "frequency": [2, 0, 10],
        "recency": [30.43, 0.0, 20.0],
        "T": [38.86, 38.86, 38.86],
        "monetary_value": [40.0, 0.0, 25.0],
    },
    index=["c1", "c2", "c3"],
)
# The scores of RFM leave the medium tier empty; the plan says so in a warning.
pytestmark = pytest.mark.filterwarnings("ignore:tier\\(s\\) \\['medium'\\] have no customers")
SCORES = pd.DataFrame(
    {"churn_risk": [0.1, 0.3, 0.6, 0.9], "predicted_clv": [100.0, 50.0, 40.0, 10.0]}
)


# --------------------------------------------------------------------------------------------------
# Increases as a numpy array


def test_increases_as_a_numpy_array_make_the_same_plan_as_a_list():
    # An array was not counted as one increase per tier, so thresholds=(0.5,) got the
    # three default labels for two tiers and was refused.
    listed = clv.price_increase_plan(SCORES, [0.05, 0.0], thresholds=(0.5,), margin=1.0)
    array = clv.price_increase_plan(SCORES, np.array([0.05, 0.0]), thresholds=(0.5,), margin=1.0)
    pd.testing.assert_frame_equal(array.stages, listed.stages)
    assert array.tiers == ("low", "high")
    assert array.stages["customers"].tolist() == [2, 2]


def test_four_increases_as_an_array_make_four_tiers():
    rates = np.array([0.05, 0.03, 0.01, 0.0])
    plan = clv.price_increase_plan(SCORES, rates, thresholds=(0.25, 0.5, 0.8), margin=1.0)
    assert plan.tiers == ("tier 1", "tier 2", "tier 3", "tier 4")
    assert plan.increases == (0.05, 0.03, 0.01, 0.0)
    assert plan.stages["customers"].tolist() == [1, 1, 1, 1]


def test_increases_of_more_than_one_dimension_are_refused():
    with pytest.raises(clv.InputError, match=r"increases must be one-dimensional.*\(1, 2\)"):
        clv.price_increase_plan(SCORES, np.array([[0.05, 0.0]]), thresholds=(0.5,))


# --------------------------------------------------------------------------------------------------
# risk_tiers checks its risks


@pytest.mark.parametrize(
    ("risk", "kwargs", "message"),
    [
        ([0.1, np.nan, 0.9], {}, r"1 risk value\(s\) are missing or outside \[0, 1\]"),
        ([1.5, -0.2], {}, r"2 risk value\(s\) .*\[1.5, -0.2\]"),
        ([0.1, 0.2, np.nan, 0.9], {"tiers": ("a", "b"), "quantiles": (0.5,)}, "risk value"),
        ([0.1, np.inf], {}, "risk value"),
        ([], {"quantiles": (1 / 3, 2 / 3)}, "risk is empty"),
        ([], {}, "risk is empty"),
        (0.5, {}, "one churn risk per customer"),
        ([[0.1, 0.2]], {}, "one churn risk per customer"),
    ],
)
def test_risk_tiers_refuses_risks_that_are_no_probabilities(risk, kwargs, message):
    with pytest.raises(clv.InputError, match=message):
        risk_tiers(risk, **kwargs)


@given(
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30),
    st.sampled_from([np.nan, np.inf, -np.inf, -1e-9, 1.0 + 1e-9, 2.0]),
    st.integers(0, 30),
)
def test_one_bad_risk_among_good_ones_is_always_refused(good, bad, position):
    risk = list(good)
    risk.insert(position % (len(risk) + 1), bad)
    with pytest.raises(clv.InputError, match="risk value"):
        risk_tiers(risk)
    with pytest.raises(clv.InputError, match="risk value"):
        risk_tiers(risk, quantiles=(1 / 3, 2 / 3))


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30))
def test_risks_in_the_unit_interval_get_the_tier_of_their_thresholds(risk):
    tiers, rule = risk_tiers(risk)
    # Tier k holds [cut_{k-1}, cut_k): counted by hand against the default cuts 0.5 and 0.8.
    expected = [("low", "medium", "high")[(r >= 0.5) + (r >= 0.8)] for r in risk]
    assert list(tiers) == expected
    assert rule["tier_cuts"] == [0.5, 0.8]


# --------------------------------------------------------------------------------------------------
# An empty stage has no mean risk interval


def test_an_empty_stage_has_no_mean_churn_risk_bounds():
    scores = pd.DataFrame(
        {
            "churn_risk": [0.1, 0.3, 0.9],
            "churn_risk_lower": [0.05, 0.2, 0.85],
            "churn_risk_upper": [0.15, 0.4, 0.95],
            "predicted_clv": [10.0, 5.0, 1.0],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.StatisticalWarning)
        plan = clv.price_increase_plan(scores, thresholds=(0.5, 0.8), margin=1.0)
    stages = plan.stages
    assert stages["customers"].tolist() == [2, 0, 1]
    # Means of the customers' bounds: (0.05 + 0.2) / 2 and (0.15 + 0.4) / 2.
    assert stages["mean_churn_risk_lower"].iloc[0] == pytest.approx(0.125)
    assert stages["mean_churn_risk_upper"].iloc[0] == pytest.approx(0.275)
    assert stages["mean_churn_risk_lower"].iloc[2] == pytest.approx(0.85)
    for side in ("lower", "upper"):
        assert math.isnan(stages[f"mean_churn_risk_{side}"].iloc[1])
    document = json.loads(json.dumps(plan.to_dict()))
    empty = document["stages"][1]
    assert empty["mean_churn_risk"] is None
    assert empty["mean_churn_risk_lower"] is None and empty["mean_churn_risk_upper"] is None
    assert "medium" in str(plan)


# --------------------------------------------------------------------------------------------------
# Repeated customer ids


def test_churn_risk_refuses_repeated_customer_ids():
    data = RFM.set_axis(["c1", "c1", "c2"])
    with pytest.raises(
        clv.InputError, match=r"data lists 1 customer id\(s\) more than once \(c1\)"
    ):
        clv.churn_risk(BG, data, horizon=39)


def test_the_plan_refuses_repeated_customer_ids():
    scores = clv.churn_risk(BG, RFM, horizon=39)
    doubled = scores.set_axis(["c1", "c1", "c2"])
    with pytest.raises(clv.InputError, match=r"scores table lists 1 customer id\(s\).*\(c1\)"):
        clv.price_increase_plan(doubled)
    # The same table with distinct ids still makes a plan of three customers.
    assert int(clv.price_increase_plan(scores).total["customers"]) == 3


# --------------------------------------------------------------------------------------------------
# Start dates as an array; bools are no weeks

DATES = ["2025-01-01", "2025-02-01", "2025-03-01"]


@pytest.mark.parametrize(
    "start",
    [
        np.array(DATES),
        np.array(DATES, dtype="datetime64[ns]"),
        pd.DatetimeIndex(DATES),
        pd.Series(pd.to_datetime(DATES)),
    ],
)
def test_start_dates_as_an_array_count_like_a_list(start):
    scores = SCORES.drop(columns="predicted_clv")
    listed = clv.price_increase_plan(scores, thresholds=(0.5, 0.8), start=DATES)
    plan = clv.price_increase_plan(scores, thresholds=(0.5, 0.8), start=start)
    assert plan.stages["start_date"].tolist() == [pd.Timestamp(d) for d in DATES]
    # The dates keep the resolution they came in (ns for a datetime64[ns] array).
    pd.testing.assert_frame_equal(plan.stages, listed.stages, check_dtype=False)


def test_start_dates_of_more_than_one_dimension_are_refused():
    with pytest.raises(clv.InputError, match="start must be a date or one per stage"):
        clv.price_increase_plan(SCORES, thresholds=(0.5, 0.8), start=np.array([DATES]), margin=1.0)


@pytest.mark.parametrize("wait", [True, False, np.True_, [True, 2], np.array([True, False])])
def test_a_bool_is_no_stage_wait(wait):
    with pytest.raises(clv.InputError, match="stage_wait must be a number of weeks"):
        clv.price_increase_plan(SCORES, thresholds=(0.5, 0.8), stage_wait=wait, margin=1.0)


# --------------------------------------------------------------------------------------------------
# The margin without predicted_clv


def test_a_margin_for_scores_without_value_sets_the_break_even_churn():
    scores = clv.churn_risk(BG, RFM, horizon=39)
    assert "predicted_clv" not in scores.columns
    plan = clv.price_increase_plan(scores, increases=(0.05, 0.025, 0.0), margin=0.3)
    # s* = i / (m + i): 0.05 / 0.35 and 0.025 / 0.325.
    expected = [0.05 / 0.35, 0.025 / 0.325, 0.0]
    assert plan.stages["break_even_churn"].tolist() == pytest.approx(expected)
    assert plan.margin == 0.3


def test_the_margin_given_to_churn_risk_without_gg_is_the_plans_default():
    scores = clv.churn_risk(BG, RFM, horizon=39, margin=0.3)
    assert scores.attrs["margin"] == 0.3
    assert clv.price_increase_plan(scores).margin == 0.3
    # Without predicted_clv no margin contradicts the scores.
    assert clv.price_increase_plan(scores, margin=0.5).margin == 0.5


def test_a_margin_contradicting_the_one_of_predicted_clv_is_still_refused():
    scores = clv.churn_risk(BG, RFM, horizon=39, gg=GG, margin=0.5)
    with pytest.raises(clv.InputError, match=r"margin=0.3 contradicts the margin 0.5"):
        clv.price_increase_plan(scores, margin=0.3)


@pytest.mark.parametrize("margin", [7.0, 0.0, -0.5, float("nan")])
@pytest.mark.parametrize("gg", [None, GG])
def test_churn_risk_checks_the_margin_with_or_without_gg(margin, gg):
    with pytest.raises(clv.InputError, match="margin"):
        clv.churn_risk(BG, RFM, horizon=39, gg=gg, margin=margin)


@pytest.mark.parametrize("rate", [-0.1, 1.0, float("nan"), "5%"])
def test_churn_risk_checks_the_discount_rate_without_a_spend_model(rate):
    cal = clv.datasets.load_cdnow_sample()
    rfm = clv.rfm_summary(cal, observation_end="1997-09-30", time_unit="W")
    bg = clv.BetaGeoModel().fit(rfm)
    with pytest.raises(clv.InputError, match="discount_rate"):
        clv.churn_risk(bg, rfm, horizon="39W", discount_rate=rate)


def test_a_mapping_of_the_default_names_keeps_their_risk_order_whatever_its_key_order():
    # {"low": .05, "high": 0, "medium": 0} with thresholds labelled the customer
    # at risk 0.6 "high" and the one at 0.9 "medium" (the keys' order taken as the risk order),
    # and {"high": 0, "medium": .025, "low": .05} was refused as raising "the lower-risk tier
    # 'high'".
    scores = pd.DataFrame(
        {"churn_risk": [0.1, 0.3, 0.6, 0.9], "predicted_clv": [100.0, 50.0, 40.0, 10.0]}
    )
    for increases in (
        {"low": 0.05, "high": 0.0, "medium": 0.0},
        {"high": 0.0, "medium": 0.0, "low": 0.05},
    ):
        plan = clv.price_increase_plan(scores, increases, thresholds=(0.5, 0.8), margin=1.0)
        assert list(plan.assignments["tier"].astype(str)) == ["low", "low", "medium", "high"]
        assert list(plan.stages["tier"]) == ["low", "medium", "high"]
        assert list(plan.stages["increase"]) == [0.05, 0.0, 0.0]
    # Names of one's own still name the tiers lowest risk first, in the mapping's order.
    plan = clv.price_increase_plan(
        scores, {"calm": 0.05, "wary": 0.0}, thresholds=(0.5,), margin=1.0
    )
    assert list(plan.assignments["tier"].astype(str)) == ["calm", "calm", "wary", "wary"]
