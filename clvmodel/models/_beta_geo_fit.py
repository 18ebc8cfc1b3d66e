"""BG/NBD's log-likelihood summed over distinct histories, with its gradient and Hessian, in one
pass over the rows (Fader, Hardie and Lee 2005, eq. 6; derivatives from Hardie's note
"Implementing the BG/NBD model").

Per customer, ln L = A + softplus(D), where

    A = lnΓ(r+x) − lnΓ(r) + r ln α + lnB(a, b+x) − lnB(a, b) − (r+x) ln(α+T)

is the log-likelihood of being alive at T and

    D = ln a − ln(b+x−1) − (r+x) [ln(α+t_x) − ln(α+T)]

the log-odds of having dropped out right after the last purchase (x > 0 only). A's terms depend
on x alone or on T alone, so they are sums over the distinct values of x and of T with customer
counts; only softplus(D) needs the rows. Every special function and logarithm is evaluated once
per distinct value of x, t_x or T and gathered; the rows are visited once per evaluation, in
blocks small enough for the temporaries to stay in cache, and each block adds to the nineteen
weighted sums from which the value, the gradient and the Hessian follow.

MBG/NBD (Batislam, Denizel and Filiztekin 2007) has the same form with one more dropout coin, at
time 0: lnB(a, b+x+1) in A, ln(b+x) in D, and softplus(D) for every customer, x = 0 included
(``Histories(..., modified=True)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import polygamma, psi

from clvmodel._grouping import value_codes
from clvmodel.models._compress import RfmRows, compress_rfm
from clvmodel.models._log_gamma import digamma_shift, log_gamma_shift, trigamma_shift
from clvmodel.models._special import log_growth

__all__ = ["FusedBetaGeoFit", "Histories", "objective", "rfm_histories"]

# Rows per block: the block's dozen temporaries (8 bytes a row each) stay in a 1 MB cache, and the
# dot products stay below the length at which OpenBLAS threads them (measured: blocks of 16,384
# make a pass 2-3 times slower on a loaded 2-core machine; 8,192 is the fastest).
_BLOCK = 8192


def _sum(u: np.ndarray, v: np.ndarray) -> float:
    # A block is too short for BLAS to start threads (see _BLOCK), and np.dot costs far less per
    # call than einsum, which matters: the sums are many and the blocks short.
    return np.dot(u, v)


# Pairwise summation without the Python layer of ndarray.sum (the blocks are many and short).
_total = np.add.reduce


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes (intp: numpy gathers with int32 indices are several times slower) and the values
    they stand for: directly from whole days (or days in weeks) when their range is small, by
    hashing otherwise."""
    direct = value_codes(values, max_span=max(4 * values.size, 4096))
    if direct is not None:
        return direct
    codes, uniques = pd.factorize(values)
    return codes.astype(np.intp, copy=False), np.asarray(uniques, dtype="float64")


class Histories:
    """Distinct (x, t_x, T) rows with their counts, indexed by their distinct x, t_x and T values,
    with the sums over rows that do not depend on the parameters computed once."""

    def __init__(self, x, t_x, age, counts, codes=None, modified=False):
        # Recency and T may be None when codes are given: they are then made on demand (the fit
        # reads them through their codes).
        self.x, self._t_x, self._T = x, t_x, age
        self.modified = modified  # MBG/NBD: a dropout coin at time 0 too
        self.z_purchase = self.z_dropout = np.empty((x.size, 0))  # no covariates
        if codes is None:
            codes = (_factorize(x), _factorize(t_x), _factorize(age))
        # Each column's codes (intp) and the distinct values they stand for (values[codes]).
        self.codes = codes
        (ix, self.ux), (it_x, self.ut_x), (iT, self.uT) = codes
        # Customers per distinct x; customers and their repeat purchases per distinct T.
        self.count_x = np.bincount(ix, weights=counts, minlength=self.ux.size)
        self.count_T = np.bincount(iT, weights=counts, minlength=self.uT.size)
        self.purchases_T = np.bincount(iT, weights=counts * x, minlength=self.uT.size)
        # Rows with repeat purchases: only they carry the "dropped out after the last purchase"
        # term softplus(D) (every row under MBG/NBD).
        rows = np.arange(x.size) if modified else np.flatnonzero(x > 0)
        if rows.size and rows[-1] - rows[0] + 1 == rows.size:
            rows = slice(rows[0], rows[-1] + 1)  # rows sorted by x: views, not copies
        self.r_ix, self.r_it_x, self.r_iT = ix[rows], it_x[rows], iT[rows]
        self.r_x, self.r_counts = x[rows], counts[rows]

    @property
    def t_x(self) -> np.ndarray:
        """Each row's recency."""
        return self.ut_x[self.codes[1][0]] if self._t_x is None else self._t_x

    @property
    def T(self) -> np.ndarray:  # noqa: N802 (the papers' name)
        """Each row's age T."""
        return self.uT[self.codes[2][0]] if self._T is None else self._T

    @classmethod
    def from_rfm(cls, compressed: RfmRows, modified: bool = False) -> Histories:
        """The histories of :func:`clvmodel.models._compress.compress_rfm`'s distinct rows,
        reusing its codes when the columns' value tables are small."""
        limit = max(4 * compressed.counts.size, 4096)
        if all(table.size <= limit for table in compressed.tables):
            codes = tuple(zip(compressed.codes, compressed.tables, strict=True))
            return cls(compressed.x, None, None, compressed.counts, codes, modified)
        return cls(*compressed.values, compressed.counts, None, modified)

    def subset(self, rows: np.ndarray, counts: np.ndarray) -> Histories:
        """The same histories restricted to some rows (``counts`` are all rows' counts)."""
        codes = tuple((code[rows], values) for code, values in self.codes)
        return Histories(self.x[rows], None, None, counts[rows], codes, self.modified)


def rfm_histories(
    data, modified: bool = False, time_unit: str | None = None
) -> tuple[Histories, np.ndarray, int] | None:
    """``(histories, counts, n_customers)`` of an RFM table in whole days (or weeks) by the
    one-pass route of :func:`clvmodel.models._compress.compress_rfm`; None when that route does
    not apply or the table cannot be fitted (the general route then says why). ``time_unit``:
    the unit of a table that does not record it (as for :func:`clvmodel.rfm.validate_rfm`)."""
    compressed = compress_rfm(data, time_unit)
    if compressed is None:
        return None
    # The last value of T's table is the largest T (the tables run from a column's lowest value
    # to its highest).
    largest_age = compressed.tables[2][-1]
    if compressed.n_customers < 2 or not largest_age > 0 or not (compressed.x > 0).any():
        return None
    return Histories.from_rfm(compressed, modified), compressed.counts, compressed.n_customers


class FusedBetaGeoFit:
    """The fit of BG/NBD and MBG/NBD without covariates by Newton steps on :func:`objective`,
    mixed in before :class:`clvmodel.models.base.PurchaseModel`; ``_modified`` picks the model.
    With covariates every row has its own parameters and the base's row-by-row form is used."""

    _modified = False

    def _prepare(self, data, weights, time_unit=None):
        if not self.has_covariates and weights is None:
            fast = rfm_histories(data, self._modified, time_unit)
            if fast is not None:
                return fast
        rows, counts, n_customers = super()._prepare(data, weights, time_unit)
        if self.has_covariates:
            return rows, counts, n_customers
        h = Histories(rows.x, rows.t_x, rows.T, counts, modified=self._modified)
        return h, counts, n_customers

    def _subsample(self, h, counts, rows):
        if not isinstance(h, Histories):
            return super()._subsample(h, counts, rows)
        return h.subset(rows, counts), counts[rows]

    @property
    def _analytic_hessian(self) -> bool:
        return not self.has_covariates

    def _objective(self, theta, h, counts, hessian):
        if not isinstance(h, Histories):
            return super()._objective(theta, h, counts, hessian)
        return objective(theta, h, hessian)


def objective(theta, h: Histories, hessian: bool):
    """Eq. (6) summed over customers, its gradient and (optionally) its Hessian in (r, α, a, b)
    (MBG/NBD's likelihood, Batislam et al. 2007, when ``h.modified``).

    Returns ``(ll, gradient, hessian or None)``.
    """
    r, alpha, a, b = (float(v) for v in theta)
    ux, cx = h.ux, h.count_x
    # ln(α + u) = ln α + ln(1 + u/α), and r ln α − (r + x) ln(α + T) as −r ln(1 + T/α) −
    # x ln(α + T): so the terms keep their digits when r and α grow without bound together (no
    # heterogeneity in the purchase rate), where the plain differences cancel to noise and the
    # optimiser ran off after it (r = 2e31, log-likelihood −2^62).
    log_T = np.log(alpha + h.uT)
    grow_T = log_growth(alpha, h.uT, log_T)
    grow_tx = log_growth(alpha, h.ut_x, np.log(alpha + h.ut_x))
    inv_T, inv_tx = 1.0 / (alpha + h.uT), 1.0 / (alpha + h.ut_x)
    # 1/α − 1/(α + T) = T/(α(α + T)) per customer with that T
    rate_T = h.count_T @ (h.uT * inv_T) / alpha

    # Coins survived by a customer alive at T: x (BG/NBD) or x + 1 (MBG/NBD).
    coins = ux + 1.0 if h.modified else ux
    ll = (
        cx @ log_gamma_shift(r, ux)
        # lnB(a, b+x) − lnB(a, b) as shifts of ln Γ, which keep their digits for large a and b.
        + cx @ (log_gamma_shift(b, coins) - log_gamma_shift(a + b, coins))
        - r * (h.count_T @ grow_T)
        - h.purchases_T @ log_T
    )
    grad = np.array(
        [
            cx @ digamma_shift(r, ux) - h.count_T @ grow_T,
            r * rate_T - h.purchases_T @ inv_T,
            cx @ (psi(a + b) - psi(a + b + coins)),
            cx @ (psi(b + coins) - psi(a + b + coins) - psi(b) + psi(a + b)),
        ]
    )
    # Per distinct x: k = ln a − ln(b+x−1) and 1/(b+x−1) (x = 0 never reaches the rows below);
    # b+x under MBG/NBD.
    denominator = b + ux if h.modified else b + np.where(ux > 0, ux, 2.0) - 1.0
    k_x = np.log(a) - np.log(denominator)
    inv_bx = 1.0 / denominator

    sums = _row_sums(r, h, grow_tx, grow_T, inv_tx, inv_T, k_x, inv_bx, hessian)
    soft, cw, cw_d1, cw_md2, cw_ib = sums[:5]
    ll += soft
    grad += np.array([-cw_d1, -cw_md2, cw / a, -cw_ib])
    if not hessian:
        return ll, grad, None

    cw_d2, cw_m_dsq, cw_ib2, v, v_d1, v_md2, v_ib, v_d1d1, v_d1md2, v_md2md2 = sums[5:15]
    v_d1ib, v_md2ib, v_ibib, cw_w = sums[15:]
    # d²D: (r,α) −δ2; (α,α) m(1/(α+t_x)² − 1/(α+T)²); (a,a) −1/a²; (b,b) 1/(b+x−1)²; plus
    # w(1−w) dD dDᵀ with dD = (−δ1, −m δ2, 1/a, −1/(b+x−1)) and w = P(dropped out | history).
    hess = np.empty((4, 4))
    hess[0, 0] = cx @ trigamma_shift(r, ux) + v_d1d1
    hess[0, 1] = rate_T - cw_d2 + v_d1md2
    # −r(1/α² − 1/(α + T)²) = −r T(2α + T)/(α²(α + T)²) per customer with that T
    squares = h.count_T @ (h.uT * (2.0 * alpha + h.uT) * inv_T**2) / (alpha * alpha)
    hess[1, 1] = -r * squares + h.purchases_T @ inv_T**2 + cw_m_dsq + v_md2md2
    hess[0, 2] = -v_d1 / a
    hess[0, 3] = v_d1ib
    hess[1, 2] = -v_md2 / a
    hess[1, 3] = v_md2ib
    common = cx @ (_trigamma(a + b) - _trigamma(a + b + coins))
    # v − cw = −Σ c w², summed directly: the difference of the two sums cancels when a → 0.
    # a * a, not a**2: a Python float's ** raises OverflowError where * gives inf (a fit on the
    # way to a = 1e160 along a flat ridge).
    hess[2, 2] = common - cw_w / (a * a)
    hess[2, 3] = common - v_ib / a
    hess[3, 3] = (
        cx @ (_trigamma(b + coins) - _trigamma(a + b + coins) - _trigamma(b) + _trigamma(a + b))
        + cw_ib2
        + v_ibib
    )
    lower = np.tril_indices(4, -1)
    hess[lower] = hess.T[lower]
    return ll, grad, hess


def _trigamma(z):
    return polygamma(1, z)


def _row_sums(r, h, grow_tx, grow_T, inv_tx, inv_T, k_x, inv_bx, hessian):
    """The count-weighted sums over rows with repeat purchases, block by block.

    With m = r + x, δ1 = ln(α+t_x) − ln(α+T), δ2 = 1/(α+t_x) − 1/(α+T), ib = 1/(b+x−1),
    w = expit(D) and v = w(1−w), all weighted by the row's count c: Σ softplus(D), Σ w, Σ w δ1,
    Σ w m δ2, Σ w ib; with the Hessian also Σ w δ2, Σ w m δ2 [1/(α+t_x) + 1/(α+T)], Σ w ib² and
    the ten sums of v times 1, δ1, m δ2, ib and their products, and Σ w².
    """
    n_sums = 19 if hessian else 5
    totals = np.zeros(n_sums)
    n = h.r_x.size
    for start in range(0, n, _BLOCK):
        block = slice(start, start + _BLOCK)
        it_x, iT, ix = h.r_it_x[block], h.r_iT[block], h.r_ix[block]
        c = h.r_counts[block]
        m = r + h.r_x[block]
        inv_t = inv_tx[it_x]
        inv_a = inv_T[iT]
        d1 = grow_tx[it_x]  # ln(α + t_x) − ln(α + T) as ln(1 + t_x/α) − ln(1 + T/α)
        d1 -= grow_T[iT]
        d2 = inv_t - inv_a
        md2 = m * d2
        dead = m * d1
        np.subtract(k_x[ix], dead, out=dead)
        # softplus(D) = max(D, 0) + log1p(e) and w = expit(D) = exp(min(D, 0)) / (1 + e), both
        # from e = exp(−|D|) (exp(min(D, 0)) is 1 or e: no np.where, which costs several ops).
        e = np.abs(dead)
        np.negative(e, out=e)
        np.exp(e, out=e)
        soft = np.maximum(dead, 0.0)
        soft += np.log1p(e)
        np.minimum(dead, 0.0, out=dead)
        w = np.exp(dead, out=dead)
        e += 1.0
        w /= e
        cw = c * w
        ib = inv_bx[ix]
        part = [_sum(c, soft), _total(cw), _sum(cw, d1), _sum(cw, md2), _sum(cw, ib)]
        if hessian:
            v = 1.0 - w
            v *= cw
            v_d1, v_md2, v_ib = v * d1, v * md2, v * ib
            inv_t += inv_a
            part += [
                _sum(cw, d2),
                _sum(cw * md2, inv_t),
                _sum(cw * ib, ib),
                _total(v),
                _total(v_d1),
                _total(v_md2),
                _total(v_ib),
                _sum(v_d1, d1),
                _sum(v_d1, md2),
                _sum(v_md2, md2),
                _sum(v_d1, ib),
                _sum(v_md2, ib),
                _sum(v_ib, ib),
                _sum(cw, w),
            ]
        totals += part
    return totals
