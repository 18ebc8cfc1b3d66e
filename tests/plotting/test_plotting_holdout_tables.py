"""The holdout figures (plot_predicted_vs_actual, plot_period_transactions,
plot_conditional_expectation, plot_tracking) on the tables an analyst hands them.

Tables read back from CSV (every value text) are drawn at their values, not as categories, and
text that is not a number is named; bins without a mean, or all at 0, raised matplotlib's ValueError
or warned (identical limits); baselines= takes one name or None. With a holdout of a few days the
per-week tracking figure's legend covered the "calibration" and "holdout" labels of the boundary."""

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from published import PUBLISHED_BG

import clvmodel as clv
from clvmodel.plotting import (
    plot_conditional_expectation,
    plot_period_transactions,
    plot_predicted_vs_actual,
    plot_tracking,
)


def _axes():
    return Figure().add_subplot()


BG = clv.BetaGeoModel.from_params(PUBLISHED_BG, time_unit="W")


def _flat_axes():
    return Figure().add_subplot()


def _as_text(table: pd.DataFrame) -> pd.DataFrame:
    """The table as read_table gives it back from a CSV file: every value text."""
    return table.astype(str).set_axis(table.index.astype(str))


def test_predicted_vs_actual_from_text_draws_the_numbers_not_categories():
    table = pd.DataFrame({"mean_predicted": [0.5, 2.0, 0.1], "mean_actual": [0.4, 2.5, 0.2]})
    ax = plot_predicted_vs_actual(_as_text(table), ax=_flat_axes())
    # get_xydata: where the points are drawn (text would be categories at 0, 1, 2)
    np.testing.assert_allclose(ax.lines[0].get_xydata(), [[0.5, 0.4], [2.0, 2.5], [0.1, 0.2]])
    assert ax.get_xlim() == pytest.approx((0, 2.5 * 1.05))


def test_period_transactions_from_text_bars_have_the_counts():
    table = pd.DataFrame(
        {"actual": [1411, 439, 64], "model": [1400.5, 450.25, 60.0]}, index=["0", "1", "2+"]
    )
    ax = plot_period_transactions(_as_text(table), ax=_flat_axes())
    assert [b.get_height() for b in ax.containers[0]] == [1411, 439, 64]
    assert [b.get_height() for b in ax.containers[1]] == [1400.5, 450.25, 60.0]


def test_conditional_expectation_from_text_labels_counts_and_draws_numbers():
    table = pd.DataFrame(
        {"customers": [1411, 64], "actual": [0.24, 6.36], "model": [0.23, 6.16]},
        index=pd.Index(["0", "7+"], name="repeat_purchases"),
    )
    ax = plot_conditional_expectation(_as_text(table), ax=_flat_axes())
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.24, 6.36])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0\n(n=1,411)", "7+\n(n=64)"]


def test_tracking_from_text_draws_the_series(cdnow_sample):
    table = clv.tracking_table(BG, cdnow_sample, "1997-09-30")
    text = _as_text(table)
    text.attrs = dict(table.attrs)
    ax = plot_tracking(text, ax=_flat_axes())
    np.testing.assert_allclose(ax.lines[0].get_ydata(), table["actual_cumulative"])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), table["model_cumulative"])


def test_text_that_is_not_a_number_is_named():
    table = pd.DataFrame({"mean_predicted": ["0.5", "lots"], "mean_actual": ["0.4", "0.1"]})
    with pytest.raises(clv.InputError, match="'mean_predicted'.*numbers.*'lots'"):
        plot_predicted_vs_actual(table, ax=_flat_axes())


def test_conditional_expectation_baselines_one_name_or_none():
    table = pd.DataFrame(
        {"actual": [0.2, 1.0], "model": [0.25, 0.9], "naive": [0.5, 0.5], "own_rate": [0, 1.2]},
        index=["0", "1"],
    )
    ax = plot_conditional_expectation(table, baselines="naive", ax=_flat_axes())
    assert [line.get_label() for line in ax.lines] == ["Actual", "model", "Naive formula"]
    ax = plot_conditional_expectation(table, baselines=None, ax=_flat_axes())
    assert len(ax.lines) == 2


def test_predicted_vs_actual_of_all_zero_bins_draws_without_warnings():
    table = pd.DataFrame({"mean_predicted": [0.0, 0.0], "mean_actual": [0.0, 0.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # was: identical low and high xlims (UserWarning)
        ax = plot_predicted_vs_actual(table, ax=_axes())
    assert ax.get_xlim() == (0.0, 1.0)


def test_predicted_vs_actual_skips_a_bin_without_a_mean():
    table = pd.DataFrame({"mean_predicted": [np.nan, 2.0], "mean_actual": [0.0, 1.0]})
    ax = plot_predicted_vs_actual(table, ax=_axes())  # was: ValueError, NaN axis limits
    assert ax.get_xlim() == pytest.approx((0.0, 2.1))


@pytest.mark.filterwarnings("ignore::clvmodel.errors.ClvWarning")
def test_tracking_legend_leaves_the_calibration_and_holdout_labels_readable():
    # With a holdout of a few days (clvmodel evaluate --observation-end a week after
    # --calibration-end) the per-week figure's legend, upper right, covered the "calibration" and
    # "holdout" labels of the boundary, which then stands at the right edge.
    from clvmodel.plotting import plot_tracking

    bg = clv.BetaGeoModel.from_params(PUBLISHED_BG, time_unit="W")
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
