"""Numerically stable pieces of the BG/NBD predictions.

The quantity that needs care is the expected number of purchases in the next ``t`` time units of a
customer who is still alive, with ``x`` repeat purchases and age ``T``:

    E_alive(t) = E[(1 - exp(-λ p t)) / p],   λ ~ Gamma(r + x, α + T),   p ~ Beta(a, b + x),

the posterior of (λ, p) given that the customer is alive at ``T`` (Fader, Hardie and Lee 2005,
"Counting your customers the easy way", eq. 10 divided by P(alive)). Integrating λ out gives

    E_alive(t) = ∫₀¹ (1 - (1 + p s)^-(r+x)) / p · Beta(p; a, b + x) dp,   s = t / (α + T),    (1)

and the closed form of the paper,

    E_alive(t) = (a+b+x-1)/(a-1) · [1 - z^(r+x) ₂F₁(r+x, b+x; a+b+x-1; y)],

with z = 1 - y = (α+T)/(α+T+t).

The ₂F₁ overflows for heavy buyers (its argument approaches 1 with c - a - b ≪ 0) and the prefactor
divides by a - 1. Euler's transformation ₂F₁(A, B; C; y) = (1-y)^(C-A-B) ₂F₁(C-A, C-B; C; y) gives

    E_alive(t) = d · [(1 - z^(a-1)) / (a-1) - z^(a-1) Σ_{k≥1} (a)_{k-1} (c)_k / ((d)_k k!) y^k],

with c = a + b - 1 - r and d = a + b + x - 1: no overflow, a removable singularity at a = 1
(the first term tends to -log z), and terms that shrink fast when x is large. Where this series is
ill-conditioned (d small, y close to 1, or cancellation between its two parts) the positive integral
(1) is evaluated instead by tanh-sinh quadrature in logit space, which never cancels.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.special import betainc, betaln, gammaln, logsumexp, polygamma, psi

from clvmodel._grouping import group_rows

__all__ = [
    "euler_series_if_alive",
    "expected_purchases_if_alive",
    "log1mexp",
    "one_minus_power_over",
    "pmf_dropout_at_purchases",
    "quadrature_if_alive",
    "survival_dropout_at_purchases",
]

_SERIES_MAX_TERMS = 600
_SERIES_RTOL = 1e-15
# Accept the series when the result keeps at least this share of the terms' magnitude.
_CANCELLATION_LIMIT = 1e-6
_MIN_SERIES_D = 0.01
# From this many elements on, the compiled loop (once the interval code has loaded it) replaces
# the NumPy one: it is quicker at every size, as each NumPy step costs microseconds however few
# the elements (1 element to y = 0.9: 1.7 ms vs 9 µs; 100 to y = 0.999: 13 ms vs 16 µs).
_COMPILED_MIN_SIZE = 1

# tanh-sinh nodes on the real line: η = μ + σ sinh(u), u = -U..U in steps of h.
_QUAD_STEP = 1.0 / 40.0
_QUAD_HALF_WIDTH = 5.0
_QUAD_U = np.arange(-_QUAD_HALF_WIDTH, _QUAD_HALF_WIDTH + _QUAD_STEP / 2, _QUAD_STEP)
# Beyond this spread of logit p (a shape parameter below ~0.35) a second, finer grid follows: η
# = peak + _QUAD_FINE_SCALE sinh(u), out to where the tails are e^-_QUAD_DROP below the peak.
_QUAD_WIDE_SIGMA = 3.0
_QUAD_FINE_SCALE = 0.25
_QUAD_DROP = 45.0


def log1mexp(x: np.ndarray) -> np.ndarray:
    """Return log(1 - exp(-x)) for x > 0 without cancellation (Mächler 2012)."""
    x = np.asarray(x, dtype="float64")
    with np.errstate(divide="ignore"):
        return np.where(x <= np.log(2.0), np.log(-np.expm1(-x)), np.log1p(-np.exp(-x)))


def one_minus_power_over(eps: np.ndarray, log_z: np.ndarray) -> np.ndarray:
    """(1 - z^eps) / eps, with its limit -log z at eps = 0."""
    safe = np.where(eps == 0.0, 1.0, eps)
    return np.where(eps == 0.0, -log_z, -np.expm1(eps * log_z) / safe)


def _series_sums(a, c, d, y):
    """Σ_{k≥1} (a)_{k-1} (c)_k / ((d)_k k!) y^k, the sum of its terms' magnitudes, and where
    _SERIES_MAX_TERMS were not enough. The same operations, element by element, as the compiled
    ``euler_series`` (used instead when the interval code has loaded it: same results)."""
    total = np.zeros_like(y)
    magnitude = np.zeros_like(y)
    # Each element stops at its own last term: the loop runs on the still-open elements only
    # (compacted), so a few slowly converging ones do not make every element pay their terms.
    open_ = np.arange(y.size)
    term = c * y / d
    a_o, c_o, d_o, y_o = a, c, d, y
    total_o, magnitude_o = total, magnitude
    k = 1
    while open_.size and k <= _SERIES_MAX_TERMS:
        total_o = total_o + term
        magnitude_o = magnitude_o + np.abs(term)
        # The ratio first: it does not wait for the previous term.
        term = term * ((a_o + k - 1.0) * (c_o + k) / ((d_o + k) * (k + 1.0)) * y_o)
        going = np.abs(term) > _SERIES_RTOL * np.maximum(magnitude_o, 1e-300)
        k += 1
        if not going.all():
            closed = ~going
            total[open_[closed]] = total_o[closed]
            magnitude[open_[closed]] = magnitude_o[closed]
            open_, term = open_[going], term[going]
            a_o, c_o, d_o, y_o = a_o[going], c_o[going], d_o[going], y_o[going]
            total_o, magnitude_o = total_o[going], magnitude_o[going]
    total[open_], magnitude[open_] = total_o, magnitude_o
    active = np.zeros(y.shape, dtype=bool)
    active[open_] = True
    return total, magnitude, active


def euler_series_if_alive(r, alpha, a, b, x, age, t):
    """Euler-transformed series; returns (value, reliable mask)."""
    z_log = -np.log1p(t / (alpha + age))
    y = t / (alpha + age + t)
    c = a + b - 1.0 - r
    d = a + b + x - 1.0
    first = one_minus_power_over(a - 1.0, z_log)
    # Both loops read flat arrays: broadcast and flattened (copies only where the arguments
    # broadcast), their results shaped back.
    shape = np.broadcast_shapes(*(np.shape(v) for v in (a, c, d, y)))
    flat = [np.ascontiguousarray(v).ravel() for v in np.broadcast_arrays(a, c, d, y)]
    compiled = sys.modules.get("clvmodel.models._interval_kernels")
    if compiled is not None and flat[3].size >= _COMPILED_MIN_SIZE:
        total, magnitude = np.empty(flat[3].size), np.empty(flat[3].size)
        active = np.empty(flat[3].size, dtype=bool)
        compiled.euler_series(
            *flat, _SERIES_MAX_TERMS, _SERIES_RTOL, total, magnitude, active
        )  # fmt: skip
    else:
        # d = a + b + x − 1 = 0 gives inf/nan, which the reliability mask below rejects.
        with np.errstate(divide="ignore", invalid="ignore"):
            total, magnitude, active = _series_sums(*flat)
    total, magnitude, active = (v.reshape(shape) for v in (total, magnitude, active))
    z_pow = np.exp((a - 1.0) * z_log)
    with np.errstate(invalid="ignore"):  # 0 · inf where d = 0: rejected below
        value = d * (first - z_pow * total)
        scale = d * (first + z_pow * magnitude)
    reliable = (~active) & (value > _CANCELLATION_LIMIT * scale) & (d >= _MIN_SERIES_D)
    return value, reliable


def quadrature_if_alive(r, alpha, a, b, x, age, t):
    """tanh-sinh quadrature of integral (1) over η = logit p."""
    # The outermost nodes reach p ≈ e^-1000, where branches of np.where that are not taken
    # evaluate log(0); their results are discarded, so the warnings are noise.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        return _quadrature_sum(r, alpha, a, b, x, age, t)


def _quadrature_sum(r, alpha, a, b, x, age, t):
    m = r + x
    beta = b + x
    log_s = np.log(t) - np.log(alpha + age)
    log_beta = gammaln(a) + gammaln(beta) - gammaln(a + beta)
    # Centre and scale: mean and s.d. of logit p under Beta(a, beta), stretched by sinh.
    mu = psi(a) - psi(beta)
    sigma = np.sqrt(polygamma(1, a) + polygamma(1, beta))
    u = _QUAD_U[None, :]
    log_integrand = _log_integrand(mu[:, None] + sigma[:, None] * np.sinh(u), m, log_s, a, beta)
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
        reach = (_QUAD_DROP + 10.0) / np.minimum(a[wide], beta[wide])
        half_width = np.arcsinh(np.max(reach) / _QUAD_FINE_SCALE)
        u2 = np.arange(-half_width, half_width + _QUAD_STEP / 2, _QUAD_STEP)[None, :]
        fine = _log_integrand(
            peak + _QUAD_FINE_SCALE * np.sinh(u2), m[wide], log_s[wide], a[wide], beta[wide]
        )
        fine += np.log(_QUAD_FINE_SCALE) + np.log(np.cosh(u2)) - log_beta[wide, None]
        total[wide] = logsumexp(fine, axis=1) + np.log(_QUAD_STEP)
    return np.exp(total)


def _log_integrand(eta, m, log_s, a, beta):
    """ln of integral (1)'s integrand in η = logit p, without the Beta function: g(p) p^a
    (1-p)^beta, with g(p) = (1 - (1+ps)^-m) / p; rows of ``eta`` per element of the rest."""
    log_p = -np.logaddexp(0.0, -eta)
    log_q = -np.logaddexp(0.0, eta)
    log_ps = log_p + log_s[:, None]
    # m·log(1 + p s), kept in log form so tiny p s does not round to zero.
    log_lm = np.log(m)[:, None] + np.where(
        log_ps < -30.0, log_ps, np.log(np.log1p(np.exp(np.minimum(log_ps, 700.0))))
    )
    huge = np.log(m)[:, None] + np.log(np.maximum(log_ps, 700.0))
    log_lm = np.where(log_ps > 700.0, huge, log_lm)
    lm = np.exp(log_lm)
    log_one_minus = np.where(log_lm < -30.0, log_lm, log1mexp(np.maximum(lm, 1e-300)))
    return log_one_minus + (a[:, None] - 1.0) * log_p + beta[:, None] * log_q


def expected_purchases_if_alive(r, alpha, a, b, x, age, t) -> np.ndarray:
    """Expected purchases in (T, T + t] of a customer alive at T, with x repeat purchases.

    Parameters
    ----------
    r, alpha, a, b : float or array_like
        BG/NBD parameters (all > 0); arrays give each customer their own (as with covariates).
    x, age, t : array_like
        Repeat purchases, customer age ``T`` and horizon (t ≥ 0). Everything is broadcast together.

    Returns
    -------
    numpy.ndarray
        E_alive(t) as defined in the module docstring; 0 where t = 0. With x = 0 and age = 0 this
        is the unconditional E[X(t)] of a new customer (Fader, Hardie and Lee 2005, eq. 9).
    """
    arrays = np.broadcast_arrays(
        *(np.asarray(v, dtype="float64") for v in (r, alpha, a, b, x, age, t))
    )
    shape = arrays[0].shape
    r, alpha, a, b, x, age, t = (v.ravel() for v in arrays)
    result = np.zeros(x.size)
    positive = t > 0
    if not positive.any():
        return result.reshape(shape)
    # Compute once per distinct (parameters, x, T, t): cost grows with distinct histories, not
    # customers.
    columns = [v[positive] for v in (r, alpha, a, b, x, age, t)]
    # Group on the inputs that vary; constants (the usual scalar parameters) need no hashing.
    varying = [c for c in columns if c.size and (c[0] != c).any()] or columns[-1:]
    group, first = group_rows(*varying)
    ur, ualpha, ua, ub, ux, uage, ut = (c[first] for c in columns)
    values, reliable = euler_series_if_alive(ur, ualpha, ua, ub, ux, uage, ut)
    if not reliable.all():
        redo = ~reliable
        values[redo] = quadrature_if_alive(
            ur[redo], ualpha[redo], ua[redo], ub[redo], ux[redo], uage[redo], ut[redo]
        )
    result[positive] = values[group]
    return result.reshape(shape)


def pmf_dropout_at_purchases(r, alpha, a, b, n, t) -> np.ndarray:
    """P(n purchases in a period of length t) when purchases arrive at rate λ ~ Gamma(r, α) and
    the customer, alive at the start, drops out right after each purchase with p ~ Beta(a, b).

    Given (λ, p): P(0) = e^{-λt} and, for n ≥ 1, P(n) = (1−p)^n P(N = n) + (1−p)^{n−1} p P(N ≥ n)
    with N ~ Poisson(λt). Averaging over p and λ gives Fader, Hardie and Lee (2005), eq. (8):

        P(n) = B(a, b+n)/B(a, b) · NB(n; r, α, t) + [n > 0] B(a+1, b+n−1)/B(a, b) · P(N ≥ n),

    where NB is the negative binomial of the NBD model and P(N ≥ n) = I_{t/(α+t)}(n, r), the
    regularised incomplete beta function (no cancellating sum over j < n). With (r + x, α + T,
    a, b + x) it is the distribution of purchases in (T, T + t] of a BG/NBD customer alive at T.

    Parameters
    ----------
    r, alpha, a, b : float or array_like
        Parameters (all > 0), broadcast with ``n`` and ``t``.
    n : array_like
        Whole numbers of purchases (≥ 0).
    t : array_like
        Length of the period (≥ 0).

    Returns
    -------
    numpy.ndarray
        Probabilities, broadcast over the inputs.
    """
    r, alpha, a, b, n, t = (np.asarray(v, dtype="float64") for v in (r, alpha, a, b, n, t))
    shape = np.broadcast_shapes(r.shape, alpha.shape, a.shape, b.shape, n.shape, t.shape)
    if not n.any():  # P(0) alone (the churn risk): the negative binomial's zero term
        return np.broadcast_to(np.where(t > 0, np.exp(-r * np.log1p(t / alpha)), 1.0), shape)
    # Terms are formed at their own shapes (per customer, per count) before they meet, so that
    # nothing is evaluated once per (customer, count) that depends on only one of them.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        log_share = np.log(t) - np.log(alpha + t)  # ln(t/(α+t))
        log_start = r * (np.log(alpha) - np.log(alpha + t)) - gammaln(r) - betaln(a, b)
        safe_n = np.where(n > 0, n, 1.0)
        log_first = (
            betaln(a, b + n)
            + gammaln(r + n)
            - gammaln(n + 1.0)
            + log_start
            + np.where(n > 0, n * log_share, 0.0)
        )
        second = np.where(
            n > 0,
            np.exp(betaln(a + 1.0, b + safe_n - 1.0) - betaln(a, b))
            * betainc(safe_n, r, t / (alpha + t)),
            0.0,
        )
        values = np.where(t > 0, np.exp(log_first) + second, (n == 0).astype("float64"))
    return np.broadcast_to(values, shape)


def survival_dropout_at_purchases(r, alpha, a, b, x, age, t) -> np.ndarray:
    """P(still alive at T + t | alive at T) when dropout happens right after purchases.

    Given (λ, p) a customer alive at T is dead by T + t with probability 1 − E[(1 − p)^N(t)],
    N(t) the purchases they would make while alive, which is p times the expected purchases made
    while alive, p · E_alive. Averaging over the posterior p ~ Beta(a, b + x) gives
    a/(a + b + x) times E_alive under Beta(a + 1, b + x).

    Parameters
    ----------
    r, alpha, a, b : float or array_like
        Parameters of the alive customer's posterior (as for :func:`expected_purchases_if_alive`).
    x, age, t : array_like
        Repeat purchases, customer age T and horizon.

    Returns
    -------
    numpy.ndarray
        Probabilities, broadcast over the inputs.
    """
    expected = expected_purchases_if_alive(r, alpha, np.add(a, 1.0), b, x, age, t)
    return np.clip(1.0 - np.divide(a, np.add(np.add(a, b), x)) * expected, 0.0, 1.0)
