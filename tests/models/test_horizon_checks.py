"""``one_horizon`` (clvmodel.models._horizon), the check of the horizon t that the models'
predictions take: it checks one value with ``check_number`` (no copy of its test), so it refuses
what ``check_number`` refuses in the same words, says that None is not a number, takes one number
of any numeric type and refuses several values (a list, a Series) naming the offending customer."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel._units import check_number
from clvmodel.models._horizon import one_horizon


@pytest.mark.parametrize(
    "value", ["5", b"5", True, np.bool_(False), None, -1, -0.5, math.inf, math.nan, {}]
)
def test_one_horizon_refuses_what_check_number_refuses(value):
    with pytest.raises(clv.InputError) as expected:
        check_number("the horizon t", value, low=0.0)
    with pytest.raises(clv.InputError) as caught:
        one_horizon(value)
    assert str(caught.value) == str(expected.value)


def test_one_horizon_says_none_is_not_a_number():
    # Before: "must be finite and ≥ 0, got None", as if None were a number out of range.
    with pytest.raises(clv.InputError, match="the horizon t must be a number, got None"):
        one_horizon(None)


@pytest.mark.parametrize("value", [0, 39, 12.5, np.float32(3.0), np.int64(8), np.array(4.0)])
def test_one_horizon_takes_one_number(value):
    assert one_horizon(value) == float(value)


@pytest.mark.parametrize(
    "value, match",
    [
        ([5.0], r"t must be one number for every customer, got 1 values \(list\)"),
        (pd.Series([1.0, 2.0]), r"got 2 values \(Series\)"),
        (pd.Series([1.0, -2.0], index=["a", "b"]), r"got -2.0 for customer id 'b'"),
    ],
)
def test_one_horizon_refuses_several_values(value, match):
    with pytest.raises(clv.InputError, match=match):
        one_horizon(value)
