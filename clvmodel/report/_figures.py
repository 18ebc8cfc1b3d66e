"""The report's figures as embedded PNG images (``data:`` URIs), so the file needs no network.

Most figures come from :mod:`clvmodel.plotting`; the two drawn here (holdout revenue per
segment, CLV:CAC and payback per segment) follow its rule: ``ax`` in, the Axes out.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd

from clvmodel.plotting._common import new_axes
from clvmodel.report._format import Figure

_DPI = 120
_ACTUAL = "#333333"
_NAIVE = "#c0392b"
_MODEL = "#1f77b4"
_MUTED = "#9aa5b1"


def figure(id, title, draw, alt, how_to_read, size=(7.2, 4.2)) -> Figure:
    """A figure block: ``draw(ax)`` rendered as an embedded PNG, with its alt text and a line on
    how to read it."""
    src, (width, height) = to_data_uri(draw, size)
    return Figure(id, title, src, width, height, alt, how_to_read)


def to_data_uri(draw, size=(7.2, 4.2)) -> tuple[str, tuple[int, int]]:
    """Draw with ``draw(ax)`` on a new figure; the PNG as a ``data:`` URI, and its pixel size.

    The image is reduced to a palette of 128 colours: a chart has few colours, and the file
    becomes about a third of the size, which matters for a report sent by e-mail.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as PlotFigure  # no pyplot state: any backend, thread
    from PIL import Image  # a dependency of matplotlib

    drawing = PlotFigure(figsize=size, layout="constrained", dpi=_DPI)
    canvas = FigureCanvasAgg(drawing)
    draw(drawing.add_subplot())
    canvas.draw()
    pixels = Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
    palette = pixels.quantize(colors=128, method=Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/png;base64,{encoded}", palette.size


#: Text properties that draw a label as written: segment names are the users' ("$0-$20", "50%"
#: …), and matplotlib would read the text between two "$" as mathtext (and fail on some).
_LITERAL = {"parse_math": False, "usetex": False}


def _literal(texts) -> None:
    """Draw ``texts`` (matplotlib Text objects, e.g. a legend's) as written, not as mathtext."""
    for text in texts:
        text.update(_LITERAL)


def _tidy(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


def plot_holdout_revenue(check: pd.DataFrame, ax=None):
    """Mean holdout revenue per customer by segment: actual, the naive formula and the model.

    Parameters
    ----------
    check : pandas.DataFrame
        Output of :func:`clvmodel.economics.naive_vs_model`, one row per segment (and one of all
        customers), indexed by the labels to draw under the bars as written.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers`` holds the actual, naive and model bars, in that order.
    """
    ax = new_axes(ax)
    labels = [str(s) for s in check.index]  # as the report's tables
    x = np.arange(len(labels))
    width = 0.26
    series = [
        ("actual", "actual_holdout", {"color": _ACTUAL}),
        ("naive formula", "naive_holdout", {"color": "white", "edgecolor": _NAIVE, "hatch": "//"}),
        ("model", "model_holdout", {"color": _MODEL}),
    ]
    for k, (label, column, style) in enumerate(series):
        ax.bar(x + (k - 1) * width, check[column].to_numpy(float), width, label=label, **style)
    ax.set_xticks(x, labels, **_LITERAL)
    ax.set_ylabel("Mean revenue per customer in the holdout")
    ax.set_title("Holdout revenue: what happened, and what each method predicted", fontsize=11)
    ax.legend(frameon=False, fontsize=9)
    _tidy(ax)
    return ax


def plot_clv_to_cac(summary: pd.DataFrame, ax=None):
    """CLV:CAC per segment, with break-even (1) and the common 3:1 target marked.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`clvmodel.unit_economics_summary` (column ``clv_to_cac``), one row per
        segment, its index the labels drawn under the bars as written.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers[0]`` holds one bar per segment.
    """
    ax = new_axes(ax)
    labels = [str(s) for s in summary.index]
    ratios = summary["clv_to_cac"].to_numpy(float)
    colours = [_MODEL if r >= 1 else _NAIVE for r in np.nan_to_num(ratios)]
    x = np.arange(len(labels))  # not categories: segments 1 and "1" keep a bar each
    bars = ax.bar(x, np.nan_to_num(ratios), color=colours, width=0.6)
    ax.set_xticks(x, labels, **_LITERAL)
    ax.bar_label(bars, labels=[f"{r:.2f}" if np.isfinite(r) else "n/a" for r in ratios], padding=2)
    ax.axhline(1.0, color=_ACTUAL, linewidth=1.2, linestyle="--", label="break-even (1:1)")
    ax.axhline(3.0, color=_MUTED, linewidth=1.2, linestyle=":", label="common target (3:1)")
    top = max(3.4, float(np.nanmax(ratios)) * 1.15 if np.isfinite(ratios).any() else 3.4)
    ax.set_ylim(min(0.0, float(np.nanmin(np.append(ratios, 0.0))) * 1.15), top)
    ax.set_ylabel("Mean net CLV / mean CAC")
    ax.set_title("CLV:CAC by segment", fontsize=11)
    ax.legend(frameon=False, fontsize=9, loc="upper left")
    _tidy(ax)
    return ax


def plot_payback_curve(economics: pd.DataFrame, horizon: float, ax=None):
    """Share of customers whose expected discounted net margin has covered their CAC, by month.

    Parameters
    ----------
    economics : pandas.DataFrame
        Output of :func:`clvmodel.cac_payback` (``payback_periods`` in months, ``segment``
        when per segment).
    horizon : float
        Months the payback was looked for.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One line per segment (or one for all customers), x in months, y in %; the legend gives
        the segments' names as written.
    """
    ax = new_axes(ax)
    months = np.linspace(0.0, horizon, 200)
    if "segment" in economics.columns:
        groups = list(economics.groupby("segment", sort=True)["payback_periods"])
    else:
        groups = [("all customers", economics["payback_periods"])]
    for label, payback in groups:
        times = payback.to_numpy(float)
        share = [(np.nan_to_num(times, nan=np.inf) <= m).mean() * 100.0 for m in months]
        ax.plot(months, share, linewidth=1.8, label=str(label))
    ax.set_xlim(0, horizon)
    ax.set_ylim(0, 100)
    ax.set_xlabel("Months from today")
    ax.set_ylabel("Customers who have paid back their CAC (%)")
    ax.set_title("How fast do customers pay back what they cost to win?", fontsize=11)
    _literal(ax.legend(frameon=False, fontsize=9, loc="upper left").get_texts())
    _tidy(ax)
    return ax
