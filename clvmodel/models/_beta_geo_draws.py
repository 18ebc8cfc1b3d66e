"""BG/NBD and MBG/NBD intervals from parameter draws (``method="draws"`` or ``"bootstrap"``),
without covariates: the same columns as the generic
:func:`clvmodel.models._intervals.interval_columns`, from the same floating-point operations, with
less work. MBG/NBD is BG/NBD with b → b + 1 given survival (one more coin, at time 0) and with
customers without repeat purchases possibly gone (``_extra_coins`` of the model says which).

The generic path evaluates the model's log odds of dropout,

    ln(P(dead) / P(alive)) = ln a − ln(b + x − 1) + (r + x) (ln(α + T) − ln(α + t_x)),

for every (row, draw): about eleven NumPy passes over (rows, draws) with three logarithms each.
Every term but ln(α + t_x) depends on the draw and on (x, T) only, so here it is tabulated once
per distinct (x, T) and draw; per (row, draw) there remain one logarithm and one exponential
(NumPy's vectorised loops, on blocks of rows that stay in cache) and the compiled loops: one
that forms α + t_x, one that forms the log odds from the tables, and one that forms P(alive) and
each row's expectations over the draws, selects their order statistics (the warm-started
selections of the three tested in one counting pass) and scans the count mixture
(:func:`clvmodel.models._beta_geo_kernels.bg_draw_block`), writing each row's ten results side
by side at the row's own place. Rows go in (x, T, t_x) order, so that neighbours rank the draws
alike (the selection's warm start). The tables per (x, T) and draw (E[purchases | alive],
P(no purchase | alive), the log odds' terms, the count tables) are built a chunk of groups at a
time, in the rows' order, and used by those groups' rows at once (``RowPlan``): the memory of
one chunk serves the next, instead of hundreds of MB touched for the first time. Floating-point
operations and their order are those of the generic path: the columns are identical to its,
bit for bit.
"""

from __future__ import annotations

import numpy as np

from clvmodel.models._count_tables import alive_bounds, compiled_kernels, survival_tables
from clvmodel.models._interval_draws import RowPlan, points_by_group
from clvmodel.models._intervals import interval_column_names
from clvmodel.models._predictions import discounted_sum

__all__ = [
    "CountTables",
    "DrawRows",
    "discounted_if_alive_grid",
    "draw_interval_columns",
    "interval_table_columns",
    "log_odds_block",
    "log_odds_terms",
]

#: Parameter vectors the predictive count distribution averages over (the first draws), as in
#: :mod:`clvmodel.models._intervals`.
_MIXTURE_POINTS = 50

#: The order of the three expectations in the compiled loop's limits.
_ORDER = ("probability_alive", "expected_purchases", "probability_no_purchase")
_NAMES = ("r", "alpha", "a", "b")


def draw_interval_columns(
    model, points, level, histories, horizon, which, grouping=None, block=256, chunk=512
):
    """The interval columns of a BG/NBD model without covariates from parameter vectors
    (draws or bootstrap replicates), as :func:`clvmodel.models._intervals.interval_columns`.

    Parameters
    ----------
    model : BetaGeoModel or ModifiedBetaGeoModel
        Fitted, without covariates.
    points : numpy.ndarray
        Shape (draws, 4): r, α, a, b per draw.
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
        Rows per block of the (rows, draws) arrays (kept small enough for the cache).
    chunk : int
        (x, T) groups whose tables are built, used and dropped together (see Notes).

    Returns
    -------
    dict or None
        The interval columns by name; None with covariates (the generic path applies).

    Notes
    -----
    The tables per (x, T) group and draw (E[Y | alive], P(no purchase | alive), the terms of
    the log odds, the count tables: about 200 MB for 15,000 groups and 200 draws) are built
    ``chunk`` groups at a time, in the rows' order, and used at once by those groups' rows:
    the same memory serves every chunk. Memory touched for the first time costs more than the
    arithmetic done in it (1–3 ms of system time per MB on the benchmark's virtual machine).
    """
    x, t_x, age, z_p, z_d = histories
    if z_p.shape[1] + z_d.shape[1] > 0:
        return None
    tail = (1.0 - level) / 2.0
    at_points, params, per_row, (group, first) = points_by_group(
        model, points, histories, horizon, grouping, _NAMES
    )
    plan = RowPlan(x, t_x, age, horizon, group, first, per_row)
    counting = "expected_purchases" in which
    n_mixture = min(_MIXTURE_POINTS, len(points)) if counting else 0
    counts = CountTables(model, at_points[:n_mixture], plan, (x, t_x, age), horizon, tail)
    repeat = (x > 0) | (model._extra_coins > 0)
    runner = DrawRows(plan, len(points), tail, n_mixture, block)
    for part, rows in plan.chunks(chunk):
        h = plan.h_g[part, None] if per_row else horizon
        tables = _group_tables(model, params, plan.x_g[part], plan.age_g[part], h, which)
        odds = log_odds_block(params[1], t_x, repeat, tables[2:])
        runner.run(rows, part.start, tables[:2], counts.tables(part), odds)
    return interval_table_columns(runner.table, which)


class CountTables:
    """The flat survival tables of :func:`clvmodel.models._count_tables.survival_tables` for a
    chunk of the plan's groups (each group's table is its own: chunks make the same tables),
    or, with no mixture points, the compiled row pass's empty stand-in."""

    def __init__(self, model, mixture, plan, rows, horizon, tail):
        self.model, self.mixture, self.plan, self.horizon, self.tail = (
            model,
            mixture,
            plan,
            horizon,
            tail,
        )
        # For the groups' largest P(alive) (each history's group, x, t_x and T).
        self.bound = alive_bounds(model, mixture, plan.group, *rows) if mixture else None

    def tables(self, part):
        """(values, offsets, sizes) of the groups ``part`` (a slice of the plan's groups)."""
        if not self.mixture:
            return _NO_MIXTURE
        plan = self.plan
        tables = survival_tables(
            self.model, self.mixture, plan.x_g[part], plan.age_g[part],
            self.horizon if plan.h_g is None else plan.h_g[part], self.tail,
            lambda groups: self.bound(groups + part.start),
        )  # fmt: skip
        return tables.values, tables.offset, tables.size


def log_odds_block(alpha, t_x, repeat, tables):
    """exp(log odds of dropout) per (row, draw) for a block of rows (see ``DrawRows.run``),
    the terms of the log odds other than ln(α + t_x) read from ``tables`` (those of
    :func:`log_odds_terms` for the groups of the chunk)."""
    from clvmodel.models import _beta_geo_kernels as kernels  # numba: imported on first use

    def odds(work, group, rows):
        kernels.bg_alpha_plus_t(work, t_x[rows], alpha)
        np.log(work, out=work)  # (NumPy's vectorised logarithm and exponential)
        kernels.bg_log_odds(work, group, repeat[rows], *tables)
        np.exp(work, out=work)

    return odds


#: The mixture arguments of the compiled row pass when no count interval is asked for.
_NO_MIXTURE = (np.empty(0), np.zeros(1, dtype="int64"), np.ones(1, dtype="int64"))


def interval_table_columns(table, which) -> dict:
    """The interval columns from the (rows, 10) table of the compiled row pass (limits of the
    three expectations in ``_ORDER``, then L, U, P(X > L − 1) and P(X > U)), those of ``which``
    in their order."""
    out = {}
    for q, name in enumerate(_ORDER):
        if name in which:
            out[f"{name}_lower"] = table[:, 2 * q]
            out[f"{name}_upper"] = table[:, 2 * q + 1]
    if "expected_purchases" in which:
        out["purchases_lower"] = table[:, 6]
        out["purchases_upper"] = table[:, 7]
        out["purchases_interval_mass"] = np.clip(table[:, 8] - table[:, 9], 0.0, 1.0)
    return {name: out[name] for name in interval_column_names(which)}


def _group_tables(model, params, x_g, age_g, h_col, which):
    """Per (x, T) group and draw: E[Y | alive] and P(no purchase | alive) where asked for, and
    the terms of P(alive)'s log odds that do not depend on t_x."""
    r, alpha, a, b = params
    modified = model._extra_coins > 0
    given = silent = np.empty((0, 0))
    with np.errstate(all="ignore"):
        if "expected_purchases" in which:
            b_alive = b + 1.0 if modified else b  # MBG/NBD's as BG/NBD's with b → b + 1
            given = _expected_if_alive_grid(r, alpha, a, b_alive, x_g, age_g, h_col)
        if "probability_no_purchase" in which:
            stacked = {k: v[None, :] for k, v in zip(_NAMES, params, strict=True)}
            # Writable as well as contiguous (a read-only array would compile the kernels once
            # more, for that type).
            silent = np.require(
                type(model)._pmf_if_alive(stacked, 0.0, x_g[:, None], age_g[:, None], h_col),
                "float64",
                ("C", "W"),
            )
    return given, silent, *log_odds_terms(modified, params, x_g, age_g)


def log_odds_terms(modified, params, x_g, age_g):
    """The terms of P(alive)'s log odds that do not depend on t_x, per parameter vector
    (``params``: r, α, a, b over the vectors): ln a − ln(b + x − 1) (MBG/NBD, ``modified``:
    ln a − ln(b + x)) and r + x per distinct x of the (x, T) groups, ln(α + T) per distinct T,
    and each group's x and T among them (for BG/NBD x = 0 gets x = 1; its rows are flagged
    alive). Tables per distinct value, not per group: 15,000 groups and 200 draws made 70 MB
    of fresh memory, whose first touches took 0.3 s; their values are the same."""
    r, alpha, a, b = params
    x_u, x_of = np.unique(x_g, return_inverse=True)
    age_u, age_of = np.unique(age_g, return_inverse=True)
    with np.errstate(all="ignore"):
        if modified:
            safe_x = x_u[:, None]
            constant = np.log(a)[None, :] - np.log(b[None, :] + safe_x)
        else:
            safe_x = np.where(x_u > 0, x_u, 1.0)[:, None]
            constant = np.log(a)[None, :] - np.log(b[None, :] + (safe_x - 1.0))
        slope = r[None, :] + safe_x
        log_age = np.log(alpha[None, :] + age_u[:, None])
    return constant, slope, log_age, x_of.astype(np.intp), age_of.astype(np.intp)


class DrawRows:
    """The compiled row pass over blocks of ``block`` rows in the plan's order, one chunk of
    groups at a time: each row's percentile limits (six) and count interval (four) from
    exp(log odds) per (row, draw), into ``table`` (rows, 10), in which a row's results are at
    its place before the rows were sorted. The selection's warm start carries over from block
    to block and from chunk to chunk."""

    def __init__(self, plan, n_draws, tail, n_mixture, block):
        self.plan, self.tail, self.n_mixture, self.block = plan, tail, n_mixture, block
        last = n_draws - 1
        self.positions = np.array([tail * last, (1.0 - tail) * last])
        # Row by row, the ten results of a row are written side by side (one place in memory
        # per row; the rows' places are scattered).
        n_rows = plan.order.size
        table, self.limits, self.counts = _result_table(n_rows)
        self.table = table[:n_rows]
        self.warm = np.zeros((3, 2 * n_draws + 2), dtype="int64")
        self.buffer = np.empty((block, n_draws))

    def run(self, rows, first_group, given_alive, mixture, odds) -> None:
        """The rows ``rows`` (a slice of the plan's order), whose groups, numbered from
        ``first_group``, are those of ``given_alive`` (E[Y | alive] and P(no purchase | alive)
        per group and draw, or empty) and ``mixture`` (flat survival tables: values, offsets,
        sizes). ``odds(work, group, rows)`` fills ``work`` with exp(log odds) for a block of
        rows (their groups in the chunk, their places)."""
        from clvmodel.models import _beta_geo_kernels as kernels  # numba: imported on first use

        given, silent = given_alive
        values, offset, size = mixture
        plan = self.plan
        # ln(α + t_x) is −inf at α + t_x = 0 and the exponential overflows to inf for a sure
        # dropout (P(alive) = 0): both as the generic path has them, without warnings.
        with np.errstate(divide="ignore", over="ignore"):
            for start in range(rows.start, rows.stop, self.block):
                part = slice(start, min(start + self.block, rows.stop))
                work = self.buffer[: part.stop - start]
                group = plan.sorted_group[part] - first_group
                here = plan.order[part]
                odds(work, group, here)
                kernels.bg_draw_block(
                    work, group, here, given, silent, self.positions, values, offset, size,
                    self.n_mixture, self.tail, self.limits, self.counts, self.warm,
                )  # fmt: skip


def _result_table(n_rows):
    """An empty (rows, 10) table of results and its views ``limits`` (6, rows) and ``counts``
    (4, rows), with at least two rows, so that the views are strided for any number of rows
    (numba's layout "A": one compiled ``bg_draw_block``, not a second one for a single row,
    whose views are contiguous); the caller keeps the first ``n_rows``."""
    table = np.empty((max(n_rows, 2), 10))
    return table, table[:, :6].T, table[:, 6:].T


def _expected_if_alive_grid(r, alpha, a, b, x, age, t, chunk=256):
    """E[purchases | alive] per (x, T) and draw, shape (groups, draws): the elementwise
    operations of :func:`clvmodel.models._special.euler_series_if_alive` (then its quadrature
    where the series is not reliable) on (groups, draws) blocks broadcast from the draws' and the
    groups' values, ``chunk`` groups at a time so that the arrays stay in cache."""
    from clvmodel.models import _special

    compiled_kernels()  # loaded, so that the series takes the compiled loop from the first call
    t_col = np.broadcast_to(np.asarray(t, dtype="float64"), (x.size, 1) if np.ndim(t) else ())
    draws = [v[None, :] for v in (r, alpha, a, b)]
    result = np.zeros((x.size, r.size))
    for start in range(0, x.size, chunk):
        rows = slice(start, start + chunk)
        h = t_col[rows] if np.ndim(t) else t_col
        if not (np.asarray(h) > 0).any():
            continue
        total, reliable = _special.euler_series_if_alive(*draws, x[rows, None], age[rows, None], h)
        positive = np.broadcast_to(np.asarray(h) > 0, total.shape)
        if not positive.all():
            total[~positive] = 0.0
            reliable |= ~positive
        if not reliable.all():
            i, j = np.nonzero(~reliable)
            h_redo = np.broadcast_to(h, total.shape)[i, j]
            total[i, j] = _special.fallback_if_alive(
                r[j], alpha[j], a[j], b[j], x[rows][i], age[rows][i], h_redo
            )
        result[rows] = total
    return result


def discounted_if_alive_grid(r, alpha, a, b, x, age, schedule, chunk=512):
    """Σ_j d_j [E(t_j | alive) − E(t_{j−1} | alive)] per (x, T) and parameter vector, shape
    (groups, vectors): the discounted expected purchases of a customer alive at T over the
    period ends and discount factors of ``schedule`` (MBG/NBD: b + 1), summed in the order of the
    per-vector path.

    E(t_j | alive) is that of :func:`_expected_if_alive_grid`, bit for bit, with the groups
    sorted by (x, T), ``chunk`` groups at a time (their arrays stay in cache): the Euler series
    of one x and draw share their coefficients, and the compiled loop
    (:func:`clvmodel.models._beta_geo_kernels.euler_series_runs`) advances all of a run's T
    together; the quadrature takes the elements where the series is not reliable."""
    order = np.lexsort((age, x))
    total = np.empty((x.size, r.size))
    for start in range(0, x.size, chunk):
        rows = order[start : start + chunk]
        total[rows] = _discounted_sorted(r, alpha, a, b, x[rows], age[rows], schedule)
    return total


def _discounted_sorted(r, alpha, a, b, xs, ages, schedule):
    """:func:`discounted_if_alive_grid` of groups sorted by (x, T)."""
    from clvmodel.models import _beta_geo_kernels as kernels  # numba: imported on first use
    from clvmodel.models import _special

    bounds = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1], True]).astype("int64")
    r_, alpha_, a_, b_ = (v[None, :] for v in (r, alpha, a, b))
    c = np.ascontiguousarray(np.broadcast_to(a + b - 1.0 - r, r.shape))
    d = np.ascontiguousarray(a_ + b_ + xs[:, None] - 1.0)
    sums = np.empty((2, xs.size, r.size))
    active = np.empty((xs.size, r.size), dtype=bool)

    def cumulative_at(time):
        if not time > 0:
            return np.zeros((xs.size, r.size))
        with np.errstate(all="ignore"):
            shifted = alpha_ + ages[:, None]
            z_log = -_special.log1p_ratio(time, shifted)
            y = np.ascontiguousarray(time / (shifted + time))
            first = _special.one_minus_power_over(a_ - 1.0, z_log)
            kernels.euler_series_runs(
                a, c, d, y, bounds, _special._SERIES_MAX_TERMS, _special._SERIES_RTOL,
                sums[0], sums[1], active,
            )  # fmt: skip
            value, reliable = _special.series_value(a_, d, first, z_log, (sums[0], sums[1], active))
            if not reliable.all():
                i, j = np.nonzero(~reliable)
                value[i, j] = _special.fallback_if_alive(
                    r[j], alpha[j], a[j], b[j], xs[i], ages[i], np.full(i.size, time)
                )
        return value

    return discounted_sum(schedule, cumulative_at, (xs.size, r.size))
