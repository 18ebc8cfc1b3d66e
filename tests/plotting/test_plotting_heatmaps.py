"""Frequency × recency heat maps: every plotted cell is the model's own prediction."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from published import PUBLISHED_BG

import clvmodel as clv
from clvmodel.plotting import frequency_recency_grid, plot_frequency_recency

CALIBRATION_END = "1997-09-30"


@pytest.fixture(scope="module")
def rfm():
    return clv.rfm_summary(
        clv.datasets.load_cdnow_sample(), observation_end=CALIBRATION_END, time_unit="W"
    )


@pytest.fixture(scope="module")
def bg(rfm):
    return clv.BetaGeoModel().fit(rfm)


def _possible(x, t_x, unit) -> bool:
    """Whether a transaction log can give the history: frequency counts repeat purchase days,
    so a repeat buyer's recency holds at least one day per repeat purchase."""
    if x == 0:
        return True
    days = t_x * {"D": 1, "W": 7}[unit]
    return t_x > 0 and x <= days * (1 + 1e-9)


def _model_values(bg, kind, frequencies, recencies, T, t):
    """The model's prediction for each cell: one customer history per possible cell, written out
    cell by cell, all predicted in one call in a shuffled order (so that a cell can only get its
    own history's value, not a neighbour's), then put back in their cells; NaN in the cells no
    transaction log can give (more repeat purchases than days in recency)."""
    cells = [(i, j) for i in range(len(frequencies)) for j in range(len(recencies))]
    order = np.random.default_rng(0).permutation(len(cells))
    histories, kept = [], []
    for k in order:
        i, j = cells[k]
        x, t_x = frequencies[i], recencies[j]
        # Without a repeat purchase the only valid recency is 0.
        t_x = t_x if x > 0 else 0.0
        if _possible(x, t_x, bg.time_unit_):
            histories.append({"frequency": x, "recency": t_x, "T": T})
            kept.append(k)
    histories = pd.DataFrame(histories, index=kept)
    if kind == "expected_purchases":
        predicted = bg.expected_purchases(histories, t)
    else:
        predicted = bg.probability_alive(histories)
    values = np.full((len(frequencies), len(recencies)), np.nan)
    for k, value in predicted.items():
        values[cells[k]] = value
    return values


@pytest.mark.parametrize("kind", ["expected_purchases", "probability_alive"])
def test_plotted_values_are_the_model_predictions(bg, rfm, kind, tmp_path):
    figures_before = plt.get_fignums()
    ax = plot_frequency_recency(bg, rfm, kind=kind, t=39)
    path = tmp_path / f"{kind}.png"
    ax.figure.savefig(path, dpi=60)
    assert path.stat().st_size > 5_000
    # Without ax=, the figure is pyplot's: Jupyter displays it and plt.show() shows it.
    assert plt.get_fignums() == [*figures_before, ax.figure.number]

    # Defaults from the data: the oldest customer's age and every frequency up to the largest.
    T = float(rfm["T"].max())
    frequencies = np.arange(int(rfm["frequency"].max()) + 1)
    recencies = np.linspace(0.0, T, int(np.floor(T)) + 1)
    plotted = np.asarray(ax.collections[0].get_array())
    assert plotted.shape == (len(frequencies), len(recencies))
    expected = _model_values(bg, kind, frequencies, recencies, T, t=39)
    np.testing.assert_allclose(plotted, expected, rtol=1e-12, atol=0)

    # Cells are centred on the grid's recencies (x) and frequencies (y).
    corners = ax.collections[0].get_coordinates()
    centres_x = (corners[0, 1:, 0] + corners[0, :-1, 0]) / 2
    centres_y = (corners[1:, 0, 1] + corners[:-1, 0, 1]) / 2
    np.testing.assert_allclose(centres_x, recencies, atol=1e-9)
    np.testing.assert_allclose(centres_y, frequencies, atol=1e-9)


def test_grid_table_matches_the_plot_and_the_model(bg):
    grid = frequency_recency_grid(bg, kind="expected_purchases", t=52, T=30, max_frequency=12)
    assert list(grid.index) == list(range(13))
    np.testing.assert_allclose(grid.columns, np.linspace(0, 30, 31))
    assert grid.attrs == {"kind": "expected_purchases", "t": 52.0, "T": 30.0, "time_unit": "W"}
    expected = _model_values(bg, "expected_purchases", grid.index, grid.columns, T=30, t=52)
    np.testing.assert_allclose(grid.to_numpy(), expected, rtol=1e-12)

    # Drawing the table draws exactly its numbers.
    ax = plot_frequency_recency(grid)
    np.testing.assert_array_equal(np.asarray(ax.collections[0].get_array()), grid.to_numpy())
    assert "next 52 weeks" in ax.get_title() and "30 weeks ago" in ax.get_title()


def test_probability_alive_pattern(bg):
    grid = frequency_recency_grid(
        bg, kind="probability_alive", T=39, max_frequency=10, recency_points=14
    )
    values = grid.to_numpy()
    # Repeat buyers with recency 0 are impossible (blank); every recency from 3 weeks on holds
    # 21 days, room for the 10 repeat purchase days.
    assert np.isnan(values[1:, 0]).all()
    assert not np.isnan(values[0]).any() and not np.isnan(values[:, 1:]).any()
    # BG/NBD: no repeat purchase means alive (eq. 13); for repeat buyers, P(alive) grows with
    # recency, and at the latest recency with frequency.
    assert (values[0] == 1.0).all()
    assert (np.diff(values[1:, 1:], axis=1) > 0).all()
    assert (np.diff(values[1:, -1]) > 0).all()
    possible = values[~np.isnan(values)]
    assert ((possible > 0) & (possible <= 1)).all()


def test_impossible_cells_are_blank_and_drawn_without_warnings(bg):
    """More repeat purchases than days in recency: NaN in the table, masked in the heat map."""
    import warnings

    grid = frequency_recency_grid(bg, kind="expected_purchases", t=4, T=3, max_frequency=10)
    # Recencies 0-3 weeks: repeat buyers at 0 weeks, and more than 7 at 1 week, are impossible.
    blank = np.isnan(grid.to_numpy())
    expected = np.zeros_like(blank)
    expected[1:, 0] = True
    expected[8:, 1] = True
    np.testing.assert_array_equal(blank, expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plot_frequency_recency(grid)
        ax.figure.canvas.draw()
    drawn = ax.collections[0].get_array()
    np.testing.assert_array_equal(np.ma.getmaskarray(drawn), expected)
    assert ax.collections[0].get_cmap().get_bad()[3] == 0  # masked cells: transparent


def test_draws_into_a_given_axes_with_colour_bar(bg):
    figure = Figure()
    ax = figure.add_subplot()
    returned = plot_frequency_recency(
        bg, kind="probability_alive", T=39, max_frequency=5, ax=ax, cmap="magma"
    )
    assert returned is ax
    assert len(figure.axes) == 2  # the heat map and its colour bar
    assert figure.axes[1].get_ylabel() == "P(alive)"
    assert ax.collections[0].get_clim() == (0.0, 1.0)
    assert ax.collections[0].get_cmap().name == "magma"
    assert ax.get_xlabel().startswith("Recency") and "weeks" in ax.get_xlabel()


def test_days_model_labels_days(rfm):
    tx = clv.datasets.load_cdnow_sample()
    rfm_days = clv.rfm_summary(tx, observation_end=CALIBRATION_END, time_unit="D")
    bg_days = clv.BetaGeoModel().fit(rfm_days)
    ax = plot_frequency_recency(bg_days, rfm_days, t=30, max_frequency=8)
    grid = ax.collections[0].get_array()
    assert grid.shape == (9, 100)  # 272 days: recency columns capped at 100
    assert "days" in ax.get_xlabel() and "next 30 days" in ax.get_title()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "alive"}, "kind must be"),
        ({"max_frequency": 5}, "give both T="),
        ({"T": 39}, "give both T="),
        ({"T": 0, "max_frequency": 5}, "T must be a number > 0"),
        ({"T": 39, "max_frequency": -1}, "max_frequency must be a whole number"),
        ({"T": 39, "max_frequency": 2.5}, "max_frequency must be a whole number"),
        ({"T": 39, "max_frequency": 5, "recency_points": 1}, "recency_points must be"),
        ({"T": 39, "max_frequency": 5, "t": 0}, "t must be a number > 0"),
    ],
)
def test_bad_input_is_explained(bg, kwargs, message):
    with pytest.raises(clv.InputError, match=message):
        plot_frequency_recency(bg, **kwargs)


def test_unfitted_model_says_fit_first():
    with pytest.raises(clv.NotFittedError):
        plot_frequency_recency(clv.BetaGeoModel(), T=39, max_frequency=5)


def test_foreign_table_is_rejected():
    with pytest.raises(clv.InputError, match="frequency_recency_grid"):
        plot_frequency_recency(pd.DataFrame({"a": [1.0]}))


def test_the_grid_takes_its_horizon_and_age_written_with_their_unit():
    """As every horizon in clvmodel: "52W" and "12M" convert to the model's unit (weeks here),
    where they were refused as "must be a number > 0"."""
    bg = clv.BetaGeoModel.from_params(PUBLISHED_BG, time_unit="W")
    numbers = clv.plotting.frequency_recency_grid(bg, T=39, max_frequency=4, t=52)
    text = clv.plotting.frequency_recency_grid(bg, T="39W", max_frequency=4, t="52W")
    pd.testing.assert_frame_equal(text, numbers)
    year = clv.plotting.frequency_recency_grid(bg, T=39, max_frequency=4, t="12M")
    expected = clv.plotting.frequency_recency_grid(bg, T=39, max_frequency=4, t=365.25 / 7)
    np.testing.assert_allclose(year.to_numpy(), expected.to_numpy(), equal_nan=True)
    unitless = clv.BetaGeoModel.from_params(dict(bg.params_))
    with pytest.raises(clv.InputError, match="no calendar time unit"):
        clv.plotting.frequency_recency_grid(unitless, T=39, max_frequency=4, t="52W")
