"""Tests of the value functions called without a spend model.

They told the caller that "value needs a fitted spend model ... as the second model": neither the
argument's name (``gg``) nor that value needs amounts, which a log without them does not have.
"""

from __future__ import annotations

import pytest
from journey_log_helpers import BG

import clvmodel as clv


@pytest.mark.parametrize(
    "call",
    [
        lambda bg, rfm: clv.customer_lifetime_value(bg, None, rfm, "12M"),
        lambda bg, rfm: clv.clv_table(bg, None, rfm, "12M"),
        lambda bg, rfm: clv.net_clv(bg, None, rfm, "12M"),
        lambda bg, rfm: clv.cac_payback(bg, None, rfm, 10.0, "12M"),
    ],
)
def test_value_without_a_spend_model_names_gg_and_the_amounts(journey_split, call):
    cal, _ = journey_split
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    with pytest.raises(clv.InputError) as caught:
        call(bg, cal[["frequency", "recency", "T"]])
    message = str(caught.value)
    assert message.startswith("gg must be a fitted spend model")
    assert "needs amounts" in message and "churn_risk" in message
    assert "second model" not in message
