"""The bootstrap's replicates and the randomised PIT follow the customers, not the rows: the same
seed gives the same replicates whatever the order of the rows and whether equivalent weights
(unit weights, or counts of identical rows) are given, and each customer gets the same uniform V
of the randomised PIT whatever the order of the calibration table."""

from __future__ import annotations

import warnings
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.coverage import randomised_pit

# Published estimates, used only to simulate data: sBG, Fader and Hardie (2007), How to project
# customer retention, J. Interactive Marketing 21(1), the "regular" cohort; BG/BB, Fader, Hardie
# and Shang (2010), Marketing Science 29(6), on the donations data.
SBG = {"alpha": 0.704, "beta": 1.182}
BGBB = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


@pytest.fixture(scope="module")
def split(cdnow_split):
    cal, hold = cdnow_split  # tests/conftest.py: the sample split at 1997-09-30 / 1998-06-30
    return cal.iloc[:300], hold


def _shuffled(table, seed=0):
    return table.iloc[np.random.default_rng(seed).permutation(len(table))]


def _grouped(table):
    """The table's distinct rows in reverse order, with how many rows each stands for."""
    counts = table.groupby(list(table.columns)).size().rename("n").reset_index().iloc[::-1]
    return counts.drop(columns="n"), counts["n"].to_numpy(dtype="float64")


def _replicates(model, data, n_draws, weights=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.bootstrap(data, n_draws=n_draws, seed=3, weights=weights).bootstrap_params_


def _case(name, split):
    cal, _ = split
    if name == "Pareto/NBD":
        data = cal[["frequency", "recency", "T"]].iloc[:120]
        return clv.ParetoNBDModel(), data, 4
    if name == "Gamma-Gamma":
        return clv.GammaGammaModel(), cal.loc[cal["frequency"] > 0], 20
    if name == "sBG":
        subs = clv.ShiftedBetaGeoModel.from_params(SBG).simulate(300, 8, random_state=2)
        return clv.ShiftedBetaGeoModel(), subs[["periods", "cancelled"]], 4
    donors = clv.BetaGeoBetaBinomModel.from_params(BGBB).simulate(200, 4, random_state=1)
    return clv.BetaGeoBetaBinomModel(), donors[["frequency", "recency", "n_periods"]], 4


@pytest.mark.parametrize("name", ["Pareto/NBD", "Gamma-Gamma", "sBG", "BG/BB"])
def test_replicates_do_not_depend_on_row_order_or_equivalent_weights(name, split):
    model, data, n_draws = _case(name, split)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data)
    reference = _replicates(model, data, n_draws)
    assert len(reference) >= 2
    # Shuffled rows, with unit weights: the same replicates, to the last bit.
    ones = np.ones(len(data))
    pd.testing.assert_frame_equal(_replicates(model, _shuffled(data), n_draws, ones), reference)
    if name == "Gamma-Gamma":  # the others' refits are slower: two bootstraps are enough
        table, counts = _grouped(data)
        pd.testing.assert_frame_equal(_replicates(model, table, n_draws, counts), reference)


def test_bg_nbd_replicates_with_weights_do_not_depend_on_row_order(split):
    cal, _ = split
    data = cal[["frequency", "recency", "T"]]
    weights = np.random.default_rng(1).integers(1, 4, len(data)).astype("float64")
    model = clv.BetaGeoModel().fit(data, weights=weights)
    reference = _replicates(model, data, 20, weights)
    order = np.random.default_rng(0).permutation(len(data))
    shuffled = _replicates(model, data.iloc[order], 20, weights[order])
    pd.testing.assert_frame_equal(shuffled, reference)
    # The rows repeated as many times as their weights, without weights (the one-pass route of
    # an RFM table in whole weeks): the same customers, the same replicates.
    expanded = data.iloc[np.repeat(np.arange(len(data)), weights.astype("int64"))]
    pd.testing.assert_frame_equal(_replicates(model, _shuffled(expanded), 20), reference)


@pytest.mark.parametrize("model", [clv.BetaGeoModel(), clv.ModifiedBetaGeoModel()])
def test_bg_nbd_unit_weights_give_the_replicates_of_no_weights(model, split):
    data = split[0][["frequency", "recency", "T"]]
    model.fit(data)
    reference = _replicates(model, data, 10)
    ones = np.ones(len(data))
    pd.testing.assert_frame_equal(_replicates(model, data, 10, ones), reference)
    pd.testing.assert_frame_equal(_replicates(model, _shuffled(data), 10, ones), reference)


def test_canonical_order_is_the_one_pass_route_order(split):
    # BG/NBD and MBG/NBD without weights already came in increasing (frequency, recency, T):
    # their histories are kept as they were, so their replicates did not change.
    from clvmodel.models._bootstrap import canonical_rows

    model = clv.BetaGeoModel()
    histories, counts, _ = model._prepare(split[0], None)
    again, again_counts = canonical_rows(model, histories, counts)
    np.testing.assert_array_equal(again_counts, counts)
    for name in ("x", "t_x", "T", "count_x", "count_T", "purchases_T", "r_x", "r_counts"):
        np.testing.assert_array_equal(getattr(again, name), getattr(histories, name))
    for (code, values), (code_0, values_0) in zip(again.codes, histories.codes, strict=True):
        np.testing.assert_array_equal(code, code_0)
        np.testing.assert_array_equal(values, values_0)


@st.composite
def _rfm_tables(draw):
    n = draw(st.integers(2, 40))
    age = np.array(draw(st.lists(st.integers(1, 12), min_size=n, max_size=n)), dtype="float64")
    share = np.array(draw(st.lists(st.integers(0, 12), min_size=n, max_size=n)))
    recency = np.minimum(share, age)
    frequency = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    frequency = np.where(recency > 0, frequency + 1, 0)
    frequency[0], recency[0] = 1, age[0]  # one repeat buyer at least
    z = np.array(draw(st.lists(st.sampled_from([-1.0, 0.5]), min_size=n, max_size=n)))
    z[:2] = -1.0, 0.5  # not constant
    if draw(st.booleans()):  # times that are not whole days or weeks: no one-pass route
        age, recency = age + 0.3, np.where(recency > 0, recency + 0.3, 0.0)
    order = np.array(draw(st.permutations(range(n))))
    table = pd.DataFrame({"frequency": frequency, "recency": recency, "T": age, "z": z})
    return table, order


@settings(max_examples=10)
@given(_rfm_tables())
def test_canonical_rows_do_not_depend_on_order_or_unit_weights(case):
    from clvmodel.models._bootstrap import canonical_rows

    table, order = case
    ones = np.ones(len(table))
    models = (clv.BetaGeoModel(), clv.ParetoNBDModel(), clv.ParetoNBDModel(purchase_covariates="z"))
    for model in models:
        first = canonical_rows(model, *model._prepare(table, None)[:2])
        second = canonical_rows(model, *model._prepare(table.iloc[order], ones)[:2])
        np.testing.assert_array_equal(first[1], second[1])
        for name in ("x", "t_x", "T", "z_purchase", "z_dropout"):
            np.testing.assert_array_equal(getattr(first[0], name), getattr(second[0], name))
        codes = (getattr(first[0], "codes", ()), getattr(second[0], "codes", ()))
        for one, two in zip(*codes, strict=True):
            # BG/NBD's histories: each column's codes and values, in which its sums run
            np.testing.assert_array_equal(one[0], two[0])
            np.testing.assert_array_equal(one[1], two[1])
        keys = np.column_stack([first[0].x, first[0].t_x, first[0].T, first[0].z_purchase])
        assert all(tuple(a) < tuple(b) for a, b in zip(keys[:-1], keys[1:], strict=True))


@pytest.fixture(scope="module")
def bg(split):
    return clv.BetaGeoModel().fit(split[0])


def test_pit_follows_the_customers_not_the_rows(bg, split):
    cal, hold = split
    shuffled = _shuffled(cal)
    position = shuffled.index.get_indexer(cal.index)
    original = randomised_pit(bg, cal, hold, seed=5)
    np.testing.assert_array_equal(randomised_pit(bg, shuffled, hold, seed=5)[position], original)
    # ... and so the uniformity test of interval_coverage.
    p_original = clv.interval_coverage(bg, cal, hold).loc["all", "pit_chi2_pvalue"]
    p_shuffled = clv.interval_coverage(bg, shuffled, hold).loc["all", "pit_chi2_pvalue"]
    assert p_shuffled == p_original


@settings(max_examples=5)
@given(st.randoms(use_true_random=False))
def test_pit_follows_ids_that_do_not_compare_and_ids_that_repeat(bg, split, random):
    cal, hold = split
    # Ids of kinds that do not compare (numbers and dates), one of them on two customers.
    ids = [*range(len(cal) - 2), pd.Timestamp("2020-01-01").date(), 7]
    table = cal.set_axis(pd.Index(ids, dtype=object))
    assert not table.iloc[7].equals(table.iloc[-1])  # two histories under one id
    holdout = hold.reindex(cal.index).set_axis(table.index)
    holdout = holdout[~holdout.index.duplicated()]
    order = list(range(len(table)))
    random.shuffle(order)
    original = randomised_pit(bg, table, holdout)
    shuffled = randomised_pit(bg, table.iloc[order], holdout)
    np.testing.assert_array_equal(shuffled, original[order])


def test_pit_keeps_apart_ids_that_print_alike(bg, split):
    # Customer date(2020, 1, 1) and customer "2020-01-01" share a history, among ids that do not
    # compare (numbers and dates): only the canonical order of their ids (by kind, then text)
    # decides which uniform each gets, so reversing the rows must not swap them.
    cal, hold = split
    table = pd.concat([cal.iloc[[0]], cal.iloc[1:40], cal.iloc[[0]]])
    table = table.set_axis(
        pd.Index([date(2020, 1, 1), *range(100, 139), "2020-01-01"], dtype=object)
    )
    holdout = hold.reindex(cal.index[[0, *range(1, 40), 0]]).set_axis(table.index)
    original = randomised_pit(bg, table, holdout, seed=3)
    assert original[0] != original[-1]
    reversed_ = randomised_pit(bg, table.iloc[::-1], holdout, seed=3)
    np.testing.assert_array_equal(reversed_, original[::-1])
