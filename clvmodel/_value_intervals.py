"""Confidence intervals of customer values from parameter uncertainty.

A value computed from a purchase and a spend model (a customer's CLV) is recomputed at other
parameters of both: at each model's sigma points for the delta method on the log scale (the two
models are fitted separately, so the variances add), or at joint parameter draws or bootstrap
replicates, whose percentiles are the limits. The caller's ``at(b, g)`` recomputes the values
(:class:`clvmodel._value_rows.ValueRows` on a table's distinct rows, whose ``each`` takes all the
parameter vectors at once).
"""

from __future__ import annotations

import numpy as np

from clvmodel._random import random_generator
from clvmodel.errors import InputError

__all__ = ["interval_level", "value_interval"]


def interval_level(interval, method) -> float:
    """The level of ``interval`` (strictly between 0 and 1), after checking ``method``."""
    try:
        level = float(interval)
    except (TypeError, ValueError):
        raise InputError(f"interval must be a level such as 0.9, got {interval!r}.") from None
    if not 0.0 < level < 1.0:
        raise InputError(f"interval must be strictly between 0 and 1, got {interval!r}.")
    if method not in ("delta", "draws", "bootstrap"):
        raise InputError(f"method={method!r} is not known; use 'delta', 'draws' or 'bootstrap'.")
    return level


def value_interval(estimate, at, bg, gg, interval, method="delta", n_draws=200, seed=0):
    """Confidence interval of a value computed from a purchase and a spend model.

    Parameters
    ----------
    estimate : numpy.ndarray
        The value at both models' estimates, per customer or per distinct row (as ``at`` gives
        it: :class:`clvmodel._value_rows.ValueRows` evaluates the distinct rows only).
    at : callable
        ``at(purchase_model, spend_model)`` recomputes the value with other parameters.
    bg, gg : fitted models
    interval : float
        Level.
    method : {"delta", "draws", "bootstrap"}
        Delta method on the log scale at each model's sigma points (variances add: the two models
        are fitted separately), or percentiles over joint parameter draws or over both models'
        bootstrap replicates (``model.bootstrap(data)`` first).
    n_draws, seed
        For ``method="draws"``: one stream of random numbers, so that the two models' draws are
        independent.

    Returns
    -------
    lower, upper : numpy.ndarray
    """
    from scipy.special import ndtri

    level = interval_level(interval, method)
    if method in ("draws", "bootstrap"):
        rng = random_generator(seed)  # one stream: the two models' draws are independent
        purchase = bg.parameter_samples(method, n_draws, rng)
        spend = gg.parameter_samples(method, n_draws, rng)
        n = min(len(purchase), len(spend))  # bootstrap replicates that converged
        tail = (1.0 - level) / 2.0
        own = getattr(at, "draw_limits", None)
        limits = own(purchase[:n], spend[:n], tail) if own is not None else None
        if limits is not None:  # reduced a block of rows at a time, by the model's own path
            return limits
        # Filled in place, then reduced column by column: the (draws, rows) values are held once.
        stacked = np.empty((n, np.size(estimate)))
        for k, values in enumerate(_at_each(at, purchase[:n], spend[:n])):
            stacked[k] = values
        # numba: imported on first use, not with clvmodel.value
        from clvmodel.models._column_percentiles import column_percentiles

        return column_percentiles(stacked, tail)  # numpy.quantile's, compiled
    smallest = float(np.finfo("float64").smallest_subnormal)  # the log of every positive value
    centre = np.log(np.maximum(estimate, smallest))
    variance = np.zeros(centre.size)
    purchase, spend = bg.parameter_samples("delta"), gg.parameter_samples("delta")
    for samples in (
        list(_at_each(at, purchase, [gg] * len(purchase))),
        list(_at_each(at, [bg] * len(spend), spend)),
    ):
        logs = np.log(np.maximum(np.stack(samples), smallest))
        variance += np.mean((logs - centre[None, :]) ** 2, axis=0)
    z = ndtri(1.0 - (1.0 - level) / 2.0)
    spread = z * np.sqrt(variance)
    lower = np.minimum(np.exp(centre - spread), estimate)  # the estimate inside, to the last bit
    upper = np.maximum(np.exp(centre + spread), estimate)
    zero = estimate <= 0.0  # a value of exactly 0 (P(alive) underflowed) is [0, 0]
    return np.where(zero, 0.0, lower), np.where(zero, 0.0, upper)


def _at_each(at, purchase_models, spend_models):
    """``at(b, g)`` for each pair, by ``at.each`` when it has one (all the pairs at once)."""
    each = getattr(at, "each", None)
    if each is not None:
        return each(purchase_models, spend_models)
    return (at(b, g) for b, g in zip(purchase_models, spend_models, strict=True))
