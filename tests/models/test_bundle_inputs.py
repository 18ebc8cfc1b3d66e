"""What a ModelBundle holds, checked when it is made or saved, and what fit_bundle fits.

A bundle never writes a file it cannot read back: naive inputs that are missing, not numbers, not
finite or negative, metadata clvmodel reads ('time_unit', 'observation_end') that it could not
load, and metadata JSON cannot store are refused, naming the key (also when set after construction,
at save, without writing the file). Dates and numpy numbers in the metadata, on which save raised
json's raw TypeError, are saved as ISO text and JSON numbers. fit_bundle (clvmodel.spark.fit's
model=) says what kind of model it was given, instead of "unknown purchase model", as if the model
were misspelt."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.models.beta_geo_beta_binom import BetaGeoBetaBinomModel


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


# --- A bundle's metadata ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "metadata", [{"time_unit": "D"}, {"time_unit": "Q"}, {"observation_end": "end of June"}]
)
def test_a_bundle_refuses_metadata_its_file_could_not_be_loaded_with(published_bg, metadata):
    with pytest.raises(clv.InputError, match=r"a bundle's metadata '"):
        clv.ModelBundle(bg=published_bg, metadata=metadata)


def test_bundle_metadata_dates_of_any_kind_are_kept(published_bg, tmp_path):
    for end in ["1998-06-30", pd.Timestamp("1998-06-30"), np.datetime64("1998-06-30"), None]:
        bundle = clv.ModelBundle(bg=published_bg, metadata={"observation_end": end})
        loaded = clv.load(bundle.save(tmp_path / "bundle.json"))
        assert str(loaded.metadata["observation_end"])[:10] == str(end)[:10]


# --------------------------------------------------------------------------------------------------
# A bundle's metadata with dates and numpy numbers: save raised json's raw TypeError.
def _bundle(metadata):
    from clvmodel.models.bundle import ModelBundle

    bg = clv.BetaGeoModel.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}, time_unit="W")
    return ModelBundle(bg=bg, metadata=metadata)


def test_a_bundle_saves_dates_and_numpy_numbers_in_its_metadata(tmp_path):
    from clvmodel.models.bundle import load_models

    metadata = {
        "observation_end": pd.Timestamp("1997-09-30"),
        "fitted_at": dt.datetime(2026, 12, 4, 18, 30, tzinfo=dt.timezone.utc),
        "first_day": dt.date(1997, 1, 1),
        "stamp": np.datetime64("1997-09-30T12:00"),
        "missing_date": pd.NaT,
        "customers": np.int64(2357),
        "share": np.float32(0.5),
        "flag": np.bool_(True),
        "nested": {"counts": np.array([1, 2]), "pair": (np.float64(1.5), "a")},
    }
    bundle = _bundle(metadata)
    path = bundle.save(tmp_path / "models.json")
    loaded = load_models(path).metadata
    assert loaded == {
        "observation_end": "1997-09-30T00:00:00",
        "fitted_at": "2026-12-04T18:30:00+00:00",
        "first_day": "1997-01-01",
        "stamp": "1997-09-30T12:00:00",
        "missing_date": None,
        "customers": 2357,
        "share": 0.5,
        "flag": True,
        "nested": {"counts": [1, 2], "pair": [1.5, "a"]},
    }
    assert pd.Timestamp(loaded["observation_end"]) == metadata["observation_end"]
    assert isinstance(bundle.metadata["observation_end"], pd.Timestamp)  # the caller's, as given
    json.loads(path.read_text())  # plain JSON


def test_a_bundle_refuses_metadata_json_cannot_store_naming_the_key(tmp_path):
    from decimal import Decimal

    with pytest.raises(clv.InputError, match=r"metadata\['run'\]\['price'\] is a Decimal"):
        _bundle({"run": {"price": Decimal("1.5")}})
    with pytest.raises(clv.InputError, match="metadata must be a dict"):
        _bundle(["not", "a", "dict"])
    bundle = _bundle({})
    bundle.metadata["table"] = pd.DataFrame({"a": [1]})  # set after construction
    with pytest.raises(clv.InputError, match=r"metadata\['table'\] is a DataFrame"):
        bundle.save(tmp_path / "models.json")
    assert not (tmp_path / "models.json").exists()


# --- fit_bundle's purchase model ------------------------------------------------------------
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
