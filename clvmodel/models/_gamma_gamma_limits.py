"""The Gamma-Gamma likelihood's terms that keep their digits near its edges, and the two
limiting models at those edges (Hardie's note "The Gamma-Gamma model of monetary value", eq. (1a),
whose limits are derived here).

Per customer with x repeat transactions of mean m, under (p, q, γ):

    ln L = −ln B(px, q) − ln m − q ln(1 + xm/γ) − px ln(1 + γ/(xm)).

* p → ∞ with pγ = c fixed: each customer's spend per transaction is the constant p/ν, and the mean
  spends are inverse-gamma across customers, ln L → q ln(c/m) − lnΓ(q) − ln m − c/m (x drops
  out): 1/m is Gamma(q, rate c), fitted by the gamma distribution's maximum likelihood.
* q, γ → ∞ with γ/q = θ fixed: ν is the same for everybody, and m is the mean of x Gamma(p, 1/θ)
  spends, ln L → px ln(x/θ) + (px − 1) ln m − xm/θ − lnΓ(px); θ = M/p at the maximum over θ,
  with M = Σ x m / Σ x, and one equation in p remains.

Each limit's maximum tells whether the likelihood rises higher towards that edge than at a
maximum found inside, which a fit from one start cannot see.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, gammaln, polygamma

from clvmodel.models._log_gamma import log_gamma_shift, log_minus_digamma

__all__ = ["gamma_limit", "inverse_gamma_limit", "log_beta_terms", "odds_terms"]

_NEWTON_STEPS = 60


def _dot(u: np.ndarray, v: np.ndarray) -> float:
    # By einsum, not BLAS: a product over many rows wakes BLAS threads that then spin (see
    # clvmodel.models._compress.weighted_sum); measured: 0.1-0.15 CPU s on a 1M-customer fit.
    return float(np.einsum("i,i->", u, v))


def log_beta_terms(px, q):
    """lnΓ(px + q) − lnΓ(px) − lnΓ(q) = −ln B(px, q), the larger argument shifted by the smaller
    (so that neither edge, px → ∞ or q → ∞, cancels two large logarithms of Γ)."""
    px, q = np.broadcast_arrays(np.asarray(px, dtype="float64"), np.asarray(q, dtype="float64"))
    large, small = np.maximum(px, q), np.minimum(px, q)
    return log_gamma_shift(large, small) - gammaln(small)


def odds_terms(u):
    """For u = ln γ − ln(x m): ln(1 + γ/(xm)), ln(1 + xm/γ) and the shares γ/(γ + xm) and
    xm/(γ + xm), each without cancellation whatever the sign and size of u."""
    common = np.log1p(np.exp(-np.abs(u)))
    soft_v = np.maximum(u, 0.0) + common
    soft_xm = np.maximum(-u, 0.0) + common
    return soft_v, soft_xm, expit(u), expit(-u)


def _solve_log_minus_digamma(target: float, weights=None, scale=None) -> float | None:
    """The z > 0 where Σ w (ln(s z) − ψ(s z)) = target (one z, weights w and scales s per row,
    default one row with w = s = 1), by Newton steps on ln z; None when there is no finite root."""
    weights = np.ones(1) if weights is None else weights
    scale = np.ones(1) if scale is None else scale
    if not np.isfinite(target) or target <= 0:
        return None
    log_z = 0.0
    for _ in range(_NEWTON_STEPS):
        sz = scale * np.exp(log_z)
        value = weights @ log_minus_digamma(sz) - target
        # d/d ln z of ln(sz) − ψ(sz) is 1 − sz ψ'(sz) (< 0)
        slope = weights @ (1.0 - sz * polygamma(1, sz))
        if not (np.isfinite(value) and np.isfinite(slope)) or slope >= 0:
            return None
        step = -value / slope
        log_z += float(np.clip(step, -3.0, 3.0))
        if abs(step) < 1e-12:
            return float(np.exp(log_z))
    return None


def inverse_gamma_limit(m, log_m, counts) -> tuple[float, float, float] | None:
    """(q, c, log-likelihood) of the edge p → ∞, pγ = c, from the mean spends m, their
    logarithms and the rows' counts; None when the mean spends do not vary."""
    total = counts.sum()
    mean_inverse = _dot(counts, 1.0 / m) / total
    sum_log_m = _dot(counts, log_m)
    q = _solve_log_minus_digamma(np.log(mean_inverse) + sum_log_m / total)  # ≥ 0 by Jensen
    if q is None:
        return None
    c = q / mean_inverse
    ll = total * (q * np.log(c) - gammaln(q) - q) - (q + 1.0) * sum_log_m
    return q, c, float(ll)


def gamma_limit(x, m, log_m, counts) -> tuple[float, float, float] | None:
    """(p, θ, log-likelihood) of the edge q, γ → ∞, γ/q = θ, from the repeat transactions x, the
    mean spends m, their logarithms and the rows' counts; None when the mean spends do not vary.

    With M = Σ x m / Σ x (sums weighted by the counts), θ = M/p, and p solves
    Σ x [ln(px) − ψ(px)] = Σ x ln M − Σ x ln m; every sum is over rows once, or over distinct x.
    """
    distinct_x, index = np.unique(x, return_inverse=True)
    count_x = np.bincount(index, weights=counts, minlength=distinct_x.size)
    wx = counts * x
    weight = count_x @ distinct_x  # Σ x
    mean = _dot(wx, m) / weight
    sum_x_log_m = _dot(wx, log_m)
    p = _solve_log_minus_digamma(
        weight * np.log(mean) - sum_x_log_m, count_x * distinct_x, distinct_x
    )
    if p is None:
        return None
    ll = (
        p * (count_x @ (distinct_x * np.log(distinct_x)))
        + p * weight * (np.log(p / mean) - 1.0)
        + p * sum_x_log_m
        - _dot(counts, log_m)
        - count_x @ gammaln(p * distinct_x)
    )
    return p, mean / p, float(ll)
