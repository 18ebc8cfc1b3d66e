"""Accuracy of BG/NBD's conditional expectation against high-precision references, and properties.

The quantity under test is the expected number of purchases in (T, T + t] of a customer alive at T
with x repeat purchases (Fader, Hardie and Lee 2005, "Counting your customers the easy way", eq. 10
divided by P(alive)),

    E_alive = ∫₀¹ (1 − (1 + p s)^−(r+x)) / p · Beta(p; a, b + x) dp,     s = t / (α + T).     (1)

Every reference value comes from two independent mpmath evaluations that must agree before it is
used:

(a) mp.quad of (1) at 30 digits, in η = logit p (the integrand then decays exponentially at both
    ends), with breakpoints around the Beta's logit mean and at the bends of the integrand;
(b) the paper's closed form (a+b+x−1)/(a−1) · [1 − z^(r+x) ₂F₁(r+x, b+x; a+b+x−1; y)],
    y = t/(α+T+t), z = 1 − y, with mp.hyp2f1 (at a = 1, where it is 0/0, as the mean of its values
    at a = 1 ± 1e-15 at 60 digits: the error of that average is O(1e-30)).

mp.hyp2f1 is not trustworthy for the heavy buyers (x = 10⁴): there ₂F₁(r+x, b+x; a+b+x−1; y) is a
huge number with c − a − b ≈ −10⁴, and mpmath at 30 (even 50) digits returned values far from (a)
— e.g. 6636.76 instead of 10827.98 for the CDNOW parameters in days, x = 10⁴, T = 0.5, t = 52, and
1e21 or inf in other cells — after 1-4 s each, and raised NoConvergence when asked for more terms.
For x = 10⁴ only, (b) therefore uses the same closed form after Euler's transformation,
z^(r+x) ₂F₁(r+x, b+x; c; y) = z^(a−1) ₂F₁(a+b−1−r, a−1; c; y), whose upper parameters are small;
mpmath evaluates that easily, and it agrees with (a) in every cell. For x ≤ 1000 the paper's own
form is used and must agree with (a).
"""

from __future__ import annotations

import atexit
import functools
import math
import os
import warnings
from pathlib import Path

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.models._special import expected_purchases_if_alive

NAMES = ("r", "alpha", "a", "b")
RTOL = 1e-8  # required accuracy of clvmodel
AGREEMENT = 1e-15  # required agreement of the two mpmath methods
QUAD_DPS = 30
HEAVY = 10_000  # from here on method (b) uses the Euler-transformed closed form (see above)

# Time in days. The CDNOW parameters of the paper are in weeks: α = 4.4137 weeks = 30.8959 days.
PARAMETER_SETS = {
    "cdnow": (0.2426, 4.4137 * 7, 0.7930, 2.4262),
    "a=1": (0.2426, 4.4137 * 7, 1.0, 2.4262),
    "b=1": (0.2426, 4.4137 * 7, 0.7930, 1.0),
    "a+b<1": (0.5, 10.0, 0.3, 0.5),
    "large a": (1.0, 1.0, 20.0, 0.5),
}
FREQUENCIES = (0, 1, 5, 50, 1000, 10_000)
AGES = (0.5, 30.0, 365.0, 1e5)
HORIZONS = (1.0, 52.0, 365.0, 1e4)

# A covering design instead of the full 5 × 6 × 4 × 4 product (each reference costs ~0.2 s of
# mpmath): every parameter set meets every (x, T) pair, and the horizon cycles with the indexes so
# that within each set every (x, t) and (T, t) pair occurs as well (T = 10⁴ days is left to the
# property tests below, which range over T up to 10⁵).
CELLS = [
    (name, x, age, HORIZONS[(i + j + k) % len(HORIZONS)])
    for k, name in enumerate(PARAMETER_SETS)
    for i, x in enumerate(FREQUENCIES)
    for j, age in enumerate(AGES)
]


# ---------------------------------------------------------------------------------------------
# High-precision references
def _mpf(*values):
    """Python/numpy numbers as their exact binary values (what clvmodel receives); mpf as is."""
    return [v if isinstance(v, mp.mpf) else mp.mpf(float(v)) for v in values]


def _quadrature(r, alpha, a, b, x, age, t):
    """Method (a): mp.quad of integral (1) over η = logit p. Returns (value, error estimate)."""
    with mp.workdps(QUAD_DPS):
        r, alpha, a, b, x, age, t = _mpf(r, alpha, a, b, x, age, t)
        m, beta = r + x, b + x
        s = t / (alpha + age)
        log_beta = mp.loggamma(a) + mp.loggamma(beta) - mp.loggamma(a + beta)

        def integrand(eta):
            e = mp.exp(-eta)
            log_p = -mp.log1p(e)  # p = 1 / (1 + e^-η)
            log_q = log_p - eta  # 1 - p = e^-η p
            one_minus = -mp.expm1(-m * mp.log1p(s / (1 + e)))
            # (1 − (1+ps)^−m)/p · p^(a−1) (1−p)^(β−1) / B · dp/dη, with dp/dη = p (1 − p).
            return one_minus * mp.exp((a - 1) * log_p + beta * log_q - log_beta)

        mean = mp.digamma(a) - mp.digamma(beta)
        sd = mp.sqrt(mp.psi(1, a) + mp.psi(1, beta))
        points = {mean + sd * k for k in (-32, -8, -2, 0, 2, 8)}
        points |= {-mp.log(s), -mp.log(m * s)}  # where p s and p s m cross 1
        value, error = mp.quad(integrand, [-mp.inf, *sorted(points), mp.inf], error=True)
        return value, error


def _paper_closed_form(r, alpha, a, b, x, age, t, dps):
    with mp.workdps(dps):
        r, alpha, a, b, x, age, t = _mpf(r, alpha, a, b, x, age, t)
        y = t / (alpha + age + t)
        z = (alpha + age) / (alpha + age + t)
        c = a + b + x - 1
        if x < HEAVY:
            hyp = z ** (r + x) * mp.hyp2f1(r + x, b + x, c, y)
        else:
            hyp = z ** (a - 1) * mp.hyp2f1(a + b - 1 - r, a - 1, c, y)
        return c / (a - 1) * (1 - hyp)


def _closed_form(r, alpha, a, b, x, age, t):
    """Method (b), with the a = 1 limit as a symmetric average."""
    if a != 1.0:
        return _paper_closed_form(r, alpha, a, b, x, age, t, dps=QUAD_DPS)
    with mp.workdps(60):
        h = mp.mpf("1e-15")
        up = _paper_closed_form(r, alpha, 1 + h, b, x, age, t, dps=60)
        down = _paper_closed_form(r, alpha, 1 - h, b, x, age, t, dps=60)
        return (up + down) / 2


# The references are stored (30 significant digits) by make_special_reference.py, which runs this
# module with CLVMODEL_RECORD_REFERENCES set; computing them live takes ~150 s.
REFERENCE_TABLE = Path(__file__).parent / "reference" / "bgnbd_expected_if_alive_mpmath.csv"
_RECORD = os.environ.get("CLVMODEL_RECORD_REFERENCES")


def _key(params, x, age, t) -> tuple:
    return (*(float(p) for p in params), float(x), float(age), float(t))


@functools.cache
def _stored_references() -> dict:
    if _RECORD or not REFERENCE_TABLE.exists():
        return {}
    table = pd.read_csv(REFERENCE_TABLE, dtype={"reference": str})
    columns = ["r", "alpha", "a", "b", "x", "T", "t"]
    return {
        tuple(float(v) for v in row[columns]): mp.mpf(row["reference"])
        for _, row in table.iterrows()
    }


def reference_if_alive(params, x, age, t):
    """E_alive from two agreeing mpmath methods: the stored value, or computed live."""
    stored = _stored_references().get(_key(params, x, age, t))
    if stored is not None:
        return stored
    value = live_reference_if_alive(tuple(params), x, age, t)
    if _RECORD:
        _RECORDED[_key(params, x, age, t)] = value
    return value


_RECORDED: dict = {}


def _write_recorded() -> None:
    rows = [(*key, mp.nstr(value, 30)) for key, value in sorted(_RECORDED.items())]
    frame = pd.DataFrame(rows, columns=["r", "alpha", "a", "b", "x", "T", "t", "reference"])
    frame.to_csv(_RECORD, index=False, float_format="%.17g")


if _RECORD:
    atexit.register(_write_recorded)


@functools.cache
def live_reference_if_alive(params, x, age, t):
    """E_alive from two agreeing mpmath methods (cached: each costs ~0.2 s)."""
    r, alpha, a, b = params
    value, error = _quadrature(r, alpha, a, b, x, age, t)
    assert value > 0
    assert error <= 1e-20 * value, f"mp.quad did not converge: {value} ± {error}"
    closed = _closed_form(r, alpha, a, b, x, age, t)
    assert abs(closed - value) <= AGREEMENT * value, (
        f"mpmath methods disagree at {params}, x={x}, T={age}, t={t}: quad {value}, "
        f"closed form {closed}"
    )
    return value


def reference_probability_alive(params, x, t_x, age):
    """Eq. (13) of the paper at 30 digits."""
    if x == 0:
        return mp.mpf(1)
    with mp.workdps(QUAD_DPS):
        r, alpha, a, b, x, t_x, age = _mpf(*params, x, t_x, age)
        return 1 / (1 + a / (b + x - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x))


def _relative_error(value, reference):
    return float(abs(mp.mpf(float(value)) - reference) / reference)


@pytest.mark.parametrize(
    "cell", [CELLS[3], next(c for c in CELLS if c[1] == HEAVY and c[0] == "a=1")], ids=str
)
def test_stored_references_are_what_mpmath_computes(cell):
    """A live spot check of the stored table (one ordinary cell, one heavy buyer at a = 1)."""
    name, x, age, t = cell
    stored = _stored_references().get(_key(PARAMETER_SETS[name], x, age, t))
    if stored is None:
        pytest.skip("no stored reference table (recording run)")
    live = live_reference_if_alive(PARAMETER_SETS[name], x, age, t)
    assert abs(stored - live) <= mp.mpf("1e-15") * live  # at mpmath's default 53-bit precision


# ---------------------------------------------------------------------------------------------
# Accuracy on the grid
@pytest.mark.parametrize(
    ("name", "x", "age", "t"), CELLS, ids=[f"{n}-x{x}-T{g:g}-t{t:g}" for n, x, g, t in CELLS]
)
def test_expected_purchases_if_alive_matches_mpmath(name, x, age, t):
    params = PARAMETER_SETS[name]
    reference = reference_if_alive(params, x, age, t)
    value = expected_purchases_if_alive(*params, x, age, t)
    assert np.isfinite(value)
    assert _relative_error(value, reference) <= RTOL, (float(value), float(reference))


def _grid_customers(name):
    """The set's cells as one table of customers, each cell with t_x = T and t_x = T/2."""
    rows = []
    for cell_name, x, age, t in CELLS:
        if cell_name != name:
            continue
        for t_x in [0.0] if x == 0 else [age, age / 2]:
            rows.append({"frequency": x, "recency": t_x, "T": age, "t": t})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("name", list(PARAMETER_SETS))
def test_expected_purchases_matches_mpmath(name):
    """Full eq. (10), P(alive) × E_alive, scored in one vectorised call per parameter set."""
    params = PARAMETER_SETS[name]
    table = _grid_customers(name)
    model = clv.BetaGeoModel.from_params(dict(zip(NAMES, params, strict=True)))
    values = model.expected_purchases(table, table["t"].to_numpy()).to_numpy()
    assert np.all(np.isfinite(values))
    for value, row in zip(values, table.itertuples(), strict=True):
        reference = reference_probability_alive(
            params, row.frequency, row.recency, row.T
        ) * reference_if_alive(params, row.frequency, row.T, row.t)
        if reference < 1e-290:
            # Below the double range (P(alive) ~ e^-7000 for a heavy buyer silent for half their
            # life): the only right double answer is (close to) zero.
            assert 0 <= value < 1e-280, (row, value)
        else:
            assert _relative_error(value, reference) <= RTOL, (row, value, float(reference))


@pytest.mark.parametrize("name", list(PARAMETER_SETS))
def test_new_customer_expectation_matches_mpmath(name):
    """x = 0, T = 0 is the unconditional E[X(t)] (eq. 9)."""
    params = PARAMETER_SETS[name]
    model = clv.BetaGeoModel.from_params(dict(zip(NAMES, params, strict=True)))
    t = HORIZONS[list(PARAMETER_SETS).index(name) % len(HORIZONS)]
    reference = reference_if_alive(params, 0, 0.0, t)
    value = model.expected_purchases_new(t)
    assert _relative_error(value, reference) <= RTOL, (t, value, float(reference))


# Small Beta shapes send clvmodel to its quadrature, whose outermost nodes have p = e^-1000 or so.
SMALL_SHAPES = [(0.5, 10.0, 1.0, 0.05), (0.5, 10.0, 0.1, 1.0), (0.5, 10.0, 0.05, 0.05)]


@pytest.mark.parametrize("params", SMALL_SHAPES, ids=lambda p: f"a={p[2]}-b={p[3]}")
def test_small_shapes_are_accurate_and_warning_free(params):
    model = clv.BetaGeoModel.from_params(dict(zip(NAMES, params, strict=True)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = model.expected_purchases_new(1.0)
    assert _relative_error(value, reference_if_alive(params, 0, 0.0, 1.0)) <= RTOL
    # A valid input should not make numpy print "divide by zero encountered in log".
    assert [str(w.message) for w in caught] == []


# Found by fuzzing: a shape parameter of 0.001-0.01 spreads Beta(a, b + x) over thousands in
# logit space; the quadrature's grid, scaled to that spread, missed the integrand's turn (errors
# up to 4 %, and E_alive falling as the horizon grew). (r, α, a, b), x, T, t:
TINY_SHAPES = [
    ((0.7328117898961112, 0.0018364371402731585, 0.004317200293188678, 0.0011201646086969612),
     0, 4.548288394205057, 1340.0),
    ((798.3947079704906, 0.001922682805055475, 107.09444426503049, 0.009596223824741216),
     0, 43.02, 10.0),
    ((0.5665, 502.1, 0.0015247, 1.0024927), 0, 0.348, 52.0),  # MBG/NBD's case, b + 1
]  # fmt: skip


@pytest.mark.parametrize(("params", "x", "age", "t"), TINY_SHAPES)
def test_tiny_shapes_are_accurate(params, x, age, t):
    value = expected_purchases_if_alive(*params, x, age, t)
    assert _relative_error(value, reference_if_alive(params, x, age, t)) <= RTOL


# ---------------------------------------------------------------------------------------------
# Where lifetimes 0.11.3 fails
# (parameters, x, t_x, T, t): lifetimes evaluates the paper's closed form directly. It divides by
# a − 1 (0/0 at a = 1); for a + b < 1 and x = 0 the ₂F₁ with c = a + b − 1 < 0 breaks scipy; with
# b = 1 and x = 0 its P(alive) factor computes 0 · a/(b + x − 1) = 0 · inf; and heavy buyers with a
# large a overflow the ₂F₁. (For the CDNOW parameters, scipy 1.17's hyp2f1 plus lifetimes' fallback
# formula stay finite even at x = 10⁴, so a large a is needed to show the heavy-buyer failure.)
LIFETIMES_FAILURES = {
    "a=1, typical buyer": ("a=1", 5, 200.0, 365.0, 365.0),
    "a=1, new customer": ("a=1", 0, 0.0, 30.0, 52.0),
    "a+b<1, no repeat purchase": ("a+b<1", 0, 0.0, 30.0, 365.0),
    "a+b<1, no repeat purchase, old": ("a+b<1", 0, 0.0, 1e4, 1e4),
    "b=1, no repeat purchase": ("b=1", 0, 0.0, 365.0, 52.0),
    "large a, heavy buyer x=1000": ("large a", 1000, 30.0, 30.0, 365.0),
    "large a, heavy buyer x=10000": ("large a", 10_000, 1.0, 1.0, 52.0),
}


@pytest.mark.parametrize("case", list(LIFETIMES_FAILURES))
def test_finite_and_correct_where_lifetimes_is_not(case):
    lifetimes = pytest.importorskip("lifetimes")
    name, x, t_x, age, t = LIFETIMES_FAILURES[case]
    params = PARAMETER_SETS[name]
    named = dict(zip(NAMES, params, strict=True))

    fitter = lifetimes.BetaGeoFitter()
    fitter.params_ = pd.Series(named)  # lifetimes has no from-parameters constructor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = fitter.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, age)
    assert not np.isfinite(theirs), f"lifetimes now returns {theirs} here"

    customer = pd.DataFrame({"frequency": [x], "recency": [t_x], "T": [age]})
    ours = clv.BetaGeoModel.from_params(named).expected_purchases(customer, t).iloc[0]
    reference = reference_probability_alive(params, x, t_x, age) * reference_if_alive(
        params, x, age, t
    )
    assert np.isfinite(ours)
    assert _relative_error(ours, reference) <= RTOL, (ours, float(reference))


# ---------------------------------------------------------------------------------------------
# Properties over random parameters and histories
def _log_uniform(low, high):
    return st.floats(math.log(low), math.log(high)).map(math.exp)


parameters = st.tuples(
    _log_uniform(1e-2, 1e2),  # r
    _log_uniform(1e-2, 1e4),  # α
    st.one_of(st.just(1.0), _log_uniform(1e-2, 1e2)),  # a, sometimes exactly 1
    st.one_of(st.just(1.0), _log_uniform(1e-2, 1e2)),  # b, sometimes exactly 1
)


@st.composite
def _history(draw):
    """(x, T, t_x / T). A customer's age T is 0 only without repeat purchases, and a repeat buyer's
    last purchase comes after the first (t_x > 0; validate_rfm refuses recency 0 with x > 0): a
    positive share of T, down to the smallest normal float (so t_x = share · T never underflows)."""
    x = draw(st.one_of(st.sampled_from([0, 1, 10_000]), st.integers(0, 10_000)))
    if x == 0:
        return x, draw(st.one_of(st.just(0.0), _log_uniform(1e-3, 1e5))), 0.0
    age = draw(_log_uniform(1e-3, 1e5))
    return x, age, draw(st.floats(0.0, 1.0, exclude_min=True, allow_subnormal=False))


histories = st.lists(_history(), min_size=1, max_size=12)
horizons = st.lists(st.floats(0.0, 1e4), min_size=2, max_size=5)


def _table(history):
    x = np.array([h[0] for h in history], dtype=float)
    age = np.array([h[1] for h in history])
    t_x = np.where(x > 0, age * np.array([h[2] for h in history]), 0.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": age})


PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,  # fixed seed: the same examples on every run
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY_SETTINGS
@given(params=parameters, history=histories, ts=horizons)
def test_expected_purchases_finite_nonnegative_and_nondecreasing_in_t(params, history, ts):
    model = clv.BetaGeoModel.from_params(dict(zip(NAMES, params, strict=True)))
    table = _table(history)
    with warnings.catch_warnings():
        # Spurious numpy warnings are test_small_shapes_are_accurate_and_warning_free's business;
        # here only the values count.
        warnings.simplefilter("ignore", RuntimeWarning)
        curves = np.array([model.expected_purchases(table, t).to_numpy() for t in sorted(ts)])
    assert np.all(np.isfinite(curves))
    assert np.all(curves >= 0)
    # Non-decreasing in t, allowing relative rounding noise far below the accuracy contract.
    assert np.all(np.diff(curves, axis=0) >= -1e-10 * curves[1:])


@PROPERTY_SETTINGS
@given(params=parameters, history=histories, t=st.floats(0.0, 1e4))
def test_probabilities_are_probabilities(params, history, t):
    model = clv.BetaGeoModel.from_params(dict(zip(NAMES, params, strict=True)))
    table = _table(history)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        alive = model.probability_alive(table).to_numpy()
        silent = model.probability_no_purchase(table, t).to_numpy()
    assert np.all((alive >= 0) & (alive <= 1))
    assert np.all((silent >= 0) & (silent <= 1))
    # A customer alive at T stays silent with probability ≤ 1, so P(no purchase) ≥ P(dead).
    assert np.all(silent >= (1 - alive) - 1e-12)


_SHAPES = st.sampled_from([(7, 5), (1, 5), (7, 1), ()])


@settings(deadline=None)
@given(
    data=st.data(),
    shapes=st.tuples(_SHAPES, _SHAPES, _SHAPES, _SHAPES),
    zero=st.booleans(),
    sums_shape=st.sampled_from([(7, 5), ()]),
)
def test_the_in_place_series_steps_keep_the_plain_formulas_bits(data, shapes, zero, sums_shape):
    """one_minus_power_over and series_value take their in-place route where no limit applies
    and the shapes allow (the draws' paths call them on thousands of blocks); they must give
    the plain formulas' values bit for bit, and the same reliability."""
    from clvmodel.models import _special

    def draw(shape, low, high):
        values = st.floats(low, high, allow_nan=False)
        return np.array(data.draw(st.lists(values, min_size=math.prod(shape),
                                           max_size=math.prod(shape)))).reshape(shape)  # fmt: skip

    eps, d, first, z_log = (draw(s, -5.0, 5.0) for s in shapes)
    z_log = -np.abs(z_log)
    if zero:
        eps = np.where(np.abs(eps) < 1.0, 0.0, eps)
    total, magnitude = draw(sums_shape, -1e3, 1e3), draw(sums_shape, 0.0, 1e3)
    active = total > 900.0
    with np.errstate(all="ignore"):
        plain = np.where(eps == 0.0, -z_log, -np.expm1(eps * z_log) / np.where(eps == 0, 1, eps))
        found = _special.one_minus_power_over(eps, z_log)
        np.testing.assert_array_equal(found, plain)
        a = eps + 1.0
        z_pow = np.exp((a - 1.0) * z_log)
        value = d * (first - z_pow * total)
        scale = d * (first + z_pow * magnitude)
        reliable = ~active & (value > _special._CANCELLATION_LIMIT * scale)
        reliable &= d >= _special._MIN_SERIES_D
        got, got_reliable = _special.series_value(a, d, first, z_log, (total, magnitude, active))
    np.testing.assert_array_equal(got, value)
    np.testing.assert_array_equal(got_reliable, reliable)
    assert (type(got), type(got_reliable)) == (type(value), type(reliable))


def test_the_series_takes_scalars_as_before():
    """All-scalar arguments give numpy scalars (a product of 0-d arrays is a scalar, which the
    in-place route cannot write into), equal to the same element of an array call."""
    from clvmodel.models._special import euler_series_if_alive

    value, reliable = euler_series_if_alive(np.float64(0.5), 10.0, 0.8, 2.5, 3.0, 20.0, 5.0)
    assert isinstance(value, np.float64) and isinstance(reliable, np.bool_) and reliable
    values, _ = euler_series_if_alive(0.5, 10.0, 0.8, 2.5, np.array([3.0, 1.0]), 20.0, 5.0)
    assert value == values[0]
