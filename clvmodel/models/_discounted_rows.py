"""Discounted expected purchases of one table at many parameter vectors (the CLV's draws).

A customer's discounted expected purchases over period ends t_1 < … < t_n with discount factors
d_1, …, d_n are

    P(alive | x, t_x, T) · Σ_j d_j [E(t_j | alive) − E(t_{j−1} | alive)],  E(t_0 | alive) = 0,

where E(t | alive), the expected purchases in (T, T + t] of a customer alive at T, depends on the
history through (x, T) only. :class:`DiscountedRows` validates and groups a table once; each
parameter vector is then evaluated on the distinct histories. :meth:`DiscountedRows.each` takes
all the vectors together: without covariates the sums are tabulated per distinct (x, T) and
vector in one call of the model's ``_discounted_if_alive_draws`` (BG/NBD's compiled series on a
(groups, vectors) grid: :func:`clvmodel.models._beta_geo_draws.discounted_if_alive_grid`), and only
P(alive) remains per history and vector (Pareto/NBD: a block of vectors at a time, from its
interpolated death tail, :mod:`clvmodel.models._pareto_alive_draws`).
"""

from __future__ import annotations

import numpy as np

from clvmodel.models._predictions import _check_discounting, _survival_rows, discounted_sum

__all__ = ["DiscountedRows", "discounted_if_alive_draws"]

#: Parameter vectors whose P(alive) is evaluated together where the model can (see
#: :func:`_alive_source`).
_ALIVE_BLOCK = 32


class DiscountedRows:
    """:meth:`~clvmodel.models.base.PurchaseModel.discounted_expected_purchases` of one table at
    many parameter vectors.

    Parameters
    ----------
    model : PurchaseModel
        The fitted model (the table passes its checks once).
    data : pandas.DataFrame
        RFM table (and the covariate columns).
    times, discount_factors : array_like
        Period ends and their discount factors, as in ``discounted_expected_purchases``.
    warn : bool
        Warn of covariates far outside the fitted range, as the model's predictions do.

    Attributes
    ----------
    rfm : ValidatedRFM
        The validated table.
    histories : tuple of numpy.ndarray
        x, t_x and T of the distinct histories.
    schedule : tuple of numpy.ndarray
        The period ends and discount factors, checked.
    group : numpy.ndarray
        The distinct history of each customer.
    first : numpy.ndarray
        The first customer of each distinct history.
    """

    def __init__(self, model, data, times, discount_factors, *, warn: bool = False):
        self.schedule = _check_discounting(times, discount_factors)
        # Out-of-range covariates are warned about by the caller's own prediction (``warn``:
        # here, when this serves as the prediction).
        self.rfm, p, histories, self.group, self.first = model._rows(data, warn=warn)
        self._histories = histories  # with the covariate matrices
        self.histories = histories[:3]
        x, _, age = self.histories
        # Without covariates the distinct (x, T) do not depend on the parameters: found once.
        shared = not any(np.ndim(v) for v in p.values())
        self._survival = _survival_rows(p, x, age, 0.0) if shared else None

    @property
    def xt_groups(self):
        """Without covariates, the distinct (x, T) of the histories: the group of each distinct
        history, and each group's x and T; None with covariates."""
        if self._survival is None:
            return None
        _, (ux, uage, _), back, _ = self._survival
        return back, ux, uage

    def __call__(self, model) -> np.ndarray:
        """The discounted expected purchases of each distinct history at ``model``'s parameters
        (a model of the same kind and covariates, e.g. one of ``parameter_samples``)."""
        x, t_x, age, z_p, z_d = self._histories
        p = model._individual(model._check_fitted(), z_p, z_d)
        if self._survival is None:
            survival = _survival_rows(p, x, age, 0.0)
        else:
            survival = ({k: p[k] for k in self._survival[0]}, *self._survival[1:])
        columns = model._expectations(p, x, t_x, age, 0.0, (), self.schedule, survival)
        return columns["discounted_expected_purchases"]

    def each(self, models):
        """The discounted expected purchases of each distinct history at each of ``models``'
        parameters, one array per model in their order (as ``[self(m) for m in models]``; a
        model given several times is evaluated once).

        Without covariates the sums given survival are tabulated for all the models at once,
        per distinct (x, T) and model; the models' P(alive) are then taken one at a time, so
        that one array per distinct history is held at a time."""
        distinct = list({id(m): m for m in models}.values())
        if self._survival is None or not distinct:
            values = {id(m): self(m) for m in distinct}
            yield from (values[id(m)] for m in models)
            return
        x, t_x, age, z_p, z_d = self._histories
        fitted = [m._individual(m._check_fitted(), z_p, z_d) for m in distinct]
        names = list(self._survival[0])
        params = {k: np.array([p[k] for p in fitted], dtype="float64") for k in names}
        _, (ux, uage, _), back, _ = self._survival
        kind = type(distinct[0])
        hook = getattr(kind, "_discounted_if_alive_draws", None)
        if hook is None:
            grid = discounted_if_alive_draws(
                kind._expected_if_alive, params, ux, uage, self.schedule
            )
        else:
            grid = hook(params, ux, uage, self.schedule)
        totals = np.ascontiguousarray(grid.T)  # each model's row contiguous for the gathers
        column = {id(m): k for k, m in enumerate(distinct)}
        alive_of = _alive_source(kind, distinct, fitted, (x, t_x, age))
        for m in models:
            k = column[id(m)]
            yield np.asarray(alive_of(k) * totals[k][back], dtype="float64")


def _alive_source(kind, distinct, fitted, histories):
    """P(alive) of the histories at the k-th distinct model, as a function of k: one model at a
    time, or, where the kind evaluates many vectors together (``_alive_over_draws``), a block
    of vectors at a time (the block holding k kept until another is asked for)."""
    hook = getattr(kind, "_alive_over_draws", None)
    if hook is None:

        def one(k):
            with np.errstate(all="ignore"):
                return distinct[k]._alive(fitted[k], *histories)

        return one
    block = {}

    def blocked(k):
        start = k - k % _ALIVE_BLOCK
        if start not in block:
            block.clear()
            vectors = fitted[start : start + _ALIVE_BLOCK]
            params = {name: np.array([p[name] for p in vectors]) for name in vectors[0]}
            block[start] = hook(params, *histories)
        return block[start][k - start]

    return blocked


def discounted_if_alive_draws(expected_if_alive, params, x, age, schedule) -> np.ndarray:
    """Σ_j d_j [E(t_j | alive) − E(t_{j−1} | alive)] per (x, T) and parameter vector, shape
    (groups, vectors), from ``expected_if_alive(params, x, T, t)`` broadcast over a (groups,
    vectors) grid (the generic form of a model's ``_discounted_if_alive_draws``).

    Parameters
    ----------
    expected_if_alive : callable
        The model's ``_expected_if_alive``.
    params : dict of numpy.ndarray
        Each parameter over the vectors.
    x, age : numpy.ndarray
        The distinct (x, T).
    schedule : tuple of numpy.ndarray
        Period ends and discount factors.

    Returns
    -------
    numpy.ndarray
    """
    grid = {k: v[None, :] for k, v in params.items()}
    shape = (x.size, next(iter(params.values())).size)
    with np.errstate(all="ignore"):
        return discounted_sum(
            schedule, lambda time: expected_if_alive(grid, x[:, None], age[:, None], time), shape
        )
