"""Edge inputs of the figures (clvmodel.plotting) and of read_table / write_table, as an analyst in
a notebook hands them: the Axes of a subplot grid, tables read back from CSV (text), one value
where a number is expected, paths with ``~``, one column named alone, odd column names."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import clvmodel as clv  # noqa: E402
from clvmodel.plotting import (  # noqa: E402
    frequency_recency_grid,
    plot_churn_risk_vs_value,
    plot_clv_vs_naive,
    plot_conditional_expectation,
    plot_coverage,
    plot_frequency_recency,
    plot_period_transactions,
    plot_predicted_vs_actual,
    plot_tracking,
    plot_value_intervals,
)

NAIVE_TABLE = pd.DataFrame({"predicted_clv": [1.0, 2.0, 30.0], "naive_clv": 5.0})
INTERVALS = pd.DataFrame(
    {"predicted_clv": [10.0, 5.0], "clv_lower": [8.0, 4.0], "clv_upper": [12.0, 6.0]},
    index=pd.Index(["a", "b"], name="customer_id"),
)
BG = clv.BetaGeoModel.from_params(
    {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, time_unit="W"
)


def _flat_axes():
    return Figure().add_subplot()


def _as_text(table: pd.DataFrame) -> pd.DataFrame:
    """The table as read_table gives it back from a CSV file: every value text."""
    return table.astype(str).set_axis(table.index.astype(str))


# ---- ax=: one flat Axes, else the argument is named --------------------------------------------


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


# ---- tables read back from CSV (text) are drawn at their values ----------------------------------


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


def test_coverage_from_text_bars_have_the_shares():
    table = pd.DataFrame(
        {"customers": [100, 50], "observed_coverage": [0.9, 0.8], "predicted_mass": [0.92, 0.9]},
        index=["0", "1+"],
    )
    ax = plot_coverage(_as_text(table), ax=_flat_axes())
    assert [b.get_height() for b in ax.containers[0]] == [0.9, 0.8]


def test_text_that_is_not_a_number_is_named():
    table = pd.DataFrame({"mean_predicted": ["0.5", "lots"], "mean_actual": ["0.4", "0.1"]})
    with pytest.raises(clv.InputError, match="'mean_predicted'.*numbers.*'lots'"):
        plot_predicted_vs_actual(table, ax=_flat_axes())


# ---- single values where numbers are expected ---------------------------------------------------


@pytest.mark.parametrize("naive", ["5", float("nan"), float("inf"), True])
def test_value_intervals_naive_clv_that_is_not_a_finite_number_is_refused(naive):
    with pytest.raises(clv.InputError, match="naive_clv must be a finite number"):
        plot_value_intervals(INTERVALS, naive_clv=naive, ax=_flat_axes())


def test_value_intervals_naive_column_read_back_as_text_draws_its_value():
    ax = plot_value_intervals(INTERVALS.assign(naive_clv="7.5"), ax=_flat_axes())
    assert list(ax.lines[-1].get_xdata()) == [7.5, 7.5]
    with pytest.raises(clv.InputError, match="'naive_clv'.*numbers"):
        plot_value_intervals(INTERVALS.assign(naive_clv=["a", "b"]), ax=_flat_axes())


def test_clv_vs_naive_all_negative_values_are_not_called_zero():
    table = pd.DataFrame({"predicted_clv": [-3.0, -1.0], "naive_clv": 5.0})
    with pytest.raises(clv.InputError) as raised:
        plot_clv_vs_naive(table, ax=_flat_axes())
    assert "0 or below" in str(raised.value)  # was "every predicted CLV is 0": they are not


def test_clv_vs_naive_value_label_must_be_text():
    with pytest.raises(clv.InputError, match="value_label must be text"):
        plot_clv_vs_naive(NAIVE_TABLE, value_label=None, ax=_flat_axes())


@pytest.mark.parametrize("cut", ["5", [5.0], -1.0, float("nan")])
def test_churn_value_cut_that_is_not_a_clv_is_named(cut):
    scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [30.0, 20.0, 1.0]})
    plan = clv.price_increase_plan(scores, thresholds=(0.5, 0.8), margin=1.0)
    with pytest.raises(clv.InputError, match="value_cut must be a predicted CLV"):
        plot_churn_risk_vs_value(plan, value_cut=cut, ax=_flat_axes())


def test_heat_map_of_an_empty_grid_is_refused_in_words():
    grid = frequency_recency_grid(BG, T=39, max_frequency=3)
    with pytest.raises(clv.InputError, match="no predictions to draw"):
        plot_frequency_recency(grid.iloc[:0], ax=_flat_axes())


def test_conditional_expectation_baselines_one_name_or_none():
    table = pd.DataFrame(
        {"actual": [0.2, 1.0], "model": [0.25, 0.9], "naive": [0.5, 0.5], "own_rate": [0, 1.2]},
        index=["0", "1"],
    )
    ax = plot_conditional_expectation(table, baselines="naive", ax=_flat_axes())
    assert [line.get_label() for line in ax.lines] == ["Actual", "model", "Naive formula"]
    ax = plot_conditional_expectation(table, baselines=None, ax=_flat_axes())
    assert len(ax.lines) == 2


# ---- read_table / write_table ----------------------------------------------------------------


@pytest.mark.parametrize("path", [None, 5, b"scores.csv"])
def test_path_that_is_not_a_file_name_is_named(path):
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(clv.InputError, match="path must be a file name"):
        clv.write_table(frame, path)
    with pytest.raises(clv.InputError, match="path must be a file name"):
        clv.read_table(path)


def test_home_folder_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    frame = pd.DataFrame({"customer_id": ["a", "b"], "value": [1.5, 2.5]})
    written = clv.write_table(frame, "~/scores.parquet", index=False)
    assert written == tmp_path / "scores.parquet" and written.is_file()
    pd.testing.assert_frame_equal(clv.read_table("~/scores.parquet"), frame)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_one_column_named_alone_is_read(tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    clv.write_table(pd.DataFrame({"customer_id": ["1"], "amount": ["2.5"]}), path, index=False)
    assert clv.read_table(path, columns="amount").columns.tolist() == ["amount"]


def test_folder_with_a_file_suffix_is_called_a_folder(tmp_path):
    (tmp_path / "scores.csv").mkdir()
    with pytest.raises(clv.InputError, match="is a folder"):
        clv.read_table(tmp_path / "scores.csv")


def test_parquet_with_mixed_type_names_writes_without_a_warning(tmp_path):
    frame = pd.DataFrame({0: [1.0], "amount": [2.0]}, index=pd.Index(["a"], name=2024))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clv.write_table(frame, tmp_path / "t.parquet")
        back = clv.read_table(tmp_path / "t.parquet")
    assert back.columns.tolist() == ["0", "amount"] and back.index.name == "2024"
    assert back.to_numpy().tolist() == [[1.0, 2.0]]
    assert frame.columns.tolist() == [0, "amount"]  # the caller's frame is left as it was
