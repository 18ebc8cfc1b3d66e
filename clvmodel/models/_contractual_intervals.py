"""Intervals of the subscription models' predictions (sBG, BdW, with or without covariates).

A subscriber's history (tenure t, cancelled or not) is known exactly, so what is uncertain is
the parameters: their asymptotic normal on the working scale (``model.covariance_``, from the
fit's Hessian) is propagated to each subscriber's P(cancel within k | T > t), expected residual
lifetime E[T − t − 1 | T > t] and DERL(d) as for the purchase models
(:mod:`clvmodel.models._intervals`):

* ``method="delta"``: the delta method with the variance from the 2k sigma points, on the logit
  scale for the probability and the log scale for the lifetimes;
* ``method="draws"``: equal-tailed percentiles over draws from the asymptotic normal;
* ``method="bootstrap"``: the same over the refits of ``model.bootstrap(data)``.

The predictions depend on (t, covariates) only and are evaluated once per distinct pair of the
active subscribers at each parameter vector, all pairs at once (per-row parameter arrays).

Where the mean lifetime is infinite (cα ≤ 1, c = 1 for sBG), the undiscounted expected residual
lifetime (and DERL at d = 0) is infinite. Percentiles over draws take that as it comes: the upper
limit is inf when more than the upper tail of the draws has cα ≤ 1. The delta method decides it
from the same normal approximation: ln(cα_i) (α_i of the subscriber's covariates) is linear in
the working parameters, so its standard error is exact from the sigma points, and the upper
limit is ``inf`` when the interval of ln(cα_i) at the requested level, ln(ĉα̂_i) ± z·se, reaches
0 (the interval of cα_i reaches 1). The lower limit of such a subscriber is then the one-sided
delta method: ln(prediction) − z·s, s² = Σᵢ dᵢ²/k with dᵢ the larger fall of the prediction's
logarithm towards the sigma points ±√k·Lᵢ (0 where neither falls), which equals the delta
method's lower limit for a prediction linear on the log scale; the points towards cα ≤ 1 would
blow the two-sided spread up and pull the lower limit far below the values the parameters allow.
An infinite estimate (ĉα̂_i ≤ 1) gets [the smallest value over the sigma points, inf]. When the
interval stays clear of cα ≤ 1 but a sigma point (at √k standard errors, beyond z when k > z²)
does not, the limits are finite: the lower limit the one-sided one above, the upper limit the
one-sided delta method's from the points ±z·Lᵢ (all with cα > 1; dᵢ the larger rise, s² =
Σᵢ dᵢ²/z²). Discounted (d > 0), every value is finite.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from clvmodel.models._contractual_groups import tile_rows
from clvmodel.models._interval_draws import (
    _SMALLEST,
    delta_interval,
    limits_over_points,
    parameter_points,
    sigma_points,
)

__all__ = [
    "SUBSCRIBER_INTERVAL_NAMES",
    "predictions_at",
    "predictions_over",
    "subscriber_intervals",
]

#: The predictions that get limits, in their column order.
SUBSCRIBER_INTERVAL_NAMES = ("probability_cancel", "expected_residual_lifetime", "derl")


#: The columns of ``ContractualPredictions.predict``, in order ("derl" given a discount rate).
PREDICTION_COLUMNS = ("probability_cancel", "expected_residual_lifetime", "derl")


def predictions_at(model, subscribers, theta, which=PREDICTION_COLUMNS) -> dict:
    """P(cancel within k), the expected residual lifetime and (given d) DERL(d) per subscriber at
    the parameter vector ``theta``, those of them named in ``which``; ``subscribers``: (rows, t,
    cancelled, k, d) as ``ContractualPredictions.predict`` prepares them (the distinct rows of
    ``model._layout``)."""
    return _predictions(model, subscribers, model._at(subscribers[0], theta), which)


def predictions_over(model, subscribers, points, which, size=1 << 20) -> list:
    """:func:`predictions_at` at each parameter vector of ``points``, as a list (one dict per
    vector): the vectors are evaluated together, a chunk at a time, on the distinct rows
    repeated once per vector (about ``size`` rows per chunk), so that a few thousand vectors on
    a few rows cost a few calls, not a few thousand. The predictions are elementwise in the
    rows' parameters, so the values are those of one vector at a time."""
    rows, t, cancelled, k, d = subscribers
    per_chunk = max(1, size // max(rows.tenure.size, 1))
    out = []
    for start in range(0, len(points), per_chunk):
        chunk = points[start : start + per_chunk]
        n = len(chunk)
        p = _params_over(model, rows, chunk)
        tiled = (tile_rows(rows, n), np.tile(t, n), np.tile(cancelled, n))
        tiled += (k if np.ndim(k) == 0 else np.tile(k, n), d)
        values = _predictions(model, tiled, p, which)
        shaped = {name: v.reshape(n, -1) for name, v in values.items()}
        out += [{name: v[j] for name, v in shaped.items()} for j in range(n)]
    return out


def _params_over(model, rows, thetas) -> dict:
    """The rows' parameters at each vector of ``thetas``, one block of rows per vector: without
    covariates each vector's own parameters repeated over the rows, in one step."""
    if model.has_covariates:
        at = [model._at(rows, theta) for theta in thetas]
        return {name: np.concatenate([q[name] for q in at]) for name in at[0]}
    thetas = np.asarray(thetas, dtype="float64")
    names = type(model).param_names
    return {name: np.repeat(thetas[:, j], rows.tenure.size) for j, name in enumerate(names)}


def _predictions(model, subscribers, p, which) -> dict:
    """:func:`predictions_at` from the rows' parameters ``p``."""
    rows, t, _, k, d = subscribers
    values = {}
    if "probability_cancel" in which:
        values["probability_cancel"] = model._cancel_within(rows, p, t, k)
    if "expected_residual_lifetime" in which:
        values["expected_residual_lifetime"] = model._derl_per_row(rows, p, 0.0)
    if d is not None and "derl" in which:
        values["derl"] = model._derl_per_row(rows, p, d)
    return values


def subscriber_intervals(
    model, subscribers, estimates, level: float, method="delta", n_draws=200, seed=0
) -> dict:
    """Lower and upper limits of each subscriber's predictions from parameter uncertainty.

    Parameters
    ----------
    model : ContractualModel
        Fitted with ``fit`` (the covariance of its parameters is needed).
    subscribers : tuple
        (rows, t, cancelled, k, d), as for :func:`predictions_at`.
    estimates : dict
        The predictions at the estimate (:func:`predictions_at` at the fitted parameters).
    level : float
        Nominal level, strictly between 0 and 1 (validated).
    method : {"delta", "draws", "bootstrap"}
    n_draws : int
        Draws for ``method="draws"``.
    seed : int or numpy.random.Generator, optional
        For reproducible draws.

    Returns
    -------
    dict
        ``<name>_lower`` and ``<name>_upper`` for each prediction in ``estimates``.
    """
    points = parameter_points(model, method, n_draws, seed)
    at_points = predictions_over(model, subscribers, points, list(estimates))
    lifetimes = ["expected_residual_lifetime"] + (["derl"] if subscribers[4] == 0.0 else [])
    reaches = None
    if method == "delta" and any(name in estimates for name in lifetimes):
        reaches = _reaches_heavy_tail(model, subscribers[0], points, level)
    out = {}
    for name, centre in estimates.items():
        values = np.stack([v[name] for v in at_points])
        probability, lifetime = name == "probability_cancel", name in lifetimes
        lower, upper = _limits(
            centre, values, level, method, probability, reaches if lifetime else None
        )
        closer = (
            ~reaches & np.isfinite(centre) & ~np.isfinite(values).all(axis=0)
            if lifetime and reaches is not None
            else np.zeros(centre.shape, dtype=bool)
        )
        if closer.any():
            lower[closer], upper[closer] = _closer_limits(
                model, subscribers, name, centre, values, closer, level
            )
        out[f"{name}_lower"], out[f"{name}_upper"] = lower, upper
    return out


def _z(level: float) -> float:
    return float(ndtri(1.0 - (1.0 - level) / 2.0))


def _reaches_heavy_tail(model, rows, points, level: float) -> np.ndarray:
    """Whether each subscriber's interval of cα_i at ``level`` reaches cα_i ≤ 1.

    Parameters
    ----------
    model : ContractualModel
        Fitted.
    rows : SubscriberRows
        The distinct rows of the active subscribers.
    points : numpy.ndarray
        The sigma points (2k, parameters).
    level : float
        Nominal level.

    Returns
    -------
    numpy.ndarray
        Bool per subscriber (False for the cancelled): ln(ĉα̂_i) − z·se ≤ 0, the standard error
        that of the sigma points, exact as ln(cα_i) is linear in the working parameters.
    """

    def log_c_alpha(theta):
        p = model._at(rows, theta)
        return np.log(p["alpha"]) + np.log(p.get("c", 1.0))

    centre = log_c_alpha(model._check_fitted())
    spread = np.sqrt(np.mean([(log_c_alpha(theta) - centre) ** 2 for theta in points], axis=0))
    return rows.spread(centre - _z(level) * spread <= 0.0, 0.0) > 0.5


def _closer_limits(model, subscribers, name: str, estimate, values, chosen, level: float):
    """The limits of the ``chosen`` subscribers, whose interval of cα stays above 1 though a
    sigma point's cα does not: the one-sided lower limit from the sigma points' ``values``, and
    the one-sided upper limit from the points ±z·Lᵢ (see the module docstring)."""
    z = _z(level)
    closer = [predictions_at(model, subscribers, theta, [name])[name][chosen] for theta in
              sigma_points(model, step=z)]  # fmt: skip
    lower = _one_sided(estimate[chosen], values[:, chosen], level)
    # cα > 1 at every closer point but for rounding at the very edge: then the upper limit is inf.
    return lower, _one_sided(estimate[chosen], np.stack(closer), level, step=z, upper=True)


def _one_sided(estimate, values, level: float, step=None, upper=False):
    """The one-sided delta method's limit of a finite estimate from its values at the sigma
    points (rows i and k + i the mirror pair ±step·Lᵢ, step √k by default).

    Parameters
    ----------
    estimate : numpy.ndarray
        The prediction at the estimate, per subscriber.
    values : numpy.ndarray
        Its values at the points (2k, subscribers).
    level : float
        Nominal level.
    step : float, optional
        The points' step, default √k.
    upper : bool
        The upper limit instead of the lower.

    Returns
    -------
    numpy.ndarray
        exp(ln(estimate) ∓ z·s), s² = Σᵢ dᵢ²/step², dᵢ the larger fall (rise) of the logarithm
        over the pair i (0 where neither falls (rises)); the estimate itself at most (least).
    """
    k = values.shape[0] // 2
    with np.errstate(invalid="ignore"):  # inf − inf where the estimate is inf (not used)
        shift = np.log(np.maximum(values, _SMALLEST)) - np.log(np.maximum(estimate, _SMALLEST))
    if upper:
        move = np.maximum(np.maximum(shift[:k], shift[k:]), 0.0)
    else:
        move = np.minimum(np.minimum(shift[:k], shift[k:]), 0.0)
    spread = np.sqrt(np.sum(move**2, axis=0) / (k if step is None else step**2))
    if upper:
        with np.errstate(over="ignore"):
            return np.maximum(estimate * np.exp(_z(level) * spread), estimate)
    return np.minimum(estimate * np.exp(-_z(level) * spread), estimate)


def _limits(estimate, values, level: float, method: str, probability: bool, reaches=None):
    """The limits of one prediction from its values at the parameter vectors (vectors, rows).

    Parameters
    ----------
    estimate : numpy.ndarray
        The prediction at the estimate, per subscriber.
    values : numpy.ndarray
        Its values at the parameter vectors (vectors, subscribers); for ``method="delta"`` the
        sigma points in their order (mirror pairs i, k + i).
    level : float
        Nominal level.
    method : {"delta", "draws", "bootstrap"}
    probability : bool
        A probability (logit scale) rather than an expectation (log scale).
    reaches : numpy.ndarray, optional
        Per subscriber, whether the interval of cα reaches cα ≤ 1 (undiscounted lifetimes).

    Returns
    -------
    lower, upper : numpy.ndarray
        Percentiles take infinite values as they come. The delta method gives [one-sided lower
        limit, inf] where ``reaches``, the estimate or any point's value is infinite (the
        smallest value over the points for an infinite estimate; see the module docstring).
    """
    infinite = ~np.isfinite(estimate) | ~np.isfinite(values).all(axis=0)
    if reaches is not None:
        infinite = infinite | reaches
    if method != "delta" or not infinite.any():
        return limits_over_points(estimate, values, level, method, probability)
    lower, upper = delta_interval(
        np.where(infinite, 1.0, estimate), np.where(infinite, 1.0, values), level, probability
    )
    smallest = np.minimum(estimate, values.min(axis=0))
    open_lower = np.where(np.isfinite(estimate), _one_sided(estimate, values, level), smallest)
    return np.where(infinite, open_lower, lower), np.where(infinite, np.inf, upper)
