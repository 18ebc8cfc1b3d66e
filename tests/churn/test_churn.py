"""Churn-risk scores and the staged price-increase plan."""

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from published import PUBLISHED_BG

import clvmodel as clv
from clvmodel.metrics import roc_auc

# Published BG/NBD estimates on the CDNOW sample (Fader, Hardie and Lee 2005).
BG = PUBLISHED_BG


@pytest.fixture(scope="module")
def cdnow(cdnow_split, cdnow_split_bg, cdnow_split_gg):
    # The shared session fixtures (tests/conftest.py): the split to 1997-09-30 / 1998-06-30 in
    # weeks, and BG/NBD and Gamma-Gamma fitted on its calibration table.
    cal, hold = cdnow_split
    return cal, hold, cdnow_split_bg, cdnow_split_gg


@pytest.fixture(scope="module")
def scores(cdnow):
    cal, _, bg, gg = cdnow
    return clv.churn_risk(bg, cal, horizon=39, gg=gg)


# --------------------------------------------------------------------------------------------------
# The score itself
def _simulate_calibration_and_holdout(n, r, alpha, a, b, ages, holdout, seed):
    """Follow the BG/NBD story purchase by purchase, independently of clvmodel.simulate.

    λ ~ Gamma(r, α), p ~ Beta(a, b); exponential gaps between purchases while alive; after each
    repeat purchase the customer drops out with probability p. Returns the calibration history
    (x, t_x, T) and whether the customer bought in (T, T + holdout].
    """
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1.0 / alpha, n)
    dropout = rng.beta(a, b, n)
    clock = np.zeros(n)
    x = np.zeros(n, dtype="int64")
    t_x = np.zeros(n)
    bought_later = np.zeros(n, dtype=bool)
    active = np.arange(n)
    while active.size:
        clock[active] += rng.exponential(1.0 / rate[active])
        active = active[clock[active] <= ages[active] + holdout]
        in_calibration = clock[active] <= ages[active]
        later = active[~in_calibration]
        bought_later[later] = True  # only whether there is a holdout purchase matters
        current = active[in_calibration]
        x[current] += 1
        t_x[current] = clock[current]
        active = current[rng.random(current.size) >= dropout[current]]
    rfm = pd.DataFrame({"frequency": x, "recency": t_x, "T": ages})
    return rfm, bought_later


def test_no_purchase_probability_matches_simulation_within_groups_of_histories():
    params = {"r": 0.6, "alpha": 9.0, "a": 0.7, "b": 2.2}
    n, holdout = 60_000, 26.0
    ages = np.random.default_rng(7).uniform(8.0, 60.0, n)
    rfm, bought = _simulate_calibration_and_holdout(n, *params.values(), ages, holdout, seed=11)
    bg = clv.BetaGeoModel.from_params(params, time_unit="W")
    predicted = bg.probability_no_purchase(rfm, holdout).to_numpy()
    observed = (~bought).astype(float)

    repeat = pd.cut(rfm["frequency"], [-1, 0, 1, 2, 4, np.inf], labels=["0", "1", "2", "3-4", "5+"])
    age = pd.qcut(rfm["T"], 3, labels=["young", "middle", "old"])
    by_history = pd.Series(list(zip(repeat, age, strict=True)))
    by_prediction = pd.Series(pd.qcut(predicted, 10, duplicates="drop").codes)
    checked = 0
    for groups in (by_history, by_prediction):
        for _, members in groups.groupby(groups).groups.items():
            p = predicted[members]
            if p.size < 200:
                continue
            # Given the true parameters the outcomes are independent Bernoulli(p_i): the standard
            # error of the group's observed share around its mean predicted probability is
            # sqrt(Σ p_i (1 − p_i)) / n. Four of them bound a false alarm at ~1e-4 per group.
            standard_error = math.sqrt(np.sum(p * (1 - p))) / p.size
            gap = abs(observed[members].mean() - p.mean())
            assert gap <= 4 * standard_error + 1e-9, (groups.iloc[members[0]], gap, standard_error)
            checked += 1
    assert checked >= 20
    overall_se = math.sqrt(np.sum(predicted * (1 - predicted))) / n
    assert abs(observed.mean() - predicted.mean()) <= 4 * overall_se

    # The same check has the power to reject 1 − P(alive), which says "never churns" for x = 0.
    not_alive = 1 - bg.probability_alive(rfm).to_numpy()
    first_time = (rfm["frequency"] == 0).to_numpy()
    assert observed[first_time].mean() - not_alive[first_time].mean() > 0.3


def test_cdnow_churn_score_ranks_and_calibrates(cdnow, scores):
    cal, hold, bg, _ = cdnow
    assert hold["duration_holdout"].iloc[0] == pytest.approx(39.0)
    no_purchase = (hold["frequency_holdout"] == 0).to_numpy()
    # Targets from the issue: AUC ≥ 0.75 and mean prediction within 5 points of the observed share.
    assert roc_auc(scores["churn_risk"], no_purchase) >= 0.75
    assert abs(scores["churn_risk"].mean() - no_purchase.mean()) <= 0.05
    # The trap: 1 − P(alive) ranks worse than chance (the issue quotes about 0.32).
    assert roc_auc(1 - scores["probability_alive"], no_purchase) < 0.5


def test_scores_hold_the_model_predictions(cdnow, scores):
    cal, _, bg, gg = cdnow
    assert list(scores.columns) == [
        "frequency",
        "recency",
        "T",
        "churn_risk",
        "probability_alive",
        "expected_purchases",
        "predicted_clv",
        "tier",
    ]
    assert scores.index.equals(cal.index)
    np.testing.assert_allclose(
        scores["churn_risk"], bg.probability_no_purchase(cal, 39), rtol=1e-12
    )
    np.testing.assert_allclose(scores["probability_alive"], bg.probability_alive(cal), rtol=1e-12)
    np.testing.assert_allclose(
        scores["expected_purchases"], bg.expected_purchases(cal, 39), rtol=1e-12
    )
    np.testing.assert_allclose(
        scores["predicted_clv"], clv.customer_lifetime_value(bg, gg, cal, 39), rtol=1e-12
    )
    assert np.isfinite(scores.drop(columns="tier").to_numpy()).all()
    assert (scores.loc[cal["frequency"] == 0, "probability_alive"] == 1).all()
    assert scores.attrs["tier_cuts"] == [0.5, 0.8] and scores.attrs["horizon"] == 39


def test_clv_settings_pass_through(cdnow):
    cal, _, bg, gg = cdnow
    scores = clv.churn_risk(bg, cal, 39, gg, clv_horizon="12M", discount_rate=0.1, margin=0.3)
    expected = clv.customer_lifetime_value(bg, gg, cal, "12M", discount_rate=0.1, margin=0.3)
    np.testing.assert_allclose(scores["predicted_clv"], expected, rtol=1e-12)
    assert scores.attrs["margin"] == 0.3
    # Without a CLV horizon the churn horizon is used, converted to the CLV's period.
    # (time_unit= names the CLV's period here; deprecated, it still works for one release.)
    with pytest.warns(DeprecationWarning, match="time_unit= is deprecated"):
        default = clv.churn_risk(bg, cal, 52, gg, time_unit="Y")
    one_year = clv.customer_lifetime_value(bg, gg, cal, clv.Duration(52 * 7 / 365.25, "Y"))
    np.testing.assert_allclose(default["predicted_clv"], one_year, rtol=1e-12)


def test_not_alive_score_is_available_for_comparison(cdnow):
    cal, _, bg, _ = cdnow
    scores = clv.churn_risk(bg, cal, 39, score="not_alive", quantiles=(0.5, 0.9))
    np.testing.assert_allclose(scores["churn_risk"], 1 - bg.probability_alive(cal))
    assert "predicted_clv" not in scores


# --------------------------------------------------------------------------------------------------
# Tiers: thresholds, quantiles, ties
def test_a_risk_exactly_at_a_threshold_goes_to_the_higher_tier():
    frame = pd.DataFrame({"churn_risk": [0.0, 0.4999, 0.5, 0.79, 0.8, 1.0]})
    plan = clv.price_increase_plan(frame, thresholds=(0.5, 0.8))
    assert plan.assignments["tier"].tolist() == ["low", "low", "medium", "medium", "high", "high"]


def test_quantile_cut_inside_a_block_of_ties_keeps_the_block_together():
    # Linear median of (0.1, 0.2, 0.2, 0.2, 0.9) is 0.2: the three tied customers all sit at the cut
    # and all go to the higher tier.
    frame = pd.DataFrame({"churn_risk": [0.2, 0.9, 0.2, 0.1, 0.2]}, index=list("abcde"))
    plan = clv.price_increase_plan(frame, increases=(0.04, 0.0), quantiles=(0.5,))
    assert plan.tier_cuts == (0.2,)
    assert plan.assignments["tier"].to_dict() == {
        "a": "high",
        "b": "high",
        "c": "high",
        "d": "low",
        "e": "high",
    }


def test_tiers_do_not_depend_on_row_order(cdnow):
    cal, _, bg, _ = cdnow
    shuffled = cal.sample(frac=1.0, random_state=3)
    for rule in ({"quantiles": (1 / 3, 2 / 3)}, {"thresholds": (0.5, 0.8)}):
        one = clv.churn_risk(bg, cal, 39, **rule)
        two = clv.churn_risk(bg, shuffled, 39, **rule)
        assert one.attrs["tier_cuts"] == two.attrs["tier_cuts"]
        pd.testing.assert_series_equal(one["tier"], two["tier"].reindex(one.index))
        # Equal risks share a tier (CDNOW has many one-time buyers with the same history).
        assert (one.groupby("churn_risk", observed=True)["tier"].nunique() == 1).all()
        plan_one = clv.price_increase_plan(one)
        plan_two = clv.price_increase_plan(two)
        pd.testing.assert_frame_equal(plan_one.stages, plan_two.stages)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_customer_at_higher_risk_never_gets_a_larger_increase(data):
    n_tiers = data.draw(st.integers(2, 4), label="tiers")
    grid = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.5, 0.8, 1.0])  # many ties and exact cuts
    risk = data.draw(
        st.lists(st.floats(0, 1) | grid, min_size=1, max_size=80).map(np.array), label="risk"
    )
    steps = sorted(data.draw(st.lists(st.floats(0, 0.99), min_size=n_tiers, max_size=n_tiers)))
    increases = tuple(reversed(steps))
    cuts = sorted(
        data.draw(
            st.lists(
                st.floats(0.001, 0.999), min_size=n_tiers - 1, max_size=n_tiers - 1, unique=True
            ),
            label="cuts",
        )
    )
    rule = data.draw(st.sampled_from(["thresholds", "quantiles"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.StatisticalWarning)  # empty tiers are fine here
        plan = clv.price_increase_plan(
            pd.DataFrame({"churn_risk": risk}), increases=increases, **{rule: cuts}
        )
    given_increase = plan.assignments["increase"].to_numpy()
    order = np.argsort(risk, kind="stable")
    sorted_risk, sorted_increase = risk[order], given_increase[order]
    higher = sorted_risk[1:] > sorted_risk[:-1]
    assert (sorted_increase[1:][higher] <= sorted_increase[:-1][higher]).all()
    equal = ~higher
    assert (sorted_increase[1:][equal] == sorted_increase[:-1][equal]).all()
    assert plan.stages["customers"].sum() == risk.size


# --------------------------------------------------------------------------------------------------
# The plan
def test_stage_totals_add_up_to_the_whole_table(scores):
    plan = clv.price_increase_plan(scores, increases=(0.05, 0.025, 0.0))
    stages, assigned = plan.stages, plan.assignments
    assert stages["customers"].sum() == len(scores)
    assert stages["share_of_customers"].sum() == pytest.approx(1.0)
    assert stages["total_predicted_clv"].sum() == pytest.approx(scores["predicted_clv"].sum())
    assert stages["share_of_value"].sum() == pytest.approx(1.0)
    assert stages["expected_purchases"].sum() == pytest.approx(scores["expected_purchases"].sum())
    # Extra revenue, customer by customer: increase × predicted CLV (margin 1).
    per_customer = (assigned["increase"] * assigned["predicted_clv"]).sum()
    assert stages["extra_revenue"].sum() == pytest.approx(per_customer)
    assert plan.total["extra_revenue"] == pytest.approx(per_customer)
    assert plan.total["customers"] == len(scores)
    mean_risk = (stages["mean_churn_risk"] * stages["customers"]).sum() / len(scores)
    assert mean_risk == pytest.approx(scores["churn_risk"].mean())
    # Lowest risk first, with the largest increase; the high-risk tier untouched.
    assert stages["tier"].tolist() == ["low", "medium", "high"]
    assert stages["increase"].tolist() == [0.05, 0.025, 0.0]
    assert assigned.loc[assigned["tier"] == "high", "increase"].eq(0).all()
    assert assigned["stage"].tolist() == (assigned["tier"].cat.codes + 1).tolist()
    assert stages["mean_churn_risk"].is_monotonic_increasing


def test_break_even_churn_matches_a_hand_computed_case():
    # One stage of two customers worth 60 and 40 (revenue, margin 1) and a 5 % increase.
    # Revenue after the increase if a share s of the value leaves: 1.05 (1 − s) 100, equal to the
    # 100 of today at s = 0.05 / 1.05 = 0.047619...; extra revenue if nobody leaves: 5.
    frame = pd.DataFrame({"churn_risk": [0.1, 0.2, 0.9], "predicted_clv": [60.0, 40.0, 7.0]})
    plan = clv.price_increase_plan(frame, increases=(0.05, 0.0), thresholds=(0.5,))
    first = plan.stages.loc[1]
    assert first["break_even_churn"] == pytest.approx(0.047619047619, rel=1e-10)
    assert first["break_even_customers"] == pytest.approx(2 * 0.047619047619, rel=1e-10)
    assert first["extra_revenue"] == pytest.approx(5.0)
    assert 1.05 * (1 - first["break_even_churn"]) * 100 == pytest.approx(100.0)
    second = plan.stages.loc[2]
    assert second["break_even_churn"] == 0 and second["extra_revenue"] == 0

    # With CLV as profit at margin m = 0.25: revenue R = 100 / 0.25 = 400, costs 300. After a 5 %
    # increase with a share s of customers leaving, profit is (1 − s)(420 − 300) = 120 (1 − s),
    # which equals today's 100 at s = 1/6 = 0.05 / (0.25 + 0.05); extra profit 0.05 × 400 = 20.
    profit = frame.assign(predicted_clv=frame["predicted_clv"] * 0.25)
    plan = clv.price_increase_plan(profit, increases=(0.05, 0.0), thresholds=(0.5,), margin=0.25)
    assert plan.stages.loc[1, "break_even_churn"] == pytest.approx(1 / 6, rel=1e-12)
    assert plan.stages.loc[1, "extra_revenue"] == pytest.approx(5.0)  # i × V / m = 0.05 × 25/0.25


def test_margin_is_taken_from_the_scores(cdnow):
    cal, _, bg, gg = cdnow
    scores = clv.churn_risk(bg, cal, 39, gg, margin=0.5)
    plan = clv.price_increase_plan(scores)
    assert plan.margin == 0.5
    assert plan.stages.loc[1, "break_even_churn"] == pytest.approx(0.05 / 0.55)
    assert clv.price_increase_plan(scores, margin=0.5).margin == 0.5
    # Another margin than the scores' own made a wrong plan without a word.
    with pytest.raises(clv.InputError, match=r"margin=1 contradicts the margin 0.5"):
        clv.price_increase_plan(scores, margin=1.0)


def test_stages_carry_a_wait_or_start_dates(scores):
    plan = clv.price_increase_plan(scores, stage_wait=8, start="2025-01-06")
    assert plan.stages["weeks_after_first_stage"].tolist() == [0, 8, 16]
    assert [d.strftime("%Y-%m-%d") for d in plan.stages["start_date"]] == [
        "2025-01-06",
        "2025-03-03",
        "2025-04-28",
    ]
    high = plan.assignments["tier"] == "high"
    assert (plan.assignments.loc[high, "start_date"] == pd.Timestamp("2025-04-28")).all()
    uneven = clv.price_increase_plan(scores, stage_wait=[4, 10])
    assert uneven.stages["weeks_after_first_stage"].tolist() == [0, 4, 14]
    assert "start_date" not in uneven.stages


def test_month_waits_start_stages_on_whole_days(scores):
    """A month's wait (365.25/12 days) put stage 2 at 10:30 and stage 3 at 21:00 while the
    printed plan showed their days: the dates fall on the nearest whole day."""
    plan = clv.price_increase_plan(scores, stage_wait="1M", start="2025-01-31")
    assert list(plan.stages["start_date"]) == [
        pd.Timestamp("2025-01-31"),
        pd.Timestamp("2025-03-02"),  # 30.44 days
        pd.Timestamp("2025-04-02"),  # 60.88 days
    ]
    assert plan.stages["weeks_after_first_stage"].tolist() == pytest.approx([0, 4.348214, 8.696429])
    dated = clv.price_increase_plan(scores, start=["2025-01-01", "2025-01-15", "2025-03-01"])
    assert dated.stages["weeks_after_first_stage"].tolist()[:2] == [0, 2]
    plain = clv.price_increase_plan(scores)
    assert "weeks_after_first_stage" not in plain.stages


def test_increases_as_a_mapping_and_tiers_by_name(scores):
    by_name = clv.price_increase_plan(scores, {"low": 0.04, "medium": 0.02, "high": 0.0})
    assert by_name.stages["increase"].tolist() == [0.04, 0.02, 0.0]
    listed = clv.price_increase_plan(scores, (0.04, 0.02, 0.0), tiers=("low", "medium", "high"))
    pd.testing.assert_frame_equal(by_name.stages, listed.stages)


def test_tiers_read_back_from_a_file_are_ordered_by_risk(scores, tmp_path):
    plan = clv.price_increase_plan(scores)
    path = tmp_path / "scores.csv"
    scores.to_csv(path)
    back = pd.read_csv(path, index_col=0)  # tiers are plain strings now
    again = clv.price_increase_plan(back)
    assert again.stages["tier"].tolist() == ["low", "medium", "high"]
    pd.testing.assert_series_equal(
        again.stages["customers"], plan.stages["customers"], check_dtype=False
    )


def test_scores_read_as_text_are_used_as_numbers(scores):
    # clvmodel.io.read_table reads CSV columns as text; "0.10" < "0.9" either way, but not "1e-05".
    text = pd.DataFrame(
        {
            "churn_risk": ["1e-05", "0.9", "0.85", "0.2"],
            "predicted_clv": ["10", "2", "3", "5.5"],
            "tier": ["low", "high", "high", "low"],
        }
    )
    plan = clv.price_increase_plan(text, (0.04, 0.0))
    assert plan.stages["tier"].tolist() == ["low", "high"]
    assert plan.stages["total_predicted_clv"].tolist() == [15.5, 5.0]
    assert plan.assignments["churn_risk"].dtype == "float64"
    kept = clv.price_increase_plan(scores.assign(churn_risk=scores["churn_risk"].astype(str)))
    assert kept.settings["horizon"] == 39  # the scores' settings survive the conversion


def test_str_and_to_dict(scores):
    plan = clv.price_increase_plan(scores, stage_wait=8)
    text = str(plan)
    assert "break-even churn" in text and "week 8" in text and "+2.5 %" in text
    assert f"{len(scores):,} customers" in text
    document = json.loads(json.dumps(plan.to_dict()))
    assert [s["tier"] for s in document["stages"]] == ["low", "medium", "high"]
    assert document["stages"][0]["customers"] == int(plan.stages.loc[1, "customers"])
    assert document["increases"] == [0.05, 0.025, 0.0]
    with_customers = plan.to_dict(assignments=True)
    assert len(with_customers["assignments"]) == len(scores)
    assert with_customers["assignments"][0]["customer_id"] == str(scores.index[0])
    json.dumps(with_customers)
    assert "PriceIncreasePlan" in repr(plan)


def test_an_empty_tier_warns_and_keeps_its_stage():
    frame = pd.DataFrame({"churn_risk": [0.1, 0.9], "predicted_clv": [1.0, 2.0]})
    with pytest.warns(clv.StatisticalWarning, match="medium"):
        plan = clv.price_increase_plan(frame, thresholds=(0.5, 0.8))
    assert plan.stages["customers"].tolist() == [1, 0, 1]
    assert plan.stages.loc[2, "total_predicted_clv"] == 0
    assert "–" in str(plan)


# --------------------------------------------------------------------------------------------------
# Errors that name the problem and the fix
@pytest.mark.parametrize(
    ("increases", "message"),
    [
        ((0.05, -0.01, 0.0), "must be ≥ 0"),
        ((5, 2.5, 0), "fractions below 1"),
        ((1.0, 0.5, 0.0), "fractions below 1"),
        ((0.02, 0.05, 0.0), "must not grow with risk"),
        ((0.05, 0.0), "one increase per tier"),
        ({"low": 0.05, "mid": 0.02, "high": 0.0}, "unknown tier"),
        ({"low": 0.05, "medium": 0.02}, "no entry for tier"),
        ("5,2.5,0", "sequence of fractions"),
        ((0.05, "x", 0.0), "must be numbers"),
    ],
)
def test_bad_increases(scores, increases, message):
    with pytest.raises(clv.InputError, match=message):
        clv.price_increase_plan(scores, increases)


def test_bad_tiers_and_scores(scores):
    with pytest.raises(clv.InputError, match=r"tier\(s\) \['low', 'medium', 'high'\] that are"):
        clv.price_increase_plan(scores, tiers=("bronze", "silver", "gold"))
    with pytest.raises(clv.InputError, match="must be listed from the lowest risk"):
        clv.price_increase_plan(scores, (0.05, 0.025, 0.0), tiers=("high", "medium", "low"))
    with pytest.raises(clv.InputError, match="no column 'churn_risk'.*clv.churn_risk"):
        clv.price_increase_plan(scores.drop(columns="churn_risk"))
    with pytest.raises(clv.InputError, match="no column 'tier'.*thresholds="):
        clv.price_increase_plan(scores.drop(columns="tier"))
    with pytest.raises(clv.InputError, match="outside"):
        clv.price_increase_plan(scores.assign(churn_risk=scores["churn_risk"] * 2))
    with pytest.raises(clv.InputError, match="not both"):
        clv.price_increase_plan(scores, thresholds=(0.5, 0.8), quantiles=(0.3, 0.6))
    with pytest.raises(clv.InputError, match="strictly between 0 and 1"):
        clv.price_increase_plan(scores, thresholds=(50, 80))
    with pytest.raises(clv.InputError, match="increase strictly"):
        clv.price_increase_plan(scores, thresholds=(0.8, 0.5))
    with pytest.raises(clv.InputError, match="one label per tier"):
        clv.price_increase_plan(scores, tiers=("a", "b"), thresholds=(0.5, 0.8))
    with pytest.raises(clv.InputError, match="stage_wait"):
        clv.price_increase_plan(scores, stage_wait=-1)
    with pytest.raises(clv.InputError, match="not a date"):
        clv.price_increase_plan(scores, start="next monday-ish")
    # Read month first without a word before: a start date must not read both ways.
    with pytest.raises(clv.InputError, match=r"start='03/04/2025' is ambiguous"):
        clv.price_increase_plan(scores, stage_wait=4, start="03/04/2025")
    assert clv.price_increase_plan(scores, start="13/04/2025").stages["start_date"].iloc[0] == (
        pd.Timestamp("2025-04-13")
    )
    # "April 2025" was read as 2025-04-01: a month is not a start date.
    with pytest.raises(clv.InputError, match=r"start='April 2025' is not a date"):
        clv.price_increase_plan(scores, start="April 2025")
    with pytest.raises(clv.InputError, match="DataFrame"):
        clv.price_increase_plan([0.1, 0.2])


def test_bad_churn_risk_arguments(cdnow):
    cal, _, bg, _ = cdnow
    with pytest.raises(clv.InputError, match="horizon"):
        clv.churn_risk(bg, cal, 0)
    with pytest.raises(clv.InputError, match="score="):
        clv.churn_risk(bg, cal, 39, score="dead")
    with pytest.raises(clv.InputError, match="need 3 cut point"):
        clv.churn_risk(bg, cal, 39, tiers=("a", "b", "c", "d"))
    with pytest.raises(clv.InputError, match="different"):
        clv.churn_risk(bg, cal, 39, tiers=("a", "a", "b"))
    with pytest.raises(clv.InputError, match="no column 'T'"):
        clv.churn_risk(bg, cal.drop(columns="T"), 39)


def test_tier_summary_matches_the_plan(scores):
    summary = clv.churn_tier_summary(scores)
    plan = clv.price_increase_plan(scores)
    assert summary["customers"].tolist() == plan.stages["customers"].tolist()
    np.testing.assert_allclose(summary["mean_churn_risk"], plan.stages["mean_churn_risk"])
    assert (
        summary["max_churn_risk"].to_numpy()[:-1] < summary["min_churn_risk"].to_numpy()[1:]
    ).all()
