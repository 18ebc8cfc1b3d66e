"""Make the subscription figure of docs/guide/subscriptions.md: the "regular" cohort projected
by sBG and by constant retention rates.

Run ``python docs/figures_subscriptions.py`` to (re)write
``docs/figures/subscriptions_projection.png`` (or pass another folder) and print the numbers quoted
in the guide. The cohort is Fader and Hardie's (2007, "How to project customer retention",
Table 1) "regular" one: 1,000 subscribers at the start of year 1 and the survivors at the start of
years 2-13. The projections see years 1-7 (``counts[:8]``) and project years 8-12; the constant
rates are the last fitted year's retention and the average one over the seven years.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from clvmodel.subscription_value import NaiveRetentionComparison, naive_vs_model_retention

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
FIT_PERIODS = 7
DPI = 110
SIZE = (7.2, 4.4)


def plot_retention_projection(result: NaiveRetentionComparison, counts=None, ax=None, more=()):
    """Actual survivors against the sBG and the constant-retention projections.

    Parameters
    ----------
    result : NaiveRetentionComparison
        From :func:`clvmodel.subscription_value.naive_vs_model_retention`.
    counts : sequence of int, optional
        The cohort's counts, to draw the fitted periods too.
    ax : matplotlib.axes.Axes, optional
        Drawn on a new figure (no pyplot state) when omitted.
    more : sequence of NaiveRetentionComparison
        Further results on the same counts whose naive lines (other constant rates) are drawn too.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> result = naive_vs_model_retention(REGULAR, FIT_PERIODS)
    >>> ax = plot_retention_projection(result, REGULAR)
    >>> [line.get_label() for line in ax.get_lines()][:3]
    ['actual', 'sBG', 'constant retention 0.920']
    """
    if ax is None:
        ax = Figure(figsize=SIZE, layout="constrained").add_subplot()
    p = result.projection
    k = int(p.index[0]) - 1
    if counts is not None:
        seen = np.asarray(counts, dtype="float64")
        t = np.arange(seen.size)
        model = seen[0] * result.model.survival_function(t)
    else:
        t, seen, model = p.index.to_numpy(), p["actual"].to_numpy(), p["model"].to_numpy()
    ax.plot(t, seen, "o", color="black", label="actual")
    ax.plot(t, model, "-", color="C0", label="sBG")
    # A naive line starts from the last fitted count: counts[k] · r^(t − k).
    for style, other in zip(("--", ":"), (result, *more), strict=False):
        naive = other.projection["naive"]
        ax.plot(np.concatenate([[k], naive.index]),
                np.concatenate([[naive.iloc[0] / other.retention], naive]), style,
                color="C3", label=f"constant retention {other.retention:.3f}")  # fmt: skip
    ax.axvline(k + 0.5, color="grey", lw=0.8)
    ax.text(k + 0.6, ax.get_ylim()[1] * 0.95, "projected", va="top", color="grey")
    ax.set_xlabel("period (renewals)")
    ax.set_ylabel("subscribers still active")
    ax.set_title(f"Fitted on periods 0-{k}, projected beyond")
    ax.legend()
    return ax


def make(outdir: str | Path) -> list[Path]:
    """Write the figure as PNG into ``outdir`` (created if missing); return its path in a list."""
    folder = Path(outdir)
    folder.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=SIZE, layout="constrained")
    result = naive_vs_model_retention(REGULAR, FIT_PERIODS)
    average = naive_vs_model_retention(REGULAR, FIT_PERIODS, naive="average")
    plot_retention_projection(result, REGULAR, ax=figure.add_subplot(), more=[average])
    path = folder / "subscriptions_projection.png"
    figure.savefig(path, dpi=DPI)
    return [path]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "figures"
    for path in make(target):
        print(path)
    result = naive_vs_model_retention(REGULAR, FIT_PERIODS, price=100.0, margin=0.3)
    print(result.projection.round(1), result.errors.round(2), result.value.round(2), sep="\n\n")
