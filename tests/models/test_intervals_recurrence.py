"""The count distribution by recurrence in k (clvmodel.models._intervals) against direct
evaluation of Fader, Hardie and Lee (2005) eq. (8), against mpmath, and the prediction intervals
built from it against a brute-force mixture of the model's own PMF."""

from __future__ import annotations

import mpmath
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from interval_reference import central_interval

import clvmodel as clv
from clvmodel.models import PURCHASE_MODELS, _count_tables
from clvmodel.models._count_tables import _WEIGH_FROM, alive_bounds
from clvmodel.models._intervals import (
    DropoutAtPurchasesCounts,
    equal_tailed,
    mixture_interval,
    sigma_points,
    survival_tables,
)
from clvmodel.models._special import expected_purchases_if_alive, pmf_dropout_at_purchases


def _survival(r, alpha, a, b, t, counts):
    steps = DropoutAtPurchasesCounts(r, alpha, a, b, t)
    return np.stack([steps.survival() for _ in range(counts)], axis=-1)


positive = st.floats(0.05, 50.0)


@settings(max_examples=60, deadline=None)
@given(r=positive, alpha=st.floats(0.5, 500.0), a=positive, b=positive, t=st.floats(0.0, 400.0))
def test_recurrence_equals_direct_evaluation(r, alpha, a, b, t):
    counts = 80
    survival = _survival(r, alpha, a, b, t, counts)[0]
    pmf = -np.diff(np.concatenate([[1.0], survival]))  # P(X = k) = S(k − 1) − S(k)
    direct = pmf_dropout_at_purchases(r, alpha, a, b, np.arange(counts, dtype="float64"), t)
    np.testing.assert_allclose(pmf, direct, rtol=0, atol=1e-10)
    assert np.all(np.diff(survival) <= 1e-15) and np.all(survival >= 0.0)


@pytest.mark.parametrize("b_shift", [0.0, 1.0])  # BG/NBD (b + x) and MBG/NBD (b + x + 1)
def test_survival_sums_to_the_conditional_expectation(b_shift):
    # Σ_k P(X > k | alive) = E[X | alive]; the PMF then sums to 1 by construction.
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426  # BG/NBD on CDNOW (weeks)
    x = np.array([0.0, 1.0, 4.0, 12.0, 30.0])
    age = np.array([38.0, 30.0, 36.0, 38.0, 38.9])
    for t in (1.0, 39.0, 200.0):
        survival = _survival(r + x, alpha + age, a, b + b_shift + x, t, 3_000)
        assert survival[:, -1].max() < 1e-9
        expected = expected_purchases_if_alive(r, alpha, a, b + b_shift, x, age, t)
        np.testing.assert_allclose(survival.sum(axis=1), expected, rtol=1e-9)


def test_recurrence_against_mpmath_where_the_first_term_underflows():
    # A customer with 4,000 repeat purchases: (α/(α+t))^(r+x) underflows in double precision,
    # the recurrence runs in logs. Reference: P(X > k) = B(a, b+k)/B(a, b) · I_{t/(α+t)}(k+1, r).
    r, alpha, a, b, t = 4000.25, 30.0, 0.8, 4002.5, 2.0
    survival = _survival(r, alpha, a, b, t, 400)[0]
    mpmath.mp.dps = 40
    share = mpmath.mpf(t) / (alpha + t)
    for k in (200, 240, 266, 300, 350):
        coin = mpmath.beta(a, b + k) / mpmath.beta(a, b)
        reference = coin * mpmath.betainc(k + 1, r, 0, share, regularized=True)
        # Absolute accuracy (the subtraction P(N > k) = P(N > k − 1) − P(N = k) loses relative
        # digits far in the tail, below any interval's tail mass).
        assert survival[k] == pytest.approx(float(reference), rel=0, abs=1e-12)
        if reference > 0.01:
            assert survival[k] == pytest.approx(float(reference), rel=1e-10)


@pytest.fixture(scope="module")
def cdnow(cdnow_split):
    return cdnow_split[0]


@pytest.fixture(scope="module")
def fitted(cdnow):
    """Each purchase model fitted once on ``cdnow``: the tests below only predict with them."""
    return {name: model().fit(cdnow) for name, model in PURCHASE_MODELS.items()}


@pytest.mark.parametrize("name", sorted(PURCHASE_MODELS))
def test_intervals_equal_a_brute_force_mixture_of_the_model_pmf(name, cdnow, fitted):
    # The prediction interval of predict(..., interval=0.9) against one built by hand: the
    # model's own _pmf_if_alive for k = 0 … 60 at every sigma point, mixed with each row's
    # P(alive) there, then the cumulative sums.
    model = fitted[name]
    rows = cdnow.iloc[::11]
    table = model.predict(rows, 39.0, which=("expected_purchases",), interval=0.9)
    x, t_x, age = (rows[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))
    counts = np.arange(61, dtype="float64")
    mixture = np.zeros((x.size, counts.size))
    points = sigma_points(model)
    for theta in points:
        p = dict(zip(type(model).param_names, theta, strict=True))
        alive = model._alive(p, x, t_x, age)[:, None]
        inside = type(model)._pmf_if_alive(p, counts[None, :], x[:, None], age[:, None], 39.0)
        mixture += alive * inside + (1.0 - alive) * (counts == 0)
    mixture /= len(points)
    lower, upper, mass = central_interval(mixture)
    np.testing.assert_array_equal(table["purchases_lower"], lower)
    np.testing.assert_array_equal(table["purchases_upper"], upper)
    np.testing.assert_allclose(table["purchases_interval_mass"], mass, rtol=0, atol=1e-10)


def test_tables_close_every_row():
    # Two groups, three parameter vectors: K_g is where the mean survival reaches the tail, and
    # a row whose P(alive) is 1 at every point closes exactly there.
    model = clv.BetaGeoModel.from_params({"r": 0.5, "alpha": 10.0, "a": 0.8, "b": 2.5})
    params = [{"r": 0.5 * f, "alpha": 10.0, "a": 0.8, "b": 2.5} for f in (0.9, 1.0, 1.1)]
    x, age = np.array([0.0, 8.0]), np.array([20.0, 20.0])
    tables = survival_tables(model, params, x, age, 52.0, 0.05)
    weights = np.full((2, 3), 1.0 / 3.0)
    _, upper, mass = mixture_interval(tables, np.array([0, 1]), weights, 0.9)
    np.testing.assert_array_equal(upper, tables.size - 1)
    assert (mass >= 0.9).all()


@settings(max_examples=30, deadline=None)
@given(draws=st.integers(2, 300), tail=st.floats(0.0, 0.5), seed=st.integers(0, 2**16))
def test_equal_tailed_quantiles_are_numpys(draws, tail, seed):
    values = np.random.default_rng(seed).lognormal(size=(draws, 7))
    low, high = equal_tailed(values, tail)
    expected = np.quantile(values, [tail, 1.0 - tail], axis=0)
    np.testing.assert_allclose(low, expected[0], rtol=1e-13)
    np.testing.assert_allclose(high, expected[1], rtol=1e-13)


def test_tables_weighed_by_the_largest_alive_give_the_same_intervals():
    # From count _WEIGH_FROM on a group closes by its mean survival weighted by its rows' largest
    # P_j(alive): heavy buyers over a long horizon get the intervals of unweighted tables, and a
    # group whose customers are almost surely gone (x = 60, last purchase at 1 of 38 weeks)
    # stops there instead of running on to its count given alive.
    model = clv.BetaGeoModel.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    params = [{"r": 0.243 * f, "alpha": 4.414, "a": 0.793, "b": 2.426} for f in (0.95, 1.0, 1.05)]
    x_g, age_g = np.array([5.0, 30.0, 60.0]), np.array([38.0, 38.0, 38.0])
    group = np.array([0, 0, 1, 1, 1, 2, 2])
    t_x = np.array([30.0, 37.0, 20.0, 36.0, 38.0, 1.0, 0.5])
    x, age = x_g[group], age_g[group]
    weights = np.stack([model._alive(p, x, t_x, age) for p in params], axis=1) / len(params)
    plain = survival_tables(model, params, x_g, age_g, 2000.0, 0.05)
    bound = alive_bounds(model, params, group, x, t_x, age)
    weighed = survival_tables(model, params, x_g, age_g, 2000.0, 0.05, bound)
    assert plain.size[2] > 2 * _WEIGH_FROM
    assert weighed.size[2] == _WEIGH_FROM + 1
    assert weighed.size[1] <= plain.size[1]
    for one, other in zip(
        mixture_interval(plain, group, weights, 0.9),
        mixture_interval(weighed, group, weights, 0.9),
        strict=True,
    ):
        np.testing.assert_array_equal(one, other)


@pytest.mark.parametrize("method", ["delta", "draws"])
@pytest.mark.parametrize("name", sorted(PURCHASE_MODELS))
def test_a_customer_almost_surely_gone_does_not_stop_the_table(name, method, cdnow, fitted):
    # 100,000 purchases in the first week of 20 and none since: given alive the count over a year
    # would be in the hundreds of thousands, but P(alive) is 0. Its interval is [0, 0]; it used
    # to refuse the whole table ("more than 0.05 of its mass above 100000 purchases"). The row is
    # numerics, not purchase days: it and the table it joins record no time unit, so validate_rfm
    # does not hold frequency to the days in recency (the model's unit is weeks, like cdnow's).
    model = fitted[name]
    assert model.time_unit_ == cdnow.attrs["time_unit"] == "W"
    rows = cdnow.iloc[::40][["frequency", "recency", "T"]].copy()
    rows.attrs = {}
    gone = pd.DataFrame({"frequency": [100_000], "recency": [1.0], "T": [20.0]}, index=["gone"])
    options = {"method": method, "n_draws": 100, "seed": 3} if method == "draws" else {}
    ask = {"which": ("expected_purchases",), "interval": 0.9, **options}
    table = model.predict(pd.concat([rows, gone]), 52.0, **ask)
    assert table.loc["gone", ["purchases_lower", "purchases_upper"]].tolist() == [0.0, 0.0]
    assert table.loc["gone", "purchases_interval_mass"] == 1.0
    alone = model.predict(rows, 52.0, **ask)
    pd.testing.assert_frame_equal(table.drop(index="gone"), alone)


def test_a_count_beyond_the_largest_tabulated_is_refused_naming_the_history(
    cdnow_split_bg, monkeypatch
):
    # A customer buying 150 times a week and alive (last purchase at T): over 100 years the
    # count is far above the largest tabulated (100,000; 5,000 here, to run in a moment). The
    # error names the history.
    monkeypatch.setattr(_count_tables, "_MAX_COUNT", 5_000)
    heavy = pd.DataFrame({"frequency": [3000, 2], "recency": [20.0, 10.0], "T": [20.0, 20.0]})
    with pytest.raises(clv.InputError, match="frequency 3000 and T 20 at horizon 5200"):
        cdnow_split_bg.predict(heavy, 5200.0, which=("expected_purchases",), interval=0.9)
