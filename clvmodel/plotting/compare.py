"""Figure of a model comparison (:func:`clvmodel.compare_models`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.errors import InputError
from clvmodel.plotting._common import new_axes

__all__ = ["plot_model_comparison"]

_STYLES = ("--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)))


def plot_model_comparison(comparison, ax=None):
    """Mean holdout purchases by calibration repeat purchases: actual and every compared model.

    Parameters
    ----------
    comparison : ModelComparison
        The result of :func:`clvmodel.compare_models` with a holdout table.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]`` actual, then one line per model in the order of the ranking, each with one
        point per frequency class (0, 1, …, 7+).
    """
    if isinstance(comparison, pd.DataFrame):  # comparison.table: the ranking, not the figure's
        raise InputError(
            "comparison must be the ModelComparison returned by compare_models(calibration, "
            "holdout), got a DataFrame; pass the comparison itself, not its table."
        )
    table = getattr(comparison, "conditional_expectation", None)
    if table is None:
        raise InputError(
            "this comparison has no holdout results: call compare_models(calibration, holdout)."
        )
    ax = new_axes(ax)
    x = np.arange(len(table))
    ax.plot(x, table["actual"].to_numpy(), marker="o", color="black", linewidth=1.8, label="Actual")
    models = [c for c in table.columns if c not in ("customers", "actual")]
    for k, name in enumerate(models):
        ax.plot(
            x,
            table[name].to_numpy(),
            linestyle=_STYLES[k % len(_STYLES)],
            linewidth=1.6,
            marker="s",
            markersize=3,
            label=name,
        )
    ticks = [
        f"{label}\n(n={n:,})" for label, n in zip(table.index, table["customers"], strict=True)
    ]
    ax.set_xticks(x, ticks, fontsize=8)
    ax.set_xlabel("Repeat purchases in the calibration period (customers)")
    ax.set_ylabel("Mean purchases in the holdout period")
    ax.set_title("Which model? Holdout purchases by calibration frequency")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return ax
