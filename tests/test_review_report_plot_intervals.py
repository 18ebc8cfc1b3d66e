"""Plots of uncertainty and of the holdout on odd but valid tables.

Found by a review of the plotting functions: with the ``naive_clv`` column of
``clv_table(..., naive=naive_clv(..., segment_col=...))``, the figure drew the first customer's
segment value as one line labelled "naive formula: 400 for everybody", although the other
segment's naive value was 63; and a naive value of 3.4 was labelled "3". ``plot_coverage`` of a
report made with ``interval=0.9`` whose model had no parameter covariance asked to make the
report with ``interval=0.9``. Bins or groups without a mean (or all at 0) raised matplotlib's
ValueError or warned (identical limits, All-NaN slice); an interval that does not hold its
prediction raised matplotlib's "'xerr' must not contain negative values"; a ``value_label`` of
``plot_clv_vs_naive`` with two "$" was read as mathtext (and raised on some).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import clvmodel as clv
from clvmodel.plotting import (
    plot_clv_vs_naive,
    plot_coverage,
    plot_predicted_vs_actual,
    plot_value_intervals,
)


def _axes():
    return Figure().add_subplot()


def _scores(naive) -> pd.DataFrame:
    value = np.array([50.0, 40.0, 30.0, 20.0])
    return pd.DataFrame(
        {
            "predicted_clv": value,
            "clv_lower": value - 5.0,
            "clv_upper": value + 5.0,
            "naive_clv": naive,
        },
        index=["c1", "c2", "c3", "c4"],
    )


def _labels(ax) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_naive_values_per_segment_are_each_customers_own():
    naive = [400.0, 63.0, 400.0, 63.0]  # two segments
    ax = plot_value_intervals(_scores(naive), ax=_axes())
    assert not any("for everybody" in label for label in _labels(ax))
    marks = ax.lines[-1]
    # One mark per customer, highest CLV at the top (y = 3), at that customer's naive value.
    assert list(marks.get_xdata()) == naive[::-1]
    assert list(marks.get_ydata()) == [0, 1, 2, 3]


def test_one_naive_value_is_one_line_for_everybody_with_its_cents():
    ax = plot_value_intervals(_scores(3.4), ax=_axes())
    assert "naive formula: 3.40 for everybody" in _labels(ax)
    assert list(ax.lines[-1].get_xdata()) == [3.4, 3.4]


def test_a_naive_value_given_is_drawn_as_given():
    ax = plot_value_intervals(_scores([400.0, 63.0, 400.0, 63.0]), naive_clv=1234.0, ax=_axes())
    assert "naive formula: 1,234 for everybody" in _labels(ax)
    assert list(ax.lines[-1].get_xdata()) == [1234.0, 1234.0]


def test_coverage_of_a_report_whose_intervals_could_not_be_drawn_says_so():
    # evaluate_holdout(..., interval=0.9) leaves report.coverage None (with a warning) when the
    # model has no parameter covariance; plot_coverage then asked for the interval= it was given.
    tx = clv.datasets.load_cdnow_sample().drop_duplicates()
    cal, hold = clv.calibration_holdout_split(tx, "1997-09-30")
    bg = clv.BetaGeoModel.from_params(
        {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, time_unit="W"
    )  # Fader, Hardie & Lee (2005): parameters only, no covariance
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = clv.evaluate_holdout(bg, cal, hold, interval=0.9)
    assert report.coverage is None and any("coverage" in str(w.message) for w in caught)
    with pytest.raises(clv.InputError) as raised:
        plot_coverage(report, ax=_axes())
    message = str(raised.value)
    assert "this report has no coverage table" in message
    assert "parameter uncertainty could not be drawn" in message


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


def test_coverage_of_groups_without_customers_draws_without_warnings():
    table = pd.DataFrame(
        {"observed_coverage": [np.nan], "predicted_mass": [np.nan], "customers": [0]},
        index=["7+"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # was: RuntimeWarning, All-NaN slice encountered
        plot_coverage(table, ax=_axes())


def test_intervals_that_do_not_hold_their_prediction_are_explained():
    scores = _scores(10.0)
    scores.loc["c2", "clv_lower"] = 45.0  # above its predicted_clv of 40
    with pytest.raises(clv.InputError, match=r"outside \[clv_lower, clv_upper\].*'c2'"):
        plot_value_intervals(scores, ax=_axes())  # was: ValueError 'xerr' must not contain ...


@pytest.mark.parametrize("kind", ["histogram", "concentration"])
def test_value_label_is_drawn_as_written(kind):
    table = pd.DataFrame({"predicted_clv": [1.0, 2.0, 5.0], "naive_clv": 3.0})
    figure = Figure()
    ax = plot_clv_vs_naive(table, ax=figure.add_subplot(), kind=kind, value_label="CLV $x^$")
    FigureCanvasAgg(figure).draw()  # was: ValueError from matplotlib's mathtext parser
    label = ax.get_xlabel() if kind == "histogram" else ax.get_ylabel()
    assert "CLV $x^$" in label
