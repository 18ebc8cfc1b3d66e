"""Parameter vectors for intervals and the reductions over them: sigma points and the
delta-method interval, draws from the asymptotic normal, bootstrap replicates and equal-tailed
percentiles (see :mod:`clvmodel.models._intervals`)."""

from __future__ import annotations

import numpy as np

from clvmodel._grouping import group_rows
from clvmodel._random import random_generator
from clvmodel.errors import InputError

#: The smallest positive double and the largest below 1: the ends of the delta method's scales.
_SMALLEST = float(np.finfo("float64").smallest_subnormal)
_BELOW_ONE = float(np.nextafter(1.0, 0.0))


#: Each problem of :func:`covariance_problem` in words, after "the model" (no Python names).
COVARIANCE_PROBLEMS = {
    "missing": "holds no covariance of the parameters (it was saved without one, as a model "
    "built from known parameters is)",
    "not identified": "has parameters that are not identified (no standard error)",
    "not positive definite": "stopped at a saddle of the likelihood (the covariance of its "
    "parameters is not positive definite)",
}


def covariance_problem(model) -> str | None:
    """Why the parameters' uncertainty of ``model`` cannot be drawn, or None when it can.

    Parameters
    ----------
    model : MaximumLikelihoodModel
        A model, fitted or built from parameters.

    Returns
    -------
    {"missing", "not identified", "not positive definite"} or None
        No ``covariance_`` (built from parameters, or a file saved without it); a parameter with
        no standard error; a covariance that is not positive semi-definite (a saddle).
    """
    covariance = getattr(model, "covariance_", None)
    if covariance is None:
        return "missing"
    matrix = covariance.to_numpy()
    if not np.all(np.isfinite(matrix)):
        return "not identified"
    values = np.linalg.eigvalsh((matrix + matrix.T) / 2.0)
    if values.min(initial=0.0) < -1e-8 * max(abs(values).max(initial=0.0), 1e-300):
        return "not positive definite"
    return None


def _working_covariance(model) -> tuple[np.ndarray, np.ndarray]:
    problem = covariance_problem(model)
    if problem == "missing":
        raise InputError(
            f"this {type(model).__name__} has no parameter covariance (it was built from "
            "parameters or loaded from a file saved without it); intervals need a model fitted "
            "with fit(), or loaded from the file of a fitted model."
        )
    if problem == "not identified":
        raise InputError(
            "some parameters are not identified (no standard error; see model.summary), so "
            "parameter uncertainty cannot be drawn; refit on more data or another model."
        )
    if problem == "not positive definite":
        raise InputError(
            "the parameters' covariance is not positive definite (the fit stopped where the "
            "likelihood is not curved downwards in every direction: a saddle, or parameters the "
            "data cannot tell apart; see model.summary), so parameter uncertainty cannot be "
            "drawn; refit on more data or another model."
        )
    matrix = model.covariance_.to_numpy()
    return model._to_working(model.params_.to_numpy()), matrix


def _natural(model, working) -> np.ndarray:
    """Natural parameters of working vectors; vectors so far out that a parameter overflows
    mean a standard error too large to propagate, which is refused."""
    with np.errstate(over="ignore"):
        points = model._to_natural(np.atleast_2d(np.asarray(working, dtype="float64")))[0]
    positive = ~model._free_mask()
    if not np.all(np.isfinite(points)) or np.any(points[:, positive] == 0.0):
        raise InputError(
            "parameter uncertainty is too large to propagate: a parameter's interval spans "
            "hundreds of orders of magnitude (see the standard errors in model.summary); refit "
            "on more data or another model."
        )
    return points


def sigma_points(model, step: float | None = None) -> np.ndarray:
    """The 2k parameter vectors φ̂ ± √k·Lᵢ (natural scale), Σ = LLᵀ the working covariance.

    Their equally weighted mean is φ̂ and their covariance Σ: averages over them carry the first
    two moments of the asymptotic normal (the unscented transform with no centre weight). Rows
    0 … k − 1 are φ̂ + √k·Lᵢ, rows k … 2k − 1 the mirror images φ̂ − √k·Lᵢ.

    Parameters
    ----------
    model : MaximumLikelihoodModel
        Fitted, with a usable covariance.
    step : float, optional
        Put the points at φ̂ ± step·Lᵢ instead (closer in for step < √k; their spread is then
        step/√k times the standard error).

    Returns
    -------
    numpy.ndarray
        Shape (2k, k).
    """
    centre, matrix = _working_covariance(model)
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))  # Σ = root rootᵀ
    k = centre.size
    shifts = (np.sqrt(k) if step is None else step) * root.T
    working = np.concatenate([centre + shifts, centre - shifts])
    return _natural(model, working)


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

    # The logit and the logarithm of every positive double (down to the smallest subnormal, and
    # up to the largest double below 1): a customer almost surely gone has P(alive) = 1e-35,
    # which a floor at 1e-15 turned into the interval [1e-15, 1e-15], above the estimate.
    if probability:

        def forward(v):
            return logit(np.clip(v, _SMALLEST, _BELOW_ONE))

        backward = expit
    else:

        def forward(v):
            return np.log(np.maximum(v, _SMALLEST))

        backward = np.exp
    estimate = np.asarray(estimate, dtype="float64")
    centre = forward(estimate)
    spread = np.sqrt(np.mean((forward(at_points) - centre[None, :]) ** 2, axis=0))
    z = ndtri(1.0 - (1.0 - level) / 2.0)
    lower, upper = backward(centre - z * spread), backward(centre + z * spread)
    # The estimate inside, whatever the last bit of the round trip through the scale.
    lower, upper = np.minimum(lower, estimate), np.maximum(upper, estimate)
    if probability:  # a probability of exactly 0 or 1 (BG/NBD's one-time buyers) stays put
        lower = np.where(estimate >= 1.0, 1.0, np.where(estimate <= 0.0, 0.0, lower))
        upper = np.where(estimate >= 1.0, 1.0, np.where(estimate <= 0.0, 0.0, upper))
    else:  # an expectation of exactly 0 (a horizon of 0) too, not the log scale's floor
        lower, upper = np.where(estimate <= 0.0, 0.0, lower), np.where(estimate <= 0.0, 0.0, upper)
    return lower, upper


def limits_over_points(estimate, values, level: float, method: str, probability: bool):
    """An expectation's limits from its values at the parameter vectors (vectors, rows):
    :func:`delta_interval` at sigma points (``method="delta"``), else equal-tailed percentiles
    over draws or replicates (a percentile between a finite value and inf is inf)."""
    if method == "delta":
        return delta_interval(estimate, values, level, probability)
    with np.errstate(invalid="ignore"):  # inf − inf between two infinite order statistics
        lower, upper = equal_tailed(values, (1.0 - level) / 2.0)
    return np.where(np.isnan(lower), np.inf, lower), np.where(np.isnan(upper), np.inf, upper)


def check_n_draws(n_draws) -> None:
    """Refuse a number of draws or bootstrap replicates that is not a whole number ≥ 2."""
    if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 2:
        raise InputError(f"n_draws must be a whole number ≥ 2, got {n_draws!r}.")


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
    check_n_draws(n_draws)
    centre, matrix = _working_covariance(model)
    rng = random_generator(seed)
    working = rng.multivariate_normal(centre, matrix, size=int(n_draws), method="eigh")
    return _natural(model, working)


def equal_tailed(values, tail: float):
    """The ``tail`` and 1 − ``tail`` quantiles of each column, as ``numpy.quantile``'s default
    (linear interpolation between order statistics), from one partial sort of each row of the
    transposed, contiguous array (faster than ``numpy.quantile`` along the first axis).

    Parameters
    ----------
    values : numpy.ndarray
        Shape (draws, rows).
    tail : float
        Between 0 and 0.5.

    Returns
    -------
    lower, upper : numpy.ndarray
        One value per row.
    """
    rows = np.ascontiguousarray(np.asarray(values, dtype="float64").T)
    last = rows.shape[1] - 1
    positions = (tail * last, (1.0 - tail) * last)
    below = [int(np.floor(p)) for p in positions]
    kth = sorted({k for b in below for k in (b, min(b + 1, last))})
    part = np.partition(rows, kth, axis=1)
    out = []
    for position, b in zip(positions, below, strict=True):
        low, high = part[:, b], part[:, min(b + 1, last)]
        out.append(low + (position - b) * (high - low))
    return out


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


def points_by_group(model, points, histories, horizon, grouping, names):
    """What a model's own draws path needs first (models without covariates): each point's
    parameters, each parameter over the points, and the (x, T[, horizon]) groups of the histories.

    Parameters
    ----------
    model : PurchaseModel
        Fitted, without covariates.
    points : numpy.ndarray
        Shape (draws, parameters): parameter vectors.
    histories : tuple of numpy.ndarray
        x, t_x, T of the distinct histories, then two empty covariate matrices.
    horizon : float or numpy.ndarray
        One horizon, or one per history.
    grouping : tuple of numpy.ndarray or None
        ``group_rows(x, T[, horizon])`` of the histories when the caller has it.
    names : sequence of str
        The model's parameter names, in the order wanted.

    Returns
    -------
    at_points : list of dict
        Each point's parameters by name.
    params : tuple of numpy.ndarray
        Each parameter in ``names`` over the points.
    per_row : bool
        Whether the horizon is one per history.
    grouping : tuple of numpy.ndarray
        The group of each history and the first history of each group.
    """
    x, _, age, z_p, z_d = histories
    at_points = [model._individual(theta, z_p[:1], z_d[:1]) for theta in points]
    params = tuple(np.array([q[k] for q in at_points], dtype="float64") for k in names)
    per_row = np.ndim(horizon) > 0
    if grouping is None:
        grouping = group_rows(x, age, *([horizon] if per_row else []))
    return at_points, params, per_row, grouping


class RowPlan:
    """The order in which a model's own draws path takes the distinct histories: its (x, T[,
    horizon]) groups numbered in that order, the histories by group and by t_x within
    (alternately up and down, so that a group starts near where the last ended). Neighbouring
    rows then rank the draws alike, which the selection of order statistics uses, and the rows of
    any run of groups are contiguous, so that the groups' tables can be built, used and dropped
    a chunk of groups at a time (any order gives the same results).

    Parameters
    ----------
    x, t_x, age : numpy.ndarray
        The histories.
    horizon : float or numpy.ndarray
        One horizon, or one per history.
    group, first : numpy.ndarray
        ``group_rows(x, T[, horizon])`` of the histories.
    per_row : bool
        Whether the horizon is one per history.

    Attributes
    ----------
    first : numpy.ndarray
        The first history of each group, in the groups' order.
    x_g, age_g : numpy.ndarray
        Each group's x and T, in the groups' order.
    h_g : numpy.ndarray or None
        Each group's horizon (None with one horizon).
    group : numpy.ndarray
        Each history's group number.
    order : numpy.ndarray
        The histories in the rows' order.
    sorted_group : numpy.ndarray
        ``group[order]``: non-decreasing.
    """

    def __init__(self, x, t_x, age, horizon, group, first, per_row):
        x_g, age_g = x[first], age[first]
        h_g = horizon[first] if per_row else None
        by_rank = np.lexsort((h_g, age_g, x_g) if per_row else (age_g, x_g))
        rank = np.empty(first.size, dtype="int64")
        rank[by_rank] = np.arange(first.size)
        self.first = first[by_rank]
        self.x_g, self.age_g = x_g[by_rank], age_g[by_rank]
        self.h_g = h_g[by_rank] if per_row else None
        self.group = rank[group]
        top = float(t_x.max(initial=0.0))
        # The key group·(top + 1) + t_x (top − t_x in odd groups), formed in place: one sort of
        # a key in which the group dominates (faster than a sort by two keys). Should rounding
        # mix groups up (keys beyond 2⁵³), the two keys.
        within = np.subtract(top, t_x)
        np.copyto(within, t_x, where=(self.group & 1) == 0)
        key = self.group.astype("float64")
        with np.errstate(over="ignore"):  # inf keys tie: the check below sorts again
            key *= top + 1.0
            key += within
        self.order = np.argsort(key)
        del key
        self.sorted_group = self.group[self.order]
        if np.any(self.sorted_group[1:] < self.sorted_group[:-1]):
            self.order = np.lexsort((within, self.group))
            self.sorted_group = self.group[self.order]

    def chunks(self, size: int):
        """Runs of ``size`` groups: (the groups' slice, their rows' slice of ``order``)."""
        n_groups = self.x_g.size
        edges = np.append(np.arange(0, n_groups, size), n_groups)
        starts = np.searchsorted(self.sorted_group, edges)
        for k in range(edges.size - 1):
            yield slice(edges[k], edges[k + 1]), slice(starts[k], starts[k + 1])
