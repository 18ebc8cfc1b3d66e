"""clvmodel.plotting.frequency_recency_grid and plot_frequency_recency: the grid's size.

Grid sizes that are not whole numbers raised float()'s "could not convert string to float: 'abc'"
(and its TypeError for a list); an empty grid is refused in words."""

import pytest
from matplotlib.figure import Figure
from published import PUBLISHED_BG

import clvmodel as clv
from clvmodel.plotting import (
    frequency_recency_grid,
    plot_frequency_recency,
)

BG = clv.BetaGeoModel.from_params(PUBLISHED_BG, time_unit="W")


def _flat_axes():
    return Figure().add_subplot()


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
    # float()'s "could not convert string to float: 'abc'" (and its TypeError for a
    # list) came out raw.
    from clvmodel.plotting import frequency_recency_grid

    bg = clv.BetaGeoModel.from_params(PUBLISHED_BG, time_unit="W")
    options = {"T": 39, "max_frequency": 5, argument: value}
    with pytest.raises(clv.InputError, match=rf"{argument} must be a whole number"):
        frequency_recency_grid(bg, **options)
    assert frequency_recency_grid(bg, T=39, max_frequency=5.0, recency_points=4).shape == (6, 4)


def test_heat_map_of_an_empty_grid_is_refused_in_words():
    grid = frequency_recency_grid(BG, T=39, max_frequency=3)
    with pytest.raises(clv.InputError, match="no predictions to draw"):
        plot_frequency_recency(grid.iloc[:0], ax=_flat_axes())
