"""Equal-tailed percentiles of each column of a (draws, rows) array, compiled (numba, cached).

``numpy.quantile(values, [tail, 1 − tail], axis=0)`` partitions each column after copying the
array into its own order; here a tile of columns is copied into contiguous rows at a time and
the four order statistics each limit needs are selected by
:func:`clvmodel.models._interval_kernels._select` (a counting pass and a sort of the few values
within a bound), without temporaries the size of the array. The limits are the linear
interpolation between order statistics of ``numpy.quantile``'s default method.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from clvmodel.models._interval_kernels import _select

__all__ = ["column_percentiles"]

#: Columns copied into contiguous rows at a time: a few cache lines per draw.
_TILE = 16


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def _tiled_limits(values, positions, lower, upper):
    n, n_rows = values.shape
    low_pos, high_pos = positions[0], positions[1]
    low_index = int(np.floor(low_pos))
    high_index = int(np.floor(high_pos))
    tile = np.empty((_TILE, n))
    scratch = np.empty(2 * n)
    scratch_index = np.empty(2 * n, dtype=np.int64)
    warm = np.zeros(2 * n + 2, dtype=np.int64)
    for start in range(0, n_rows, _TILE):
        stop = min(start + _TILE, n_rows)
        for k in range(n):
            for j in range(start, stop):
                tile[j - start, k] = values[k, j]
        for j in range(start, stop):
            a, b, c, d = _select(
                tile[j - start], low_index, high_index, warm, scratch, scratch_index
            )
            lower[j] = a + (low_pos - low_index) * (b - a)
            upper[j] = c + (high_pos - high_index) * (d - c)


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
    _tiled_limits(values, positions, lower, upper)
    return lower, upper
