"""The MBG/NBD model of purchasing and dropout.

Batislam, E. P., Denizel, M. and Filiztekin, A. (2007). Empirical validation and comparison of
models for customer base analysis. International Journal of Research in Marketing 24(3), 201-209;
with the erratum of Wagner, U. and Hoppe, D. (2008), IJRM 25(3), 225-226.

The story is BG/NBD's (:mod:`clvmodel.models.beta_geo`) with one more coin: while alive a customer
buys at Poisson rate λ ~ Gamma(r, α), and right after *every* purchase, the first one (time 0)
included, drops out with probability p ~ Beta(a, b). A customer with x repeat purchases who is
alive at T has survived x + 1 coins, so given survival λ ~ Gamma(r + x, α + T) and
p ~ Beta(a, b + x + 1); every conditional prediction is therefore BG/NBD's with b replaced by b + 1.
Unlike BG/NBD, a customer without repeat purchases may be dead, so P(alive) < 1 for x = 0.
"""

from __future__ import annotations

import numpy as np
from scipy.special import psi

from clvmodel.models._beta_geo_fit import FusedBetaGeoFit
from clvmodel.models._intervals import DropoutAtPurchasesCounts
from clvmodel.models._special import (
    expected_purchases_if_alive,
    log1p_ratio,
    log_gamma_ratio,
    pmf_dropout_at_purchases,
    safe_gammaln,
    survival_dropout_at_purchases,
)
from clvmodel.models.base import PurchaseModel
from clvmodel.models.beta_geo import BetaGeoModel

__all__ = ["ModifiedBetaGeoModel"]


def _per_x(x, *args):
    """``function(x)`` for the x-only terms of the likelihood, evaluated once per value
    0, 1, …, max x when the parameters it uses (``args[:-1]``) are the same for every row, as
    they are without covariates, and x holds whole numbers; the special functions then cost
    nothing next to the pass over the rows."""
    *params, function = args
    if any(np.ndim(v) for v in params) or x.size < 64 or not 0 <= x.max() < x.size:
        return function(x)
    counts = x.astype("int64")
    if not np.array_equal(counts, x):
        return function(x)
    return tuple(values[counts] for values in function(np.arange(counts.max() + 1.0)))


def _log_beta_ratio(a, b, ux):
    """ln B(a, b+x) − ln B(a, b) as four ln Γ, or, once a + b exceeds 1e5 (where the plain
    differences lose digits, every one at 1e18), as two shifts ln Γ(y + x) − ln Γ(y)."""
    plain = safe_gammaln(b + ux) - safe_gammaln(b) - safe_gammaln(a + b + ux) + safe_gammaln(a + b)
    large = np.asarray(a + b) > 1e5
    if not large.any():
        return plain
    return np.where(large, log_gamma_ratio(b, ux) - log_gamma_ratio(a + b, ux), plain)


class ModifiedBetaGeoModel(FusedBetaGeoFit, PurchaseModel):
    """MBG/NBD model (Batislam, Denizel and Filiztekin 2007) fitted by maximum likelihood.

    BG/NBD in which a customer may also drop out right after the first purchase, so that a
    customer who never came back may be gone (Wagner and Hoppe 2008 give the corrected
    conditional expectation used here).

    Parameters
    ----------
    purchase_covariates : sequence of str, optional
        Columns of the RFM table that scale α: α_i = α exp(−γᵀz_i).
    dropout_covariates : sequence of str, optional
        Columns that scale a and b alike: a_i = a exp(δᵀw_i), b_i = b exp(δᵀw_i).
    max_iter : int
        Largest number of optimiser iterations.
    tol : float
        Convergence threshold on the gradient of the mean log-likelihood per customer.

    Attributes
    ----------
    params_ : pandas.Series
        ``r``, ``alpha``, ``a``, ``b`` (and any covariate coefficients).
    log_likelihood_ : float
        Maximised log-likelihood.
    standard_errors_ : pandas.Series
        Asymptotic standard errors from the Hessian.

    Examples
    --------
    >>> import clvmodel as clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30")
    >>> mbg = clv.ModifiedBetaGeoModel().fit(rfm)
    >>> mbg.params_.round(3).tolist()
    [0.525, 6.183, 0.891, 1.614]
    """

    param_names = ("r", "alpha", "a", "b")
    label = "MBG/NBD"
    covariate_links = {"purchase": {"alpha": -1.0}, "dropout": {"a": 1.0, "b": 1.0}}

    # Customers without a repeat purchase contribute b/(a+b) S(T) + a/(a+b) (eq. 3 at x = 0):
    # the mean dropout probability alone, which dropout covariates do not move.
    _rows_informing = BetaGeoModel._rows_informing
    _informing_rows = "with repeat purchases"
    _informing_reason = (
        "MBG/NBD's customers without one inform only the mean dropout probability a/(a+b), "
        "which dropout covariates, scaling a and b together, leave as it is"
    )
    # Without covariates: Newton steps on the one-pass sums (clvmodel.models._beta_geo_fit).
    _modified = True

    @staticmethod
    def _row_loglik(p, x, t_x, T, gradient=True):
        """ln L = lnΓ(r+x) − lnΓ(r) + r ln α + ln[B(a, b+x+1) (α+T)^−(r+x)
        + B(a+1, b+x) (α+t_x)^−(r+x)] − ln B(a, b): alive at T (survived x + 1 coins), or dropped
        out right after the last purchase (at time 0 if x = 0) (Batislam et al. 2007, appendix).

        Both beta ratios share C = B(a, b+x) / ((a+b+x) B(a, b)); what remains of them is b + x
        (alive) and a (dead). ln C is written with log-gamma differences that vanish at x = 0, so
        a customer without repeat purchases loses no digits to cancellation.
        """
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype="float64") for v in (x, t_x, T)))
        r_terms = _per_x(x, r, lambda ux: (safe_gammaln(r + ux), psi(r + ux)))
        # b subnormal: 1/(b + 0) = inf, a gradient of −inf in b; ψ(b + 0) − ψ(b) is 0 at x = 0.
        with np.errstate(over="ignore", invalid="ignore"):
            ab_terms = _per_x(
                x,
                a,
                b,
                lambda ux: (
                    _log_beta_ratio(a, b, ux) - np.log(a + b + ux),
                    np.log(b + ux),
                    1.0 / (b + ux),
                    psi(a + b) - psi(a + b + ux + 1.0),
                    np.where(ux > 0, psi(b + ux) - psi(b), 0.0),
                ),
            )  # fmt: skip
        log_gamma_rx, psi_rx = r_terms
        log_c, log_bx, inv_bx, d_c_ab, d_c_b = ab_terms
        rx = r + x
        log_alpha_T, log_alpha_tx = np.log(alpha + T), np.log(alpha + t_x)
        # r ln α − (r+x) ln(α+u) as −r ln(1 + u/α) − x ln(α+u): with r ln α added to the branches
        # apart, r = 1e4 lost 7e-12 of a probability of 1 (x = 0, T = 0) to the cancellation.
        # log1p_ratio: T/α overflows at a subnormal α.
        alive = log_bx - r * log1p_ratio(T, alpha) - x * log_alpha_T
        dead = np.log(a) - r * log1p_ratio(t_x, alpha) - x * log_alpha_tx
        # ln(e^alive + e^dead) and the branches' posterior weights from one e = exp(−|dead − alive|)
        # (numpy's logaddexp is several times slower).
        dead_wins = dead > alive
        e = np.exp(-np.abs(dead - alive))
        total = np.maximum(alive, dead) + np.log1p(e)
        ll = log_gamma_rx - safe_gammaln(r) + log_c + total
        if not gradient:
            return ll, None
        w_dead = np.where(dead_wins, 1.0, e) / (1.0 + e)
        w_alive = np.where(dead_wins, e, 1.0) / (1.0 + e)
        grad = np.empty((4,) + np.shape(ll))
        grad[0] = psi_rx - psi(r) + np.log(alpha) - w_alive * log_alpha_T - w_dead * log_alpha_tx
        grad[1] = r / alpha - rx * (w_alive / (alpha + T) + w_dead / (alpha + t_x))
        # d ln C / da = ψ(a+b) − ψ(a+b+x+1); d ln C / db adds ψ(b+x) − ψ(b).
        grad[2] = d_c_ab + w_dead / a
        grad[3] = d_c_ab + d_c_b + w_alive * inv_bx
        return ll, grad

    #: Coins survived by a customer alive at T beyond the x after repeat purchases (the one at
    #: time 0): the posterior of p is Beta(a, b + x + 1). Read by the draws path.
    _extra_coins = 1

    @staticmethod
    def _log_odds_dead(p, x, t_x, T):
        """ln[D / A] = ln a − ln(b+x) + (r+x) [ln(α+T) − ln(α+t_x)] (Batislam et al. 2007), in
        the operations of BG/NBD's eq. (13), which its draws path repeats."""
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        return np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))

    @staticmethod
    def _expected_if_alive(p, x, T, t):
        """BG/NBD's E[purchases in (T, T+t] | alive] with b → b + 1 (Wagner and Hoppe 2008)."""
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        return expected_purchases_if_alive(r, alpha, a, b + 1.0, x, T, t)

    @staticmethod
    def _pmf_if_alive(p, k, x, T, t):
        """P(k purchases in (T, T+t] | alive at T).

        With N ~ NBD(r+x, α+T) the purchases an immortal customer would make and
        p ~ Beta(a, b') (b' = b+x+1): exactly k purchases happen if the customer survives k coins
        and N = k, or (k ≥ 1) survives k − 1 coins, drops at the k-th and N ≥ k:

        P(k) = B(a, b'+k)/B(a, b') P(N = k) + B(a+1, b'+k−1)/B(a, b') P(N ≥ k).
        """
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        return pmf_dropout_at_purchases(r + x, alpha + T, a, b + x + 1.0, k, t)

    @staticmethod
    def _count_recurrence(p, x, T, t):
        """P(X > k | alive), k = 0, 1, …, by recurrence, with p ~ Beta(a, b + x + 1)."""
        return DropoutAtPurchasesCounts(p["r"] + x, p["alpha"] + T, p["a"], p["b"] + x + 1.0, t)

    @staticmethod
    def _discounted_if_alive_draws(p, x, T, schedule):
        """Discounted E[purchases | alive] per (x, T) and parameter vector (``p``: each
        parameter over the vectors), on the compiled series' (groups, vectors) grid."""
        from clvmodel.models._beta_geo_draws import discounted_if_alive_grid

        return discounted_if_alive_grid(p["r"], p["alpha"], p["a"], p["b"] + 1.0, x, T, schedule)

    def _value_draw_limits(self, purchase_models, spend, rows, groups, margin, schedule, tail):
        """CLV limits over parameter draws by MBG/NBD's own path, or None with covariates (the
        generic one applies); see :mod:`clvmodel.models._beta_geo_values`."""
        if self.has_covariates:
            return None
        from clvmodel.models._beta_geo_values import value_draw_limits

        return value_draw_limits(purchase_models, spend, rows, groups, margin, schedule, tail)

    def _draw_interval_columns(self, points, level, histories, horizon, which, grouping=None):
        """Interval columns from parameter draws by BG/NBD's path with b → b + 1 (see
        :mod:`clvmodel.models._beta_geo_draws`), or None with covariates."""
        from clvmodel.models._beta_geo_draws import draw_interval_columns

        return draw_interval_columns(self, points, level, histories, horizon, which, grouping)

    @staticmethod
    def _expected_new(p, t):
        """E[X(t)] = b/(a−1) [1 − (α/(α+t))^r ₂F₁(r, b+1; a+b; t/(α+t))] (Batislam et al.).

        A new customer survives the coin at time 0 with probability b/(a+b), leaving
        p ~ Beta(a, b+1); then they buy as an alive customer with x = 0, T = 0 and b → b + 1.
        """
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        return b / (a + b) * expected_purchases_if_alive(r, alpha, a, b + 1.0, 0.0, 0.0, t)

    @staticmethod
    def _pmf_new(p, n, t):
        """P(X(t) = n): the alive case with x = 0, T = 0 weighted by b/(a+b), plus the customers
        who dropped out at time 0 (probability a/(a+b)) in n = 0."""
        a, b = p["a"], p["b"]
        n = np.asarray(n, dtype="float64")
        alive = ModifiedBetaGeoModel._pmf_if_alive(p, n, 0.0, 0.0, t)
        return b / (a + b) * alive + np.where(n == 0, a / (a + b), 0.0)

    @staticmethod
    def _survival_if_alive(p, x, T, t):
        """P(alive at T + t | alive at T, x, T): as for BG/NBD, with the posterior
        Beta(a, b + x + 1) of the dropout probability."""
        return survival_dropout_at_purchases(p["r"], p["alpha"], p["a"], p["b"] + 1.0, x, T, t)

    # Starting values as for BG/NBD (the same parameters in the same roles).
    _initial_base = BetaGeoModel._initial_base

    def _degeneracy_hint(self, parameters):
        if {"a", "b"} & set(parameters):
            return (
                "the dropout probability is (almost) the same for every customer, or (almost) "
                "zero, so the beta distribution of p collapses; consider Pareto/NBD or a longer "
                "calibration period"
            )
        return super()._degeneracy_hint(parameters)
