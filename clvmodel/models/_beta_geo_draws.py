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
alike (the selection's warm start). E[purchases | alive] and the count tables are evaluated over
all (x, T) and draws at once, in cache-sized chunks, instead of draw by draw, with their
arithmetic in place. Floating-point operations and their order are those of the generic path:
the columns are identical to its, bit for bit.
"""

from __future__ import annotations

import numpy as np

from clvmodel.models._count_tables import alive_bounds, compiled_kernels, survival_tables
from clvmodel.models._interval_draws import points_by_group
from clvmodel.models._intervals import interval_column_names

__all__ = ["draw_interval_columns"]

#: Parameter vectors the predictive count distribution averages over (the first draws), as in
#: :mod:`clvmodel.models._intervals`.
_MIXTURE_POINTS = 50

#: The order of the three expectations in the compiled loop's limits.
_ORDER = ("probability_alive", "expected_purchases", "probability_no_purchase")
_NAMES = ("r", "alpha", "a", "b")


def draw_interval_columns(
    model, points, level, histories, horizon, which, grouping=None, block=256
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

    Returns
    -------
    dict or None
        The interval columns by name; None with covariates (the generic path applies).
    """
    x, t_x, age, z_p, z_d = histories
    if z_p.shape[1] + z_d.shape[1] > 0:
        return None
    tail = (1.0 - level) / 2.0
    at_points, params, per_row, (group, first) = points_by_group(
        model, points, histories, horizon, grouping, _NAMES
    )
    x_g, age_g = x[first], age[first]
    h_g = horizon[first] if per_row else horizon
    tables = _group_tables(model, params, x_g, age_g, h_g[:, None] if per_row else h_g, which)
    counting = "expected_purchases" in which
    n_mixture = min(_MIXTURE_POINTS, len(points)) if counting else 0
    if counting:
        mixture = _survival_tables(
            model, at_points[:n_mixture], x_g, age_g, h_g, tail, (group, x, t_x, age)
        )
    else:
        mixture = np.empty(0), np.zeros(1, dtype="int64"), np.ones(1, dtype="int64")
    # Rows taken by (x, T) and by t_x within: neighbours rank the draws alike, which the
    # selection of order statistics uses (also across groups, numbered here in (x, T) order;
    # t_x runs down in every other group, so that a group starts near where the last ended).
    rank = np.empty(first.size, dtype="int64")
    rank[np.lexsort((h_g, age_g, x_g) if per_row else (age_g, x_g))] = np.arange(first.size)
    # (One sort of a key in which the rank dominates; any order gives the same results.)
    top = float(t_x.max(initial=0.0))
    r_g = rank[group]
    order = np.argsort(r_g * (top + 1.0) + np.where(r_g % 2 == 1, top - t_x, t_x))
    table = _limits_by_block(
        params[1], tables, mixture, n_mixture, tail, group[order],
        (x[order] > 0) | (model._extra_coins > 0), t_x[order], order, block,
    )  # fmt: skip
    out = {}
    for q, name in enumerate(_ORDER):
        if name in which:
            out[f"{name}_lower"] = table[:, 2 * q]
            out[f"{name}_upper"] = table[:, 2 * q + 1]
    if counting:
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
        # ln a − ln(b + x − 1) (MBG/NBD: ln a − ln(b + x)), r + x and ln(α + T) per (x, T) and
        # draw: the terms of the log odds that do not depend on t_x (for BG/NBD x = 0 gets
        # x = 1; its rows are flagged alive).
        if modified:
            safe_x = x_g[:, None]
            constant = np.log(a)[None, :] - np.log(b[None, :] + safe_x)
        else:
            safe_x = np.where(x_g > 0, x_g, 1.0)[:, None]
            constant = np.log(a)[None, :] - np.log(b[None, :] + (safe_x - 1.0))
        slope = r[None, :] + safe_x
        log_age = np.log(alpha[None, :] + age_g[:, None])
    return given, silent, constant, slope, log_age


def _limits_by_block(alpha, tables, mixture, n_mixture, tail, group, repeat, t_x, order, block):
    """The compiled loops over blocks of ``block`` rows (in the order given): P(alive) per
    (row, draw), then each row's percentile limits (six) and count interval (four), returned as
    one (rows, 10) array in which row i's results are at ``order[i]`` (the rows' places before
    they were sorted)."""
    from clvmodel.models import _beta_geo_kernels as kernels  # numba: imported on first use

    given, silent, constant, slope, log_age = tables
    values, offset, size = mixture
    n_rows, n_draws = t_x.size, alpha.size
    group = np.ascontiguousarray(group, dtype="int64")
    last = n_draws - 1
    positions = np.array([tail * last, (1.0 - tail) * last])
    # Row by row, the ten results of a row are written side by side (one place in memory per
    # row; the rows' places are scattered).
    table, limits, counts = _result_table(n_rows)
    warm = np.zeros((3, 2 * n_draws + 2), dtype="int64")
    buffer = np.empty((block, n_draws))
    # ln(α + t_x) is −inf at α + t_x = 0 and the exponential overflows to inf for a sure dropout
    # (P(alive) = 0): both as the generic path has them, without warnings.
    with np.errstate(divide="ignore", over="ignore"):
        for start in range(0, n_rows, block):
            stop = min(start + block, n_rows)
            rows = slice(start, stop)
            work = buffer[: stop - start]
            kernels.bg_alpha_plus_t(work, t_x[rows], alpha)
            np.log(work, out=work)  # (NumPy's vectorised logarithm and exponential)
            kernels.bg_log_odds(work, group[rows], repeat[rows], constant, slope, log_age)
            np.exp(work, out=work)
            kernels.bg_draw_block(
                work, group[rows], order[rows], given, silent, positions, values, offset, size,
                n_mixture, tail, limits, counts, warm,
            )  # fmt: skip
    return table[:n_rows]


def _result_table(n_rows):
    """An empty (rows, 10) table of results and its views ``limits`` (6, rows) and ``counts``
    (4, rows), with at least two rows, so that the views are strided for any number of rows
    (numba's layout "A": one compiled ``bg_draw_block``, not a second one for a single row,
    whose views are contiguous); the caller keeps the first ``n_rows``."""
    table = np.empty((max(n_rows, 2), 10))
    return table, table[:, :6].T, table[:, 6:].T


def _survival_tables(model, mixture, x, age, t, tail, rows, chunk=2048):
    """The flat survival tables of :func:`clvmodel.models._count_tables.survival_tables`, built
    ``chunk`` groups at a time (each group's table is its own, so the pieces, their offsets
    shifted, make the same arrays; the recurrence's arrays then stay in cache). ``rows``: each
    history's group, x, t_x and T (for the groups' largest P(alive))."""
    values, offset, size = [], [], []
    length = 0
    bound = alive_bounds(model, mixture, *rows)
    for start in range(0, x.size, chunk):
        part = slice(start, start + chunk)
        tables = survival_tables(
            model, mixture, x[part], age[part], t[part] if np.ndim(t) else t, tail,
            lambda groups, start=start: bound(groups + start),
        )  # fmt: skip
        values.append(tables.values)
        offset.append(tables.offset + length)
        size.append(tables.size)
        length += tables.values.size
    return np.concatenate(values), np.concatenate(offset), np.concatenate(size)


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
