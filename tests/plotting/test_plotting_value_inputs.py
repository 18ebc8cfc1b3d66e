"""clvmodel.plotting.plot_clv_vs_naive: its ax=, its table and its value_label.

An ax= that is not one flat Axes (the array of a subplot grid, text, a polar or 3D Axes) was drawn
on silently (by plot_period_transactions too), while the Axes of a subplot grid is drawn on without
a new figure; values that are not numbers raised numpy's "could not convert string to float";
all-negative values were called "every predicted CLV is 0"; value_label must be text, and one with
two "$" was read as mathtext (and raised on some)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import clvmodel as clv  # noqa: E402
from clvmodel.plotting import plot_clv_vs_naive, plot_period_transactions  # noqa: E402


def _axes():
    return Figure().add_subplot()


NAIVE_TABLE = pd.DataFrame({"predicted_clv": [1.0, 2.0, 30.0], "naive_clv": 5.0})


def _flat_axes():
    return Figure().add_subplot()


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: plt.subplots(2, 2)[1], "one matplotlib Axes"),
        (lambda: "left", "matplotlib Axes"),
        (lambda: Figure().add_subplot(projection="polar"), "'polar'"),
        (lambda: Figure().add_subplot(projection="3d"), "'3d'"),
    ],
    ids=["grid-of-axes", "text", "polar", "3d"],
)
def test_ax_that_is_not_one_flat_axes_is_named(make, words):
    ax = make()
    with pytest.raises(clv.InputError, match="ax ") as raised:
        plot_clv_vs_naive(NAIVE_TABLE, ax=ax)
    assert words in str(raised.value)
    table = pd.DataFrame({"actual": [3.0, 1.0], "model": [2.5, 1.5]}, index=["0", "1"])
    with pytest.raises(clv.InputError, match="ax "):  # drew on it silently before
        plot_period_transactions(table, ax=ax)


def test_axes_of_a_subplot_grid_draws_there_without_a_new_figure():
    figure, axes = plt.subplots(1, 2)
    before = plt.get_fignums()
    ax = plot_clv_vs_naive(NAIVE_TABLE, ax=axes[1])
    assert ax is axes[1] and plt.get_fignums() == before
    assert len(axes[1].containers[0]) == 40 and not axes[0].has_data()


@pytest.mark.parametrize("kind", ["histogram", "concentration"])
def test_values_that_are_not_numbers_are_refused_in_the_librarys_words(kind):
    # numpy's "could not convert string to float: 'a'" came out raw.
    table = pd.DataFrame({"predicted_clv": ["a", "2"], "naive_clv": [2.0, 2.0]})
    with pytest.raises(clv.InputError, match=r"predicted_clv.*numbers"):
        plot_clv_vs_naive(table, kind=kind, ax=_axes())


def test_clv_vs_naive_all_negative_values_are_not_called_zero():
    table = pd.DataFrame({"predicted_clv": [-3.0, -1.0], "naive_clv": 5.0})
    with pytest.raises(clv.InputError) as raised:
        plot_clv_vs_naive(table, ax=_flat_axes())
    assert "0 or below" in str(raised.value)  # was "every predicted CLV is 0": they are not


def test_clv_vs_naive_value_label_must_be_text():
    with pytest.raises(clv.InputError, match="value_label must be text"):
        plot_clv_vs_naive(NAIVE_TABLE, value_label=None, ax=_flat_axes())


@pytest.mark.parametrize("kind", ["histogram", "concentration"])
def test_value_label_is_drawn_as_written(kind):
    table = pd.DataFrame({"predicted_clv": [1.0, 2.0, 5.0], "naive_clv": 3.0})
    figure = Figure()
    ax = plot_clv_vs_naive(table, ax=figure.add_subplot(), kind=kind, value_label="CLV $x^$")
    FigureCanvasAgg(figure).draw()  # was: ValueError from matplotlib's mathtext parser
    label = ax.get_xlabel() if kind == "histogram" else ax.get_ylabel()
    assert "CLV $x^$" in label
