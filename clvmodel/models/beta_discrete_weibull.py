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

__all__ = ["BetaDiscreteWeibullModel"]


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
