"""churn_risk's Notes: only BG/NBD gives customers without a repeat purchase P(alive) = 1;
MBG/NBD and Pareto/NBD do not, and the Notes say so."""

from __future__ import annotations

import pandas as pd

import clvmodel as clv


def test_only_bg_nbd_gives_one_time_buyers_p_alive_one(cdnow_rfm):
    silent = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [30.0]})
    params = {"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}
    assert float(clv.BetaGeoModel.from_params(params, "W").probability_alive(silent).iloc[0]) == 1
    mbg = clv.ModifiedBetaGeoModel.from_params(params, "W")
    pareto = clv.ParetoNBDModel.from_params({"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 12}, "W")
    for model in (mbg, pareto):
        assert float(model.probability_alive(silent).iloc[0]) < 1.0
    notes = clv.churn_risk.__doc__
    assert "MBG/NBD (a customer may also drop out" in notes
    assert "the model gives every customer without a repeat purchase" not in notes
