"""Model files: versioned JSON, validated field by field on load, never a pickle.

Every model writes the same envelope (:meth:`MaximumLikelihoodModel.to_dict`): format name and
version, the model's class, the clvmodel version, the time unit, the parameters, the constructor
settings and the fit's statistics. :func:`load_model` reads any of them back through the class
registry; the bundle (:mod:`clvmodel.models.bundle`) and Day One files nest the same documents.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

from clvmodel.errors import InputError, ModelFileError
from clvmodel.models._fit import FORMAT_NAME, FORMAT_VERSION, REGISTRY
from clvmodel.models._fit_section import (
    BOOTSTRAP_KEY,
    RANGES_KEY,
    finite_number,
    read_bootstrap,
    read_fit,
)
from clvmodel.models._settings import check_fit_settings
from clvmodel.rfm import TIME_UNITS

__all__ = [
    "bundle_metadata_problem",
    "check_format_version",
    "describe_document",
    "describe_model_file",
    "finite_number",
    "load_model",
    "model_from_document",
    "read_json_document",
    "refuse_unknown_keys",
]


def check_format_version(document: dict, newest: int, fail) -> int:
    """Check a file's ``format_version``: a whole number from 1 to ``newest``.

    Shared by model, bundle and Day One files.

    Parameters
    ----------
    document : dict
        The file's top-level object.
    newest : int
        The newest format version this clvmodel reads.
    fail : callable
        Called with the problem in words; it raises the file's :class:`ModelFileError`.

    Returns
    -------
    int
        The version.
    """
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        fail("'format_version' is missing or not an integer")
    if version < 1:
        fail(f"'format_version' is {version}, but versions start at 1")
    if version > newest:
        fail(
            f"it was written in format version {version}, newer than this clvmodel reads "
            f"({newest}); upgrade clvmodel"
        )
    return version


#: The fields a model file may hold (:meth:`MaximumLikelihoodModel.to_dict`), and those of its
#: ``fit`` section (:func:`clvmodel.models._fit_section.fit_section`). A field this clvmodel does
#: not know is refused, not skipped: one added by a later version (as ``covariate_levels`` was)
#: would otherwise be dropped without a word, and predictions made without it.
_MODEL_KEYS = ("format", "format_version", "model", "clvmodel_version", "time_unit", "params",
               "settings", "fit", "covariate_levels", BOOTSTRAP_KEY)  # fmt: skip
_FIT_KEYS = ("log_likelihood", "n_customers", "n_distinct_rows", "n_iterations",
             "standard_errors", "covariance", RANGES_KEY)  # fmt: skip


def refuse_unknown_keys(section: dict, known, where: str, fail) -> None:
    """Call ``fail`` naming the keys of ``section`` not in ``known``, if any.

    Shared by model, bundle and Day One files.

    Parameters
    ----------
    section : dict
        An object of the file.
    known : collection of str
        The keys it may have.
    where : str
        The object in words ("the top level", "the 'fit' section").
    fail : callable
        Called with the problem in words; it raises the file's :class:`ModelFileError`.
    """
    unknown = sorted(map(str, set(section) - set(known)))
    if unknown:
        fail(
            f"{where} has the unknown field(s) {unknown} (it may hold {sorted(known)}); it was "
            "edited by hand or written by a newer clvmodel, whose fields this one would ignore: "
            "upgrade clvmodel, or remove them"
        )


def bundle_metadata_problem(metadata: dict, time_unit: str | None) -> str | None:
    """What is wrong with the fields of a bundle's metadata that clvmodel reads, or None.

    ``time_unit`` (read by ``clvmodel plan`` when the purchase model records none) must be one
    of clvmodel's and agree with the purchase model's ``time_unit``; ``observation_end`` (which
    ``clvmodel score`` compares, as text, with the end it scores to) a date ``YYYY-MM-DD...``.

    Parameters
    ----------
    metadata : dict
        The metadata as the file holds it (dates as ISO 8601 text).
    time_unit : str or None
        The purchase model's time unit.

    Returns
    -------
    str or None
    """
    unit, end = metadata.get("time_unit"), metadata.get("observation_end")
    if unit is not None and not (isinstance(unit, str) and unit in TIME_UNITS):
        return f"'time_unit' is {unit!r}, not one of {sorted(TIME_UNITS)} (or null)"
    if unit is not None and time_unit is not None and unit != time_unit:
        return (
            f"'time_unit' is {unit!r} but the purchase model (bg) was fitted in time unit "
            f"{time_unit!r}"
        )
    if end is not None:
        try:
            if not (isinstance(end, str) and re.match(r"\d{4}-\d\d-\d\d(?!\d)", end)):
                raise ValueError
            dt.date.fromisoformat(end[:10])
        except ValueError:
            return f"'observation_end' is {end!r}, not a date YYYY-MM-DD (or null)"
    return None


def _file_models() -> dict:
    """The registry's models that a file can hold: not the abstract bases (PurchaseModel,
    ContractualModel), which have no parameters and would load as models that cannot predict."""
    return {name: cls for name, cls in REGISTRY.items() if cls.param_names}


def _kind_in_words(cls) -> str:
    from clvmodel.models._contractual import ContractualModel
    from clvmodel.models.base import PurchaseModel
    from clvmodel.models.gamma_gamma import GammaGammaModel

    label = getattr(cls, "label", None) or cls.__name__
    if issubclass(cls, PurchaseModel):
        return f"a purchase model ({label})"
    if issubclass(cls, ContractualModel):
        return f"a subscription model ({label})"
    if issubclass(cls, GammaGammaModel):
        return "a spend model (Gamma-Gamma)"
    return f"a {label} model"


def describe_document(document) -> tuple[str, str] | None:
    """What a model file holds, in words, and the Python call that loads it.

    Parameters
    ----------
    document : object
        The file's parsed JSON.

    Returns
    -------
    (str, str) or None
        For example ``("a Day One model", "clvmodel.DayOneModel.load(path)")`` or
        ``("a subscription model (sBG)", "clvmodel.load_model(path)")``; None when the document
        is not one of clvmodel's model files.
    """
    if not isinstance(document, dict):
        return None
    kind = document.get("format")
    if kind == "clvmodel-models":
        words = "a bundle of models (a purchase model and its spend model, if any)"
        return words, "clvmodel.load_models(path)"
    if kind == "clvmodel-dayone":
        return "a Day One model", "clvmodel.DayOneModel.load(path)"
    name = document.get("model")
    cls = _file_models().get(name) if kind == FORMAT_NAME and isinstance(name, str) else None
    return None if cls is None else (_kind_in_words(cls), "clvmodel.load_model(path)")


def describe_model_file(path: str | os.PathLike) -> tuple[str, str] | None:
    """What the model file at ``path`` holds, in words, and the Python call that loads it.

    Parameters
    ----------
    path : str or path-like
        A JSON file.

    Returns
    -------
    (str, str) or None
        As :func:`describe_document`; None also when the file cannot be read (its loader then
        says why).
    """
    try:
        document, _ = read_json_document(path)
    except ModelFileError:
        return None
    return describe_document(document)


def model_from_document(document, source: str, expected=None):
    def fail(problem: str):
        raise ModelFileError(f"{source} is not a valid clvmodel model file: {problem}.")

    if not isinstance(document, dict):
        fail("the top level is not a JSON object")
    if document.get("format") != FORMAT_NAME:
        described = describe_document(document)
        if described is not None:  # a models file or a Day One model: say so, and its loader
            raise ModelFileError(f"{source} holds {described[0]}; load it with {described[1]}.")
        fail(f"'format' is {document.get('format')!r}, expected {FORMAT_NAME!r}")
    check_format_version(document, FORMAT_VERSION, fail)
    refuse_unknown_keys(document, _MODEL_KEYS, "the top level", fail)
    kind = document.get("model")
    cls = _file_models().get(kind) if isinstance(kind, str) else None
    if cls is None:
        fail(f"unknown model {kind!r}; known models are {sorted(_file_models())}")
    if expected is not None and not issubclass(cls, expected):
        fail(f"it holds a {kind}, not a {expected.__name__}")
    settings = document.get("settings")
    settings = {} if settings is None else settings
    if not isinstance(settings, dict):  # not [] or "" read as no settings
        fail(f"'settings' is not an object (it is {settings!r}); give setting names and values")
    if set(settings) - set(cls._setting_names):
        fail(f"unknown setting(s) {sorted(set(settings) - set(cls._setting_names))}")
    check_fit_settings(settings.get("max_iter", 1), settings.get("tol", 1.0), fail)
    for name, value in settings.items():  # the others name covariate columns (one, or a list)
        if name not in ("max_iter", "tol") and not (
            isinstance(value, str)
            or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        ):
            fail(f"setting {name!r} = {value!r} is not a list of column names")
    try:
        # The settings fix the parameter names (for example one coefficient per covariate).
        template = cls(**settings)
    except (TypeError, ValueError) as exc:
        fail(str(exc).rstrip("."))
    names, free = template.param_names, set(template.unconstrained_params)
    params = document.get("params")
    if not isinstance(params, dict) or set(params) != set(names):
        fail(f"'params' must have exactly the keys {list(names)}")
    for name, value in params.items():
        if not finite_number(value):
            kind = "finite" if name in free else "positive finite"
            fail(f"parameter {name!r} = {value!r} is not a {kind} number")
        if name not in free and value <= 0:
            fail(f"parameter {name!r} = {value!r} is not a positive finite number")
    time_unit = document.get("time_unit")
    # Subscription models keep their billing period ("M", "W", "Y") here.
    units = getattr(cls, "time_units", TIME_UNITS)
    if time_unit is not None and (not isinstance(time_unit, str) or time_unit not in units):
        fail(f"'time_unit' is {time_unit!r}, expected one of {sorted(units)} or null")
    try:
        model = cls.from_params(params, time_unit=time_unit, **settings)
    except (TypeError, ValueError) as exc:
        fail(str(exc).rstrip("."))
    fit = document.get("fit")
    if isinstance(fit, dict):
        refuse_unknown_keys(fit, _FIT_KEYS, "the 'fit' section", fail)
    if fit is not None:
        read_fit(fit, model, fail)
    levels = document.get("covariate_levels")
    if levels is not None:
        model.covariate_levels_ = _covariate_levels(levels, names, fail)
    if document.get(BOOTSTRAP_KEY) is not None:
        model.bootstrap_params_ = read_bootstrap(document[BOOTSTRAP_KEY], model, fail)
    return model


def _covariate_levels(levels, names, fail) -> dict[str, list[str]]:
    """The levels of the text columns behind indicator covariates ("plan=premium"), as the
    command line records them (the first the baseline), checked: an object mapping each column
    to two or more distinct texts, holding the level of each indicator of that column."""
    if not isinstance(levels, dict) or not levels:
        fail("'covariate_levels' is not an object mapping columns to their levels")
    for column, known in levels.items():
        if (
            not isinstance(known, list)
            or len(known) < 2
            or not all(isinstance(level, str) for level in known)
            or len(set(known)) != len(known)
        ):
            fail(f"'covariate_levels' of {column!r} is not a list of two or more distinct texts")
    indicated = {column: set() for column in levels}  # the levels with an indicator covariate
    for name in names:
        column, _, level = name.partition(":")[2].partition("=")
        if level and column in levels and level not in levels[column]:
            fail(f"covariate {name!r} has a level missing from 'covariate_levels' of {column!r}")
        if level and column in levels:
            indicated[column].add(level)
    # Scoring sets each indicator to (text == its level): a recorded level without one would be
    # scored as the baseline, whatever its effect; the baseline itself has none.
    for column, known in levels.items():
        others = [level for level in known[1:] if level not in indicated[column]]
        if not indicated[column] or known[0] in indicated[column] or others:
            fail(
                f"'covariate_levels' of {column!r} is {known!r} but the model's indicators of "
                f"{column!r} are for {sorted(indicated[column])}: the first level is the "
                "baseline, without an indicator, and every other level has one"
            )
    return {column: list(known) for column, known in levels.items()}


class _RepeatedKeyError(ValueError):
    """A JSON object that gives one key twice (``json`` would keep the last silently)."""


def _unique_keys(pairs) -> dict:
    document = {}
    for key, value in pairs:
        if key in document:
            raise _RepeatedKeyError(key)
        document[key] = value
    return document


def read_json_document(path: str | os.PathLike):
    """Parse a JSON file, turning every failure into a :class:`ModelFileError` (a ``path`` that
    is not one, such as None, an :class:`~clvmodel.InputError`)."""
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise InputError(
            f"path must be the model file's path (text or a pathlib.Path), not {path!r}."
        )
    location = Path(path)
    try:
        text = location.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelFileError(f"model file {str(location)!r} does not exist.") from None
    except UnicodeDecodeError:  # a pickle (lifetimes' save_model), Parquet, a spreadsheet
        raise ModelFileError(
            f"model file {str(location)!r} is not a text file, so not one clvmodel writes (JSON, "
            "never a pickle); give the .json file saved by model.save, ModelBundle.save or "
            "clvmodel fit."
        ) from None
    except (OSError, ValueError) as exc:  # ValueError: a path holding a NUL character
        raise ModelFileError(f"cannot read model file {str(location)!r}: {exc}.") from None
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys)
    except _RepeatedKeyError as exc:
        raise ModelFileError(
            f"model file {str(location)!r} gives the key {exc.args[0]!r} twice in one object, so "
            "it is not clear which value holds; it may have been edited by hand."
        ) from None
    except (ValueError, RecursionError) as exc:  # ValueError: also a number of over 4300 digits
        if isinstance(exc, json.JSONDecodeError):
            where = f" (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        else:
            where = f" ({str(exc).partition(':')[0]})" if isinstance(exc, ValueError) else ""
        raise ModelFileError(
            f"model file {str(location)!r} is not valid JSON{where}; it may be truncated or "
            "edited by hand."
        ) from None
    return document, repr(str(location))


def load_model(path: str | os.PathLike):
    """Load a model saved with ``model.save(path)``.

    Parameters
    ----------
    path : str or path-like
        A JSON file written by :meth:`MaximumLikelihoodModel.save`.

    Returns
    -------
    BetaGeoModel or GammaGammaModel
        The model, ready to predict.

    Raises
    ------
    ModelFileError
        The file is missing, not JSON, of an unknown format or version, or holds invalid
        parameters. A file written by ``clvmodel fit`` holds several models: load it with
        :func:`clvmodel.load_models`.
    """
    document, source = read_json_document(path)
    if isinstance(document, dict) and document.get("format") in (
        "clvmodel-models",
        "clvmodel-dayone",
    ):
        words, loader = describe_document(document)
        raise ModelFileError(f"{source} holds {words}, not a single model; load it with {loader}.")
    return model_from_document(document, source)
