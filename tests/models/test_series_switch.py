"""E[purchases | alive]'s series (clvmodel.models._special) at long horizons.

Its argument y = t/(α + T + t) nears 1 when the horizon dwarfs the customer's age, and the series
then needs ~35/(1 − y) terms. It used to stop at 600 and hand such elements to the tanh-sinh
quadrature, and to run those 600 terms in NumPy, microseconds a term: CLV over a century took
5.7 CPU s on the CDNOW sample (1,200 months: 65 s). Now it runs up to 10,000 terms, in the
compiled loop, which is loaded for a series with y above _NUMPY_LOOP_MAX_Y or once the NumPy
loop has cost the process _LOAD_COMPILED_AFTER CPU seconds. The two loops make the same
operations: the results are identical.
"""

from __future__ import annotations

from types import SimpleNamespace

import mpmath
import numpy as np
import pytest

from clvmodel.models import _interval_kernels, _special

R, ALPHA, A, B = 0.2426, 4.4137, 0.7930, 2.4262  # CDNOW, Fader, Hardie and Lee (2005), sec. 5


def _spy(monkeypatch):
    """Count the compiled loop's calls; the interval code's module as not yet imported (as far as
    ``_special`` can see: it looks in ``sys.modules``)."""
    calls = []
    kernels = _interval_kernels
    loop = kernels.euler_series

    def counted(*args):
        calls.append(args[3].size)
        return loop(*args)

    monkeypatch.setattr(kernels, "euler_series", counted)
    monkeypatch.setattr(_special, "sys", SimpleNamespace(modules={}))
    monkeypatch.setattr(_special, "_numpy_loop_seconds", [0.0])
    return calls


def _arguments(y_max):
    """Thirty histories (x = 0…29, T = 30) and a horizon giving y = y_max."""
    x = np.arange(0.0, 30.0)
    t = y_max * (ALPHA + 30.0) / (1.0 - y_max)
    return R, ALPHA, A, B, x, np.full_like(x, 30.0), np.full_like(x, t)


def test_short_series_stay_in_numpy_and_count_their_seconds(monkeypatch):
    calls = _spy(monkeypatch)
    _special.euler_series_if_alive(*_arguments(0.9))
    assert calls == [] and _special._numpy_loop_seconds[0] > 0.0


def test_a_process_that_spent_its_budget_takes_the_compiled_loop_same_results(monkeypatch):
    calls = _spy(monkeypatch)
    numpy_value, numpy_reliable = _special.euler_series_if_alive(*_arguments(0.9))
    monkeypatch.setattr(_special, "_numpy_loop_seconds", [_special._LOAD_COMPILED_AFTER + 1e-9])
    value, reliable = _special.euler_series_if_alive(*_arguments(0.9))
    assert calls == [30]
    np.testing.assert_array_equal(value, numpy_value)
    np.testing.assert_array_equal(reliable, numpy_reliable)


def test_long_series_take_the_compiled_loop_at_once_same_results(monkeypatch):
    calls = _spy(monkeypatch)
    value, reliable = _special.euler_series_if_alive(*_arguments(0.995))
    assert calls == [30] and reliable.all()
    monkeypatch.setattr(_special, "_NUMPY_LOOP_MAX_Y", 1.0)  # the NumPy loop, for comparison
    numpy_value, numpy_reliable = _special.euler_series_if_alive(*_arguments(0.995))
    assert calls == [30]
    np.testing.assert_array_equal(value, numpy_value)
    np.testing.assert_array_equal(reliable, numpy_reliable)


def _closed_form(x, age, t):
    """E_alive(t) by the paper's closed form (eq. 10 over P(alive)) at 40 digits."""
    with mpmath.workdps(40):
        r, alpha, a, b = (mpmath.mpf(v) for v in (R, ALPHA, A, B))
        x, age, t = mpmath.mpf(x), mpmath.mpf(age), mpmath.mpf(t)
        y = t / (alpha + age + t)
        z = 1 - y
        f = mpmath.hyp2f1(r + x, b + x, a + b + x - 1, y)
        return float((a + b + x - 1) / (a - 1) * (1 - z ** (r + x) * f))


@pytest.mark.parametrize("y", [0.97, 0.99, 0.996])
def test_long_series_agree_with_the_closed_form_at_40_digits(y):
    """Where the series needs 1,000-9,000 terms (the elements the quadrature took before)."""
    r, alpha, a, b, x, age, t = _arguments(y)
    x, age, t = x[[0, 1, 5, 29]], age[[0, 1, 5, 29]], t[[0, 1, 5, 29]]
    ours = _special.expected_purchases_if_alive(r, alpha, a, b, x, age, t)
    exact = np.array([_closed_form(*row) for row in zip(x, age, t, strict=True)])
    np.testing.assert_allclose(ours, exact, rtol=1e-12)


def test_a_series_with_heavy_cancellation_goes_to_the_quadrature():
    """The series is accepted while its sum keeps 1e-4 of its terms' magnitude (it was 1e-6: a
    sum ~1e-9 off, and E_alive falling with the horizon). Inputs found by a search over large r
    (hypothesis found the horizon pair)."""
    r, alpha, a, b = 76.7827695098954, 0.030166207015481686, 8.148272329478003, 0.2744338847085224
    x, age = 10.0, 0.19778943445943042
    horizon = np.array([2.551413438288842, 2 * 2.551413438288842])
    ours = _special.expected_purchases_if_alive(r, alpha, a, b, x, age, horizon)
    with mpmath.workdps(40):
        mr, ma, mb, mx, mage = (mpmath.mpf(v) for v in (r, alpha, b, x, age))
        exact = []
        for t in horizon:
            y = mpmath.mpf(t) / (ma + mage + t)
            f = mpmath.hyp2f1(mr + mx, mb + mx, a + mb + mx - 1, y)
            exact.append(float((a + mb + mx - 1) / (a - 1) * (1 - (1 - y) ** (mr + mx) * f)))
    np.testing.assert_allclose(ours, exact, rtol=1e-12)
    assert ours[1] >= ours[0]
