"""Predictions of the contractual models for subscribers with a history (retention curve, churn
risk, DERL, residual value), and simulation; those of a new cohort (survival, retention, DEL,
value) are in :mod:`clvmodel.models._contractual_groups`.

A mixin of :class:`clvmodel.models._contractual.ContractualModel` (see that module for the
formulas); it uses the model's ``_params``, ``_individual``, ``_log_survival`` and
``_check_fitted``. Each prediction is made once per distinct (tenure, covariates) row of the
active subscribers, with per-row parameter arrays
(:mod:`clvmodel.models._contractual_groups`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._random import random_generator
from clvmodel._units import check_number
from clvmodel.errors import InputError
from clvmodel.models._contractual_checks import (
    check_discount_rate,
    check_periods_ahead,
    check_price_and_margin,
    finite_value,
    periods_per_subscriber,
)
from clvmodel.models._contractual_derl import DiscountedLifetimeSums, survival_log_ratio
from clvmodel.models._contractual_groups import (
    NewSubscriberPredictions,
    as_column,
    row_params,
    subscriber_rows,
)
from clvmodel.models._contractual_intervals import (
    PREDICTION_COLUMNS,
    predictions_at,
    subscriber_intervals,
)
from clvmodel.models._intervals import check_level
from clvmodel.models._opportunity_counts import check_which

# The most values retention_curve returns (1.6 GB of float64): a larger table is refused.
_MAX_CURVE_VALUES = 2 * 10**8


class ContractualPredictions(NewSubscriberPredictions, DiscountedLifetimeSums):
    """Mixin of :class:`clvmodel.models._contractual.ContractualModel`: its predictions (those of
    a new cohort from :class:`NewSubscriberPredictions`)."""

    @property
    def _heavy_tail(self) -> str:
        """The condition, in words, under which the expected lifetime is infinite."""
        return "cα ≤ 1" if "c" in type(self).param_names else "α ≤ 1"

    # ----------------------------------------------------------------------------------------------
    # Subscribers with a history
    def _tenure(self, data, theta=None):
        """The distinct rows of ``data`` (:func:`subscriber_rows`), their parameters at
        ``theta`` (default: the estimate; :meth:`_at`), and the periods, cancelled flags and
        index."""
        rows, periods, cancelled, index = self._layout(data)
        p = self._at(rows, self._check_fitted() if theta is None else theta)
        return (rows, p), periods, cancelled, index

    def _layout(self, data):
        """Validated periods, cancelled flags and index, and the distinct (tenure, covariates)
        rows of the active subscribers (:class:`SubscriberRows`)."""
        return subscriber_rows(self, data)

    def _at(self, rows, theta) -> dict:
        """The rows' parameters at the parameter vector ``theta``: arrays of shape (rows,)."""
        return row_params(self, rows.z_alpha, rows.z_beta, theta)

    def retention_curve(self, data, periods: int = 12) -> pd.DataFrame:
        """P(still subscribed after k more renewals | history) = S(t + k) / S(t), k = 0 … periods.

        Parameters
        ----------
        data : pandas.DataFrame
            Subscribers with ``periods`` (t) and ``cancelled``.
        periods : int
            Largest k.

        Returns
        -------
        pandas.DataFrame
            One column per k, indexed like ``data`` (0 throughout for cancelled subscribers).
        """
        (rows, p), t, cancelled, index = self._tenure(data)
        largest = check_periods_ahead(periods)
        if largest.ndim:
            raise InputError(
                f"periods is the largest number of renewals ahead, one whole number ≥ 0 (the "
                f"curve covers 0, 1, …, periods), got {periods!r}."
            )
        size = len(index) * (int(largest) + 1)
        if size > _MAX_CURVE_VALUES:  # 8 bytes a value and as much again while computing
            raise InputError(
                f"retention_curve(periods={int(largest)}) would be a table of {len(index)} "
                f"subscribers × {int(largest) + 1} columns ({size:.3g} values, more than "
                f"{_MAX_CURVE_VALUES:.0e}); ask for fewer periods or subscribers at a time, or "
                "use probability_cancel(data, k) for one horizon k."
            )
        k = np.arange(int(largest) + 1, dtype="float64")
        with np.errstate(divide="ignore"):
            grid = self._log_survival(as_column(p), rows.tenure[:, None] + k[None, :])[0]
            base = self._log_survival(p, rows.tenure)[0][:, None]
            values = rows.spread(np.exp(survival_log_ratio(grid, base)).reshape(-1, k.size), 0.0)
        return pd.DataFrame(values, index=index, columns=k.astype("int64"))

    def probability_cancel(self, data, periods) -> pd.Series:
        """P(T ≤ t + k | T > t): the risk that a subscriber cancels at one of their next k
        renewal decisions (1 for those who already cancelled).

        Parameters
        ----------
        data : pandas.DataFrame
            Subscribers with ``periods`` (t) and ``cancelled``.
        periods : int or array_like
            k, one number or one per subscriber (a pandas Series is matched by subscriber id).

        Returns
        -------
        pandas.Series
        """
        (rows, p), t, cancelled, index = self._tenure(data)
        k = periods_per_subscriber(periods, t.size, index=index)
        values = self._cancel_within(rows, p, t, k)
        return pd.Series(values, index=index, name="probability_cancel")

    def _cancel_within(self, rows, p, t, k) -> np.ndarray:
        """P(T ≤ t + k | T > t) per subscriber from the rows of :meth:`_layout` and their
        parameters (:meth:`_at`): once per row when k is one number, else per active
        subscriber."""
        if np.ndim(k) == 0:
            base, ahead = rows.tenure, rows.tenure + k
        else:
            p = {name: v[rows.place] for name, v in p.items()}
            base = t[rows.active]
            ahead = base + k[rows.active]
        with np.errstate(divide="ignore"):
            log_ratio = survival_log_ratio(
                self._log_survival(p, ahead)[0], self._log_survival(p, base)[0]
            )
        # 0.0 − expm1: k = 0 gives 0.0, where −expm1(0.0) is −0.0 ("-0.0" in a CSV).
        values = 0.0 - np.expm1(log_ratio)
        if np.ndim(k) == 0:
            return rows.spread(values, 1.0)
        out = np.ones(t.size)
        out[rows.active] = values
        return out

    def expected_residual_lifetime(self, data) -> pd.Series:
        """E[T − t − 1 | T > t]: the expected number of further payments (renewals), i.e. DERL
        at d = 0; ``inf`` where the model's mean lifetime is infinite, 0 for cancelled
        subscribers.

        Parameters
        ----------
        data : pandas.DataFrame
            Subscribers with ``periods`` and ``cancelled``.

        Returns
        -------
        pandas.Series
        """
        values = self._per_subscriber(data, 0.0)
        return values.rename("expected_residual_lifetime")

    def discounted_expected_residual_lifetime(self, data, discount_rate: float) -> pd.Series:
        """DERL(d): expected discounted payments still to come, the next renewal undiscounted
        (Fader and Hardie 2010); 0 for cancelled subscribers, ``inf`` at d = 0 where the model's
        mean lifetime is infinite (:meth:`residual_value` refuses that value).

        Parameters
        ----------
        data : pandas.DataFrame
            Subscribers with ``periods`` and ``cancelled``.
        discount_rate : float
            Per billing period.

        Returns
        -------
        pandas.Series
        """
        values = self._per_subscriber(data, check_discount_rate(discount_rate))
        return values.rename("derl")

    def residual_value(self, data, price, margin: float, discount_rate: float) -> pd.Series:
        """Residual CLV = price × margin × DERL(d): the value of each subscriber's future
        payments.

        Parameters
        ----------
        data : pandas.DataFrame
            Subscribers with ``periods`` and ``cancelled``.
        price : float, str or array_like
            Price per period: one number, the name of a column of ``data``, or one per row (a
            pandas Series is matched by subscriber id).
        margin : float
            Share of the price kept as profit.
        discount_rate : float
            Per billing period.

        Returns
        -------
        pandas.Series

        Raises
        ------
        InputError
            At ``discount_rate=0`` when the model's expected lifetime is infinite (a residual
            value of an active subscriber would be infinite).
        """
        d = check_discount_rate(discount_rate)
        derl = self.discounted_expected_residual_lifetime(data, d)
        finite_value(derl.to_numpy(), d, "the residual value", self._heavy_tail)
        if isinstance(price, str):
            if price not in getattr(data, "columns", ()):
                raise InputError(f"data have no price column {price!r}.")
            price = data[price]
        price, margin = check_price_and_margin(price, margin, derl.index)
        if price.ndim and price.size != derl.size:
            raise InputError(
                f"price must be one number, or one per subscriber: got {price.size} prices for "
                f"{derl.size} subscribers."
            )
        return (price * margin * derl).rename("residual_value")

    def predict(
        self, data, periods, discount_rate=None, *, which=None, interval=None, method="delta",
        n_draws=200, seed=0,
    ) -> pd.DataFrame:  # fmt: skip
        """The per-subscriber predictions at once: ``probability_cancel`` within ``periods``
        renewal decisions, ``expected_residual_lifetime`` and, given a discount rate, ``derl``.

        Parameters
        ----------
        data : pandas.DataFrame
            Subscribers with ``periods`` and ``cancelled``.
        periods : int or array_like
            Horizon k in renewal decisions (one, or one per subscriber; a pandas Series is
            matched by subscriber id).
        discount_rate : float, optional
            Per billing period; adds the ``derl`` column.
        which : list of str, optional
            The columns to compute, of ``probability_cancel``, ``expected_residual_lifetime`` and
            ``derl`` (all by default): the undiscounted residual lifetime is the costly one.
        interval : float, optional
            Adds ``<column>_lower``/``_upper``: confidence intervals at this level (e.g. 0.9)
            from parameter uncertainty (:mod:`clvmodel.models._contractual_intervals`).
        method, n_draws, seed
            ``"delta"`` (sigma points), ``"draws"`` (``n_draws`` draws, ``seed``) or
            ``"bootstrap"`` (the replicates of :meth:`bootstrap`).

        Returns
        -------
        pandas.DataFrame
            Indexed like ``data``.
        """
        rows, t, cancelled, index = self._layout(data)
        k = periods_per_subscriber(periods, t.size, index=index)
        d = None if discount_rate is None else check_discount_rate(discount_rate)
        subscribers = (rows, t, cancelled, k, d)
        columns = predictions_at(self, subscribers, self._check_fitted(), _which(which, d))
        if interval is not None:
            level = check_level(interval)
            limits = subscriber_intervals(self, subscribers, columns, level, method, n_draws, seed)
            columns |= limits
        return pd.DataFrame(columns, index=index)

    def _per_subscriber(self, data, d: float) -> pd.Series:
        (rows, p), t, cancelled, index = self._tenure(data)
        return pd.Series(self._derl_per_row(rows, p, d), index=index)

    def _derl_per_row(self, rows, p, d: float) -> np.ndarray:
        """DERL(d) per subscriber, once per row of :meth:`_layout` (0 for the cancelled)."""
        return rows.spread(self._derl(p, rows.tenure, d), 0.0)

    # ----------------------------------------------------------------------------------------------
    def simulate(self, n_subscribers: int, observed_periods, random_state=None) -> pd.DataFrame:
        """Draw subscribers from the model, each observed for their own number of periods.

        θ_i ~ Beta(α, β); given θ_i, P(T_i > t) = (1 − θ_i)^u(t), drawn by inversion:
        T_i = ⌈(ln U / ln(1 − θ_i))^{1/c}⌉ with U ~ Uniform(0, 1).

        Parameters
        ----------
        n_subscribers : int
            How many subscribers.
        observed_periods : int or array_like of int
            Periods observed per subscriber (one number, or one per subscriber): a subscriber
            whose lifetime exceeds it is active with ``periods`` = observed_periods.
        random_state : int or numpy.random.Generator, optional

        Returns
        -------
        pandas.DataFrame
            ``periods``, ``cancelled`` and the true ``lifetime``, one row per subscriber.
        """
        p = self._params(self._check_fitted())
        if self.has_covariates:  # it would draw every subscriber at covariates 0
            names = list(dict.fromkeys([*self.alpha_covariates, *self.beta_covariates]))
            raise InputError(
                f"simulate draws subscribers of one population, and this {type(self).__name__} "
                f"has covariates {names}; simulate each group from a model without covariates "
                "at that group's parameters (from_params)."
            )
        rng = random_generator(random_state, "random_state")
        n = int(check_number("n_subscribers", n_subscribers, low=0))
        if n != n_subscribers:
            raise InputError(f"n_subscribers must be a whole number ≥ 0, got {n_subscribers!r}.")
        horizon = np.broadcast_to(
            periods_per_subscriber(observed_periods, n, "observed_periods"), (n,)
        )
        theta = rng.beta(p["alpha"], p["beta"], size=n)
        with np.errstate(divide="ignore", over="ignore"):  # θ of 0 or subnormal: endless
            y = np.log(rng.uniform(size=n)) / np.log1p(-theta)
        with np.errstate(over="ignore"):  # a θ near 0 (BdW, small c): an endless lifetime, capped
            lifetime = np.maximum(np.ceil(y ** (1.0 / p.get("c", 1.0))), 1.0)
        cancelled = lifetime <= horizon
        return pd.DataFrame(
            {
                "periods": np.where(cancelled, lifetime, horizon).astype("int64"),
                "cancelled": cancelled.astype("int64"),
                "lifetime": np.minimum(lifetime, 2.0**62).astype("int64"),
            },
            index=pd.RangeIndex(n, name="subscriber"),
        )


def _which(which, discount_rate) -> list[str]:
    """The columns ``predict`` is asked for, checked (all without ``which``)."""
    if which is None:
        return list(PREDICTION_COLUMNS)
    names = check_which(which, PREDICTION_COLUMNS)
    if "derl" in names and discount_rate is None:
        raise InputError("which names 'derl', which needs a discount_rate.")
    return names
