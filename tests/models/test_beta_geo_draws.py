"""BG/NBD's own path for intervals from parameter draws (clvmodel.models._beta_geo_draws), taken
by MBG/NBD too (BG/NBD's with b → b + 1), against the generic path of
clvmodel.models._intervals, which it must reproduce bit for bit: the same floating-point
operations, reorganised (terms of the log odds tabulated per (x, T) and draw, one compiled pass
per row, the count mixture four counts at a time)."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.models._beta_geo_draws import draw_interval_columns
from clvmodel.models._intervals import equal_tailed, parameter_points

PARAMS = {"r": 0.5, "alpha": 60.0, "a": 0.8, "b": 2.5}


@pytest.fixture(
    scope="module", params=[clv.BetaGeoModel, clv.ModifiedBetaGeoModel], ids=["bgnbd", "mbgnbd"]
)
def fitted(request):
    ages = np.random.default_rng(0).uniform(30, 730, 3_000).round()
    rfm = clv.simulate_customers(3_000, PARAMS, T=ages, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = request.param().fit(rfm)
    generic = copy.copy(model)
    generic._draw_interval_columns = None  # the hook switched off: the generic path
    return model, generic


def _histories(rng, n, extremes):
    """Random RFM rows, with the extreme cases mixed in: no repeat purchase, last purchase at
    the end of observation (t_x = T), a first purchase at the very end (T = 0), huge ages."""
    age = rng.uniform(0.0, 800.0, n)
    x = rng.poisson(rng.gamma(0.5, 4.0, n)).astype("float64")
    t_x = np.where(x > 0, age * rng.uniform(0.0, 1.0, n), 0.0)
    if extremes:
        kind = rng.integers(0, 5, n)
        x = np.where(kind == 0, 0.0, x)
        t_x = np.where(kind == 0, 0.0, t_x)
        t_x = np.where((kind == 1) & (x > 0), age, t_x)
        huge = kind == 2
        age = np.where(huge, 1e7, age)
        t_x = np.where(huge & (x > 0), rng.uniform(0.0, 1e7, n), t_x)
        age = np.where(kind == 3, 0.0, age)
        x = np.where(kind == 3, 0.0, x)
        t_x = np.where(kind == 3, 0.0, t_x)
        x = np.where(kind == 4, rng.integers(50, 400, n), x)
        t_x = np.where(kind == 4, age * rng.uniform(0.5, 1.0, n), t_x)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": age})


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(1, 300),
    n_draws=st.integers(2, 120),
    level=st.floats(0.5, 0.99),
    extremes=st.booleans(),
    horizon=st.sampled_from(["scalar", "zero", "per row"]),
)
def test_same_columns_as_the_generic_path(fitted, seed, n, n_draws, level, extremes, horizon):
    model, generic = fitted
    rng = np.random.default_rng(seed)
    rfm = _histories(rng, n, extremes)
    t = {"scalar": 365.0, "zero": 0.0, "per row": rng.uniform(0.0, 900.0, n)}[horizon]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = model.predict(rfm, t, interval=level, method="draws", n_draws=n_draws, seed=seed)
    theirs = generic.predict(rfm, t, interval=level, method="draws", n_draws=n_draws, seed=seed)
    assert list(ours.columns) == list(theirs.columns)
    for column in ours.columns:
        values = ours[column].to_numpy()
        assert np.isfinite(values).all(), column
        np.testing.assert_array_equal(values, theirs[column].to_numpy(), err_msg=column)
    assert (ours["probability_alive_lower"] <= ours["probability_alive_upper"]).all()
    assert (ours["purchases_lower"] <= ours["purchases_upper"]).all()


@pytest.mark.parametrize(
    "which",
    [
        ("probability_alive",),
        ("expected_purchases",),
        ("probability_no_purchase",),
        ("expected_purchases", "probability_alive"),
        ("probability_alive", "expected_purchases", "probability_no_purchase"),
    ],
)
def test_subsets_of_the_predictions(fitted, which):
    model, generic = fitted
    rfm = _histories(np.random.default_rng(3), 2_000, extremes=True)
    kwargs = {"interval": 0.8, "method": "draws", "n_draws": 200, "seed": 1}
    ours = model.predict(rfm, 52.0, which, **kwargs)
    theirs = generic.predict(rfm, 52.0, which, **kwargs)
    pd.testing.assert_frame_equal(ours, theirs, check_exact=True)


def test_bootstrap_replicates_take_the_same_path(fitted):
    model, generic = fitted
    rng = np.random.default_rng(4)
    replicates = pd.DataFrame(
        model.params_.to_numpy() * rng.uniform(0.9, 1.1, (40, 4)), columns=list(PARAMS)
    )
    rfm = _histories(rng, 1_000, extremes=False)
    ours, theirs = copy.copy(model), copy.copy(generic)
    ours.bootstrap_params_ = theirs.bootstrap_params_ = replicates
    kwargs = {"interval": 0.9, "method": "bootstrap"}
    pd.testing.assert_frame_equal(
        ours.predict(rfm, 100.0, **kwargs), theirs.predict(rfm, 100.0, **kwargs), check_exact=True
    )


def test_predict_takes_this_path(fitted, monkeypatch):
    from clvmodel.models import _beta_geo_draws

    model, _ = fitted
    taken = []

    def recording(*args, **kwargs):
        taken.append(type(args[0]).__name__)
        return draw_interval_columns(*args, **kwargs)

    monkeypatch.setattr(_beta_geo_draws, "draw_interval_columns", recording)
    model.predict(_histories(np.random.default_rng(5), 50, extremes=True), 52.0, interval=0.9,
                  method="draws", n_draws=20)  # fmt: skip
    assert taken == [type(model).__name__]


def test_the_generic_path_takes_a_sure_dropout_without_a_warning(fitted):
    # Found by fuzzing: the log odds of a customer certain to be gone overflow the exponential
    # (P(alive) = 0, correctly), and NumPy's overflow warning reached the caller.
    _, generic = fitted
    rfm = pd.DataFrame({"frequency": [400.0, 2.0], "recency": [1.0, 30.0], "T": [1e7, 60.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = generic.predict(rfm, 52.0, interval=0.9, method="draws", n_draws=50)
    assert out.iloc[0]["probability_alive_upper"] == 0.0
    assert np.isfinite(out.to_numpy()).all()


def test_covariates_leave_it_to_the_generic_path(fitted):
    model, _ = fitted
    histories = (np.ones(3), np.ones(3), np.full(3, 2.0), np.ones((3, 1)), np.empty((3, 0)))
    points = np.tile(model.params_.to_numpy(), (5, 1))
    assert draw_interval_columns(model, points, 0.9, histories, 1.0, ("probability_alive",)) is None


@pytest.mark.parametrize("per_customer", [False, True])
def test_predict_shares_its_grouping_without_changing_a_bit(fitted, per_customer):
    # predict hands the draws path the (x, T, horizon) groups it found for the expectations.
    # Every customer taken as a history of its own, grouped by the path itself, must give the
    # same columns: the shared groups are the path's own.
    model, _ = fitted
    rng = np.random.default_rng(7)
    rfm = _histories(rng, 400, extremes=True)
    rfm = pd.concat([rfm, rfm.iloc[:150]], ignore_index=True)  # repeated histories
    t = rng.choice([13.0, 52.0], len(rfm)) if per_customer else 52.0
    which = ("probability_alive", "expected_purchases", "probability_no_purchase")
    shared = model.predict(rfm, t, which=which, interval=0.9, method="draws", n_draws=60)
    x, t_x, age = (rfm[c].to_numpy() for c in ("frequency", "recency", "T"))
    empty = np.empty((len(rfm), 0))
    points = parameter_points(model, "draws", 60, 0)
    own = draw_interval_columns(model, points, 0.9, (x, t_x, age, empty, empty), t, which)
    assert list(own) == [c for c in shared.columns if c not in which]
    for name, values in own.items():
        np.testing.assert_array_equal(shared[name].to_numpy(), values, err_msg=name)


@pytest.mark.parametrize("n", [1, 6, 7, 12])
def test_blocks_of_any_size_give_the_same_columns(fitted, n):
    # Each block passes through three compiled steps, three buffers taking turns: rows fewer
    # than a block, an exact multiple of it and a remainder must all come out as with one
    # block of all rows.
    model, _ = fitted
    rng = np.random.default_rng(n)
    rfm = _histories(rng, n, extremes=True)
    x, t_x, age = (rfm[c].to_numpy() for c in ("frequency", "recency", "T"))
    histories = (x, t_x, age, np.empty((n, 0)), np.empty((n, 0)))
    points = model.params_.to_numpy() * rng.uniform(0.8, 1.2, (30, 4))
    which = ("probability_alive", "expected_purchases", "probability_no_purchase")
    whole = draw_interval_columns(model, points, 0.9, histories, 52.0, which, block=256)
    for block in (1, 2, 3, 6):
        parts = draw_interval_columns(model, points, 0.9, histories, 52.0, which, block=block)
        assert list(parts) == list(whole)
        for name, values in whole.items():
            np.testing.assert_array_equal(parts[name], values, err_msg=f"{name}, block {block}")


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n_draws=st.sampled_from([40, 200, 301]),
    spread=st.sampled_from([0.0, 0.002, 0.05, 1.0]),
    special=st.sampled_from(["none", "ties", "nan"]),
)
def test_fused_selection_is_numpys_partition(seed, n_draws, spread, special):
    # The compiled block on its own: rows that rank the draws alike up to ``spread`` (the warm
    # bounds then hold exactly, let a few values in, which _refine handles, or fail), ties
    # and NaN (_select), written at scattered places; reference: equal_tailed's partial sort
    # of the same P(alive), E[Y] and P(no purchase) formed with NumPy.
    from clvmodel.models import _beta_geo_kernels as kernels

    rng = np.random.default_rng(seed)
    n_rows, n_groups, tail = 300, 4, 0.05
    base = rng.normal(0.0, 2.0, n_draws)
    log_odds = base + np.linspace(-1.0, 1.0, n_rows)[:, None]
    log_odds = log_odds + rng.normal(0.0, spread, (n_rows, n_draws))
    if special == "ties":
        log_odds = np.round(log_odds, 1)
    work = np.exp(log_odds)
    if special == "nan":
        work[rng.random(work.shape) < 0.01] = np.nan
    group = np.sort(rng.integers(0, n_groups, n_rows))
    given_ = rng.uniform(0.5, 5.0, (n_groups, n_draws))
    silent = rng.uniform(0.0, 1.0, (n_groups, n_draws))
    dest = rng.permutation(n_rows)
    alive = 1.0 / (1.0 + work)
    reference = (
        alive,
        alive * given_[group],
        np.clip(1.0 - alive * (1.0 - silent[group]), 0.0, 1.0),
    )
    last = n_draws - 1
    positions = np.array([tail * last, (1.0 - tail) * last])
    table = np.full((n_rows, 10), -1.0)
    kernels.bg_draw_block(
        work, group, dest, given_, silent, positions, np.empty(0), np.zeros(1, dtype="int64"),
        np.ones(1, dtype="int64"), 0, tail, table[:, :6].T, table[:, 6:].T,
        np.zeros((3, 2 * n_draws + 2), dtype="int64"),
    )  # fmt: skip
    np.testing.assert_array_equal(work, alive)
    for q, values in enumerate(reference):
        low, high = equal_tailed(values.T, tail)
        np.testing.assert_array_equal(table[dest, 2 * q], low, err_msg=f"lower {q}")
        np.testing.assert_array_equal(table[dest, 2 * q + 1], high, err_msg=f"upper {q}")


@pytest.mark.parametrize("modified", [False, True])
def test_the_log_odds_terms_are_tabulated_per_distinct_x_and_t(modified):
    """The terms of the log odds that do not depend on t_x are made per distinct x (and T) and
    draw, not per (x, T) group and draw: on 1M customers the groups' tables were 70 MB of fresh
    memory. Read back through each group's x and T, they are the per-group values."""
    from clvmodel.models._beta_geo_draws import log_odds_terms

    rng = np.random.default_rng(4)
    params = [rng.uniform(0.2, 3.0, 50) for _ in range(4)]
    x_g = rng.integers(0, 6, 2_000).astype(float)
    age_g = rng.integers(1, 9, 2_000).astype(float)
    constant, slope, log_age, x_of, age_of = log_odds_terms(modified, params, x_g, age_g)
    assert constant.shape == slope.shape == (6, 50) and log_age.shape == (8, 50)
    r, alpha, a, b = params
    x = x_g if modified else np.where(x_g > 0, x_g, 1.0)
    shift = x if modified else x - 1.0
    np.testing.assert_array_equal(constant[x_of], np.log(a) - np.log(b + shift[:, None]))
    np.testing.assert_array_equal(slope[x_of], r + x[:, None])
    np.testing.assert_array_equal(log_age[age_of], np.log(alpha + age_g[:, None]))
