"""Model files edited, cut or corrupted: each loads as it was saved, or is refused in words.

"Model files are versioned JSON, validated on load": every kind (single models, a bundle from
``clvmodel fit``, a Day One model) is read by ``clv.load``; a file that has been tampered with
must give a :class:`~clvmodel.ModelFileError` naming the file and the field, never a Python
exception and never a model whose predictions are silently wrong.
"""

from __future__ import annotations

import copy
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.dayone import first_purchase_attributes

SUB_PARAMS = {"alpha": 0.8, "beta": 2.5, "alpha:plan=premium": 0.4, "alpha:plan=pro": -0.3,
              "beta:plan=premium": 0.2, "beta:plan=pro": 0.1}  # fmt: skip


INDICATORS = ["plan=premium", "plan=pro"]


def _subscription_document(levels=("basic", "premium", "pro")) -> dict:
    """An sBG model file with indicator covariates of the text column 'plan', as
    ``clvmodel subscriptions fit --covariates plan`` writes it (the first level the baseline)."""
    model = clv.ShiftedBetaGeoModel.from_params(
        SUB_PARAMS, time_unit="M", alpha_covariates=INDICATORS, beta_covariates=INDICATORS
    )
    model.covariate_levels_ = {"plan": list(levels)}
    return model.to_dict()


@pytest.fixture(scope="module")
def files(cdnow_sample, cdnow_rfm, published_bg, published_gg, tmp_path_factory):
    """One saved file of each kind: name → path."""
    folder = tmp_path_factory.mktemp("model_files")
    rng = np.random.default_rng(3)
    z = pd.DataFrame({"age": rng.normal(size=1500), "x2": rng.normal(size=1500)})
    simulated = clv.simulate_customers_with_covariates(
        z, {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}, purchase_coefficients={"age": 0.3},
        dropout_coefficients={"x2": -0.2}, seed=2,
    )  # fmt: skip
    attributes = first_purchase_attributes(cdnow_sample, quantity_col="quantity")
    attributes["channel"] = rng.choice(["web", "email", "store"], size=len(attributes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        covariates = clv.BetaGeoModel(purchase_covariates=["age"], dropout_covariates=["x2"])
        gg = clv.GammaGammaModel().fit(cdnow_rfm[cdnow_rfm["frequency"] > 0])
        dayone = clv.DayOneModel(["first_purchase_amount"], ["channel"])
        dayone.fit(clv.rfm_summary(cdnow_sample, time_unit="W"), attributes)
        saved = {
            "bg_covariates": covariates.fit(simulated).save(folder / "bg_cov.json"),
            "gg": gg.save(folder / "gg.json"),
            "dayone": dayone.save(folder / "dayone.json"),
        }
    bundle = clv.ModelBundle(
        bg=published_bg,
        gg=published_gg,
        metadata={"time_unit": "W", "observation_end": "1997-09-30"},
    )
    saved["bundle"] = bundle.save(folder / "bundle.json")
    saved["subscription"] = folder / "sbg.json"
    saved["subscription"].write_text(json.dumps(_subscription_document(), indent=2) + "\n")
    return saved


def _write(tmp_path, document, text=None):
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document) if text is None else text, encoding="utf-8")
    return path


def _refused(path, match: str) -> str:
    with pytest.raises(clv.ModelFileError, match=match) as caught:
        clv.load(path)
    message = str(caught.value)
    assert str(path) in message  # the file is named
    assert "Error(" not in message  # no Python exception shown as the reason
    return message


# ---------------------------------------------------------------------------------------------
# Day One files
@pytest.mark.parametrize("unit", [[], ["W"], {}])
def test_a_day_one_time_unit_that_is_not_text_is_refused_in_words(files, unit, tmp_path):
    """'time_unit': [] (or {}) raised TypeError("unhashable type: 'list'")."""
    document = json.loads(files["dayone"].read_text())
    document["time_unit"] = unit
    _refused(_write(tmp_path, document), r"'time_unit' is .*expected one of \['D', 'W'\]")


@pytest.mark.parametrize("count", [1e308, 2.0**70])
def test_day_one_customer_counts_beyond_whole_floats_are_refused(files, count, tmp_path):
    """A count of 1e308 customers loaded, turned into -9223372036854775808 by the cast to int64
    (and the file the model then saved was refused)."""
    document = json.loads(files["dayone"].read_text())
    column = document["segment_profiles"]["columns"].index("customers")
    document["segment_profiles"]["data"][0][column] = count
    _refused(_write(tmp_path, document), r"'customers' must hold whole numbers")


@pytest.mark.parametrize("sd", [1e-320, 5e-324])
def test_a_day_one_encoding_scale_that_overflows_every_signup_is_refused(files, sd, tmp_path):
    """A subnormal sd loaded, and every prediction then blamed the signups ("missing or infinite
    values"): (x - mean) / sd overflows for any x."""
    document = json.loads(files["dayone"].read_text())
    numeric = document["encoding"]["numeric"]
    assert numeric, "the Day One file of this module has a numeric attribute"
    numeric[0]["sd"] = sd
    _refused(_write(tmp_path, document), r"needs log, a finite mean and sd > 0")


def _profiles(edit):
    def apply(document):
        edit(document["segment_profiles"])

    return apply


@pytest.mark.parametrize(
    "edit",
    [
        _profiles(lambda p: p.update(data=0)),  # broadcast to a table of zeros
        _profiles(lambda p: p.update(data=True)),
        _profiles(lambda p: p["data"][0].pop()),  # a short row, padded with NaN
        _profiles(lambda p: p["data"].__setitem__(0, [1.0])),
        _profiles(lambda p: p.update(columns=None)),  # columns 0, 1, 2, ...
        _profiles(lambda p: p["columns"].__setitem__(2, p["columns"][3])),
        _profiles(lambda p: p["index"].__setitem__(0, 3.5)),
        _profiles(lambda p: p["index"].__setitem__(0, "best")),
        _profiles(lambda p: p["index"].reverse()),
        _profiles(lambda p: p.update(index=None)),  # index 0, 1, 2
        _profiles(lambda p: p["data"][0].__setitem__(1, "0.5")),  # text read as a number
        _profiles(lambda p: p["data"][0].__setitem__(1, float("inf"))),
        _profiles(lambda p: p["data"][0].__setitem__(1, None)),
        _profiles(lambda p: p.update(note="edited")),
    ],
)
def test_malformed_day_one_segment_profiles_are_refused(files, edit, tmp_path):
    """Each of these loaded: pandas broadcast, padded or numbered what the file did not give,
    and the CLI printed that table as the segments' profiles."""
    document = json.loads(files["dayone"].read_text())
    edit(document)
    _refused(_write(tmp_path, document), r"'segment_profiles'")


def test_a_day_one_file_round_trips_byte_for_byte(files, tmp_path, cdnow_sample):
    model = clv.load(files["dayone"])
    again = model.save(tmp_path / "again.json")
    assert again.read_bytes() == files["dayone"].read_bytes()
    signups = first_purchase_attributes(cdnow_sample, quantity_col="quantity").iloc[:5]
    signups = signups.assign(channel=["web", "email", "store", "web", "web"])
    pd.testing.assert_frame_equal(
        clv.load(again).predict(signups), model.predict(signups), check_exact=True
    )


# ---------------------------------------------------------------------------------------------
# Fields this clvmodel does not know
@pytest.mark.parametrize(
    "kind, where",
    [
        ("bg_covariates", ()),
        ("bg_covariates", ("fit",)),
        ("gg", ("fit",)),
        ("subscription", ()),
        ("bundle", ()),
        ("bundle", ("models", "bg")),
        ("dayone", ()),
        ("dayone", ("bg", "fit")),
    ],
)
def test_unknown_fields_are_refused_not_dropped(files, kind, where, tmp_path):
    """A field the loader does not know ("covariate_level", or one a newer clvmodel adds, as
    covariate_levels was) loaded and was dropped without a word, with whatever it said."""
    document = json.loads(files[kind].read_text())
    section = document
    for key in where:
        section = section[key]
    section["covariate_level"] = {"plan": ["basic", "premium"]}
    message = _refused(_write(tmp_path, document), r"unknown field\(s\) \['covariate_level'\]")
    assert "newer clvmodel" in message


# ---------------------------------------------------------------------------------------------
# Levels of text covariates (subscription models from the command line)
@pytest.mark.parametrize(
    "levels, why",
    [
        (["basic", "premium", "pro", "gold"], "a level without an indicator: scored as basic"),
        (["premium", "basic", "pro"], "the baseline named is one with an indicator"),
    ],
)
def test_recorded_levels_must_match_the_indicators(levels, why, tmp_path):
    """With 'gold' added to the levels, the file loaded and `subscriptions score` scored gold
    subscribers as the baseline (every indicator 0) instead of refusing a level never fitted."""
    path = _write(tmp_path, _subscription_document(levels))
    _refused(path, r"'covariate_levels' of 'plan' .* the first level is the baseline")


def test_levels_of_a_column_without_indicators_are_refused(tmp_path):
    document = _subscription_document()
    document["covariate_levels"]["region"] = ["north", "south"]
    _refused(_write(tmp_path, document), r"'covariate_levels' of 'region'")


def test_levels_as_the_command_line_records_them_load_and_round_trip(files):
    loaded = clv.load(files["subscription"])
    assert loaded.covariate_levels_ == {"plan": ["basic", "premium", "pro"]}
    assert json.dumps(loaded.to_dict(), indent=2) + "\n" == files["subscription"].read_text()


# ---------------------------------------------------------------------------------------------
# A bundle's metadata
@pytest.mark.parametrize(
    "metadata, match",
    [
        ({"time_unit": "M"}, r"metadata 'time_unit' is 'M', not one of \['D', 'W'\]"),
        ({"time_unit": 7}, r"metadata 'time_unit' is 7"),
        ({"time_unit": "D"}, r"'time_unit' is 'D' but the purchase model \(bg\) was fitted in"),
        ({"observation_end": "30/06/1998"}, r"'observation_end' is '30/06/1998', not a date"),
        ({"observation_end": "19980630"}, r"'observation_end' is '19980630'"),
        ({"observation_end": 1998}, r"'observation_end' is 1998"),
    ],
)
def test_bundle_metadata_clvmodel_reads_is_checked(files, metadata, match, tmp_path):
    """plan reads metadata 'time_unit' when the model records none, and score compares
    'observation_end' with its own end as text: 'M' was blamed on a --time-unit nobody gave, and
    '30/06/1998' sorted before every ISO date, so the note said the log ended later."""
    document = json.loads(files["bundle"].read_text())
    document["metadata"].update(metadata)
    _refused(_write(tmp_path, document), match)


# ---------------------------------------------------------------------------------------------
# Paths
@pytest.mark.parametrize("path", [None, 12, ""])
def test_a_path_that_is_not_one_is_refused_in_words(path):
    """load(None) raised TypeError("expected str, bytes or os.PathLike object, not NoneType");
    load("") said the current folder was a directory."""
    with pytest.raises(clv.InputError, match=r"^path must be the model file's path"):
        clv.load(path)


def test_a_path_with_a_nul_character_is_refused_as_unreadable(tmp_path):
    """ValueError('embedded null byte') escaped as is."""
    with pytest.raises(clv.ModelFileError, match=r"cannot read model file .*null byte"):
        clv.load(str(tmp_path / "model.json") + "\x00")


@pytest.mark.parametrize(
    "text, match",
    [
        ("", r"not valid JSON"),
        ("[1, 2]", r"not a clvmodel file"),
        ("3", r"not a clvmodel file"),
        (
            '{"format": "clvmodel-model", "format": "clvmodel-model"}',
            r"gives the key 'format' twice",
        ),
    ],
)
def test_files_that_are_not_model_files_are_refused(text, match, tmp_path):
    _refused(_write(tmp_path, None, text), match)


def test_a_directory_or_a_binary_file_is_refused(tmp_path):
    with pytest.raises(clv.ModelFileError, match=r"cannot read model file"):
        clv.load(tmp_path)
    binary = tmp_path / "model.json"
    binary.write_bytes(b"\x80\x04\x95 pickle")
    _refused(binary, r"is not a text file")


# ---------------------------------------------------------------------------------------------
# Any field replaced by any JSON value: a model, or a ModelFileError
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["", "W", "D", "M", "x", "1.0", "plan=pro", "average"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=4,
)


def _fields(document, prefix=()):
    """Every field's path in ``document`` (list items: the first two)."""
    items = document.items() if isinstance(document, dict) else enumerate(document[:2])
    for key, value in items:
        yield (*prefix, key)
        if isinstance(value, dict | list):
            yield from _fields(value, (*prefix, key))


@pytest.fixture(scope="module")
def saved_documents(files):
    """Each saved file's JSON document and its fields, read once: the examples below edit a copy
    (read-only here)."""
    documents = {kind: json.loads(path.read_text()) for kind, path in files.items()}
    return {kind: (document, list(_fields(document))) for kind, document in documents.items()}


@pytest.mark.parametrize("kind", ["bg_covariates", "subscription", "bundle", "dayone"])
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_field_replaced_or_removed_loads_or_is_refused_in_words(
    saved_documents, kind, tmp_path, data
):
    document, fields = saved_documents[kind]
    field = data.draw(st.sampled_from(fields), label="field")
    edited = copy.deepcopy(document)
    parent = edited
    for key in field[:-1]:
        parent = parent[key]
    if data.draw(st.booleans(), label="remove"):
        del parent[field[-1]]
    else:
        parent[field[-1]] = data.draw(_JSON, label="value")
    path = _write(tmp_path, edited)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded = clv.load(path)
    except clv.ModelFileError as exc:
        assert str(path) in str(exc) and "Error(" not in str(exc)
        return
    loaded.save(tmp_path / "again.json")  # what loads saves, and loads again
    clv.load(tmp_path / "again.json")
