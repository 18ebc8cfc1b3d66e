"""The models' own paths for intervals from parameter draws build their tables per (x, T) group
and draw a chunk of groups at a time, in the rows' order (clvmodel.models._interval_draws.RowPlan),
instead of all at once: about 200 MB for 1M customers and 200 draws, whose first touch cost more
system time than the arithmetic done in it. The columns must not depend on the chunks (each
group's tables are its own), and the memory must be that of a chunk."""

from __future__ import annotations

import copy
import tracemalloc
import warnings

import numpy as np
import pytest

import clvmodel as clv
from clvmodel.models import _beta_geo_draws, _pareto_draws
from clvmodel.models._interval_draws import RowPlan, parameter_points
from clvmodel.models._intervals import interval_columns

PARAMS = {"r": 0.5, "alpha": 60.0, "a": 0.8, "b": 2.5}
WHICH = ("probability_alive", "expected_purchases", "probability_no_purchase")


def _histories(n, seed, heavy=False):
    """Distinct histories (continuous recency and age: about one (x, T) group per history),
    heavy buyers mixed in when asked (longer count tables), as the draws paths take them."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(0.0, 700.0, n)
    x = rng.poisson(rng.gamma(0.5, 4.0, n)).astype("float64")
    if heavy:
        x[::7] = rng.integers(50, 300, x[::7].size)
    t_x = np.where(x > 0, age * rng.uniform(0.0, 1.0, n), 0.0)
    return x, t_x, age, np.empty((n, 0)), np.empty((n, 0))


@pytest.fixture(scope="module", params=["bgnbd", "mbgnbd", "pnbd"])
def fitted(request):
    ages = np.random.default_rng(0).uniform(30, 730, 2_000).round()
    rfm = clv.simulate_customers(2_000, PARAMS, T=ages, seed=1)
    cls = {"bgnbd": clv.BetaGeoModel, "mbgnbd": clv.ModifiedBetaGeoModel}.get(
        request.param, clv.ParetoNBDModel
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cls().fit(rfm)
    module = _pareto_draws if request.param == "pnbd" else _beta_geo_draws
    return model, module


@pytest.mark.parametrize("horizon", ["scalar", "per row"])
def test_the_columns_do_not_depend_on_the_chunks(fitted, horizon):
    model, module = fitted
    histories = _histories(400, seed=2, heavy=True)
    t = 90.0 if horizon == "scalar" else np.random.default_rng(3).uniform(0.0, 400.0, 400)
    points = parameter_points(model, "draws", 60, seed=4)
    whole = module.draw_interval_columns(model, points, 0.9, histories, t, WHICH, chunk=10**9)
    for chunk in (1, 7, 64):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            part = module.draw_interval_columns(
                model, points, 0.9, histories, t, WHICH, chunk=chunk
            )
        assert list(part) == list(whole)
        for name, values in part.items():
            np.testing.assert_array_equal(values, whole[name], err_msg=f"{name}, chunk {chunk}")


def test_chunks_keep_the_generic_paths_columns_bit_for_bit():
    """BG/NBD's own path, in chunks of 5 groups, against the generic path (which tabulates all
    groups at once)."""
    ages = np.random.default_rng(0).uniform(30, 730, 2_000).round()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = clv.BetaGeoModel().fit(clv.simulate_customers(2_000, PARAMS, T=ages, seed=1))
    generic = copy.copy(model)
    generic._draw_interval_columns = None
    histories = _histories(300, seed=5, heavy=True)
    points = parameter_points(model, "draws", 80, seed=6)
    ours = _beta_geo_draws.draw_interval_columns(
        model, points, 0.8, histories, 200.0, WHICH, chunk=5
    )
    theirs = interval_columns(generic, points, "draws", 0.8, {}, histories, 200.0, WHICH)
    for name, values in theirs.items():
        np.testing.assert_array_equal(ours[name], values, err_msg=name)


def test_tables_take_the_memory_of_a_chunk():
    """3,000 groups × 200 draws: one (groups, draws) table is 4.8 MB, and the path keeps five
    of them and the count tables; in chunks of 64 groups the whole call stays under two."""
    ages = np.random.default_rng(0).uniform(30, 730, 2_000).round()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = clv.BetaGeoModel().fit(clv.simulate_customers(2_000, PARAMS, T=ages, seed=1))
    histories = _histories(3_000, seed=7)
    points = parameter_points(model, "draws", 200, seed=8)
    one_table = 3_000 * 200 * 8
    draw = _beta_geo_draws.draw_interval_columns
    draw(
        model, points, 0.9, _histories(50, seed=1), 365.0, WHICH, chunk=64
    )  # compiled loops loaded
    tracemalloc.start()
    try:
        draw(model, points, 0.9, histories, 365.0, WHICH, chunk=64)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * one_table, f"peak {peak / 1e6:.1f} MB"


@pytest.mark.parametrize("top", [700.0, 1e17, 1e306])
def test_row_plan_keeps_each_group_in_one_run_of_rows(top):
    """Rows sorted by group (and t_x within), so that a chunk of groups is a run of rows, also
    where the sort key group·(top + 1) + t_x rounds (top 1e17) or overflows (1e306)."""
    rng = np.random.default_rng(9)
    n_groups, n = 500, 4_000
    x_g = rng.integers(0, 20, n_groups).astype("float64")
    age_g = rng.uniform(0.0, 700.0, n_groups)
    group = np.concatenate([np.arange(n_groups), rng.integers(0, n_groups, n - n_groups)])
    first = np.arange(n_groups)
    t_x = rng.uniform(0.0, top, n)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan = RowPlan(x_g[group], t_x, age_g[group], 30.0, group, first, per_row=False)
    assert np.all(np.diff(plan.sorted_group) >= 0)
    assert np.array_equal(np.sort(plan.order), np.arange(n))
    np.testing.assert_array_equal(plan.x_g[plan.group], x_g[group])
    np.testing.assert_array_equal(plan.age_g[plan.group], age_g[group])
    # Groups in (x, T) order.
    assert np.all(np.diff(plan.x_g) >= 0)
    covered = np.zeros(n, dtype=int)
    for groups, rows in plan.chunks(37):
        chunk = plan.sorted_group[rows]
        assert chunk.min() >= groups.start and chunk.max() < groups.stop
        covered[plan.order[rows]] += 1
    assert np.all(covered == 1)
