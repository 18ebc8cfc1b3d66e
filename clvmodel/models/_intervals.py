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
  at once by a recurrence in k where the model has one (BG/NBD, MBG/NBD), up to the count where
  the tail mass is reached; each row then mixes the table with its own P(alive).

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

__all__ = [
    "bootstrap_parameters",
    "check_level",
    "count_steps",
    "delta_interval",
    "DropoutAtPurchasesCounts",
    "equal_tailed",
    "interval_columns",
    "mixture_interval",
    "parameter_draws",
    "parameter_points",
    "sigma_points",
    "survival_tables",
]

#: Largest count the prediction interval looks at.
_MAX_COUNT = 100_000
#: Parameter vectors the predictive count distribution averages over (the first draws).
_MIXTURE_POINTS = 50
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
    x, t_x, age, z_p, z_d = histories
    cls = type(model)
    # Percentiles over hundreds of draws run compiled (numba); a few sigma points do not repay
    # importing it. Loaded first, the series of E[purchases | alive] uses its compiled loop too.
    compiled = method != "delta"
    if compiled:
        _kernels()
    tail = (1.0 - level) / 2.0
    names = [f"{n}_{side}" for n in which for side in ("lower", "upper")]
    out = {name: np.empty(x.size) for name in names}
    per_row = np.ndim(horizon) > 0
    group, first = group_rows(x, age, *([horizon] if per_row else []), *z_p.T, *z_d.T)
    x_g, age_g = x[first], age[first]
    h_g = horizon[first] if per_row else horizon
    at_groups = [model._individual(theta, z_p[first], z_d[first]) for theta in points]
    # Given alive, per group and point, stored (groups, points) so that a row reads one line.
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
    counting = "expected_purchases" in which
    if counting:
        mixture = at_groups[:_MIXTURE_POINTS]
        tables = survival_tables(model, mixture, x_g, age_g, h_g, tail)
        for name in ("purchases_lower", "purchases_upper", "purchases_interval_mass"):
            out[name] = np.empty(x.size)
    # Rows taken group by group (the per-group tables are then read in order) and by t_x within
    # a group (neighbours then rank the points alike, which the percentile loop uses).
    order = np.lexsort((t_x, group))
    if compiled:  # the (rows, points) arrays stay in cache
        chunk = max(64, min(chunk, 50_000 // max(len(points), 1)))
    else:  # fewer, larger chunks for NumPy's count-by-count mixture
        chunk = max(chunk, 4_000_000 // max(len(points), 1))
    empty = np.empty((0, 0))
    warm = np.zeros((3, 2 * len(points) + 2), dtype="int64")
    covariates = z_p.shape[1] + z_d.shape[1] > 0
    stacked = None if covariates else _stacked_params(model, points, z_p[:1], z_d[:1])
    for start in range(0, x.size, chunk):
        rows = order[start : start + chunk]
        g = group[rows]
        params = _stacked_params(model, points, z_p[rows], z_d[rows]) if covariates else stacked
        with np.errstate(all="ignore"):
            # (rows, points): a row's values over the points are contiguous.
            log_odds = cls._log_odds_dead(params, x[rows, None], t_x[rows, None], age[rows, None])
            log_odds = np.ascontiguousarray(np.broadcast_to(log_odds, (rows.size, len(points))))
        if method == "delta":
            alive = expit(-log_odds)
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
        else:
            # expit(−log odds) with NumPy's vectorised exp (within an ulp of scipy's, 4× faster).
            alive = np.exp(log_odds)
            alive += 1.0
            np.reciprocal(alive, out=alive)
            last = len(points) - 1
            positions = np.array([tail * last, (1.0 - tail) * last])
            limits = np.empty((6, rows.size))
            weights = np.empty((rows.size, len(mixture) if counting else 0))
            _kernels().draw_percentiles(
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
        if counting:
            if method == "delta":
                weights = alive[:, : len(mixture)] / len(mixture)
            low, high, mass = mixture_interval(tables, g, weights, level, compiled=compiled)
            out["purchases_lower"][rows], out["purchases_upper"][rows] = low, high
            out["purchases_interval_mass"][rows] = mass
    return out


#: The order of the three expectations in the compiled percentile loop.
_PERCENTILE_ORDER = ("probability_alive", "expected_purchases", "probability_no_purchase")


def _kernels():
    """The compiled loops (numba is imported on first use only)."""
    from clvmodel.models import _interval_kernels

    return _interval_kernels


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


class DropoutAtPurchasesCounts:
    """P(X > k) for k = 0, 1, … by recurrence in k, for purchases at rate λ ~ Gamma(r, α) by a
    customer alive at the start who drops out right after each purchase with p ~ Beta(a, b)
    (BG/NBD and MBG/NBD given survival, with their posterior parameters).

    X ≥ m ≥ 1 needs m purchases of the immortal process N ~ NBD(r, α, t) and survival of the
    m − 1 coins before the m-th, so P(X > k) = c_k · P(N > k) with c_k = B(a, b + k)/B(a, b).
    Both factors follow from their previous terms:

        c_k = c_{k−1} (b + k − 1)/(a + b + k − 1),
        P(N = k) = P(N = k − 1) · (r + k − 1)/k · t/(α + t)   (in logs, so nothing underflows),
        P(N > k) = P(N > k − 1) − P(N = k),  P(N > 0) = 1 − (α/(α + t))^r.

    The differences of consecutive terms are Fader, Hardie and Lee's (2005) eq. (8), with no
    special function evaluated per count.

    Parameters
    ----------
    r, alpha, a, b, t : array_like
        One value per element (broadcast together and flattened).
    """

    def __init__(self, r, alpha, a, b, t):
        r, alpha, a, b, t = (
            np.ravel(v).astype("float64") for v in np.broadcast_arrays(r, alpha, a, b, t)
        )
        with np.errstate(divide="ignore"):
            log_q = -np.log1p(t / alpha)  # ln(α/(α+t)); 0 where t = 0
            self._log_p = np.log(t) - np.log(alpha + t)  # ln(t/(α+t)); −inf where t = 0
        self._log_nb = r * log_q  # ln P(N = 0)
        self._above = -np.expm1(self._log_nb)  # P(N > 0)
        self._c = np.ones_like(r)
        self._r, self._a, self._b = r, a, b
        self.k = 0

    def keep(self, mask) -> None:
        """Drop the elements whose ``mask`` is False: they are not asked again."""
        for name in ("_log_p", "_log_nb", "_above", "_c", "_r", "_a", "_b"):
            setattr(self, name, getattr(self, name)[mask])

    def survival(self) -> np.ndarray:
        """P(X > k) at the current k, then move on to k + 1."""
        value = np.clip(self._c * self._above, 0.0, 1.0)
        k = float(self.k + 1)
        with np.errstate(invalid="ignore"):
            self._log_nb = self._log_nb + np.log((self._r + k - 1.0) / k) + self._log_p
            self._above = np.maximum(self._above - np.exp(self._log_nb), 0.0)
        self._c = self._c * (self._b + k - 1.0) / (self._a + self._b + k - 1.0)
        self.k += 1
        return value


class _DirectCounts:
    """P(X > k | alive) for k = 0, 1, … from the model's ``_pmf_if_alive``, one count at a time
    (for models without a recurrence)."""

    def __init__(self, cls, params, x, age, t):
        self._cls, self._params = cls, params
        self._x, self._age, self._t = x, age, t
        self._below = np.zeros(x.size)  # P(X ≤ k − 1)
        self.k = 0

    def keep(self, mask) -> None:
        self._params = {k: v[mask] for k, v in self._params.items()}
        self._x, self._age, self._t, self._below = (
            v[mask] for v in (self._x, self._age, self._t, self._below)
        )

    def survival(self) -> np.ndarray:
        with np.errstate(all="ignore"):
            pmf = self._cls._pmf_if_alive(self._params, float(self.k), self._x, self._age, self._t)
        self._below = self._below + np.clip(pmf, 0.0, 1.0)
        self.k += 1
        return np.clip(1.0 - self._below, 0.0, 1.0)


def count_steps(model, params, x, age, t):
    """The model's survival function of the count given alive, P(X > k | alive), k = 0, 1, …:
    its recurrence (``_count_recurrence``) if it has one, else its ``_pmf_if_alive`` per count.

    Parameters
    ----------
    model : PurchaseModel
    params : dict
        Parameter names to one value per element.
    x, age, t : numpy.ndarray
        One value per element.

    Returns
    -------
    object
        ``survival()`` returns P(X > k | alive) per element for k = 0, then 1, …;
        ``keep(mask)`` drops the elements that are no longer needed.
    """
    cls = type(model)
    if getattr(cls, "_count_recurrence", None) is not None:
        return cls._count_recurrence(params, x, age, t)
    return _DirectCounts(cls, params, x, age, t)


class SurvivalTables:
    """P(X > k | alive) per distinct (x, T, horizon, covariates) group and mixture point, for
    k = 0 … K_g: flat storage, ``values[offset[g] + k · points + j]``."""

    def __init__(self, values, offset, size, points):
        self.values, self.offset, self.size, self.points = values, offset, size, points


def survival_tables(model, params, x, age, t, tail) -> SurvivalTables:
    """The survival functions of the count given alive, for each group and parameter vector,
    up to the first count K_g at which their mean is at most ``tail``.

    A row's predictive survival function is Σ_j w_j P_j(X > k | alive), with w_j = P_j(alive)/J
    ≤ 1/J, so it is at most the mean over j at every k: every row's upper limit is at most K_g.

    Parameters
    ----------
    model : PurchaseModel
    params : list of dict
        J parameter vectors, each with numbers or one value per group.
    x, age : numpy.ndarray
        The groups' repeat purchases and ages.
    t : float or numpy.ndarray
        Horizon (one, or one per group).
    tail : float
        (1 − level)/2.

    Returns
    -------
    SurvivalTables
    """
    n_groups, n_points = x.size, len(params)
    shape = (n_groups, n_points)

    def spread(v):
        v = np.asarray(v, dtype="float64")
        return np.broadcast_to(v[:, None] if v.ndim else v, shape).ravel()

    names = list(params[0])
    element = {
        k: np.stack([np.broadcast_to(q[k], n_groups) for q in params], axis=1).ravel()
        for k in names
    }
    steps = count_steps(model, element, spread(x), spread(age), spread(t))
    active = np.arange(n_groups)
    blocks = []
    while active.size:
        if steps.k >= _MAX_COUNT:
            raise InputError(
                f"the purchase distribution puts more than {tail:.3g} of its mass above "
                f"{_MAX_COUNT} purchases; shorten the horizon."
            )
        values = steps.survival().reshape(active.size, n_points)
        blocks.append((active, values))
        open_ = values.mean(axis=1) > tail
        if not open_.all():
            steps.keep(np.repeat(open_, n_points))
            active = active[open_]
    size = np.zeros(n_groups, dtype="int64")  # K_g + 1
    for rows, _ in blocks:
        size[rows] += 1
    offset = np.concatenate([[0], np.cumsum(size * n_points)[:-1]])
    flat = np.empty(int(size.sum()) * n_points)
    columns = np.arange(n_points)
    for k, (rows, values) in enumerate(blocks):
        flat[(offset[rows] + k * n_points)[:, None] + columns] = values
    return SurvivalTables(flat, offset, size, n_points)


def mixture_interval(tables: SurvivalTables, group, weights, level: float, compiled=False):
    """Equal-tailed prediction interval of each row's count under the mixture
    P(X > k) = Σ_j w_j P_j(X > k | alive) (a dead customer buys nothing).

    Parameters
    ----------
    tables : SurvivalTables
    group : numpy.ndarray
        Each row's group in ``tables``.
    weights : numpy.ndarray
        Shape (rows, J): P_j(alive)/J.
    level : float
    compiled : bool
        Use the compiled loop (row by row, no temporaries; the sums over j may round
        differently in the last bit) instead of NumPy, count by count over the open rows.

    Returns
    -------
    lower, upper, mass : numpy.ndarray
        L, the largest count with P(X < L) ≤ (1 − level)/2; U, the smallest count with
        P(X ≤ U) ≥ 1 − (1 − level)/2; and P(L ≤ X ≤ U) = P(X > L − 1) − P(X > U).
    """
    tail = (1.0 - level) / 2.0
    if compiled:
        group = np.ascontiguousarray(group, dtype="int64")
        weights = np.ascontiguousarray(weights, dtype="float64")
        limits = np.empty((4, group.size))
        _kernels().mixture_limits(
            tables.values, tables.offset, tables.size, tables.points, group, weights, tail, limits
        )
        lower, upper, above_lower, above_upper = limits
        return lower, upper, np.clip(above_lower - above_upper, 0.0, 1.0)
    n, n_points = weights.shape
    lower = np.zeros(n)
    upper = np.zeros(n)
    above_lower = np.ones(n)  # P(X > L − 1), 1 for L = 0
    above_upper = np.zeros(n)
    active = np.arange(n)
    base = tables.offset[group]
    columns = np.arange(n_points)
    k = 0
    last = tables.size[group] - 1
    while active.size:
        # Every row closes by k = K_g (see survival_tables); closing there explicitly keeps a
        # rounding difference between the weighted sum and the mean from reading past the table.
        index = (base[active] + k * n_points)[:, None] + columns
        above = np.einsum("ij,ij->i", weights[active], tables.values[index])
        low = above >= 1.0 - tail  # P(X < k + 1) ≤ tail: L is at least k + 1
        lower[active[low]] = k + 1
        above_lower[active[low]] = above[low]
        done = (above <= tail) | (last[active] <= k)
        upper[active[done]] = k
        above_upper[active[done]] = above[done]
        active = active[~done]
        k += 1
    return lower, upper, np.clip(above_lower - above_upper, 0.0, 1.0)


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
