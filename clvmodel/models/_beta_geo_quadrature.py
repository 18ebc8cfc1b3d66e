"""The positive integral (1) of :mod:`clvmodel.models._special`, for the BG/NBD and MBG/NBD
predictions where the Euler series is not reliable:

    E_alive(t) = ∫₀¹ g(p) Beta(p; a, β) dp,   g(p) = (1 − (1 + p s)^−m) / p,         (1)

with m = r + x, β = b + x, s = t/(α + T). g is convex and decreasing, from g(0) = m s to
g(1) = 1 − (1 + s)^−m.

* Ordinary shapes: tanh-sinh quadrature in η = logit p (:func:`quadrature_if_alive`), which
  never cancels.
* A shape below _SMALL_SHAPE (:func:`_degenerate_if_alive`): the Beta's mass gathers at p = 0 or
  p = 1 over a range of η of order 1/shape, where the quadrature loses accuracy (5e-5 at a shape
  of 1e-8, and ψ' overflows below 1e-154). Exact rearrangements move the shape up by 1.
* Both shapes above _LARGE_SHAPE (:func:`_concentrated_if_alive`): the Beta is concentrated
  (s.d. of η about (1/a + 1/β)^½), and a ln p + β ln q − ln B(a, β), a difference of numbers of
  order a + β, loses every digit (a = b = 1e12 gave a 1 % error; a = 1e18 gave 1e-45 for 0.048).
  There the density is written about its mode by the cumulants of a Bernoulli variable.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, logsumexp, polygamma, psi

from clvmodel.models._log_gamma import _stirling_remainder, log_gamma_shift

__all__ = ["fallback_if_alive", "log1mexp", "quadrature_if_alive"]

# tanh-sinh nodes on the real line: η = μ + σ sinh(u), u = -U..U in steps of h.
_QUAD_STEP = 1.0 / 40.0
_QUAD_HALF_WIDTH = 5.0
_QUAD_U = np.arange(-_QUAD_HALF_WIDTH, _QUAD_HALF_WIDTH + _QUAD_STEP / 2, _QUAD_STEP)
# Beyond this spread of logit p (a shape parameter below ~0.35) a second, finer grid follows: η
# = peak + _QUAD_FINE_SCALE sinh(u), out to where the tails are e^-_QUAD_DROP below the peak.
_QUAD_WIDE_SIGMA = 3.0
_QUAD_FINE_SCALE = 0.25
_QUAD_DROP = 45.0


# Below this a shape of Beta(a, β) is moved out of the quadrature (see _degenerate_if_alive).
_SMALL_SHAPE = 0.01
# Above this a shape's ln B(a, β) is taken as ln Γ(min) − [ln Γ(max + min) − ln Γ(max)]; with
# both shapes above it, E_alive is computed about the Beta's mode (_concentrated_if_alive).
_LARGE_SHAPE = 1e4
# |δ| below which the excess of the Bernoulli cumulant function is summed as a series.
_CUMULANT_SERIES = 0.01


def log1mexp(x: np.ndarray) -> np.ndarray:
    """Return log(1 - exp(-x)) for x > 0 without cancellation (Mächler 2012)."""
    x = np.asarray(x, dtype="float64")
    with np.errstate(divide="ignore"):
        return np.where(x <= np.log(2.0), np.log(-np.expm1(-x)), np.log1p(-np.exp(-x)))


def quadrature_if_alive(r, alpha, a, b, x, age, t, kind=0, log=False):
    """tanh-sinh quadrature of integral (1) over η = logit p (``kind``: see _quadrature_sum);
    its logarithm with ``log``."""
    # The outermost nodes reach p ≈ e^-1000, where branches of np.where that are not taken
    # evaluate log(0); their results are discarded, so the warnings are noise.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        return _quadrature_sum(r, alpha, a, b, x, age, t, kind, log)


def _quadrature_sum(r, alpha, a, b, x, age, t, kind=0, log=False):
    """Integral (1) (``kind`` 0), or H, K or M (1, 2, 3) of :func:`_degenerate_if_alive`, over
    the Beta(ca, cb) that weights it: (a, β), (a, β + 1), (a + 1, β) or (a + 1, β + 1); its
    logarithm with ``log``."""
    m = r + x
    beta = b + x
    log_s = np.log(t) - np.log(alpha + age)
    ca, cb = a + float(kind in (2, 3)), beta + float(kind in (1, 3))
    log_beta = gammaln(ca) + gammaln(cb) - gammaln(ca + cb)
    large = np.maximum(ca, cb) > _LARGE_SHAPE
    if large.any():  # ln Γ(max + min) − ln Γ(max) without the cancellation of its two terms
        low, high = np.minimum(ca, cb), np.maximum(ca, cb)
        log_beta = np.where(large, gammaln(low) - log_gamma_shift(high, low), log_beta)
    # Centre and scale: mean and s.d. of logit p under Beta(ca, cb), stretched by sinh.
    mu = psi(ca) - psi(cb)
    sigma = np.sqrt(polygamma(1, ca) + polygamma(1, cb))
    u = _QUAD_U[None, :]
    eta = mu[:, None] + sigma[:, None] * np.sinh(u)
    log_integrand = _log_integrand(eta, m, log_s, a, beta, kind)
    log_integrand += np.log(sigma)[:, None] + np.log(np.cosh(u)) - log_beta[:, None]
    total = logsumexp(log_integrand, axis=1) + np.log(_QUAD_STEP)
    # A shape parameter far below 1 spreads Beta(a, beta) over hundreds or thousands in logit
    # space (tails falling like e^(a η) and e^(−beta η)), and the grid above, scaled to that
    # spread, is too coarse where the integrand turns (found by fuzzing: errors up to 4 %).
    # There a second grid, fine at the peak the first one found, reaches the tails.
    wide = np.flatnonzero(sigma > _QUAD_WIDE_SIGMA)
    if wide.size:
        peak = np.take_along_axis(
            mu[wide, None] + sigma[wide, None] * np.sinh(u),
            np.argmax(log_integrand[wide], axis=1)[:, None],
            axis=1,
        )
        reach = (_QUAD_DROP + 10.0) / np.minimum(ca[wide], cb[wide])
        half_width = np.arcsinh(np.max(reach) / _QUAD_FINE_SCALE)
        u2 = np.arange(-half_width, half_width + _QUAD_STEP / 2, _QUAD_STEP)[None, :]
        eta = peak + _QUAD_FINE_SCALE * np.sinh(u2)
        fine = _log_integrand(eta, m[wide], log_s[wide], a[wide], beta[wide], kind)
        fine += np.log(_QUAD_FINE_SCALE) + np.log(np.cosh(u2)) - log_beta[wide, None]
        total[wide] = logsumexp(fine, axis=1) + np.log(_QUAD_STEP)
    return total if log else np.exp(total)


def _log_one_minus(log_ps, log_m):
    """ln(1 - (1 + ps)^-m) from ln(ps) and ln m, without cancellation for tiny or huge ps."""
    # m·log(1 + p s), kept in log form so tiny p s does not round to zero.
    log_lm = log_m + np.where(
        log_ps < -30.0, log_ps, np.log(np.log1p(np.exp(np.minimum(log_ps, 700.0))))
    )
    huge = log_m + np.log(np.maximum(log_ps, 700.0))
    log_lm = np.where(log_ps > 700.0, huge, log_lm)
    lm = np.exp(log_lm)
    return np.where(log_lm < -30.0, log_lm, log1mexp(np.maximum(lm, 1e-300)))


def _log_integrand(eta, m, log_s, a, beta, kind=0):
    """ln of integral (1)'s integrand in η = logit p, without the Beta function: g(p) p^a
    (1-p)^beta, with g(p) = (1 - (1+ps)^-m) / p; rows of ``eta`` per element of the rest. For
    ``kind`` 1, 2, 3 that of H, K or M in :func:`_degenerate_if_alive` (all ≥ 0)."""
    log_p = -np.logaddexp(0.0, -eta)
    log_q = -np.logaddexp(0.0, eta)
    log_ps = log_p + log_s[:, None]
    log_one_minus = _log_one_minus(log_ps, np.log(m)[:, None])
    if kind == 0:
        return log_one_minus + (a[:, None] - 1.0) * log_p + beta[:, None] * log_q
    log_g = log_one_minus - log_p
    log_g0 = (np.log(m) + log_s)[:, None]
    log_g1 = _log_one_minus(log_s, np.log(m))[:, None]
    base = log_g + a[:, None] * log_p + beta[:, None] * log_q
    d = np.maximum(log_g0 - log_g, 0.0)  # ln(g(0)/g(p)) ≥ 0, as g decreases
    if kind == 1:  # g(p) (1 − g(1)/g(p)) p^a q^β = h(p) p^a q^(β+1)
        value = base + log1mexp(np.maximum(log_g - log_g1, 0.0))
    elif kind == 2:  # g(p) (g(0)/g(p) − 1) p^a q^β = k(p) p^(a+1) q^β
        value = base + d + log1mexp(d)
    else:
        # (k(p) − k(1))/q · p^(a+1) q^(β+1), k(p) = (g(0) − g(p))/p decreasing, k(1) = g(0) − g(1).
        log_k = log_g0 + log1mexp(d) - log_p
        log_k1 = log_g0 + log1mexp(np.maximum(log_g0 - log_g1, 0.0))
        drop = log1mexp(np.maximum(log_k - log_k1, 0.0))
        value = log_k + drop + (a[:, None] + 1.0) * log_p + beta[:, None] * log_q
    # g(0) = g(p) = g(1) to double precision (ms ≪ 1e-16) leaves 0 · ln 0 terms: H's, K's or
    # M's share of E is then below its precision, and the node counts as 0.
    return np.where(np.isnan(value), -np.inf, value)


def _degenerate_if_alive(r, alpha, a, b, x, age, t):
    """E_alive where a shape of Beta(a, β), β = b + x, is below _SMALL_SHAPE: its mass then
    gathers at p = 1 (β small) or p = 0 (a small), where the quadrature of integral (1) in
    logit p is inaccurate (a shape of 1e-8 costs 5e-5 relative) and ψ' overflows.

    g(p) = (1 − (1+ps)^−m)/p is convex and decreasing from g(0) = ms to g(1), so
    h(p) = (g(p) − g(1))/(1 − p) and k(p) = (g(0) − g(p))/p are positive and decreasing. Splitting
    p^(a−1) q^(β−1) = p^(a−1) q^β + p^a q^(β−1) (q = 1 − p), twice, gives exactly

        E = g(1) + β/(a+β) H,   H = E[h(p)],                      p ~ Beta(a, β + 1),
        E = g(0) − a/(a+β) K,   K = E[k(p)],                      p ~ Beta(a + 1, β),
        E = (a g(1) + β g(0))/(a+β) − aβ/((a+β)(a+β+1)) M,  M = E[(k(p) − k(1))/(1 − p)],
                                                                   p ~ Beta(a + 1, β + 1),

    the first for β small (a ≥ _SMALL_SHAPE), the second for a small, the third for both: sums
    of positive terms, or a difference whose subtrahend is at most min(a, β) of the first term.
    Each expectation is of a positive function under a Beta whose shapes are ≥ _SMALL_SHAPE, by
    the quadrature of :func:`_quadrature_sum`; as a shape goes to 0, E tends to the two-point
    limit (a g(1) + β g(0))/(a+β) (with β → 0: every customer drops out at the next purchase).
    """
    m, beta = r + x, b + x
    log_s = np.log(t) - np.log(alpha + age)
    # In logs: g0 = m s and H, K, M pass the largest double where E does not (α tiny, t large).
    log_g1 = _log_one_minus(log_s, np.log(m))
    log_g0 = np.log(m) + log_s
    small_a, small_b = a < _SMALL_SHAPE, beta < _SMALL_SHAPE
    kinds = np.where(small_a & small_b, 3, np.where(small_b, 1, 2))
    log_inner = np.empty(a.size)
    for kind in (1, 2, 3):
        rows = np.flatnonzero(kinds == kind)
        if rows.size:
            columns = (v[rows] for v in (r, alpha, a, b, x, age, t))
            log_inner[rows] = quadrature_if_alive(*columns, kind=kind, log=True)
    log_n = np.log(a + beta)
    log_two_point = np.logaddexp(np.log(a) + log_g1, np.log(beta) + log_g0) - log_n
    # A difference is the first term times 1 − (subtrahend / first term), the ratio ≤ min(a, β).
    log_difference = np.where(kinds == 2, log_g0, log_two_point)
    subtrahend = np.where(
        kinds == 2,
        np.log(a) - log_n + log_inner,
        np.log(a) + np.log(beta) - log_n - np.log(a + beta + 1.0) + log_inner,
    )
    log_sum = np.logaddexp(log_g1, np.log(beta) - log_n + log_inner)
    log_e = np.where(kinds == 1, log_sum, log_difference + log1mexp(log_difference - subtrahend))
    return np.exp(log_e)


def fallback_if_alive(r, alpha, a, b, x, age, t):
    """E_alive (integral (1)) where the Euler series is not reliable, by the method that suits
    the shapes (see the module docstring); 1-D arrays of one length."""
    beta = b + x
    smaller = np.minimum(a, beta)
    values = np.empty(a.size)
    routes = (
        (smaller < _SMALL_SHAPE, _degenerate_if_alive),
        (smaller > _LARGE_SHAPE, _concentrated_if_alive),
        ((smaller >= _SMALL_SHAPE) & (smaller <= _LARGE_SHAPE), _quadrature_sum),
    )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        for rows, method in routes:
            if rows.any():
                values[rows] = method(*(v[rows] for v in (r, alpha, a, b, x, age, t)))
    return values


def _concentrated_if_alive(r, alpha, a, b, x, age, t):
    """Integral (1) when both shapes exceed _LARGE_SHAPE, about the mode η̄ = ln(a/β) of the
    density of η = logit p, p̄ = a/(a+β), q̄ = 1 − p̄, n = a + β. With η = η̄ + δ,

        ln p = ln p̄ − ln(1 + q̄ (e^−δ − 1)),   ln q = ln q̄ − ln(1 + p̄ (e^δ − 1)),
        a ln p + β ln q − ln B(a, β) = C − n (K(δ) − p̄ δ),

    K(δ) = ln(q̄ + p̄ e^δ) the cumulant function of a Bernoulli(p̄) variable (so K − p̄δ =
    Σ_{k≥2} κ_k δ^k / k!), and by Stirling's series C = ½ ln(aβ/(2πn)) − ω(a) − ω(β) + ω(n), ω
    the remainder of ln Γ. Nodes δ = σ sinh(u) on the quadrature's grid, σ² = ψ'(a) + ψ'(β).
    """
    m, beta = r + x, b + x
    log_s = np.log(t) - np.log(alpha + age)
    n = a + beta
    p, q = a / n, beta / n
    sigma = np.sqrt(polygamma(1, a) + polygamma(1, beta))
    delta = sigma[:, None] * np.sinh(_QUAD_U)[None, :]
    log_p = (np.log(a) - np.log(n))[:, None] - np.log1p(q[:, None] * np.expm1(-delta))
    constant = 0.5 * (np.log(a) + np.log(beta) - np.log(n) - np.log(2.0 * np.pi))
    constant += _stirling_remainder(n) - _stirling_remainder(a) - _stirling_remainder(beta)
    density = constant[:, None] - n[:, None] * _cumulant_excess(delta, p[:, None], q[:, None])
    log_g = _log_one_minus(log_p + log_s[:, None], np.log(m)[:, None]) - log_p
    terms = log_g + density + np.log(sigma)[:, None] + np.log(np.cosh(_QUAD_U))
    return np.exp(logsumexp(terms, axis=1) + np.log(_QUAD_STEP))


def _cumulant_excess(delta, p, q):
    """K(δ) − p δ = ln(q + p e^δ) − p δ ≥ 0 (q = 1 − p), without cancellation: the cumulant
    series pq δ²/2 + κ₃ δ³/6 + … + κ₇ δ⁷/7! (κ₃ = pq(1−2p), κ₄ = pq(1−6pq), κ₅ = pq(1−2p)(1−12pq),
    κ₆ = pq(1−30pq+120p²q²), κ₇ = pq(1−2p)(1−60pq+360p²q²); truncation below 1e-16 relative for
    |δ| < _CUMULANT_SERIES), else the closed form with the smaller of p, q as coefficient."""
    u, d = p * q, q - p
    coefficients = (
        np.full_like(u, 0.5),
        d / 6.0,
        (1.0 - 6.0 * u) / 24.0,
        d * (1.0 - 12.0 * u) / 120.0,
        (1.0 - 30.0 * u + 120.0 * u * u) / 720.0,
        d * (1.0 - 60.0 * u + 360.0 * u * u) / 5040.0,
    )
    series = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        series = series * delta + c
    series = u * delta * delta * series
    closed = np.where(
        p <= q,
        np.log1p(p * np.expm1(delta)) - p * delta,
        np.log1p(q * np.expm1(-delta)) + q * delta,
    )
    return np.where(np.abs(delta) < _CUMULANT_SERIES, series, closed)
