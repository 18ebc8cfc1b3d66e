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
import pandas as pd
from scipy.special import betaln, gammaln, polygamma, psi

from clvmodel.models._special import (
    expected_purchases_if_alive,
    pmf_dropout_at_purchases,
    survival_dropout_at_purchases,
)
from clvmodel.models.base import PurchaseModel

__all__ = ["BetaGeoModel"]


def _dot(u: np.ndarray, v: np.ndarray) -> float:
    # einsum rather than BLAS: threaded BLAS dot products slow down badly on small machines when
    # other thread pools (pyarrow's) are loaded, and these vectors are not worth threading.
    return float(np.einsum("i,i->", u, v))


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values, by hashing (faster than the sort behind np.unique)."""
    codes, uniques = pd.factorize(values)
    return codes.astype("int64", copy=False), np.asarray(uniques, dtype="float64")


def tri(z):
    """Trigamma function ψ₁(z)."""
    return polygamma(1, z)


class _Histories:
    """Distinct (x, t_x, T) rows with their counts, indexed by their distinct x, t_x and T values so
    that special functions are evaluated once per distinct value, and with the sums over rows that
    do not depend on the parameters computed once."""

    def __init__(self, x, t_x, age, counts):
        self.x, self.t_x, self.T = x, t_x, age
        self.z_purchase = self.z_dropout = np.empty((x.size, 0))  # no covariates
        self.ix, self.ux = _factorize(x)
        self.it_x, self.ut_x = _factorize(t_x)
        self.iT, self.uT = _factorize(age)
        self.repeat = x > 0
        self.urepeat = self.ux > 0
        # Customers per distinct x; customers and their repeat purchases per distinct T.
        self.count_x = np.bincount(self.ix, weights=counts, minlength=self.ux.size)
        self.count_T = np.bincount(self.iT, weights=counts, minlength=self.uT.size)
        self.purchases_T = np.bincount(self.iT, weights=counts * x, minlength=self.uT.size)
        # Rows with repeat purchases: only they carry the "dropped out after the last purchase"
        # term of eq. (6).
        rows = np.flatnonzero(self.repeat)
        self.r_ix, self.r_it_x, self.r_iT = self.ix[rows], self.it_x[rows], self.iT[rows]
        self.r_x, self.r_counts = x[rows], counts[rows]


class BetaGeoModel(PurchaseModel):
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

    def _prepare(self, data, weights):
        rows, counts, n_customers = super()._prepare(data, weights)
        if self.has_covariates:
            return rows, counts, n_customers
        return _Histories(rows.x, rows.t_x, rows.T, counts), counts, n_customers

    def _subsample(self, h, counts, rows):
        if not isinstance(h, _Histories):
            return super()._subsample(h, counts, rows)
        return _Histories(h.x[rows], h.t_x[rows], h.T[rows], counts[rows]), counts[rows]

    @staticmethod
    def _survival_if_alive(p, x, T, t):
        """P(alive at T + t | alive at T, x, T), with p ~ Beta(a, b + x) given the history."""
        return survival_dropout_at_purchases(p["r"], p["alpha"], p["a"], p["b"], x, T, t)

    def _initial_base(self, x, t_x, T, counts):
        mean_age = max(float(counts @ T / counts.sum()), 1e-3)
        mean_x = float(counts @ x / counts.sum())
        return np.array([1.0, mean_age / (mean_x + 1.0), 1.0, 1.0])

    def _degeneracy_hint(self, parameters):
        if {"a", "b"} & set(parameters):
            return (
                "dropout is (almost) never observed, so BG/NBD reduces to the NBD model without "
                "dropout; consider Pareto/NBD or MBG/NBD, or a longer calibration period"
            )
        return super()._degeneracy_hint(parameters)

    @property
    def _analytic_hessian(self) -> bool:
        return not self.has_covariates

    def _objective(self, theta, h, counts, hessian):
        """Eq. (6) summed over customers, with its gradient and Hessian in (r, α, a, b).

        Per customer, ll = A + softplus(D) where A is the log-likelihood of being alive at T,

            A = lnΓ(r+x) − lnΓ(r) + r ln α + lnB(a, b+x) − lnB(a, b) − (r+x) ln(α+T),

        and D = ln a − ln(b+x−1) − (r+x)[ln(α+t_x) − ln(α+T)] the log-odds of having dropped out
        right after the last purchase (x > 0 only). A's terms are sums over distinct x and T; only
        softplus(D) and its derivatives need a pass over the rows. With covariates every row has
        its own parameters, and the base's row-by-row form is used instead.
        """
        if not isinstance(h, _Histories):
            return super()._objective(theta, h, counts, hessian)
        r, alpha, a, b = theta
        ux, cx = h.ux, h.count_x
        log_T, inv_T = np.log(alpha + h.uT), 1.0 / (alpha + h.uT)
        log_tx, inv_tx = np.log(alpha + h.ut_x), 1.0 / (alpha + h.ut_x)
        weight_T = r * h.count_T + h.purchases_T  # Σ over customers with that T of (r + x)

        ll = (
            cx @ (gammaln(r + ux) - gammaln(r) + r * np.log(alpha))
            + cx @ (gammaln(b + ux) - gammaln(a + b + ux) - gammaln(b) + gammaln(a + b))
            - weight_T @ log_T
        )
        grad = np.array(
            [
                cx @ (psi(r + ux) - psi(r) + np.log(alpha)) - h.count_T @ log_T,
                cx.sum() * r / alpha - weight_T @ inv_T,
                cx @ (psi(a + b) - psi(a + b + ux)),
                cx @ (psi(b + ux) - psi(a + b + ux) - psi(b) + psi(a + b)),
            ]
        )

        # Rows with repeat purchases: D = k_x − m δ1, with δ1 = ln(α+t_x) − ln(α+T).
        m = r + h.r_x
        delta1 = log_tx[h.r_it_x] - log_T[h.r_iT]
        inv_tx_rows, inv_T_rows = inv_tx[h.r_it_x], inv_T[h.r_iT]
        delta2 = inv_tx_rows - inv_T_rows
        ux_rep = np.where(h.urepeat, ux, 2.0)
        inv_bx = np.where(h.urepeat, 1.0 / (b + ux_rep - 1.0), 0.0)  # 1 / (b + x − 1)
        k = (np.log(a) - np.log(b + ux_rep - 1.0))[h.r_ix]
        dead = k - m * delta1
        # softplus(D) = max(D, 0) + log1p(e), w = expit(D), both from e = exp(−|D|).
        e = np.exp(-np.abs(dead))
        log_term = np.log1p(e)
        positive = np.maximum(dead, 0.0)
        w = np.where(dead > 0, 1.0, e) / (1.0 + e)  # P(dropped out | history)
        cw = h.r_counts * w
        cw_by_x = np.bincount(h.r_ix, weights=cw, minlength=ux.size)
        cw_m_delta2 = _dot(cw, m * delta2)

        ll += _dot(h.r_counts, positive + log_term)
        grad += np.array([-_dot(cw, delta1), -cw_m_delta2, cw_by_x.sum() / a, -(cw_by_x @ inv_bx)])
        if not hessian:
            return ll, grad, None

        # d²D: (r,α) −δ2; (α,α) m(1/(α+t_x)² − 1/(α+T)²); (a,a) −1/a²; (b,b) 1/(b+x−1)².
        # w(1−w) dD dDᵀ with dD = (−δ1, −m δ2, 1/a, −1/(b+x−1)).
        v = cw * (1.0 - w)
        v_by_x = np.bincount(h.r_ix, weights=v, minlength=ux.size)
        v_delta1_by_x = np.bincount(h.r_ix, weights=v * delta1, minlength=ux.size)
        v_m_delta2_by_x = np.bincount(h.r_ix, weights=v * m * delta2, minlength=ux.size)
        inv_tx2 = delta2 * (inv_tx_rows + inv_T_rows)  # 1/(α+t_x)² − 1/(α+T)²
        hess = np.empty((4, 4))
        hess[0, 0] = cx @ (tri(r + ux) - tri(r)) + _dot(v, delta1**2)
        hess[0, 1] = (
            cx.sum() / alpha - h.count_T @ inv_T - _dot(cw, delta2) + _dot(v, m * delta1 * delta2)
        )
        hess[1, 1] = (
            -cx.sum() * r / alpha**2
            + weight_T @ inv_T**2
            + _dot(cw, m * inv_tx2)
            + _dot(v, m**2 * delta2**2)
        )
        hess[0, 2] = -v_delta1_by_x.sum() / a
        hess[0, 3] = v_delta1_by_x @ inv_bx
        hess[1, 2] = -v_m_delta2_by_x.sum() / a
        hess[1, 3] = v_m_delta2_by_x @ inv_bx
        common = cx @ (tri(a + b) - tri(a + b + ux))
        hess[2, 2] = common + (v_by_x.sum() - cw_by_x.sum()) / a**2
        hess[2, 3] = common - (v_by_x @ inv_bx) / a
        hess[3, 3] = (
            cx @ (tri(b + ux) - tri(a + b + ux) - tri(b) + tri(a + b))
            + (cw_by_x + v_by_x) @ inv_bx**2
        )
        lower = np.tril_indices(4, -1)
        hess[lower] = hess.T[lower]
        return ll, grad, hess

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
        inv_bx1 = np.where(repeat, 1.0 / np.where(repeat, b + x - 1.0, 1.0), 0.0)
        alive = -rx * log_alpha_T
        dead = np.where(
            repeat, np.log(a * np.where(repeat, inv_bx1, 1.0)) - rx * log_alpha_tx, -np.inf
        )
        total = np.logaddexp(alive, dead)
        ll = gammaln(rx) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b) + total
        if not gradient:
            return ll, None
        w_dead = np.exp(dead - total)
        w_alive = 1.0 - w_dead
        psi_ab, psi_abx = psi(a + b), psi(a + b + x)
        grad = np.empty((4, ll.size))
        grad[0] = psi(rx) - psi(r) + np.log(alpha) - w_alive * log_alpha_T - w_dead * log_alpha_tx
        grad[1] = r / alpha - rx * (w_alive / (alpha + T) + w_dead / (alpha + t_x))
        grad[2] = psi_ab - psi_abx + w_dead / a
        grad[3] = psi(b + x) - psi_abx - psi(b) + psi_ab - w_dead * inv_bx1
        return ll, grad

    @staticmethod
    def _log_odds_dead(p, x, t_x, T):
        """log[P(dead) / P(alive)] given (x, t_x, T); −inf without repeat purchases (eq. 13)."""
        r, alpha, a, b = (p[k] for k in ("r", "alpha", "a", "b"))
        safe_x = np.where(x > 0, x, 1.0)
        odds = (
            np.log(a)
            - np.log(b + safe_x - 1.0)
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
    def _expected_new(p, t):
        """E[X(t)], eq. (9)."""
        return expected_purchases_if_alive(p["r"], p["alpha"], p["a"], p["b"], 0.0, 0.0, t)

    @staticmethod
    def _pmf_new(p, n, t):
        """P(X(t) = n), eq. (8)."""
        return pmf_dropout_at_purchases(p["r"], p["alpha"], p["a"], p["b"], n, t)
