"""Prediction inputs of the contractual models that used to end in a raw pandas error or in a
process killed for memory."""

from __future__ import annotations

import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.errors import InputError

SBG = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182})
SUBS = pd.DataFrame({"periods": [0, 1], "cancelled": [0, 0]})


def test_residual_value_refuses_a_price_table():
    # Before: "ValueError: Length of values (1) does not match length of index (2)" from pandas.
    with pytest.raises(
        InputError, match=r"price must be one number or one per subscriber.*\(1, 2\)"
    ):
        SBG.residual_value(SUBS, [[10.0, 20.0]], 1.0, 0.1)


def test_residual_value_flat_prices_still_work():
    # DERL(0.1) of t = 0 and 1 at the "regular" estimates, times price × margin.
    derl = SBG.discounted_expected_residual_lifetime(SUBS, 0.1).to_numpy()
    value = SBG.residual_value(SUBS, [10.0, 20.0], 0.5, 0.1).to_numpy()
    assert value.tolist() == pytest.approx([5.0 * derl[0], 10.0 * derl[1]])


def test_retention_curve_refuses_a_table_too_large_for_memory():
    # Before: retention_curve(data, 10**9) built 2 × 10^9 values and the process was killed.
    with pytest.raises(
        InputError, match=r"retention_curve\(periods=1000000000\).*probability_cancel"
    ):
        SBG.retention_curve(SUBS, 10**9)
    assert SBG.retention_curve(SUBS, 12).shape == (2, 13)
