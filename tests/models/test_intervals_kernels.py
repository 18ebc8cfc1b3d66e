"""The compiled loops of the interval code (clvmodel.models._interval_kernels) against the NumPy
code they replace: the Euler series of E[purchases | alive] (and mpmath through it), the
percentiles over draws against numpy.quantile, and the whole ``method="draws"`` path against
a plain per-draw evaluation with the model's own functions."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.models import PURCHASE_MODELS, _special
from clvmodel.models import _interval_kernels as kernels
from clvmodel.models._intervals import (
    equal_tailed,
    mixture_interval,
    parameter_draws,
    survival_tables,
)


@settings(max_examples=40, deadline=None)
@given(
    r=st.floats(0.05, 30.0),
    alpha=st.floats(0.1, 500.0),
    a=st.floats(0.05, 20.0),
    b=st.floats(0.05, 20.0),
    seed=st.integers(0, 2**16),
)
def test_compiled_series_equals_the_numpy_loop(r, alpha, a, b, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 60, 300).astype("float64")
    age = rng.uniform(0.0, 800.0, 300)
    t = rng.uniform(0.1, 800.0, 300)
    y = t / (alpha + age + t)
    a_, c, d = np.full(300, a), np.full(300, a + b - 1.0 - r), a + b + x - 1.0
    # d = a + b + x − 1 = 0 gives inf/nan, silenced as by the caller (which rejects them).
    with np.errstate(divide="ignore", invalid="ignore"):
        total, magnitude, open_ = _special._series_sums(a_, c, d, y)
    compiled = np.empty(300), np.empty(300), np.empty(300, dtype=bool)
    kernels.euler_series(a_, c, d, y, _special._SERIES_MAX_TERMS, _special._SERIES_RTOL, *compiled)
    np.testing.assert_array_equal(compiled[0], total)
    np.testing.assert_array_equal(compiled[1], magnitude)
    np.testing.assert_array_equal(compiled[2], open_)


def test_compiled_series_path_against_mpmath():
    # 2,000 elements take the compiled loop (the kernels module is loaded here); reference: the
    # paper's closed form (a+b+x−1)/(a−1) · [1 − z^(r+x) ₂F₁(r+x, b+x; a+b+x−1; y)] at 40 digits.
    assert len(np.arange(2_000)) >= _special._COMPILED_MIN_SIZE
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426  # BG/NBD on CDNOW (weeks)
    rng = np.random.default_rng(3)
    x = rng.integers(0, 40, 2_000).astype("float64")
    age = rng.uniform(1.0, 78.0, 2_000)
    values = _special.expected_purchases_if_alive(r, alpha, a, b, x, age, 39.0)
    mpmath.mp.dps = 40
    for i in rng.choice(2_000, 12, replace=False):
        m, beta, d = r + x[i], b + x[i], a + b + x[i] - 1.0
        z = mpmath.mpf(alpha + age[i]) / (alpha + age[i] + 39.0)
        reference = d / (a - 1.0) * (1.0 - z**m * mpmath.hyp2f1(m, beta, d, 1.0 - z))
        assert values[i] == pytest.approx(float(reference), rel=1e-10)


def _percentiles(values, tail, given_=None, silent=None, group=None):
    rows, draws = values.shape
    last = draws - 1
    positions = np.array([tail * last, (1.0 - tail) * last])
    empty = np.empty((0, 0))
    group = np.zeros(rows, dtype="int64") if group is None else group
    out, weights = np.empty((6, rows)), np.empty((rows, 2))
    kernels.draw_percentiles(
        np.ascontiguousarray(values),
        empty if given_ is None else given_,
        empty if silent is None else silent,
        group,
        positions,
        2,
        out,
        weights,
        np.zeros((3, 2 * draws + 2), dtype="int64"),
    )
    np.testing.assert_array_equal(weights, values[:, :2] / 2)
    return out


@settings(max_examples=60, deadline=None)
@given(
    draws=st.integers(2, 300),
    tail=st.floats(0.0, 0.5),
    seed=st.integers(0, 2**16),
    kind=st.sampled_from(["independent", "neighbours", "ties", "nan"]),
)
def test_compiled_percentiles_are_numpys(draws, tail, seed, kind):
    # Rows that rank the draws alike (what the warm start relies on) and rows that do not, ties
    # and NaN (sorted last) must all give what equal_tailed's partial sort gives, exactly, and
    # numpy.quantile's linear-interpolation percentiles up to its rounding of the interpolation.
    rng = np.random.default_rng(seed)
    if kind == "neighbours":
        values = rng.lognormal(size=draws)[None, :] * np.linspace(1.0, 1.5, 40)[:, None]
        values = values + rng.normal(0.0, 0.01, size=values.shape)
    else:
        values = rng.lognormal(size=(40, draws))
    if kind == "ties":
        values = np.round(values, 1)
    if kind == "nan":
        values[rng.random(values.shape) < 0.02] = np.nan
    out = _percentiles(values, tail)
    low, high = equal_tailed(values.T, tail)
    np.testing.assert_array_equal(out[0], low)
    np.testing.assert_array_equal(out[1], high)
    if kind != "nan":
        expected = np.quantile(values, [tail, 1.0 - tail], axis=1)
        np.testing.assert_allclose(out[0], expected[0], rtol=1e-13)
        np.testing.assert_allclose(out[1], expected[1], rtol=1e-13)


def test_compiled_percentiles_of_the_combined_expectations():
    rng = np.random.default_rng(7)
    alive = rng.uniform(0.0, 1.0, (500, 200))
    given_alive = rng.uniform(0.0, 5.0, (3, 200))
    silent = rng.uniform(0.0, 1.0, (3, 200))
    group = np.sort(rng.integers(0, 3, 500))
    out = _percentiles(alive, 0.05, given_alive, silent, group)
    expected = alive * given_alive[group]
    no_purchase = np.clip(1.0 - alive * (1.0 - silent[group]), 0.0, 1.0)
    for q, values in enumerate((alive, expected, no_purchase)):
        low, high = equal_tailed(values.T, 0.05)
        np.testing.assert_array_equal(out[2 * q], low)
        np.testing.assert_array_equal(out[2 * q + 1], high)


@pytest.mark.parametrize("name", sorted(PURCHASE_MODELS))
def test_draws_path_equals_a_per_draw_evaluation(name, cdnow_split):
    # predict(method="draws") against the expectations recomputed draw by draw with the
    # model's own functions (scipy's expit) and numpy.quantile.
    cal = cdnow_split[0]
    model = PURCHASE_MODELS[name]().fit(cal)
    rows = cal.iloc[::3]
    table = model.predict(rows, 39.0, interval=0.9, method="draws", n_draws=60, seed=5)
    x, t_x, age = (rows[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))
    cls = type(model)
    columns = {"probability_alive": [], "expected_purchases": [], "probability_no_purchase": []}
    with np.errstate(all="ignore"):
        for theta in parameter_draws(model, 60, 5):
            p = dict(zip(cls.param_names, theta, strict=True))
            alive = model._alive(p, x, t_x, age)
            silent = cls._pmf_if_alive(p, 0.0, x, age, 39.0)
            columns["probability_alive"].append(alive)
            columns["expected_purchases"].append(alive * cls._expected_if_alive(p, x, age, 39.0))
            columns["probability_no_purchase"].append(
                np.clip(1.0 - alive * (1.0 - silent), 0.0, 1.0)
            )
    for column, values in columns.items():
        low, high = np.quantile(np.stack(values), [0.05, 0.95], axis=0)
        np.testing.assert_allclose(table[f"{column}_lower"], low, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(table[f"{column}_upper"], high, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9, 0.99])
def test_compiled_mixture_equals_numpys(level):
    model = clv.BetaGeoModel.from_params({"r": 0.5, "alpha": 10.0, "a": 0.8, "b": 2.5})
    rng = np.random.default_rng(11)
    params = [
        {"r": 0.5 * f, "alpha": 10.0 / g, "a": 0.8, "b": 2.5 * g}
        for f, g in rng.uniform(0.7, 1.3, (20, 2))
    ]
    x = rng.integers(0, 30, 50).astype("float64")
    age = rng.uniform(5.0, 60.0, 50)
    tables = survival_tables(model, params, x, age, 52.0, (1.0 - level) / 2.0)
    group = rng.integers(0, 50, 2_000)
    weights = rng.uniform(0.0, 1.0, (2_000, 20)) / 20
    plain = mixture_interval(tables, group, weights, level)
    compiled = mixture_interval(tables, group, weights, level, compiled=True)
    np.testing.assert_array_equal(compiled[0], plain[0])
    np.testing.assert_array_equal(compiled[1], plain[1])
    np.testing.assert_allclose(compiled[2], plain[2], rtol=0, atol=1e-13)


def test_series_at_a_zero_denominator_is_rejected_not_raised():
    # a + b = 1 and x = 0 make the series' denominator a + b + x − 1 zero: found by hypothesis
    # (r = α = 1, a = b = 0.5). Both paths must give the same finite expectation, without a
    # warning or a ZeroDivisionError, and agree with a + b a hair away from 1.
    import warnings

    x, age = np.zeros(3_000), np.full(3_000, 10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = _special.expected_purchases_if_alive(1.0, 1.0, 0.5, 0.5, x, age, 39.0)
        plain = _special.expected_purchases_if_alive(1.0, 1.0, 0.5, 0.5, x[:10], age[:10], 39.0)
        nearby = _special.expected_purchases_if_alive(1.0, 1.0, 0.5, 0.5 + 1e-9, x, age, 39.0)
    assert np.isfinite(compiled).all()
    np.testing.assert_array_equal(compiled[:10], plain)
    np.testing.assert_allclose(compiled, nearby, rtol=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    t=st.sampled_from([0.0, 1e-3, 39.0, 365.0, 1e5]),
)
def test_compiled_count_recurrence_equals_numpys(seed, t):
    # DropoutAtPurchasesCounts' arithmetic runs compiled once the kernels are loaded (as here):
    # step by step, the same survival values and state as its NumPy branch, bit for bit
    # (including t = 0, where ln(t/(α+t)) = −inf, and tails that reach zero).
    from clvmodel.models._count_tables import DropoutAtPurchasesCounts

    rng = np.random.default_rng(seed)
    n = 500
    r = rng.uniform(0.05, 300.0, n)
    alpha = rng.uniform(0.1, 1e4, n)
    a = rng.uniform(0.05, 20.0, n)
    b = rng.uniform(0.05, 300.0, n)
    plain = DropoutAtPurchasesCounts(r, alpha, a, b, t)
    compiled = DropoutAtPurchasesCounts(r, alpha, a, b, t)
    for k in range(80):
        if k == 40:
            keep = rng.random(n) < 0.5
            plain.keep(keep)
            compiled.keep(keep)
        expected = plain._numpy_survival()
        values = compiled._compiled_survival(kernels)
        np.testing.assert_array_equal(values, expected, err_msg=f"k = {k}")
        np.testing.assert_array_equal(np.signbit(values), np.signbit(expected))
        for name in ("_log_nb", "_above", "_c"):
            np.testing.assert_array_equal(getattr(compiled, name), getattr(plain, name), name)
