"""Predictions of the contractual models: a new cohort (survival, retention, DEL, value) and
subscribers with a history (retention curve, churn risk, DERL, residual value), and simulation.

A mixin of :class:`clvmodel.models._contractual.ContractualModel` (see that module for the
formulas); it uses the model's ``_params``, ``_individual``, ``_log_survival`` and
``_check_fitted``."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
from clvmodel.models._contractual_intervals import predictions_at, subscriber_intervals
from clvmodel.models._covariates import covariate_matrix
from clvmodel.models._intervals import check_level
from clvmodel.subscriptions import validate_subscribers


class ContractualPredictions(DiscountedLifetimeSums):
    """Mixin of :class:`clvmodel.models._contractual.ContractualModel`: its predictions."""

    # ----------------------------------------------------------------------------------------------
    # A subscriber just acquired
    def survival_function(self, t) -> np.ndarray:
        """S(t) = P(T > t): the share of a new cohort still subscribed after t renewals.

        Parameters
        ----------
        t : int or array_like of int
            Periods since the start (≥ 0).

        Returns
        -------
        float or numpy.ndarray
        """
        t = check_periods_ahead(t)
        p = self._params(self._check_fitted())
        with np.errstate(divide="ignore"):
            values = np.exp(self._log_survival(p, t)[0])
        return float(values) if values.ndim == 0 else values

    def retention_rate(self, t) -> np.ndarray:
        """r(t) = S(t) / S(t − 1): the share of those subscribed in period t who renew (t ≥ 1).

        Parameters
        ----------
        t : int or array_like of int

        Returns
        -------
        float or numpy.ndarray
        """
        t = check_periods_ahead(t)
        if (t < 1).any():
            raise InputError(f"retention rates start at period 1, got {t.tolist()}.")
        p = self._params(self._check_fitted())
        values = np.exp(self._log_retention(p, t))
        return float(values) if values.ndim == 0 else values

    def discounted_expected_lifetime(self, discount_rate: float) -> float:
        """DEL(d) = Σ_{t ≥ 0} S(t) (1 + d)^−t: a new subscriber's expected discounted number of
        payments, the first (at signup) undiscounted (Fader and Hardie 2010).

        Parameters
        ----------
        discount_rate : float
            Per billing period.

        Returns
        -------
        float
            ``inf`` when d = 0 and the expected lifetime is infinite.
        """
        d = check_discount_rate(discount_rate)
        p = self._params(self._check_fitted())
        # S(t) = S(0 + 1 + (t − 1)) / S(0): DERL at tenure 0 counts payments 2, 3, …
        return float(1.0 + self._derl(p, np.zeros(1), d)[0] / (1.0 + d))

    def lifetime_value_new(self, price: float, margin: float, discount_rate: float) -> float:
        """Expected discounted value of a subscriber just acquired: price × margin × DEL(d).

        Parameters
        ----------
        price : float
            Price per billing period.
        margin : float
            Share of the price kept as profit (between 0 and 1 for a margin rate).
        discount_rate : float
            Per billing period.

        Returns
        -------
        float

        Raises
        ------
        InputError
            At ``discount_rate=0`` when the model's expected lifetime is infinite.
        """
        price, margin = check_price_and_margin(price, margin)
        if price.ndim:
            raise InputError(f"price must be one number per period, got {price.size} values.")
        d = check_discount_rate(discount_rate)
        lifetime = self.discounted_expected_lifetime(d)
        finite_value(lifetime, d, "the lifetime value of a new subscriber", self._heavy_tail)
        return float(price) * margin * lifetime

    @property
    def _heavy_tail(self) -> str:
        """The condition, in words, under which the expected lifetime is infinite."""
        return "cα ≤ 1" if "c" in type(self).param_names else "α ≤ 1"

    # ----------------------------------------------------------------------------------------------
    # Subscribers with a history
    def _tenure(self, data, theta=None):
        """Validated periods, cancelled flags and index, and the parameter groups at ``theta``
        (default: the estimate): a list of (rows, parameters), one per distinct covariate
        vector (one group without covariates)."""
        layout, periods, cancelled, index = self._layout(data)
        groups = self._at(layout, self._check_fitted() if theta is None else theta)
        return groups, periods, cancelled, index

    def _layout(self, data):
        """Validated periods, cancelled flags and index, and per distinct covariate vector: its
        rows, the vector (z_alpha, z_beta, each of shape (1, covariates)), the rows' distinct
        tenures and each row's place among them."""
        self._check_fitted()
        periods, cancelled, index = validate_subscribers(data, getattr(self, "period_", None))
        if not self.has_covariates:
            parts = [(np.arange(periods.size), np.empty((1, 0)), np.empty((1, 0)))]
        else:
            z_alpha = covariate_matrix(data, self.alpha_covariates, fitting=False)
            z_beta = covariate_matrix(data, self.beta_covariates, fitting=False)
            z = np.column_stack([z_alpha, z_beta])
            distinct, group = np.unique(z, axis=0, return_inverse=True)
            group = np.asarray(group).reshape(-1)
            ka = z_alpha.shape[1]
            parts = [
                (np.flatnonzero(group == g), distinct[g : g + 1, :ka], distinct[g : g + 1, ka:])
                for g in range(distinct.shape[0])
            ]
        layout = [(rows, za, zb, *np.unique(periods[rows], return_inverse=True))
                  for rows, za, zb in parts]  # fmt: skip
        return layout, periods, cancelled, index

    def _at(self, layout, theta) -> list:
        """The groups of a layout at the parameter vector ``theta``: (rows, parameters, distinct
        tenures, each row's place among them)."""
        groups = []
        for rows, za, zb, distinct, place in layout:
            own = self._individual(theta, za, zb)
            groups.append(
                (rows, {k: float(np.ravel(v)[0]) for k, v in own.items()}, distinct, place)
            )
        return groups

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
        groups, t, cancelled, index = self._tenure(data)
        k = np.arange(int(check_periods_ahead(periods)) + 1, dtype="float64")
        values = np.empty((t.size, k.size))
        for rows, p, distinct, group in groups:
            with np.errstate(divide="ignore"):
                grid = self._log_survival(p, distinct[:, None] + k[None, :])[0]
                base = self._log_survival(p, distinct)[0][:, None]
                values[rows] = np.exp(survival_log_ratio(grid, base))[group]
        values[cancelled] = 0.0
        return pd.DataFrame(values, index=index, columns=k.astype("int64"))

    def probability_cancel(self, data, periods) -> pd.Series:
        """P(T ≤ t + k | T > t): the risk that a subscriber cancels at one of their next k
        renewal decisions (1 for those who already cancelled).

        Parameters
        ----------
        data : pandas.DataFrame
            Subscribers with ``periods`` (t) and ``cancelled``.
        periods : int or array_like
            k, one number or one per subscriber.

        Returns
        -------
        pandas.Series
        """
        groups, t, cancelled, index = self._tenure(data)
        k = periods_per_subscriber(periods, t.size)
        values = self._cancel_within(groups, t, cancelled, k)
        return pd.Series(values, index=index, name="probability_cancel")

    def _cancel_within(self, groups, t, cancelled, k) -> np.ndarray:
        """P(T ≤ t + k | T > t) per subscriber from the groups of :meth:`_at` (once per distinct
        tenure when k is one number)."""
        log_ratio = np.empty(t.size)
        for rows, p, distinct, place in groups:
            base, ahead = (
                (distinct, distinct + k) if np.ndim(k) == 0 else (t[rows], t[rows] + k[rows])
            )
            with np.errstate(divide="ignore"):
                values = survival_log_ratio(
                    self._log_survival(p, ahead)[0], self._log_survival(p, base)[0]
                )
            log_ratio[rows] = values[place] if np.ndim(k) == 0 else values
        # 0.0 − expm1: k = 0 gives 0.0, where −expm1(0.0) is −0.0 ("-0.0" in a CSV).
        return np.where(cancelled, 1.0, 0.0 - np.expm1(log_ratio))

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
            Price per period: one number, the name of a column of ``data``, or one per row.
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
        price, margin = check_price_and_margin(price, margin)
        if price.ndim and price.size != derl.size:
            raise InputError(
                f"price must be one number, or one per subscriber: got {price.size} prices for "
                f"{derl.size} subscribers."
            )
        return (price * margin * derl).rename("residual_value")

    def predict(
        self, data, periods, discount_rate=None, *, interval=None, method="delta", n_draws=200,
        seed=0,
    ) -> pd.DataFrame:  # fmt: skip
        """The per-subscriber predictions at once: ``probability_cancel`` within ``periods``
        renewal decisions, ``expected_residual_lifetime`` and, given a discount rate, ``derl``.

        Parameters
        ----------
        data : pandas.DataFrame
            Subscribers with ``periods`` and ``cancelled``.
        periods : int or array_like
            Horizon k in renewal decisions (one, or one per subscriber).
        discount_rate : float, optional
            Per billing period; adds the ``derl`` column.
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
        layout, t, cancelled, index = self._layout(data)
        k = periods_per_subscriber(periods, t.size)
        d = None if discount_rate is None else check_discount_rate(discount_rate)
        subscribers = (layout, t, cancelled, k, d)
        columns = predictions_at(self, subscribers, self._check_fitted())
        if interval is not None:
            level = check_level(interval)
            limits = subscriber_intervals(self, subscribers, columns, level, method, n_draws, seed)
            columns |= limits
        return pd.DataFrame(columns, index=index)

    def _per_subscriber(self, data, d: float) -> pd.Series:
        groups, t, cancelled, index = self._tenure(data)
        return pd.Series(self._derl_per_row(groups, t, cancelled, d), index=index)

    def _derl_per_row(self, groups, t, cancelled, d: float) -> np.ndarray:
        """DERL(d) per subscriber from the groups of :meth:`_at`, once per distinct tenure."""
        values = np.empty(t.size)
        for rows, p, distinct, place in groups:
            values[rows] = self._derl(p, distinct, d)[place]
        return np.where(cancelled, 0.0, values)

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
        rng = np.random.default_rng(random_state)
        n = int(check_number("n_subscribers", n_subscribers, low=0))
        if n != n_subscribers:
            raise InputError(f"n_subscribers must be a whole number ≥ 0, got {n_subscribers!r}.")
        horizon = np.broadcast_to(
            periods_per_subscriber(observed_periods, n, "observed_periods"), (n,)
        )
        theta = rng.beta(p["alpha"], p["beta"], size=n)
        with np.errstate(divide="ignore"):
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
