"""BG/NBD's (and MBG/NBD's) compiled loops for intervals from parameter draws (numba, cached).

P(alive) per (row, draw) from its log odds, then the percentile limits of the three expectations
and the count interval in one pass per block of rows, with the selection and mixture loops of
:mod:`clvmodel.models._interval_kernels`. The three warm-started selections share one counting
pass; a side whose warm bound let in more values than its warm positions is refined from the
values within the bound (``_refine``), and anything else (NaN, few draws, no warm positions
yet) goes through ``_select``. Imported lazily by :mod:`clvmodel.models._beta_geo_draws`; the
same operations in the same order as the generic path, so the results are identical.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from clvmodel.models._interval_kernels import (
    _OPTIONS,
    _mixture_row,
    _select,
    _sort_with_index,
    insert_sorted,
    order_positions,
)

__all__ = ["bg_alpha_plus_t", "bg_draw_block", "bg_log_odds", "euler_series_runs"]


@njit(**_OPTIONS)
def bg_log_odds(work, group, repeat, constant, slope, log_age, x_of, age_of):
    """BG/NBD's log odds of dropout over a block of rows, in place: ``work`` holds ln(α + t_x)
    per (row, draw) and receives ln a − ln(b + x − 1) + (r + x)(ln(α + T) − ln(α + t_x)), the
    terms other than ln(α + t_x) read per distinct x (``constant``, ``slope``) and T
    (``log_age``) of the row's (x, T) group (``x_of``, ``age_of``); −inf for rows without
    repeat purchases (the same operations in the same order as
    ``BetaGeoModel._log_odds_dead``)."""
    n_rows, n_draws = work.shape
    for i in range(n_rows):
        row = work[i]
        if not repeat[i]:
            row[:] = -np.inf
            continue
        g = group[i]
        c = constant[x_of[g]]
        s = slope[x_of[g]]
        t = log_age[age_of[g]]
        for j in range(n_draws):
            row[j] = c[j] + s[j] * (t[j] - row[j])


@njit(**_OPTIONS)
def bg_alpha_plus_t(work, t_x, alpha):
    """α_j + t_x per (row, draw) into ``work`` (the argument of the logarithm that NumPy then
    takes in place)."""
    for i in range(work.shape[0]):
        row = work[i]
        t = t_x[i]
        for j in range(alpha.size):
            row[j] = t + alpha[j]


@njit(**_OPTIONS)
def _warm_extremes(values, warm, m_low, m_high, found):
    """The two largest of ``values`` at the previous selection's m_low smallest positions and the
    two smallest at its m_high largest (``warm``, see ``_select``), into ``found``: the largest
    and the smallest bound the others, and when the bounds hold these are the order statistics
    asked for. Branch-free (the ranks change from row to row); without NaN the same values as
    ``_two_largest`` and ``_two_smallest``, and NaN fails the counting pass anyway."""
    largest = second = -np.inf
    for k in range(m_low):
        v = values[warm[k]]
        low = v if v < largest else largest
        second = low if low > second else second
        largest = v if v > largest else largest
    smallest = next_ = np.inf
    for k in range(m_high):
        v = values[warm[m_low + k]]
        high = v if v > smallest else smallest
        next_ = high if high < next_ else next_
        smallest = v if v < smallest else smallest
    found[0], found[1], found[2], found[3] = second, largest, smallest, next_
    if m_high == 1:
        found[3] = smallest


@njit(**_OPTIONS, error_model="numpy")
def bg_draw_block(
    work,
    group,
    dest,
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
    exp(log odds) per (row, draw) in ``work``, which receives P(alive) = 1/(1 + exp(log odds))
    (as the generic path forms it): the percentile limits of P(alive), E[Y] and P(no purchase)
    into ``limits`` and, with ``n_mixture`` > 0, the count interval into ``counts`` (weights
    P(alive)/n_mixture at the first draws), with the same operations in the same order. Row i's
    results go to column ``dest[i]`` of ``limits`` and ``counts``.

    The warm-started selections of the three expectations (see ``_select``) test their bounds in
    one counting pass over the draws; a side whose bound let in more values than its warm
    positions is refined from those values (``_refine``); without warm positions yet, with NaN
    or with few draws, ``_select`` selects each on its own. The mixture's sums run four counts
    at a time (see ``_mixture_row``)."""
    n_rows, n_draws = work.shape
    low_pos, high_pos = positions[0], positions[1]
    low_index, high_index, m_low, m_high = order_positions(positions, n_draws)
    fused = 4 * max(m_low, m_high) <= n_draws
    expected = np.empty(n_draws)
    quiet = np.empty(n_draws)
    weights = np.empty(max(n_mixture, 1))
    scratch = np.empty(2 * n_draws)
    scratch_index = np.empty(2 * n_draws, dtype=np.int64)
    with_expected = given.shape[0] > 0
    with_silent = silent.shape[0] > 0
    found = np.empty((3, 4))
    hit = np.zeros((3, 2), dtype=np.bool_)
    all_three = with_expected and with_silent
    k_filled = m_low + m_high  # warm[q, k_filled] is 1 once filled (see _select)
    for i in range(n_rows):
        g = group[i]
        out = dest[i]
        row = work[i]
        _row_values(row, given, silent, g, with_expected, with_silent, expected, quiet)
        warm_ready = False
        if fused and all_three and warm[0, k_filled] + warm[1, k_filled] + warm[2, k_filled] == 3:
            _warm_extremes(row, warm[0], m_low, m_high, found[0])
            _warm_extremes(expected, warm[1], m_low, m_high, found[1])
            _warm_extremes(quiet, warm[2], m_low, m_high, found[2])
            warm_ready = _fused_counts(row, expected, quiet, found, m_low, m_high, hit)
        for q in range(3):
            if q == 1 and not with_expected or q == 2 and not with_silent:
                continue
            if warm_ready:
                if not (hit[q, 0] and hit[q, 1]):
                    v = row if q == 0 else (expected if q == 1 else quiet)
                    _refine(v, low_index, high_index, warm[q], found[q], hit[q], scratch,
                            scratch_index)  # fmt: skip
                a, b, c, d = found[q, 0], found[q, 1], found[q, 2], found[q, 3]
                warm[q, k_filled + 1] = m_low + m_high
            else:
                v = row if q == 0 else (expected if q == 1 else quiet)
                a, b, c, d = _select(v, low_index, high_index, warm[q], scratch, scratch_index)
            limits[2 * q, out] = a + (low_pos - low_index) * (b - a)
            limits[2 * q + 1, out] = c + (high_pos - high_index) * (d - c)
        if n_mixture > 0:
            for j in range(n_mixture):
                weights[j] = row[j] / n_mixture
            _mixture_row(values, offset[g], size[g] - 1, n_mixture, weights, tail, counts, out)


@njit(**_OPTIONS, error_model="numpy")
def _row_values(row, given, silent, g, with_expected, with_silent, expected, quiet):
    """A row's P(alive) = 1/(1 + exp(log odds)) in place (from the exponential in ``row``),
    and, where asked for, E[Y] = P(alive) · E[Y | alive] into ``expected`` and
    P(no purchase) = clip(1 − P(alive) (1 − P(no purchase | alive)), 0, 1) into ``quiet``,
    reading group g's values given alive (in one pass when all are asked for)."""
    n_draws = row.size
    if with_expected and with_silent:
        given_g, silent_g = given[g], silent[g]
        for j in range(n_draws):
            p = 1.0 / (1.0 + row[j])
            row[j] = p
            expected[j] = p * given_g[j]
            v = 1.0 - p * (1.0 - silent_g[j])
            quiet[j] = 0.0 if v < 0.0 else (1.0 if v > 1.0 else v)
        return
    for j in range(n_draws):
        row[j] = 1.0 / (1.0 + row[j])
    if with_expected:
        given_g = given[g]
        for j in range(n_draws):
            expected[j] = row[j] * given_g[j]
    if with_silent:
        silent_g = silent[g]
        for j in range(n_draws):
            v = 1.0 - row[j] * (1.0 - silent_g[j])
            quiet[j] = 0.0 if v < 0.0 else (1.0 if v > 1.0 else v)


@njit(**_OPTIONS)
def _fused_counts(alive, expected, quiet, found, m_low, m_high, hit):
    """``_select``'s warm test for the three expectations at once: one branch-free counting pass
    over the draws against the bounds in ``found`` (see ``_warm_extremes``). ``hit[q, 0]`` is
    set where exactly the m_low warm positions are at or below quantity q's upper bound,
    ``hit[q, 1]`` likewise for the m_high largest; returns whether no value is NaN."""
    up0, down0 = found[0, 1], found[0, 2]
    up1, down1 = found[1, 1], found[1, 2]
    up2, down2 = found[2, 1], found[2, 2]
    below0 = above0 = below1 = above1 = below2 = above2 = nan = 0
    for j in range(alive.size):
        v, e, s = alive[j], expected[j], quiet[j]
        below0 += v <= up0
        above0 += v >= down0
        below1 += e <= up1
        above1 += e >= down1
        below2 += s <= up2
        above2 += s >= down2
        nan += (v != v) + (e != e) + (s != s)
    hit[0, 0], hit[0, 1] = below0 == m_low, above0 == m_high
    hit[1, 0], hit[1, 1] = below1 == m_low, above1 == m_high
    hit[2, 0], hit[2, 1] = below2 == m_low, above2 == m_high
    return nan == 0


@njit(**_OPTIONS)
def _keep_smallest(values, index, n, m):
    """Reorder ``values[:n]`` (``index`` alongside) so that its m smallest come first (in any
    order). A few extra values (a warm bound that let a few more in, the usual case) are taken
    out one largest at a time; more are screened against the m-th smallest so far, the first m
    kept sorted, so that a loose bound costs about n comparisons, not the n²/4 moves of sorting
    them all."""
    if n - m <= 4:
        for end in range(n - 1, m - 1, -1):
            top = 0
            for i in range(1, end + 1):
                top = i if values[i] > values[top] else top
            values[top], values[end] = values[end], values[top]
            index[top], index[end] = index[end], index[top]
        return
    _sort_with_index(values, index, m)
    for i in range(m, n):
        if values[i] < values[m - 1]:
            insert_sorted(values, index, m - 1, values[i], index[i])


@njit(**_OPTIONS, inline="always")
def _two_largest_of(values, m):
    """The second largest and the largest of values[:m] (m ≥ 2; no NaN)."""
    largest = second = -np.inf
    for k in range(m):
        v = values[k]
        low = v if v < largest else largest
        second = low if low > second else second
        largest = v if v > largest else largest
    return second, largest


@njit(**_OPTIONS)
def _refine(values, low_index, high_index, warm, found, hit, scratch, scratch_index):
    """The side(s) of a warm selection whose bound held more values than the warm positions
    (``hit`` False; without NaN the bound from m values always holds at least m): the values
    within it are gathered, the m extreme ones kept, and the order statistics
    and the new warm positions read off, as ``_select`` would; a side that held exactly its
    warm positions keeps them and its values in ``found``."""
    n = values.size
    m_low = low_index + 2
    m_high = n - high_index
    if not hit[0]:
        up = found[1]
        below, below_index = scratch[:n], scratch_index[:n]
        n_below = np.int64(0)  # (not a literal 0: see _select)
        for i in range(n):
            v = values[i]
            if v <= up:
                below[n_below] = v
                below_index[n_below] = i
                n_below += 1
        _keep_smallest(below, below_index, n_below, m_low)
        for k in range(m_low):  # (not a slice assignment: see _select)
            warm[k] = below_index[k]
        found[0], found[1] = _two_largest_of(below, m_low)
    if not hit[1]:
        down = found[2]
        above, above_index = scratch[n:], scratch_index[n:]
        n_above = np.int64(0)
        for i in range(n):
            v = values[i]
            if v >= down:
                above[n_above] = -v  # the largest values, as the smallest of their negatives
                above_index[n_above] = i
                n_above += 1
        _keep_smallest(above, above_index, n_above, m_high)
        for k in range(m_high):
            warm[m_low + k] = above_index[k]
        if m_high > 1:
            second, largest = _two_largest_of(above, m_high)
            found[2], found[3] = -largest, -second
        else:
            found[2] = found[3] = -above[0]


# error_model="numpy": a zero denominator (a + b + x − 1 = 0) gives inf/nan, as in
# ``euler_series``, for the caller's reliability mask to reject.
@njit(**_OPTIONS, error_model="numpy")
def euler_series_runs(a, c, d, y, bounds, max_terms, rtol, total, magnitude, open_):
    """``euler_series`` on a (groups, draws) grid whose groups come in runs of one x (rows
    ``bounds[r]`` to ``bounds[r + 1]``): within a run the coefficients of the series,
    (a)_{k−1} (c)_k / ((d)_k k!), are those of one (a, c, d) per draw, so the terms of all the
    run's y advance side by side, each by the same steps as ``euler_series`` takes alone
    (a closed sum adds zeros: the sums are identical to that loop's), without branches, so that
    the processor's vector instructions take several y at once. Groups whose sums have closed
    at the end of the run leave the loop (T ascending in a run puts the small y, which close
    first, last)."""
    n_draws = a.size
    longest = 0
    for r in range(bounds.size - 1):
        longest = max(longest, bounds[r + 1] - bounds[r])
    ys = np.empty(longest)
    term = np.empty(longest)
    s = np.empty(longest)
    m = np.empty(longest)
    going = np.empty(longest)  # 1.0 while a sum is open, 0.0 after
    for r in range(bounds.size - 1):
        start = bounds[r]
        size = bounds[r + 1] - start
        for j in range(n_draws):
            a_j, c_j, d_j = a[j], c[j], d[start, j]
            for q in range(size):
                ys[q] = y[start + q, j]
                term[q] = c_j * ys[q] / d_j
                s[q] = 0.0
                m[q] = 0.0
                going[q] = 1.0
            high = size
            k = 1
            while high > 0 and k <= max_terms:
                ratio = (a_j + k - 1.0) * (c_j + k) / ((d_j + k) * (k + 1.0))
                for q in range(high):
                    t = term[q]
                    is_open = going[q] > 0.0
                    s[q] = s[q] + (t if is_open else 0.0)
                    m_q = m[q] + (abs(t) if is_open else 0.0)
                    m[q] = m_q
                    t = t * (ratio * ys[q])
                    term[q] = t
                    going[q] = 1.0 if is_open and abs(t) > rtol * max(m_q, 1e-300) else 0.0
                while high > 0 and going[high - 1] == 0.0:
                    high -= 1
                k += 1
            for q in range(size):
                total[start + q, j] = s[q]
                magnitude[start + q, j] = m[q]
                open_[start + q, j] = going[q] > 0.0
