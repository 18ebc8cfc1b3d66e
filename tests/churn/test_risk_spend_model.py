"""clvmodel.churn_risk's spend model argument: a purchase model given as gg is named by its
argument (gg, the fourth), not as "the second model"."""

import pandas as pd
import pytest
from published import PUBLISHED_BG

import clvmodel as clv


def test_churn_risk_names_its_gg_argument_for_a_purchase_model_given_as_gg():
    # churn_risk(bg, rfm, "39W", bg) was told the value "needs a fitted spend model ... as
    # the second model" (it is the fourth argument, gg).
    bg = clv.BetaGeoModel.from_params(PUBLISHED_BG, time_unit="W")
    rfm = pd.DataFrame({"frequency": [1.0], "recency": [2.0], "T": [5.0], "monetary_value": [9.0]})
    with pytest.raises(clv.InputError, match=r"^gg must be a fitted spend model.*BetaGeoModel"):
        clv.churn_risk(bg, rfm, "39W", bg)
