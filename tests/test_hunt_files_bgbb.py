"""Defects found by trying messy but plausible inputs on model files, BG/BB and covariates.

Each test failed before its fix. BG/BB numbers use the published donations estimates (Fader,
Hardie and Shang 2010: α = 1.204, β = 0.750, γ = 0.657, δ = 2.783).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.errors import InputError, ModelFileError
from clvmodel.models.beta_geo_beta_binom import BetaGeoBetaBinomModel

PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


@pytest.fixture
def donors():
    return pd.DataFrame(
        {"frequency": [6, 0, 3], "recency": [6, 0, 4], "n_periods": [6, 6, 6]},
        index=pd.Index(["a", "b", "c"], name="donor"),
    )


def test_bgbb_horizons_given_as_a_series_are_matched_by_id(donors):
    """n_star as a Series in another order than the table gave each donor another donor's
    horizon (matched by position); it is matched by id, as t is for the other models."""
    model = BetaGeoBetaBinomModel.from_params(PUBLISHED)
    horizons = pd.Series([5, 1, 2], index=["b", "c", "a"])
    got = model.expected_purchases(donors, horizons)
    for donor, n_star in horizons.items():
        alone = model.expected_purchases(donors.loc[[donor]], n_star)
        assert got[donor] == pytest.approx(alone[donor], rel=1e-12)
    with pytest.raises(InputError, match=r"n_star has no value for customer id\(s\) 'a'"):
        model.expected_purchases(donors, horizons.drop("a"))


@pytest.fixture
def bg_file(published_bg, tmp_path):
    """A BG/NBD model file with the published CDNOW parameters and a fit section."""
    path = tmp_path / "bg.json"
    model = clv.BetaGeoModel.from_params(published_bg.params_.to_dict(), time_unit="W")
    document = model.to_dict()
    names = list(model.param_names)
    document["fit"] = {
        "log_likelihood": -9582.43,
        "n_customers": 2357,
        "n_distinct_rows": 1000,
        "n_iterations": 30,
        "standard_errors": dict.fromkeys(names, 0.1),
    }
    path.write_text(json.dumps(document))
    return path


def _edited(path, edit):
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["fit"].pop("log_likelihood"), r"the 'fit' section has no 'log_likelihood'"),
        (lambda d: d["fit"].pop("n_iterations"), r"the 'fit' section has no 'n_iterations'"),
        (
            lambda d: d["fit"]["standard_errors"].pop("a"),
            r"standard_errors must have exactly the keys \['r', 'alpha', 'a', 'b'\]",
        ),
        (
            lambda d: d["fit"].update(standard_errors=[0.1, 0.1, 0.1, 0.1]),
            r"standard_errors must have exactly the keys",
        ),
    ],
)
def test_an_incomplete_fit_section_is_named_not_shown_as_a_python_exception(bg_file, edit, message):
    """A hand-edited 'fit' section was refused as "incomplete or malformed (KeyError('a'))" or
    "(TypeError('list indices must be integers or slices, not str'))"; the key is named."""
    with pytest.raises(ModelFileError, match=message) as caught:
        clv.load(_edited(bg_file, edit))
    assert "Error(" not in str(caught.value)


@pytest.mark.parametrize("settings", [[], "", 0, False])
def test_settings_that_are_not_an_object_are_refused_not_read_as_none(bg_file, settings):
    """'settings': [] (or "", 0, false) loaded as if the file had no settings."""
    with pytest.raises(ModelFileError, match=r"'settings' is not an object"):
        clv.load(_edited(bg_file, lambda d: d.update(settings=settings)))


def test_a_file_without_its_fit_section_still_loads(bg_file):
    model = clv.load(_edited(bg_file, lambda d: d.pop("fit")))
    assert model.params_["r"] > 0


@pytest.fixture
def bundle_file(published_bg, published_gg, tmp_path):
    bundle = clv.ModelBundle(bg=published_bg, gg=published_gg, metadata={"time_unit": "W"})
    return bundle.save(tmp_path / "models.json")


def test_a_bundle_with_a_model_under_another_name_is_refused(bundle_file):
    """'models': {"bg": ..., "spend": ...} (the spend model renamed) loaded without its spend
    model, so spend and CLV came out null without a word; the unknown key is named."""

    def rename(document):
        document["models"]["spend"] = document["models"].pop("gg")

    edited = _edited(bundle_file, rename)
    for load in (clv.load, clv.load_models):
        with pytest.raises(ModelFileError, match=r"'models' holds \['spend'\]; it may hold only"):
            load(edited)


@pytest.mark.parametrize("metadata", [[], "", 0])
def test_bundle_metadata_that_is_not_an_object_is_refused(bundle_file, metadata):
    with pytest.raises(ModelFileError, match=r"'metadata' is not an object"):
        clv.load_models(_edited(bundle_file, lambda d: d.update(metadata=metadata)))


def test_a_bundle_without_metadata_still_loads(bundle_file):
    bundle = clv.load_models(_edited(bundle_file, lambda d: d.pop("metadata")))
    assert bundle.metadata == {} and bundle.gg is not None


def test_a_pickle_given_as_a_model_file_is_named_as_not_text(tmp_path):
    """A pickled model (lifetimes' save_model) gave "cannot read model file ...: 'utf-8' codec
    can't decode byte 0x80 in position 0: invalid start byte"."""
    import pickle

    path = tmp_path / "bgf.pkl"
    path.write_bytes(pickle.dumps({"params_": {"r": 0.24}}))
    for load in (clv.load, clv.load_model, clv.load_models):
        with pytest.raises(ModelFileError, match=r"is not a text file.*never a pickle") as caught:
            load(path)
        assert "codec" not in str(caught.value)


@pytest.mark.parametrize(
    "model, words",
    [
        (
            BetaGeoBetaBinomModel(),
            r"model=BetaGeoBetaBinomModel\(\) is a BG/BB model, not a purchase",
        ),
        (clv.GammaGammaModel(), r"is a spend model \(Gamma-Gamma\), not a purchase model"),
        (clv.BetaGeoModel, r"model=BetaGeoModel is a class; pass a model object, BetaGeoModel\(\)"),
    ],
)
def test_fitting_a_bundle_with_another_kind_of_model_says_what_it_is(model, words):
    """fit_bundle (clvmodel.spark.fit's model=) said "unknown purchase model
    BetaGeoBetaBinomModel()", as if the model were misspelt."""
    from clvmodel.models.bundle import fit_bundle

    histories = pd.DataFrame(
        {"frequency": [0, 1, 2], "recency": [0.0, 3.0, 4.0], "T": [6.0, 6.0, 7.0],
         "customers": [5, 3, 2]}
    )  # fmt: skip
    histories.attrs["time_unit"] = "W"
    with pytest.raises(InputError, match=words):
        fit_bundle(histories, model=model)


@pytest.mark.filterwarnings("ignore:BetaGeoBetaBinomModel ended on the edge")
def test_bgbb_fit_warns_when_a_column_of_customers_per_row_is_not_read():
    """lifetimes' donations data (22 distinct histories with a 'weights' column) fitted without
    weights= described 22 donors, not 11,104, with only an edge-of-space warning: the unread
    column is named."""
    rng = np.random.default_rng(7)
    model = BetaGeoBetaBinomModel.from_params(PUBLISHED)
    donors = model.simulate(3000, 6, random_state=rng)[["frequency", "recency", "n_periods"]]
    table = donors.value_counts().rename("weights").reset_index()
    with pytest.warns(clv.ClvWarning, match=r"column 'weights' of customers per row.*"
                      r"pass weights=data\['weights'\]"):  # fmt: skip
        try:
            BetaGeoBetaBinomModel().fit(table)
        except clv.ClvError:
            pass  # the fit of the distinct rows may fail: the warning came first
    with warnings.catch_warnings():
        warnings.simplefilter("error", clv.ClvWarning)
        fitted = BetaGeoBetaBinomModel().fit(table, weights=table["weights"])
        assert fitted.n_customers_ == 3000
        BetaGeoBetaBinomModel().fit(donors)  # no such column: no warning


def test_any_model_warns_of_an_unread_column_of_customers_per_row(cdnow_rfm):
    """The same mistake with BG/NBD on a table of distinct histories (Spark's distinct_histories
    has a 'customers' column): each row counted as one customer, without a word."""
    table = (
        cdnow_rfm[["frequency", "recency", "T"]].value_counts().rename("customers").reset_index()
    )
    with pytest.warns(clv.ClvWarning, match=r"column 'customers' of customers per row"):
        clv.BetaGeoModel().fit(table)
    with warnings.catch_warnings():
        warnings.simplefilter("error", clv.ClvWarning)
        weighted = clv.BetaGeoModel().fit(table, weights=table["customers"])
    assert weighted.n_customers_ == len(cdnow_rfm)


def test_one_customer_given_as_a_mapping_of_single_values_is_scored(published_bg):
    """{"frequency": 2, "recency": 30.43, "T": 38.86} stopped with "TypeError: object of type
    'int' has no len()" (in the covariate columns' check, run for every model). Hardie's worked
    example: E[Y(39) | x = 2, t_x = 30.43, T = 38.86] = 1.226."""
    one = {"frequency": 2, "recency": 30.43, "T": 38.86}
    assert published_bg.expected_purchases(one, 39).iloc[0] == pytest.approx(1.226, abs=5e-4)
    model = clv.BetaGeoModel.from_params(
        {**published_bg.params_.to_dict(), "purchase:z": 0.3},
        time_unit="W",
        purchase_covariates=["z"],
    )
    single = model.expected_purchases({**one, "z": 0.5}, 39)
    listed = model.expected_purchases(
        {key: [value] for key, value in {**one, "z": 0.5}.items()}, 39
    )
    assert single.iloc[0] == pytest.approx(listed.iloc[0], rel=1e-14)
    with pytest.raises(InputError, match=r"covariate 'z' has 1 value\(s\) but the data have 2"):
        model.expected_purchases({**{k: [v, v] for k, v in one.items()}, "z": [0.5]}, 39)


@pytest.mark.parametrize(
    "model, words",
    [
        (BetaGeoBetaBinomModel(), r"is a BG/BB model, not a purchase model"),
        ("bg/nbd", r"unknown purchase model 'bg/nbd'"),
    ],
)
def test_spark_fit_refuses_a_model_it_cannot_fit_before_reading_the_log(model, words):
    """clvmodel.spark.fit(model=BetaGeoBetaBinomModel()) ran the whole RFM job on the cluster
    and only then said "unknown purchase model BetaGeoBetaBinomModel()". No Spark session is
    needed to see the refusal: the log (None here) is not read."""
    pytest.importorskip("pyspark")
    import clvmodel.spark as clvs

    with pytest.raises(InputError, match=words):
        clvs.fit(None, model=model)


@pytest.mark.parametrize("name", ["PurchaseModel", "ContractualModel"])
def test_a_file_naming_an_abstract_base_is_an_unknown_model(tmp_path, name):
    """ "model": "PurchaseModel" with "params": {} loaded a model with no parameters, whose first
    prediction stopped with "TypeError: 'NoneType' object is not callable"."""
    path = tmp_path / "m.json"
    document = {"format": "clvmodel-model", "format_version": 1, "model": name, "params": {}}
    path.write_text(json.dumps(document))
    for load in (clv.load, clv.load_model, clv.load_models):
        with pytest.raises(ModelFileError, match=rf"unknown model '{name}'") as caught:
            load(path)
        assert "PurchaseModel'" not in str(caught.value).split("known models are")[1]
