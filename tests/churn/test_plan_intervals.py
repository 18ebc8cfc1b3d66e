"""clvmodel.price_increase_plan on scores with interval columns (churn_risk_lower/upper,
clv_lower/upper), and churn_tier_summary on the same scores.

Each refusal failed before its fix: scores joined with and without intervals left NaN bounds that
the stage sums skipped (a stage's upper total fell below its estimate); an unreadable bound read
back from a CSV raised numpy's ValueError; swapped bounds gave stage ranges that excluded the
estimate. The stage ranges are checked against a hand computation, and the tier summary must not
need the bounds it does not use."""

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv


def _scores_with_intervals(ids) -> pd.DataFrame:
    """Scores as churn_risk(..., interval=) makes them, by hand: every bound around its estimate."""
    risk = np.linspace(0.1, 0.9, len(ids))
    value = np.linspace(100.0, 10.0, len(ids))
    return pd.DataFrame(
        {
            "churn_risk": risk,
            "predicted_clv": value,
            "churn_risk_lower": risk - 0.05,
            "churn_risk_upper": risk + 0.05,
            "clv_lower": 0.8 * value,
            "clv_upper": 1.2 * value,
        },
        index=ids,
    )


def test_scores_joined_with_and_without_intervals_are_refused_not_summed_in_part():
    # pd.concat of scores with interval= and scores without left NaN bounds, which the
    # stage sums skipped: stage 1's total_predicted_clv_upper (48) fell below its estimate (100).
    with_bounds = _scores_with_intervals(["a", "b", "c"])
    without = _scores_with_intervals(["d"]).drop(
        columns=["churn_risk_lower", "churn_risk_upper", "clv_lower", "clv_upper"]
    )
    without["churn_risk"] = 0.2
    joined = pd.concat([with_bounds, without])
    with pytest.raises(clv.InputError, match=r"1 customer\(s\) have no churn_risk_lower"):
        clv.price_increase_plan(joined, thresholds=(0.5, 0.8), margin=1.0)
    # Without the interval columns the same customers make a plan.
    plain = joined.drop(columns=["churn_risk_lower", "churn_risk_upper", "clv_lower", "clv_upper"])
    plan = clv.price_increase_plan(plain, thresholds=(0.5, 0.8), margin=1.0)
    assert plan.stages["customers"].tolist() == [2, 1, 1]


def test_text_bounds_from_a_file_are_refused_in_the_librarys_words():
    # An unreadable bound read back from a CSV raised numpy's ValueError.
    scores = _scores_with_intervals(["a", "b", "c"]).astype({"clv_lower": object})
    scores.loc["a", "clv_lower"] = "n/a"
    with pytest.raises(clv.InputError, match=r"clv_lower"):
        clv.price_increase_plan(scores, thresholds=(0.5, 0.8), margin=1.0)


def test_text_bounds_that_are_numbers_are_read_as_numbers():
    scores = _scores_with_intervals(["a", "b", "c"])
    text = scores.astype({"clv_lower": str, "clv_upper": str})
    plan = clv.price_increase_plan(text, thresholds=(0.5, 0.8), margin=1.0)
    expected = clv.price_increase_plan(scores, thresholds=(0.5, 0.8), margin=1.0)
    pd.testing.assert_frame_equal(plan.stages, expected.stages)


def test_swapped_bounds_are_refused():
    # Swapped bounds (lower above upper) gave stage ranges that excluded the estimate.
    scores = _scores_with_intervals(["a", "b", "c"])
    swapped = scores.assign(clv_lower=scores["clv_upper"], clv_upper=scores["clv_lower"])
    with pytest.raises(clv.InputError, match=r"3 customer\(s\) have clv_lower above clv_upper"):
        clv.price_increase_plan(swapped, thresholds=(0.5, 0.8), margin=1.0)


def test_stage_ranges_hold_the_stage_estimates():
    # Hand computation: stage 1 holds customers a and b (risk 0.1, 0.3), value 100 + 70 = 170.
    scores = _scores_with_intervals(["a", "b", "c", "d"])
    plan = clv.price_increase_plan(scores, (0.05, 0.025, 0.0), thresholds=(0.5, 0.8), margin=1.0)
    stages = plan.stages
    assert stages["total_predicted_clv"].tolist() == pytest.approx([170.0, 40.0, 10.0])
    assert stages["total_predicted_clv_lower"].tolist() == pytest.approx([136.0, 32.0, 8.0])
    assert stages["extra_revenue"].tolist() == pytest.approx([8.5, 1.0, 0.0])
    assert stages["break_even_churn"].tolist() == pytest.approx([0.05 / 1.05, 0.025 / 1.025, 0])
    for name in ("total_predicted_clv", "extra_revenue", "mean_churn_risk"):
        assert (stages[f"{name}_lower"] <= stages[name]).all()
        assert (stages[name] <= stages[f"{name}_upper"]).all()


def test_the_tier_summary_does_not_need_the_bounds_it_does_not_use():
    scores = _scores_with_intervals(["a", "b", "c"]).assign(tier=["low", "medium", "high"])
    scores.loc["a", "clv_lower"] = np.nan
    assert clv.churn_tier_summary(scores)["customers"].tolist() == [1, 1, 1]
