"""The count distribution given alive, by recurrence in k or count by count, tabulated per
distinct history and parameter vector, and the mixture prediction interval of each row's count
(see :mod:`clvmodel.models._intervals`)."""

from __future__ import annotations

import sys

import numpy as np

from clvmodel.errors import InputError

#: Largest count the prediction interval looks at.
_MAX_COUNT = 100_000

#: From this count on, a group's table closes by its rows' P(alive) as well (see
#: :func:`survival_tables`): a customer almost surely gone, whose count given alive is huge,
#: then needs no table up to that count.
_WEIGH_FROM = 1_000


def compiled_kernels():
    """The compiled loops (numba is imported on first use only)."""
    from clvmodel.models import _interval_kernels

    return _interval_kernels


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
        self._r, self._b, self._ab = r, b, a + b
        self._buffer = np.empty_like(r)
        self.k = 0

    def keep(self, mask) -> None:
        """Drop the elements whose ``mask`` is False: they are not asked again."""
        for name in ("_log_p", "_log_nb", "_above", "_c", "_r", "_b", "_ab", "_buffer"):
            setattr(self, name, getattr(self, name)[mask])

    def survival(self) -> np.ndarray:
        """P(X > k) at the current k, then move on to k + 1."""
        compiled = sys.modules.get("clvmodel.models._interval_kernels")
        if compiled is not None:
            return self._compiled_survival(compiled)
        return self._numpy_survival()

    def _numpy_survival(self) -> np.ndarray:
        """``survival`` with NumPy alone (numba not loaded)."""
        value = np.multiply(self._c, self._above)
        np.clip(value, 0.0, 1.0, out=value)
        k = float(self.k + 1)
        # The updates in place, through one buffer (no temporaries: at this size their
        # allocation costs more than the arithmetic), in the order of the formulas:
        # ln P(N = k) = ln P(N = k − 1) + ln((r + k − 1)/k) + ln(t/(α + t)), ...
        step = self._buffer
        np.add(self._r, k, out=step)
        step -= 1.0
        step /= k
        with np.errstate(invalid="ignore"):
            np.log(step, out=step)
            self._log_nb += step
            self._log_nb += self._log_p
            np.exp(self._log_nb, out=step)
            self._above -= step
            np.maximum(self._above, 0.0, out=self._above)
        # ... and c_k = c_{k−1} (b + k − 1)/(a + b + k − 1).
        if self.k == 0:
            self._first_coin()
        else:
            np.add(self._b, k, out=step)
            step -= 1.0
            self._c *= step
            np.add(self._ab, k, out=step)
            step -= 1.0
            self._c /= step
        self.k += 1
        return value

    def _first_coin(self) -> None:
        """c_1 = b/(a + b) as it stands: by (b + 1) − 1 and (a + b + 1) − 1 a tiny a and b
        (a dropout covariate far out of range) would cancel to 0/0."""
        np.divide(self._b, self._ab, out=self._c)

    def _compiled_survival(self, compiled) -> np.ndarray:
        """``survival`` with its arithmetic in two compiled passes (loaded by the interval code
        for parameter draws) and its logarithm and exponential by NumPy: the same operations,
        so the same values."""
        value = np.empty_like(self._c)
        k = float(self.k + 1)
        step = self._buffer
        compiled.count_survival_head(self._c, self._above, self._r, k, value, step)
        with np.errstate(invalid="ignore"):
            np.log(step, out=step)
            self._log_nb += step
            self._log_nb += self._log_p
            np.exp(self._log_nb, out=step)
        compiled.count_survival_tail(self._above, step, self._c, self._b, self._ab, k)
        if self.k == 0:
            self._first_coin()  # over the tail's c_1, which a tiny a and b would make 0/0
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


def survival_tables(model, params, x, age, t, tail, alive_bound=None) -> SurvivalTables:
    """The survival functions of the count given alive, for each group and parameter vector,
    up to the first count K_g at which their mean is at most ``tail``, or, from count
    ``_WEIGH_FROM`` on, their mean weighted by the group's largest P_j(alive).

    A row's predictive survival function is Σ_j w_j P_j(X > k | alive), with w_j = P_j(alive)/J
    ≤ 1/J, so it is at most the mean over j at every k, and at most the mean weighted by the
    largest P_j(alive) of the group's rows: every row's upper limit is at most K_g.

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
    alive_bound : callable, optional
        ``alive_bound(groups)``: for these groups, the largest P_j(alive) of their rows, shape
        (groups, J) (see :func:`alive_bounds`). Without it every P_j(alive) is taken as 1.

    Returns
    -------
    SurvivalTables

    Raises
    ------
    InputError
        When some group's weighted mean is still above ``tail`` at ``_MAX_COUNT``.
    """
    # Over 80 lines for its docstring (the body is about 55).
    n_groups, n_points = x.size, len(params)
    shape = (n_groups, n_points)

    def spread(v):
        v = np.asarray(v, dtype="float64")
        return np.broadcast_to(v[:, None] if v.ndim else v, shape).ravel()

    def per_element(name):
        values = [q[name] for q in params]
        if not any(np.ndim(v) for v in values):  # numbers: the same J values for every group
            return np.tile(np.array(values, dtype="float64"), n_groups)
        return np.stack([np.broadcast_to(v, n_groups) for v in values], axis=1).ravel()

    element = {k: per_element(k) for k in params[0]}
    steps = count_steps(model, element, spread(x), spread(age), spread(t))
    # The groups whose elements the recurrence carries, and which of them are still open: closed
    # ones are dropped from the recurrence only once they are a quarter of it (each element's
    # recurrence is its own, so carrying a closed group a few counts more changes nothing).
    active = np.arange(n_groups)
    open_ = np.ones(n_groups, dtype=bool)
    n_open = n_groups
    blocks = []
    bound = at_bound = None  # the open groups' largest P_j(alive), from _WEIGH_FROM on
    while n_open:
        values = steps.survival().reshape(active.size, n_points)
        if n_open < active.size:
            values, groups = values[open_], active[open_]
        else:
            groups = active
        blocks.append((groups, values))
        if bound is None and alive_bound is not None and steps.k > _WEIGH_FROM:
            bound = np.asarray(alive_bound(groups), dtype="float64")
            at_bound = np.full(n_groups, -1)
            at_bound[groups] = np.arange(groups.size)
        if bound is None:
            still = values.mean(axis=1) > tail
        else:
            still = (bound[at_bound[groups]] * values).mean(axis=1) > tail
        if steps.k > _MAX_COUNT and still.any():
            _too_many(x, age, t, groups[still], tail)
        if n_open < active.size:
            open_[open_] = still
        else:
            open_ = still
        n_open = int(np.count_nonzero(still))
        if n_open and 4 * n_open <= 3 * active.size:
            steps.keep(np.repeat(open_, n_points))
            active = active[open_]
            open_ = np.ones(n_open, dtype=bool)
    # The blocks, stacked, hold each group's rows in the order of k; a stable sort by group then
    # puts each group's table in one piece (whole rows of J values are moved).
    rows = np.concatenate([groups for groups, _ in blocks])
    size = np.bincount(rows, minlength=n_groups)  # K_g + 1
    offset = np.concatenate([[0], np.cumsum(size * n_points)[:-1]])
    stacked = np.concatenate([values for _, values in blocks])
    flat = stacked[np.argsort(rows, kind="stable")].ravel()
    return SurvivalTables(flat, offset, size, n_points)


def _too_many(x, age, t, groups, tail):
    """Refuse a table whose count interval would need counts above ``_MAX_COUNT``, naming one
    of the histories it is for."""
    first = int(groups[0])
    horizon = t[first] if np.ndim(t) else t
    others = f" and {groups.size - 1} other histories" if groups.size > 1 else ""
    raise InputError(
        f"the purchase distribution puts more than {tail:.3g} of its mass above {_MAX_COUNT} "
        f"purchases for the history with frequency {x[first]:g} and T {age[first]:g} at "
        f"horizon {float(horizon):g}{others}; shorten the horizon or check that history."
    )


def alive_bounds(model, mixture, group, x, t_x, age):
    """The ``alive_bound`` of :func:`survival_tables`: for given groups, the largest P_j(alive)
    over each group's rows at each parameter vector of the mixture.

    Parameters
    ----------
    model : PurchaseModel
    mixture : list of dict
        J parameter vectors, each with numbers or one value per group.
    group : numpy.ndarray
        Each row's group.
    x, t_x, age : numpy.ndarray
        Each row's history.

    Returns
    -------
    callable
        ``bound(groups)`` → array of shape (groups, J). The rows are sorted by group on the
        first call only (most tables close long before a bound is needed).
    """
    by_group = []

    def bound(groups):
        if not by_group:
            order = np.argsort(group, kind="stable")
            starts = np.searchsorted(group[order], np.arange(group.max(initial=-1) + 2))
            by_group.extend((order, starts))
        order, starts = by_group
        sizes = starts[groups + 1] - starts[groups]
        rows = order[
            np.repeat(starts[groups] - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
        ]
        local = np.repeat(np.arange(groups.size), sizes)
        out = np.zeros((groups.size, len(mixture)))
        for j, point in enumerate(mixture):
            params = {k: v[group[rows]] if np.ndim(v) else v for k, v in point.items()}
            with np.errstate(all="ignore"):  # a sure dropout: exp overflows, P(alive) = 0
                log_odds = type(model)._log_odds_dead(params, x[rows], t_x[rows], age[rows])
                alive = np.nan_to_num(1.0 / (1.0 + np.exp(log_odds)), nan=1.0)
            np.maximum.at(out[:, j], local, alive)
        return out

    return bound


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
        # Strided (numba's layout "A", as in BG/NBD's draws path): the loop's row function
        # compiles once for both. An empty array is contiguous whatever its strides: no call.
        limits = np.empty((4, group.size + 1))[:, : group.size]
        if group.size:
            compiled_kernels().mixture_limits(
                tables.values, tables.offset, tables.size, tables.points, group, weights, tail,
                limits,
            )  # fmt: skip
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
