"""Fitting and model files on odd but valid inputs: findings of a hunt for defects, each test
failing on the code before its fix."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv


@pytest.fixture(scope="module")
def with_covariate(cdnow_rfm):
    """The CDNOW sample's RFM table (weeks) with a random covariate and a 0/1 attribute."""
    rng = np.random.default_rng(1)
    data = cdnow_rfm.copy()
    data["z"] = rng.normal(size=len(data))
    data["member"] = rng.random(len(data)) < 0.4
    data.attrs = dict(cdnow_rfm.attrs)
    return data


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


# --- Bootstrap replicates survive a model file --------------------------------------------------
@pytest.fixture(scope="module")
def bootstrapped(cdnow_rfm):
    return clv.BetaGeoModel().fit(cdnow_rfm).bootstrap(cdnow_rfm, n_draws=8, seed=3)


def test_bootstrap_replicates_survive_save_and_load(bootstrapped, cdnow_rfm, tmp_path):
    loaded = clv.load_model(bootstrapped.save(tmp_path / "bg.json"))
    pd.testing.assert_frame_equal(loaded.bootstrap_params_, bootstrapped.bootstrap_params_)
    head = cdnow_rfm.head(20)
    expected = bootstrapped.predict(head, t=10, interval=0.9, method="bootstrap")
    pd.testing.assert_frame_equal(
        loaded.predict(head, t=10, interval=0.9, method="bootstrap"), expected
    )


def test_bootstrap_replicates_survive_a_bundle(bootstrapped, tmp_path):
    path = clv.ModelBundle(bg=bootstrapped).save(tmp_path / "models.json")
    loaded = clv.load(path)
    pd.testing.assert_frame_equal(loaded.bg.bootstrap_params_, bootstrapped.bootstrap_params_)


@pytest.mark.parametrize(
    ("replicates", "words"),
    [
        ("many", "is not a list"),
        ([[0.2, 4.4, 0.8, 2.4]], "at least 2"),
        ([[0.2, 4.4, 0.8], [0.2, 4.4, 0.8]], "4 numbers"),
        ([[0.2, 4.4, 0.8, 2.4], [0.2, -4.4, 0.8, 2.4]], "positive"),
        ([[0.2, 4.4, 0.8, 2.4], [0.2, None, 0.8, 2.4]], "positive"),
        ([[0.2, 4.4, 0.8, 2.4], [0.2, True, 0.8, 2.4]], "positive"),
        ([[0.2, 4.4, 0.8, 2.4], [0.2, 1e999, 0.8, 2.4]], "positive"),
    ],
)
def test_tampered_bootstrap_replicates_are_refused(bootstrapped, replicates, words, tmp_path):
    document = bootstrapped.to_dict()
    document["bootstrap_params"] = replicates
    path = tmp_path / "bg.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(clv.ModelFileError, match="bootstrap_params") as caught:
        clv.load_model(path)
    assert words in str(caught.value)


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


# --- Covariates on a scale beyond floating point ------------------------------------------------
@pytest.mark.parametrize("unit", [1e160, 1e-170])
def test_a_covariate_of_extreme_scale_is_refused_asking_for_other_units(unit, cdnow_rfm):
    data = cdnow_rfm.copy()
    rng = np.random.default_rng(0)
    data["repeat"] = unit * ((data["frequency"] > 0) + 0.1 * rng.random(len(data)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning on the way
        with pytest.raises(clv.InputError, match="'repeat'") as caught:
            clv.BetaGeoModel(dropout_covariates=["repeat"]).fit(data)
    assert "units" in str(caught.value) and "one value for every" not in str(caught.value)


def test_a_covariate_of_large_but_usable_scale_is_fitted_as_in_its_own_units(cdnow_rfm):
    data = cdnow_rfm.copy()
    rng = np.random.default_rng(0)
    data["z"] = rng.normal(size=len(data))
    data["z_big"] = data["z"] * 1e60
    small = clv.BetaGeoModel(purchase_covariates=["z"]).fit(data)
    big = clv.BetaGeoModel(purchase_covariates=["z_big"]).fit(data)
    np.testing.assert_allclose(big.params_.iloc[:4], small.params_.iloc[:4], rtol=1e-5)
    np.testing.assert_allclose(big.params_.iloc[4] * 1e60, small.params_.iloc[4], rtol=1e-5)
    np.testing.assert_allclose(
        big.standard_errors_.iloc[4] * 1e60, small.standard_errors_.iloc[4], rtol=1e-4
    )


# --- Weights' messages say what is wrong ---------------------------------------------------------
def test_a_missing_weight_is_named_not_reported_as_a_shape(cdnow_rfm):
    weights = pd.Series(np.ones(len(cdnow_rfm)), index=cdnow_rfm.index).astype("Int64")
    weights.iloc[3] = pd.NA
    with pytest.raises(clv.InputError, match="position 3") as caught:
        clv.BetaGeoModel().fit(cdnow_rfm, weights=weights)
    assert "shape" not in str(caught.value)


def test_a_negative_weight_is_named(cdnow_rfm):
    weights = np.ones(len(cdnow_rfm))
    weights[7] = -2.0
    with pytest.raises(clv.InputError, match=r"-2\.0 at position 7"):
        clv.BetaGeoModel().fit(cdnow_rfm, weights=weights)


@pytest.mark.parametrize("weights", [{"a": 1}, object()])
def test_weights_that_are_not_numbers_are_refused_in_words(weights, cdnow_rfm):
    with pytest.raises(clv.InputError, match="weights"):
        clv.BetaGeoModel().fit(cdnow_rfm, weights=weights)


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


# --- A bundle never writes a file it cannot read back ---------------------------------------------
@pytest.mark.parametrize(
    "naive",
    [
        {"average_order_value": float("nan"), "purchases_per_year": 2.0},
        {"average_order_value": 30.0, "purchases_per_year": float("inf")},
        {"average_order_value": -1.0, "purchases_per_year": 2.0},
        {"average_order_value": 30.0},
        {"average_order_value": "30", "purchases_per_year": 2.0},
    ],
)
def test_a_bundle_refuses_naive_inputs_its_file_could_not_hold(naive, published_bg):
    with pytest.raises(clv.InputError, match="naive"):
        clv.ModelBundle(bg=published_bg, naive=naive)


def test_a_bundle_with_good_naive_inputs_round_trips(published_bg, tmp_path):
    naive = {"average_order_value": 30.5, "purchases_per_year": 2}
    bundle = clv.ModelBundle(bg=published_bg, naive=naive)
    assert clv.load(bundle.save(tmp_path / "models.json")).naive == naive


# --- A coefficient that runs off to infinity is reported ------------------------------------------
@pytest.fixture(scope="module")
def separated(cdnow_rfm):
    """A 0/1 purchase covariate set only for customers who never bought again: the maximum of the
    likelihood lies at a purchase rate of 0 for them, a coefficient of −∞."""
    data = cdnow_rfm.copy()
    rng = np.random.default_rng(0)
    data["never"] = ((data["frequency"] == 0) & (rng.random(len(data)) < 0.5)).astype(float)
    return data


@pytest.mark.parametrize("model_class", [clv.ParetoNBDModel, clv.BetaGeoModel])
def test_a_coefficient_running_off_is_warned_about_and_not_identified(model_class, separated):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = model_class(purchase_covariates=["never"]).fit(separated)
    said = [str(w.message) for w in caught if issubclass(w.category, clv.StatisticalWarning)]
    assert any("purchase:never" in words and "infinity" in words for words in said)
    assert np.isnan(model.standard_errors_["purchase:never"])
    assert model.summary.loc["purchase:never", "note"] == "not identified"


def test_an_ordinary_covariate_is_not_called_runaway(with_covariate, recwarn):
    model = clv.ParetoNBDModel(purchase_covariates=["z"], dropout_covariates=["member"])
    model.fit(with_covariate)
    assert not [w for w in recwarn if issubclass(w.category, clv.StatisticalWarning)]
    assert np.isfinite(model.standard_errors_).all()


def test_a_subscriber_group_that_never_cancels_is_reported(recwarn):
    truth = clv.ShiftedBetaGeoModel.from_params({"alpha": 1.0, "beta": 3.0})
    subscribers = truth.simulate(1000, observed_periods=8, random_state=0)
    rng = np.random.default_rng(0)
    subscribers["loyal"] = (subscribers["cancelled"] == 0) & (rng.random(len(subscribers)) < 0.5)
    with pytest.warns(clv.StatisticalWarning, match="beta:loyal.*never cancels"):
        model = clv.ShiftedBetaGeoModel(beta_covariates=["loyal"]).fit(subscribers)
    assert np.isnan(model.standard_errors_["beta:loyal"])


# --- Covariate columns of dates, durations or complex numbers are refused -----------------------
@pytest.mark.parametrize(
    "column",
    [
        pd.Series(pd.date_range("2020-01-01", periods=4, freq="90D")),
        pd.Series(pd.date_range("2020-01-01", periods=4, freq="90D", tz="UTC")),
        pd.Series(pd.to_timedelta([10, 40, 90, 200], unit="D")),
        pd.Series(pd.period_range("2020-01", periods=4, freq="M")),
        pd.Series(np.array([1 + 0j, 2, 3, 4])),
    ],
    ids=["dates", "dates-tz", "durations", "periods", "complex"],
)
def test_covariates_that_are_not_plain_numbers_are_refused_in_words(column):
    data = pd.DataFrame({"frequency": [0, 1, 2, 3], "recency": [0, 2, 5, 9.0], "T": [10.0] * 4})
    data["signup"] = column.to_numpy() if column.dtype.kind == "c" else column.array
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(clv.InputError, match="'signup'.*number"):
            clv.BetaGeoModel(purchase_covariates=["signup"]).fit(data, time_unit="W")


@pytest.mark.parametrize("model_class", [clv.BetaGeoModel, clv.GammaGammaModel])
def test_weights_summing_beyond_floating_point_are_refused_without_numpy_warnings(
    model_class, cdnow_rfm
):
    weights = np.full(len(cdnow_rfm), 1e306)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(clv.InputError, match="weights sum"):
            model_class().fit(cdnow_rfm, weights=weights)


# --- A horizon given as a duration, a date, text or true/false is refused -----------------------
@pytest.mark.parametrize(
    "horizon",
    [
        np.timedelta64(7, "D"),
        np.array([7, 14], dtype="timedelta64[D]"),
        np.datetime64("2026-01-01"),
        "52",
        True,
        np.array([True, False]),
    ],
    ids=["timedelta", "timedeltas", "date", "text", "bool", "bools"],
)
def test_a_horizon_that_is_not_a_number_of_time_units_is_refused(horizon, published_bg, cdnow_rfm):
    with pytest.raises(clv.InputError, match="number of time units"):
        published_bg.expected_purchases(cdnow_rfm.head(2), t=horizon)
    with pytest.raises(clv.InputError, match="number of time units"):
        published_bg.expected_purchases_new(horizon)


def test_a_horizon_series_of_durations_is_refused(published_bg, cdnow_rfm):
    rows = cdnow_rfm.head(2)
    horizon = pd.Series(pd.to_timedelta([7, 14], unit="D"), index=rows.index)
    with pytest.raises(clv.InputError, match="number of time units"):
        published_bg.expected_purchases(rows, t=horizon)


def test_a_real_effect_over_a_wide_range_is_not_called_runaway(recwarn):
    """γ = 0.5 over z from −25 to 3.5: a rate 10⁶ times lower at one end, but a real effect,
    whose doubling would lose much of the likelihood."""
    rng = np.random.default_rng(1)
    z = pd.DataFrame({"z": rng.normal(size=3000)})
    z.loc[:9, "z"] = -25.0
    truth = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
    rfm = clv.simulate_customers_with_covariates(
        z, truth, T=52.0, purchase_coefficients={"z": 0.5}, seed=2
    )
    model = clv.BetaGeoModel(purchase_covariates=["z"]).fit(rfm)
    assert not [w for w in recwarn if issubclass(w.category, clv.StatisticalWarning)]
    assert abs(model.params_["purchase:z"] - 0.5) < 4 * model.standard_errors_["purchase:z"]


def test_a_subclass_with_its_own_constructor_arguments_still_fits(cdnow_rfm):
    class Named(clv.BetaGeoModel):
        def __init__(self, name, **settings):
            super().__init__(**settings)
            self.name = name

    model = Named("mine").fit(cdnow_rfm)
    assert model.name == "mine" and list(model.params_.index) == ["r", "alpha", "a", "b"]


# --- A horizon given as a duration with its unit is converted to the model's unit ---------------
@pytest.mark.parametrize("unit", ["W", "D"])
def test_a_horizon_written_with_its_unit_is_converted_to_the_model_s(unit, published_bg, cdnow_rfm):
    """The guide: every horizon also takes its text form ("39W", "12M"). predict, its shortcuts
    and the new-customer predictions refused it as text."""
    per_unit = 1.0 if unit == "W" else 7.0  # model units in a week
    params = {**published_bg.params_, "alpha": published_bg.params_["alpha"] * per_unit}
    model = clv.BetaGeoModel.from_params(params, time_unit=unit)
    table = cdnow_rfm.head(5).copy()
    table[["recency", "T"]] *= per_unit
    table.attrs["time_unit"] = unit
    number = 39.0 * per_unit
    for duration in ("39W", "273D", clv.Duration(39, "W")):
        pd.testing.assert_frame_equal(
            model.predict(table, t=duration), model.predict(table, t=number)
        )
        assert model.expected_purchases_new(duration) == pytest.approx(
            model.expected_purchases_new(number), rel=1e-12
        )
    a_year = model.expected_purchases(table, 365.25 / 7 * per_unit)
    pd.testing.assert_series_equal(model.expected_purchases(table, "12M"), a_year)
    pd.testing.assert_series_equal(model.expected_purchases(table, "1Y"), a_year)


def test_a_duration_is_refused_by_a_model_without_a_calendar_unit(cdnow_rfm):
    unitless = clv.BetaGeoModel.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4})
    with pytest.raises(clv.InputError, match="records no calendar time unit.*time_unit='W'"):
        unitless.expected_purchases(cdnow_rfm.head(2), "39W")
    with pytest.raises(clv.InputError, match="number of time units"):  # text, no duration
        unitless.expected_purchases(cdnow_rfm.head(2), "52")
