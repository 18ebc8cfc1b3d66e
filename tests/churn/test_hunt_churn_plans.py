"""Defects found in a hunt through the churn plan, the simulations, the metrics and the model
comparison: each test failed before its fix."""

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel import metrics

# --------------------------------------------------------------------------------------------------
# Price-increase plan: the interval columns of the scores


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
    # A hunt: pd.concat of scores with interval= and scores without left NaN bounds, which the
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
    # A hunt: an unreadable bound read back from a CSV raised numpy's ValueError.
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
    # A hunt: swapped bounds (lower above upper) gave stage ranges that excluded the estimate.
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


# --------------------------------------------------------------------------------------------------
# Metrics


def test_brier_score_refuses_probabilities_given_as_percentages():
    # A hunt: brier_score([50, 20], [1, 0]) returned 1400.5 without a word.
    with pytest.raises(clv.InputError, match=r"probabilit.*between 0 and 1.*50"):
        metrics.brier_score([50.0, 20.0], [1, 0])


@pytest.mark.parametrize("function", [metrics.brier_score, metrics.roc_auc])
def test_outcomes_other_than_0_and_1_are_refused(function):
    # A hunt: an outcome of 5 (a count, not bought or not) was scored silently: roc_auc read 0.3 as
    # "no" and 2 as "yes"; brier_score squared the distance to 5.
    with pytest.raises(clv.InputError, match=r"outcome.*0 or 1.*5"):
        function([0.5, 0.2, 0.4], [5, 0, 1])
    assert function([0.9, 0.2], [True, False]) == function([0.9, 0.2], [1, 0])


def test_text_predictions_are_refused_in_the_librarys_words():
    # A hunt: numpy's "could not convert string to float" came out raw.
    with pytest.raises(clv.InputError, match=r"numbers"):
        metrics.prediction_errors(["a", "b"], [1, 2])
    with pytest.raises(clv.InputError, match=r"numbers"):
        metrics.roc_auc([0.1, 0.2], ["yes", "no"])


@pytest.mark.parametrize("bins", ["3", 2.5, True, None])
def test_reliability_bins_must_be_a_whole_number(bins):
    # A hunt: bins="3" raised a raw TypeError and bins=2.5 was used as 2.5 bins.
    with pytest.raises(clv.InputError, match=r"bins must be a whole number"):
        metrics.reliability_table([0.5, 0.2], [1, 0], bins=bins)


def test_correlations_of_predictions_equal_but_for_rounding_are_nan_without_a_warning():
    # A hunt: predictions equal up to the last bit of a float made scipy warn (nearly constant
    # input) and gave a correlation of rounding noise.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        errors = metrics.prediction_errors([1.0, 1.0 + 2e-16, 1.0, 1.0], [0.0, 1.0, 2.0, 3.0])
    assert np.isnan(errors["pearson"]) and np.isnan(errors["spearman"])
    assert errors["mae"] == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------------
# Model comparison


@pytest.mark.parametrize("models", [3, 2.5])
def test_compare_models_refuses_models_that_are_not_names_or_models(models):
    # A hunt: models=3 raised "TypeError: 'int' object is not iterable".
    calibration = clv.simulate_customers(50, dict(r=0.5, alpha=5.0, a=0.8, b=2.5), T=39, seed=1)
    with pytest.raises(clv.InputError, match=r"models must be a model name.*got 3|got 2.5"):
        clv.compare_models(calibration, models=models)


# --------------------------------------------------------------------------------------------------
# Simulation

BG_PARAMS = dict(r=0.5, alpha=5.0, a=0.8, b=2.5)


@pytest.mark.parametrize("params", [None, [0.5, 5.0, 0.8, 2.5], 0.5])
def test_parameters_that_are_not_a_mapping_are_refused(params):
    # A hunt: a list or None raised "list indices must be integers" / "not subscriptable".
    with pytest.raises(clv.InputError, match=r"bg_params must be a mapping"):
        clv.simulate_customers(5, params, seed=1)
    if params is not None:  # gg_params=None: no spend
        with pytest.raises(clv.InputError, match=r"gg_params must be a mapping"):
            clv.simulate_transactions(5, BG_PARAMS, gg_params=params, seed=1)


def test_a_bool_parameter_is_refused():
    # A hunt: r=True was drawn as r = 1.
    with pytest.raises(clv.InputError, match=r"bg_params\['r'\] must be a positive finite number"):
        clv.simulate_customers(5, dict(BG_PARAMS, r=True), seed=1)


@pytest.mark.parametrize(
    "coefficients", [{"z": "high"}, [0.5], {"z": None}], ids=["text", "list", "none"]
)
def test_coefficients_must_be_a_mapping_of_numbers(coefficients):
    # A hunt: numpy's ValueError / dict()'s TypeError came out raw.
    covariates = pd.DataFrame({"z": [0.0, 1.0]})
    with pytest.raises(clv.InputError, match=r"purchase_coefficients must"):
        clv.simulate_customers_with_covariates(
            covariates, BG_PARAMS, purchase_coefficients=coefficients, seed=1
        )


@pytest.mark.parametrize(
    "argument", ["purchase_coefficients", "dropout_coefficients", "spend_coefficients"]
)
def test_covariate_effects_that_overflow_are_refused_naming_the_coefficients(argument):
    # A hunt: an unscaled covariate (income in currency units) made exp(γᵀz) overflow: numpy
    # warnings, then a raw "a <= 0" (dropout), a message blaming bg_params (purchase) or infinite
    # monetary values (spend).
    covariates = pd.DataFrame({"income": [20_000.0, 50_000.0, 80_000.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(clv.InputError, match=rf"{argument}.*overflow|{argument}.*too large"):
            clv.simulate_customers_with_covariates(
                covariates,
                BG_PARAMS,
                gg_params=dict(p=6.0, q=3.8, v=15.0),
                seed=1,
                **{argument: {"income": -0.05 if argument == "purchase_coefficients" else 0.05}},
            )


def test_ages_given_as_a_series_follow_the_customer_ids():
    # A hunt: T as a Series indexed by customer was taken in row order, not by id: customer 100
    # got the age of customer 149.
    covariates = pd.DataFrame({"z": np.zeros(5)}, index=[100, 101, 102, 103, 104])
    ages = pd.Series([40.0, 30.0, 20.0, 10.0, 0.0], index=[104, 103, 102, 101, 100])
    table = clv.simulate_customers_with_covariates(covariates, BG_PARAMS, T=ages, seed=1)
    assert table["T"].to_dict() == {100: 0.0, 101: 10.0, 102: 20.0, 103: 30.0, 104: 40.0}
    with pytest.raises(
        clv.InputError, match=r"T is a Series by customer id, but it has no T for 5 customer"
    ):
        clv.simulate_customers_with_covariates(
            covariates, BG_PARAMS, T=ages.set_axis([1, 2, 3, 4, 5]), seed=1
        )
    # Same draws as the ages in the covariates' row order.
    in_order = clv.simulate_customers_with_covariates(
        covariates, BG_PARAMS, T=[0.0, 10.0, 20.0, 30.0, 40.0], seed=1
    )
    pd.testing.assert_frame_equal(table, in_order)


@pytest.mark.parametrize("start", [20250106, 20250106.0, np.int64(20250106)])
def test_a_start_date_given_as_a_number_is_refused(start):
    # A hunt: start=20250106 was read by pandas as nanoseconds after 1970: every stage started on
    # 1970-01-01, silently.
    scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [1.0, 1.0, 1.0]})
    with pytest.raises(clv.InputError, match=r"start=.*is a number, not a date"):
        clv.price_increase_plan(scores, thresholds=(0.5, 0.8), margin=1.0, start=start)
    with pytest.raises(clv.InputError, match=r"start=.*is a number, not a date"):
        clv.price_increase_plan(scores, thresholds=(0.5, 0.8), margin=1.0, start=[start] * 3)


def test_a_missing_increase_is_called_missing_not_a_price_cut():
    scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [1.0, 1.0, 1.0]})
    with pytest.raises(clv.InputError, match=r"tier 'medium' is missing \(NaN\)"):
        clv.price_increase_plan(scores, np.array([0.05, np.nan, 0.0]), thresholds=(0.5, 0.8))


# --------------------------------------------------------------------------------------------------
# Opportunities (BG/BB's table)


@pytest.mark.parametrize("truncate", ["no", "False", 0, None])
def test_opportunity_summary_truncate_must_be_a_bool(truncate):
    # A hunt: truncate="no" is truthy, so transactions after observation_end were dropped silently
    # when the caller asked for an error.
    log = pd.DataFrame(
        {"customer_id": [1, 1, 1], "date": ["2020-03-01", "2021-05-01", "2023-02-01"]}
    )
    with pytest.raises(clv.InputError, match=r"truncate must be True or False"):
        clv.opportunity_summary(log, "Y", observation_end="2022-12-31", truncate=truncate)


def test_churn_risks_given_as_percentages_are_refused_with_the_fraction_to_write():
    scores = pd.DataFrame({"churn_risk": [10.0, 60.0, 90.0], "predicted_clv": [1.0, 1.0, 1.0]})
    with pytest.raises(clv.InputError, match=r"probability \(0.5, not 50, for 50 %\)"):
        clv.price_increase_plan(scores, thresholds=(0.5, 0.8), margin=1.0)


def test_reliability_bins_as_a_whole_float_are_taken():
    # evaluate_holdout takes bins=10.0 and passes it on.
    table = metrics.reliability_table([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1], bins=2.0)
    assert table["customers"].tolist() == [2, 2]
