"""Day One model files: versioned JSON (no pickle), validated field by field when read."""

from __future__ import annotations

import inspect
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clvmodel._files import write_text_atomically
from clvmodel._units import Duration
from clvmodel._version import __version__
from clvmodel.dayone._checks import check_effects, covariates_by_process, level_text
from clvmodel.dayone.encoding import RANGES_KEY
from clvmodel.dayone.segments import SEGMENTS
from clvmodel.errors import ModelFileError
from clvmodel.models import PURCHASE_MODELS
from clvmodel.models._persistence import (
    check_fit_settings,
    check_format_version,
    describe_document,
    finite_number,
    model_from_document,
    read_json_document,
    refuse_unknown_keys,
)
from clvmodel.models.gamma_gamma import GammaGammaModel
from clvmodel.rfm import TIME_UNITS

#: The ``format`` field of a Day One model file.
DAYONE_FORMAT = "clvmodel-dayone"
#: The newest format version this clvmodel writes and reads.
DAYONE_VERSION = 1
#: The fields of a Day One model file (``attribute_ranges``: :mod:`clvmodel.dayone.encoding`).
_DAYONE_KEYS = ("format", "format_version", "clvmodel_version", "settings", "time_unit",
                "encoding", "segment_cuts", "segment_profiles", "bg", "gg", RANGES_KEY)  # fmt: skip
#: Above this a count read as a float is no longer a whole number it can hold exactly.
_LARGEST_COUNT = 2.0**53


def to_document(model) -> dict[str, Any]:
    """A fitted :class:`~clvmodel.DayOneModel` as a JSON-ready dictionary."""
    profiles = model.segment_profiles_
    return {
        "format": DAYONE_FORMAT,
        "format_version": DAYONE_VERSION,
        "clvmodel_version": __version__,
        "settings": settings_of(model),
        "time_unit": model.time_unit_,
        "encoding": model.encoding_,
        "segment_cuts": model.segment_cuts_,
        "segment_profiles": {
            "index": [str(i) for i in profiles.index],
            "columns": [str(c) for c in profiles.columns],
            "data": [[float(v) for v in row] for row in profiles.to_numpy()],
        },
        "bg": model.bg_.to_dict(),
        "gg": model.gg_.to_dict(),
    }


def settings_of(model) -> dict[str, Any]:
    """The constructor arguments of a :class:`~clvmodel.DayOneModel`, as stored in its file."""
    return {
        "numeric": model.numeric,
        "categorical": model.categorical,
        "log": model.log,
        "baselines": model.baselines,
        "first_purchase_col": model.first_purchase_col,
        "horizon": model.horizon,
        "horizon_unit": model.horizon_unit,
        "covariates_on": list(model.covariates_on),
        "segment_band": model.segment_band,
        "purchase_model": model.purchase_model,
        "max_iter": model.max_iter,
        "tol": model.tol,
    }


def from_document(cls, document, source: str):
    """Rebuild a ``cls`` (a :class:`~clvmodel.DayOneModel`) from :func:`to_document` output.

    Raises
    ------
    ModelFileError
        Any field is missing or invalid; the message names ``source`` and the field.
    """

    def fail(problem: str):
        raise ModelFileError(f"{source} is not a valid Day One model file: {problem}.")

    _check_header(document, source, fail)
    settings = document.get("settings")
    if not isinstance(settings, dict):
        fail("'settings' is missing or not an object")
    settings = dict(settings)
    known = inspect.signature(cls).parameters
    unknown = sorted(key for key in settings if key not in known and key != "horizon_unit")
    if unknown:
        fail(
            f"unknown setting(s) {unknown} (a Day One model has {sorted(known)}): perhaps a "
            "file of another kind whose 'format' was changed"
        )
    for key, value in settings.items():
        if isinstance(value, int) and not isinstance(value, bool) and not finite_number(value):
            fail(f"setting {key!r} is a number too large for a float")
    if "horizon_unit" in settings:  # every file stores the horizon's number and unit side by side
        unit = settings.pop("horizon_unit")
        number = settings.get("horizon", 13.0)  # the constructor's default number, as before
        settings["horizon"] = Duration(number, unit if unit is not None else "M")
    try:
        model = cls(**settings)
        check_effects(model.attributes, model.covariates_on)
    except (TypeError, ValueError, OverflowError) as exc:  # Overflow: a number beyond a float
        fail(f"bad settings ({exc})")
    check_fit_settings(model.max_iter, model.tol, fail)
    unit = document.get("time_unit")
    if not isinstance(unit, str) or unit not in TIME_UNITS:  # not a list: unhashable
        fail(f"'time_unit' is {unit!r}, expected one of {sorted(TIME_UNITS)}")
    model.time_unit_ = unit
    model.encoding_ = check_encoding(document.get("encoding"), model, fail)
    _read_segments(document, model, fail)
    for key in ("bg", "gg"):
        if key not in document:
            fail(f"the {key!r} model is missing")
    model.bg_ = model_from_document(
        document["bg"], f"{source} (bg)", expected=PURCHASE_MODELS[model.purchase_model]
    )
    model.gg_ = model_from_document(document["gg"], f"{source} (gg)", expected=GammaGammaModel)
    for key, part in (("bg", model.bg_), ("gg", model.gg_)):
        part_unit = getattr(part, "time_unit_", None)
        if part_unit is not None and part_unit != unit:
            fail(
                f"its 'time_unit' is {unit!r} but its {key!r} model was fitted in time unit "
                f"{part_unit!r}; the file contradicts itself (refit the model)"
            )
    if not model.gg_.params_["q"] > 1:  # E[spend] = p v / (q − 1) exists only for q > 1
        fail(
            f"the spend model's q = {model.gg_.params_['q']:.4g} ≤ 1, where the mean spend is "
            "infinite, so no Day One value can be predicted (refit the model)"
        )
    expected = covariates_by_process(model.design_columns, model.covariates_on)
    if (
        model.bg_.purchase_covariates != expected["purchase"]
        or model.bg_.dropout_covariates != expected["dropout"]
        or model.gg_.spend_covariates != expected["spend"]
    ):
        fail("the models' covariates do not match the attribute encoding")
    return model


def _check_header(document, source: str, fail) -> None:
    if not isinstance(document, dict):
        fail("the top level is not a JSON object")
    if document.get("format") != DAYONE_FORMAT:
        described = describe_document(document)
        if described is not None:  # another of clvmodel's files: say which, and its loader
            words, loader = described
            raise ModelFileError(
                f"{source} holds {words}, not a Day One model; load it with {loader}."
            )
        fail(f"'format' is {document.get('format')!r}, expected {DAYONE_FORMAT!r}")
    check_format_version(document, DAYONE_VERSION, fail)
    refuse_unknown_keys(document, _DAYONE_KEYS, "the top level", fail)


def _read_segments(document, model, fail) -> None:
    cuts = document.get("segment_cuts")
    if not (
        isinstance(cuts, dict)
        and set(cuts) == {"mean", "low", "high"}
        and all(finite_number(v) for v in cuts.values())
        and cuts["low"] <= cuts["high"]
    ):
        fail("'segment_cuts' must hold finite numbers mean, low ≤ high")
    # The cuts are (1 ∓ band) × mean (segments.segment_cuts); any other pair relabels signups.
    band, mean = model.segment_band, cuts["mean"]
    for key, cut in (("low", (1.0 - band) * mean), ("high", (1.0 + band) * mean)):
        if not math.isclose(cuts[key], cut, rel_tol=1e-9):
            fail(
                f"'segment_cuts' {key} = {cuts[key]!r} is not (1 {'-' if key == 'low' else '+'} "
                f"segment band {band!r}) × mean {mean!r} = {cut!r}"
            )
    model.segment_cuts_ = {k: float(v) for k, v in cuts.items()}
    profiles = _profile_table(document.get("segment_profiles"), fail)
    model.segment_profiles_ = pd.DataFrame(
        profiles["data"], index=profiles["index"], columns=profiles["columns"], dtype=float
    )
    model.segment_profiles_.index.name = "segment"
    # JSON holds every value as a float; the counts are integers, as the fitted table has them.
    if "customers" in model.segment_profiles_:
        counts = model.segment_profiles_["customers"].to_numpy()
        if not ((counts >= 0) & (counts <= _LARGEST_COUNT) & (counts == np.round(counts))).all():
            fail("'segment_profiles' column 'customers' must hold whole numbers ≥ 0")
        model.segment_profiles_["customers"] = counts.astype("int64")
    if not np.isfinite(model.segment_profiles_.to_numpy(dtype=float)).all():
        fail("'segment_profiles' holds a value that is not a finite number")


def _profile_table(profiles, fail) -> dict:
    """The stored segment profiles, checked as :func:`to_document` writes them: ``index`` the
    segments (distinct, of :data:`~clvmodel.dayone.segments.SEGMENTS`, in order), ``columns``
    distinct texts, and ``data`` one row per segment of one number per column."""
    if not isinstance(profiles, dict) or set(profiles) != {"index", "columns", "data"}:
        fail("'segment_profiles' must have exactly the keys 'index', 'columns' and 'data'")
    index, columns, data = profiles["index"], profiles["columns"], profiles["data"]
    if not (isinstance(index, list) and index and all(isinstance(i, str) for i in index)
            and [s for s in SEGMENTS if s in index] == index):  # fmt: skip
        fail(f"'segment_profiles' index {index!r} is not segments of {list(SEGMENTS)}, in order")
    if not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)
            and len(set(columns)) == len(columns)):  # fmt: skip
        fail(f"'segment_profiles' columns {columns!r} are not distinct texts")
    if not (isinstance(data, list) and len(data) == len(index)):
        fail(f"'segment_profiles' data is not a list of {len(index)} rows, one per segment")
    for segment, row in zip(index, data, strict=True):
        # Numbers (a NaN or an infinity as Python's json writes them), not texts or booleans.
        if not (isinstance(row, list) and len(row) == len(columns)
                and all(finite_number(v) or isinstance(v, float) for v in row)):  # fmt: skip
            fail(
                f"'segment_profiles' row {segment!r} is not {len(columns)} numbers, one per column"
            )
    return profiles


def check_encoding(encoding, model, fail) -> dict[str, Any]:
    """The stored attribute encoding, checked against the model's settings."""
    if not isinstance(encoding, dict) or set(encoding) != {"numeric", "categorical"}:
        fail("'encoding' must have exactly the keys 'numeric' and 'categorical'")
    numeric, categorical = encoding["numeric"], encoding["categorical"]
    for key, entries in (("numeric", numeric), ("categorical", categorical)):
        if not isinstance(entries, list):
            fail(f"'encoding' {key!r} is not a list")
        stray = [e for e in entries if not isinstance(e, dict)]
        if stray:
            fail(f"'encoding' {key!r} holds {stray[0]!r}, not an object describing an attribute")
    if [e.get("name") for e in numeric] != model.numeric:
        fail(f"'encoding' must describe the numeric attributes {model.numeric} in order")
    for entry in numeric:
        if not (
            set(entry) == {"name", "log", "mean", "sd"}
            and entry["log"] is (entry["name"] in model.log)
            and finite_number(entry["mean"])
            and finite_number(entry["sd"])
            and entry["sd"] > 0
            # a subnormal sd: every encoded signup would overflow (blamed on the signups)
            and math.isfinite(1.0 / entry["sd"])
        ):
            fail(f"the encoding of {entry.get('name')!r} needs log, a finite mean and sd > 0")
    if [e.get("name") for e in categorical] != model.categorical:
        fail(f"'encoding' must describe the categorical attributes {model.categorical} in order")
    for entry in categorical:
        levels = entry.get("levels")
        if not (
            set(entry) == {"name", "levels", "baseline"}
            and isinstance(levels, list)
            and len(levels) >= 2
            and all(isinstance(v, str) for v in levels)
            and len(set(levels)) == len(levels)
            and entry["baseline"] in levels
        ):
            fail(
                f"the encoding of {entry.get('name')!r} needs distinct string levels and a baseline"
            )
        chosen = model.baselines.get(entry["name"])
        if chosen is not None and entry["baseline"] not in (str(chosen), level_text(chosen)):
            fail(
                f"'settings' gives {entry['name']!r} the baseline {chosen!r} but its 'encoding' "
                f"the baseline {entry['baseline']!r}"
            )
    return encoding


def save(model, path: str | os.PathLike) -> Path:
    """Write a fitted model's :meth:`~clvmodel.DayOneModel.to_dict` as JSON, atomically."""
    return write_text_atomically(path, json.dumps(model.to_dict(), indent=2) + "\n")


def load(cls, path: str | os.PathLike):
    """Read a Day One model file into a ``cls`` (a :class:`~clvmodel.DayOneModel`)."""
    document, source = read_json_document(path)
    return cls.from_dict(document, source)
