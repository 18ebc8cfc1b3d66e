"""Tests of ``clv.churn_risk``'s CLV settings without a spend model.

Without ``gg``, ``clv_horizon=`` and ``discount_rate=`` were ignored (there is no CLV to count);
they are refused, naming ``gg=``.
"""

from __future__ import annotations

import pytest
from journey_log_helpers import BG, GG

import clvmodel as clv


@pytest.mark.parametrize(
    ("setting", "named"),
    [({"clv_horizon": "12M"}, "clv_horizon='12M'"), ({"discount_rate": 0.1}, "discount_rate=0.1")],
)
def test_churn_risk_refuses_clv_settings_without_a_spend_model(journey_split, setting, named):
    cal, _ = journey_split
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    with pytest.raises(clv.InputError, match=rf"^{named} sets predicted_clv.*pass gg="):
        clv.churn_risk(bg, cal, "39W", **setting)
    with_gg = clv.churn_risk(bg, cal, "39W", clv.GammaGammaModel.from_params(GG), **setting)
    assert with_gg["predicted_clv"].gt(0).all()
    assert "predicted_clv" not in clv.churn_risk(bg, cal, "39W", margin=0.3)  # still taken
