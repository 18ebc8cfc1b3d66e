"""The beta-discrete-Weibull (BdW) model of contract duration.

Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J. and Steenburgh, T. (2018). "How to project
customer retention" revisited: the role of duration dependence. Journal of Interactive Marketing
43, 1-16.

The sBG model (:mod:`clvmodel.models.shifted_beta_geo`) gives each subscriber a churn probability
θ that never changes. BdW lets it change with tenure: given θ, the subscriber survives t periods
with probability (1 − θ)^(t^c), a discrete Weibull distribution, so their churn probability in
period t is 1 − (1 − θ)^(t^c − (t−1)^c): falling with tenure when c < 1 (subscribers grow attached),
rising when c > 1, constant (sBG) when c = 1. With θ ~ Beta(α, β),

    S(t) = B(α, β + t^c) / B(α, β),   P(T = t) = S(t − 1) − S(t).

The aggregate retention rate S(t)/S(t − 1) therefore mixes two effects: heterogeneity (the
survivors are those with small θ, as in sBG) and individual duration dependence (c). Given
T > t, nothing is Beta any more in closed form, so DERL is a direct sum (see
:class:`clvmodel.models._contractual.ContractualModel`), which reduces to the sBG closed form at
c = 1 (checked in the tests).
"""

from __future__ import annotations

import numpy as np

from clvmodel.models._contractual import ContractualModel
from clvmodel.models._optimise import converged, evaluate_at

__all__ = ["BetaDiscreteWeibullModel"]

#: The largest ln β a fit goes to: 10 below the logarithm of the largest double, so that β + u,
#: β's powers in the Hessian and the numerical Hessian's steps stay finite.
_LOG_BETA_LIMIT = float(np.log(np.finfo("float64").max)) - 10.0


class BetaDiscreteWeibullModel(ContractualModel):
    """BdW model of subscriber retention (Fader et al. 2018), fitted by maximum likelihood.

    Parameters
    ----------
    alpha_covariates, beta_covariates : list of str
        Columns of the subscriber table (a plan, a channel; numbers or 0/1 indicators) that scale
        α and β through log-links, α_i = α₀ exp(γ_αᵀz_i) and β_i = β₀ exp(γ_βᵀz_i); each adds a
        coefficient ``alpha:<column>`` or ``beta:<column>``. Predictions then need the columns.
    max_iter : int
        Largest number of optimiser iterations.
    tol : float
        Convergence threshold on the gradient of the mean log-likelihood per subscriber.

    Attributes
    ----------
    params_ : pandas.Series
        ``alpha``, ``beta`` of the Beta distribution of θ, and ``c``, the duration dependence.
    log_likelihood_ : float
        Maximised log-likelihood.
    standard_errors_ : pandas.Series
        Asymptotic standard errors from the Hessian.
    period_, time_unit_ : str or None
        Billing period of the data ("M", "W", "Y"), from ``data.attrs["period"]``; saved in the
        model file.

    Examples
    --------
    With c = 1 the model is sBG (the "regular" cohort's parameters of Fader and Hardie 2007):

    >>> from clvmodel import subscriptions
    >>> from clvmodel.models.beta_discrete_weibull import BetaDiscreteWeibullModel
    >>> from clvmodel.models.shifted_beta_geo import ShiftedBetaGeoModel
    >>> bdw = BetaDiscreteWeibullModel.from_params({"alpha": 0.704, "beta": 1.182, "c": 1.0})
    >>> sbg = ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182})
    >>> bool(abs(bdw.survival_function(12) - sbg.survival_function(12)) < 1e-15)
    True

    Fitted on the cohort (years 1-7), the likelihood-ratio test against sBG has one degree of
    freedom:

    >>> rows = subscriptions.from_survival_counts([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> bdw = BetaDiscreteWeibullModel().fit(rows)
    >>> bool(bdw.log_likelihood_ >= ShiftedBetaGeoModel().fit(rows).log_likelihood_)
    True
    """

    param_names = ("alpha", "beta", "c")
    label = "BdW"
    #: Whether the last fit stopped with β at :data:`_LOG_BETA_LIMIT` (see :meth:`_fit_from`).
    _beta_at_limit = False

    def _fit_from(self, arrays, counts, start, use_hessian: bool):
        """The fit of every model; when it runs β to the largest doubles without converging, the
        fit again with ln β ≤ :data:`_LOG_BETA_LIMIT`, an edge of the parameter space.

        Tenures that no BdW fits well (cancellations after a few periods and after a hundred,
        none between) raise the likelihood without end as α → 0 and β, c → ∞ with ln β / c and
        αc held: the limit is S(t) = min(1, (s/t)^k), nobody leaving before period s. The
        optimiser follows the ridge until β overflows; the best point with β below the limit
        (where a gradient pushing β further is the bound's, as in any bounded maximum) then
        ends the fit on the edge, with the usual warning, rather than in NaN.
        """
        self._beta_at_limit = False
        fitted = super()._fit_from(arrays, counts, start, use_hessian)
        result, evaluate, value, gradient, _ = fitted
        j = self.param_names.index("beta")
        if converged(value, gradient, self.tol) or not result.x[j] > _LOG_BETA_LIMIT:
            return fitted
        from scipy.optimize import minimize  # slow to import, rarely needed here

        x0 = result.x.copy()
        x0[j] = _LOG_BETA_LIMIT  # from the ridge, just inside the limit
        bounds = [(None, _LOG_BETA_LIMIT if i == j else None) for i in range(x0.size)]
        options = {"gtol": 1e-3 * self.tol, "ftol": 0.0, "maxiter": self.max_iter}
        with np.errstate(all="ignore"):
            capped = minimize(
                lambda z: evaluate(z)[:2],
                x0,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options=options,
            )
        value, gradient, hessian = evaluate_at(evaluate, capped.x)
        held = (np.arange(x0.size) == j) & (capped.x >= _LOG_BETA_LIMIT) & (gradient < 0)
        self._beta_at_limit = bool(held.any())
        return capped, evaluate, value, np.where(held, 0.0, gradient), hessian

    def _degeneracy_hint(self, parameters):
        if not self._beta_at_limit:
            return super()._degeneracy_hint(parameters)
        return (
            "the likelihood keeps rising as beta and c grow and alpha shrinks, beyond the largest "
            "beta the arithmetic holds, where the fit stopped: the tenures call for a retention "
            "curve in which almost nobody leaves before some period and the others leave ever "
            "more slowly, which BdW reaches only in that limit; check the periods (cohorts mixed "
            "up?) or compare with ShiftedBetaGeoModel"
        )

    @staticmethod
    def _exponent(p, t):
        """ln u = c ln t (−inf at t = 0; +inf beyond the largest double) and ∂ln u/∂c = ln t."""
        t = np.asarray(t, dtype="float64")
        positive = t > 0
        log_t = np.log(np.where(positive, t, 1.0))
        with np.errstate(over="ignore"):
            log_u = p["c"] * log_t
        return np.where(positive, log_u, -np.inf), log_t

    @staticmethod
    def _log_step(p, t):
        """ln(t^c − (t − 1)^c) = c ln t + ln(1 − e^(−c log1p(1/(t − 1)))) for t ≥ 1 (c ln 1 = 0
        at t = 1), without the cancellation of the difference of the two powers."""
        t = np.asarray(t, dtype="float64")
        later = np.where(t > 1, t - 1.0, 1.0)
        with np.errstate(over="ignore"):
            log_t = p["c"] * np.log(t)
            fall = p["c"] * np.log1p(1.0 / later)
        return log_t + np.where(t > 1, np.log(-np.expm1(-fall)), 0.0)
