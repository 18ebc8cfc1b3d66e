"""BG/NBD's and MBG/NBD's CLV limits over parameter draws, without covariates in either model.

A customer's value at a draw k of both models' parameters is

    margin × (γ_k + x m)/(x + (q_k − 1)/p_k) × P_k(alive | x, t_x, T) × D_k(x, T),

Gamma-Gamma's expected spend (eq. 5) times the discounted expected purchases, D_k(x, T) the
discounted E[purchases | alive] over the period ends (tabulated per distinct (x, T) and draw by
the compiled series: :func:`clvmodel.models._beta_geo_draws.discounted_if_alive_grid`). P(alive)
comes from its log odds as in BG/NBD's own draws path (the terms other than ln(α + t_x)
tabulated per (x, T) and draw). Rows are taken a block at a time: the (rows, draws) values of a
block are formed and reduced to their percentile limits at once, by one compiled loop
(:func:`clvmodel.models._value_kernels.value_limits_block`), instead of a (draws, rows) array of
every value. The values are those of the generic path (``ValueRows``) to a few units in the last
place (one division instead of two).
"""

from __future__ import annotations

import numpy as np

from clvmodel.models._beta_geo_draws import log_odds_block, log_odds_terms

__all__ = ["value_draw_limits"]

_NAMES = ("r", "alpha", "a", "b")


def value_draw_limits(purchase_models, spend, rows, groups, margin, schedule, tail, block=256):
    """Equal-tailed limits of each row's value over pairs of parameter draws.

    Parameters
    ----------
    purchase_models : list of BetaGeoModel or ModifiedBetaGeoModel
        One fitted model per draw, all of one kind, without covariates.
    spend : numpy.ndarray
        Shape (2, draws): each draw's Gamma-Gamma γ and (q − 1)/p.
    rows : tuple of numpy.ndarray
        Per row: x, t_x, T, x · m (m the mean spend, 0 without repeat purchases) and the row's
        (x, T) group. Rows in the order of their (x, T), so that neighbours share tables.
    groups : tuple of numpy.ndarray
        Each (x, T) group's x and T.
    margin : float
        Share of revenue that is profit.
    schedule : tuple of numpy.ndarray
        Period ends and discount factors.
    tail : float
        Share of the draws below the lower limit (and above the upper).
    block : int
        Rows whose (rows, draws) values are held at a time.

    Returns
    -------
    lower, upper : numpy.ndarray
        One limit per row.
    """
    from clvmodel.models import _value_kernels as kernels  # numba: imported on first use

    model = purchase_models[0]
    empty = np.empty((1, 0))
    at_points = [m._individual(m._check_fitted(), empty, empty) for m in purchase_models]
    params = tuple(np.array([p[k] for p in at_points], dtype="float64") for k in _NAMES)
    x, t_x, age, xm, group = rows
    x_g, age_g = groups
    totals = type(model)._discounted_if_alive_draws(
        dict(zip(_NAMES, params, strict=True)), x_g, age_g, schedule
    )
    modified = model._extra_coins > 0
    odds = log_odds_block(
        params[1], t_x, (x > 0) | modified, log_odds_terms(modified, params, x_g, age_g)
    )
    n_draws = len(purchase_models)
    last = n_draws - 1
    positions = np.array([tail * last, (1.0 - tail) * last])
    limits = np.empty((2, x.size))
    warm = np.zeros(2 * n_draws + 2, dtype="int64")
    buffer = np.empty((block, n_draws))
    spend = np.ascontiguousarray(spend, dtype="float64")
    with np.errstate(divide="ignore", over="ignore"):
        for start in range(0, x.size, block):
            part = slice(start, min(start + block, x.size))
            work = buffer[: part.stop - start]
            odds(work, group[part], part)
            kernels.value_limits_block(
                work, group[part], x[part], xm[part], spend, margin, totals, positions,
                limits[:, part], warm,
            )  # fmt: skip
    return limits[0], limits[1]
