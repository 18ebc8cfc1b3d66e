"""Figures of per-customer value beside the naive formula (:func:`clvmodel.clv_table`).

The naive formula gives every customer (or every customer of a segment) the same value; the models
give each customer their own. These figures show how far apart the two are: the distribution of the
predicted values against the naive number, and how concentrated the predicted value is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.errors import InputError
from clvmodel.plotting._common import new_axes

__all__ = ["plot_clv_vs_naive"]

_MODEL_COLOUR = "tab:blue"
_NAIVE = {"color": "tab:red", "linewidth": 1.6, "linestyle": "--"}
_MEDIAN = {"color": "black", "linewidth": 1.2, "linestyle": ":"}
_KINDS = ("histogram", "concentration")


def _values(table) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(table, pd.DataFrame):
        raise InputError(
            f"expected the per-customer table of clvmodel.clv_table (a DataFrame), got "
            f"{type(table).__name__}."
        )
    missing = [c for c in ("predicted_clv", "naive_clv") if c not in table.columns]
    if missing:
        raise InputError(
            f"the table has no column {', '.join(map(repr, missing))}; make it with "
            "clvmodel.clv_table(bg, gg, rfm, horizon, naive=clvmodel.naive_clv(...))."
        )
    predicted, naive = (_numbers(table, name) for name in ("predicted_clv", "naive_clv"))
    if predicted.size == 0:
        raise InputError("the table is empty: there are no customers to plot.")
    if not np.isfinite(predicted).all():
        raise InputError("predicted_clv has missing or infinite values; drop those customers.")
    if not np.isfinite(naive).all():
        raise InputError(
            "naive_clv is missing for some customers; pass naive= to clvmodel.clv_table."
        )
    return predicted, naive


def _numbers(table: pd.DataFrame, name: str) -> np.ndarray:
    """A column as floats (missing values as NaN), refused in the library's words when it holds
    something else than numbers."""
    try:
        return table[name].to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError):
        shown = table[name].iloc[:3].tolist()
        raise InputError(f"{name} must hold numbers, got {shown} ...") from None


def _money(value: float) -> str:
    return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"


def plot_clv_vs_naive(
    table,
    ax=None,
    kind: str = "histogram",
    bins: int = 40,
    value_label: str = "predicted CLV",
):
    """Per-customer predicted CLV beside the naive formula's one number.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`clvmodel.clv_table` with ``naive=`` (columns ``predicted_clv`` and
        ``naive_clv``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's Axes by default.
    kind : {"histogram", "concentration"}
        ``"histogram"``: how many customers have each predicted CLV (logarithmic bins), with the
        naive value(s) and the median prediction marked. ``"concentration"``: the share of total
        value held by the top share of customers, ranked by value, for the models and for the
        naive formula (a straight line when it gives everybody the same value).
    bins : int
        Number of logarithmic bins of the histogram.
    value_label : str
        What the values are, for the axis label (for example "predicted CLV, next 12 months"),
        drawn as written ("$" is not read as mathtext).

    Returns
    -------
    matplotlib.axes.Axes
        Histogram: ``ax.containers[0]`` holds the bars, customers per bin (the bins span the 1st
        percentile of the positive predictions to the largest; smaller values are counted in the
        first bin); ``ax.lines`` holds one vertical line per distinct naive value, then the
        median prediction. Concentration: ``ax.lines[0]`` is the models' curve and
        ``ax.lines[1]`` the naive formula's, both with x = share of customers (%) and y = share
        of their total value (%), starting at (0, 0).

    Examples
    --------
    >>> import pandas as pd
    >>> from clvmodel.plotting import plot_clv_vs_naive
    >>> table = pd.DataFrame({"predicted_clv": [1.0, 2.0, 3.0, 94.0], "naive_clv": 25.0})
    >>> ax = plot_clv_vs_naive(table, kind="concentration")
    >>> [float(v) for v in ax.lines[0].get_ydata()]
    [0.0, 94.0, 97.0, 99.0, 100.0]
    >>> [float(v) for v in ax.lines[1].get_ydata()]
    [0.0, 25.0, 50.0, 75.0, 100.0]
    """
    if kind not in _KINDS:
        raise InputError(f"kind must be 'histogram' or 'concentration', got {kind!r}.")
    if not isinstance(value_label, str):
        raise InputError(
            f"value_label must be text (such as 'predicted CLV, next 12 months'), got "
            f"{value_label!r}."
        )
    predicted, naive = _values(table)
    ax = new_axes(ax)
    if kind == "histogram":
        _histogram(ax, predicted, naive, bins, value_label)
    else:
        _concentration(ax, predicted, naive, value_label)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _histogram(ax, predicted, naive, bins, value_label) -> None:
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise InputError(f"bins must be a whole number ≥ 1, got {bins!r}.")
    positive = predicted[predicted > 0]
    if positive.size == 0:
        raise InputError(
            "every predicted CLV is 0 or below, and the histogram's logarithmic axis shows "
            "positive values only; there is no distribution to draw on it."
        )
    # A few customers can have values near 0 (long gone); starting the log axis at the 1st
    # percentile keeps the bins on the bulk of the distribution. Values below the first edge
    # (including 0) fall in the first bin, so every customer is counted.
    low, high = float(np.quantile(positive, 0.01)), float(positive.max())
    if high <= low:
        high = low * 1.01
    edges = np.geomspace(low, high, bins + 1)
    clipped = np.clip(predicted, low, high)
    ax.hist(clipped, bins=edges, color=_MODEL_COLOUR, alpha=0.8, label="customers")
    ax.set_xscale("log")
    distinct = np.unique(naive)
    for k, value in enumerate(distinct):
        if distinct.size == 1:
            label = f"naive formula: {_money(value)}"
        else:
            label = "naive formula (per segment)" if k == 0 else None
        ax.axvline(value, label=label, **_NAIVE)
    median = float(np.median(predicted))
    ax.axvline(median, label=f"median prediction: {_money(median)}", **_MEDIAN)
    below = float(np.mean(predicted < naive))
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.text(
        0.98,
        0.72,
        f"{100 * below:.0f} % of customers are worth\nless than the naive formula says",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=8,
        bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "0.8"},
    )
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.4g}"))
    ax.set_xlabel(f"{_first_upper(value_label)} (log scale)", parse_math=False)
    ax.set_ylabel("Customers")
    ax.set_title("Predicted value per customer vs the naive formula", fontsize=11)


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _share_curve(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ordered = np.sort(values)[::-1]
    total = ordered.sum()
    x = np.arange(ordered.size + 1) / ordered.size * 100.0
    cumulative = np.concatenate([[0.0], np.cumsum(ordered)])
    y = cumulative / total * 100.0 if total > 0 else np.zeros_like(cumulative)
    return x, y


def top_share(values, share: float) -> tuple[float, float]:
    """The most valuable customers, the top ``share`` of them, as the concentration curve marks
    them: whole customers, the fewest that make at least ``share`` of them.

    Parameters
    ----------
    values : array-like
        Each customer's value (≥ 0).
    share : float
        Share of the customers (0 < share ≤ 1), e.g. 0.2 for the top 20 %.

    Returns
    -------
    tuple of float
        The share of customers they are (k / n with k = ⌈share · n⌉: 1 / 4 for the top 10 % of
        4 customers) and the share of the total value they hold (NaN when the total is 0).

    Examples
    --------
    >>> top_share([1.0, 2.0, 3.0, 94.0], 0.2)
    (0.25, 0.94)
    """
    ordered = np.sort(np.asarray(values, dtype="float64"))[::-1]
    # round(): share · n can land a hair above a whole number (0.1 · 30 = 3.0000000000000004).
    k = min(max(int(np.ceil(round(share * ordered.size, 9))), 1), ordered.size)
    total = ordered.sum()
    held = float(ordered[:k].sum() / total) if total > 0 else float("nan")
    return k / ordered.size, held


def _concentration(ax, predicted, naive, value_label) -> None:
    if (predicted < 0).any():
        raise InputError("predicted CLV has negative values; a concentration curve needs ≥ 0.")
    x, y = _share_curve(predicted)
    x_naive, y_naive = _share_curve(naive)
    ax.plot(
        x,
        y,
        color=_MODEL_COLOUR,
        linewidth=1.8,
        label=f"models: total {_money(predicted.sum())}",
    )
    ax.plot(x_naive, y_naive, label=f"naive formula: total {_money(naive.sum())}", **_NAIVE)
    marked = set()
    for share in (0.1, 0.2):
        k = round(top_share(predicted, share)[0] * predicted.size)
        if k in marked:  # few customers: the top 10 % and 20 % are the same people
            continue
        marked.add(k)
        text = f"top {x[k]:.3g} %"
        if text != f"top {100 * share:.3g} %":  # not the share asked for: say who they are
            text += f" ({k:,} customer{'s' if k > 1 else ''})"
        ax.plot([x[k]], [y[k]], marker="o", color=_MODEL_COLOUR)
        ax.annotate(
            f"{text} hold {y[k]:.0f} %",
            xy=(x[k], y[k]),
            xytext=(8, -12),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 102)
    ax.set_xlabel("Customers, from the most valuable (cumulative %)")
    # The label as written: "$5-$10 buyers" is not mathtext (matplotlib would fail on some).
    ax.set_ylabel(f"Share of total {value_label} (%)", parse_math=False)
    ax.set_title(f"How concentrated is {value_label}?", fontsize=11, parse_math=False)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
