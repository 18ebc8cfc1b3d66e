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
  predictive distribution; its
  equal-tailed quantiles make the *prediction* interval [L, U] of the count, and
  P(L ≤ X ≤ U), at least the nominal level for a discrete count, is reported beside it.

Both are computed on the distinct histories only, so the cost grows with the number of draws and of
distinct histories, not of customers. Neither covers model misspecification.
"""

from __future__ import annotations

import numpy as np

from clvmodel._grouping import group_rows
from clvmodel.errors import InputError

__all__ = [
    "bootstrap_parameters",
    "check_level",
    "count_interval",
    "delta_interval",
    "interval_columns",
    "parameter_draws",
    "parameter_points",
    "sigma_points",
]

#: Largest count the prediction interval looks at.
_MAX_COUNT = 100_000
_COUNT_BLOCK = 64
_PROBABILITY_FLOOR = 1e-15


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


def _working_covariance(model) -> tuple[np.ndarray, np.ndarray]:
    covariance = getattr(model, "covariance_", None)
    if covariance is None:
        raise InputError(
            f"this {type(model).__name__} has no parameter covariance (it was built from "
            "parameters or loaded from a file); intervals need a model fitted with fit()."
        )
    matrix = covariance.to_numpy()
    if not np.all(np.isfinite(matrix)):
        raise InputError(
            "some parameters are not identified (no standard error; see model.summary), so "
            "parameter uncertainty cannot be drawn; refit on more data or another model."
        )
    return model._to_working(model.params_.to_numpy()), matrix


def sigma_points(model) -> np.ndarray:
    """The 2k parameter vectors φ̂ ± √k·Lᵢ (natural scale), Σ = LLᵀ the working covariance.

    Their equally weighted mean is φ̂ and their covariance Σ: averages over them carry the first
    two moments of the asymptotic normal (the unscented transform with no centre weight).
    """
    centre, matrix = _working_covariance(model)
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))  # Σ = root rootᵀ
    k = centre.size
    shifts = np.sqrt(k) * root.T
    working = np.concatenate([centre + shifts, centre - shifts])
    return np.array([model._to_natural(phi)[0] for phi in working])


def delta_interval(estimate, at_points, level: float, probability: bool):
    """Delta-method interval of an expectation from its values at the sigma points.

    Parameters
    ----------
    estimate : numpy.ndarray
        The expectation at the estimate φ̂.
    at_points : numpy.ndarray
        Shape (2k, rows): its values at :func:`sigma_points`.
    level : float
        Nominal level.
    probability : bool
        Work on the logit scale (probabilities) instead of the log scale (expectations ≥ 0).

    Returns
    -------
    lower, upper : numpy.ndarray
    """
    from scipy.special import expit, logit, ndtri

    if probability:

        def forward(v):
            return logit(np.clip(v, _PROBABILITY_FLOOR, 1.0 - _PROBABILITY_FLOOR))

        backward = expit
    else:

        def forward(v):
            return np.log(np.maximum(v, 1e-300))

        backward = np.exp
    centre = forward(estimate)
    spread = np.sqrt(np.mean((forward(at_points) - centre[None, :]) ** 2, axis=0))
    z = ndtri(1.0 - (1.0 - level) / 2.0)
    lower, upper = backward(centre - z * spread), backward(centre + z * spread)
    if probability:  # a probability of exactly 0 or 1 (BG/NBD's one-time buyers) stays put
        lower = np.where(estimate >= 1.0, 1.0, np.where(estimate <= 0.0, 0.0, lower))
        upper = np.where(estimate >= 1.0, 1.0, np.where(estimate <= 0.0, 0.0, upper))
    return lower, upper


def parameter_draws(model, n_draws: int, seed=None) -> np.ndarray:
    """Parameter vectors drawn from the asymptotic normal of the working parameters.

    Parameters
    ----------
    model : MaximumLikelihoodModel
        A fitted model with ``covariance_`` (models built with ``from_params`` have none).
    n_draws : int
        Number of draws.
    seed : int or numpy.random.Generator, optional
        For reproducible draws.

    Returns
    -------
    numpy.ndarray
        Shape (n_draws, number of parameters), natural parameters (positive where they must be).
    """
    if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 2:
        raise InputError(f"n_draws must be a whole number ≥ 2, got {n_draws!r}.")
    centre, matrix = _working_covariance(model)
    rng = np.random.default_rng(seed)
    working = rng.multivariate_normal(centre, matrix, size=int(n_draws), method="eigh")
    return np.array([model._to_natural(phi)[0] for phi in working])


def count_interval(pmf_blocks, n_rows: int, level: float):
    """Equal-tailed prediction interval of a count from its distribution.

    Parameters
    ----------
    pmf_blocks : callable
        ``pmf_blocks(k, rows)`` returns P(X = k) for an array of counts ``k`` and the row
        positions ``rows``, shape (len(rows), len(k)). Only rows whose interval is not yet closed
        are asked for the next counts, so the cost follows the spread of each row's count.
    n_rows : int
        Number of rows.
    level : float
        Nominal level, e.g. 0.9.

    Returns
    -------
    lower, upper, mass : numpy.ndarray
        Per row: L, the largest count with P(X < L) ≤ (1 − level)/2; U, the smallest count with
        P(X ≤ U) ≥ 1 − (1 − level)/2; and P(L ≤ X ≤ U).
    """
    tail = (1.0 - level) / 2.0
    cumulative = np.zeros(n_rows)
    lower = np.zeros(n_rows)
    upper = np.full(n_rows, -1.0)
    mass_below = np.zeros(n_rows)
    mass_upto = np.zeros(n_rows)
    active = np.arange(n_rows)
    start, width = 0, 4
    while active.size and start < _MAX_COUNT:
        counts = np.arange(start, start + width, dtype="float64")
        block = np.clip(pmf_blocks(counts, active), 0.0, 1.0)
        running = cumulative[active, None] + np.cumsum(block, axis=1)
        before = np.concatenate([cumulative[active, None], running[:, :-1]], axis=1)  # P(X < k)
        # L: the last k whose P(X < k) ≤ tail (P(X < k) only grows with k; k = 0 always fits).
        fits = before <= tail
        last = fits.shape[1] - 1 - np.argmax(fits[:, ::-1], axis=1)
        moved = fits.any(axis=1)
        lower[active[moved]] = counts[last[moved]]
        mass_below[active[moved]] = before[moved, last[moved]]
        # U: the first k with P(X ≤ k) ≥ 1 − tail.
        reached = running >= 1.0 - tail
        found = reached.any(axis=1)
        first = np.argmax(reached, axis=1)
        upper[active[found]] = counts[first[found]]
        mass_upto[active[found]] = running[found, first[found]]
        cumulative[active] = running[:, -1]
        active = active[~found]
        start += width
        width = min(2 * width, _COUNT_BLOCK)
    if active.size:
        raise InputError(
            f"the purchase distribution puts more than {1 - level:.3g} of its mass above "
            f"{_MAX_COUNT} purchases; shorten the horizon."
        )
    return lower, upper, np.clip(mass_upto - mass_below, 0.0, 1.0)


def interval_columns(
    model, points, method, level, estimates, histories, horizon, which, chunk=20_000
):
    """The interval columns of ``model.predict`` on distinct histories, in chunks of rows.

    Parameters
    ----------
    model : PurchaseModel
        The fitted model.
    points : numpy.ndarray
        Parameter vectors: :func:`sigma_points` (``method="delta"``) or :func:`parameter_draws`.
    method : {"delta", "draws"}
    level : float
    estimates : dict
        The expectations at the estimate, by name.
    histories : tuple of numpy.ndarray
        x, t_x, T and the purchase and dropout covariate matrices of the distinct histories.
    horizon : float or numpy.ndarray
    which : sequence of str
    chunk : int
        Rows per chunk (memory grows with points × chunk).

    Returns
    -------
    dict
        ``<name>_lower``/``_upper`` for each name in ``which``; with ``expected_purchases`` also
        ``purchases_lower``, ``purchases_upper`` and ``purchases_interval_mass``.
    """
    x, t_x, age, z_p, z_d = histories
    tail = (1.0 - level) / 2.0
    names = [f"{n}_{side}" for n in which for side in ("lower", "upper")]
    out = {name: np.empty(x.size) for name in names}
    per_row = np.ndim(horizon) > 0
    # Memory grows with points × rows: few sigma points take large chunks (so that each
    # distinct (x, T) is evaluated once), hundreds of draws small ones.
    chunk = max(chunk, 4_000_000 // max(len(points), 1))
    for start in range(0, x.size, chunk):
        rows = slice(start, start + chunk)
        h = horizon[rows] if per_row else horizon
        params = [model._individual(theta, z_p[rows], z_d[rows]) for theta in points]
        values = [model._expectations(q, x[rows], t_x[rows], age[rows], h, which) for q in params]
        for name in which:
            stacked = np.stack([v[name] for v in values])
            if method == "delta":
                probability = name != "expected_purchases"
                low, high = delta_interval(estimates[name][rows], stacked, level, probability)
            else:
                low, high = np.quantile(stacked, [tail, 1.0 - tail], axis=0)
            out[f"{name}_lower"][rows], out[f"{name}_upper"][rows] = low, high
    if "expected_purchases" in which:
        # The count distribution depends on (x, T) only: all rows at once, so that the distinct
        # (x, T) are shared across the whole table (memory: rows still open × counts in a block).
        mixture = [model._individual(theta, z_p, z_d) for theta in points[:50]]
        low, high, mass = count_interval(
            mixture_pmf(model, mixture, x, t_x, age, horizon), x.size, level
        )
        out["purchases_lower"], out["purchases_upper"] = low, high
        out["purchases_interval_mass"] = mass
    return out


def mixture_pmf(model, params, x, t_x, age, horizon):
    """(k, rows) ↦ P(X(T, T+t] = k | history) averaged over parameter vectors, for the given row
    positions: shape (len(rows), len(k)).

    P = P(alive) · P_alive(k) + (1 − P(alive)) · [k = 0], and P_alive depends on (x, T) and the
    parameters only, not on t_x: it is evaluated once per distinct (x, T, horizon, parameters) of
    the rows asked for, which are far fewer than the distinct histories.
    """
    cls = type(model)
    per_row = np.ndim(horizon) > 0
    alive = [model._alive(q, x, t_x, age) for q in params]
    varying = [k for k, v in params[0].items() if np.ndim(v)]  # per-row parameters (covariates)

    def pmf(counts, rows):
        keys = [x[rows], age[rows]]
        keys += [horizon[rows]] if per_row else []
        keys += [params[0][k][rows] for k in varying]
        group, first = group_rows(*keys)
        picked = rows[first]
        h = horizon[picked][:, None] if per_row else horizon
        xs, ages = x[picked][:, None], age[picked][:, None]
        total = np.zeros((rows.size, counts.size))
        with np.errstate(all="ignore"):
            for q, living in zip(params, alive, strict=True):
                q_rows = {k: (v[picked][:, None] if np.ndim(v) else v) for k, v in q.items()}
                inside = cls._pmf_if_alive(q_rows, counts[None, :], xs, ages, h)[group]
                share = living[rows][:, None]
                total += share * inside + (1.0 - share) * (counts == 0)[None, :]
        return total / len(params)

    return pmf


def bootstrap_parameters(model, data, n_draws: int = 100, seed=0, weights=None) -> np.ndarray:
    """Parameters refitted on nonparametric bootstrap samples of the customers.

    Resampling customers with replacement only changes how many customers stand behind each
    distinct history, so each replicate is a multinomial draw of the counts of the distinct rows
    and a refit on those rows, started from the estimate: cheap, whatever the number of customers.

    Parameters
    ----------
    model : MaximumLikelihoodModel
        Fitted on ``data``.
    data : pandas.DataFrame
        The table the model was fitted on.
    n_draws : int
        Bootstrap replicates.
    seed : int or numpy.random.Generator, optional
        For reproducible replicates.
    weights : array_like, optional
        As given to ``fit``.

    Returns
    -------
    numpy.ndarray
        Shape (replicates that converged, number of parameters).
    """
    from clvmodel.models._fit import _at, _converged

    if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 2:
        raise InputError(f"n_draws must be a whole number ≥ 2, got {n_draws!r}.")
    theta = model._check_fitted()
    arrays, counts, _ = model._prepare(data, weights)
    if model._subsample(arrays, counts, np.arange(counts.size)) is None:
        raise InputError(f"{type(model).__name__} cannot be bootstrapped.")
    total = int(round(counts.sum()))
    rng = np.random.default_rng(seed)
    start = model._to_working(theta)
    replicates = []
    for _ in range(int(n_draws)):
        resampled = rng.multinomial(total, counts / counts.sum()).astype("float64")
        rows = np.flatnonzero(resampled)
        subset = model._subsample(arrays, resampled, rows)
        result, evaluate = model._optimise(
            *subset, start, model._analytic_hessian, gtol=model.tol * 1e-3, max_iter=model.max_iter
        )
        value, gradient, _ = _at(evaluate, result.x)
        if _converged(value, gradient, model.tol):
            replicates.append(model._to_natural(result.x)[0])
    if len(replicates) < 2:
        raise InputError("the bootstrap refits did not converge; use method='delta'.")
    return np.array(replicates)


def parameter_points(model, method: str, n_draws: int = 200, seed=0) -> np.ndarray:
    """Parameter vectors for intervals: sigma points (``"delta"``), draws from the asymptotic
    normal (``"draws"``), or the replicates of ``model.bootstrap`` (``"bootstrap"``)."""
    if method == "delta":
        return sigma_points(model)
    if method == "draws":
        return parameter_draws(model, n_draws, seed)
    if method == "bootstrap":
        replicates = getattr(model, "bootstrap_params_", None)
        if replicates is None:
            raise InputError(
                f"this {type(model).__name__} has no bootstrap replicates: call "
                "model.bootstrap(data) with the data it was fitted on first."
            )
        return replicates.to_numpy()
    raise InputError(f"method={method!r} is not known; use 'delta', 'draws' or 'bootstrap'.")
