"""Subscriber rows (``periods``, ``cancelled``) that used to give a silently wrong number or a
raw numpy error: durations read as nanoseconds, columns of different lengths, a repeated
column."""

from __future__ import annotations

import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.subscription_churn import subscriber_churn_risk

SBG = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182})


def test_periods_as_durations_are_refused():
    # Before: 30 days were read as 2.592e15 periods (nanoseconds), and P(cancel at the next
    # renewal) came out 2.7e-13 instead of (α)/(α + β + t) = 0.704 / 1.886 = 0.373 at t = 0.
    rows = pd.DataFrame({"periods": pd.to_timedelta([30, 60], unit="D"), "cancelled": [0, 0]})
    with pytest.raises(InputError, match="'periods' holds dates or durations.*whole billing"):
        SBG.probability_cancel(rows, 1)


@pytest.mark.parametrize(
    "call",
    [
        lambda rows: SBG.probability_cancel(rows, 1),
        lambda rows: subscriber_churn_risk(SBG, rows, 1),
        lambda rows: clv.ShiftedBetaGeoModel().fit(rows),
    ],
)
def test_columns_of_different_lengths_are_refused(call):
    # Before: "ValueError: operands could not be broadcast together with shapes (2,) (3,)".
    rows = {"periods": [1, 2, 3], "cancelled": [0, 1]}
    with pytest.raises(InputError, match="different lengths: 2 values in 'cancelled' for 3"):
        call(rows)


def test_a_repeated_column_is_named():
    # Before: "column 'periods' must hold numbers", though it did.
    rows = pd.DataFrame([[1, 0, 2]], columns=["periods", "cancelled", "periods"])
    with pytest.raises(InputError, match="more than one column 'periods'"):
        SBG.probability_cancel(rows, 1)


def test_one_subscriber_as_a_dict_of_numbers():
    # Before: "column 'periods' must hold numbers" for {"periods": 3, "cancelled": 0}.
    # P(T ≤ 4 | T > 3) = α / (α + β + 3) for the sBG.
    risk = SBG.probability_cancel({"periods": 3, "cancelled": 0}, 1)
    assert risk.tolist() == pytest.approx([0.704 / (0.704 + 1.182 + 3)], rel=1e-12)
