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
(1) is evaluated instead by tanh-sinh quadrature in logit space, which never cancels, or, for very
small or very large shapes, by the rearrangements of :mod:`clvmodel.models._beta_geo_quadrature`.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy.special import betainc, betaln, gammainc, gammaln

try:
    from scipy.special import betaincc
except ImportError:  # SciPy < 1.11 (the supported floor is 1.10): the complement by subtraction,

    def betaincc(a, b, x):  # which loses the digits of a complement below about 1e-16
        """The regularised upper incomplete beta function, 1 − I_x(a, b)."""
        return 1.0 - betainc(a, b, x)


from clvmodel._grouping import group_rows
from clvmodel.models._beta_geo_quadrature import fallback_if_alive, log1mexp, quadrature_if_alive
from clvmodel.models._log_gamma import log_gamma_shift

__all__ = [
    "euler_series_if_alive",
    "expected_purchases_if_alive",
    "fallback_if_alive",
    "log_gamma_ratio",
    "log_growth",
    "log1p_ratio",
    "log1mexp",
    "one_minus_power_over",
    "pmf_dropout_at_purchases",
    "safe_gammaln",
    "series_value",
    "quadrature_if_alive",
    "survival_dropout_at_purchases",
]

# Terms before the series gives way to the quadrature: y^k falls below 1e-15 after about
# 35/(1 − y) terms, so 10,000 reach y ≈ 0.996 (a century of weeks beside an age of a few months);
# the compiled loop's 10,000 terms cost about what the quadrature's 401 nodes cost.
_SERIES_MAX_TERMS = 10_000
_SERIES_RTOL = 1e-15
# Accept the series when the result keeps at least this share of the terms' magnitude.
_CANCELLATION_LIMIT = 1e-4
_MIN_SERIES_D = 0.01
# Beyond this r or a + b, the count distribution's ln Γ differences are taken as shifts.
_LARGE_GAMMA = 1e5
# Beyond this r, P(N ≥ n) of the negative binomial is taken as Poisson's (SciPy's betainc
# returns NaN from about 1e154 on); the relative difference is of order n²/r, below 1e-90.
_POISSON_SHAPE = 1e100
# Below this, ln Γ(x) = −ln x − γx + O(x²) is −ln x to double precision (γx < 1e-300 beside
# ln Γ(x) > 690); scipy's gammaln returns inf for subnormal x.
_TINY_ARGUMENT = 1e-300
# From this many elements on, the compiled loop (once the interval code has loaded it) replaces
# the NumPy one: it is quicker at every size, as each NumPy step costs microseconds however few
# the elements (1 element to y = 0.9: 1.7 ms vs 9 µs; 100 to y = 0.999: 13 ms vs 16 µs).
_COMPILED_MIN_SIZE = 1
# Without the interval code, the compiled loop is loaded (numba: about 0.5 CPU s, once per
# process) for a series that may run past the NumPy loop's usual length (some y above
# _NUMPY_LOOP_MAX_Y: hundreds to thousands of terms, each costing NumPy microseconds), or when
# the NumPy loop has taken _LOAD_COMPILED_AFTER CPU seconds in the process (long horizons valued
# period by period: a hundred years month by month is 1,200 evaluations).
_NUMPY_LOOP_MAX_Y = 0.95
_LOAD_COMPILED_AFTER = 0.5
_numpy_loop_seconds = [0.0]


def one_minus_power_over(eps: np.ndarray, log_z: np.ndarray) -> np.ndarray:
    """(1 - z^eps) / eps, with its limit -log z at eps = 0."""
    zero = np.equal(eps, 0.0)
    value = None if zero.any() else np.multiply(eps, log_z)
    if isinstance(value, np.ndarray):  # arrays without a limit to take: the same values in place
        np.expm1(value, out=value)
        np.negative(value, out=value)
        return np.divide(value, eps, out=value)
    safe = np.where(zero, 1.0, eps)
    return np.where(zero, -log_z, -np.expm1(eps * log_z) / safe)


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
    z_log = -log1p_ratio(t, alpha + age)
    y = t / (alpha + age + t)
    c = a + b - 1.0 - r
    d = a + b + x - 1.0
    first = one_minus_power_over(a - 1.0, z_log)
    # Both loops read flat arrays: broadcast and flattened (copies only where the arguments
    # broadcast), their results shaped back.
    shape = np.broadcast_shapes(*(np.shape(v) for v in (a, c, d, y)))
    flat = [np.ascontiguousarray(v).ravel() for v in np.broadcast_arrays(a, c, d, y)]
    compiled = sys.modules.get("clvmodel.models._interval_kernels")
    long_series = flat[3].size > 0 and float(flat[3].max()) > _NUMPY_LOOP_MAX_Y
    if compiled is None and (long_series or _numpy_loop_seconds[0] > _LOAD_COMPILED_AFTER):
        from clvmodel.models import _interval_kernels as compiled
    if compiled is not None and flat[3].size >= _COMPILED_MIN_SIZE:
        total, magnitude = np.empty(flat[3].size), np.empty(flat[3].size)
        active = np.empty(flat[3].size, dtype=bool)
        compiled.euler_series(
            *flat, _SERIES_MAX_TERMS, _SERIES_RTOL, total, magnitude, active
        )  # fmt: skip
    else:
        # d = a + b + x − 1 = 0 gives inf/nan, and terms can overflow (r ≫ 1: c ≪ −1), all of
        # which the reliability mask below rejects.
        started = time.process_time()
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            total, magnitude, active = _series_sums(*flat)
        _numpy_loop_seconds[0] += time.process_time() - started
    total, magnitude, active = (v.reshape(shape) for v in (total, magnitude, active))
    return series_value(a, d, first, z_log, (total, magnitude, active))


def series_value(a, d, first, z_log, sums):
    """E_alive(t) from the Euler series' sums ``(total, magnitude, open)`` (as
    :func:`euler_series_if_alive` forms them), and where it is reliable: every sum closed, no
    cancellation beyond _CANCELLATION_LIMIT, d not small."""
    total, magnitude, active = sums
    z_pow = np.exp((a - 1.0) * z_log)
    with np.errstate(invalid="ignore", over="ignore"):  # 0 · inf (d = 0), inf: rejected below
        value, scale = np.multiply(z_pow, total), np.multiply(z_pow, magnitude)
        full = np.broadcast_shapes(np.shape(value), np.shape(first), np.shape(d))
        if isinstance(value, np.ndarray) and value.shape == full and scale.shape == full:
            # The same operations in place (the blocks of the draws' paths are many).
            value = np.multiply(d, np.subtract(first, value, out=value), out=value)
            scale = np.multiply(d, np.add(first, scale, out=scale), out=scale)
            reliable = np.greater(value, np.multiply(scale, _CANCELLATION_LIMIT, out=scale))
        else:
            value, scale = d * (first - value), d * (first + scale)
            reliable = value > _CANCELLATION_LIMIT * scale
    reliable &= ~active
    reliable &= d >= _MIN_SERIES_D
    return value, reliable


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
        values[redo] = fallback_if_alive(
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
        return np.broadcast_to(np.where(t > 0, np.exp(-r * log1p_ratio(t, alpha)), 1.0), shape)
    # Terms are formed at their own shapes (per customer, per count) before they meet, so that
    # nothing is evaluated once per (customer, count) that depends on only one of them.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        log_share = np.log(t) - np.log(alpha + t)  # ln(t/(α+t))
        log_start = -r * log1p_ratio(t, alpha) - safe_gammaln(r) - _safe_betaln(a, b)
        safe_n = np.where(n > 0, n, 1.0)
        log_first = (
            _safe_betaln(a, b + n)
            + safe_gammaln(r + n)
            - gammaln(n + 1.0)
            + log_start
            + np.where(n > 0, n * log_share, 0.0)
        )
        log_ratio = _safe_betaln(a + 1.0, b + (safe_n - 1.0)) - _safe_betaln(a, b)
        if np.any(np.maximum(a + b, r) > _LARGE_GAMMA):
            # The differences of ln Γ and ln B at arguments ~1e5 and beyond lose digits (all of
            # them at 1e18): taken as shifts, ln Γ(y + n) − ln Γ(y), with B(a+1, c) = B(a, c)
            # a/(a + c). Ordinary arguments keep the plain form (to the last bit).
            huge = np.maximum(a + b, r) > _LARGE_GAMMA
            shifted = (
                log_gamma_ratio(b, n) - log_gamma_ratio(a + b, n) + log_gamma_ratio(r, n)
                - gammaln(n + 1.0) + -r * log1p_ratio(t, alpha)
                + np.where(n > 0, n * log_share, 0.0)
            )  # fmt: skip
            log_first = np.where(huge, shifted, log_first)
            shifted_ratio = (
                np.log(a) - np.log(a + b + (safe_n - 1.0))
                + log_gamma_ratio(b, safe_n - 1.0) - log_gamma_ratio(a + b, safe_n - 1.0)
            )  # fmt: skip
            log_ratio = np.where(huge, shifted_ratio, log_ratio)
        # P(N ≥ n) = I_y(n, r), y = t/(α+t); near y = 1 (α ≪ t) as 1 − I_{1−y}(r, n) with 1 − y
        # = α/(α+t) formed directly, as y itself rounds to 1 and leaves I_y(n, r) = 1 for tiny r.
        rest = alpha / (alpha + t)
        tail = np.where(rest < 1e-3, betaincc(r, safe_n, rest), betainc(safe_n, r, t / (alpha + t)))
        if np.any(r > _POISSON_SHAPE):
            # SciPy's I_y(n, r) is NaN for r beyond ~1e154 (n ≥ 2, y ~ 1/r). There the negative
            # binomial is Poisson with mean m = r ln(1 + t/α) (to ~n²/r, and its P(0) exactly):
            # P(N ≥ n) = P(n, m), the regularised lower incomplete gamma function.
            poisson = gammainc(safe_n, r * log1p_ratio(t, alpha))
            tail = np.where(r > _POISSON_SHAPE, poisson, tail)
        second = np.where(n > 0, np.exp(log_ratio) * tail, 0.0)
        values = np.where(t > 0, np.exp(log_first) + second, (n == 0).astype("float64"))
    return np.broadcast_to(values, shape)


def log1p_ratio(num, den) -> np.ndarray:
    """ln(1 + num/den) for num ≥ 0, den > 0, also where num/den overflows (den subnormal):
    there ln(den + num) − ln den."""
    with np.errstate(over="ignore"):
        ratio = np.divide(num, den)
    finite = np.isfinite(ratio)
    if finite.all():
        return np.log1p(ratio)
    with np.errstate(over="ignore"):
        return np.where(finite, np.log1p(np.where(finite, ratio, 0.0)),
                        np.log(np.add(den, num)) - np.log(den))  # fmt: skip


def safe_gammaln(x) -> np.ndarray:
    """ln Γ(x) for x > 0, subnormal x included (−ln x below _TINY_ARGUMENT, exact there)."""
    x = np.asarray(x, dtype="float64")
    with np.errstate(divide="ignore"):
        return np.where(x < _TINY_ARGUMENT, -np.log(x), gammaln(x))


def _safe_betaln(a, b):
    """ln B(a, b), with :func:`safe_gammaln` where a shape is below _TINY_ARGUMENT."""
    tiny = np.minimum(a, b) < _TINY_ARGUMENT
    plain = safe_gammaln(a) + safe_gammaln(b) - safe_gammaln(np.add(a, b))
    return np.where(tiny, plain, betaln(a, b))


def log_growth(alpha, u, log_alpha_u) -> np.ndarray:
    """ln(α + u) − ln α, given ln(α + u): as ln(1 + u/α) for α ≥ 1, which keeps its digits
    however large α grows (the plain difference of two logs near ln α cancels to noise), and as
    the plain difference below 1, where u/α may overflow."""
    alpha = np.asarray(alpha, dtype="float64")
    with np.errstate(over="ignore", divide="ignore"):
        plain = log_alpha_u - np.log(alpha)
        return np.where(alpha >= 1.0, np.log1p(u / np.maximum(alpha, 1.0)), plain)


def log_gamma_ratio(y, n) -> np.ndarray:
    """ln Γ(y + n) − ln Γ(y) for y > 0, n ≥ 0: :func:`~clvmodel.models._log_gamma.log_gamma_shift`,
    whose steps overflow for subnormal y; there ln Γ(y + n) + ln y (0 at n = 0), exact."""
    y, n = np.broadcast_arrays(np.asarray(y, dtype="float64"), np.asarray(n, dtype="float64"))
    tiny = y < _TINY_ARGUMENT
    shifted = log_gamma_shift(np.where(tiny, 1.0, y), n)
    if not tiny.any():
        return np.asarray(shifted)
    return np.where(tiny, safe_gammaln(y + n) - safe_gammaln(y), shifted)


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
