"""The BG/NBD objective as clvmodel computed it before the one-pass kernel
(clvmodel/models/_beta_geo_fit.py), kept verbatim as a reference for
tests/models/test_beta_geo_fit.py: value, gradient and Hessian summed over distinct rows with
np.bincount by distinct x. Not used by the package."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import gammaln, polygamma, psi


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


def objective(theta, h, counts, hessian):
    """Eq. (6) summed over customers, with its gradient and Hessian in (r, α, a, b).

    Per customer, ll = A + softplus(D) where A is the log-likelihood of being alive at T,

        A = lnΓ(r+x) − lnΓ(r) + r ln α + lnB(a, b+x) − lnB(a, b) − (r+x) ln(α+T),

    and D = ln a − ln(b+x−1) − (r+x)[ln(α+t_x) − ln(α+T)] the log-odds of having dropped out
    right after the last purchase (x > 0 only). A's terms are sums over distinct x and T; only
    softplus(D) and its derivatives need a pass over the rows. With covariates every row has
    its own parameters, and the base's row-by-row form is used instead.
    """
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
        cx @ (tri(b + ux) - tri(a + b + ux) - tri(b) + tri(a + b)) + (cw_by_x + v_by_x) @ inv_bx**2
    )
    lower = np.tril_indices(4, -1)
    hess[lower] = hess.T[lower]
    return ll, grad, hess
