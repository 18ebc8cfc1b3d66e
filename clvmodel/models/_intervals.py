"""How sure are the predictions? Intervals from parameter and outcome uncertainty.

Two sources of uncertainty, kept apart:

* **parameter uncertainty**: the maximum-likelihood estimate is itself uncertain. Its asymptotic
  distribution is normal on the working scale (log-parameters, coefficients as they are) with the
  inverse observed information as covariance (``model.covariance_``, from the fit's Hessian).
  ``method="delta"`` (the default) propagates it through each expectation (P(alive), E[Y(t)],
  P(no purchase)) by the delta method, on the logit scale for probabilities and the log scale
  for expectations, with the variance evaluated at the 2k symmetric sigma points φ̂ ± √k·Lᵢ
  (Σ = LLᵀ; exact for a function linear in φ): 2k + 1 evaluations instead of hundreds.
  ``method="draws"`` draws parameter vectors from the normal instead and takes equal-tailed
  percentiles of the recomputed expectation. Either gives a *confidence* interval of the
  expectation.
* **outcome uncertainty**: even with known parameters the number of purchases in (T, T + t] is a
  random count, with the conditional distribution P(X = k | history) of the model protocol.
  Averaging that distribution over the sigma points (or at most 50 parameter draws) gives the
  predictive distribution; its equal-tailed quantiles make the *prediction* interval [L, U] of
  the count, and P(L ≤ X ≤ U), at least the nominal level for a discrete count, is reported
  beside it. Given alive, the count's survival function depends on (x, T), the horizon and the
  parameters only: it is tabulated once per distinct (x, T) and parameter vector, for all counts
  at once (by a recurrence in k for BG/NBD and MBG/NBD, on one quadrature grid for Pareto/NBD),
  up to the count where the tail mass is reached; each row then mixes the table with its own
  P(alive).

Both are computed on the distinct histories only, so the cost grows with the number of draws and of
distinct histories, not of customers. With draws (or bootstrap replicates) the percentiles, the
mixture and the series of E[purchases | alive] run as compiled loops
(:mod:`clvmodel.models._interval_kernels`, numba, imported on first use): each row's values over
the draws are formed and reduced in cache, with no (draws, rows) temporaries and no full sorts.
Neither covers model misspecification.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from clvmodel._grouping import group_rows
from clvmodel.errors import InputError
from clvmodel.models._bootstrap import bootstrap_parameters
from clvmodel.models._count_tables import (
    DropoutAtPurchasesCounts,
    alive_bounds,
    compiled_kernels,
    count_steps,
    mixture_interval,
    survival_tables,
)
from clvmodel.models._interval_draws import (
    delta_interval,
    equal_tailed,
    parameter_draws,
    parameter_points,
    sigma_points,
)

__all__ = [
    "bootstrap_parameters",
    "check_level",
    "count_steps",
    "delta_interval",
    "DropoutAtPurchasesCounts",
    "equal_tailed",
    "interval_column_names",
    "interval_columns",
    "mixture_interval",
    "parameter_draws",
    "parameter_points",
    "sigma_points",
    "survival_tables",
]

#: Parameter vectors the predictive count distribution averages over (the first draws).
_MIXTURE_POINTS = 50


def check_level(interval) -> float:
    """The nominal level of an interval: a number strictly between 0 and 1."""
    try:
        level = float(interval)
    except (TypeError, ValueError):
        raise InputError(f"interval must be a level such as 0.9, got {interval!r}.") from None
    if not 0.0 < level < 1.0:
        raise InputError(
            "interval must be strictly between 0 and 1 (0.9 for a 90 % interval), got "
            f"{interval!r}."
        )
    return level


def interval_columns(
    model, points, method, level, estimates, histories, horizon, which, chunk=20_000, grouping=None
):
    """The interval columns of ``model.predict`` on distinct histories, in chunks of rows.

    Parameters
    ----------
    model : PurchaseModel
        The fitted model.
    points : numpy.ndarray
        Parameter vectors: :func:`sigma_points` (``method="delta"``) or :func:`parameter_draws`.
    method : {"delta", "draws", "bootstrap"}
    level : float
    estimates : dict
        The expectations at the estimate, by name.
    histories : tuple of numpy.ndarray
        x, t_x, T and the purchase and dropout covariate matrices of the distinct histories.
    horizon : float or numpy.ndarray
    which : sequence of str
    chunk : int
        Rows per chunk (memory grows with points × chunk).
    grouping : tuple of numpy.ndarray, optional
        ``group_rows(x, T[, horizon], *covariates)`` of the histories when the caller has it.

    Returns
    -------
    dict
        ``<name>_lower``/``_upper`` for each name in ``which``; with ``expected_purchases`` also
        ``purchases_lower``, ``purchases_upper`` and ``purchases_interval_mass``.

    Notes
    -----
    Only P(alive) depends on t_x: E[purchases | alive], P(no purchase | alive) and the count
    distribution given alive depend on (x, T), the horizon and the parameters. They are evaluated
    once per distinct (x, T, horizon, covariates) and parameter vector, and combined with each
    row's P(alive) at that parameter vector.
    """
    # Over 80 lines for its docstring (the body is about 50).
    x, t_x, age, z_p, z_d = histories
    # Percentiles over hundreds of draws run compiled (numba); a few sigma points do not repay
    # importing it. Loaded first, the series of E[purchases | alive] uses its compiled loop too.
    compiled = method != "delta"
    if compiled:
        compiled_kernels()
        # A model's own path for parameter draws (BG/NBD, MBG/NBD, Pareto/NBD); None: generic.
        hook = getattr(model, "_draw_interval_columns", None)
        columns = None if hook is None else hook(points, level, histories, horizon, which, grouping)
        if columns is not None:
            return columns
    tail = (1.0 - level) / 2.0
    out = {name: np.empty(x.size) for name in interval_column_names(which)}
    counting = "expected_purchases" in which
    group, given_alive, mixture, tables = _per_group(
        model, points, histories, horizon, which, tail, grouping
    )
    # Rows taken group by group (the per-group tables are then read in order) and by t_x within
    # a group (neighbours then rank the points alike, which the percentile loop uses).
    order = np.lexsort((t_x, group))
    chunk = _chunk_rows(chunk, len(points), compiled)
    warm = np.zeros((3, 2 * len(points) + 2), dtype="int64")
    covariates = z_p.shape[1] + z_d.shape[1] > 0
    stacked = None if covariates else _stacked_params(model, points, z_p[:1], z_d[:1])
    # P(alive) at all the sigma points at once where the model can (Pareto/NBD's interpolated
    # death tail instead of a quadrature per row and point).
    over_points = None if covariates else getattr(type(model), "_alive_over_draws", None)
    for start in range(0, x.size, chunk):
        rows = order[start : start + chunk]
        g = group[rows]
        params = _stacked_params(model, points, z_p[rows], z_d[rows]) if covariates else stacked
        if method == "delta" and over_points is not None:
            alive = over_points(params, x[rows], t_x[rows], age[rows]).T
        elif method == "delta":
            alive = expit(-_log_odds(model, params, x[rows], t_x[rows], age[rows], len(points)))
        else:
            log_odds = _log_odds(model, params, x[rows], t_x[rows], age[rows], len(points))
        if method == "delta":
            _delta_limits(out, rows, alive, given_alive, g, estimates, level, which)
            weights = alive[:, : len(mixture)] / len(mixture) if counting else None
        else:
            weights = _draw_limits(
                out, rows, log_odds, given_alive, g, tail, len(mixture), warm, which
            )
        if counting:
            low, high, mass = mixture_interval(tables, g, weights, level, compiled=compiled)
            out["purchases_lower"][rows], out["purchases_upper"][rows] = low, high
            out["purchases_interval_mass"][rows] = mass
    return out


def _log_odds(model, params, x, t_x, age, points: int) -> np.ndarray:
    """ln(P(dead)/P(alive)) of the rows at every point, (rows, points), a row's values
    contiguous."""
    with np.errstate(all="ignore"):
        log_odds = type(model)._log_odds_dead(params, x[:, None], t_x[:, None], age[:, None])
    return np.ascontiguousarray(np.broadcast_to(log_odds, (x.size, points)))


def interval_column_names(which) -> list[str]:
    """The interval columns of the expectations ``which``, in their order: limits of each
    expectation, then (with ``expected_purchases``) the prediction interval of the count and its
    mass."""
    names = [f"{name}_{side}" for name in which for side in ("lower", "upper")]
    if "expected_purchases" in which:
        names += ["purchases_lower", "purchases_upper", "purchases_interval_mass"]
    return names


def _per_group(model, points, histories, horizon, which, tail, grouping=None):
    """What depends on (x, T, horizon, covariates) only: the group of each row, the expectations
    given alive per group and point, and (with ``expected_purchases``) the parameter vectors of
    the count mixture and their survival tables."""
    x, t_x, age, z_p, z_d = histories
    per_row = np.ndim(horizon) > 0
    if grouping is None:
        grouping = group_rows(x, age, *([horizon] if per_row else []), *z_p.T, *z_d.T)
    group, first = grouping
    x_g, age_g = x[first], age[first]
    h_g = horizon[first] if per_row else horizon
    at_groups = [model._individual(theta, z_p[first], z_d[first]) for theta in points]
    given_alive = _given_alive(type(model), at_groups, x_g, age_g, h_g, which)
    if "expected_purchases" not in which:
        return group, given_alive, [], None
    mixture = at_groups[:_MIXTURE_POINTS]
    bound = alive_bounds(model, mixture, group, x, t_x, age)
    return (
        group,
        given_alive,
        mixture,
        survival_tables(model, mixture, x_g, age_g, h_g, tail, bound),
    )


def _given_alive(cls, at_groups, x_g, age_g, h_g, which) -> dict:
    """E[purchases | alive] and P(no purchase | alive) per group and point, stored (groups,
    points) so that a row reads one line."""
    given_alive = {}
    with np.errstate(all="ignore"):
        if "expected_purchases" in which:
            given_alive["expected_purchases"] = np.stack(
                [cls._expected_if_alive(q, x_g, age_g, h_g) for q in at_groups], axis=1
            )
        if "probability_no_purchase" in which:
            given_alive["probability_no_purchase"] = np.stack(
                [cls._pmf_if_alive(q, 0.0, x_g, age_g, h_g) for q in at_groups], axis=1
            )
    return given_alive


def _chunk_rows(chunk: int, points: int, compiled: bool) -> int:
    """Rows per chunk: small enough for the (rows, points) arrays to stay in cache with the
    compiled loops; fewer, larger chunks for NumPy's count-by-count mixture."""
    if compiled:
        return max(64, min(chunk, 50_000 // max(points, 1)))
    return max(chunk, 4_000_000 // max(points, 1))


def _delta_limits(out, rows, alive, given_alive, g, estimates, level, which) -> None:
    """Delta-method limits of each expectation on a chunk of rows, from P(alive) at the sigma
    points (rows, points), written into ``out``."""
    for name in which:
        with np.errstate(all="ignore"):
            if name == "probability_alive":
                values = alive
            elif name == "probability_no_purchase":
                silent = given_alive[name][g]
                values = np.clip(1.0 - alive * (1.0 - silent), 0.0, 1.0)
            else:
                values = alive * given_alive[name][g]
        probability = name != "expected_purchases"
        low, high = delta_interval(estimates[name][rows], values.T, level, probability)
        out[f"{name}_lower"][rows], out[f"{name}_upper"][rows] = low, high


def _draw_limits(out, rows, log_odds, given_alive, g, tail, mixture_points, warm, which):
    """Percentile limits over the draws on a chunk, written into ``out`` by the compiled loop;
    returns each row's mixture weights (its P(alive) at the first draws, over their number)."""
    # expit(−log odds) with NumPy's vectorised exp (within an ulp of scipy's, 4× faster); a
    # sure dropout overflows to inf, P(alive) = 0, as expit gives it.
    with np.errstate(over="ignore"):
        alive = np.exp(log_odds)
    alive += 1.0
    np.reciprocal(alive, out=alive)
    last = log_odds.shape[1] - 1
    positions = np.array([tail * last, (1.0 - tail) * last])
    limits = np.empty((6, rows.size))
    weights = np.empty((rows.size, mixture_points))
    empty = np.empty((0, 0))
    compiled_kernels().draw_percentiles(
        alive,
        given_alive.get("expected_purchases", empty),
        given_alive.get("probability_no_purchase", empty),
        g,
        positions,
        weights.shape[1],
        limits,
        weights,
        warm,
    )
    for q, name in enumerate(_PERCENTILE_ORDER):
        if name in which:
            out[f"{name}_lower"][rows] = limits[2 * q]
            out[f"{name}_upper"][rows] = limits[2 * q + 1]
    return weights


#: The order of the three expectations in the compiled percentile loop.
_PERCENTILE_ORDER = ("probability_alive", "expected_purchases", "probability_no_purchase")


def _stacked_params(model, points, z_p, z_d) -> dict:
    """Each parameter at every point as a (1, points) row, or (rows, points) with covariates,
    to evaluate a model function for all points at once by broadcasting."""
    at_points = [model._individual(theta, z_p, z_d) for theta in points]
    stacked = {}
    for name in at_points[0]:
        values = [q[name] for q in at_points]
        if any(np.ndim(v) for v in values):
            stacked[name] = np.stack([np.broadcast_to(v, (z_p.shape[0],)) for v in values], axis=1)
        else:
            stacked[name] = np.array(values, dtype="float64")[None, :]
    return stacked
