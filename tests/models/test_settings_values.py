"""Model settings: set as attributes after construction, given as numpy numbers, changed to a
value a model file could not hold, or tampered with in a model file.

Covariates set (or removed) as attributes after construction, the scikit-learn habit, must be the
ones fitted and saved, for subscription models too (one name, as the constructor takes it); a
subclass whose constructor takes its own arguments must still fit. Settings given as numpy numbers
are saved as JSON numbers; from_params and save refuse settings the file could not hold (save
without writing the file); covariate settings in a file that are not a list of names are refused
naming the setting."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv


# --- Settings set as attributes after construction (the scikit-learn habit) ---------------------
@pytest.mark.parametrize(
    ("model_class", "setting", "column", "name"),
    [
        (clv.BetaGeoModel, "purchase_covariates", "z", "purchase:z"),
        (clv.ParetoNBDModel, "dropout_covariates", "member", "dropout:member"),
        (clv.GammaGammaModel, "spend_covariates", "z", "spend:z"),
    ],
)
def test_covariates_set_after_construction_are_fitted_and_saved(
    model_class, setting, column, name, with_covariate, tmp_path
):
    model = model_class()
    setattr(model, setting, [column])
    model.fit(with_covariate)
    expected = model_class(**{setting: [column]}).fit(with_covariate)
    assert list(model.params_.index) == list(expected.params_.index)
    assert name in model.params_.index
    np.testing.assert_allclose(model.params_, expected.params_, rtol=1e-6)
    loaded = clv.load_model(model.save(tmp_path / "m.json"))
    pd.testing.assert_series_equal(loaded.params_, model.params_)


def test_covariates_removed_after_construction_are_not_fitted(with_covariate):
    model = clv.BetaGeoModel(purchase_covariates=["z"])
    model.purchase_covariates = []
    model.fit(with_covariate)
    assert list(model.params_.index) == ["r", "alpha", "a", "b"]


def test_a_subscription_models_covariate_set_after_construction_is_fitted():
    truth = clv.ShiftedBetaGeoModel.from_params({"alpha": 1.0, "beta": 3.0})
    subscribers = truth.simulate(600, observed_periods=8, random_state=0)
    subscribers["plan"] = np.random.default_rng(0).random(len(subscribers)) < 0.5
    model = clv.ShiftedBetaGeoModel()
    model.alpha_covariates = "plan"  # one name, as the constructor takes it
    model.fit(subscribers)
    expected = clv.ShiftedBetaGeoModel(alpha_covariates=["plan"]).fit(subscribers)
    assert model.alpha_covariates == ["plan"]
    np.testing.assert_allclose(model.params_, expected.params_, rtol=1e-6)


def test_a_subclass_with_its_own_constructor_arguments_still_fits(cdnow_rfm):
    class Named(clv.BetaGeoModel):
        def __init__(self, name, **settings):
            super().__init__(**settings)
            self.name = name

    model = Named("mine").fit(cdnow_rfm)
    assert model.name == "mine" and list(model.params_.index) == ["r", "alpha", "a", "b"]


# --- Settings given as numpy numbers -----------------------------------------------------------
def test_numpy_number_settings_are_saved_as_json_numbers(cdnow_rfm, tmp_path):
    model = clv.BetaGeoModel(max_iter=np.int64(500), tol=np.float64(1e-6)).fit(cdnow_rfm)
    loaded = clv.load_model(model.save(tmp_path / "bg.json"))
    assert loaded.max_iter == 500 and type(loaded.max_iter) is int
    assert loaded.tol == 1e-6
    scorer = clv.GammaGammaModel.from_params({"p": 6.0, "q": 3.7, "v": 15.0}, max_iter=np.int32(9))
    assert clv.load_model(scorer.save(tmp_path / "gg.json")).max_iter == 9


@pytest.mark.parametrize(
    "settings", [{"max_iter": 0}, {"max_iter": 2.5}, {"tol": -1.0}, {"tol": float("nan")}]
)
def test_from_params_refuses_settings_its_file_could_not_hold(settings):
    params = {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43}
    with pytest.raises(clv.InputError, match=next(iter(settings))):
        clv.BetaGeoModel.from_params(params, **settings)


def test_save_refuses_a_setting_changed_to_one_the_file_could_not_hold(fitted_bg, tmp_path):
    model = clv.BetaGeoModel.from_params(fitted_bg.params_)
    model.max_iter = -1
    with pytest.raises(clv.InputError, match="max_iter"):
        model.save(tmp_path / "bg.json")
    assert not (tmp_path / "bg.json").exists()


# --- Tampered settings in a model file ------------------------------------------------------------
@pytest.fixture(scope="module")
def covariate_document(with_covariate):
    return clv.ParetoNBDModel(purchase_covariates=["z"]).fit(with_covariate).to_dict()


@pytest.mark.parametrize("value", [{"z": 1}, [["z"]], [1], 3.5])
def test_covariate_settings_that_are_not_a_list_of_names_are_refused(
    value, covariate_document, tmp_path
):
    document = json.loads(json.dumps(covariate_document))
    document["settings"]["purchase_covariates"] = value
    path = tmp_path / "m.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(clv.ModelFileError, match="purchase_covariates") as caught:
        clv.load_model(path)
    assert ".." not in str(caught.value)
