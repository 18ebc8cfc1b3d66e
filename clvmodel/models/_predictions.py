"""Predictions of every purchase model, from the model's functions (see :mod:`.base`).

Each prediction is evaluated once per distinct history (and covariates), then scattered back to
the customers, so its cost grows with the number of distinct histories, not of customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from clvmodel._grouping import group_rows
from clvmodel._rfm_validate import table_time_unit
from clvmodel.errors import InputError
from clvmodel.models._covariate_ranges import warn_model_ranges
from clvmodel.models._covariates import covariate_matrix
from clvmodel.models._horizon import check_horizon
from clvmodel.models._intervals import check_level, interval_columns, parameter_points
from clvmodel.rfm import validate_rfm

__all__ = ["PREDICTIONS", "PurchasePredictions", "check_horizon", "discounted_sum"]

PREDICTIONS = ("probability_alive", "probability_no_purchase", "expected_purchases")
_UNIT_WORDS = {"D": "days", "W": "weeks"}


class PurchasePredictions:
    """The prediction methods of :class:`~clvmodel.models.base.PurchaseModel`."""

    # ----------------------------------------------------------------------------------------------
    # Predictions, evaluated once per distinct history and scattered back.
    def _rows(self, data, *extra, time_unit=None, rfm=None, warn=True):
        """Validated histories and the grouping of identical rows (with ``extra`` per-row columns,
        such as a horizon per customer, taking part in the grouping): the table's RFM arrays, the
        parameters of each distinct row, its (x, t_x, T, purchase and dropout covariates), and the
        group of each customer and first customer of each group. ``rfm``: ``data`` already
        validated; ``warn=False``: covariates far out of range already warned about."""
        theta = self._check_fitted()
        rfm = validate_rfm(data, time_unit=time_unit) if rfm is None else rfm
        self._check_time_unit(data, time_unit)
        z_p = covariate_matrix(data, self.purchase_covariates, fitting=False)
        z_d = covariate_matrix(data, self.dropout_covariates, fitting=False)
        if warn:
            warn_model_ranges(self, (self.purchase_covariates, z_p), (self.dropout_covariates, z_d))
        columns = [rfm.frequency, rfm.recency, rfm.T, *extra, *z_p.T, *z_d.T]
        group, first = group_rows(*columns)
        p = self._individual(theta, z_p[first], z_d[first])
        x, t_x, age = (np.asarray(c, dtype="float64")[first] for c in columns[:3])
        return rfm, p, (x, t_x, age, z_p[first], z_d[first]), group, first

    def _check_time_unit(self, data, time_unit=None) -> None:
        """Refuse a table in another time unit than the model's: the unit given, or the one
        :func:`clvmodel.rfm_summary` recorded in ``data.attrs`` (lost by join, merge and concat,
        hence the argument)."""
        table_unit = table_time_unit(data, time_unit)
        model_unit = getattr(self, "time_unit_", None)
        if table_unit and model_unit and table_unit != model_unit:
            raise InputError(
                f"the RFM table is in {_UNIT_WORDS.get(table_unit, table_unit)} "
                f"(time_unit={table_unit!r}) but the model was fitted in "
                f"{_UNIT_WORDS.get(model_unit, model_unit)} (time_unit={model_unit!r}); rebuild "
                f"the table with time_unit={model_unit!r}, or fit the model on this table."
            )

    def _alive(self, p, x, t_x, age):
        return expit(-type(self)._log_odds_dead(p, x, t_x, age))

    def predict(
        self,
        data,
        t,
        which=PREDICTIONS,
        *,
        interval=None,
        method: str = "delta",
        n_draws: int = 200,
        seed=0,
        time_unit: str | None = None,
        discounting=None,
    ) -> pd.DataFrame:
        """Several history-conditional predictions at once, from one pass over the data.

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table with ``frequency``, ``recency``, ``T`` (and the covariate columns).
        t : float, array_like, pandas.Series or duration
            Horizon in the model's time unit (≥ 0), or a duration such as ``"39W"`` or ``"9M"``
            (converted to the model's unit); an array must have one value per customer,
            in the table's row order; a Series is matched to the rows by customer id (its index
            must hold each of the table's ids once).
        which : sequence of str
            Any of ``probability_alive``, ``probability_no_purchase`` and
            ``expected_purchases``; see the methods of the same names.
        interval : float, optional
            Add intervals at this level (e.g. 0.9): ``<name>_lower`` and ``<name>_upper`` for each
            prediction, the confidence interval of that expectation from parameter uncertainty;
            and, with ``expected_purchases``, ``purchases_lower``, ``purchases_upper`` and
            ``purchases_interval_mass``: the prediction interval of the number of purchases in
            the horizon from both sources (the conditional count distribution averaged over
            parameter uncertainty) and the probability the model gives it (at least ``interval``,
            the count being discrete). See :mod:`clvmodel.models._intervals`.
        method : {"delta", "draws", "bootstrap"}
            Parameter uncertainty by the delta method at sigma points (fast, the default), by
            ``n_draws`` draws of the parameters from their asymptotic normal, or by the
            replicates of :meth:`bootstrap` (percentiles for both).
        n_draws : int
            Parameter draws for ``method="draws"``.
        seed : int or numpy.random.Generator, optional
            Seed of the parameter draws (fixed by default, so results are reproducible).
        time_unit : {"D", "W"}, optional
            The time unit of ``recency``, ``T`` and ``t``, checked against the model's. By default
            the one :func:`clvmodel.rfm_summary` recorded in ``data.attrs`` (which join, merge and
            concat drop: pass it here when the table was rebuilt). With a unit, a customer with
            more repeat purchases than days in recency is refused.
        discounting : tuple of array_like, optional
            ``(times, discount_factors)``: also give the column ``discounted_expected_purchases``,
            that of :meth:`discounted_expected_purchases`, from the same pass over the data.

        Returns
        -------
        pandas.DataFrame
            One column per name in ``which`` (then the interval columns, then
            ``discounted_expected_purchases``), indexed like ``data``.
        """
        unknown = set(which) - set(PREDICTIONS)
        if unknown:
            raise InputError(f"unknown prediction(s) {sorted(unknown)}; choose from {PREDICTIONS}.")
        level = None if interval is None else check_level(interval)
        if method not in ("delta", "draws", "bootstrap"):
            raise InputError(
                f"method={method!r} is not known; use 'delta', 'draws' or 'bootstrap'."
            )
        # Over 80 lines for its docstring only.
        schedule = None if discounting is None else _check_discounting(*discounting)
        # In the unit given, frequency is bounded by the days in recency (as in a recorded one).
        rfm = validate_rfm(data, time_unit=time_unit)
        n = len(rfm.frequency)
        # A Series is matched to the rows by customer id; a duration converted to the unit.
        t = check_horizon(t, n, rfm.index, unit=getattr(self, "time_unit_", None))
        per_row = np.broadcast_to(t, (n,)) if t.ndim else None
        rfm, p, (x, t_x, age, *covariates), group, first = self._rows(
            data, *([per_row] if t.ndim else []), time_unit=time_unit, rfm=rfm
        )
        horizon = per_row[first] if t.ndim else t
        # The distinct (x, T, horizon) of the histories, found once for the expectations and the
        # intervals (which, without per-customer parameters, group the histories alike).
        needs_survival = (
            level is not None or schedule is not None or set(which) - {"probability_alive"}
        )
        survival = _survival_rows(p, x, age, horizon) if needs_survival else None
        columns = self._expectations(p, x, t_x, age, horizon, which, schedule, survival)
        discounted = columns.pop("discounted_expected_purchases", None)
        if level is not None:
            points = parameter_points(self, method, n_draws, seed)
            shared = not any(np.ndim(v) for v in p.values())
            histories = (x, t_x, age, *covariates)
            columns.update(
                interval_columns(
                    self, points, method, level, columns, histories, horizon, which,
                    grouping=survival[2:] if shared else None,
                )
            )  # fmt: skip
        if discounted is not None:
            columns["discounted_expected_purchases"] = discounted
        return _scattered(columns, group, rfm.index)

    def _expectations(self, p, x, t_x, age, horizon, which, schedule=None, survival=None) -> dict:
        """The requested expectations on distinct histories (see :meth:`predict`), with
        ``discounted_expected_purchases`` given a ``schedule`` (times, factors). The expectations
        given survival depend on (x, T) only, not t_x: they are evaluated once per distinct
        (x, T, horizon, parameters), each horizon once, and scattered back; ``survival``, the
        result of ``_survival_rows`` when the caller has it already."""
        model = type(self)
        columns = {}
        with np.errstate(all="ignore"):
            alive = self._alive(p, x, t_x, age)
            if schedule is None and all(name == "probability_alive" for name in which):
                return {name: np.asarray(alive, dtype="float64") for name in which}
            if survival is None:
                survival = _survival_rows(p, x, age, horizon)
            q, (ux, uage, uh), back, _ = survival
            cache = {}

            def if_alive(time):
                key = float(time) if np.ndim(time) == 0 else None
                if key is None or key not in cache:
                    cache[key] = model._expected_if_alive(q, ux, uage, time)
                return cache[key]

            for name in which:
                if name == "probability_alive":
                    values = alive
                elif name == "probability_no_purchase":
                    silent = model._pmf_if_alive(q, 0.0, ux, uage, uh)[back]
                    values = np.clip(1.0 - alive * (1.0 - silent), 0.0, 1.0)
                else:
                    values = alive * if_alive(uh)[back]
                columns[name] = np.asarray(values, dtype="float64")
            if schedule is not None:
                total = discounted_sum(schedule, if_alive, ux.size)
                columns["discounted_expected_purchases"] = alive * total[back]
        return columns

    def probability_alive(self, data, *, time_unit: str | None = None) -> pd.Series:
        """P(alive at T | x, t_x, T): the probability that each customer has not dropped out.

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table with ``frequency``, ``recency`` and ``T`` (and the covariate columns).
        time_unit : {"D", "W"}, optional
            Time unit of the table, checked against the model's (see :meth:`predict`).

        Returns
        -------
        pandas.Series
            One probability per customer, indexed like ``data``.
        """
        predictions = self.predict(data, 0.0, ("probability_alive",), time_unit=time_unit)
        return predictions["probability_alive"]

    def expected_purchases(self, data, t, *, time_unit: str | None = None) -> pd.Series:
        """Expected purchases in the next ``t`` time units given each customer's history,
        E[Y(t) | x, t_x, T] = P(alive) · E[purchases in (T, T + t] | alive].

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table with ``frequency``, ``recency`` and ``T`` (and the covariate columns).
        t : float, array_like, pandas.Series or duration
            Horizon in the model's time unit (≥ 0): one value per customer in row order, or a
            Series matched by customer id, or a duration such as ``"39W"`` (see :meth:`predict`).
        time_unit : {"D", "W"}, optional
            Time unit of the table, checked against the model's (see :meth:`predict`).

        Returns
        -------
        pandas.Series
            Indexed like ``data``.
        """
        predictions = self.predict(data, t, ("expected_purchases",), time_unit=time_unit)
        return predictions["expected_purchases"]

    def probability_no_purchase(self, data, t, *, time_unit: str | None = None) -> pd.Series:
        """P(no purchase in (T, T + t] | x, t_x, T): the churn risk over a horizon.

        A customer makes no purchase either because they have dropped out, or because they are
        alive and stay silent: 1 − P(alive) · (1 − P(no purchase | alive)).

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table (and the covariate columns).
        t : float, array_like or duration
            Horizon in the model's time unit, or a duration such as ``"39W"`` (converted to it).
        time_unit : {"D", "W"}, optional
            Time unit of the table, checked against the model's (see :meth:`predict`).

        Returns
        -------
        pandas.Series
            Indexed like ``data``.
        """
        predictions = self.predict(data, t, ("probability_no_purchase",), time_unit=time_unit)
        return predictions["probability_no_purchase"]

    def purchase_distribution(self, data, t, max_purchases: int = 10) -> pd.DataFrame:
        """The conditional count distribution P(X(T, T + t] = k | history), k = 0 … max_purchases.

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table (and the covariate columns).
        t : float or duration
            Horizon in the model's time unit, or a duration such as ``"39W"`` (converted to it).
        max_purchases : int
            Largest count shown; the probability of more is 1 minus the row's sum.

        Returns
        -------
        pandas.DataFrame
            One column per count (0, 1, …), one row per customer, indexed like ``data``.
        """
        if isinstance(max_purchases, bool) or not float(max_purchases).is_integer():
            raise InputError(f"max_purchases must be a whole number, got {max_purchases!r}.")
        if not 0 <= max_purchases <= 100_000:
            raise InputError(f"max_purchases must be between 0 and 100000, got {max_purchases}.")
        horizon = check_horizon(t, None, unit=getattr(self, "time_unit_", None))
        if horizon.ndim:
            raise InputError("purchase_distribution takes one horizon t for every customer.")
        rfm, p, (x, t_x, age, *_), group, _ = self._rows(data)
        counts = np.arange(int(max_purchases) + 1, dtype="float64")
        with np.errstate(all="ignore"):
            alive = self._alive(p, x, t_x, age)[:, None]
            pmf = type(self)._pmf_if_alive(
                _column_params(p), counts[None, :], x[:, None], age[:, None], float(horizon)
            )
            values = alive * pmf + (1.0 - alive) * (counts == 0)[None, :]
        return pd.DataFrame(
            np.clip(values, 0.0, 1.0)[group], index=rfm.index, columns=range(len(counts))
        )

    def discounted_expected_purchases(self, data, times, discount_factors) -> pd.Series:
        """Σ_k d_k · (E[Y(t_k) | history] − E[Y(t_{k−1}) | history]): expected purchases per
        period, each weighted by its discount factor (t_0 = 0).

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table (and the covariate columns).
        times : array_like
            Increasing period ends t_1 < t_2 < … in the model's time unit.
        discount_factors : array_like
            One factor per period, e.g. 1 / (1 + rate)^k.

        Returns
        -------
        pandas.Series
            Indexed like ``data``; with all factors 1 it equals ``expected_purchases(data, t_K)``.
        """
        schedule = _check_discounting(times, discount_factors)
        rfm, p, (x, t_x, age, *_), group, _ = self._rows(data)
        values = self._expectations(p, x, t_x, age, 0.0, (), schedule)
        name = "discounted_expected_purchases"
        return pd.Series(values[name][group], index=rfm.index, name=name)


def discounted_sum(schedule, cumulative_at, shape) -> np.ndarray:
    """Σ_j d_j [C(t_j) − C(t_{j−1})] with C(t_0) = 0: a cumulative expectation ``cumulative_at``
    (a function of the period end) weighed period by period by the discount factors, over the
    ``schedule`` (period ends, factors), in the order every discounted prediction sums it (so
    that all of them agree to the bit); ``shape`` is that of C's values."""
    total = np.zeros(shape)
    previous = np.zeros(shape)
    for time, factor in zip(*schedule, strict=True):
        cumulative = cumulative_at(time)
        total += factor * (cumulative - previous)
        previous = cumulative
    return total


def _scattered(columns: dict, group: np.ndarray, index) -> pd.DataFrame:
    """The columns of the distinct histories scattered back to the customers: float64 columns
    straight into one block (pandas would copy separate columns into one), others one by one."""
    values = list(columns.values())
    if not values or any(v.dtype != np.float64 or v.ndim != 1 for v in values):
        return pd.DataFrame({k: v[group] for k, v in columns.items()}, index=index)
    block = np.empty((len(values), group.size))
    for row, v in zip(block, values, strict=True):
        np.take(v, group, out=row, mode="clip")  # group holds valid positions; no buffering
    return pd.DataFrame(block.T, index=index, columns=list(columns), copy=False)


def _check_discounting(times, discount_factors) -> tuple[np.ndarray, np.ndarray]:
    """Period ends (finite, ≥ 0, increasing) and one finite discount factor each, as arrays."""
    times = check_horizon(times, None).reshape(-1)
    factors = np.asarray(discount_factors, dtype="float64").reshape(-1)
    if factors.shape != times.shape or not np.all(np.isfinite(factors)):
        raise InputError("discount_factors must be finite, one for each of times.")
    if (np.diff(times) < 0).any():
        raise InputError("times must be increasing.")
    return times, factors


def _survival_rows(p, x, age, horizon):
    """The distinct (x, T, horizon, per-row parameters) among distinct histories: their
    parameters, (x, T, horizon), the one of each history and the first history of each (as
    :func:`clvmodel._grouping.group_rows`)."""
    per_row = [v for v in p.values() if np.ndim(v)]
    group, first = group_rows(x, age, *([horizon] if np.ndim(horizon) else []), *per_row)
    q = {k: (v[first] if np.ndim(v) else v) for k, v in p.items()}
    return q, (x[first], age[first], horizon[first] if np.ndim(horizon) else horizon), group, first


def _column_params(p: dict) -> dict:
    """Per-row parameter arrays as columns, to broadcast against a (rows, counts) grid."""
    return {k: (v[:, None] if np.ndim(v) else v) for k, v in p.items()}
