"""BG/NBD's own compiled loops for intervals from parameter draws (numba, cached on disk).

P(alive) per (row, draw) from its log odds, then the percentile limits of the three expectations
and the count interval in one pass per block of rows, with the selection and mixture loops of
:mod:`clvmodel.models._interval_kernels`. Imported lazily by
:mod:`clvmodel.models._beta_geo_draws`; the same operations in the same order as the generic
path, so the results are identical.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from clvmodel.models._interval_kernels import _mixture_row, _select

__all__ = ["bg_draw_block", "bg_log_odds"]


@njit(cache=True, nogil=True)
def bg_log_odds(work, group, repeat, constant, slope, log_age):
    """BG/NBD's log odds of dropout over a block of rows, in place: ``work`` holds ln(α + t_x)
    per (row, draw) and receives ln a − ln(b + x − 1) + (r + x)(ln(α + T) − ln(α + t_x)), the
    terms other than ln(α + t_x) read per (x, T) group; −inf for rows without repeat purchases
    (the same operations in the same order as ``BetaGeoModel._log_odds_dead``)."""
    n_rows, n_draws = work.shape
    for i in range(n_rows):
        row = work[i]
        if not repeat[i]:
            row[:] = -np.inf
            continue
        g = group[i]
        c = constant[g]
        s = slope[g]
        t = log_age[g]
        for j in range(n_draws):
            row[j] = c[j] + s[j] * (t[j] - row[j])


@njit(cache=True, nogil=True)
def bg_draw_block(
    work,
    group,
    given,
    silent,
    positions,
    values,
    offset,
    size,
    n_mixture,
    tail,
    limits,
    counts,
    warm,
):
    """``draw_percentiles`` and ``mixture_limits`` in one pass over a block of rows, from
    P(alive) per (row, draw) in ``work``: the percentile limits of P(alive), E[Y] and P(no
    purchase) into ``limits`` and, with ``n_mixture`` > 0, the count interval into ``counts``
    (weights P(alive)/n_mixture at the first draws), with the same operations in the same
    order; the mixture's sums run four counts at a time (see ``_mixture_row``)."""
    n_rows, n_draws = work.shape
    low_pos, high_pos = positions[0], positions[1]
    low_index = int(np.floor(low_pos))
    high_index = int(np.floor(high_pos))
    expected = np.empty(n_draws)
    quiet = np.empty(n_draws)
    weights = np.empty(max(n_mixture, 1))
    scratch = np.empty(2 * n_draws)
    scratch_index = np.empty(2 * n_draws, dtype=np.int64)
    with_expected = given.shape[0] > 0
    with_silent = silent.shape[0] > 0
    for i in range(n_rows):
        g = group[i]
        row = work[i]
        if with_expected:
            per_group = given[g]
            for j in range(n_draws):
                expected[j] = row[j] * per_group[j]
        if with_silent:
            per_group = silent[g]
            for j in range(n_draws):
                v = 1.0 - row[j] * (1.0 - per_group[j])
                quiet[j] = 0.0 if v < 0.0 else (1.0 if v > 1.0 else v)
        for q in range(3):
            if q == 0:
                a, b, c, d = _select(row, low_index, high_index, warm[0], scratch, scratch_index)
            elif q == 1 and with_expected:
                a, b, c, d = _select(
                    expected, low_index, high_index, warm[1], scratch, scratch_index
                )
            elif q == 2 and with_silent:
                a, b, c, d = _select(quiet, low_index, high_index, warm[2], scratch, scratch_index)
            else:
                continue
            limits[2 * q, i] = a + (low_pos - low_index) * (b - a)
            limits[2 * q + 1, i] = c + (high_pos - high_index) * (d - c)
        if n_mixture > 0:
            for j in range(n_mixture):
                weights[j] = row[j] / n_mixture
            _mixture_row(values, offset[g], size[g] - 1, n_mixture, weights, tail, counts, i)
