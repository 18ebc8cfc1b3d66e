"""ln Γ(x + a) − ln Γ(x), ψ(x + a) − ψ(x) and ψ'(x + a) − ψ'(x) without the cancellation of the
plain differences.

The beta functions of the discrete-time models (sBG, BdW, BG/BB) are ratios of gamma functions
whose arguments grow with tenure or with the number of opportunities; written as shifts of
ln Γ they keep their digits at any tenure. The Gamma-Gamma likelihood and its derivatives need the
same shifts of ψ and ψ' towards its edges, where p or q runs off to infinity.
"""

from __future__ import annotations

import numpy as np
from scipy.special import psi

__all__ = [
    "digamma_shift",
    "log_gamma_shift",
    "log_minus_digamma",
    "stirling_remainder_shift",
    "trigamma_shift",
]

# Stirling's series for ln Γ(y) − (y − ½) ln y + y − ½ ln 2π: B_2k / (2k (2k − 1) y^(2k−1)).
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360)
_STIRLING_FROM = 10.0
_STEPS = np.arange(_STIRLING_FROM)  # the j of the recurrences' Σ_{j<10}


def _horner(square, coefficients):
    """Σ_k coefficients[k] s^k at s = ``square``, by Horner's rule."""
    total = coefficients[-1]
    for coefficient in reversed(coefficients[:-1]):
        total = total * square + coefficient
    return total


def _stirling_remainder(y):
    inverse = 1.0 / y
    return _horner(inverse * inverse, _STIRLING) * inverse


def _at_shifted_and_plain(function, y, a, *args):
    """``function(y + a, *args)`` and ``function(y, *args)`` in one call on both arguments
    together: the same numbers as two calls (the functions are elementwise), in half the NumPy
    calls, which cost more than the arithmetic on the few rows of a fit's distinct histories."""
    both = function(np.concatenate((y + a, y)), *args)
    return both[: y.size], both[y.size :]


def _lifted(x, a):
    """x and a as 1-D float arrays (broadcast together), the argument y where the asymptotic
    series is used (x moved up by 10 where x < 10), the mask of the moved entries (None when
    there are none) and the shape of the result."""
    x, a = np.asarray(x, dtype="float64"), np.asarray(a, dtype="float64")
    shape = x.shape
    if a.shape != shape:
        x, a = np.broadcast_arrays(x, a)
        shape = x.shape
    x, a = x.ravel(), a.ravel()
    low = x < _STIRLING_FROM
    if not low.any():
        return x, a, x, None, shape
    return x, a, np.where(low, x + _STIRLING_FROM, x), low, shape


def _lift(x, a, low, term):
    """Σ_{j<10} term(x + j, a) where x was moved up by 10 (``low``) and a ≠ 0, 0 elsewhere:
    what the recurrences of ln Γ, ψ and ψ' add back (the terms are 0 at a = 0)."""
    if low is None:
        return 0.0
    low = low & (a != 0.0)
    count = np.count_nonzero(low)
    if count == 0:
        return 0.0
    every = count == low.size
    with np.errstate(divide="ignore", invalid="ignore"):
        if every:
            return term(x[:, None] + _STEPS, a[:, None]).sum(axis=-1)
        terms = term(x[low][:, None] + _STEPS, a[low][:, None])
    lift = np.zeros(x.shape)
    lift[low] = terms.sum(axis=-1)
    return lift


def log_gamma_shift(x, a):
    """ln Γ(x + a) − ln Γ(x) for x > 0, a ≥ 0, to near machine precision in the difference.

    ``gammaln(x + a) - gammaln(x)`` (and scipy's ``betaln``) lose ~1e-10 for arguments near 10^5,
    the tenures where retention predictions live. Here, for x ≥ 10,
    (x − ½) log1p(a/x) + a ln(x + a) − a + ω(x + a) − ω(x) with ω Stirling's remainder; smaller
    x are first moved up by 10, ln Γ(y + 10) = ln Γ(y) + Σ_{j<10} ln(y + j).

    Parameters
    ----------
    x, a : array_like

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> from scipy.special import gammaln
    >>> float(log_gamma_shift(1e5, 0.5))  # ln Γ(100000.5) − ln Γ(100000)
    5.756461482485114
    >>> float(abs(log_gamma_shift(3.0, 2.0) - (gammaln(5.0) - gammaln(3.0)))) < 1e-14
    True
    """
    x, a, y, low, shape = _lifted(x, a)  # 1-d, for the masked updates below
    value = _times_log1p(y - 0.5, a, y) + a * np.log(y + a) - a
    # (value + ω(y + a)) − ω(y) in this order: the same bits as before this function kept small a;
    # where that difference would round away digits of a small a > 0, the exact ω(y + a) − ω(y)
    # (at a = 0 it is exactly 0, as is value).
    omega_shifted, omega = _at_shifted_and_plain(_stirling_remainder, y, a)
    shifted = value + omega_shifted - omega
    small = (a < _SMALL_SHIFT / y) & (a > 0.0)
    if small.any():
        shifted[small] = value[small] + stirling_remainder_shift(y[small], a[small])
    shifted -= _lift(x, a, low, _log1p_ratio)
    return shifted.reshape(shape)[()]


#: Below this a·y (a > 0) the plain difference ω(y + a) − ω(y), whose rounding is ~10⁻¹⁷/y, is no
#: longer below ~10⁻¹⁶ of a ln y, the size of the shift and of the terms it is lifted back with.
#: (At 10⁻³ it kept only ~10⁻¹⁴ of the result for lifted x near 2: 80-100 units of its condition.)
_SMALL_SHIFT = 0.1


def stirling_remainder_shift(y, a):
    """ω(y + a) − ω(y), with ω Stirling's remainder Σ c_k t^(2k−1) at t = 1/y: the plain difference
    of two values near 1/(12y) keeps no digit of a shift a below ~1e-17. With s = 1/(y + a),
    s^m − t^m = (s − t) q_(m−1), q_m = Σ_(j≤m) s^j t^(m−j) = s q_(m−1) + t^m (positive terms), and
    s − t = −(a s) t.

    Parameters
    ----------
    y : array_like
        Arguments ≥ 10, where Stirling's series holds.
    a : array_like
        Shifts ≥ 0.

    Returns
    -------
    numpy.ndarray
    """
    s = 1.0 / (y + a)
    t = 1.0 / y
    q = np.ones_like(t)
    t_power = np.ones_like(t)
    total = _STIRLING[0] * q
    for m in range(1, 2 * len(_STIRLING) - 1):
        t_power = t_power * t
        q = s * q + t_power
        if m % 2 == 0:
            total = total + _STIRLING[m // 2] * q
    return -(a * s) * t * total


def _times_log1p(w, a, y):
    """w ln(1 + a/y), also where the quotient a/y falls below the normal doubles (a = 1e-300,
    y = 1e100), and with it the digits of ln(1 + a/y) = a/y: there w a/y as (w/y) a."""
    z = a / y
    value = w * np.log1p(z)
    tiny = z < 1e-290
    return np.where(tiny, (w / y) * a, value) if tiny.any() else value


def _log1p_ratio(u, a):
    """ln(1 + a/u), also where a/u overflows (u = 1e-300, a = 1e10): ln a − ln u + ln(1 + u/a)."""
    with np.errstate(over="ignore"):
        ratio = a / u
    value = np.log1p(ratio)
    large = np.isinf(ratio)
    if not large.any():
        return value
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(large, np.log(a) - np.log(u) + np.log1p(u / a), value)


# ψ(y) − ln y + 1/(2y) = −Σ B_2k / (2k y^(2k)) and ψ'(y) − 1/y − 1/(2y²) = Σ B_2k / y^(2k+1):
# coefficients of 1/y², 1/y⁴, ... (the same Bernoulli numbers as _STIRLING).
_DIGAMMA = (-1 / 12, 1 / 120, -1 / 252, 1 / 240, -1 / 132, 691 / 32760)
_TRIGAMMA = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730)


def _series(y, coefficients, power):
    """Σ_k coefficients[k] / y^(2k + power) by Horner's rule in 1/y² (power ≥ 2)."""
    inverse = 1.0 / y
    square = inverse * inverse
    total = _horner(square, coefficients) * square
    for _ in range(power - 2):
        total = total * inverse
    return total


def digamma_shift(x, a):
    """ψ(x + a) − ψ(x) for x > 0, a ≥ 0, without the cancellation of ``psi(x + a) - psi(x)``.

    For y ≥ 10, log1p(a/y) + a / (2y(y + a)) + R(y + a) − R(y) with R the asymptotic series of
    ψ(y) − ln y + 1/(2y); smaller x are moved up by 10, ψ(y) = ψ(y + 10) − Σ_{j<10} 1/(y + j).
    Each term is written with the ratio a/(y + a), so that a may be as large as a float allows.

    Parameters
    ----------
    x, a : array_like

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> from scipy.special import psi
    >>> float(digamma_shift(1e19, 0.5))  # psi(1e19 + 0.5) - psi(1e19) gives 0.0
    5e-20
    >>> float(abs(digamma_shift(0.3, 2.0) - (psi(2.3) - psi(0.3)))) < 1e-14
    True
    """
    x, a, y, low, shape = _lifted(x, a)
    ratio = a / (y + a)
    series_shifted, series = _at_shifted_and_plain(_series, y, a, _DIGAMMA, 2)
    value = np.log1p(a / y) + ratio / (2.0 * y) + series_shifted - series
    value += _lift(x, a, low, lambda u, a: a / (u + a) / u)
    return value.reshape(shape)[()]


def trigamma_shift(x, a):
    """ψ'(x + a) − ψ'(x) (≤ 0) for x > 0, a ≥ 0, without the cancellation of
    ``polygamma(1, x + a) - polygamma(1, x)``.

    For y ≥ 10, −ρ/y − ρ(2 − ρ)/(2y²) + S(y + a) − S(y), with ρ = a/(y + a) and S the asymptotic
    series of ψ'(y) − 1/y − 1/(2y²); smaller x are moved up by 10,
    ψ'(y) = ψ'(y + 10) + Σ_{j<10} 1/(y + j)².

    Parameters
    ----------
    x, a : array_like

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> from scipy.special import polygamma
    >>> float(trigamma_shift(1e19, 0.5))  # polygamma(1, 1e19 + 0.5) - polygamma(1, 1e19) gives 0.0
    -5e-39
    >>> bool(abs(trigamma_shift(0.3, 2.0) - (polygamma(1, 2.3) - polygamma(1, 0.3))) < 1e-13)
    True
    """
    x, a, y, low, shape = _lifted(x, a)
    ratio = a / (y + a)
    series_shifted, series = _at_shifted_and_plain(_series, y, a, _TRIGAMMA, 3)
    value = -ratio / y - ratio * (2.0 - ratio) / (2.0 * y * y) + series_shifted - series
    # The terms are 0 at a = 0 (also where u² underflows to 0: x < ~1e-154).
    term = lambda u, a: a / (u + a) * (2.0 - a / (u + a)) / (u * u)  # noqa: E731
    value -= _lift(x, a, low, term)
    return value.reshape(shape)[()]


def log_minus_digamma(z):
    """ln z − ψ(z) (> 0) for z > 0, without the cancellation of ``log(z) - psi(z)`` for large z.

    Parameters
    ----------
    z : array_like

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> bool(abs(log_minus_digamma(1e12) - 5e-13) < 1e-25)  # 1/(2z) + 1/(12z²) + ...
    True
    """
    z = np.asarray(z, dtype="float64")
    low = z < _STIRLING_FROM
    y = np.where(low, _STIRLING_FROM, z)
    return np.where(
        low,
        np.log(np.where(low, z, 1.0)) - psi(np.where(low, z, 1.0)),
        0.5 / y - _series(y, _DIGAMMA, 2),
    )
