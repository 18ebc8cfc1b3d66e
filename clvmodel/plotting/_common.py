"""Shared plotting helpers."""

from __future__ import annotations


def new_axes(ax=None, figsize=(7.0, 4.5)):
    """Return ``ax``, or the Axes of a new pyplot figure when ``ax`` is None.

    Without ``ax`` the figure is made with ``matplotlib.pyplot.subplots`` (as pandas and seaborn
    do), so that Jupyter's inline backend displays it and ``plt.show()`` shows it in a script;
    close it with ``plt.close(ax.figure)``. Code that makes figures in bulk (the HTML report, the
    command line's figure files) passes the Axes of a ``matplotlib.figure.Figure`` instead, which
    pyplot does not keep.
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax
