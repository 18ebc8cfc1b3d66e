"""The optimiser settings every model takes (max_iter, tol) are checked when it fits: a
negative, fractional or boolean iteration count, or a tolerance that is not a positive number,
is an input error naming the setting (they reached scipy's optimisers and failed there, or ran
zero iterations and reported non-convergence)."""

from __future__ import annotations

import pytest

import clvmodel as clv
from clvmodel import subscriptions

BAD = [
    {"max_iter": -5},
    {"max_iter": 0},
    {"max_iter": 2.5},
    {"max_iter": True},
    {"tol": 0.0},
    {"tol": float("nan")},
    {"tol": "1e-6"},
]


@pytest.fixture(scope="module")
def subscribers():
    return subscriptions.from_survival_counts([1000, 631, 468, 382, 326, 289, 262, 241])


@pytest.mark.parametrize("setting", BAD, ids=str)
@pytest.mark.parametrize(
    "model_class",
    [clv.BetaGeoModel, clv.ParetoNBDModel, clv.GammaGammaModel, clv.ShiftedBetaGeoModel],
)
def test_bad_optimiser_settings_are_refused_in_words(model_class, setting, cdnow_rfm, subscribers):
    data = subscribers if model_class is clv.ShiftedBetaGeoModel else cdnow_rfm
    name = next(iter(setting))
    with pytest.raises(clv.InputError, match=name):
        model_class(**setting).fit(data)


def test_good_settings_still_fit(cdnow_rfm):
    model = clv.BetaGeoModel(max_iter=500, tol=1e-5).fit(cdnow_rfm)
    assert model.params_["r"] > 0
