"""The frequency/recency heat map's title: "the next 1 week", not "1 weeks"."""

from __future__ import annotations

import matplotlib

from clvmodel.plotting.heatmaps import plot_frequency_recency

matplotlib.use("Agg")


def test_heat_map_title_says_one_week(published_bg):
    ax = plot_frequency_recency(published_bg, T=39, max_frequency=5, t=1)
    assert "next 1 week\n" in ax.get_title() or ax.get_title().startswith(
        "Expected purchases in the next 1 week"
    )
    assert "1 weeks" not in ax.get_title()
