"""The Pareto/NBD model of purchasing and dropout.

Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987). Counting your customers: who are they
and what will they do next? Management Science 33(1), 1-24. The likelihood and the predictions
follow Fader, P. S. and Hardie, B. G. S. (2005), "A note on deriving the Pareto/NBD model and
related expressions", and Fader, Hardie and Lee's note on the conditional PMF, with every integral
over the death time evaluated as a positive integral (see :mod:`clvmodel.models._pareto_special`).

While alive, a customer buys at Poisson rate λ ~ Gamma(r, α); their lifetime is exponential with
rate μ ~ Gamma(s, β), independent of λ. A customer is described by x (repeat purchases), t_x (the
time of the last one, from the first purchase) and T (age at the end of observation).
"""

from __future__ import annotations

import numpy as np

from clvmodel.models._compress import weighted_sum
from clvmodel.models._pareto_special import log_odds_dead, loglik, loglik_totals, pmf_if_alive
from clvmodel.models._special import log1p_ratio, one_minus_power_over
from clvmodel.models.base import PurchaseModel

__all__ = ["ParetoNBDModel"]


def _arrays(p, *values):
    r, alpha, s, beta = (np.asarray(p[k], dtype="float64") for k in ("r", "alpha", "s", "beta"))
    return (r, alpha, s, beta, *(np.asarray(v, dtype="float64") for v in values))


def _expected_in_logs(r, alpha, s, beta, x, T, log_z):
    """(r+x)/(α+T) · (β+T) (1 − z^(s−1))/(s−1) (its limit at s = 1) as the exp of a sum of
    logs: ln(r+x) − ln(α+T) + ln(β+T) + ln(1 − z^|s−1|) − ln|s−1|, plus −(1−s) ln z for s < 1
    (see ParetoNBDModel._expected_if_alive)."""
    one = s == 1.0
    gap = np.where(one, 1.0, np.abs(s - 1.0))
    with np.errstate(divide="ignore", over="ignore"):  # t = 0: ln 0 = −inf, exp gives 0
        log_part = np.where(one, np.log(-log_z), np.log(-np.expm1(gap * log_z)) - np.log(gap))
        log_value = (
            np.log(r + x) - np.log(alpha + T) + np.log(beta + T) + log_part
            + np.where(s < 1.0, -(1.0 - s) * log_z, 0.0)
        )  # fmt: skip
        return np.exp(log_value)


class ParetoNBDModel(PurchaseModel):
    """Pareto/NBD model (Schmittlein, Morrison and Colombo 1987) fitted by maximum likelihood.

    Customers buy at Poisson rate λ ~ Gamma(r, α) until they drop out, after an exponential
    lifetime with rate μ ~ Gamma(s, β). Unlike BG/NBD, a customer can drop out at any moment, not
    only right after a purchase.

    Parameters
    ----------
    purchase_covariates : list of str, optional
        Columns that shift the purchase rate: α_i = α exp(−γ₁ᵀz_i) (CLVTools' parameterisation,
        so a positive coefficient means more purchases).
    dropout_covariates : list of str, optional
        Columns that shift the dropout rate: β_i = β exp(−γ₂ᵀw_i) (a positive coefficient means
        earlier dropout).
    max_iter : int
        Largest number of optimiser iterations.
    tol : float
        Convergence threshold on the gradient of the mean log-likelihood per customer.

    Attributes
    ----------
    params_ : pandas.Series
        ``r``, ``alpha``, ``s``, ``beta`` (then the covariate coefficients, if any).
    log_likelihood_ : float
        Maximised log-likelihood (summed over customers).
    standard_errors_ : pandas.Series
        Asymptotic standard errors from the Hessian.

    Notes
    -----
    The likelihood of a customer is (Fader and Hardie 2005, before the ₂F₁ is introduced)

        L = Γ(r+x) α^r β^s / Γ(r) · [(α+T)^−(r+x) (β+T)^−s + s ∫_{t_x}^{T} (α+τ)^−(r+x)
            (β+τ)^−(s+1) dτ],

    alive at T, or died at some τ in (t_x, T]. Given alive at T, λ ~ Gamma(r+x, α+T) and
    μ ~ Gamma(s, β+T) independently, which gives every prediction.

    Examples
    --------
    >>> import clvmodel as clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30",
    ...                       time_unit="W")
    >>> model = clv.ParetoNBDModel().fit(rfm)
    >>> model.params_.round(2).tolist()
    [0.55, 10.58, 0.61, 11.67]
    >>> round(model.log_likelihood_, 2)
    -9594.98
    """

    param_names = ("r", "alpha", "s", "beta")
    label = "Pareto/NBD"
    covariate_links = {"purchase": {"alpha": -1.0}, "dropout": {"beta": -1.0}}

    @staticmethod
    def _row_loglik(p, x, t_x, T, gradient=True):
        """ln L = lnΓ(r+x) − lnΓ(r) + ln[A + B]: A = α^r β^s (α+T)^−(r+x) (β+T)^−s
        alive at T, B = s α^r β^s ∫_{t_x}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ died in (t_x, T].
        The gradient differentiates under the integral sign, on the same quadrature nodes."""
        ll, grad, _ = loglik(*_arrays(p, x, t_x, T), order=1 if gradient else 0)
        return ll, grad

    @staticmethod
    def _row_loglik_grad_hess(p, x, t_x, T):
        """ln L per row with its gradient (4, rows) and Hessian (4, 4, rows) in (r, α, s, β):
        what the base's chain rule needs for Newton steps with covariates."""
        ll, grad, hess = loglik(*_arrays(p, x, t_x, T), order=2)
        return ll, grad, np.moveaxis(hess, 0, -1)

    def _objective(self, theta, rows, counts, hessian):
        """The log-likelihood summed over the distinct histories, with its gradient and Hessian
        in (r, α, s, β) for Newton steps; with covariates the base's chain rule is applied to
        :meth:`_row_loglik_grad_hess`."""
        if self.has_covariates:
            return super()._objective(theta, rows, counts, hessian)
        p = dict(zip(self.param_names, theta, strict=True))
        if hessian:
            return loglik_totals(*_arrays(p, rows.x, rows.t_x, rows.T), counts)
        ll, grad, _ = loglik(*_arrays(p, rows.x, rows.t_x, rows.T), order=1)
        return weighted_sum(ll, counts), weighted_sum(grad, counts), None

    @staticmethod
    def _log_odds_dead(p, x, t_x, T):
        """ln[B / A] = ln[s I (α+T)^(r+x) (β+T)^s], so that P(alive) = A / (A + B)."""
        return log_odds_dead(*_arrays(p, x, t_x, T))

    @staticmethod
    def _alive_over_draws(params, x, t_x, T):
        """P(alive) per parameter vector (``params``: arrays over the vectors) and history, as
        ``_alive`` vector by vector (to 2.6e-10), from the interpolated death tail."""
        from clvmodel.models._pareto_alive_draws import alive_over_draws

        return alive_over_draws(params, x, t_x, T)

    @staticmethod
    def _expected_if_alive(p, x, T, t):
        """E[purchases in (T, T+t] | alive] = E[λ] E[min(lifetime, t)] under the posterior:

        (r+x)/(α+T) · (β+T)/(s−1) · [1 − ((β+T)/(β+T+t))^(s−1)],

        with its limit (r+x)/(α+T) · (β+T) ln(1 + t/(β+T)) at s = 1.
        """
        r, alpha, s, beta, x, T, t = _arrays(p, x, T, t)
        log_z = -log1p_ratio(t, beta + T)
        with np.errstate(over="ignore"):
            value = (r + x) / (alpha + T) * (beta + T) * one_minus_power_over(s - 1.0, log_z)
        if np.isfinite(value).all():
            return value
        # z^(s−1) overflows (s < 1, β + T ≪ t): (β+T)(z^(s−1) − 1)/(1−s) in logs, which is
        # (β+T)^s (β+T+t)^(1−s) (1 − z^(1−s)) / (1 − s). Or the product (r+x)/(α+T) · (β+T)
        # overflows where the value does not (r/α ~ 1e289 beside β, s ~ 1e261: E[min(lifetime,
        # t)] ~ β/s): the rate then multiplies E[min(lifetime, t)] formed first.
        below = s < 1.0
        with np.errstate(over="ignore", invalid="ignore"):  # inf · 0: replaced below
            rest = np.exp(np.log(beta + T) - (1.0 - s) * log_z) * -np.expm1((1.0 - s) * log_z)
            rate = (r + x) / (alpha + T)
            in_logs = rate * rest / np.where(below, 1.0 - s, 1.0)
            regrouped = rate * ((beta + T) * one_minus_power_over(s - 1.0, log_z))
        value = np.where(np.isfinite(value), value, np.where(below, in_logs, regrouped))
        if np.isfinite(value).all():
            return value
        # Still not finite: r/α itself overflows (or the lifetime underflows, and inf · 0 gave
        # NaN) while their product may be small (r/α ~ 1e309 beside s/β ~ 1e324: ~1e-15). In
        # logs; what is infinite there passes the largest double (r/α beyond it, at T = 0).
        return np.where(
            np.isfinite(value), value, _expected_in_logs(r, alpha, s, beta, x, T, log_z)
        )

    @staticmethod
    def _pmf_if_alive(p, k, x, T, t):
        """P(k purchases in (T, T+t] | alive): survive the horizon and buy k, or die at τ < t
        having bought k, with λ ~ Gamma(r+x, α+T), μ ~ Gamma(s, β+T) (Fader, Hardie and Lee,
        "Deriving the conditional PMF of the Pareto/NBD model", as a death-time integral)."""
        r, alpha, s, beta, x, T, t, k = _arrays(p, x, T, t, k)
        return pmf_if_alive(r + x, alpha + T, s, beta + T, k, t)

    @staticmethod
    def _count_recurrence(p, x, T, t):
        """P(X > k | alive), k = 0, 1, …, for all counts on one quadrature grid of death times
        (see :mod:`clvmodel.models._pareto_counts`)."""
        from clvmodel.models._pareto_counts import ParetoCounts

        return ParetoCounts(p["r"] + x, p["alpha"] + T, p["s"], p["beta"] + T, t)

    def _draw_interval_columns(self, points, level, histories, horizon, which, grouping=None):
        """Interval columns from parameter draws with the death integral's tail interpolated per
        distinct x and draw (see :mod:`clvmodel.models._pareto_draws`), or None where the
        generic path applies (covariates)."""
        from clvmodel.models._pareto_draws import draw_interval_columns

        return draw_interval_columns(self, points, level, histories, horizon, which, grouping)

    @staticmethod
    def _expected_new(p, t):
        """E[X(t)] = rβ / (α(s−1)) · [1 − (β/(β+t))^(s−1)]: the alive case with x = T = 0."""
        return ParetoNBDModel._expected_if_alive(p, 0.0, 0.0, t)

    @staticmethod
    def _pmf_new(p, n, t):
        """P(X(t) = n): a new customer is alive at 0 with the prior as posterior."""
        return ParetoNBDModel._pmf_if_alive(p, n, 0.0, 0.0, t)

    @staticmethod
    def _survival_if_alive(p, x, T, t):
        """P(alive at T + t | alive at T) = E[exp(−μ t)] = ((β + T)/(β + T + t))^s under the
        posterior Gamma(s, β + T) of the dropout rate."""
        return np.exp(-p["s"] * log1p_ratio(t, p["beta"] + T))

    def _initial_base(self, x, t_x, T, counts):
        """r = s = 1, α and β matching the mean purchase rate and the mean age."""
        # np.average, as BG/NBD's start: a BLAS dot this long wakes threads that then spin.
        mean_age = max(float(np.average(T, weights=counts)), 1e-3)
        mean_x = float(np.average(x, weights=counts))
        return np.array([1.0, mean_age / (mean_x + 1.0), 1.0, mean_age])

    def _degeneracy_hint(self, parameters):
        if {"s", "beta"} <= set(parameters):
            return (
                "the dropout rate is (almost) the same for every customer: with s and β this "
                "large its gamma distribution collapses to μ = s/β"
            )
        if {"r", "alpha"} <= set(parameters):
            return (
                "the purchase rate is (almost) the same for every customer: with r and α this "
                "large its gamma distribution collapses to λ = r/α"
            )
        return super()._degeneracy_hint(parameters)
