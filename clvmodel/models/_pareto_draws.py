"""Pareto/NBD intervals from parameter draws (``method="draws"`` or ``"bootstrap"``), without
covariates: the columns of the generic :func:`clvmodel.models._intervals.interval_columns`, with
the death integral interpolated instead of integrated per (row, draw).

**P(alive).** With a = r + x, the log odds of having died are (see
:mod:`clvmodel.models._pareto_special`)

    ln(P(dead)/P(alive)) = C + ln(J(t_x) − J(T)),
    C = ln s + a ln(1 + T/α) + s ln(1 + T/β) − ln β,
    J(y) = ∫_y^∞ (1 + τ/α)^−a (1 + τ/β)^−(s+1) dτ.

The generic path integrates per (row, draw). But J depends on the draw and on x only, through a
function of one variable, y. For each distinct x and draw it is interpolated by a Chebyshev
polynomial in u = ln(c₀ + y), c₀ the smallest α or β over the draws, on [ln(c₀ + min t_x),
ln(c₀ + max(T + t))] over that x's histories (t the horizon):

    ln J(y) = Σ_{n<N} c_n T_n(ξ(u)) − (a + s)(u − u₀).

J is analytic off the cut y ≤ −min(α, β), which u maps outside the strip |Im u| < π, so the
coefficients fall geometrically, whatever the length of the interval. The values at the
Chebyshev–Lobatto points are the validated quadrature of ln J (within 3e-11 of mpmath). For
N = 16, 32, 64 in turn, the degree-N interpolant is checked at the N points that the degree-2N
grid adds; once it is within 1e-10 of them, the degree-2N interpolant (all 2N + 1 values, far
closer in practice) is kept, less its trailing coefficients summing to at most 1e-15. A (x, draw)
that degree 128 does not serve, one whose tail decays too slowly for the quadrature
(r + x + s < 0.25), and an x with fewer than 16 histories and groups together (cheaper so) are
integrated per row as in the generic path.

Per (row, draw) there remain a Clenshaw sum (all draws side by side), one exponential and a
subtraction: odds = K J(t_x) − K J(T) with K = e^C, the second term per (x, T) and draw.

**Bound.** Let ε be the relative error of J (the checked 1e-10 plus the quadrature's 3e-11). K J(T)
is the integral over the death time τ > T of its density given alive at T,
s (β + T)^s (β + τ)^−(s+1), times ((α + T)/(α + τ))^a ≤ 1: so K J(T) ≤ 1, and the odds err by at
most ε(K J(t_x) + K J(T)) = ε(odds + 2 K J(T)) ≤ ε(odds + 2). P(alive) = 1/(1 + odds) then errs by
at most 2ε, relative and absolute, and so does E[Y] = P(alive) E[Y | alive]. An equal-tailed
percentile moves by no more than the values it is taken from, so the limits agree with the generic
path's to 2ε relative (measured on CDNOW and simulated customers: about 1e-14).

**P(no purchase | alive)** = (β'/(β'+t))^s (α'/(α'+t))^a + K(J(T) − J(T + t)), α' = α + T,
β' = β + T (survive the horizon without buying, or die first without buying): the same
interpolant. The difference errs by at most ε(K J(T) + K J(T + t)) ≤ 2ε; where K J(T) + K J(T + t)
exceeds 100 times the result (a heavy buyer, P(no purchase | alive) tiny), which could cost more
than 1e-8 of it, the generic path's quadrature is used instead. P(no purchase) =
1 − P(alive)(1 − P(no purchase | alive)) then errs by at most 4ε.

**The count mixture** uses the generic survival tables, built from
:class:`clvmodel.models._pareto_counts.ParetoCounts` (all counts on one grid per group and
draw), and E[Y | alive] is the closed form, per (x, T) and draw. The row pass is BG/NBD's
(:func:`clvmodel.models._beta_geo_kernels.bg_draw_block`), after
:func:`clvmodel.models._pareto_kernels.pareto_odds` has formed the odds of a block of rows.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from clvmodel.models._beta_geo_draws import CountTables, DrawRows, interval_table_columns
from clvmodel.models._interval_draws import RowPlan, points_by_group
from clvmodel.models._pareto_special import _TAIL_MIN_DECAY, _integrals, log_odds_dead, pmf_if_alive

__all__ = ["draw_interval_columns", "tail_curves"]

_MIXTURE_POINTS = 50
_NAMES = ("r", "alpha", "s", "beta")
#: Accepted interpolation error of ln J (the check at the next level's points).
TOLERANCE = 1e-10
_LEVELS = (16, 32, 64)
#: An x with fewer histories and groups together is integrated per row (an interpolant costs
#: 33 or more tail integrals a draw).
_FEW = 16
#: Trailing coefficients summing to at most this are dropped (far below the checked error: the
#: degree-2N interpolant kept is usually much closer than the degree-N one checked).
_TRIM = 1e-15
#: P(no purchase | alive) is integrated instead where K J(T) + K J(T + t) exceeds it this many
#: times (its error, ε(K J(T) + K J(T + t)), could then exceed 1e-8 of it).
_CONDITION = 1e2


def _kernels():
    from clvmodel.models import _pareto_kernels  # numba: imported on first use

    return _pareto_kernels


class TailCurves:
    """Chebyshev interpolants of ln J per distinct x and draw (see the module docstring).

    Attributes
    ----------
    coef : numpy.ndarray
        (curves, at most 129, draws) coefficients, zero past each draw's own number.
    length : numpy.ndarray
        (curves,) the largest number of coefficients over the draws.
    served : numpy.ndarray
        (curves, draws): False where the curve does not serve the draw.
    slope : numpy.ndarray
        (curves, draws): r + x + s.
    c0, lo, hi : float, numpy.ndarray, numpy.ndarray
        u = ln(c₀ + y) on [lo, hi] per curve.
    """

    def __init__(self, coef, length, served, slope, c0, lo, hi):
        self.coef, self.length, self.served, self.slope = coef, length, served, slope
        self.c0, self.lo, self.hi = c0, lo, hi

    def position(self, curve, y):
        """ξ ∈ [−1, 1] and u − u₀ of points y on their curves."""
        u = np.log(self.c0 + y)
        lo, hi = self.lo[curve], self.hi[curve]
        xi = np.clip((2.0 * u - lo - hi) / (hi - lo), -1.0, 1.0)
        return np.ascontiguousarray(xi), np.ascontiguousarray(u - lo)

    def log_tail(self, curve, y):
        """ln J(y) per (point, draw) from the interpolants (NaN where a curve does not serve a
        draw)."""
        xi, du = self.position(curve, y)
        out = np.empty((y.size, self.slope.shape[1]))
        _kernels().chebyshev_values(out, curve, xi, self.coef, self.length)
        out -= self.slope[curve] * du[:, None]
        out[~self.served[curve]] = np.nan
        return out


def tail_curves(params, xs, y_lo, y_hi, skip=None) -> TailCurves:
    """The interpolants of ln J for the distinct x values ``xs`` on [y_lo, y_hi] (one each),
    for the draws' parameters ``params`` = (r, α, s, β), arrays over the draws; none for the
    curves where ``skip`` is True (integrated per row instead)."""
    r, alpha, s, beta = params
    n_x, n_draws = xs.size, r.size
    c0 = float(min(alpha.min(), beta.min()))
    lo, hi = np.log(c0 + y_lo), np.log(c0 + y_hi)
    hi = np.maximum(hi, lo + 1e-6)  # one point: any short interval serves
    slope = r[None, :] + xs[:, None] + s[None, :]
    open_ = slope >= _TAIL_MIN_DECAY
    if skip is not None:
        open_ &= ~skip[:, None]
    # (curve, draw) pairs still open, and their values at the current level's points.
    ci, dj = np.nonzero(open_)
    values = _log_tails(params, xs, c0, lo, hi, ci, dj, _LEVELS[0], np.arange(_LEVELS[0] + 1))
    accepted = []
    for n in _LEVELS:
        # The new points of level 2n are the odd ones, between those of level n.
        new = _log_tails(params, xs, c0, lo, hi, ci, dj, 2 * n, np.arange(1, 2 * n, 2))
        low = _coefficients(values)
        xi = np.cos(np.pi * np.arange(1, 2 * n, 2) / (2 * n))
        error = np.abs(np.polynomial.chebyshev.chebval(xi, low.T) - new).max(axis=1)
        both = np.empty((ci.size, 2 * n + 1))
        both[:, ::2], both[:, 1::2] = values, new
        done = error <= TOLERANCE  # checked at degree n: the degree-2n interpolant is kept
        accepted.append((ci[done], dj[done], _trimmed(_coefficients(both[done]))))
        ci, dj, values = ci[~done], dj[~done], both[~done]
        if ci.size == 0:
            break
    used = [np.flatnonzero(c.any(axis=0)) for _, _, c in accepted]
    size = max([int(u[-1]) + 1 for u in used if u.size] + [1])
    coef = np.zeros((n_x, size, n_draws))
    served = np.zeros((n_x, n_draws), dtype=bool)
    length = np.zeros(n_x, dtype="int64")
    for c, j, values in accepted:
        width = min(values.shape[1], size)
        coef[c, :width, j] = values[:, :width]
        served[c, j] = True
        if c.size:
            last = np.where(values.any(axis=0), np.arange(values.shape[1]), -1).max() + 1
            np.maximum.at(length, c, last)
    return TailCurves(coef, length, served, slope, c0, lo, hi)


def _trimmed(coef):
    """The coefficients with the trailing ones whose magnitudes sum to at most _TRIM set
    to zero (dropping them moves the polynomial by at most that sum on [−1, 1])."""
    dropped = np.cumsum(np.abs(coef[:, ::-1]), axis=1)[:, ::-1]
    coef = coef.copy()
    coef[dropped <= _TRIM] = 0.0
    return coef


def _log_tails(params, xs, c0, lo, hi, ci, dj, n, k):
    """ln J at the Chebyshev–Lobatto points k of level n, per open (curve, draw) pair, plus
    (a + s)(u − u₀): the interpolated function."""
    r, alpha, s, beta = params
    u = 0.5 * (lo + hi)[ci, None] + 0.5 * (hi - lo)[ci, None] * np.cos(np.pi * k / n)[None, :]
    y = np.maximum(np.exp(u) - c0, 0.0)
    shape = y.shape
    cols = [
        np.broadcast_to(v[:, None], shape).ravel()
        for v in (r[dj], alpha[dj], s[dj], beta[dj], xs[ci])
    ]
    with np.errstate(divide="ignore"):
        log_y = np.log(y).ravel()
    value = _integrals(*cols, log_y, np.full(log_y.size, np.inf), 0)[0].reshape(shape)
    return value + (r[dj] + xs[ci] + s[dj])[:, None] * (u - lo[ci, None])


def _coefficients(values):
    """Chebyshev coefficients from the values at the Lobatto points cos(πk/n), k = 0 … n."""
    if values.shape[0] == 0:
        return values
    n = values.shape[1] - 1
    c = scipy.fft.dct(values, type=1, axis=1) / n
    c[:, 0] /= 2.0
    c[:, -1] /= 2.0
    return c


def draw_interval_columns(
    model, points, level, histories, horizon, which, grouping=None, block=256, chunk=512
):
    """The interval columns of a Pareto/NBD model without covariates from parameter vectors
    (draws or bootstrap replicates), as :func:`clvmodel.models._intervals.interval_columns`.

    Parameters
    ----------
    model : ParetoNBDModel
        Fitted, without covariates.
    points : numpy.ndarray
        Shape (draws, 4): r, α, s, β per draw.
    level : float
        Nominal level.
    histories : tuple of numpy.ndarray
        x, t_x, T of the distinct histories (then two empty covariate matrices).
    horizon : float or numpy.ndarray
        One horizon, or one per history.
    which : sequence of str
        The expectations asked for.
    grouping : tuple of numpy.ndarray, optional
        ``group_rows(x, T[, horizon])`` of the histories when the caller has it.
    block : int
        Rows per block of the (rows, draws) arrays.
    chunk : int
        (x, T) groups whose tables are built, used and dropped together.

    Returns
    -------
    dict or None
        The interval columns by name; None with covariates (the generic path applies).
    """
    # Over 80 lines for its docstring (the body is about 55).
    x, t_x, age, z_p, z_d = histories
    if z_p.shape[1] + z_d.shape[1] > 0:
        return None
    tail = (1.0 - level) / 2.0
    at_points, params, per_row, (group, first) = points_by_group(
        model, points, histories, horizon, grouping, _NAMES
    )
    plan = RowPlan(x, t_x, age, horizon, group, first, per_row)
    x_g, age_g = plan.x_g, plan.age_g
    h_g = plan.h_g if per_row else np.full(first.size, float(horizon))
    xs, curve = np.unique(x, return_inverse=True)
    curve_g = curve[plan.first]
    end = age_g + (h_g if "probability_no_purchase" in which else 0.0)
    y_lo = np.full(xs.size, np.inf)
    np.minimum.at(y_lo, curve, t_x)
    y_hi = np.zeros(xs.size)
    np.maximum.at(y_hi, curve_g, end)
    compiled = _kernels()
    # An x with few histories is cheaper integrated per row than interpolated.
    few = np.bincount(curve, minlength=xs.size) + np.bincount(curve_g, minlength=xs.size)
    curves = tail_curves(params, xs, y_lo, y_hi, skip=few < _FEW)
    counting = "expected_purchases" in which
    n_mixture = min(_MIXTURE_POINTS, len(points)) if counting else 0
    counts = CountTables(model, at_points[:n_mixture], plan, (x, t_x, age), horizon, tail)
    with np.errstate(divide="ignore"):
        possible = np.log(age) > np.log(t_x)  # as the generic path: some time to have died
    xi, du = curves.position(curve, t_x)
    exact = _exact_odds(params, curves, curve, x, t_x, age, possible)
    rows = (curve, xi, du, possible)
    runner = DrawRows(plan, len(points), tail, n_mixture, block)
    # The tables of a chunk of (x, T) groups, used at once by their rows (see BG/NBD's path).
    for part, chunk_rows in plan.chunks(chunk):
        tables = _group_tables(
            model, params, curves, curve_g[part], x_g[part], age_g[part], h_g[part], which
        )
        odds = _odds_block(compiled, rows, curves, tables[2:], exact)
        runner.run(chunk_rows, part.start, tables[:2], counts.tables(part), odds)
    return interval_table_columns(runner.table, which)


def _group_tables(model, params, curves, curve_g, x_g, age_g, h_g, which):
    """Per (x, T) group and draw: E[Y | alive] and P(no purchase | alive) where asked for, C
    and exp(C + ln J(T)) (see the module docstring)."""
    r, alpha, s, beta = (v[None, :] for v in params)
    xc, ac, hc = x_g[:, None], age_g[:, None], h_g[:, None]
    stacked = dict(zip(_NAMES, (r, alpha, s, beta), strict=True))
    given = silent = np.empty((0, 0))
    a = r + xc
    with np.errstate(all="ignore"):
        if "expected_purchases" in which:
            given = type(model)._expected_if_alive(stacked, xc, ac, hc)
            given = np.require(given, "float64", ("C", "W"))  # one type for the kernels
        const, at_age = death_tables(params, curves, curve_g, x_g, age_g)
        if "probability_no_purchase" in which:
            at_end = np.exp(const + curves.log_tail(curve_g, age_g + h_g))
            survive = np.exp(-s * np.log1p(hc / (beta + ac)) - a * np.log1p(hc / (alpha + ac)))
            silent = survive + np.maximum(at_age - at_end, 0.0)
            silent = np.where(hc > 0.0, silent, 1.0)
            # Where the difference could lose more than 1e-8 of the result (or a curve does
            # not serve the draw): the generic path's quadrature.
            redo = ~(at_age + at_end <= _CONDITION * silent) & (hc > 0.0)
            if redo.any():
                i, j = np.nonzero(redo)
                silent[i, j] = pmf_if_alive(
                    params[0][j] + x_g[i], params[1][j] + age_g[i], params[2][j],
                    params[3][j] + age_g[i], 0.0, h_g[i],
                )  # fmt: skip
            silent = np.ascontiguousarray(silent)
    const = np.ascontiguousarray(np.broadcast_to(const, at_age.shape))
    return given, silent, const, np.ascontiguousarray(at_age)


def death_tables(params, curves, curve_g, x_g, age_g):
    """C and K J(T) = exp(C + ln J(T)) per (x, T) group and draw (see the module docstring),
    both (groups, draws) and C-contiguous; NaN where a curve does not serve a draw."""
    r, alpha, s, beta = (v[None, :] for v in params)
    a, ac = r + x_g[:, None], age_g[:, None]
    with np.errstate(all="ignore"):
        const = np.log(s) + a * np.log1p(ac / alpha) + s * np.log1p(ac / beta) - np.log(beta)
        at_age = np.exp(const + curves.log_tail(curve_g, age_g))
    return np.ascontiguousarray(const), np.ascontiguousarray(at_age)


def _exact_odds(params, curves, curve, x, t_x, age, possible):
    """exp(log odds) per row and draw, by the generic path's quadrature, for the rows whose
    curve does not serve some draw: (rows' index into the array or −1, the array with NaN
    where the interpolant serves)."""
    index = np.full(x.size, -1, dtype="int64")
    missing = ~curves.served[curve]
    rows = np.flatnonzero(missing.any(axis=1) & possible)
    values = np.full((rows.size, curves.served.shape[1]), np.nan)
    if rows.size:
        index[rows] = np.arange(rows.size)
        i, j = np.nonzero(missing[rows])
        p = [v[j] for v in params]
        with np.errstate(over="ignore"):
            values[i, j] = np.exp(log_odds_dead(*p, x[rows][i], t_x[rows][i], age[rows][i]))
    return index, values


def _odds_block(compiled, rows, curves, tables, exact):
    """exp(log odds) per (row, draw) for a block of rows (see
    :class:`clvmodel.models._beta_geo_draws.DrawRows`): the interpolants' odds, then the
    generic path's quadrature where a curve does not serve a draw. ``rows``: each history's
    curve, ξ, u − u₀ and whether it could have died; ``tables``: C and exp(C + ln J(T)) per
    group of the chunk and draw."""
    curve, xi, du, possible = rows
    curve = np.asarray(curve, dtype="int64")  # (one type for the compiled loop)
    const, at_age = tables
    index, values_exact = exact
    n_draws = const.shape[1]
    b1, b2 = np.empty(n_draws), np.empty(n_draws)

    def odds(work, group, here):
        compiled.pareto_odds(
            work, group, curve[here], xi[here], du[here], possible[here],
            curves.coef, curves.length, curves.slope, const, at_age, b1, b2,
        )  # fmt: skip
        fixed = np.flatnonzero(index[here] >= 0)
        if fixed.size:
            exact_rows = values_exact[index[here][fixed]]
            patched = work[fixed]
            np.copyto(patched, exact_rows, where=~np.isnan(exact_rows))
            work[fixed] = patched

    return odds
