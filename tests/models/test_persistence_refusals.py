"""Model files edited by hand, and files that are not model files: each is refused naming what
is wrong, or loads when only an optional section is missing.

Guards against an incomplete 'fit' section refused as a Python exception (KeyError('a')),
'settings' or a bundle's 'metadata' that are not an object read as none, a bundle whose spend
model was renamed loading without it (spend and CLV then null without a word), a pickled model
refused with a codec error, and a file naming an abstract base class loading as a model without
parameters."""

from __future__ import annotations

import json

import pytest

import clvmodel as clv
from clvmodel.errors import ModelFileError


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
