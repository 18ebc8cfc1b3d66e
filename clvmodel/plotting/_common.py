"""Shared plotting helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.errors import InputError


def new_axes(ax=None, figsize=(7.0, 4.5)):
    """Return ``ax``, or the Axes of a new pyplot figure when ``ax`` is None.

    Without ``ax`` the figure is made with ``matplotlib.pyplot.subplots`` (as pandas and seaborn
    do), so that Jupyter's inline backend displays it and ``plt.show()`` shows it in a script;
    close it with ``plt.close(ax.figure)``. Code that makes figures in bulk (the HTML report, the
    command line's figure files) passes the Axes of a ``matplotlib.figure.Figure`` instead, which
    pyplot does not keep.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        A flat (rectilinear) Axes to draw on.
    figsize : tuple of float
        Size of the new figure, in inches, when ``ax`` is None.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, or the new figure's Axes.

    Raises
    ------
    InputError
        ``ax`` is not one matplotlib Axes (an array of them from ``plt.subplots(2, 2)``, say),
        or is a polar or 3-D one, which the figures cannot be drawn on.
    """
    if ax is not None:
        check_axes(ax)
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def check_axes(ax) -> None:
    """Refuse an ``ax`` the figures cannot be drawn on, in the words of the argument."""
    from matplotlib.axes import Axes

    if isinstance(ax, np.ndarray | list | tuple):
        raise InputError(
            f"ax must be one matplotlib Axes, got {type(ax).__name__} of {np.size(ax)}; pick one "
            "of them, e.g. ax=axes[0] (or axes[0, 1] for a grid from plt.subplots)."
        )
    if not isinstance(ax, Axes):
        raise InputError(
            f"ax must be a matplotlib Axes (e.g. from fig, ax = plt.subplots()), got "
            f"{type(ax).__name__}."
        )
    if ax.name != "rectilinear":
        raise InputError(
            f"ax is a {ax.name!r} Axes; these figures need a flat one: make it without "
            "projection= (e.g. fig.add_subplot())."
        )


def numeric_columns(table: pd.DataFrame, columns, what: str) -> pd.DataFrame:
    """``table`` with ``columns`` as numbers (a table read back from a CSV file holds text),
    refused in words when one holds something else: plotted as text, matplotlib would draw the
    values as categories, in the order met, not at their size."""
    converted = {}
    for name in columns:
        if name not in table.columns or pd.api.types.is_numeric_dtype(table[name].dtype):
            continue
        numbers = pd.to_numeric(table[name], errors="coerce")
        text = numbers.isna().to_numpy() & table[name].notna().to_numpy()
        if text.any():
            raise InputError(
                f"column {name!r} of the {what} table must hold numbers, got "
                f"{table[name][text].iloc[:3].tolist()}."
            )
        values = numbers.to_numpy(dtype="float64", na_value=np.nan)
        whole = pd.api.types.is_integer_dtype(numbers.dtype) and not numbers.isna().any()
        converted[name] = values.astype("int64") if whole else values  # counts stay whole
    return table.assign(**converted) if converted else table
