"""Pareto/NBD P(alive) at many parameter vectors at once (draws, bootstrap replicates, sigma
points), from the interpolated death tail of :mod:`clvmodel.models._pareto_draws` instead of a
quadrature per (history, vector): what the customer lifetime value's intervals need
(:meth:`clvmodel.models._discounted_rows.DiscountedRows.each`) and the delta method of
``predict`` (:func:`clvmodel.models._intervals.interval_columns`).

With a = r + x, the odds of having died by T are K J(t_x) − K J(T), K = e^C (see
:mod:`clvmodel.models._pareto_draws` for C, J and the interpolants). P(alive) = 1/(1 + odds)
then errs by at most 2ε, ε ≈ 1.3e-10 the relative error of J, against the quadrature of
:func:`clvmodel.models._pareto_special.log_odds_dead`; where an interpolant does not serve a
vector (slow tails, an x with few histories) that quadrature is used.
"""

from __future__ import annotations

import numpy as np

from clvmodel._grouping import group_rows
from clvmodel.models._pareto_draws import (
    _FEW,
    _NAMES,
    _exact_odds,
    _kernels,
    _odds_block,
    death_tables,
    tail_curves,
)

__all__ = ["alive_over_draws"]

#: Parameter vectors whose (histories, vectors) arrays are held at once.
_VECTORS = 32


def alive_over_draws(params, x, t_x, age, vectors: int = _VECTORS) -> np.ndarray:
    """P(alive at T | x, t_x, T) per parameter vector and history.

    Parameters
    ----------
    params : mapping
        ``r``, ``alpha``, ``s``, ``beta``: one value per vector (1-D arrays of one length).
    x, t_x, age : numpy.ndarray
        Repeat purchases, recency and age (T) of the histories (1-D, one length).
    vectors : int
        Vectors evaluated together (memory: a few (histories, ``vectors``) arrays).

    Returns
    -------
    numpy.ndarray
        Shape (vectors, histories).
    """
    r, alpha, s, beta = (np.asarray(params[k], dtype="float64").reshape(-1) for k in _NAMES)
    x, t_x, age = (np.asarray(v, dtype="float64").reshape(-1) for v in (x, t_x, age))
    out = np.empty((r.size, x.size))
    xs, curve = np.unique(x, return_inverse=True)
    y_lo = np.full(xs.size, np.inf)
    np.minimum.at(y_lo, curve, t_x)
    y_hi = np.zeros(xs.size)
    np.maximum.at(y_hi, curve, age)
    # An x with few histories is cheaper integrated per row than interpolated.
    few = np.bincount(curve, minlength=xs.size) < _FEW
    with np.errstate(divide="ignore"):
        possible = np.log(age) > np.log(t_x)  # as the quadrature: some time to have died
    compiled = _kernels()
    # C and K J(T) depend on (x, T) only: computed per group of histories sharing them.
    group, first = group_rows(x, age)
    x_g, age_g, curve_g = x[first], age[first], curve[first]
    rows = np.arange(x.size, dtype="int64")
    for start in range(0, r.size, vectors):
        part = slice(start, start + vectors)
        p = (r[part], alpha[part], s[part], beta[part])
        curves = tail_curves(p, xs, y_lo, y_hi, skip=few)
        xi, du = curves.position(curve, t_x)
        exact = _exact_odds(p, curves, curve, x, t_x, age, possible)
        tables = death_tables(p, curves, curve_g, x_g, age_g)  # NaN where exact replaces
        odds = np.empty((x.size, r[part].size))
        _odds_block(compiled, (curve, xi, du, possible), curves, tables, exact)(odds, group, rows)
        out[part] = (1.0 / (1.0 + odds)).T
    return out
