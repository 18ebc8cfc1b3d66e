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
active subscribers at each parameter vector, all pairs at once (per-row parameter arrays). Where
the mean lifetime is infinite (cα ≤ 1), the undiscounted expected residual lifetime is infinite.
Percentiles over draws take that as it comes; the delta method cannot, so when it happens at the
estimate or at any sigma point, the upper limit is ``inf`` and the lower limit the smallest value
over the points: the data do not rule out an infinite mean lifetime. Discounted (d > 0), every
value is finite.
"""

from __future__ import annotations

import numpy as np

from clvmodel.models._interval_draws import (
    delta_interval,
    limits_over_points,
    parameter_points,
)

__all__ = ["SUBSCRIBER_INTERVAL_NAMES", "predictions_at", "subscriber_intervals"]

#: The predictions that get limits, in their column order.
SUBSCRIBER_INTERVAL_NAMES = ("probability_cancel", "expected_residual_lifetime", "derl")


#: The columns of ``ContractualPredictions.predict``, in order ("derl" given a discount rate).
PREDICTION_COLUMNS = ("probability_cancel", "expected_residual_lifetime", "derl")


def predictions_at(model, subscribers, theta, which=PREDICTION_COLUMNS) -> dict:
    """P(cancel within k), the expected residual lifetime and (given d) DERL(d) per subscriber at
    the parameter vector ``theta``, those of them named in ``which``; ``subscribers``: (rows, t,
    cancelled, k, d) as ``ContractualPredictions.predict`` prepares them (the distinct rows of
    ``model._layout``)."""
    rows, t, _, k, d = subscribers
    p = model._at(rows, theta)
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
    at_points = [predictions_at(model, subscribers, theta, list(estimates)) for theta in points]
    out = {}
    for name, centre in estimates.items():
        values = np.stack([v[name] for v in at_points])
        lower, upper = _limits(centre, values, level, method, name == "probability_cancel")
        out[f"{name}_lower"], out[f"{name}_upper"] = lower, upper
    return out


def _limits(estimate, values, level: float, method: str, probability: bool):
    """The limits of one prediction from its values at the parameter vectors (vectors, rows).

    Percentiles take infinite values as they come. The delta method cannot: where the estimate
    or any vector's value is infinite, the upper limit is inf and the lower the smallest value
    (see the module docstring)."""
    infinite = ~np.isfinite(estimate) | ~np.isfinite(values).all(axis=0)
    if method != "delta" or not infinite.any():
        return limits_over_points(estimate, values, level, method, probability)
    lower, upper = delta_interval(
        np.where(infinite, 1.0, estimate), np.where(infinite, 1.0, values), level, probability
    )
    smallest = np.minimum(estimate, values.min(axis=0))
    return np.where(infinite, smallest, lower), np.where(infinite, np.inf, upper)
