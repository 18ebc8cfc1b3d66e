"""The compiled loop of BG/NBD's (and MBG/NBD's) CLV limits over parameter draws (numba, cached).

Imported lazily by :mod:`clvmodel.models._beta_geo_values`. Per row, the value at each draw,
margin × E[spend] × P(alive) × discounted E[purchases | alive], is formed with one division
(the generic path's value to a few units in the last place), and its percentile limits are
selected by :func:`clvmodel.models._column_percentiles.row_limits`.
"""

from __future__ import annotations

from numba import njit

from clvmodel.models._column_percentiles import row_limits, row_selection
from clvmodel.models._interval_kernels import _OPTIONS

__all__ = ["value_limits_block"]


@njit(**_OPTIONS, error_model="numpy")
def value_limits_block(work, group, x, xm, spend, margin, totals, positions, limits, warm):
    """The percentile limits of the values of a block of rows over the draws.

    ``work`` (rows, draws) holds exp(log odds of dropout) and receives the values; ``group``
    each row's (x, T) group in ``totals`` (groups, draws: the discounted E[purchases | alive]);
    ``x`` and ``xm`` each row's x and x · m; ``spend`` (2, draws) each draw's γ and (q − 1)/p,
    so that E[spend] = (γ + x m)/(x + (q − 1)/p) (Gamma-Gamma's eq. 5); ``limits`` (2, rows)
    receives the lower and upper limits at the fractional order statistics ``positions``
    (:func:`clvmodel.models._column_percentiles.row_limits`); ``warm`` carries ``_select``'s
    state from row to row (zeros at first), for few draws or a row with NaN."""
    n_rows, n_draws = work.shape
    work_space = row_selection(positions, n_draws)
    for i in range(n_rows):
        row = work[i]
        total = totals[group[i]]
        for j in range(n_draws):
            # margin × E[spend] × P(alive) × D, P(alive) = 1/(1 + odds), in one division.
            row[j] = (margin * (spend[0, j] + xm[i]) * total[j]) / (
                (x[i] + spend[1, j]) * (1.0 + row[j])
            )
        limits[0, i], limits[1, i] = row_limits(row, positions, work_space, warm)
