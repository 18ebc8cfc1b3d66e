"""Model files of the contractual models record the billing period ("M", "W", "Y")."""

from __future__ import annotations

import json

import pytest

import clvmodel as clv
from clvmodel import subscriptions
from clvmodel.errors import InputError, ModelFileError

pytestmark = pytest.mark.filterwarnings("error")

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


@pytest.mark.parametrize("period", ["M", "W", "Y"])
@pytest.mark.parametrize("cls", [clv.ShiftedBetaGeoModel, clv.BetaDiscreteWeibullModel])
def test_billing_period_round_trips(cls, period, tmp_path):
    model = cls().fit(subscriptions.from_survival_counts(REGULAR, period=period))
    assert model.time_unit_ == model.period_ == period
    path = model.save(tmp_path / "model.json")
    assert json.loads(path.read_text())["time_unit"] == period
    loaded = clv.load(path)
    assert type(loaded) is cls
    assert loaded.time_unit_ == loaded.period_ == period
    assert clv.load_model(path).period_ == period


def test_from_params_takes_a_billing_period():
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.2}, time_unit="Y")
    assert model.period_ == "Y"
    with pytest.raises(InputError, match="billing period"):
        clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.2}, time_unit="D")


def test_no_period_is_null(tmp_path):
    model = clv.ShiftedBetaGeoModel().fit(subscriptions.from_survival_counts(REGULAR))
    path = model.save(tmp_path / "model.json")
    assert json.loads(path.read_text())["time_unit"] is None
    assert clv.load(path).period_ is None


@pytest.mark.parametrize("unit", ["D", "Q", 12])
def test_invalid_period_is_refused_on_load(unit, tmp_path):
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.2}, time_unit="M")
    document = model.to_dict()
    document["time_unit"] = unit
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ModelFileError, match=r"'time_unit' is .*expected one of \['M', 'W', 'Y'\]"):
        clv.load(path)


def test_purchase_models_still_refuse_months(tmp_path):
    bg = clv.BetaGeoModel.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}, "W")
    document = bg.to_dict()
    document["time_unit"] = "M"
    path = tmp_path / "bg.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ModelFileError, match=r"expected one of \['D', 'W'\]"):
        clv.load(path)
