"""The compiled loop of BG/NBD's (and MBG/NBD's) CLV limits over parameter draws (numba, cached).

Imported lazily by :mod:`clvmodel.models._beta_geo_values`. Per row, the value at each draw,
margin × E[spend] × P(alive) × discounted E[purchases | alive], is formed with one division
(the generic path's value to a few units in the last place), and its percentile limits are
selected by
:func:`clvmodel.models._interval_kernels._select` (warm-started: rows come ordered by history).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from clvmodel.models._interval_kernels import _OPTIONS, _select, order_positions

__all__ = ["value_limits_block"]


@njit(**_OPTIONS, error_model="numpy")
def value_limits_block(work, group, x, xm, spend, margin, totals, positions, limits, warm):
    """The percentile limits of the values of a block of rows over the draws.

    ``work`` (rows, draws) holds exp(log odds of dropout) and receives the values; ``group``
    each row's (x, T) group in ``totals`` (groups, draws: the discounted E[purchases | alive]);
    ``x`` and ``xm`` each row's x and x · m; ``spend`` (2, draws) each draw's γ and (q − 1)/p,
    so that E[spend] = (γ + x m)/(x + (q − 1)/p) (Gamma-Gamma's eq. 5); ``limits`` (2, rows)
    receives the lower and upper limits at the fractional order statistics ``positions``;
    ``warm`` carries ``_select``'s state from row to row (zeros at first), for few draws or a
    row with NaN."""
    n_rows, n_draws = work.shape
    low_pos, high_pos = positions[0], positions[1]
    low_index, high_index, m_low, m_high = order_positions(positions, n_draws)
    tails = 4 * max(m_low, m_high) <= n_draws
    low = np.empty(m_low)
    high = np.empty(m_high)
    scratch = np.empty(2 * n_draws)
    scratch_index = np.empty(2 * n_draws, dtype=np.int64)
    for i in range(n_rows):
        row = work[i]
        total = totals[group[i]]
        for j in range(n_draws):
            # margin × E[spend] × P(alive) × D, P(alive) = 1/(1 + odds), in one division.
            row[j] = (margin * (spend[0, j] + xm[i]) * total[j]) / (
                (x[i] + spend[1, j]) * (1.0 + row[j])
            )
        if tails and _smallest_and_largest(row, low, high):
            a, b = low[low_index], low[min(low_index + 1, m_low - 1)]
            c, d = high[m_high - 1], high[max(m_high - 2, 0)]
        else:
            a, b, c, d = _select(row, low_index, high_index, warm, scratch, scratch_index)
        limits[0, i] = a + (low_pos - low_index) * (b - a)
        limits[1, i] = c + (high_pos - high_index) * (d - c)


@njit(**_OPTIONS)
def _smallest_and_largest(values, low, high):
    """The ``low.size`` smallest values in ``low``, ascending, and the ``high.size`` largest in
    ``high``, descending, in one pass that keeps both sorted (a value enters only when it beats
    the last kept: about m ln(n/m) times for m of n values in random order); False, with the
    arrays unfinished, at a NaN (``_select`` sorts it last, as ``numpy.quantile``)."""
    m_low, m_high = low.size, high.size
    n_low = n_high = 0
    for v in values:
        if v != v:
            return False
        if n_low < m_low or v < low[m_low - 1]:
            k = n_low if n_low < m_low else m_low - 1
            while k > 0 and low[k - 1] > v:
                low[k] = low[k - 1]
                k -= 1
            low[k] = v
            n_low += n_low < m_low
        if n_high < m_high or v > high[m_high - 1]:
            k = n_high if n_high < m_high else m_high - 1
            while k > 0 and high[k - 1] < v:
                high[k] = high[k - 1]
                k -= 1
            high[k] = v
            n_high += n_high < m_high
    return True
