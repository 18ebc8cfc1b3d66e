"""Grouping and compressing rows (clvmodel/_grouping.py, clvmodel/models/_compress.py).

The integer-key route (whole days, days in weeks, integer covariates) and the hashing route must
give exactly what a plain dictionary of row tuples gives: the same distinct rows in order of
first appearance, the same counts, and weight sums added in row order (bit for bit).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clvmodel import _grouping as grouping
from clvmodel._grouping import count_rows, group_rows
from clvmodel.errors import InputError
from clvmodel.models._compress import compress_rows, weighted_compress
from clvmodel.models._weights import check_weights


def _reference(columns, weights=None):
    """Distinct rows in order of first appearance, labels and summed weights, by a dict."""
    seen: dict[tuple, int] = {}
    labels, sums, first = [], [], []
    for i, row in enumerate(zip(*(c.tolist() for c in columns), strict=True)):
        if row not in seen:
            seen[row] = len(seen)
            sums.append(0.0)
            first.append(i)
        labels.append(seen[row])
        sums[seen[row]] += 1.0 if weights is None else float(weights[i])
    return np.array(labels, dtype="int64"), np.array(first, dtype="int64"), np.array(sums)


def _check(columns, weights=None):
    labels, first, sums = _reference(columns, weights)
    group, got_first = group_rows(*columns)
    np.testing.assert_array_equal(group, labels)
    np.testing.assert_array_equal(got_first, first)
    got_first, counts = count_rows(*columns, weights=weights)
    np.testing.assert_array_equal(got_first, first)
    assert counts.dtype == np.float64
    np.testing.assert_array_equal(counts, sums)  # exact: same additions in the same order
    distinct, counts = weighted_compress(tuple(columns), weights)
    for column, got in zip(columns, distinct, strict=True):
        np.testing.assert_array_equal(got, column[first])
        assert np.array_equal(np.signbit(got), np.signbit(column[first]))


# Values in days (whole numbers), in weeks (days / 7), and arbitrary fractions.
_days = st.integers(0, 800).map(float)
_weeks = st.integers(0, 800).map(lambda d: d / 7)
_fractions = st.floats(0, 1e3, allow_nan=False, allow_infinity=False)
_kinds = st.sampled_from(["days", "weeks", "fractions", "mixed", "ints", "binary"])


@st.composite
def _tables(draw):
    n = draw(st.integers(1, 60))
    n_columns = draw(st.integers(1, 5))
    columns = []
    for _ in range(n_columns):
        kind = draw(_kinds)
        if kind == "ints":
            values = draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))
            columns.append(np.array(values, dtype="int64"))
            continue
        element = {
            "days": _days,
            "weeks": _weeks,
            "fractions": _fractions,
            "mixed": st.one_of(_days, _weeks, _fractions, st.just(-0.0)),
            "binary": st.sampled_from([0.0, 1.0]),
        }[kind]
        # Few distinct values, so that rows repeat.
        pool = draw(st.lists(element, min_size=1, max_size=6))
        picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=n, max_size=n))
        columns.append(np.array([pool[i] for i in picks], dtype="float64"))
    weights = None
    if draw(st.booleans()):
        weights = np.array(
            draw(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=n, max_size=n))
        )
    return columns, weights


@settings(max_examples=150, deadline=None)
@given(_tables())
def test_grouping_matches_a_dictionary_of_rows(table):
    columns, weights = table
    _check(columns, weights)  # up to 64 rows: the dict of row tuples
    # The integer and hashing routes, which larger tables take, on the same tables.
    few_rows = grouping._FEW_ROWS
    grouping._FEW_ROWS = -1
    try:
        _check(columns, weights)
    finally:
        grouping._FEW_ROWS = few_rows


def test_a_few_rows_take_the_dict_route_unless_a_number_is_missing():
    rows = [np.array([0.0, -0.0, 2.5, 2.5, np.inf]), np.array([1, 1, 3, 3, 1])]
    assert grouping._group_few_rows(rows) is not None
    _check(rows)
    assert grouping._group_few_rows([np.array([1.0, np.nan])]) is None
    assert grouping._group_few_rows([np.array(["a", "b"], dtype=object)]) is None


def test_integer_route_on_days_weeks_and_covariates():
    rng = np.random.default_rng(3)
    n = 20_000
    days = rng.integers(0, 730, n).astype("float64")
    x = rng.poisson(2, n).astype("float64")
    z = rng.integers(0, 2, n).astype("float64")
    for columns in ((x, days, days), (x, days / 7, days / 7), (x, days, days, z)):
        _check(list(columns), rng.random(n))
        _check(list(columns))


def test_falls_back_when_the_key_is_too_wide_or_values_are_not_whole():
    rng = np.random.default_rng(4)
    n = 5_000
    wide = [rng.integers(0, 2**40, n).astype("float64") for _ in range(3)]
    wide = [np.concatenate([c, c[:100]]) for c in wide]  # some repeats
    _check(wide)
    fractional = [rng.integers(0, 10, n) + 0.5, rng.integers(0, 3, n).astype("float64")]
    _check(fractional, rng.random(n))
    odd = [np.array([0.0, -0.0, 1 / 3, 1 / 3, 5.0 / 7, 5.0 / 7, 2.0**60, 2.0**60])]
    _check(odd)


def test_compress_rows_and_weights():
    (x, t), counts = compress_rows(np.array([1, 0, 1]), np.array([2.0, 0.0, 2.0]))
    assert x.tolist() == [1.0, 0.0] and t.tolist() == [2.0, 0.0] and counts.tolist() == [2, 1]
    assert check_weights(None, 3) is None
    with pytest.raises(InputError, match="3 rows"):
        check_weights([1.0, -1.0, 2.0], 3)
    with pytest.raises(InputError, match="3 rows"):
        check_weights([1.0, 2.0], 3)


def test_inputs_are_left_unchanged():
    x = np.array([5, 3, 5, 7], dtype="int64")
    t = np.array([14.0, 7.0, 14.0, 21.0]) / 7
    before = x.copy(), t.copy()
    count_rows(x, t, weights=np.ones(4))
    group_rows(x, t)
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(t, before[1])
