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
probability α/(α + β) falls as β_i grows). Predictions are made per distinct (tenure,
covariates) row.

The model's ``time_unit_`` is the billing period ("M", "W" or "Y"), saved in the model file.

This module holds the base class and its likelihood; the predictions are in
:mod:`clvmodel.models._contractual_predictions`, the DERL sums in
:mod:`clvmodel.models._contractual_derl`, the ratio of beta functions behind S(t) in
:mod:`clvmodel.models._contractual_beta`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.special import psi

from clvmodel.errors import ClvError, InputError
from clvmodel.models._compress import weighted_compress
from clvmodel.models._contractual_beta import log_beta_ratio
from clvmodel.models._contractual_checks import censor_running_periods, check_covariate_columns
from clvmodel.models._contractual_derl import survival_log_ratio
from clvmodel.models._contractual_predictions import ContractualPredictions, check_discount_rate
from clvmodel.models._covariates import (
    covariate_matrix,
    covariate_names,
    linear_predictor,
    times_exp,
)
from clvmodel.models._fit import MaximumLikelihoodModel
from clvmodel.models._log_gamma import digamma_shift
from clvmodel.models._optimise import subsample_rows
from clvmodel.models._weights import check_weights
from clvmodel.subscriptions import PERIODS, validate_subscribers

__all__ = ["ContractualModel", "check_discount_rate"]


class ContractualModel(ContractualPredictions, MaximumLikelihoodModel):
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

    _convergence_advice = (
        "  1. check the subscriber table: periods whole numbers ≥ 0, cancelled 0 or 1;\n"
        "  2. use a billing period that keeps periods in the ones to hundreds;\n"
        "  3. pass initial_params= near plausible values;\n"
        "  4. raise max_iter=."
    )

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
        model.params_ = model._checked_params(params)
        model.time_unit_ = model.period_ = time_unit
        return model

    # ----------------------------------------------------------------------------------------------
    # The model: ln u(t) and ∂ ln u/∂c (None when the model has no c).
    @staticmethod
    def _exponent(p, t):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _log_step(p, t):  # pragma: no cover - abstract
        raise NotImplementedError

    def _log_retention(self, p, t):
        """ln r(t) = ln S(t)/S(t − 1) = ln B(α, β + u(t − 1) + Δ)/B(α, β + u(t − 1)), with
        Δ = u(t) − u(t − 1) from ``_log_step``: the beta ratio of :func:`log_beta_ratio` at
        β + u(t − 1), which keeps the digits that ln S(t) − ln S(t − 1) loses once |ln S| is
        large (sBG at α = 5·10^16, t = 10^12). Where u(t − 1) overflows, the difference."""
        alpha, beta = p["alpha"], p["beta"]
        earlier, _ = self._exponent(p, t - 1.0)
        with np.errstate(over="ignore"):
            before = beta + np.exp(earlier)
        finite = np.isfinite(before)
        ratio = log_beta_ratio(alpha, np.where(finite, before, 1.0), self._log_step(p, t))[0]
        if finite.all():
            return ratio
        now, previous = self._log_survival(p, t)[0], self._log_survival(p, t - 1.0)[0]
        return np.where(finite, ratio, survival_log_ratio(now, previous))

    def _log_survival(self, p, t, gradient: bool = False):
        """ln S(t) = lnΓ(β+u) − lnΓ(α+β+u) − lnΓ(β) + lnΓ(α+β) (see :func:`log_beta_ratio`)
        and its gradient in the parameters (∂/∂c through du/dc = u ∂ln u/∂c)."""
        alpha, beta = p["alpha"], p["beta"]
        log_u, dlog_dc = self._exponent(p, t)
        ll, u, far = log_beta_ratio(alpha, beta, log_u)
        if not gradient:
            return ll, None
        # ψ(β+u) − ψ(α+β+u) = −(α/u)(1 + O(1/u)) once u overflows: ∂/∂c = −α ∂ln u/∂c there.
        psi_u = -digamma_shift(beta + u, alpha)
        with np.errstate(over="ignore"):
            log_top = np.where(far, np.logaddexp(log_u, np.log(beta)), 0.0)
        grads = [
            np.where(far, psi(alpha + beta) - log_top, -digamma_shift(alpha + beta, u)),
            np.where(far, 0.0, psi_u) + digamma_shift(beta, alpha),
        ]
        if dlog_dc is not None:
            grads.append(np.where(far, -alpha, psi_u * u) * dlog_dc)
        return ll, np.array(np.broadcast_arrays(*grads))

    # ----------------------------------------------------------------------------------------------
    # Fitting
    def _prepare(self, data, weights, time_unit=None):  # periods: no time unit to check
        periods, cancelled = censor_running_periods(data, *validate_subscribers(data)[:2])
        check_covariate_columns(self, data)
        weights = check_weights(weights, periods.size)
        z_alpha = covariate_matrix(data, self.alpha_covariates, fitting=True)
        z_beta = covariate_matrix(data, self.beta_covariates, fitting=True)
        columns = (periods, cancelled.astype("float64"), *z_alpha.T, *z_beta.T)
        distinct, counts = weighted_compress(columns, weights)
        keep = counts > 0
        t, dead, counts = distinct[0][keep], distinct[1][keep] == 1.0, counts[keep]
        ka = z_alpha.shape[1]
        z_alpha = _stack([c[keep] for c in distinct[2 : 2 + ka]], t.size)
        z_beta = _stack([c[keep] for c in distinct[2 + ka :]], t.size)
        if counts.sum() < 2:
            raise InputError(
                f"cannot fit {type(self).__name__} on {counts.sum():g} subscriber(s): the model "
                "describes differences between subscribers and needs many of them (hundreds or "
                "more)."
            )
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

    _subsample = subsample_rows  # bootstrap refits on some distinct rows

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
                p[link] = times_exp(p[link], eta)
                start += len(names)
        return p

    def _coefficient_blocks(self, arrays):
        """Per link with covariates: its coefficients' slice, its covariate matrix and the
        (index, sign) of the parameter it scales (see :mod:`clvmodel.models._covariate_scaling`)."""
        start = len(type(self).param_names)
        for j, ((_, names), z) in enumerate(zip(self._links(), arrays[2:], strict=True)):
            if names:
                yield slice(start, start + len(names)), z, [(j, 1.0)]
                start += len(names)

    def _replace_covariates(self, arrays, matrices):
        """The rows with the covariate matrices of :meth:`_coefficient_blocks` replaced."""
        given, links = iter(matrices), zip(self._links(), arrays[2:], strict=True)
        return (*arrays[:2], *(next(given) if names else z for (_, names), z in links))

    def _loglik(self, theta, arrays):
        """ln P(T = t) = ln S(t − 1) + ln(1 − e^Δ), Δ = ln S(t) − ln S(t − 1), for cancelled
        rows (log1p/expm1 keep the digits when a long tenure makes Δ tiny); ln S(t) for active
        ones. With covariates, the chain rule through α_i and β_i: ∂/∂α₀ = g_α α_i/α₀ and
        ∂/∂γ_α = g_α α_i z_i (the same for β)."""
        t, dead, z_alpha, z_beta = arrays
        p = self._individual(theta, z_alpha, z_beta)
        if not all(np.all(np.isfinite(p[k]) & (p[k] > 0)) for k in type(self).param_names):
            # An optimiser's step past the largest double (exp of a log-parameter above 709):
            # no likelihood there. −inf, not the NaN of the formulas, which line searches accept.
            return np.full(t.size, -np.inf), np.full((len(self.param_names), t.size), np.nan)
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
            :mod:`clvmodel.subscriptions`); with ``observed_periods`` a cancellation in a
            period still running at the end of observation is censored there.
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


def _stack(columns, n: int) -> np.ndarray:
    """Covariate columns as an (n, k) array, k possibly 0."""
    return np.column_stack(columns) if columns else np.empty((n, 0))
