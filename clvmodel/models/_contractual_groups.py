"""The distinct rows behind the contractual models' predictions, and each row's parameters.

A prediction for an active subscriber depends on their tenure t and their covariates z only, so
:class:`clvmodel.models._contractual_predictions.ContractualPredictions` evaluates it once per
distinct (t, z) among the active subscribers (cancelled ones get fixed values) and gives every
subscriber their row's value. The rows' parameters α_i, β_i (and c) are arrays, one entry per
row, so that every survival function and DERL sum runs over all rows at once: the cost grows with
the number of distinct rows, not with the number of distinct covariate vectors times a Python
loop. A new cohort (:func:`cohort_params`) is the same without tenures: the distinct covariate
vectors of the new subscribers, with their shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clvmodel._grouping import group_rows
from clvmodel.errors import InputError
from clvmodel.models._contractual_checks import (
    check_covariate_columns,
    check_discount_rate,
    check_periods_ahead,
    check_price_and_margin,
    finite_value,
)
from clvmodel.models._covariate_ranges import warn_model_ranges
from clvmodel.models._covariates import covariate_matrix
from clvmodel.subscriptions import validate_subscribers

__all__ = [
    "NewSubscriberPredictions",
    "SubscriberRows",
    "as_column",
    "cohort_params",
    "row_params",
    "subscriber_rows",
    "tile_rows",
]


@dataclass(frozen=True)
class SubscriberRows:
    """The distinct (tenure, covariates) rows of the active subscribers.

    Attributes
    ----------
    tenure : numpy.ndarray
        (rows,) each row's periods t.
    z_alpha, z_beta : numpy.ndarray
        (rows, covariates) each row's covariates (no columns without covariates).
    active : numpy.ndarray
        (subscribers,) True for the active subscribers.
    place : numpy.ndarray
        (active subscribers,) each active subscriber's row.
    """

    tenure: np.ndarray
    z_alpha: np.ndarray
    z_beta: np.ndarray
    active: np.ndarray
    place: np.ndarray

    def spread(self, values, fill: float) -> np.ndarray:
        """Per-row ``values`` (rows, ...) given to each subscriber, ``fill`` for the cancelled.

        Parameters
        ----------
        values : numpy.ndarray
            One value (or one row of values) per distinct row.
        fill : float
            The value of a cancelled subscriber.

        Returns
        -------
        numpy.ndarray
            (subscribers, ...).
        """
        values = np.asarray(values, dtype="float64")
        out = np.full((self.active.size, *values.shape[1:]), fill)
        out[self.active] = values[self.place]
        return out


def subscriber_rows(model, data):
    """Validated periods, cancelled flags and index of ``data``, and its
    :class:`SubscriberRows`.

    Parameters
    ----------
    model : ContractualModel
        Fitted; its covariates are read from ``data`` (every row's, cancelled or not).
    data : pandas.DataFrame
        Subscribers with ``periods``, ``cancelled`` and the covariate columns.

    Returns
    -------
    rows : SubscriberRows
    periods : numpy.ndarray
    cancelled : numpy.ndarray
    index : pandas.Index
    """
    model._check_fitted()
    periods, cancelled, index = validate_subscribers(data, getattr(model, "period_", None))
    check_covariate_columns(model, data)
    active = ~np.asarray(cancelled, dtype=bool)
    tenure = np.asarray(periods)[active]
    z_alpha = covariate_matrix(data, model.alpha_covariates, fitting=False)[active]
    z_beta = covariate_matrix(data, model.beta_covariates, fitting=False)[active]
    warn_model_ranges(
        model, (model.alpha_covariates, z_alpha), (model.beta_covariates, z_beta), who="subscribers"
    )
    place, first = group_rows(tenure, *z_alpha.T, *z_beta.T)
    rows = SubscriberRows(tenure[first], z_alpha[first], z_beta[first], active, place)
    return rows, periods, cancelled, index


def tile_rows(rows: SubscriberRows, n: int) -> SubscriberRows:
    """``rows`` repeated ``n`` times, as the rows of ``n`` copies of the subscribers one after
    another (for predictions at ``n`` parameter vectors in one call)."""
    copies = np.arange(n)[:, None]
    return SubscriberRows(
        np.tile(rows.tenure, n),
        np.tile(rows.z_alpha, (n, 1)),
        np.tile(rows.z_beta, (n, 1)),
        np.tile(rows.active, n),
        (copies * rows.tenure.size + rows.place[None, :]).ravel(),
    )


def row_params(model, z_alpha, z_beta, theta) -> dict:
    """Each row's parameters at the parameter vector ``theta``: α_i, β_i (and c) as float arrays
    of shape (rows,), from the rows' covariates (``model._individual``).

    Parameters
    ----------
    model : ContractualModel
    z_alpha, z_beta : numpy.ndarray
        (rows, covariates).
    theta : numpy.ndarray
        The model's parameter vector.

    Returns
    -------
    dict
    """
    shape = (z_alpha.shape[0],)
    own = model._individual(theta, z_alpha, z_beta)
    return {name: np.broadcast_to(np.asarray(v, dtype="float64"), shape) for name, v in own.items()}


def cohort_params(model, data) -> tuple[dict, np.ndarray]:
    """The parameters of new subscribers: the model's own without ``data`` (refused when the
    model has covariates), else one entry per distinct covariate vector of ``data`` with its
    share of the rows.

    Parameters
    ----------
    model : ContractualModel
        Fitted.
    data : pandas.DataFrame or None
        One row per new subscriber holding the covariate columns.

    Returns
    -------
    params : dict
        α, β (and c) as arrays of shape (vectors,).
    shares : numpy.ndarray
        (vectors,) summing to 1.

    Raises
    ------
    InputError
        The model has covariates and ``data`` is None, or ``data`` has no rows.
    """
    theta = model._check_fitted()
    names = list(model.alpha_covariates) + list(model.beta_covariates)
    if data is None and names:
        raise InputError(
            f"this {type(model).__name__} has covariates {names}, so the curve of a new "
            "subscriber differs by subscriber: pass data= with one row per new subscriber "
            "holding those columns (the result is their average), or get each subscriber's own "
            "curve from retention_curve(data) on rows with periods=0 and cancelled=0."
        )
    empty = np.empty((1, 0))
    if data is None:
        return row_params(model, empty, empty, theta), np.ones(1)
    check_covariate_columns(model, data)
    z_alpha = covariate_matrix(data, model.alpha_covariates, fitting=False)
    z_beta = covariate_matrix(data, model.beta_covariates, fitting=False)
    warn_model_ranges(
        model, (model.alpha_covariates, z_alpha), (model.beta_covariates, z_beta), who="subscribers"
    )
    if z_alpha.shape[0] == 0:
        raise InputError("data has no rows: pass one row per new subscriber.")
    if not names:  # every new subscriber has the model's own parameters
        return row_params(model, empty, empty, theta), np.ones(1)
    group, first = group_rows(*z_alpha.T, *z_beta.T)
    counts = np.bincount(group, minlength=first.size)
    params = row_params(model, z_alpha[first], z_beta[first], theta)
    return params, counts / counts.sum()


def as_column(p: dict) -> dict:
    """Parameters of shape (rows,) as (rows, 1), to broadcast against a grid of ages."""
    return {name: np.asarray(v)[:, None] for name, v in p.items()}


class NewSubscriberPredictions:
    """Mixin of :class:`clvmodel.models._contractual_predictions.ContractualPredictions`: the
    predictions for a new cohort, averaged over the new subscribers' covariates when given."""

    def survival_function(self, t, data=None) -> np.ndarray:
        """S(t) = P(T > t): the share of a new cohort still subscribed after t renewals.

        Parameters
        ----------
        t : int or array_like of int
            Periods since the start (≥ 0).
        data : pandas.DataFrame, optional
            One row per new subscriber holding the covariate columns (required with
            covariates): the result is then the cohort's, the mean of their own S_i(t).

        Returns
        -------
        float or numpy.ndarray

        Raises
        ------
        InputError
            The model has covariates and ``data`` is not given.
        """
        t = check_periods_ahead(t)
        p, shares = cohort_params(self, data)
        with np.errstate(divide="ignore"):
            values = shares @ np.exp(self._log_survival(as_column(p), t.reshape(1, -1))[0])
        return float(values[0]) if t.ndim == 0 else values.reshape(t.shape)

    def retention_rate(self, t, data=None) -> np.ndarray:
        """r(t) = S(t) / S(t − 1): the share of those subscribed in period t who renew (t ≥ 1).

        Parameters
        ----------
        t : int or array_like of int
        data : pandas.DataFrame, optional
            One row per new subscriber holding the covariate columns (required with
            covariates): the rate is then the cohort's, S̄(t)/S̄(t − 1) with S̄ the mean of their
            own S_i, i.e. their own rates averaged with weights S_i(t − 1).

        Returns
        -------
        float or numpy.ndarray

        Raises
        ------
        InputError
            The model has covariates and ``data`` is not given.
        """
        t = check_periods_ahead(t)
        if (t < 1).any():
            raise InputError(f"retention rates start at period 1, got {t.tolist()}.")
        p, shares = cohort_params(self, data)
        flat, column = t.reshape(1, -1), as_column(p)
        log_shares = np.log(shares)[:, None]
        with np.errstate(divide="ignore"):
            weight = log_shares + self._log_survival(column, flat - 1.0)[0]
        top = np.max(weight, axis=0)
        # Every S_i(t − 1) is 0 in logs: the subscribers' rates weighed by their shares.
        lost = np.isneginf(top)
        weight = np.exp(np.where(lost, log_shares, weight - np.where(lost, 0.0, top)))
        values = np.sum(weight * np.exp(self._log_retention(column, flat)), axis=0)
        values = values / np.sum(weight, axis=0)
        return float(values[0]) if t.ndim == 0 else values.reshape(t.shape)

    def discounted_expected_lifetime(self, discount_rate: float, data=None) -> float:
        """DEL(d) = Σ_{t ≥ 0} S(t) (1 + d)^−t: a new subscriber's expected discounted number of
        payments, the first (at signup) undiscounted (Fader and Hardie 2010).

        Parameters
        ----------
        discount_rate : float
            Per billing period.
        data : pandas.DataFrame, optional
            One row per new subscriber holding the covariate columns (required with
            covariates): the result is then the mean of their own DEL_i(d).

        Returns
        -------
        float
            ``inf`` when d = 0 and the expected lifetime is infinite.

        Raises
        ------
        InputError
            The model has covariates and ``data`` is not given.
        """
        d = check_discount_rate(discount_rate)
        p, shares = cohort_params(self, data)
        # S(t) = S(0 + 1 + (t − 1)) / S(0): DERL at tenure 0 counts payments 2, 3, …
        lifetimes = 1.0 + self._derl(p, np.zeros(shares.size), d) / (1.0 + d)
        return float(shares @ lifetimes) if np.isfinite(lifetimes).all() else np.inf

    def lifetime_value_new(
        self, price: float, margin: float, discount_rate: float, data=None
    ) -> float:
        """Expected discounted value of a subscriber just acquired: price × margin × DEL(d).

        Parameters
        ----------
        price : float
            Price per billing period.
        margin : float
            Share of the price kept as profit (between 0 and 1 for a margin rate).
        discount_rate : float
            Per billing period.
        data : pandas.DataFrame, optional
            One row per new subscriber holding the covariate columns (required with
            covariates): the value is then their mean.

        Returns
        -------
        float

        Raises
        ------
        InputError
            At ``discount_rate=0`` when the model's expected lifetime is infinite; when the model
            has covariates and ``data`` is not given.
        """
        price, margin = check_price_and_margin(price, margin)
        if price.ndim:
            raise InputError(f"price must be one number per period, got {price.size} values.")
        d = check_discount_rate(discount_rate)
        lifetime = self.discounted_expected_lifetime(d, data)
        finite_value(lifetime, d, "the lifetime value of a new subscriber", self._heavy_tail)
        return float(price) * margin * lifetime
