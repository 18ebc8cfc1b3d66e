"""Compiled loops of the interval computations (numba, cached on disk).

Imported lazily by :mod:`clvmodel.models._intervals`, :mod:`clvmodel.models._beta_geo_kernels`
(BG/NBD's own path) and :mod:`clvmodel.models._special`, so
that ``import clvmodel`` does not pay for numba. Each loop does the same floating-point
operations in the same order as the NumPy expressions it replaces (no fast-math), so results are
identical; what it saves is the temporaries of shape (draws, rows) and the full partial sorts.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "count_survival_head",
    "count_survival_tail",
    "draw_percentiles",
    "euler_series",
    "insert_sorted",
    "mixture_limits",
    "order_positions",
]

#: Every loop's options. No C-callable wrapper: the loops are called from Python or from each
#: other, never through a C pointer, and a wrapper costs compile time. Small helpers are
#: inlined into their callers as well (``inline="always"``: no compiled function of their own,
#: whose code every caller would link in and optimise again); those called at several places,
#: or large, are not (numba's type inference of a large function is slow).
_OPTIONS = {"cache": True, "nogil": True, "no_cfunc_wrapper": True}


@njit(**_OPTIONS, inline="always")
def order_positions(positions, n):
    """For limits at the fractional order statistics ``positions`` (lower, upper) of n values:
    the floors of both, and how many of the smallest and of the largest values hold the four
    order statistics the limits interpolate between."""
    low_index = int(np.floor(positions[0]))
    high_index = int(np.floor(positions[1]))
    return low_index, high_index, min(low_index + 2, n), n - high_index


@njit(**_OPTIONS, inline="always")
def insert_sorted(values, index, j, v, k):
    """Put ``v`` (with index ``k``) into the sorted values[:j + 1], moving the larger ones up
    one place; whatever was at ``j`` is overwritten."""
    while j > 0 and values[j - 1] > v:
        values[j] = values[j - 1]
        index[j] = index[j - 1]
        j -= 1
    values[j] = v
    index[j] = k


@njit(**_OPTIONS, inline="always")
def _sort_with_index(values, index, n):
    """Insertion sort of values[:n], carrying index[:n] along (n is small here)."""
    for i in range(1, n):
        insert_sorted(values, index, i, values[i], index[i])


@njit(**_OPTIONS, inline="always")
def _sort_nan_last(values, out):
    """``out`` = ``values`` sorted, NaN last (as ``numpy.sort``): a Shell sort with Ciura's
    gaps, cheap to compile (the full sort is the rare path of ``_select``)."""
    n = 0
    for v in values:
        if v == v:
            out[n] = v
            n += 1
    for i in range(n, values.size):
        out[i] = np.nan
    for gap in (701, 301, 132, 57, 23, 10, 4, 1):
        for i in range(gap, n):
            v = out[i]
            j = i
            while j >= gap and out[j - gap] > v:
                out[j] = out[j - gap]
                j -= gap
            out[j] = v


@njit(**_OPTIONS)
def _select_by_sorting(values, low_index, high_index, scratch):
    """What ``_select`` returns, from a full sort of ``values`` into ``scratch`` (its slow path)."""
    last = values.size - 1
    ordered = scratch[: values.size]
    _sort_nan_last(values, ordered)
    return (
        ordered[low_index],
        ordered[min(low_index + 1, last)],
        ordered[high_index],
        ordered[min(high_index + 1, last)],
    )


@njit(**_OPTIONS, inline="always")
def _warm_bounds(values, warm, m_low, m_high):
    """The largest of the values at the previous call's m_low smallest positions and the
    smallest at its m_high largest (``warm``, see ``_select``)."""
    up = -np.inf
    for k in range(m_low):
        v = values[warm[k]]
        up = v if v > up else up
    down = np.inf
    for k in range(m_high):
        v = values[warm[m_low + k]]
        down = v if v < down else down
    return up, down


@njit(**_OPTIONS, inline="always")
def _block_bounds(values, m_low, m_high):
    """The largest of m_low block minima and the smallest of m_high block maxima: m distinct
    elements are at or below the first, and at or above the second."""
    n = values.size
    up = -np.inf
    size = (n + m_low - 1) // m_low
    for start in range(0, n, size):
        smallest = np.inf
        for i in range(start, min(start + size, n)):
            v = values[i]
            smallest = v if v < smallest else smallest
        up = smallest if smallest > up else up
    down = np.inf
    size = (n + m_high - 1) // m_high
    for start in range(0, n, size):
        largest = -np.inf
        for i in range(start, min(start + size, n)):
            v = values[i]
            largest = v if v > largest else largest
        down = largest if largest < down else down
    return up, down


@njit(**_OPTIONS, inline="always")
def _two_largest(values, positions):
    """The second largest and the largest of ``values`` at ``positions`` (two or more)."""
    largest = second = -np.inf
    for k in positions:
        v = values[k]
        if v > largest:
            second, largest = largest, v
        elif v > second:
            second = v
    return second, largest


@njit(**_OPTIONS, inline="always")
def _two_smallest(values, positions):
    """The smallest and the second smallest of ``values`` at ``positions`` (one or more)."""
    smallest = second = np.inf
    for k in positions:
        v = values[k]
        if v < smallest:
            second, smallest = smallest, v
        elif v < second:
            second = v
    return smallest, second


@njit(**_OPTIONS, inline="always")
def _only_warm_within(values, up, down, m_low, m_high):
    """Whether exactly m_low values are at or below ``up``, exactly m_high at or above ``down``,
    and none is NaN (one branch-free pass)."""
    n_below = n_above = n_nan = 0
    for i in range(values.size):
        v = values[i]
        n_below += v <= up
        n_above += v >= down
        n_nan += v != v
    return n_nan == 0 and n_below == m_low and n_above == m_high


@njit(**_OPTIONS)
def _select(values, low_index, high_index, warm, scratch, scratch_index):
    """The order statistics ``low_index``, ``low_index + 1``, ``high_index`` and
    ``high_index + 1`` (each capped at the last) of ``values``, NaN sorting last as in
    ``numpy.partition``.

    Any m distinct elements bound the m-th smallest value from above by their maximum, so the
    values at or below that bound hold the m smallest, and only those are sorted. The m elements
    are the positions of the m smallest of the previous call (``warm``: its first m_low entries
    for the low side, the next m_high for the high side, then 1 once filled and the number of
    values that call sorted): rows come in an order in which neighbours rank the draws alike, so
    the bound is usually tight, and when exactly m values are within it (one branch-free
    counting pass), they are those m positions and are gathered without a compacting pass. The
    first time, and after a call that sorted many values, the largest of m block minima is taken
    as well (the smaller bound serves). Likewise for the largest values.
    """
    n = values.size
    last = n - 1
    m_low = min(low_index + 2, n)
    m_high = n - high_index
    if 4 * max(m_low, m_high) > n:
        return _select_by_sorting(values, low_index, high_index, scratch)
    filled = warm[m_low + m_high] == 1
    up, down = _warm_bounds(values, warm, m_low, m_high) if filled else (np.inf, -np.inf)
    if filled and _only_warm_within(values, up, down, m_low, m_high):
        # Exactly the warm positions are within the bounds, so the order statistics asked for
        # are the two largest of those m_low values and the two smallest of the m_high.
        second, largest = _two_largest(values, warm[:m_low])
        smallest, next_ = _two_smallest(values, warm[m_low : m_low + m_high])
        warm[m_low + m_high + 1] = m_low + m_high
        return second, largest, smallest, next_ if m_high > 1 else smallest
    below, below_index = scratch[:n], scratch_index[:n]
    above, above_index = scratch[n:], scratch_index[n:]
    if not filled or warm[m_low + m_high + 1] > 2 * (m_low + m_high):
        block_up, block_down = _block_bounds(values, m_low, m_high)
        up = block_up if block_up < up else up
        down = block_down if block_down > down else down
    # (int64 from the start: while the loop's types are inferred, a literal 0 reaches the calls
    # below as Literal[int](0), and a callee that is not inlined compiles once more for it.)
    n_below = n_above = n_nan = np.int64(0)
    for i in range(n):
        v = values[i]
        n_nan += v != v
        if v <= up:
            below[n_below] = v
            below_index[n_below] = i
            n_below += 1
        if v >= down:
            above[n_above] = -v
            above_index[n_above] = i
            n_above += 1
    if n_nan > 0 or n_below < m_low or n_above < m_high:
        warm[m_low + m_high] = 0
        return _select_by_sorting(values, low_index, high_index, scratch)
    _sort_with_index(below, below_index, n_below)
    _sort_with_index(above, above_index, n_above)
    # (Element by element: a slice assignment compiles its shape check's error message.)
    for k in range(m_low):
        warm[k] = below_index[k]
    for k in range(m_high):
        warm[m_low + k] = above_index[k]
    warm[m_low + m_high] = 1
    warm[m_low + m_high + 1] = n_below + n_above
    return (
        below[low_index],
        below[min(low_index + 1, last)],
        -above[last - high_index],
        -above[last - min(high_index + 1, last)],
    )


@njit(**_OPTIONS)
def draw_percentiles(alive, given, silent, group, positions, n_mixture, out, weights, warm):
    """Equal-tailed percentiles over draws of P(alive), E[Y] = P(alive) · E[Y | alive] and
    P(no purchase) = 1 − P(alive) (1 − P(no purchase | alive)), row by row.

    ``alive`` is (rows, draws); ``given`` and ``silent`` are (groups, draws) or empty (0, 0)
    when not asked for; ``group`` maps rows to groups; ``positions`` holds the two fractional
    order statistics; ``out`` is (6, rows): lower and upper of the three, in that order;
    ``weights`` (rows, n_mixture) receives P(alive)/n_mixture at the first draws; ``warm``,
    (3, 2 · draws + 2) integers, zero at first, carries ``_select``'s state from one call to the
    next.
    """
    n_rows, n_draws = alive.shape
    low_pos, high_pos = positions[0], positions[1]
    low_index = int(np.floor(low_pos))
    high_index = int(np.floor(high_pos))
    buffer = np.empty(n_draws)
    scratch = np.empty(2 * n_draws)
    scratch_index = np.empty(2 * n_draws, dtype=np.int64)
    with_expected = given.shape[0] > 0
    with_silent = silent.shape[0] > 0
    for i in range(n_rows):
        g = group[i]
        row = alive[i]
        for j in range(n_mixture):
            weights[i, j] = row[j] / n_mixture
        for q in range(3):
            if q == 0:
                values = row
            elif q == 1:
                if not with_expected:
                    continue
                for j in range(n_draws):
                    buffer[j] = row[j] * given[g, j]
                values = buffer
            else:
                if not with_silent:
                    continue
                for j in range(n_draws):
                    v = 1.0 - row[j] * (1.0 - silent[g, j])
                    buffer[j] = 0.0 if v < 0.0 else (1.0 if v > 1.0 else v)
                values = buffer
            a, b, c, d = _select(values, low_index, high_index, warm[q], scratch, scratch_index)
            out[2 * q, i] = a + (low_pos - low_index) * (b - a)
            out[2 * q + 1, i] = c + (high_pos - high_index) * (d - c)


@njit(**_OPTIONS)
def mixture_limits(values, offset, size, n_points, group, weights, tail, out):
    """Equal-tailed limits of the count under Σ_j w_j P_j(X > k | alive), row by row (see
    ``mixture_interval``); ``out`` is (4, rows): L, U, P(X > L − 1), P(X > U)."""
    for i in range(group.size):
        g = group[i]
        _mixture_row(values, offset[g], size[g] - 1, n_points, weights[i], tail, out, i)


# error_model="numpy": a zero denominator (a + b + x − 1 = 0) gives inf/nan as NumPy does, for
# the caller's reliability mask to reject, instead of raising ZeroDivisionError.
@njit(**_OPTIONS, error_model="numpy")
def euler_series(a, c, d, y, max_terms, rtol, total, magnitude, open_):
    """Σ_{k≥1} (a)_{k−1} (c)_k / ((d)_k k!) y^k and the sum of the terms' magnitudes, each
    element to its own last term above ``rtol`` times that magnitude (see ``_special``);
    ``open_`` is set where ``max_terms`` were not enough."""
    for i in range(y.size):
        term = c[i] * y[i] / d[i]
        s = 0.0
        m = 0.0
        k = 1
        going = True
        while going and k <= max_terms:
            s = s + term
            m = m + abs(term)
            # The ratio first: only one product waits for the previous term.
            term = term * ((a[i] + k - 1.0) * (c[i] + k) / ((d[i] + k) * (k + 1.0)) * y[i])
            going = abs(term) > rtol * max(m, 1e-300)
            k += 1
        total[i] = s
        magnitude[i] = m
        open_[i] = going


@njit(**_OPTIONS)
def _mixture_row(values, base, last, n_points, weights, tail, out, i):
    """One row of ``mixture_limits`` (its table starts at ``base`` and ends at count ``last``),
    with the same sums in the same order, four counts at a time: the sums are independent, so
    the processor overlaps them instead of waiting on one chain of additions."""
    out[0, i] = 0.0
    out[2, i] = 1.0
    k = 0
    while True:
        width = min(4, last - k + 1)
        s0 = s1 = s2 = s3 = 0.0
        start = base + k * n_points
        if width == 4:
            for j in range(n_points):
                w = weights[j]
                s0 += w * values[start + j]
                s1 += w * values[start + n_points + j]
                s2 += w * values[start + 2 * n_points + j]
                s3 += w * values[start + 3 * n_points + j]
        else:
            for j in range(n_points):
                s0 += weights[j] * values[start + j]
            for j in range(n_points if width > 1 else 0):
                s1 += weights[j] * values[start + n_points + j]
            for j in range(n_points if width > 2 else 0):
                s2 += weights[j] * values[start + 2 * n_points + j]
        for step in range(width):
            above = s0 if step == 0 else (s1 if step == 1 else (s2 if step == 2 else s3))
            if above >= 1.0 - tail:
                out[0, i] = k + 1
                out[2, i] = above
            if above <= tail or last <= k:
                out[1, i] = k
                out[3, i] = above
                return
            k += 1


@njit(**_OPTIONS, error_model="numpy")
def count_survival_head(c, above, r, k, value, ratio):
    """One step of ``DropoutAtPurchasesCounts.survival`` up to its logarithm, in one pass:
    ``value`` = clip(c · P(N > k − 1), 0, 1) and ``ratio`` = (r + k − 1)/k, as NumPy's
    ``clip`` (NaN kept, −0 kept) and arithmetic give them."""
    for i in range(c.size):
        v = c[i] * above[i]
        v = v if v >= 0.0 or v != v else 0.0
        value[i] = v if v <= 1.0 or v != v else 1.0
        ratio[i] = (r[i] + k - 1.0) / k


@njit(**_OPTIONS, error_model="numpy")
def count_survival_tail(above, nb, c, b, ab, k):
    """The rest of the step, after NumPy's exponential gave P(N = k) in ``nb``:
    P(N > k) = max(P(N > k − 1) − P(N = k), 0) (``numpy.maximum``'s NaN and −0) and
    c_k = c_{k−1} (b + k − 1)/(a + b + k − 1), in place, in one pass."""
    for i in range(c.size):
        v = above[i] - nb[i]
        above[i] = v if v >= 0.0 or v != v else 0.0
        c[i] = c[i] * (b[i] + k - 1.0) / (ab[i] + k - 1.0)
