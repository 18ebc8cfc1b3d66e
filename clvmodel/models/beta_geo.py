"""The BG/NBD model of purchasing and dropout.

Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way: an
alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284. Equation numbers below refer
to that paper; the derivations are in Hardie's note "Implementing the BG/NBD model".

While alive, a customer buys at Poisson rate λ ~ Gamma(r, α); after each repeat purchase they drop
out with probability p ~ Beta(a, b). A customer is described by x (repeat purchases), t_x (time of
the last one, from the first purchase) and T (age at the end of observation).
"""

from __future__ import annotations

import numpy as np
from scipy.special import psi

from clvmodel.models._beta_geo_fit import FusedBetaGeoFit
from clvmodel.models._intervals import DropoutAtPurchasesCounts
from clvmodel.models._special import (
    expected_purchases_if_alive,
    log_gamma_ratio,
    log_growth,
    pmf_dropout_at_purchases,
    survival_dropout_at_purchases,
)
from clvmodel.models.base import PurchaseModel

__all__ = ["BetaGeoModel"]


class BetaGeoModel(FusedBetaGeoFit, PurchaseModel):
    """BG/NBD model (Fader, Hardie and Lee 2005) fitted by maximum likelihood.

    Parameters
    ----------
    purchase_covariates : list of str
        Columns that shift the purchase rate: α_i = α₀ exp(−γᵀz_i), so a coefficient γ multiplies
        a customer's expected rate r/α_i by exp(γ) per unit of the covariate.
    dropout_covariates : list of str
        Columns that scale a and b together, a_i = a₀ exp(δᵀw_i), b_i = b₀ exp(δᵀw_i): the
        concentration of the dropout probability (its mean a₀/(a₀ + b₀) is shared by all).
        (Fader and Hardie 2007, in CLVTools' parameterisation.)
    max_iter : int
        Largest number of optimiser iterations.
    tol : float
        Convergence threshold on the gradient of the mean log-likelihood per customer.

    Attributes
    ----------
    params_ : pandas.Series
        ``r``, ``alpha``, ``a``, ``b`` (base values at z = 0 with covariates), then one
        coefficient per covariate, ``purchase:<column>`` and ``dropout:<column>``.
    log_likelihood_ : float
        Maximised log-likelihood (eq. 6 summed over customers).
    standard_errors_ : pandas.Series
        Asymptotic standard errors from the Hessian.

    Examples
    --------
    >>> import clvmodel as clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30")
    >>> bg = clv.BetaGeoModel().fit(rfm)
    >>> bg.params_.round(4).tolist()
    [0.2426, 4.4136, 0.7929, 2.4259]
    """

    param_names = ("r", "alpha", "a", "b")

    label = "BG/NBD"
    covariate_links = {"purchase": {"alpha": -1.0}, "dropout": {"a": 1.0, "b": 1.0}}

    # What _rows_informing selects, in a refusal's words (see _covariate_scaling).
    _informing_rows = "with repeat purchases"
    _informing_reason = (
        "a BG/NBD customer can drop out only just after a repeat purchase, and customers "
        "without one say nothing about dropout"
    )

    def _rows_informing(self, rows, links):
        """The rows whose likelihood depends on the parameters a covariate block scales: for
        dropout (a, b), the customers with a repeat purchase (eq. 6: a customer with x = 0
        contributes (α/(α+T))^r, free of a and b; in MBG/NBD it informs a/(a+b) alone, which
        dropout covariates, scaling a and b together, leave as it is); None (all rows) for
        the purchase rate."""
        dropout = {self.param_names.index("a"), self.param_names.index("b")}
        return rows.x > 0 if any(j in dropout for j, _ in links) else None

    @staticmethod
    def _survival_if_alive(p, x, T, t):
        """P(alive at T + t | alive at T, x, T), with p ~ Beta(a, b + x) given the history."""
        return survival_dropout_at_purchases(p["r"], p["alpha"], p["a"], p["b"], x, T, t)

    def _initial_base(self, x, t_x, T, counts):
        # np.average, not counts @ T: a BLAS dot this long wakes threads that then spin.
        mean_age = max(float(np.average(T, weights=counts)), 1e-3)
        mean_x = float(np.average(x, weights=counts))
        return np.array([1.0, mean_age / (mean_x + 1.0), 1.0, 1.0])

    def _degeneracy_hint(self, parameters):
        if {"a", "b"} & set(parameters):
            return (
                "dropout is (almost) never observed, so BG/NBD reduces to the NBD model without "
                "dropout; consider Pareto/NBD or MBG/NBD, or a longer calibration period"
            )
        return super()._degeneracy_hint(parameters)

    # ----------------------------------------------------------------------------------------------
    # The model's functions (see clvmodel.models.base); p holds r, α, a, b, per row with covariates.
    @staticmethod
    def _row_loglik(p, x, t_x, T, gradient=True):
        """Log of eq. (6) per customer and its gradient in (r, α, a, b).

        ln L = lnΓ(r+x) − lnΓ(r) + r ln α + lnB(a, b+x) − lnB(a, b)
               + ln[(α+T)^−(r+x) + [x > 0] a/(b+x−1) (α+t_x)^−(r+x)];
        the second ("dropped out after the last purchase") branch adds only 1/a and −1/(b+x−1)
        to the digamma terms of a and b.
        """
        r, alpha, a, b = (np.asarray(p[k], dtype="float64") for k in ("r", "alpha", "a", "b"))
        repeat = x > 0
        rx = r + x
        log_alpha_T, log_alpha_tx = np.log(alpha + T), np.log(alpha + t_x)
        # b + (x − 1), not b + x − 1, which rounds b away when b ≪ 1 (b + 1 − 1 = 0, b < 1e-16).
        bx1 = np.where(repeat, b + (x - 1.0), 1.0)
        with np.errstate(over="ignore"):  # b subnormal: a gradient of −inf in b
            inv_bx1 = np.where(repeat, 1.0 / bx1, 0.0)
        # r ln α − (r + x) ln(α + T) as −r ln(1 + T/α) − x ln(α + T), with r ln α taken out of
        # both branches: the digits survive r and α growing together without bound.
        grow_T, grow_tx = log_growth(alpha, T, log_alpha_T), log_growth(alpha, t_x, log_alpha_tx)
        alive = -r * grow_T - x * log_alpha_T
        dead = np.where(repeat, np.log(a) - np.log(bx1) - r * grow_tx - x * log_alpha_tx, -np.inf)
        total = np.logaddexp(alive, dead)
        # lnB(a, b+x) − lnB(a, b) as two shifts of ln Γ: betaln's difference loses digits once a and
        # b are large (a dropout distribution collapsing onto its mean).
        log_beta_ratio = log_gamma_ratio(b, x) - log_gamma_ratio(a + b, x)
        ll = log_gamma_ratio(r, x) + log_beta_ratio + total
        if not gradient:
            return ll, None
        w_dead = np.exp(dead - total)
        w_alive = 1.0 - w_dead
        psi_ab, psi_abx = psi(a + b), psi(a + b + x)
        grad = np.empty((4, ll.size))
        grad[0] = psi(rx) - psi(r) - w_alive * grow_T - w_dead * grow_tx
        # r/α − (r + x)(w/(α + T) + ...) with 1/α − 1/(α + T) = T/(α(α + T))
        grad[1] = r / alpha * (w_alive * T / (alpha + T) + w_dead * t_x / (alpha + t_x)) - x * (
            w_alive / (alpha + T) + w_dead / (alpha + t_x)
        )
        grad[2] = psi_ab - psi_abx + w_dead / a
        grad[3] = psi(b + x) - psi_abx - psi(b) + psi_ab - w_dead * inv_bx1
        return ll, grad

    #: Coins survived by a customer alive at T beyond the x after repeat purchases: none (the
    #: posterior of p is Beta(a, b + x)). MBG/NBD has one more. Read by the draws path.
    _extra_coins = 0

    @staticmethod
    def _log_odds_dead(p, x, t_x, T):
        """log[P(dead) / P(alive)] given (x, t_x, T); −inf without repeat purchases (eq. 13)."""
        r, alpha, a, b = (p[k] for k in ("r", "alpha", "a", "b"))
        safe_x = np.where(x > 0, x, 1.0)
        odds = (
            np.log(a)
            - np.log(b + (safe_x - 1.0))
            + (r + safe_x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
        return np.where(x > 0, odds, -np.inf)

    @staticmethod
    def _expected_if_alive(p, x, T, t):
        """Eq. (10) divided by P(alive), evaluated stably (see clvmodel.models._special)."""
        return expected_purchases_if_alive(p["r"], p["alpha"], p["a"], p["b"], x, T, t)

    @staticmethod
    def _pmf_if_alive(p, k, x, T, t):
        """Eq. (8) with the posterior given survival: (r + x, α + T, a, b + x)."""
        return pmf_dropout_at_purchases(p["r"] + x, p["alpha"] + T, p["a"], p["b"] + x, k, t)

    @staticmethod
    def _count_recurrence(p, x, T, t):
        """P(X > k | alive), k = 0, 1, …, by recurrence: eq. (8) at (r + x, α + T, a, b + x)."""
        return DropoutAtPurchasesCounts(p["r"] + x, p["alpha"] + T, p["a"], p["b"] + x, t)

    @staticmethod
    def _discounted_if_alive_draws(p, x, T, schedule):
        """Discounted E[purchases | alive] per (x, T) and parameter vector (``p``: each
        parameter over the vectors), on the compiled series' (groups, vectors) grid."""
        from clvmodel.models._beta_geo_draws import discounted_if_alive_grid

        return discounted_if_alive_grid(p["r"], p["alpha"], p["a"], p["b"], x, T, schedule)

    def _value_draw_limits(self, purchase_models, spend, rows, groups, margin, schedule, tail):
        """CLV limits over parameter draws by BG/NBD's own path, or None with covariates (the
        generic one applies); see :mod:`clvmodel.models._beta_geo_values`."""
        if self.has_covariates:
            return None
        from clvmodel.models._beta_geo_values import value_draw_limits

        return value_draw_limits(purchase_models, spend, rows, groups, margin, schedule, tail)

    def _draw_interval_columns(self, points, level, histories, horizon, which, grouping=None):
        """Interval columns from parameter draws by BG/NBD's own path, MBG/NBD's too (the log odds'
        terms tabulated per (x, T) and draw; see :mod:`clvmodel.models._beta_geo_draws`), or
        None where the generic one applies (covariates)."""
        from clvmodel.models._beta_geo_draws import draw_interval_columns

        return draw_interval_columns(self, points, level, histories, horizon, which, grouping)

    @staticmethod
    def _expected_new(p, t):
        """E[X(t)], eq. (9)."""
        return expected_purchases_if_alive(p["r"], p["alpha"], p["a"], p["b"], 0.0, 0.0, t)

    @staticmethod
    def _pmf_new(p, n, t):
        """P(X(t) = n), eq. (8)."""
        return pmf_dropout_at_purchases(p["r"], p["alpha"], p["a"], p["b"], n, t)
