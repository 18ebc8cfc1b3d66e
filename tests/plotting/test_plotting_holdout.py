"""Holdout figures: they render, and what they draw is the report's numbers."""

import importlib.util
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import clvmodel as clv  # noqa: E402
from clvmodel.plotting import (  # noqa: E402
    plot_conditional_expectation,
    plot_period_transactions,
    plot_predicted_vs_actual,
    plot_reliability,
    plot_tracking,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report(cdnow_sample, cdnow_split, cdnow_split_bg):
    # tests/conftest.py: the sample, its split at 1997-09-30 / 1998-06-30 and BG/NBD fitted on it
    calibration, holdout = cdnow_split
    return clv.evaluate_holdout(cdnow_split_bg, calibration, holdout, transactions=cdnow_sample)


def _render(ax, path):
    ax.figure.savefig(path, dpi=60)
    assert path.stat().st_size > 5_000
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert ax.get_legend() is not None


def _no_pyplot_figures(before):
    assert plt.get_fignums() == before


def _one_new_pyplot_figure(before, ax):
    """Without ax=, the figure is pyplot's: Jupyter displays it and plt.show() shows it."""
    assert plt.get_fignums() == [*before, ax.figure.number]


@pytest.mark.parametrize("kind", ["cumulative", "incremental"])
def test_tracking_draws_the_reports_series(report, tmp_path, kind):
    before = plt.get_fignums()
    ax = plot_tracking(report, kind=kind)
    _render(ax, tmp_path / f"tracking_{kind}.png")
    tracking = report.tracking
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), tracking["period"])
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), tracking[f"actual_{kind}"])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), tracking[f"model_{kind}"])
    boundary = 39 if kind == "cumulative" else 39.5
    assert ax.lines[2].get_xdata()[0] == boundary
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Actual", "BG/NBD"]
    assert "Week" in ax.get_xlabel() and "1997-01-01" in ax.get_xlabel()
    _one_new_pyplot_figure(before, ax)


def test_conditional_expectation_draws_the_table(report, tmp_path):
    ax = plot_conditional_expectation(report, baselines=("naive", "own_rate"))
    _render(ax, tmp_path / "conditional.png")
    table = report.conditional_expectation
    for line, column in zip(ax.lines, ["actual", "model", "naive", "own_rate"], strict=True):
        np.testing.assert_array_equal(line.get_ydata(), table[column])
        np.testing.assert_array_equal(line.get_xdata(), np.arange(8))
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0].startswith("0") and "1,411" in labels[0] and labels[-1].startswith("7+")


def test_a_class_without_customers_leaves_its_place_empty(cdnow_split, cdnow_split_bg):
    """With 20 classes CDNOW has no customer with 16 repeat purchases: class 17 was drawn at
    x = 16, beside class 15 as if adjacent."""
    calibration, holdout = cdnow_split
    table = clv.evaluate_holdout(cdnow_split_bg, calibration, holdout, max_frequency=20)
    table = table.conditional_expectation
    assert "16" not in table.index
    ax = plot_conditional_expectation(table)
    expected = [float(str(label).rstrip("+")) for label in table.index]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), expected)
    assert 16.0 not in ax.lines[0].get_xdata() and 17.0 in ax.lines[0].get_xdata()


def test_predicted_vs_actual_draws_the_bins(report, tmp_path):
    ax = plot_predicted_vs_actual(report)
    _render(ax, tmp_path / "pva.png")
    table = report.predicted_vs_actual
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), table["mean_predicted"])
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), table["mean_actual"])
    diagonal = ax.lines[1]
    np.testing.assert_array_equal(diagonal.get_xdata(), diagonal.get_ydata())


def test_period_transactions_bars_are_the_exact_expectations(report, tmp_path):
    ax = plot_period_transactions(report)
    _render(ax, tmp_path / "period.png")
    table = report.period_transactions
    actual = [bar.get_height() for bar in ax.containers[0]]
    model = [bar.get_height() for bar in ax.containers[1]]
    np.testing.assert_array_equal(actual, table["actual"])
    np.testing.assert_array_equal(model, table["model"])
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "7+"


def test_reliability_draws_both_scores(report, tmp_path):
    ax = plot_reliability(report)
    _render(ax, tmp_path / "reliability.png")
    purchase, alive = report.reliability_purchase, report.reliability_alive
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), purchase["mean_predicted"])
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), purchase["observed_rate"])
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), alive["mean_predicted"])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), alive["observed_rate"])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    auc = report.churn_scores.loc["probability_alive", "roc_auc"]
    assert legend[1] == f"P(alive): AUC {auc:.2f}"


def test_plots_accept_tables_and_a_given_axes(report, tmp_path):
    figure = Figure(figsize=(12, 8), layout="constrained")
    axes = figure.subplots(2, 3).ravel()
    drawn = [
        plot_tracking(report.tracking, ax=axes[0]),
        plot_tracking(report.tracking, ax=axes[1], kind="incremental"),
        plot_conditional_expectation(report.conditional_expectation, ax=axes[2]),
        plot_predicted_vs_actual(report.predicted_vs_actual, ax=axes[3]),
        plot_period_transactions(report.period_transactions, ax=axes[4]),
        plot_reliability(report.reliability_purchase, ax=axes[5]),
    ]
    assert all(a is b for a, b in zip(drawn, axes, strict=True))
    np.testing.assert_array_equal(
        axes[2].lines[1].get_ydata(), report.conditional_expectation["model"]
    )
    figure.savefig(tmp_path / "grid.png", dpi=50)
    assert (tmp_path / "grid.png").stat().st_size > 10_000


def test_plot_errors_are_clear(report):
    no_tracking = type(report)(**{**report.__dict__, "tracking": None})
    with pytest.raises(clv.InputError, match="pass transactions="):
        plot_tracking(no_tracking)
    with pytest.raises(clv.InputError, match="kind must be"):
        plot_tracking(report, kind="weekly")
    with pytest.raises(clv.InputError, match="no column 'mean_actual'"):
        plot_predicted_vs_actual(report.reliability_alive)
    with pytest.raises(clv.InputError, match="unknown baseline"):
        plot_conditional_expectation(report, baselines=("median",))
    with pytest.raises(clv.InputError, match="HoldoutReport"):
        plot_period_transactions([1, 2, 3])
    with pytest.raises(clv.InputError, match="table has no rows"):  # was a raw ValueError
        plot_predicted_vs_actual(report.predicted_vs_actual.iloc[:0])


def test_docs_script_makes_the_readme_figures(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "figures_holdout", ROOT / "docs" / "figures_holdout.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    before = plt.get_fignums()
    written = module.make(tmp_path)
    names = {path.name for path in written}
    assert {"holdout_tracking_cumulative.png", "holdout_conditional_expectation.png"} <= names
    for path in written:
        assert path.parent == tmp_path and path.stat().st_size > 5_000
    _no_pyplot_figures(before)
