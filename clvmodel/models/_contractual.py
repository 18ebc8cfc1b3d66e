"""Shared machinery of the contractual (subscription) models: likelihood, predictions, value.

A subscriber pays for periods 1, 2, …, T and then cancels; their lifetime T is what the models
describe, through the survivor function of a subscriber just acquired,

    S(t) = P(T > t) = B(α, β + u(t)) / B(α, β),

with u(t) = t for the shifted-beta-geometric model and u(t) = t^c for the beta-discrete-Weibull
model (θ ~ Beta(α, β) and, given θ, P(T > t | θ) = (1 − θ)^u(t)). The data are one row per
subscriber (see :mod:`clvmodel.subscriptions`): a cancelled subscriber contributes
P(T = t) = S(t − 1) − S(t), an active one S(t), with t their ``periods``; rows are fitted once per
distinct (periods, cancelled) with counts.

Every prediction for an active subscriber who has completed t periods is conditional on T > t:

    P(still subscribed after k more renewals) = S(t + k) / S(t),
    DERL(d) = Σ_{k ≥ 0} S(t + 1 + k) / S(t) · (1 + d)^−k

(Fader and Hardie 2010, "Customer-base valuation in a contractual setting: the perils of ignoring
heterogeneity", Marketing Science 29(1), 85-93): the expected number of payments still to come,
valued just before the next renewal decision, so that the next payment is not discounted; at
d = 0 it is the expected residual lifetime E[T − t − 1 | T > t]. A cancelled subscriber has none.

Covariates (a plan, a channel) are a mode of every contractual model, as of the purchase models
(:mod:`clvmodel.models.base`): subscriber i gets α_i = α₀ exp(γ_αᵀz_i) and β_i = β₀ exp(γ_βᵀz_i),
log-links on the two shape parameters of the churn-probability distribution (the mean churn
probability α/(α + β) falls as β_i grows). Predictions are made per distinct covariate vector.

The model's ``time_unit_`` is the billing period ("M", "W" or "Y"), saved in the model file.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.special import psi

from clvmodel.errors import ClvError, InputError
from clvmodel.models._covariates import covariate_matrix, covariate_names, linear_predictor
from clvmodel.models._fit import MaximumLikelihoodModel, _weighted_compress, check_weights
from clvmodel.models._log_gamma import log_gamma_shift
from clvmodel.subscriptions import PERIODS, validate_subscribers

__all__ = ["ContractualModel", "check_discount_rate"]

# Terms of a direct sum are added in blocks until the remainder is below this share of the sum.
_SUM_TOLERANCE = 1e-15
_SUM_BLOCK = 4096
_SUM_MAX_TERMS = 2**17
_SUM_MAX_TERMS_DISCOUNTED = 2**20


def check_discount_rate(discount_rate) -> float:
    """A discount rate per period: a finite number ≥ 0."""
    try:
        d = float(discount_rate)
    except (TypeError, ValueError):
        raise InputError(
            f"discount_rate must be a number per billing period, got {discount_rate!r}."
        ) from None
    if not np.isfinite(d) or d < 0:
        raise InputError(
            f"discount_rate must be finite and ≥ 0, got {discount_rate!r}; for 10 % a year with "
            "monthly billing use 1.10 ** (1 / 12) - 1."
        )
    return d


_PIECE_NODES, _PIECE_WEIGHTS = np.polynomial.legendre.leggauss(20)


def _power_exp(q: float, y: np.ndarray) -> np.ndarray:
    """J(q, y) = ∫_0^∞ exp((1 − q) w − y (e^w − 1)) dw, i.e. ∫_1^∞ v^−q e^−y(v−1) dv with
    v = e^w: 1/(q − 1) at y = 0 (q > 1). The log-integrand is concave in w, at most y below its
    peak at w = 0 or w* = ln((1 − q)/y), and falls super-exponentially once y e^w ≫ 1; composite
    Gauss-Legendre on pieces of width ½ up to 50 below the peak."""
    y = np.asarray(y, dtype="float64")
    if not (y > 0).any():
        return np.full(y.shape, 1.0 / (q - 1.0))
    safe = np.where(y > 0, y, 1.0)
    peak = np.log(np.maximum((1.0 - q) / safe, 1.0))
    end = peak + np.log1p(60.0 / safe) + 60.0 / max(q - 1.0, 1.0) * (q > 1.0)
    end = np.minimum(end, peak + 200.0)
    pieces = int(np.ceil(np.max(end) / 0.5))
    width = end / pieces
    total = np.zeros(y.shape)
    for piece in range(pieces):
        w = (piece + (_PIECE_NODES + 1.0) / 2) * width[..., None]
        h = (1.0 - q) * w - safe[..., None] * np.expm1(w)
        total += width / 2 * (np.exp(h) @ _PIECE_WEIGHTS)
    return np.where(y > 0, total, 1.0 / (q - 1.0) if q > 1.0 else np.inf)


def _check_periods_ahead(k) -> np.ndarray:
    values = np.asarray(k, dtype="float64")
    if not np.all(np.isfinite(values)) or (values < 0).any() or (values != np.round(values)).any():
        raise InputError(f"the number of periods ahead must be whole numbers ≥ 0, got {k!r}.")
    return values


class ContractualModel(MaximumLikelihoodModel):
    """Base class of the subscription models; see the module docstring.

    Subclasses set ``param_names`` (``alpha``, ``beta`` first) and ``_exponent``.

    Examples
    --------
    The predictions, with the sBG parameters of Fader and Hardie's (2007) "regular" cohort, for
    subscribers who have renewed 0, 3 and 10 times and one who cancelled after 4 periods:

    >>> import pandas as pd
    >>> from clvmodel.models.shifted_beta_geo import ShiftedBetaGeoModel
    >>> sbg = ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182})
    >>> subs = pd.DataFrame({"periods": [0, 3, 10, 4], "cancelled": [0, 0, 0, 1]})
    >>> sbg.survival_function([1, 7]).round(3).tolist()  # a new cohort
    [0.627, 0.239]
    >>> sbg.retention_rate([1, 7]).round(3).tolist()  # the survivors are the loyal ones
    [0.627, 0.911]
    >>> sbg.retention_curve(subs, periods=2).round(3)
         0      1      2
    0  1.0  0.627  0.474
    1  1.0  0.856  0.754
    2  1.0  0.941  0.889
    3  0.0  0.000  0.000
    >>> sbg.predict(subs, 1, discount_rate=0.1).round(3)  # α < 1: infinite mean lifetime
       probability_cancel  expected_residual_lifetime   derl
    0               0.373                         inf  2.965
    1               0.144                         inf  5.442
    2               0.059                         inf  7.460
    3               1.000                         0.0  0.000
    >>> sbg.residual_value(subs, price=100.0, margin=0.3, discount_rate=0.1).round(1).tolist()
    [88.9, 163.3, 223.8, 0.0]
    >>> round(sbg.discounted_expected_lifetime(0.1), 3)  # a new subscriber, first payment included
    3.695
    >>> round(sbg.lifetime_value_new(price=100.0, margin=0.3, discount_rate=0.1), 2)
    110.85
    >>> draws = sbg.simulate(3, observed_periods=3, random_state=0)
    >>> draws[["periods", "cancelled"]].to_dict("list")
    {'periods': [1, 3, 1], 'cancelled': [1, 0, 1]}
    """

    label: ClassVar[str] = ""
    #: Billing periods a model file may record as its ``time_unit``.
    time_units: ClassVar[dict[str, str]] = PERIODS
    _setting_names = ("alpha_covariates", "beta_covariates", "max_iter", "tol")

    def __init__(
        self, alpha_covariates=(), beta_covariates=(), *, max_iter: int = 2000, tol: float = 1e-6
    ):
        super().__init__(max_iter=max_iter, tol=tol)
        self.alpha_covariates = covariate_names(alpha_covariates, "alpha_covariates")
        self.beta_covariates = covariate_names(beta_covariates, "beta_covariates")
        coefficients = tuple(f"{link}:{name}" for link, names in self._links() for name in names)
        self.param_names = type(self).param_names + coefficients
        self.unconstrained_params = coefficients

    def _links(self):
        return (("alpha", self.alpha_covariates), ("beta", self.beta_covariates))

    @property
    def has_covariates(self) -> bool:
        """True when covariates give each subscriber their own α and β."""
        return bool(self.alpha_covariates or self.beta_covariates)

    @classmethod
    def from_params(cls, params, time_unit: str | None = None, **kwargs):
        """Build a model from known parameters, for scoring without fitting.

        Parameters
        ----------
        params : mapping
            ``alpha``, ``beta`` (and ``c``) > 0, and one coefficient per covariate.
        time_unit : {"M", "W", "Y"}, optional
            The billing period the parameters refer to.
        **kwargs
            Settings (``alpha_covariates``, ``beta_covariates``, ...).

        Returns
        -------
        model
        """
        if time_unit is not None and time_unit not in PERIODS:
            raise InputError(
                f"time_unit={time_unit!r} is not a billing period; use 'M' (months), 'W' (weeks) "
                "or 'Y' (years)."
            )
        model = cls(**kwargs)
        model._set_params(params)
        model.time_unit_ = model.period_ = time_unit
        return model

    # ----------------------------------------------------------------------------------------------
    # The model: u(t) and du/dc (None when the model has no c).
    @staticmethod
    def _exponent(p, t):  # pragma: no cover - abstract
        raise NotImplementedError

    def _log_survival(self, p, t, gradient: bool = False):
        """ln S(t) = lnΓ(β+u) − lnΓ(α+β+u) − lnΓ(β) + lnΓ(α+β) and its gradient in the
        parameters (∂/∂c through du/dc = t^c ln t)."""
        alpha, beta = p["alpha"], p["beta"]
        u, du_dc = self._exponent(p, t)
        ll = log_gamma_shift(beta, alpha) - log_gamma_shift(beta + u, alpha)
        if not gradient:
            return ll, None
        psi_u = psi(beta + u) - psi(alpha + beta + u)
        grads = [psi(alpha + beta) - psi(alpha + beta + u), psi_u - psi(beta) + psi(alpha + beta)]
        if du_dc is not None:
            grads.append(psi_u * du_dc)
        return ll, np.array(grads)

    # ----------------------------------------------------------------------------------------------
    # Fitting
    def _prepare(self, data, weights):
        periods, cancelled, _ = validate_subscribers(data)
        weights = check_weights(weights, periods.size)
        z_alpha = covariate_matrix(data, self.alpha_covariates, fitting=True)
        z_beta = covariate_matrix(data, self.beta_covariates, fitting=True)
        columns = (periods, cancelled.astype("float64"), *z_alpha.T, *z_beta.T)
        distinct, counts = _weighted_compress(columns, weights)
        keep = counts > 0
        t, dead, counts = distinct[0][keep], distinct[1][keep] == 1.0, counts[keep]
        ka = z_alpha.shape[1]
        z_alpha = _stack([c[keep] for c in distinct[2 : 2 + ka]], t.size)
        z_beta = _stack([c[keep] for c in distinct[2 + ka :]], t.size)
        if not dead.any():
            raise InputError(
                "no subscriber has cancelled, so the churn rate cannot be estimated; observe the "
                "subscribers for longer, or add cohorts with cancellations."
            )
        if not ((t > 0) & ~dead).any() and t.max() <= 1:
            raise InputError(
                "every subscriber cancelled in their first period, so the model cannot tell "
                "subscribers apart; it needs subscribers who renewed at least once."
            )
        n = periods.size if weights is None else float(weights.sum())
        return (t, dead, z_alpha, z_beta), counts, n

    def _initial(self, arrays, counts):
        """α = β = c = 1; with covariates, the fit without them and every coefficient 0."""
        start = {"alpha": 1.0, "beta": 1.0, "c": 1.0}
        base = np.array([start[name] for name in type(self).param_names])
        if self.has_covariates:
            t, dead = arrays[:2]
            rows = pd.DataFrame({"periods": t, "cancelled": dead.astype("int64")})
            try:
                plain = type(self)(max_iter=self.max_iter).fit(rows, weights=counts)
                base = plain.params_.to_numpy()
            except ClvError:
                pass
        return np.concatenate([base, np.zeros(len(self.param_names) - base.size)])

    def _params(self, theta) -> dict:
        """The model's own parameters (the baseline, covariates at 0) as numbers."""
        names = type(self).param_names
        return dict(zip(names, (float(v) for v in theta[: len(names)]), strict=True))

    def _individual(self, theta, z_alpha, z_beta) -> dict:
        """Each row's own parameters: α_i = α₀ exp(γ_αᵀz_i), β_i = β₀ exp(γ_βᵀz_i)."""
        p = self._params(theta)
        start = len(type(self).param_names)
        for (link, names), z in zip(self._links(), (z_alpha, z_beta), strict=True):
            if names:
                eta = linear_predictor(z, np.asarray(theta[start : start + len(names)], float))
                p[link] = p[link] * np.exp(eta)
                start += len(names)
        return p

    def _loglik(self, theta, arrays):
        """ln P(T = t) = ln S(t − 1) + ln(1 − e^Δ), Δ = ln S(t) − ln S(t − 1), for cancelled
        rows (log1p/expm1 keep the digits when a long tenure makes Δ tiny); ln S(t) for active
        ones. With covariates, the chain rule through α_i and β_i: ∂/∂α₀ = g_α α_i/α₀ and
        ∂/∂γ_α = g_α α_i z_i (the same for β)."""
        t, dead, z_alpha, z_beta = arrays
        p = self._individual(theta, z_alpha, z_beta)
        with np.errstate(divide="ignore", invalid="ignore"):
            now, g_now = self._log_survival(p, t, gradient=True)
            before, g_before = self._log_survival(p, np.maximum(t - 1.0, 0.0), gradient=True)
            delta = now - before
            drop = np.log(-np.expm1(delta))
            ll = np.where(dead, before + drop, now)
            # d ln(1 − e^Δ) = −dΔ / (e^−Δ − 1)
            g_dead = g_before - (g_now - g_before) / np.expm1(-delta)
            grad = np.where(dead, g_dead, g_now)
        if not self.has_covariates:
            return ll, grad
        full = np.zeros((len(self.param_names), ll.size))
        full[: grad.shape[0]] = grad
        start = grad.shape[0]
        for j, ((link, names), z) in enumerate(zip(self._links(), (z_alpha, z_beta), strict=True)):
            own = np.broadcast_to(p[link], ll.shape)
            full[j] = grad[j] * own / theta[j]
            if names:
                full[start : start + len(names)] = (z * (grad[j] * own)[:, None]).T
                start += len(names)
        return ll, full

    def _degeneracy_hint(self, parameters):
        return (
            "the retention data look the same for every subscriber (no heterogeneity in churn "
            "rates) or are too short to tell the parameters apart; fit more periods or cohorts"
        )

    def fit(self, data, weights=None, initial_params=None):
        """Estimate the parameters by maximum likelihood.

        Parameters
        ----------
        data : pandas.DataFrame
            One row per subscriber with ``periods`` and ``cancelled`` (see
            :mod:`clvmodel.subscriptions`).
        weights : array_like, optional
            How many subscribers each row stands for (default 1 each).
        initial_params : mapping, optional
            Starting values.

        Returns
        -------
        self
        """
        super().fit(data, weights=weights, initial_params=initial_params)
        period = getattr(data, "attrs", {}).get("period")
        self.time_unit_ = self.period_ = period if period in PERIODS else None
        return self

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
        t = _check_periods_ahead(t)
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
        t = _check_periods_ahead(t)
        if (t < 1).any():
            raise InputError(f"retention rates start at period 1, got {t.tolist()}.")
        p = self._params(self._check_fitted())
        values = np.exp(self._log_survival(p, t)[0] - self._log_survival(p, t - 1.0)[0])
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
        """
        return float(price) * float(margin) * self.discounted_expected_lifetime(discount_rate)

    # ----------------------------------------------------------------------------------------------
    # Subscribers with a history
    def _tenure(self, data):
        """Validated periods, cancelled flags and index, and the parameter groups: a list of
        (rows, parameters), one per distinct covariate vector (one group without covariates)."""
        theta = self._check_fitted()
        periods, cancelled, index = validate_subscribers(data)
        if not self.has_covariates:
            return [(np.arange(periods.size), self._params(theta))], periods, cancelled, index
        z_alpha = covariate_matrix(data, self.alpha_covariates, fitting=False)
        z_beta = covariate_matrix(data, self.beta_covariates, fitting=False)
        z = np.column_stack([z_alpha, z_beta])
        distinct, group = np.unique(z, axis=0, return_inverse=True)
        group = np.asarray(group).reshape(-1)
        ka = z_alpha.shape[1]
        own = self._individual(theta, distinct[:, :ka], distinct[:, ka:])
        groups = [
            (np.flatnonzero(group == g), {k: float(np.asarray(v).reshape(-1)[g])
                                          if np.ndim(v) else v for k, v in own.items()})
            for g in range(distinct.shape[0])
        ]  # fmt: skip
        return groups, periods, cancelled, index

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
        k = np.arange(int(_check_periods_ahead(periods)) + 1, dtype="float64")
        values = np.empty((t.size, k.size))
        for rows, p in groups:
            distinct, group = np.unique(t[rows], return_inverse=True)
            with np.errstate(divide="ignore"):
                grid = self._log_survival(p, distinct[:, None] + k[None, :])[0]
                values[rows] = np.exp(grid - self._log_survival(p, distinct)[0][:, None])[group]
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
        k = np.broadcast_to(_check_periods_ahead(periods), t.shape)
        log_ratio = np.empty(t.size)
        for rows, p in groups:
            with np.errstate(divide="ignore"):
                log_ratio[rows] = (
                    self._log_survival(p, t[rows] + k[rows])[0] - self._log_survival(p, t[rows])[0]
                )
        values = np.where(cancelled, 1.0, -np.expm1(log_ratio))
        return pd.Series(values, index=index, name="probability_cancel")

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
        (Fader and Hardie 2010); 0 for cancelled subscribers.

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
        """
        derl = self.discounted_expected_residual_lifetime(data, discount_rate)
        if isinstance(price, str):
            if price not in getattr(data, "columns", ()):
                raise InputError(f"data have no price column {price!r}.")
            price = data[price]
        price = np.asarray(price, dtype="float64")
        if (price.ndim and price.size != derl.size) or not np.all(np.isfinite(price)):
            raise InputError("price must be finite: one number, or one per subscriber.")
        if not np.isfinite(float(margin)):
            raise InputError(f"margin must be a finite share of the price, got {margin!r}.")
        return (price * float(margin) * derl).rename("residual_value")

    def predict(self, data, periods, discount_rate: float | None = None) -> pd.DataFrame:
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

        Returns
        -------
        pandas.DataFrame
            Indexed like ``data``.
        """
        columns = {
            "probability_cancel": self.probability_cancel(data, periods),
            "expected_residual_lifetime": self.expected_residual_lifetime(data),
        }
        if discount_rate is not None:
            columns["derl"] = self.discounted_expected_residual_lifetime(data, discount_rate)
        return pd.DataFrame(columns)

    def _per_subscriber(self, data, d: float) -> pd.Series:
        groups, t, cancelled, index = self._tenure(data)
        values = np.empty(t.size)
        for rows, p in groups:
            distinct, group = np.unique(t[rows], return_inverse=True)
            values[rows] = self._derl(p, distinct, d)[group]
        return pd.Series(np.where(cancelled, 0.0, values), index=index)

    # ----------------------------------------------------------------------------------------------
    def _derl(self, p, t: np.ndarray, d: float) -> np.ndarray:
        """Σ_{k ≥ 0} S(t + 1 + k) / S(t) z^k, z = 1/(1 + d), by direct summation in blocks.

        The sum stops when the terms left are below ``_SUM_TOLERANCE`` of the sum: with z < 1 the
        remainder is at most (next term) / (1 − z), reached within 45/d terms. At d = 0 (or d
        below ~1e-5) the sum stops after ``_SUM_MAX_TERMS`` terms (``_SUM_MAX_TERMS_DISCOUNTED``)
        and the remainder comes from S's asymptotic form (see :meth:`_tail`); cα ≤ 1 with d = 0
        means an infinite sum.
        """
        log_z = -np.log1p(d)
        if d == 0.0 and p["alpha"] * p.get("c", 1.0) <= 1.0:
            # S(x) falls like x^−cα: the expected lifetime is infinite.
            return np.full(t.size, np.inf)
        limit = _SUM_MAX_TERMS
        if d > 0:
            needed = _SUM_BLOCK * np.ceil(45.0 / d / _SUM_BLOCK)
            limit = int(min(max(needed, _SUM_MAX_TERMS), _SUM_MAX_TERMS_DISCOUNTED))
        base = self._log_survival(p, t)[0]
        total = np.zeros(t.size)
        halfway = np.zeros(t.size)
        done = np.zeros(t.size, dtype=bool)
        n = 0
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            while n < limit and not done.all():
                k = np.arange(n, n + _SUM_BLOCK, dtype="float64")
                rows = np.flatnonzero(~done)
                logs = (
                    self._log_survival(p, t[rows, None] + 1.0 + k[None, :])[0]
                    - base[rows, None]
                    + k[None, :] * log_z
                )
                terms = np.exp(logs)
                total[rows] += terms.sum(axis=1)
                n += _SUM_BLOCK
                if n == limit // 2:
                    halfway[:] = total
                last = terms[:, -1]
                bound = last / -np.expm1(log_z) if d > 0 else np.inf
                done[rows] = (last == 0) | (bound <= _SUM_TOLERANCE * total[rows])
            if not done.all():
                # The asymptotic form misses S by a factor 1 + O(x^−2c) at the age x where the
                # tail starts, so the tail's error falls like x^−(cα + 2c − 1): Richardson
                # extrapolation from the estimates at n/2 and n removes its leading term.
                rows = np.flatnonzero(~done)
                coarse = halfway[rows] + self._tail(p, t[rows], base[rows], n / 2.0, log_z)
                fine = total[rows] + self._tail(p, t[rows], base[rows], float(n), log_z)
                c = p.get("c", 1.0)
                ratio = (t[rows] + 1.0 + n) / (t[rows] + 1.0 + n / 2.0)
                gain = ratio ** (c * p["alpha"] + 2.0 * c - 1.0)
                extrapolated = (gain * fine - coarse) / (gain - 1.0)
                total[rows] = np.where(np.isfinite(fine + coarse), extrapolated, np.inf)
        return total

    def _tail(self, p, t, base, n: float, log_z: float) -> np.ndarray:
        """Σ_{k ≥ n} S(t + 1 + k)/S(t) z^k from the asymptotic form of S.

        ln Γ(β + u) − ln Γ(α + β + u) = −α ln(u + s) + O(u^−2) with s = β + (α − 1)/2, so far out
        S(x) ∝ (x^c + s)^−α; matched to S at the first age left out, X = t + 1 + n, and with the
        midpoint rule the remainder is C ∫_{X−½}^∞ (x^c + s)^−α z^(x−X) dx. Expanding
        (x^c + s)^−α = Σ_j (−α choose j) s^j x^(−c(α+j)) (s < x^c) leaves integrals of powers,
        ∫_{X'}^∞ x^−q e^−λ(x−X) dx = X'^(1−q) e^−λ(X'−X) J(q, λX') (see :func:`_power_exp`).
        """
        alpha, c = p["alpha"], p.get("c", 1.0)
        s = p["beta"] + (alpha - 1.0) / 2.0
        age = t + 1.0 + n
        start = age - 0.5
        u = age**c
        lam = -log_z
        log_scale = self._log_survival(p, age)[0] - base + n * log_z + alpha * np.log(u + s)
        total = np.zeros(t.size)
        log_coefficient = 0.0  # ln |(−α choose j)| + j ln s
        for j in range(40):
            power = c * (alpha + j)
            term = np.exp(
                log_scale + log_coefficient + (1.0 - power) * np.log(start) - lam * (start - age)
            ) * _power_exp(power, lam * start)
            total += (-1) ** j * term
            if np.all(term <= 1e-17 * np.abs(total)):
                break
            log_coefficient += np.log((alpha + j) / (j + 1.0)) + np.log(s)
        return total

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
        n = int(n_subscribers)
        horizon = np.broadcast_to(_check_periods_ahead(observed_periods), (n,))
        theta = rng.beta(p["alpha"], p["beta"], size=n)
        with np.errstate(divide="ignore"):
            y = np.log(rng.uniform(size=n)) / np.log1p(-theta)
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


def _stack(columns, n: int) -> np.ndarray:
    """Covariate columns as an (n, k) array, k possibly 0."""
    return np.column_stack(columns) if columns else np.empty((n, 0))
