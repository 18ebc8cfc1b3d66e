"""Defects found in a hunt through the metrics, the price plan (its start dates, tier labels and
command-line options), coverage comparisons and the figures of value intervals, values, model
comparisons, frequency/recency grids and tracking: each test failed before its fix."""

import re

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli
from matplotlib.figure import Figure

import clvmodel as clv
from clvmodel import metrics
from clvmodel.plotting import plot_clv_vs_naive, plot_model_comparison, plot_value_intervals


def _axes():
    return Figure().add_subplot()


# --------------------------------------------------------------------------------------------------
# metrics.reliability_table: probabilities against 0/1 outcomes


def test_reliability_table_refuses_outcomes_that_are_counts():
    # A hunt: an outcome of 3 (a purchase count, not bought or not) gave an "observed_rate" of 3.0.
    with pytest.raises(clv.InputError, match=r"outcome.*0 or 1.*3"):
        metrics.reliability_table([0.2, 0.5, 0.7], [0, 3, 1], bins=3)


def test_reliability_table_refuses_probabilities_given_as_percentages():
    # A hunt: 20, 50, 70 (percentages) were binned as probabilities, a "mean_predicted" of 50.
    with pytest.raises(clv.InputError, match=r"probabilit.*between 0 and 1.*50"):
        metrics.reliability_table([20.0, 50.0, 70.0], [0, 1, 1], bins=3)


def test_reliability_table_still_takes_booleans_and_keeps_its_numbers():
    table = metrics.reliability_table([0.2, 0.5, 0.7, 0.9], [False, True, True, True], bins=2)
    assert table["customers"].tolist() == [2, 2]
    assert table["mean_predicted"].tolist() == pytest.approx([0.35, 0.8])
    assert table["observed_rate"].tolist() == pytest.approx([0.5, 1.0])


@pytest.mark.filterwarnings("ignore::clvmodel.errors.ClvWarning")
def test_holdout_predictions_binned_against_counts_keep_their_mean_actual():
    # The holdout report bins predicted purchases (counts, not probabilities) the same way.
    tx = clv.datasets.load_cdnow_sample()
    cal, hold = clv.calibration_holdout_split(
        tx, calibration_end="1997-09-30", observation_end="1998-06-30"
    )
    bg = clv.BetaGeoModel.from_params(
        {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, time_unit="W"
    )
    report = clv.evaluate_holdout(bg, cal, hold)
    table = report.predicted_vs_actual
    customers = report.customers
    assert table["customers"].sum() == len(customers)
    weighted = (table["mean_actual"] * table["customers"]).sum() / table["customers"].sum()
    assert weighted == pytest.approx(customers["actual_purchases"].mean())
    assert table["mean_actual"].max() > 1  # counts: a bin of heavy buyers buys more than once


# --------------------------------------------------------------------------------------------------
# price_increase_plan: one start date per stage


def test_start_dates_with_and_without_a_time_zone_are_refused_in_the_librarys_words():
    # A hunt: pandas' "Cannot compare tz-naive and tz-aware timestamps" came out raw.
    scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [30.0, 20.0, 1.0]})
    with pytest.raises(clv.InputError, match=r"start.*time zone"):
        clv.price_increase_plan(
            scores,
            thresholds=(0.5, 0.8),
            start=["2025-01-06", "2025-02-03T00:00+05:00", "2025-03-03"],
            margin=1.0,
        )


def test_start_dates_all_in_one_time_zone_are_taken():
    scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [30.0, 20.0, 1.0]})
    plan = clv.price_increase_plan(
        scores,
        thresholds=(0.5, 0.8),
        start=["2025-01-06T00:00+01:00", "2025-01-13T00:00+01:00", "2025-01-20T00:00+01:00"],
        margin=1.0,
    )
    assert plan.stages["weeks_after_first_stage"].tolist() == pytest.approx([0.0, 1.0, 2.0])


# --------------------------------------------------------------------------------------------------
# plot_value_intervals


def _interval_scores(**changes) -> pd.DataFrame:
    scores = pd.DataFrame(
        {"predicted_clv": [5.0, 4.0, 3.0], "clv_lower": [4.0, 3.0, 2.0], "clv_upper": [6.0, 5, 4]},
        index=["a", "b", "c"],
    )
    for name, (row, value) in changes.items():
        scores.loc[row, name] = value
    return scores


def test_value_intervals_of_no_customers_are_refused():
    # A hunt: an empty table drew an empty figure titled "Top 0 customers".
    with pytest.raises(clv.InputError, match=r"no rows|empty"):
        plot_value_intervals(_interval_scores().iloc[:0], ax=_axes())


@pytest.mark.parametrize(
    "changes",
    [
        {"predicted_clv": ("b", np.nan)},
        {"clv_lower": ("a", np.nan)},
        {"clv_upper": ("a", np.inf)},
    ],
)
def test_value_intervals_with_missing_values_are_refused(changes):
    # A hunt: a missing bound or estimate was drawn as a point without its bar (numpy's
    # "invalid value encountered in subtract" the only sign), and a missing estimate was counted
    # among the "Top 3 customers" of the title.
    with pytest.raises(clv.InputError, match=r"missing or infinite"):
        plot_value_intervals(_interval_scores(**changes), ax=_axes())


def test_value_intervals_read_from_text_are_drawn_as_numbers():
    # A hunt: text columns (a CSV read back without types) failed in pandas' nlargest.
    scores = _interval_scores().astype(str)
    ax = plot_value_intervals(scores, ax=_axes())
    assert len(ax.containers[0].lines[0].get_xdata()) == 3


def test_value_intervals_that_are_not_numbers_are_named():
    scores = _interval_scores().astype(object)
    scores.loc["a", "clv_upper"] = "lots"
    with pytest.raises(clv.InputError, match=r"clv_upper.*numbers"):
        plot_value_intervals(scores, ax=_axes())


# --------------------------------------------------------------------------------------------------
# plot_clv_vs_naive and plot_model_comparison


@pytest.mark.parametrize("kind", ["histogram", "concentration"])
def test_values_that_are_not_numbers_are_refused_in_the_librarys_words(kind):
    # A hunt: numpy's "could not convert string to float: 'a'" came out raw.
    table = pd.DataFrame({"predicted_clv": ["a", "2"], "naive_clv": [2.0, 2.0]})
    with pytest.raises(clv.InputError, match=r"predicted_clv.*numbers"):
        plot_clv_vs_naive(table, kind=kind, ax=_axes())


def test_model_comparison_figure_given_the_ranking_table_says_what_it_needs():
    # A hunt: passing comparison.table (a DataFrame) was told "this comparison has no holdout
    # results", although it came from compare_models(calibration, holdout).
    table = pd.DataFrame({"model": ["BG/NBD"], "holdout_mae": [0.8]})
    with pytest.raises(clv.InputError, match=r"ModelComparison.*DataFrame"):
        plot_model_comparison(table, ax=_axes())


# --------------------------------------------------------------------------------------------------
# Tier labels and cut points from numpy or pandas


@pytest.mark.parametrize("make", [np.array, pd.Index, pd.Series])
def test_tier_labels_and_cut_points_from_arrays_are_taken(make):
    # A hunt: tiers=np.array(["a", "b", "c"]) (or a pandas Index, a column of labels) was told
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


# --------------------------------------------------------------------------------------------------
# frequency_recency_grid: the grid's size


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("max_frequency", "abc"),
        ("max_frequency", [5]),
        ("recency_points", "x"),
        ("max_frequency", -1),
    ],
)
def test_grid_sizes_that_are_not_whole_numbers_are_named(argument, value):
    # A hunt: float()'s "could not convert string to float: 'abc'" (and its TypeError for a
    # list) came out raw.
    from clvmodel.plotting import frequency_recency_grid

    bg = clv.BetaGeoModel.from_params(
        {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, time_unit="W"
    )
    options = {"T": 39, "max_frequency": 5, argument: value}
    with pytest.raises(clv.InputError, match=rf"{argument} must be a whole number"):
        frequency_recency_grid(bg, **options)
    assert frequency_recency_grid(bg, T=39, max_frequency=5.0, recency_points=4).shape == (6, 4)


# --------------------------------------------------------------------------------------------------
# coverage_comparison: what models it takes


@pytest.fixture(scope="module")
def cdnow_split():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clv.calibration_holdout_split(
            clv.datasets.load_cdnow_sample(),
            calibration_end="1997-09-30",
            observation_end="1998-06-30",
        )


@pytest.mark.parametrize("models", ["bgnbd", ["bgnbd", "pnbd"]])
def test_coverage_comparison_of_model_names_says_it_needs_fitted_models(cdnow_split, models):
    # A hunt: models="bgnbd" (as compare_models takes it) was read letter by letter and told
    # "5 models share the label(s) ['str']"; two names were told they share the label 'str'.
    cal, hold = cdnow_split
    with pytest.raises(clv.InputError, match=r"fitted purchase model") as caught:
        clv.coverage_comparison(models, cal, hold)
    assert "share the label" not in str(caught.value)


def test_coverage_comparison_of_one_model_is_its_coverage(cdnow_split):
    cal, hold = cdnow_split
    bg = clv.BetaGeoModel().fit(cal)
    table = clv.coverage_comparison(bg, cal, hold)
    alone = clv.interval_coverage(bg, cal, hold)
    assert list(table.index.get_level_values("model").unique()) == ["BG/NBD"]
    assert table.loc["BG/NBD", "observed_coverage"].tolist() == alone["observed_coverage"].tolist()


# --------------------------------------------------------------------------------------------------
# plot_tracking: a short holdout


@pytest.mark.filterwarnings("ignore::clvmodel.errors.ClvWarning")
def test_tracking_legend_leaves_the_calibration_and_holdout_labels_readable():
    # A hunt: with a holdout of a few days (clvmodel evaluate --observation-end a week after
    # --calibration-end) the per-week figure's legend, upper right, covered the "calibration" and
    # "holdout" labels of the boundary, which then stands at the right edge.
    from clvmodel.plotting import plot_tracking

    bg = clv.BetaGeoModel.from_params(
        {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, time_unit="W"
    )
    table = clv.tracking_table(bg, clv.datasets.load_cdnow_sample(), "1997-09-30", "1997-10-03")
    figure = Figure(figsize=(7.0, 4.5))
    ax = plot_tracking(table, ax=figure.add_subplot(), kind="incremental")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    legend = ax.get_legend().get_window_extent(renderer)
    labels = [t for t in ax.texts if t.get_text().strip() in ("calibration", "holdout")]
    assert len(labels) == 2
    for label in labels:
        assert not legend.overlaps(label.get_window_extent(renderer)), label.get_text()


# --------------------------------------------------------------------------------------------------
# metrics: Series are paired by customer


def test_series_in_different_orders_are_paired_by_customer():
    # A hunt: scores sorted by churn risk against holdout outcomes in file order were paired by
    # position: an AUC of 0 for a perfect score, an MAE of 1.33 for perfect predictions.
    risk = pd.Series([0.9, 0.6, 0.2, 0.1], index=["d", "c", "b", "a"])
    silent = pd.Series([False, False, True, True], index=["a", "b", "c", "d"])
    assert metrics.roc_auc(risk, silent) == 1.0
    assert metrics.brier_score(risk, silent) == pytest.approx(
        np.mean((risk.to_numpy() - [1, 1, 0, 0]) ** 2)
    )
    predicted = pd.Series([1.0, 2.0, 3.0], index=[2, 1, 0])
    actual = pd.Series([3.0, 2.0, 1.0], index=[0, 1, 2])
    errors = metrics.prediction_errors(predicted, actual)
    assert errors["mae"] == 0.0 and errors["pearson"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("predicted_ids", "actual_ids", "words"),
    [
        (["a", "b", "x"], ["a", "b", "c"], r"\['x'\] only in the predictions"),
        (["a", "b"], ["a", "b", "c"], r"\['c'\] only in the outcomes"),
        (["a", "b", "a"], ["b", "a", "a"], r"ids that repeat"),
    ],
)
def test_series_of_different_customers_are_refused(predicted_ids, actual_ids, words):
    predicted = pd.Series(np.linspace(0.1, 0.4, len(predicted_ids)), index=predicted_ids)
    actual = pd.Series(np.arange(len(actual_ids)) % 2, index=actual_ids)
    with pytest.raises(clv.InputError, match=rf"different customers \({words}"):
        metrics.roc_auc(predicted, actual)


# --------------------------------------------------------------------------------------------------
# clvmodel plan: --tiers and --quantiles in the command line's words


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--tiers", "low,,high"], r"--tiers low,,high leaves a tier without a name"),
        (["--tiers", "a,a,b"], r"--tiers a,a,b names 'a' more than once"),
        (["--quantiles", "0.5,0.5"], r"--quantiles 50%,50%: .* e\.g\. --quantiles 33\.3%"),
    ],
)
def test_plan_options_are_refused_in_the_command_lines_words(tmp_path, options, words):
    # A hunt: --tiers low,,high was told "tier labels must be non-empty strings, got ('low', '',
    # 'high')" (the Python words), and --quantiles 50%,50% was shown "e.g. --thresholds 50%,80%".
    model = tmp_path / "bg.json"
    clv.BetaGeoModel.from_params(
        {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, time_unit="W"
    ).save(model)
    rfm = tmp_path / "rfm.csv"
    pd.DataFrame(
        {"customer_id": ["a", "b"], "frequency": [1, 0], "recency": [2.0, 0.0], "T": [5.0, 3.0]}
    ).to_csv(rfm, index=False)
    result = run_cli("plan", model, rfm, "-o", tmp_path / "plan.csv", *options)
    assert result.exit_code != 0
    assert re.search(words, result.output), result.output
    assert not (tmp_path / "plan.csv").exists()


def test_coverage_figure_of_a_comparison_names_model_and_group(cdnow_split):
    # A hunt: plot_coverage(coverage_comparison(...)) labelled its bars "('BG/NBD', 'all')".
    from clvmodel.plotting import plot_coverage

    cal, hold = cdnow_split
    table = clv.coverage_comparison([clv.BetaGeoModel().fit(cal)], cal, hold)
    ax = plot_coverage(table, ax=_axes())
    labels = [tick.get_text() for tick in ax.get_xticklabels()]
    assert labels[0] == f"BG/NBD: all\n(n={len(cal):,})"
    assert not any("(" in label.split("\n")[0] for label in labels)


def test_coverage_options_the_model_does_not_take_are_named(cdnow_split):
    # A hunt: interval_coverage(..., n_draw=500) failed in "PurchasePredictions.predict() got an
    # unexpected keyword argument 'n_draw'", a class the caller never saw.
    cal, hold = cdnow_split
    bg = clv.BetaGeoModel().fit(cal)
    with pytest.raises(clv.InputError, match=r"unknown option\(s\) \['n_draw'\].*n_draws"):
        clv.interval_coverage(bg, cal, hold, n_draw=500)


# --------------------------------------------------------------------------------------------------
# churn_risk: the spend model argument


def test_churn_risk_names_its_gg_argument_for_a_purchase_model_given_as_gg():
    # A hunt: churn_risk(bg, rfm, "39W", bg) was told the value "needs a fitted spend model ... as
    # the second model" (it is the fourth argument, gg).
    bg = clv.BetaGeoModel.from_params(
        {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, time_unit="W"
    )
    rfm = pd.DataFrame({"frequency": [1.0], "recency": [2.0], "T": [5.0], "monetary_value": [9.0]})
    with pytest.raises(clv.InputError, match=r"^gg must be a fitted spend model.*BetaGeoModel"):
        clv.churn_risk(bg, rfm, "39W", bg)
