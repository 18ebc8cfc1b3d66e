"""Ranks, correlations and the chi-square test of equal counts, with NumPy and
``scipy.special`` alone.

The metrics, the Day One evaluation and the coverage check need only these few statistics;
importing ``scipy.stats`` for them cost 0.27 CPU s on top of scipy's other modules (0.6 s in a
fresh process), paid by every ``clvmodel evaluate`` run. Each function gives the value
``scipy.stats`` does (``rankdata``, ``pearsonr``, ``spearmanr``, ``chisquare``), to rounding.
"""

from __future__ import annotations

import numpy as np

__all__ = ["average_ranks", "equal_counts_pvalue", "pearson", "spearman"]


def average_ranks(values) -> np.ndarray:
    """Ranks 1, …, n of the values, ties given the mean of the ranks they span (float64).

    Examples
    --------
    >>> average_ranks([10.0, 30.0, 20.0, 20.0]).tolist()
    [1.0, 4.0, 2.5, 2.5]
    """
    values = np.asarray(values).ravel()
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    # Runs of equal values: each starts where the sorted values change.
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], values.size]  # one past each run
    run = np.repeat(np.arange(starts.size), ends - starts)
    ranks = np.empty(values.size)
    # A run over sorted positions s, …, e − 1 holds ranks s + 1, …, e: their mean is (s + 1 + e)/2.
    ranks[order] = 0.5 * (starts + 1 + ends)[run]
    return ranks


def pearson(x, y) -> float:
    """Pearson's correlation of two equal-length samples (not constant)."""
    x, y = (np.asarray(v, dtype="float64") for v in (x, y))
    dx, dy = x - x.mean(), y - y.mean()
    # Each side scaled to unit length first, as scipy does: no overflow for huge values.
    dx /= np.linalg.norm(dx)
    dy /= np.linalg.norm(dy)
    return float(np.clip(np.dot(dx, dy), -1.0, 1.0))


def spearman(x, y) -> float:
    """Spearman's rank correlation (Pearson's of the average ranks)."""
    return pearson(average_ranks(x), average_ranks(y))


def equal_counts_pvalue(counts) -> float:
    """P-value of the chi-square test that the counts' categories are equally likely."""
    from scipy.special import chdtrc

    counts = np.asarray(counts, dtype="float64")
    expected = counts.mean()
    statistic = float(np.sum((counts - expected) ** 2) / expected)
    return float(chdtrc(counts.size - 1, statistic))
