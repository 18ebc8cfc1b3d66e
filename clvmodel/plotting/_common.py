"""Shared plotting helpers."""

from __future__ import annotations


def new_axes(ax=None, figsize=(7.0, 4.5)):
    """Return ``ax``, or the Axes of a new figure when ``ax`` is None.

    The figure is created through the object-oriented API (``matplotlib.figure.Figure``), so no
    pyplot state changes and nothing is shown.
    """
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained").add_subplot()
