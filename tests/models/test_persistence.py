"""Saving and loading models: exact round trips, the file format, tampered files, atomic writes."""

from __future__ import annotations

import json
import math
import os
import pathlib
import pickle
import re

import numpy as np
import pandas as pd
import pytest
from published import PUBLISHED_BG, PUBLISHED_GG

import clvmodel as clv
from clvmodel.models._fit import FORMAT_NAME, FORMAT_VERSION

PACKAGE_DIR = pathlib.Path(clv.__file__).parent


# --------------------------------------------------------------------------------------------------
# Fixtures.
@pytest.fixture(scope="module")
def rfm(cdnow_rfm):
    return cdnow_rfm  # tests/conftest.py: the sample's RFM to 1997-09-30, weeks


@pytest.fixture(scope="module")
def bg(fitted_bg):
    return fitted_bg  # tests/conftest.py: BG/NBD fitted on cdnow_rfm


@pytest.fixture(scope="module")
def gg(rfm):
    return clv.GammaGammaModel().fit(rfm)


@pytest.fixture(params=["bg", "gg"])
def fitted(request):
    return request.getfixturevalue(request.param)


def predictions(model, rfm) -> dict:
    """Every prediction the model offers, on the calibration table."""
    if isinstance(model, clv.BetaGeoModel):
        # The table's time unit must be the model's (a mismatch is refused); these checks compare
        # numbers only, so the table is put in the model's unit: the weeks table in days for a
        # daily model (a weeks table labelled "D" is refused: more repeat purchases than days).
        rfm = rfm.copy()
        if model.time_unit_ == "D" and rfm.attrs.get("time_unit") == "W":
            rfm[["recency", "T"]] *= 7.0
        rfm.attrs["time_unit"] = model.time_unit_
        return {
            "expected_purchases": model.expected_purchases(rfm, t=39),
            "probability_alive": model.probability_alive(rfm),
            "probability_no_purchase": model.probability_no_purchase(rfm, t=10),
            "expected_purchases_new": pd.Series(
                model.expected_purchases_new(np.array([1.0, 3.0, 32.0, 78.0]))
            ),
            "probability_of_purchases": pd.Series(
                model.probability_of_purchases(np.arange(6), 39.0)
            ),
        }
    return {
        "expected_spend": model.expected_spend(rfm),
        "population_mean_spend": pd.Series([model.population_mean_spend()]),
    }


def assert_same_model(loaded, original, rfm=None):
    assert type(loaded) is type(original)
    pd.testing.assert_series_equal(loaded.params_, original.params_, check_exact=True)
    assert loaded.time_unit_ == original.time_unit_
    assert loaded.max_iter == original.max_iter
    assert loaded.tol == original.tol
    if hasattr(original, "log_likelihood_"):
        assert loaded.log_likelihood_ == original.log_likelihood_
        assert loaded.n_customers_ == original.n_customers_
        assert loaded.n_distinct_rows_ == original.n_distinct_rows_
        assert loaded.n_iterations_ == original.n_iterations_
        np.testing.assert_array_equal(
            loaded.standard_errors_.to_numpy(), original.standard_errors_.to_numpy()
        )
        assert list(loaded.standard_errors_.index) == list(original.standard_errors_.index)
    else:
        assert not hasattr(loaded, "log_likelihood_")
    if rfm is not None:
        want = predictions(original, rfm)
        got = predictions(loaded, rfm)
        assert got.keys() == want.keys()
        for name in want:
            pd.testing.assert_series_equal(got[name], want[name], check_exact=True, obj=name)


def saved_document(model, tmp_path) -> dict:
    path = model.save(tmp_path / "model.json")
    return json.loads(path.read_text(encoding="utf-8"))


def write_document(tmp_path, document) -> pathlib.Path:
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


BG_PARAMS = PUBLISHED_BG
GG_PARAMS = PUBLISHED_GG


# --------------------------------------------------------------------------------------------------
# Round trips.
def test_fitted_model_round_trips_exactly(fitted, rfm, tmp_path):
    path = fitted.save(tmp_path / "m.json")
    assert path == tmp_path / "m.json"
    assert path.is_file()
    loaded = clv.load_model(path)
    assert_same_model(loaded, fitted, rfm)


def test_load_accepts_string_paths(bg, rfm, tmp_path):
    bg.save(str(tmp_path / "m.json"))
    assert_same_model(clv.load_model(str(tmp_path / "m.json")), bg, rfm)


def test_fitted_model_has_standard_errors_to_compare(fitted):
    # Guards the round-trip test: there is something non-trivial to carry over.
    errors = fitted.standard_errors_.to_numpy()
    assert errors.size == len(fitted.param_names)
    assert np.all(np.isfinite(errors)) and np.all(errors > 0)
    assert np.isfinite(fitted.log_likelihood_)
    assert fitted.time_unit_ == "W"


@pytest.mark.parametrize("time_unit", ["W", "D", None])
@pytest.mark.parametrize("kind", ["bg", "gg"])
def test_from_params_model_round_trips(kind, time_unit, rfm, tmp_path):
    cls, params = (
        (clv.BetaGeoModel, BG_PARAMS) if kind == "bg" else (clv.GammaGammaModel, GG_PARAMS)
    )
    model = cls.from_params(params, time_unit=time_unit)
    loaded = clv.load_model(model.save(tmp_path / "m.json"))
    assert_same_model(loaded, model, rfm)
    assert dict(loaded.params_) == params


def test_settings_round_trip(rfm, tmp_path):
    model = clv.BetaGeoModel(max_iter=123, tol=1e-5).fit(rfm)
    loaded = clv.load_model(model.save(tmp_path / "m.json"))
    assert loaded.max_iter == 123
    assert loaded.tol == 1e-5
    assert_same_model(loaded, model, rfm)


def test_to_dict_from_dict_round_trip(fitted, rfm):
    document = json.loads(json.dumps(fitted.to_dict()))
    assert_same_model(type(fitted).from_dict(document), fitted, rfm)


def test_save_load_save_is_stable(fitted, tmp_path):
    first = fitted.save(tmp_path / "a.json").read_text(encoding="utf-8")
    loaded = clv.load_model(tmp_path / "a.json")
    second = loaded.save(tmp_path / "b.json").read_text(encoding="utf-8")
    assert json.loads(first) == json.loads(second)


def test_save_overwrites_previous_file(bg, tmp_path):
    path = tmp_path / "m.json"
    clv.BetaGeoModel.from_params(BG_PARAMS, time_unit="D").save(path)
    bg.save(path)
    loaded = clv.load_model(path)
    pd.testing.assert_series_equal(loaded.params_, bg.params_, check_exact=True)
    assert loaded.time_unit_ == "W"
    assert sorted(os.listdir(tmp_path)) == ["m.json"]


def test_unfitted_model_cannot_be_saved(tmp_path):
    with pytest.raises(clv.NotFittedError, match="no parameters yet"):
        clv.BetaGeoModel().save(tmp_path / "m.json")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------------
# The file format.
def test_document_keys_and_values(fitted, tmp_path):
    document = saved_document(fitted, tmp_path)
    for key in ("format", "format_version", "model", "clvmodel_version", "time_unit", "params"):
        assert key in document
    assert document["format"] == FORMAT_NAME
    assert document["format_version"] == FORMAT_VERSION
    assert isinstance(document["format_version"], int)
    assert document["model"] == type(fitted).__name__
    assert document["clvmodel_version"] == clv.__version__
    assert document["time_unit"] == "W"
    assert list(document["params"]) == list(fitted.param_names)
    assert document["params"] == {k: float(v) for k, v in fitted.params_.items()}


def test_file_is_plain_utf8_json(bg, tmp_path):
    raw = bg.save(tmp_path / "m.json").read_bytes()
    text = raw.decode("utf-8")
    assert text.lstrip().startswith("{")
    assert isinstance(json.loads(text), dict)


def test_package_source_does_not_use_pickle():
    pattern = re.compile(r"^\s*(import|from)\s+(pickle|cPickle|_pickle|dill|joblib|cloudpickle)\b")
    offenders = []
    for source in PACKAGE_DIR.rglob("*.py"):
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.match(line) or re.search(r"\bpickle\.(loads?|dumps?)\(", line):
                offenders.append(f"{source.name}:{number}: {line.strip()}")
    assert offenders == []


def test_loading_never_unpickles(bg, rfm, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "dump", refuse)
    monkeypatch.setattr(pickle, "dumps", refuse)
    assert_same_model(clv.load_model(bg.save(tmp_path / "m.json")), bg, rfm)


# --------------------------------------------------------------------------------------------------
# Files that cannot be loaded.
def test_load_missing_file(tmp_path):
    with pytest.raises(clv.ModelFileError, match="does not exist"):
        clv.load_model(tmp_path / "nowhere.json")


def test_load_directory(tmp_path):
    with pytest.raises(clv.ModelFileError, match="cannot read model file"):
        clv.load_model(tmp_path)


def test_load_not_json(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("r = 0.24, alpha = 4.4\n", encoding="utf-8")
    with pytest.raises(clv.ModelFileError, match="is not valid JSON"):
        clv.load_model(path)


def test_load_empty_file(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("", encoding="utf-8")
    with pytest.raises(clv.ModelFileError, match="is not valid JSON"):
        clv.load_model(path)


def test_load_truncated_file(bg, tmp_path):
    path = bg.save(tmp_path / "m.json")
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(clv.ModelFileError, match="not valid JSON.*truncated"):
        clv.load_model(path)


def test_load_binary_file(tmp_path):
    path = tmp_path / "m.json"
    path.write_bytes(pickle.dumps({"r": 1.0}))
    with pytest.raises(clv.ModelFileError, match="m.json"):
        clv.load_model(path)


def test_load_top_level_not_an_object(tmp_path):
    path = write_document(tmp_path, [1, 2, 3])
    with pytest.raises(clv.ModelFileError, match="top level is not a JSON object"):
        clv.load_model(path)


def _set(path, value):
    def mutate(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(path):
    def mutate(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


TAMPERED = {
    "wrong format": (_set(["format"], "lifetimes-pickle"), r"'format' is 'lifetimes-pickle'"),
    "missing format": (_delete(["format"]), r"'format' is None"),
    "newer format version": (
        _set(["format_version"], FORMAT_VERSION + 1),
        rf"format version {FORMAT_VERSION + 1}, newer than.*upgrade clvmodel",
    ),
    "format version not an integer": (_set(["format_version"], "1"), "not an integer"),
    "missing format version": (_delete(["format_version"]), "'format_version' is missing"),
    "unknown model": (_set(["model"], "HiddenMarkovModel"), "unknown model 'HiddenMarkovModel'"),
    "missing model": (_delete(["model"]), "unknown model None"),
    "missing parameter": (_delete(["params", "alpha"]), r"'params' must have exactly the keys"),
    "extra parameter": (_set(["params", "gamma"], 1.0), r"'params' must have exactly the keys"),
    "params not an object": (_set(["params"], [0.2, 4.4, 0.8, 2.4]), "'params' must have"),
    "negative parameter": (_set(["params", "r"], -0.5), r"parameter 'r' = -0.5 is not a positive"),
    "zero parameter": (_set(["params", "a"], 0), r"parameter 'a' = 0 is not a positive"),
    "nan parameter": (_set(["params", "b"], math.nan), r"parameter 'b' = nan is not a positive"),
    "infinite parameter": (_set(["params", "b"], math.inf), r"parameter 'b' = inf"),
    "string parameter": (_set(["params", "alpha"], "4.4"), r"parameter 'alpha' = '4.4'"),
    "boolean parameter": (_set(["params", "alpha"], True), r"parameter 'alpha' = True"),
    "null parameter": (_set(["params", "alpha"], None), r"parameter 'alpha' = None"),
    "huge integer parameter": (_set(["params", "r"], 10**400), r"parameter 'r'"),
    "bad time unit": (_set(["time_unit"], "M"), r"'time_unit' is 'M'"),
    "time unit a number": (_set(["time_unit"], 7), r"'time_unit' is 7"),
    "time unit a list": (_set(["time_unit"], ["W"]), r"'time_unit'"),
    "unknown setting": (_set(["settings", "learning_rate"], 0.1), "learning_rate"),
    "settings not an object": (_set(["settings"], "fast"), "'settings' is not an object"),
    "fit not an object": (_set(["fit"], "yes"), "'fit' is not an object"),
    "fit missing log-likelihood": (_delete(["fit", "log_likelihood"]), "'fit' section"),
    "fit bad customer count": (_set(["fit", "n_customers"], "many"), "'fit' section"),
    "fit infinite customer count": (_set(["fit", "n_customers"], math.inf), "'fit' section"),
    "fit missing standard error": (_delete(["fit", "standard_errors", "r"]), "'fit' section"),
}


def _tampered(model, mutate, folder):
    """The model's file, changed by ``mutate`` (a function of its JSON document)."""
    document = json.loads(json.dumps(model.to_dict()))
    mutate(document)
    return write_document(folder, document)


@pytest.mark.parametrize("case", sorted(TAMPERED))
def test_load_tampered_file(case, bg, tmp_path):
    mutate, message = TAMPERED[case]
    path = _tampered(bg, mutate, tmp_path)
    with pytest.raises(clv.ModelFileError, match=message) as info:
        clv.load_model(path)
    # Every message says which file and that it is not a valid model file.
    assert "tampered.json" in str(info.value)
    assert "not a valid clvmodel model file" in str(info.value)


def test_gamma_gamma_refuses_beta_geo_document(bg):
    with pytest.raises(clv.ModelFileError, match="holds a BetaGeoModel, not a GammaGammaModel"):
        clv.GammaGammaModel.from_dict(bg.to_dict())


def test_beta_geo_refuses_gamma_gamma_document(gg):
    with pytest.raises(clv.ModelFileError, match="holds a GammaGammaModel, not a BetaGeoModel"):
        clv.BetaGeoModel.from_dict(gg.to_dict())


def test_from_dict_refuses_non_mapping():
    with pytest.raises(clv.ModelFileError, match="top level is not a JSON object"):
        clv.BetaGeoModel.from_dict("BetaGeoModel")


def test_load_model_picks_the_class_from_the_file(bg, gg, tmp_path):
    assert isinstance(clv.load_model(bg.save(tmp_path / "bg.json")), clv.BetaGeoModel)
    assert isinstance(clv.load_model(gg.save(tmp_path / "gg.json")), clv.GammaGammaModel)


# --------------------------------------------------------------------------------------------------
# Atomic saves: a failed save leaves the previous file as it was and no temporary files.
@pytest.fixture
def previous(tmp_path):
    """A model file already in place, and its bytes."""
    path = clv.BetaGeoModel.from_params(BG_PARAMS, time_unit="D").save(tmp_path / "m.json")
    return path, path.read_bytes()


def assert_untouched(previous):
    path, content = previous
    assert path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    assert dict(clv.load_model(path).params_) == BG_PARAMS


def test_failed_serialisation_keeps_previous_file(bg, previous, monkeypatch):
    def broken_dumps(*args, **kwargs):
        raise RuntimeError("serialiser exploded")

    monkeypatch.setattr(json, "dumps", broken_dumps)
    with pytest.raises(RuntimeError, match="serialiser exploded"):
        bg.save(previous[0])
    monkeypatch.undo()
    assert_untouched(previous)


def test_failed_write_keeps_previous_file(bg, previous, monkeypatch):
    real_write_text = pathlib.Path.write_text

    def half_write(self, data, *args, **kwargs):
        real_write_text(self, data[: len(data) // 2], *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_text", half_write)
    with pytest.raises((OSError, clv.ClvError)):
        bg.save(previous[0])
    monkeypatch.undo()
    assert_untouched(previous)


def test_interrupted_write_keeps_previous_file(bg, previous, monkeypatch):
    real_write_text = pathlib.Path.write_text

    def interrupted(self, data, *args, **kwargs):
        real_write_text(self, data[:10], *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(pathlib.Path, "write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        bg.save(previous[0])
    monkeypatch.undo()
    assert_untouched(previous)


def test_failed_rename_keeps_previous_file(bg, previous, monkeypatch):
    def broken_replace(source, target):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises((OSError, clv.ClvError)):
        bg.save(previous[0])
    monkeypatch.undo()
    assert_untouched(previous)


def test_failed_first_save_leaves_nothing(bg, tmp_path, monkeypatch):
    def broken_replace(source, target):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises((OSError, clv.ClvError)):
        bg.save(tmp_path / "m.json")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_save_into_missing_folder(bg, tmp_path):
    with pytest.raises(clv.ClvError, match="does not exist"):
        bg.save(tmp_path / "no" / "such" / "folder" / "m.json")
    assert list(tmp_path.iterdir()) == []


def test_one_loader_reads_every_kind_of_file(tmp_path, rfm):
    from clvmodel.models.bundle import fit_bundle

    single = clv.ParetoNBDModel().fit(rfm).save(tmp_path / "pnbd.json")
    assert isinstance(clv.load(single), clv.ParetoNBDModel)
    histories = rfm.groupby(["frequency", "recency", "T"]).size().rename("customers").reset_index()
    histories.attrs["time_unit"] = "W"
    bundle = fit_bundle(histories, model="mbgnbd").save(tmp_path / "bundle.json")
    assert isinstance(clv.load(bundle).bg, clv.ModifiedBetaGeoModel)
    sbg = clv.ShiftedBetaGeoModel().fit(clv.subscriptions.from_survival_counts([1000, 631, 468]))
    assert isinstance(clv.load(sbg.save(tmp_path / "sbg.json")), clv.ShiftedBetaGeoModel)
    (tmp_path / "other.json").write_text('{"format": "something-else"}')
    with pytest.raises(clv.ModelFileError, match="not a clvmodel file"):
        clv.load(tmp_path / "other.json")


# --------------------------------------------------------------------------------------------------
# The fit's statistics and numbers beyond a float: refused on load, never a crash in predict.
def _nulled_first_parameter(document):
    covariance = document["fit"]["covariance"]
    for i in range(len(covariance)):
        covariance[0][i] = covariance[i][0] = None
    first = next(iter(document["fit"]["standard_errors"]))
    document["fit"]["standard_errors"][first] = None  # as the fit writes it: no standard error


def _consistent_errors(document):
    """Standard errors as the fit derives them from the covariance (log-parameters: √Σⱼⱼ·θⱼ)."""
    covariance = document["fit"]["covariance"]
    for j, (name, value) in enumerate(document["params"].items()):
        document["fit"]["standard_errors"][name] = float(np.sqrt(covariance[j][j]) * value)


BAD_FIT = {
    "covariance of huge entries": (
        _set(["fit", "covariance"], [[1e308] * 4 for _ in range(4)]),
        "'fit' covariance has entries too large",
    ),
    "covariance with a negative variance": (
        _set(["fit", "covariance"], np.diag([1.0, -1.0, 1.0, 1.0]).tolist()),
        "'fit' covariance has a variance that is not positive",
    ),
    "covariance with an infinite entry": (
        _set(["fit", "covariance"], np.diag([1.0, math.inf, 1.0, 1.0]).tolist()),
        "'fit' covariance has infinite entries",
    ),
    "covariance with a stray null": (
        _set(["fit", "covariance"], [[1, None, 0, 0], [None, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]),
        "'fit' covariance has nulls outside whole rows",
    ),
    "covariance with a huge integer": (
        _set(["fit", "covariance"], [[10**400, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]),
        "'fit' covariance is not a table",
    ),
    "covariance not a table": (_set(["fit", "covariance"], "diagonal"), "'fit' covariance"),
    "nan log-likelihood": (_set(["fit", "log_likelihood"], math.nan), "'fit' log_likelihood"),
    "huge log-likelihood": (_set(["fit", "log_likelihood"], -(10**400)), "'fit' log_likelihood"),
    "negative standard error": (
        _set(["fit", "standard_errors", "r"], -0.1),
        "standard error of 'r' = -0.1",
    ),
    "nan standard error": (
        _set(["fit", "standard_errors", "alpha"], math.nan),
        "standard error of 'alpha' = nan",
    ),
    "huge standard error": (
        _set(["fit", "standard_errors", "a"], 10**400),
        "standard error of 'a'",
    ),
    # Texts and booleans loaded as numbers, and a covariance 100 times the
    # fitted one widened every interval while the summary kept the fitted standard errors.
    "covariance of texts": (
        lambda d: d["fit"].update(
            covariance=[[str(v) for v in row] for row in d["fit"]["covariance"]]
        ),
        "'fit' covariance is not a table",
    ),
    "covariance of booleans": (
        lambda d: d["fit"].update(covariance=[[True] * 4 for _ in range(4)]),
        "'fit' covariance is not a table",
    ),
    "covariance 100 times the fitted one": (
        lambda d: d["fit"].update(
            covariance=[[100 * v for v in row] for row in d["fit"]["covariance"]]
        ),
        "'fit' standard_errors do not match its covariance",
    ),
    "a parameter edited": (
        lambda d: d["params"].update(r=d["params"]["r"] * 2),
        "a parameter, a standard error or the covariance was edited",
    ),
    "a standard error of no parameter": (
        _set(["fit", "standard_errors", "gamma"], 0.1),
        "standard_errors must have exactly the keys",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FIT))
def test_load_refuses_fit_statistics_no_fit_writes(case, bg, tmp_path):
    mutate, message = BAD_FIT[case]
    path = _tampered(bg, mutate, tmp_path)
    for load in (clv.load_model, clv.load):
        with pytest.raises(clv.ModelFileError, match=message):
            load(path)


def test_a_covariance_with_unidentified_parameters_still_loads(bg, rfm, tmp_path):
    # The fit writes nulls for the whole row and column of a parameter it cannot identify.
    document = json.loads(json.dumps(bg.to_dict()))
    _nulled_first_parameter(document)
    loaded = clv.load(write_document(tmp_path, document))
    assert loaded.covariance_.iloc[0].isna().all() and loaded.covariance_.iloc[1:, 1:].notna().all(
        axis=None
    )
    with pytest.raises(clv.InputError, match="not identified"):
        loaded.predict(rfm.head(), t=39, interval=0.9)


def test_a_saddle_covariance_loads_and_its_intervals_are_refused(bg, rfm, tmp_path):
    # A fit that stopped at a saddle writes such a matrix: the model loads, intervals say why not.
    document = json.loads(json.dumps(bg.to_dict()))
    _set(["fit", "covariance"], [[1, 2, 0, 0], [2, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])(document)
    _consistent_errors(document)
    loaded = clv.load(write_document(tmp_path, document))
    table = rfm.head().copy()
    table.attrs["time_unit"] = bg.time_unit_
    with pytest.raises(clv.InputError, match="positive"):
        loaded.predict(table, t=39, interval=0.9)


def test_a_loaded_covariance_gives_the_same_intervals(bg, rfm, tmp_path):
    loaded = clv.load(bg.save(tmp_path / "bg.json"))
    table = rfm.head().copy()
    table.attrs["time_unit"] = bg.time_unit_
    pd.testing.assert_frame_equal(
        loaded.predict(table, t=39, interval=0.9), bg.predict(table, t=39, interval=0.9)
    )


def test_load_refuses_a_bundle_with_a_huge_naive_number(rfm, tmp_path):
    from clvmodel.models.bundle import fit_bundle

    histories = rfm.groupby(["frequency", "recency", "T"]).size().rename("customers").reset_index()
    histories.attrs["time_unit"] = "W"
    naive = {"customers": 2357, "orders": 5000, "revenue": 1e5, "years": 1.5}
    path = fit_bundle(histories, naive_inputs=naive).save(tmp_path / "bundle.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    document["naive"]["purchases_per_year"] = 10**400
    path.write_text(json.dumps(document), encoding="utf-8")
    for load in (clv.load, clv.load_models):
        with pytest.raises(clv.ModelFileError, match="naive 'purchases_per_year'"):
            load(path)


def test_load_refuses_an_integer_of_more_digits_than_python_reads(tmp_path):
    path = tmp_path / "digits.json"
    path.write_text('{"format": "clvmodel-model", "format_version": 1' + "0" * 5000 + "}")
    with pytest.raises(clv.ModelFileError, match="not valid JSON.*4300"):
        clv.load(path)


@pytest.mark.parametrize(
    "text",
    [
        '{"format": "clvmodel", "params": {}, "params": {}}',
        '{"format": "clvmodel", "params": {"r": 1, "r": 2}}',
    ],
)
def test_a_key_given_twice_is_refused(text, tmp_path):
    # json keeps the last of two equal keys silently: a second "params" object or "r" loaded.
    path = tmp_path / "twice.json"
    path.write_text(text, encoding="utf-8")
    for load in (clv.load_model, clv.load):
        with pytest.raises(clv.ModelFileError, match="gives the key '(params|r)' twice"):
            load(path)


def test_covariate_levels_survive_load_and_save_and_are_checked(tmp_path):
    # The command line records the levels of text covariates ("plan=pro"); load and save lost
    # them, and `subscriptions score` then took an unseen level for the baseline.
    model = clv.ShiftedBetaGeoModel.from_params(
        {"alpha": 1.0, "beta": 2.0, "alpha:plan=pro": 0.5}, alpha_covariates=["plan=pro"]
    )
    model.covariate_levels_ = {"plan": ["basic", "pro"]}
    again = clv.load(clv.load(model.save(tmp_path / "a.json")).save(tmp_path / "b.json"))
    assert again.covariate_levels_ == {"plan": ["basic", "pro"]}
    document = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    for levels, problem in [
        (["basic", "pro"], "is not an object"),
        ({"plan": "basic"}, "is not a list of two or more distinct texts"),
        ({"plan": ["basic", "basic"]}, "is not a list of two or more distinct texts"),
        ({"plan": ["basic", 5]}, "is not a list of two or more distinct texts"),
        ({"plan": ["basic", "team"]}, "has a level missing from 'covariate_levels' of 'plan'"),
    ]:
        document["covariate_levels"] = levels
        with pytest.raises(clv.ModelFileError, match=problem):
            clv.load(write_document(tmp_path, document))
