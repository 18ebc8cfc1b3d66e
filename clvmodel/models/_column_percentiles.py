"""Equal-tailed percentiles of each column of a (draws, rows) array, compiled (numba, cached).

``numpy.quantile(values, [tail, 1 − tail], axis=0)`` partitions each column after copying the
array into its own order; here a tile of columns is copied into contiguous rows at a time and
the four order statistics each limit needs are selected row by row (:func:`row_limits`: the few
smallest and largest values kept in one pass, or ``_select`` for few values), without
temporaries the size of the array. The limits are the linear
interpolation between order statistics of ``numpy.quantile``'s default method.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from clvmodel.models._interval_kernels import _OPTIONS, _select, order_positions

__all__ = ["RowSelection", "column_percentiles", "row_limits", "row_selection"]

#: Columns copied into contiguous rows at a time: a few cache lines per draw.
_TILE = 16


#: The work space of :func:`row_limits` for rows of n values: the order statistics' floors and
#: tail sizes (``order_positions``), two short arrays for the tails, and ``_select``'s scratch.
RowSelection = namedtuple("RowSelection", "sizes low high scratch scratch_index")


@njit(**_OPTIONS)
def row_selection(positions, n):
    """The work space of :func:`row_limits` for rows of ``n`` values."""
    sizes = order_positions(positions, n)
    return RowSelection(
        sizes,
        np.empty(sizes[2]),
        np.empty(sizes[3]),
        np.empty(2 * n),
        np.empty(2 * n, dtype=np.int64),
    )


@njit(**_OPTIONS)
def row_limits(row, positions, space, warm):
    """The limits of one row of values at the fractional order statistics ``positions``: linear
    interpolation between order statistics, as ``numpy.quantile``'s default method. The few
    smallest and largest values are kept in one pass over two short sorted arrays
    (:func:`_smallest_and_largest`); with few values, or a NaN, ``_select`` takes the row
    (``warm``: its state from row to row, zeros at first)."""
    low_index, high_index, m_low, m_high = space.sizes
    if 4 * max(m_low, m_high) <= row.size and _smallest_and_largest(row, space.low, space.high):
        a, b = space.low[low_index], space.low[min(low_index + 1, m_low - 1)]
        c, d = space.high[m_high - 1], space.high[max(m_high - 2, 0)]
    else:
        a, b, c, d = _select(row, low_index, high_index, warm, space.scratch, space.scratch_index)
    return (
        a + (positions[0] - low_index) * (b - a),
        c + (positions[1] - high_index) * (d - c),
    )


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


@njit(**_OPTIONS)
def _tiled_limits(values, positions, space, lower, upper):
    n, n_rows = values.shape
    tile = np.empty((_TILE, n))
    warm = np.zeros(2 * n + 2, dtype=np.int64)
    for start in range(0, n_rows, _TILE):
        stop = min(start + _TILE, n_rows)
        for k in range(n):
            for j in range(start, stop):
                tile[j - start, k] = values[k, j]
        for j in range(start, stop):
            lower[j], upper[j] = row_limits(tile[j - start], positions, space, warm)


def column_percentiles(values, tail):
    """The ``tail`` and ``1 − tail`` percentiles of each column of ``values`` (draws, rows).

    Parameters
    ----------
    values : numpy.ndarray
        Shape (draws, rows), float64, at least one draw.
    tail : float
        Share of the draws below the lower limit (and above the upper), in [0, 0.5].

    Returns
    -------
    lower, upper : numpy.ndarray
        One limit per column, as ``numpy.quantile(values, [tail, 1 − tail], axis=0)`` gives
        them (linear interpolation between order statistics; NaN sorting last).
    """
    values = np.ascontiguousarray(values, dtype="float64")
    last = values.shape[0] - 1
    positions = np.array([tail * last, (1.0 - tail) * last])
    lower, upper = np.empty((2, values.shape[1]))
    _tiled_limits(values, positions, row_selection(positions, values.shape[0]), lower, upper)
    return lower, upper
