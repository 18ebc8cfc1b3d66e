"""E[purchases | alive]'s series switches to its compiled loop once the NumPy loop has cost the
process _LOAD_COMPILED_AFTER CPU seconds: long horizons valued period by period (CLV over 1,200
months took 65 CPU s on the CDNOW sample, half of it in the NumPy loop) then stop paying a few
microseconds per term. The two loops make the same operations: the results are identical."""

from __future__ import annotations

import sys

import numpy as np

from clvmodel.models import _interval_kernels, _special

KERNELS = "clvmodel.models._interval_kernels"


def _long_series():
    """Arguments whose series runs to its last term: y near 1 (horizon ≫ α + T)."""
    x = np.arange(0.0, 30.0)
    return 0.24, 4.4, 0.79, 2.43, x, np.full_like(x, 30.0), np.full_like(x, 5_000.0)


def _spy(monkeypatch):
    calls = []
    loop = _interval_kernels.euler_series

    def counted(*args):
        calls.append(args[3].size)
        return loop(*args)

    monkeypatch.setattr(_interval_kernels, "euler_series", counted)
    return calls


def test_the_numpy_loop_counts_its_seconds_and_the_compiled_one_takes_over(monkeypatch):
    calls = _spy(monkeypatch)
    monkeypatch.delitem(sys.modules, KERNELS)  # as in a process without the interval code
    monkeypatch.setattr(_special, "_numpy_loop_seconds", [0.0])
    numpy_value, numpy_reliable = _special.euler_series_if_alive(*_long_series())
    assert calls == [] and _special._numpy_loop_seconds[0] > 0.0
    monkeypatch.setattr(_special, "_numpy_loop_seconds", [_special._LOAD_COMPILED_AFTER + 1e-9])
    value, reliable = _special.euler_series_if_alive(*_long_series())
    assert calls == [30]
    np.testing.assert_array_equal(value, numpy_value)
    np.testing.assert_array_equal(reliable, numpy_reliable)
    assert not numpy_reliable.all()  # the case that matters: the loop ran to its last term


def test_below_the_threshold_a_process_keeps_the_numpy_loop(monkeypatch):
    calls = _spy(monkeypatch)
    monkeypatch.delitem(sys.modules, KERNELS)
    monkeypatch.setattr(_special, "_numpy_loop_seconds", [0.0])
    _special.euler_series_if_alive(0.24, 4.4, 0.79, 2.43, np.array([1.0]), 30.0, 10.0)
    assert calls == []
