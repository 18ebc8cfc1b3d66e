"""clvmodel.plotting.plot_value_intervals on odd but valid tables, and on the tables it refuses.

Each test failed before its fix: an empty table drew an empty figure titled "Top 0 customers"; a
missing bound or estimate was drawn as a point without its bar (numpy's "invalid value encountered
in subtract" the only sign) and counted among the "Top 3 customers" of the title; text columns (a
CSV read back without types) failed in pandas' nlargest; a naive_clv that is not a finite number
was taken. With the naive_clv column of ``clv_table(..., naive=naive_clv(..., segment_col=...))``
the figure drew the first customer's segment value as one line labelled "naive formula: 400 for
everybody", although the other segment's naive value was 63, and a naive value of 3.4 was labelled
"3"; an interval that does not hold its prediction raised matplotlib's "'xerr' must not contain
negative values"."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import clvmodel as clv
from clvmodel.plotting import (
    plot_value_intervals,
)


def _axes():
    return Figure().add_subplot()


INTERVALS = pd.DataFrame(
    {"predicted_clv": [10.0, 5.0], "clv_lower": [8.0, 4.0], "clv_upper": [12.0, 6.0]},
    index=pd.Index(["a", "b"], name="customer_id"),
)


def _flat_axes():
    return Figure().add_subplot()


def _interval_scores(**changes) -> pd.DataFrame:
    scores = pd.DataFrame(
        {"predicted_clv": [5.0, 4.0, 3.0], "clv_lower": [4.0, 3.0, 2.0], "clv_upper": [6.0, 5, 4]},
        index=["a", "b", "c"],
    )
    for name, (row, value) in changes.items():
        scores.loc[row, name] = value
    return scores


def test_value_intervals_of_no_customers_are_refused():
    # An empty table drew an empty figure titled "Top 0 customers".
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
    # A missing bound or estimate was drawn as a point without its bar (numpy's
    # "invalid value encountered in subtract" the only sign), and a missing estimate was counted
    # among the "Top 3 customers" of the title.
    with pytest.raises(clv.InputError, match=r"missing or infinite"):
        plot_value_intervals(_interval_scores(**changes), ax=_axes())


def test_value_intervals_read_from_text_are_drawn_as_numbers():
    # Text columns (a CSV read back without types) failed in pandas' nlargest.
    scores = _interval_scores().astype(str)
    ax = plot_value_intervals(scores, ax=_axes())
    assert len(ax.containers[0].lines[0].get_xdata()) == 3


def test_value_intervals_that_are_not_numbers_are_named():
    scores = _interval_scores().astype(object)
    scores.loc["a", "clv_upper"] = "lots"
    with pytest.raises(clv.InputError, match=r"clv_upper.*numbers"):
        plot_value_intervals(scores, ax=_axes())


@pytest.mark.parametrize("naive", ["5", float("nan"), float("inf"), True])
def test_value_intervals_naive_clv_that_is_not_a_finite_number_is_refused(naive):
    with pytest.raises(clv.InputError, match="naive_clv must be a finite number"):
        plot_value_intervals(INTERVALS, naive_clv=naive, ax=_flat_axes())


def test_value_intervals_naive_column_read_back_as_text_draws_its_value():
    ax = plot_value_intervals(INTERVALS.assign(naive_clv="7.5"), ax=_flat_axes())
    assert list(ax.lines[-1].get_xdata()) == [7.5, 7.5]
    with pytest.raises(clv.InputError, match="'naive_clv'.*numbers"):
        plot_value_intervals(INTERVALS.assign(naive_clv=["a", "b"]), ax=_flat_axes())


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


def test_intervals_that_do_not_hold_their_prediction_are_explained():
    scores = _scores(10.0)
    scores.loc["c2", "clv_lower"] = 45.0  # above its predicted_clv of 40
    with pytest.raises(clv.InputError, match=r"outside \[clv_lower, clv_upper\].*'c2'"):
        plot_value_intervals(scores, ax=_axes())  # was: ValueError 'xerr' must not contain ...
