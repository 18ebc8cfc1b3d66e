"""BG/NBD's one-pass objective (clvmodel/models/_beta_geo_fit.py) and the Newton fit.

The value, gradient and Hessian must equal (to 1e-9 relative) the aggregated objective clvmodel
used before (kept in tests/models/bg_objective_reference.py), the row-by-row log-likelihood of
eq. (6) (BetaGeoModel._row_loglik, summed with counts; MBG/NBD's likelihood too), and central
differences.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel._rfm_validate import validate_rfm
from clvmodel.models import _compress, _fit, _key_counts, _optimise, _optimisers
from clvmodel.models._beta_geo_fit import Histories, objective
from clvmodel.models._compress import compress_rfm, compress_rows
from clvmodel.models.base import PurchaseModel
from clvmodel.models.beta_geo import BetaGeoModel
from clvmodel.models.modified_beta_geo import ModifiedBetaGeoModel


def _load_reference():
    path = Path(__file__).with_name("bg_objective_reference.py")
    spec = importlib.util.spec_from_file_location("bg_objective_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._Histories, module.objective


ReferenceHistories, reference_objective = _load_reference()

POINTS = [
    np.array([0.24, 4.4, 0.79, 2.4]),  # near CDNOW's estimates (weeks)
    np.array([1.3, 20.0, 0.2, 7.0]),
    np.array([0.05, 300.0, 3.0, 0.5]),
    np.array([4.0, 0.5, 0.02, 40.0]),
]


@pytest.fixture(scope="module", params=["weeks", "days"])
def histories(request):
    """Distinct histories of 20,000 simulated customers (BG/NBD), with counts."""
    rng = np.random.default_rng(11)
    days = rng.integers(1, 400, 20_000).astype("float64")
    T = days / 7 if request.param == "weeks" else days
    rfm = clv.simulate_customers(20_000, dict(r=0.3, alpha=5.0, a=0.8, b=2.5), T=T, seed=2)
    # Recency in whole days, as an RFM summary gives it, so that many histories repeat.
    recency = rfm["recency"].to_numpy()
    recency = np.round(recency * 7) / 7 if request.param == "weeks" else np.round(recency)
    (x, t_x, age), counts = compress_rows(rfm["frequency"].to_numpy(), recency, T)
    assert counts.size < 20_000  # rows do repeat
    return x, t_x, age, counts


def _scale(counts):
    return counts.sum()


@pytest.mark.parametrize("theta", POINTS)
def test_equals_the_previous_aggregated_objective(histories, theta):
    x, t_x, age, counts = histories
    ll, grad, hess = objective(theta, Histories(x, t_x, age, counts), hessian=True)
    ref = reference_objective(theta, ReferenceHistories(x, t_x, age, counts), counts, True)
    np.testing.assert_allclose(ll, ref[0], rtol=1e-12)
    # Components near zero lose relative digits to cancellation: compare on the sum's scale.
    np.testing.assert_allclose(grad, ref[1], rtol=1e-9, atol=1e-12 * _scale(counts))
    np.testing.assert_allclose(hess, ref[2], rtol=1e-9, atol=1e-12 * _scale(counts))
    ll0, grad0, none = objective(theta, Histories(x, t_x, age, counts), hessian=False)
    assert none is None and ll0 == ll
    np.testing.assert_array_equal(grad0, grad)


@pytest.mark.parametrize("model", [BetaGeoModel, ModifiedBetaGeoModel])
@pytest.mark.parametrize("theta", POINTS)
def test_equals_eq6_row_by_row_and_central_differences(histories, theta, model):
    # MBG/NBD: the row-by-row likelihood of Batislam et al. (2007), appendix.
    x, t_x, age, counts = histories
    h = Histories(x, t_x, age, counts, modified=model is ModifiedBetaGeoModel)
    ll, grad, hess = objective(theta, h, hessian=True)
    p = dict(zip(("r", "alpha", "a", "b"), theta, strict=True))
    rows, row_grad = model._row_loglik(p, x, t_x, age, gradient=True)
    np.testing.assert_allclose(ll, counts @ rows, rtol=1e-11)
    np.testing.assert_allclose(grad, row_grad @ counts, rtol=1e-9, atol=1e-11 * counts.sum())
    # Central differences of the value (gradient) and of the analytic gradient (Hessian).
    steps = 1e-5 * theta
    for j in range(4):
        up, down = theta.copy(), theta.copy()
        up[j] += steps[j]
        down[j] -= steps[j]
        f_up, g_up, _ = objective(up, h, hessian=False)
        f_down, g_down, _ = objective(down, h, hessian=False)
        assert (f_up - f_down) / (2 * steps[j]) == pytest.approx(
            grad[j], rel=1e-5, abs=1e-6 * counts.sum() / theta[j]
        )
        difference = (g_up - g_down) / (2 * steps[j]) - hess[:, j]
        bound = 1e-5 * np.abs(hess[:, j]) + 1e-6 * counts.sum() / (theta[j] * theta)
        assert np.all(np.abs(difference) <= bound), (j, difference, hess[:, j])


def test_mbg_fit_by_newton_steps_is_a_stationary_point_of_the_row_by_row_likelihood(cdnow_rfm):
    model = ModifiedBetaGeoModel().fit(cdnow_rfm)
    assert model.n_iterations_ <= 10  # Newton steps, not a quasi-Newton search
    x, t_x, age = (cdnow_rfm[c].to_numpy() for c in ("frequency", "recency", "T"))
    p = model.params_.to_dict()
    rows, row_grad = ModifiedBetaGeoModel._row_loglik(p, x, t_x, age, gradient=True)
    assert rows.sum() == pytest.approx(model.log_likelihood_, rel=1e-12)
    # The gradient in log-parameters, per customer: zero at the optimum.
    scaled = row_grad.sum(axis=1) * model.params_.to_numpy() / x.size
    assert np.abs(scaled).max() < 1e-6


def test_newton_steps_reach_the_trust_region_optimum(cdnow_rfm, monkeypatch):
    newton = BetaGeoModel().fit(cdnow_rfm)
    # Hardie's published estimates for the CDNOW sample: r = 0.2426, α = 4.4137, a = 0.7930,
    # b = 2.4262 (Fader, Hardie and Lee 2005, section 5), log-likelihood −9582.43.
    np.testing.assert_allclose(newton.params_, [0.2426, 4.4137, 0.7930, 2.4262], rtol=1e-3)
    assert newton.log_likelihood_ == pytest.approx(-9582.43, abs=0.01)
    monkeypatch.setattr(_optimise, "_NEWTON_STEPS", 0)  # straight to scipy's trust-exact
    trust = BetaGeoModel().fit(cdnow_rfm)
    np.testing.assert_allclose(newton.params_, trust.params_, rtol=1e-7)
    np.testing.assert_allclose(newton.standard_errors_, trust.standard_errors_, rtol=1e-6)


def test_newton_gives_up_on_an_indefinite_hessian():
    calls = []

    def saddle(z):
        calls.append(z)
        return float(z[0] ** 2 - z[1] ** 2), np.array([2 * z[0], -2 * z[1]]), np.diag([2.0, -2.0])

    assert _optimisers.newton(saddle, np.array([1.0, 1.0]), 1e-9, 50) is None
    bowl = _optimisers.newton(
        lambda z: (float(z @ z), 2 * z, 2 * np.eye(2)), np.array([1.5, -1.0]), 1e-12, 50
    )
    np.testing.assert_allclose(bowl.x, 0.0, atol=1e-12)
    assert bowl.nit == 1


def test_a_model_with_a_fused_hessian_is_fitted_by_newton_steps(cdnow_rfm):
    """The protocol's optional _row_loglik_grad_hess: here MBG/NBD's per-row Hessian by central
    differences of its analytic per-row gradient; the Newton fit must reach the optimum of the
    BFGS fit without it."""

    def fused(p, x, t_x, T):
        ll, grad = clv.ModifiedBetaGeoModel._row_loglik(p, x, t_x, T, gradient=True)
        names = ("r", "alpha", "a", "b")
        hess = np.empty((4, 4, ll.size))
        for j, name in enumerate(names):
            step = 1e-6 * p[name]
            up = clv.ModifiedBetaGeoModel._row_loglik({**p, name: p[name] + step}, x, t_x, T)[1]
            down = clv.ModifiedBetaGeoModel._row_loglik({**p, name: p[name] - step}, x, t_x, T)[1]
            hess[:, j] = (up - down) / (2 * step)
        return ll, grad, (hess + hess.transpose(1, 0, 2)) / 2

    class PlainMBG(clv.ModifiedBetaGeoModel):
        # MBG/NBD as the protocol's base fits it: without the one-pass sums it now has.
        _prepare = PurchaseModel._prepare
        _subsample = PurchaseModel._subsample
        _objective = PurchaseModel._objective
        _analytic_hessian = PurchaseModel._analytic_hessian

    class FusedMBG(PlainMBG):
        _row_loglik_grad_hess = staticmethod(fused)

    for name in ("PlainMBG", "FusedMBG"):
        _fit.REGISTRY.pop(name)  # test classes, not models to load files of
    plain, newton = PlainMBG(), FusedMBG()
    assert not plain._analytic_hessian and newton._analytic_hessian
    plain.fit(cdnow_rfm)
    newton.fit(cdnow_rfm)
    np.testing.assert_allclose(newton.params_, plain.params_, rtol=1e-5)
    assert newton.log_likelihood_ == pytest.approx(plain.log_likelihood_, abs=1e-6)
    assert newton.n_iterations_ < plain.n_iterations_
    # MBG/NBD's own one-pass sums (clvmodel.models._beta_geo_fit) reach the same optimum.
    own = clv.ModifiedBetaGeoModel().fit(cdnow_rfm)
    np.testing.assert_allclose(own.params_, plain.params_, rtol=1e-5)
    np.testing.assert_allclose(own.standard_errors_, plain.standard_errors_, rtol=1e-4)
    assert own.log_likelihood_ == pytest.approx(plain.log_likelihood_, abs=1e-6)


def test_row_loglik_keeps_its_digits_when_a_and_b_are_large():
    """Eq. (6) with a dropout distribution collapsing onto its mean (a, b ~ 10^6, where the
    apparel covariate fit ends): against mpmath at 40 digits. betaln's difference lost ~1e-10."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    p = {"r": 0.6, "alpha": 38.0, "a": 1.16e6, "b": 8.58e6}
    x = np.array([0.0, 1.0, 3.0, 20.0])
    t_x = np.array([0.0, 4.0, 30.0, 90.0])
    T = np.array([10.0, 50.0, 60.0, 100.0])
    got, _ = BetaGeoModel._row_loglik(p, x, t_x, T, gradient=False)
    r, alpha, a, b = (mpmath.mpf(p[k]) for k in ("r", "alpha", "a", "b"))
    for i in range(x.size):
        xi, ti, Ti = (mpmath.mpf(float(v[i])) for v in (x, t_x, T))
        alive = (alpha + Ti) ** -(r + xi)
        dead = a / (b + xi - 1) * (alpha + ti) ** -(r + xi) if x[i] > 0 else 0
        expected = (
            mpmath.loggamma(r + xi)
            - mpmath.loggamma(r)
            + r * mpmath.log(alpha)
            + mpmath.log(mpmath.beta(a, b + xi) / mpmath.beta(a, b))
            + mpmath.log(alive + dead)
        )
        assert got[i] == pytest.approx(float(expected), rel=1e-13, abs=1e-12)


# --------------------------------------------------------------------------------------------
# The one-pass route for RFM tables in whole days or weeks (models/_compress.compress_rfm).


def _rfm_table(n, seed, weeks=False, int_frequency=True):
    """BG/NBD customers (daily parameters) with T and recency in whole days (or those days in
    weeks), so that many rows repeat. Recency is rounded up to the day: a repeat buyer's last
    purchase is on a later day than the first (recency ≥ 1 day, as validate_rfm requires), and
    still on or before the day of T (a whole number of days)."""
    rng = np.random.default_rng(seed)
    days = rng.integers(1, 400, n).astype("float64")
    rfm = clv.simulate_customers(n, dict(r=0.3, alpha=5.0, a=0.8, b=2.5), T=days, seed=seed)
    recency = np.minimum(np.ceil(rfm["recency"].to_numpy()), days)
    x = rfm["frequency"].to_numpy()
    scale = 7.0 if weeks else 1.0
    return {
        "frequency": x if int_frequency else x.astype("float64"),
        "recency": recency / scale,
        "T": days / scale,
    }


def _as_counter(columns, counts):
    return {tuple(row): c for row, c in zip(zip(*columns, strict=True), counts, strict=True)}


@pytest.mark.parametrize("weeks", [False, True])
@pytest.mark.parametrize("int_frequency", [False, True])
def test_compress_rfm_gives_the_distinct_rows_of_the_general_route(weeks, int_frequency):
    table = _rfm_table(50_000, 3, weeks, int_frequency)
    fast = compress_rfm(table)
    assert fast is not None and fast.n_customers == 50_000
    columns = [np.asarray(table[k], dtype="float64") for k in ("frequency", "recency", "T")]
    general, counts = compress_rows(*columns)
    assert fast.counts.size == counts.size < 50_000
    assert _as_counter(fast.values, fast.counts) == _as_counter(general, counts)
    # Rows in increasing (frequency, recency, T) order; values are exactly the input's floats.
    order = np.lexsort(fast.values[::-1])
    np.testing.assert_array_equal(order, np.arange(order.size))
    for values, codes, table_values in zip(fast.values, fast.codes, fast.tables, strict=True):
        assert codes.dtype == np.intp
        np.testing.assert_array_equal(table_values[codes], values)


@given(
    rows=st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 9), st.integers(0, 9)), min_size=1, max_size=60
    ),
    divisor=st.sampled_from([1.0, 7.0]),
)
@settings(max_examples=150, deadline=None)
def test_compress_rfm_agrees_with_validate_rfm_and_a_dictionary_of_rows(rows, divisor):
    """Whole-unit tables, valid or not: the route returns None exactly when validate_rfm
    refuses the table, and otherwise the rows and counts of a plain dictionary."""
    x, t_x, age = (np.array(column, dtype="float64") for column in zip(*rows, strict=True))
    table = {"frequency": x, "recency": t_x / divisor, "T": age / divisor}
    fast = compress_rfm(table)
    try:
        validate_rfm(table)
    except clv.InputError:
        assert fast is None
        return
    assert fast is not None
    expected = {}
    for row in zip(*table.values(), strict=True):
        expected[row] = expected.get(row, 0.0) + 1.0
    assert _as_counter(fast.values, fast.counts) == expected


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda t: t["recency"].__setitem__(5, np.nan), "missing or infinite"),
        (lambda t: t["T"].__setitem__(7, np.inf), "missing or infinite"),
        (lambda t: t["frequency"].__setitem__(3, -1), "negative or not whole"),
        (lambda t: t["recency"].__setitem__(np.argmax(t["frequency"]), 500.0), "recency > T"),
        (lambda t: t["recency"].__setitem__(np.argmin(t["frequency"]), 1.0), "frequency 0"),
        (lambda t: t["T"].__setitem__(9, -2.0), "negative"),
        (lambda t: t.__setitem__("monetary_value", np.full(t["T"].size, np.nan)), "infinite"),
    ],
)
def test_the_general_route_reports_what_the_one_pass_route_refuses(change, message):
    table = _rfm_table(2_000, 5)
    table = {k: v.astype("float64") for k, v in table.items()}
    change(table)
    assert compress_rfm(table) is None
    with pytest.raises(clv.InputError, match=message):
        BetaGeoModel().fit(table)


def test_compress_rfm_leaves_fractional_days_and_other_inputs_to_the_general_route():
    table = _rfm_table(2_000, 6)
    assert compress_rfm({**table, "T": table["T"] + 0.5}) is None  # not whole days or weeks
    assert compress_rfm({**table, "frequency": table["frequency"] + 0.5}) is None
    assert compress_rfm({**table, "T": table["T"].astype(object)}) is None
    assert compress_rfm(table["T"]) is None
    assert compress_rfm({"frequency": table["frequency"], "T": table["T"]}) is None
    assert compress_rfm({**table, "T": table["T"][:-1]}) is None


def test_the_distinct_rows_keep_recency_and_t_as_codes_only():
    """compress_rfm keeps five numbers per distinct row (frequency, the three columns' codes, the
    count): recency's and T's values are read through their codes when asked for. At 10M
    customers their arrays were 25 MB of fresh memory that the fit never read."""
    import tracemalloc

    table = _rfm_table(60_000, 11)
    tracemalloc.start()
    try:
        rows = compress_rfm(table)
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    distinct = rows.counts.size
    assert distinct > 10_000
    per_row = sum(a.nbytes for a in (rows.x, *rows.codes, rows.counts)) / distinct
    assert per_row == 40
    assert kept < 40 * distinct + sum(t.nbytes for t in rows.tables) + 100_000
    # The values are the tables read through the codes, and the table's own rows.
    order = np.lexsort((table["T"], table["recency"], table["frequency"]))
    keys = np.column_stack([table[c][order] for c in ("frequency", "recency", "T")])
    np.testing.assert_array_equal(np.column_stack(rows.values), np.unique(keys, axis=0))


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t["recency"].__setitem__(np.argmax(t["frequency"]), 500.0),  # last key
        lambda t: t["recency"].__setitem__(np.argmin(t["frequency"]), 1.0),  # first keys
        # more repeat purchases than days in recency, in a table that records days
        lambda t: t["frequency"].__setitem__(np.argmax(t["recency"]), 1e4),
    ],
)
def test_the_rules_checked_on_distinct_rows_reach_every_slice(change):
    """The one-pass route checks its distinct rows a slice at a time: a rule broken by a row in
    any slice, not only the first, must send the table to the general route."""
    table = {k: v.astype("float64") for k, v in _rfm_table(2_000, 5).items()}
    change(table)
    with mock.patch.object(_compress, "_RFM_SLICE", 64):
        assert compress_rfm(table, time_unit="D") is None
        assert compress_rfm({k: v[::-1].copy() for k, v in table.items()}, time_unit="D") is None


@given(
    keys=st.lists(st.integers(0, 500), min_size=1, max_size=80),
    # A table of 1,024 slots holds every key (< 501) as the default 2**21 would; the default
    # itself, scanned a piece of 1-40 slots at a time, cost 5 CPU s of Python loops and
    # reached no other branch (its size is tested below).
    dense_slots=st.sampled_from([0, 1, 100, 1024]),
    total=st.sampled_from([501, 2**40]),
    chunks=st.lists(st.integers(1, 30), min_size=1, max_size=5),
    sized=st.booleans(),
    piece=st.integers(1, 40),
)
def test_counting_and_sorting_the_keys_give_the_same_distinct_rows(
    keys, dense_slots, total, chunks, sized, piece
):
    """KeyCounter counts the keys below _DENSE_SLOTS (and below 8 slots per key, when told how
    many keys come) in a table and sorts the rest: fed the keys in chunks of any sizes, it must
    give the distinct keys in increasing order with their counts."""
    key = np.array(keys, dtype=np.intp)
    expected, counts = np.unique(key, return_counts=True)
    for add_at in (True, False):  # numpy >= 1.25 counts in place, older numpy by bincount
        with mock.patch.object(_key_counts, "_DENSE_SLOTS", dense_slots):
            counter = _key_counts.KeyCounter(total, keys=key.size if sized else None)
        cuts = np.cumsum(chunks)
        with mock.patch.object(_key_counts, "_ADD_AT_IS_FAST", add_at):
            for part in np.split(key.copy(), cuts[cuts < key.size]):
                counter.add(part)
        distinct, found = counter.result()
        np.testing.assert_array_equal(distinct, expected)
        np.testing.assert_array_equal(found, counts)
        assert distinct.dtype == np.intp and found.dtype == np.float64
        # The same keys a piece of the table at a time (as compress_rfm decodes them), in order.
        size, pieces = counter.pieces(piece)
        pieces = list(pieces)
        assert size == expected.size and all(p[0].size for p in pieces)
        np.testing.assert_array_equal(np.concatenate([p[0] for p in pieces]), expected)
        np.testing.assert_array_equal(np.concatenate([p[1] for p in pieces]), counts)


def test_the_counting_table_is_sized_to_the_keys_it_will_count():
    """A few keys of a large key space are counted in a table of a few slots per key, not in
    the 2M slots that pay off for millions of keys (clearing and scanning those took half of a
    2,357-customer fit)."""
    small = _key_counts.KeyCounter(2**40, keys=10)
    small.add(np.array([3, 5, 5, 70, 81, 10**9], dtype=np.intp))
    assert small._table.size <= 8 * 10 + 1
    np.testing.assert_array_equal(small.result()[0], [3, 5, 70, 81, 10**9])
    np.testing.assert_array_equal(small.result()[1], [1, 2, 1, 1, 1])
    large = _key_counts.KeyCounter(2**40, keys=10**6)
    large.add(np.array([3], dtype=np.intp))
    assert large._table.size == _key_counts._DENSE_SLOTS + 1


@pytest.mark.parametrize("weeks", [False, True])
def test_the_one_pass_route_fits_what_the_general_route_fits(weeks):
    table = pd.DataFrame(_rfm_table(60_000, 8, weeks))
    fast = BetaGeoModel().fit(table)
    # Weights send the same table through validate_rfm and the general compression.
    general = BetaGeoModel().fit(table, weights=np.ones(len(table)))
    assert fast.n_distinct_rows_ == general.n_distinct_rows_
    np.testing.assert_allclose(fast.params_, general.params_, rtol=1e-9)
    assert fast.log_likelihood_ == pytest.approx(general.log_likelihood_, rel=1e-12)
    np.testing.assert_allclose(fast.standard_errors_, general.standard_errors_, rtol=1e-7)


def test_a_skipped_last_pass_is_what_evaluating_it_would_give(monkeypatch):
    """When Newton's last step is taken on the quadratic model's word, the point it reaches must
    meet the tolerance, and the reported log-likelihood and standard errors must be those an
    evaluation there gives."""
    results = []
    newton = _optimise.newton

    def recording(*args):
        result = newton(*args)
        results.append(result)
        return result

    table = _rfm_table(30_000, 9)
    first = BetaGeoModel().fit(table)
    monkeypatch.setattr(_optimise, "newton", recording)
    # From near the optimum (as after the warm start on large data) convergence is quadratic.
    # 0.1 % off: one full step shows the rate, and the second is skipped (0.01 % off, one step
    # from the start already meets the tolerance on this table, and nothing is skipped).
    model = BetaGeoModel().fit(table, initial_params=(first.params_ * (1 + 1e-3)).to_dict())
    assert [hasattr(r, "predicted") for r in results] == [True]
    # Both meet the gradient tolerance; b's curvature is low, so that allows ~1e-9 in b.
    np.testing.assert_allclose(model.params_, first.params_, rtol=1e-8)
    (x, t_x, age), counts = compress_rows(*(np.asarray(v, "float64") for v in table.values()))
    theta = model.params_.to_numpy()
    ll, grad, hess = objective(theta, Histories(x, t_x, age, counts), hessian=True)
    assert model.log_likelihood_ == pytest.approx(ll, rel=1e-13)
    # The gradient of the mean log-likelihood in log-parameters, as the convergence test reads it.
    assert np.max(np.abs(grad * theta / counts.sum())) < model.tol * 1e-3
    information = -(np.outer(theta, theta) * hess + np.diag(theta * grad))
    errors = theta * np.sqrt(np.diag(np.linalg.inv(information)))
    np.testing.assert_allclose(model.standard_errors_, errors, rtol=1e-6)


def test_newton_predicts_the_last_step_only_in_the_quadratic_regime():
    """f(z) = Σ cosh(z_i) − z_i has its minimum at asinh(1); from far away the steps are
    halved or clipped, and the last step is skipped only once convergence is quadratic."""
    target = np.arcsinh(1.0)
    calls = []

    def f(z):
        calls.append(z.copy())
        return float(np.sum(np.cosh(z) - z)), np.sinh(z) - 1.0, np.diag(np.cosh(z))

    result = _optimisers.newton(f, np.array([3.0, -2.0, 0.5]), 1e-12, 50)
    assert hasattr(result, "predicted")
    np.testing.assert_allclose(result.x, target, rtol=1e-14)
    value, gradient, _ = f(result.x)
    assert np.max(np.abs(gradient)) < 1e-12
    assert result.predicted[0] == pytest.approx(value, rel=1e-15)
    assert not any(np.array_equal(c, result.x) for c in calls[:-1])


def test_no_heterogeneity_in_the_rate_keeps_the_likelihood_digits():
    # Every customer bought 1-4 times and last at T: the supremum has r, α → ∞ (a Poisson rate)
    # and a → 0. r ln α − (r + x) ln(α + T) computed as written cancelled to noise there: the
    # fit ran to r = 2e31 and reported a log-likelihood of −2^62. MBG/NBD and Pareto/NBD share
    # this limit (no dropout, one Poisson rate): the three suprema agree.
    table = pd.DataFrame({"frequency": [2, 3, 1, 4] * 5, "recency": 10.0, "T": 10.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.StatisticalWarning)
        fits = [M().fit(table) for M in (BetaGeoModel, ModifiedBetaGeoModel, clv.ParetoNBDModel)]
    for model in fits:
        assert model.log_likelihood_ == pytest.approx(fits[2].log_likelihood_, abs=1e-4)
    bg = fits[0]
    assert bg.params_["r"] / bg.params_["alpha"] == pytest.approx(0.25, rel=1e-4)  # 50 / 200
