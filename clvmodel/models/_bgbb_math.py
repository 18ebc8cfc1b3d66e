"""BG/BB's beta-function sums at any positive parameters, in logs.

Two sums of Fader, Hardie and Shang (2010) lose all their digits at extreme parameters when written
plainly:

* Σ_{k=1}^{n*} B(γ, d+k)/B(γ, d) = d/(γ−1) [1 − R], R = Γ(γ+d)Γ(d+1+n*)/(Γ(d+1)Γ(γ+d+n*)):
  ln R as a difference of two ln Γ shifts cancels to nothing once d ≫ n* (δ = 1e15 gave 4.06
  expected purchases in 4 opportunities, δ = 1e20 gave 0). Here ln R/(1−γ) comes from Stirling's
  series with the differences taken inside each term (the Taylor series in γ − 1 near γ = 1);
* P(X = 0 | alive) needs β + n − x, which is 0 when β < 1e-16 and x = n unless written
  β + (n − x) (gave NaN).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import polygamma

from clvmodel.models._log_gamma import _STIRLING_FROM, digamma_shift, stirling_remainder_shift
from clvmodel.models._log_gamma import log_gamma_shift as shift

__all__ = ["log_beta_ratio", "no_purchase_if_alive", "survival_sum"]


def log_beta_ratio(a, b, da, db):
    """ln[B(a + da, b + db) / B(a, b)] for da, db ≥ 0."""
    return shift(a, da) + shift(b, db) - shift(a + b, da + db)


#: Below this |1 − γ| the ratio ln R/(1 − γ) is its Taylor series at γ = 1.
_NEAR_ONE = 1e-2


def _log1p_over(u):
    """log1p(u)/u, 1 at u = 0."""
    u = np.asarray(u, dtype="float64")
    safe = np.where(u == 0.0, 1.0, u)
    return np.where(u == 0.0, 1.0, np.log1p(safe) / safe)


def _log_ratio_over(eps, coefficient, p, q):
    """ln(p/q)/ε where p/q = 1 + ε·coefficient: log1p near 1, the plain logarithm elsewhere."""
    u = eps * coefficient
    near = np.abs(u) < 0.5
    far = np.log(np.where(near, 1.0, p)) - np.log(np.where(near, 1.0, q))
    return np.where(near, coefficient * _log1p_over(np.where(near, u, 0.0)), far / _nonzero(eps))


def _nonzero(values):
    return np.where(values == 0.0, 1.0, values)


def _log_r_over_eps(a, b, eps, h):
    """ln R/ε = Σ_{i<h} ln((a+i)/(b+i))/ε, with a = d + 1, b = γ + d, ε = 1 − γ (|ε| ≥ 0.01).

    Both arguments are first moved up by L = 10 where either is below 10,
    ln R(a, b) = ln R(a + L, b + L) + Σ_{i<L} ln[(a+i)(b+h+i) / ((b+i)(a+h+i))], then
    ln Γ(y) = (y − ½) ln y − y + ½ ln 2π + ω(y) gives, with the differences inside the logarithms,
    ln R = h ln((a+h)/(b+h)) + (b − ½) log1p(−εh/(a(b+h))) + ε log1p(h/a) + Δω.
    """
    low = np.minimum(a, b) < _STIRLING_FROM
    lift = np.where(low, _STIRLING_FROM, 0.0)
    big_a, big_b = a + lift, b + lift
    # (b − ½) log1p(−εh/(a(b+h))) + ε log1p(h/a) = (a − ½) log1p(h/a) − (b − ½) log1p(h/b): the
    # left form keeps its digits while a ≈ b, the right one when a and b are far apart.
    close = np.abs(eps) < 0.5 * np.minimum(big_a, big_b)
    share = h / (big_b + h)
    near_form = -(big_b - 0.5) / big_a * share * _log1p_over(-eps / big_a * share) + np.log1p(
        h / big_a
    )
    far_form = (
        (big_a - 0.5) * np.log1p(h / big_a) - (big_b - 0.5) * np.log1p(h / big_b)
    ) / np.where(close, 1.0, eps)
    total = (
        h * _log_ratio_over(eps, 1.0 / (big_b + h), big_a + h, big_b + h)
        + np.where(close, near_form, far_form)
        + (stirling_remainder_shift(big_a, h) - stirling_remainder_shift(big_b, h)) / eps
    )
    for i in range(int(_STIRLING_FROM)):
        # ln[(a+i)(b+h+i) / ((b+i)(a+h+i))] = log1p(εh / ((b+i)(a+h+i)))
        coefficient = h / (a + h + i) / (b + i)
        near = np.abs(eps * coefficient) < 0.5
        far = np.log((a + i) / (b + i)) + np.log((b + h + i) / (a + h + i))
        term = np.where(
            near,
            coefficient * _log1p_over(np.where(near, eps * coefficient, 0.0)),
            far / eps,
        )
        total = total + np.where(low, term, 0.0)
    return total


def _log_r_over_eps_near_one(gamma, d, h):
    """ln R/ε for |ε| < 0.01: Σ_j (γ−1)^j/(j+1)! [ψ⁽ʲ⁾(1+d+h) − ψ⁽ʲ⁾(1+d)] (the derivatives of
    ln R in γ at γ = 1); the first without cancellation, the others are small beside it."""
    e = gamma - 1.0
    total = digamma_shift(1.0 + d, h)
    for j in range(1, 8):
        difference = polygamma(j, 1.0 + d + h) - polygamma(j, 1.0 + d)
        total = total + e**j / math.factorial(j + 1) * difference
    return total


def _log_exprel(f):
    """ln[(e^f − 1)/f] without overflow for large f."""
    big = f > 1.0
    small = np.where(big, 0.0, f)
    large = np.where(big, f, 2.0)
    near = np.log(np.where(small == 0.0, 1.0, np.expm1(small) / _nonzero(small)))
    return np.where(big, large + np.log(-np.expm1(-large)) - np.log(large), near)


def survival_sum(gamma, d, horizon):
    """Σ_{k=1}^{n*} B(γ, d+k)/B(γ, d) = d/(γ−1) [1 − R], between 0 and n*, for γ, d > 0.

    With ε = 1 − γ and f = ln R, the sum is d · (f/ε) · exprel(f), taken in logs.

    Parameters
    ----------
    gamma : float
    d : float or array_like
        δ + n (> 0).
    horizon : float or array_like
        n*, whole numbers ≥ 0.

    Returns
    -------
    numpy.ndarray
    """
    gamma, d, h = np.broadcast_arrays(
        *(np.asarray(v, dtype="float64") for v in (gamma, d, horizon))
    )
    eps = 1.0 - gamma
    near_one = np.abs(eps) < _NEAR_ONE
    positive = h > 0.0
    h_safe = np.where(positive, h, 1.0)
    far_eps = np.where(near_one, 1.0, eps)
    ratio = np.where(
        near_one,
        _log_r_over_eps_near_one(np.where(near_one, gamma, 1.0), d, h_safe),
        _log_r_over_eps(d + 1.0, gamma + d, far_eps, h_safe),
    )
    log_sum = np.log(d) + np.log(ratio) + _log_exprel(eps * ratio)
    return np.where(positive, np.minimum(np.exp(log_sum), h), 0.0)


def no_purchase_if_alive(theta, x, n, n_star: int) -> np.ndarray:
    """P(X = 0 | alive at n) = Σ_j P(J = j) B(α + x, β + n − x + j)/B(α + x, β + n − x), with
    P(J = j) = B(γ + 1, δ + n + j)/B(γ, δ + n) for j < n*, B(γ, δ + n + n*)/B(γ, δ + n) at n*
    (summed in bounded memory by :func:`clvmodel.models._bgbb_likelihood.death_sum`).

    Parameters
    ----------
    theta : sequence of float
        α, β, γ, δ.
    x, n : array_like
        Transactions and opportunities of each row.
    n_star : int
        Future opportunities.

    Returns
    -------
    numpy.ndarray
    """
    from clvmodel.models._bgbb_likelihood import death_sum

    alpha, beta, gamma, delta = theta
    x, n = np.asarray(x, dtype="float64"), np.asarray(n, dtype="float64")
    horizon = float(n_star)
    last = log_beta_ratio(gamma, delta + n, 0.0, horizon) + log_beta_ratio(
        alpha + x, beta + (n - x), 0.0, horizon
    )
    log_sum = death_sum(
        (alpha + x, beta + (n - x), 0.0, 0.0), (gamma, delta + n, 1.0, 0.0),
        np.full(x.shape, horizon), (last, None), name="n_star",
    )  # fmt: skip
    return np.exp(np.minimum(log_sum, 0.0))
