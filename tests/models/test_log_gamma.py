"""Shifts of ln Γ, ψ and ψ' (clvmodel.models._log_gamma) against mpmath at 40 digits, over
arguments from 10⁻³ to 10²⁰: the ranges where ``gammaln(x + a) - gammaln(x)`` and its derivatives'
differences lose their digits (the Gamma-Gamma likelihood towards its edges, long tenures)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gammaln, polygamma, psi

from clvmodel.models._log_gamma import (
    digamma_shift,
    log_gamma_shift,
    log_minus_digamma,
    trigamma_shift,
)

SHIFTS = {
    "lnΓ": (log_gamma_shift, mp.loggamma, 1e-12),
    "ψ": (digamma_shift, mp.digamma, 1e-12),
    "ψ'": (trigamma_shift, lambda z: mp.polygamma(1, z), 1e-11),
}
exponents = st.floats(-3.0, 20.0)


@pytest.mark.parametrize("name", SHIFTS)
@given(x_exponent=exponents, a_exponent=st.floats(-6.0, 20.0))
def test_shift_matches_mpmath(name, x_exponent, a_exponent):
    shift, function, rtol = SHIFTS[name]
    x, a = 10.0**x_exponent, 10.0**a_exponent
    with mp.workdps(40):
        exact = function(mp.mpf(x) + mp.mpf(a)) - function(mp.mpf(x))
        assert float(shift(x, a)) == pytest.approx(float(exact), rel=rtol)


@pytest.mark.parametrize(
    ("shift", "direct"),
    [
        (log_gamma_shift, lambda x, a: gammaln(x + a) - gammaln(x)),
        (digamma_shift, lambda x, a: psi(x + a) - psi(x)),
        (trigamma_shift, lambda x, a: polygamma(1, x + a) - polygamma(1, x)),
    ],
)
def test_shift_equals_the_plain_difference_where_that_keeps_its_digits(shift, direct):
    # Moderate arguments, where scipy's difference is accurate; arrays broadcast.
    x = np.array([[0.05], [0.7], [3.0], [9.99], [10.0], [250.0]])
    a = np.array([0.0, 0.3, 2.0, 17.0])
    np.testing.assert_allclose(shift(x, a), direct(x, a), rtol=1e-12, atol=1e-15)


def test_shifts_are_finite_at_the_extremes_of_double_precision():
    # Overflow, 0/0 and division by zero would raise; underflow to 0 is the right answer here.
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert digamma_shift(1e-300, 1e300) == pytest.approx(1e300)
        assert trigamma_shift(2.0, 1e300) == pytest.approx(-float(polygamma(1, 2.0)))
        assert digamma_shift(1e300, 1e-300) == 0.0


@given(z_exponent=st.floats(-3.0, 20.0))
def test_log_minus_digamma_matches_mpmath(z_exponent):
    z = 10.0**z_exponent
    with mp.workdps(40):
        exact = mp.log(mp.mpf(z)) - mp.digamma(mp.mpf(z))
        assert float(log_minus_digamma(z)) == pytest.approx(float(exact), rel=1e-13)


# The shifts a small or large beside x that the series lost (at the subscription models' extreme
# parameters): ln Γ(2 + 10⁻²⁰) − ln Γ(2) = ψ(2)·10⁻²⁰ came out −2.0e-20 (the difference of two
# Stirling remainders near 1/(12y) keeps no digit of a), 0 at x ≥ 10, and −inf at x = 10⁻³⁰⁰,
# a = 10¹⁰ (a/x overflows).
@pytest.mark.parametrize("x", [1e-300, 1e-5, 0.3, 2.0, 9.99, 12.0, 1e3, 1e15, 1e100, 1e300])
@pytest.mark.parametrize("a", [1e-300, 1e-20, 1e-12, 0.5, 1e10, 1e100])
def test_log_gamma_shift_keeps_its_digits_for_any_shift(x, a):
    if a < 1e-30 * x:  # a ψ(x), to a relative a ψ'(x)/ψ(x) < 1e-29
        with mp.workdps(50):
            exact = float(mp.mpf(a) * mp.digamma(mp.mpf(x)))
    else:  # x + a exact: as many digits as the ratio of the two, and 50 more
        with mp.workdps(50 + int(abs(np.log10(x) - np.log10(a)))):
            exact = float(mp.loggamma(mp.mpf(x) + mp.mpf(a)) - mp.loggamma(mp.mpf(x)))
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        value = float(log_gamma_shift(x, a))
    assert value == pytest.approx(exact, rel=1e-13, abs=0.0)


# Dense grids for log_gamma_shift against mpmath: x from 10⁻³⁰⁰ to 10⁶ and a from 0 to 10³⁰⁰, more
# densely for x < 10 (ten logarithms lifted back) with a from 10⁻¹² to 10¹², and x ≥ 10 with
# a·x from 10⁻⁵ to 1 (where ω(x + a) − ω(x) held ~10⁻¹⁴ of the shift).
_GRID = (
    [(x, a) for x in np.geomspace(1e-300, 1e6, 24) for a in [0.0, *np.geomspace(1e-300, 1e300, 24)]]
    + [(x, a) for x in np.geomspace(1e-6, 9.9, 40) for a in np.geomspace(1e-12, 1e12, 41)]
    + [(x, a) for x in np.linspace(0.05, 9.95, 34) for a in np.geomspace(1.1e-6, 0.9, 19)]
    + [(x, t / x) for x in np.geomspace(10.0, 1e6, 9) for t in np.geomspace(1e-5, 1.0, 11)]
)


def _reference(x, a):
    """f = ln Γ(x + a) − ln Γ(x) to 30 digits (with as many more as the difference cancels) and
    its condition |x ∂f/∂x| + |a ∂f/∂a| = |x (ψ(x + a) − ψ(x))| + |a ψ(x + a)|."""
    if a == 0.0:
        return 0.0, 0.0
    with mp.workdps(30 + max(0, int(np.ceil(np.log10(x) - np.log10(a))))):
        x_, a_ = mp.mpf(x), mp.mpf(a)
        value = mp.loggamma(x_ + a_) - mp.loggamma(x_)
        psi_sum = mp.digamma(x_ + a_)  # once, for both terms
        condition = abs(x_ * (psi_sum - mp.digamma(x_))) + abs(a_ * psi_sum)
        return float(value), float(condition)


def _assert_near(x, a, value, exact, condition):
    error = np.abs(value - exact)
    # Rounding the inputs by u = 2⁻⁵³ alone moves f by u (|f| + condition): at most 16 times that
    # (8 the worst on 140,000 points), also at the zeros of f (Γ(x + a) = Γ(x)), where no digit is
    # relative; and 10⁻¹⁴ of f wherever f is not itself ill-conditioned (condition ≤ 10 |f|). The
    # version that kept the plain ω(x + a) − ω(x) down to a·x = 10⁻³ reached 89 units and 6e-14
    # (at x = 1.85, a = 1.03e-4) on this grid.
    scale = 2.0**-53 * (np.abs(exact) + condition)
    units = np.divide(error, scale, out=np.where(error > 0.0, np.inf, 0.0), where=scale > 0.0)
    assert np.all(units <= 16), (x[np.argmax(units)], a[np.argmax(units)], units.max())
    well = (condition <= 10 * np.abs(exact)) & (exact != 0.0)
    relative = error[well] / np.abs(exact[well])
    assert np.all(relative <= 1e-14), (x[well][np.argmax(relative)], a[well][np.argmax(relative)])
    return well


def test_log_gamma_shift_on_a_dense_grid_against_mpmath():
    x, a = np.array(_GRID).T
    exact, condition = np.array([_reference(*pair) for pair in _GRID]).T
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        value = log_gamma_shift(x, a)
    assert np.all(value[a == 0.0] == 0.0)
    well = _assert_near(x, a, value, exact, condition)
    assert well.sum() > 0.9 * len(_GRID)


@settings(deadline=None)  # mpmath's first calls at a few hundred digits
@given(
    x=st.floats(1e-8, 10.0, exclude_max=True) | st.floats(1e-300, 1e6),
    a=st.just(0.0) | st.floats(1e-12, 1e12) | st.floats(1e-300, 1e300),
)
def test_log_gamma_shift_keeps_its_digits_against_mpmath(x, a):
    exact, condition = _reference(x, a)
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        value = log_gamma_shift(np.array([x]), np.array([a]))
    _assert_near(np.array([x]), np.array([a]), value, np.array([exact]), np.array([condition]))


@pytest.mark.parametrize("shift", [digamma_shift, trigamma_shift])
def test_no_shift_is_exactly_zero_down_to_the_smallest_x(shift):
    """ψ'(x + 0) − ψ'(x) = 0: trigamma_shift gave NaN, with a numpy warning, below x ~ 1e-154,
    where the square of x + j in its recurrence underflows to 0 (0/0). BG/NBD's fused Hessian
    evaluates it at r and at the zero repeat purchases of one-time buyers."""
    x = np.array([1e-300, 1e-200, 1e-160, 1e-100, 0.5, 20.0])
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        assert np.array_equal(shift(x, np.zeros_like(x)), np.zeros_like(x))


# The shifts evaluate their two asymptotic series (at y + a and at y) in one pass over both
# arguments, and add back the recurrence's lift for every row at once when every row was moved:
# only the number of NumPy calls changes, so each value must be the same double, bit for bit, as
# the one-argument forms give row by row.
shift_value = st.one_of(st.just(0.0), st.floats(1e-300, 1e12))


@given(
    y=st.lists(st.floats(10.0, 1e30), min_size=1, max_size=12),
    a=st.lists(shift_value, min_size=12, max_size=12),
)
def test_paired_series_give_the_bits_of_separate_ones(y, a):
    from clvmodel.models import _log_gamma as lg

    y = np.array(y)
    a = np.array(a[: y.size])
    shifted, plain = lg._at_shifted_and_plain(lg._stirling_remainder, y, a)
    assert shifted.tobytes() == lg._stirling_remainder(y + a).tobytes()
    assert plain.tobytes() == lg._stirling_remainder(y).tobytes()
    for coefficients, power in ((lg._DIGAMMA, 2), (lg._TRIGAMMA, 3)):
        shifted, plain = lg._at_shifted_and_plain(lg._series, y, a, coefficients, power)
        assert shifted.tobytes() == lg._series(y + a, coefficients, power).tobytes()
        assert plain.tobytes() == lg._series(y, coefficients, power).tobytes()


@given(
    x=st.lists(st.one_of(st.floats(1e-6, 9.999), st.floats(10.0, 1e6)), min_size=1, max_size=12),
    a=st.lists(shift_value, min_size=12, max_size=12),
)
def test_a_shift_of_many_rows_equals_the_row_by_row_shift(x, a):
    x = np.array(x)
    a = np.array(a[: x.size])
    for shift in (log_gamma_shift, digamma_shift, trigamma_shift):
        together = shift(x, a)
        one_by_one = np.array([shift(x[i : i + 1], a[i : i + 1])[0] for i in range(x.size)])
        assert together.tobytes() == one_by_one.tobytes()
