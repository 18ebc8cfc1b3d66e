"""Several fitted models in one versioned JSON file: what ``clvmodel fit`` writes.

A bundle holds a purchase model (BG/NBD, MBG/NBD or Pareto/NBD), optionally the Gamma-Gamma
model, the inputs of the naive CLV formula measured on the same data (average order value,
purchases per customer per year), and how the data were read (columns, time unit, observation
end). Like single models it is plain JSON, validated on load, never a pickle.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clvmodel._files import write_text_atomically
from clvmodel.errors import ClvError, InputError, ModelFileError
from clvmodel.models._bundle_checks import json_metadata, naive_problem
from clvmodel.models._persistence import (
    _kind_in_words,
    bundle_metadata_problem,
    check_format_version,
    describe_document,
    model_from_document,
    read_json_document,
    refuse_unknown_keys,
)
from clvmodel.models.base import PurchaseModel
from clvmodel.models.gamma_gamma import GammaGammaModel

__all__ = [
    "BUNDLE_FORMAT",
    "ModelBundle",
    "bundle_from_document",
    "fit_bundle",
    "foreign_document",
    "foreign_file",
    "load_models",
    "purchase_model",
]

BUNDLE_FORMAT = "clvmodel-models"
BUNDLE_VERSION = 1
_BUNDLE_KEYS = ("format", "format_version", "clvmodel_version", "models", "naive", "metadata")


@dataclass
class ModelBundle:
    """A purchase model, an optional Gamma-Gamma model, and what the naive formula needs.

    Attributes
    ----------
    bg : PurchaseModel
        The purchase model (BG/NBD, MBG/NBD or Pareto/NBD; the attribute keeps its first name).
    gg : GammaGammaModel or None
    naive : dict or None
        ``average_order_value`` and ``purchases_per_year`` measured on the fitting data.
    metadata : dict
        How the data were read (column names, time unit, observation end, counts): text,
        numbers, dates (saved as ISO 8601 text) and lists or dicts of those.
    """

    bg: PurchaseModel
    gg: GammaGammaModel | None = None
    naive: dict[str, float] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        problem = _kinds_problem(self.bg, self.gg)
        if problem:
            raise InputError(
                f"a bundle of models {problem}; save a model of another kind on its own with "
                "model.save(path)."
            )
        problem = naive_problem(self.naive)  # refused now, not when its file is loaded
        if problem:
            raise InputError(
                f"a bundle's {problem}: naive holds the naive formula's average order value and "
                "purchases per customer per year, each a finite number ≥ 0 (or naive=None)."
            )
        problem = bundle_metadata_problem(
            json_metadata(self.metadata), getattr(self.bg, "time_unit_", None)
        )
        if problem:  # refused now, not when saved (or when its file is loaded)
            raise InputError(f"a bundle's metadata {problem}.")

    def naive_clv(self, years: float, margin: float = 1.0) -> float | None:
        """Naive CLV over ``years``: average order value × purchases per year × years × margin."""
        if not self.naive:
            return None
        return self.naive["average_order_value"] * self.naive["purchases_per_year"] * years * margin

    def to_dict(self) -> dict[str, Any]:
        """The bundle as a JSON-ready dictionary (what :meth:`save` writes)."""
        from clvmodel._version import __version__

        return {
            "format": BUNDLE_FORMAT,
            "format_version": BUNDLE_VERSION,
            "clvmodel_version": __version__,
            "models": {
                "bg": self.bg.to_dict(),
                "gg": None if self.gg is None else self.gg.to_dict(),
            },
            "naive": self.naive,
            "metadata": json_metadata(self.metadata),  # dates as ISO text, numpy numbers plain
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the bundle as JSON, atomically."""
        return write_text_atomically(path, json.dumps(self.to_dict(), indent=2) + "\n")


#: What a bundle's purchase model may be, in words.
_PURCHASE_WORDS = "a purchase model (BG/NBD, MBG/NBD or Pareto/NBD)"


def _in_words(model) -> str:
    """What ``model`` is, in plain terms ("a BG/BB model", "a spend model (Gamma-Gamma)")."""
    if callable(getattr(model, "to_dict", None)) and hasattr(type(model), "param_names"):
        return _kind_in_words(type(model))
    return "nothing" if model is None else f"a {type(model).__name__}"


def _kinds_problem(bg, gg) -> str | None:
    """What is wrong with the kinds of a bundle's models, in words, or None."""
    if not isinstance(bg, PurchaseModel):
        return f"holds {_in_words(bg)}, not {_PURCHASE_WORDS}, as its purchase model (bg)"
    if gg is not None and not isinstance(gg, GammaGammaModel):
        return f"holds {_in_words(gg)}, not a spend model (Gamma-Gamma), as its spend model (gg)"
    return None


def fit_bundle(
    histories, spends=None, naive_inputs=None, metadata=None, model="bgnbd"
) -> ModelBundle:
    """Fit the models of a bundle from aggregated data, whatever engine aggregated it.

    The DuckDB engine (``clvmodel fit``) and the Spark engine (:func:`clvmodel.spark.fit`) both
    reduce the customers to counts first; this fits the same models from those counts, so the two
    give the same parameters.

    Parameters
    ----------
    histories : pandas.DataFrame
        Distinct ``frequency``, ``recency``, ``T`` rows with ``customers``, the number of customers
        with each history; ``attrs["time_unit"]`` names the time unit.
    spends : pandas.DataFrame, optional
        Distinct ``frequency``, ``monetary_value`` rows of repeat buyers with ``customers``; no
        Gamma-Gamma model without it (or with fewer than two repeat buyers).
    naive_inputs : mapping, optional
        ``customers``, ``orders`` (purchase days), ``revenue`` and ``years`` observed, for the
        naive formula's average order value and purchases per customer per year.
    metadata : mapping, optional
        Stored as is (column names, observation end, counts).
    model : str or PurchaseModel
        The purchase model: a short name (``"bgnbd"``, ``"mbgnbd"``, ``"pnbd"``), an unfitted
        model object, or ``"auto"``: fit each of the three and keep the one with the lowest BIC
        (the choice and the table behind it are stored in ``metadata["model_choice"]``).

    Returns
    -------
    ModelBundle
    """
    time_unit = histories.attrs.get("time_unit")
    # Rows in a fixed order: the fit's warm start samples rows, and engines return them unordered.
    histories = histories.sort_values(["frequency", "recency", "T"], ignore_index=True)
    histories.attrs["time_unit"] = time_unit
    weights = histories["customers"].to_numpy()
    metadata = dict(metadata or {})
    if isinstance(model, str) and model.lower() == "auto":
        bg, metadata["model_choice"] = _choose_by_bic(histories, weights)
    else:
        bg = purchase_model(model).fit(histories, weights=weights)
    gg = None
    if spends is not None and spends["customers"].sum() >= 2:
        spends = spends.sort_values(["frequency", "monetary_value"], ignore_index=True)
        gg = GammaGammaModel().fit(spends, weights=spends["customers"].to_numpy())
    naive = None
    if naive_inputs is not None:
        naive = {
            "average_order_value": naive_inputs["revenue"] / naive_inputs["orders"],
            "purchases_per_year": naive_inputs["orders"]
            / naive_inputs["customers"]
            / naive_inputs["years"],
        }
    return ModelBundle(bg=bg, gg=gg, naive=naive, metadata=metadata)


def purchase_model(model) -> PurchaseModel:
    """The unfitted purchase model that ``model`` names, for :func:`fit_bundle`.

    Parameters
    ----------
    model : str or PurchaseModel
        A short name (``"bgnbd"``, ``"mbgnbd"``, ``"pnbd"``, any case) or a model object, returned
        as it is.

    Returns
    -------
    PurchaseModel

    Raises
    ------
    InputError
        An unknown name, a model class instead of an object, or a model of another kind (BG/BB,
        Gamma-Gamma, a subscription model), saying which.
    """
    from clvmodel.models import PURCHASE_MODELS  # the registry imports this module

    if isinstance(model, PurchaseModel):
        return model
    if isinstance(model, type) and issubclass(model, PurchaseModel):
        raise InputError(
            f"model={model.__name__} is a class; pass a model object, {model.__name__}(), or a "
            f"short name from {sorted(PURCHASE_MODELS)} or 'auto'."
        )
    if hasattr(type(model), "param_names"):  # another kind of model: say which
        raise InputError(
            f"model={type(model).__name__}() is {_in_words(model)}, not {_PURCHASE_WORDS}; "
            f"choose from {sorted(PURCHASE_MODELS)} or 'auto', or pass one of those models."
        )
    key = str(model).lower()
    if key not in PURCHASE_MODELS:
        raise InputError(
            f"unknown purchase model {model!r}; choose from {sorted(PURCHASE_MODELS)} or 'auto'."
        )
    return PURCHASE_MODELS[key]()


def _choose_by_bic(histories, weights) -> tuple[PurchaseModel, dict]:
    """Fit every registered purchase model; keep the lowest BIC = k ln N − 2 ln L."""
    from clvmodel.models import PURCHASE_MODELS

    rows, best = [], None
    for name, cls in PURCHASE_MODELS.items():
        row = {"model": name, "label": cls.label}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                candidate = cls().fit(histories, weights=weights)
        except ClvError as exc:
            rows.append({**row, "bic": None, "note": f"fit failed: {exc}"})
            continue
        k = len(candidate.param_names)
        bic = k * math.log(candidate.n_customers_) - 2.0 * candidate.log_likelihood_
        rows.append({**row, "log_likelihood": candidate.log_likelihood_, "bic": bic, "note": ""})
        if best is None or bic < best[1]:
            best = (candidate, bic, name)
    if best is None:
        raise InputError("no purchase model could be fitted: " + "; ".join(r["note"] for r in rows))
    return best[0], {"rule": "lowest BIC", "chosen": best[2], "candidates": rows}


def bundle_from_document(document, source: str) -> ModelBundle:
    """Rebuild a bundle from its JSON document, validating every field."""

    def fail(problem: str):
        raise ModelFileError(f"{source} is not a valid clvmodel models file: {problem}.")

    if not isinstance(document, dict) or document.get("format") != BUNDLE_FORMAT:
        fail(f"'format' is not {BUNDLE_FORMAT!r}")
    check_format_version(document, BUNDLE_VERSION, fail)
    refuse_unknown_keys(document, _BUNDLE_KEYS, "the top level", fail)
    models = document.get("models")
    if not isinstance(models, dict) or "bg" not in models:
        fail("'models' must hold a 'bg' model")
    if set(models) - {"bg", "gg"}:  # a model under another name would be left out unseen
        fail(
            f"'models' holds {sorted(set(models) - {'bg', 'gg'})}; it may hold only 'bg' (the "
            "purchase model) and 'gg' (the spend model, or null)"
        )
    bg = model_from_document(models["bg"], f"{source} (bg)")
    gg = None
    if models.get("gg") is not None:
        gg = model_from_document(models["gg"], f"{source} (gg)")
    problem = _kinds_problem(bg, gg)
    if problem:  # written before ModelBundle checked its models
        raise ModelFileError(
            f"{source} is a bundle of models that {problem}: no clvmodel command takes it; in "
            "Python, save that model on its own with model.save(path) and load it with "
            "clvmodel.load_model(path)."
        )
    naive = document.get("naive")
    problem = naive_problem(naive)
    if problem:
        fail(problem)
    metadata = document.get("metadata")
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict):  # not [] or "" read as no metadata
        fail(f"'metadata' is not an object (it is {metadata!r})")
    problem = bundle_metadata_problem(metadata, bg.time_unit_)
    if problem:
        fail(f"its metadata {problem}")
    return ModelBundle(bg=bg, gg=gg, naive=naive, metadata=metadata)


def load_models(path: str | os.PathLike) -> ModelBundle:
    """Load a models file written by ``clvmodel fit`` or :meth:`ModelBundle.save`.

    A single-model file (``model.save(path)``) is accepted too and becomes a bundle with that one
    purchase model.

    Parameters
    ----------
    path : str or path-like
        A JSON file holding a bundle of models or one purchase model (BG/NBD, MBG/NBD or
        Pareto/NBD).

    Returns
    -------
    ModelBundle

    Raises
    ------
    ModelFileError
        The file is missing, not JSON, not a clvmodel file, of an unknown version, invalid, or
        holds another kind of model (:func:`clvmodel.load` loads every kind).
    """
    document, source = read_json_document(path)
    if isinstance(document, dict) and document.get("format") == BUNDLE_FORMAT:
        return bundle_from_document(document, source)
    foreign = foreign_document(document)
    if foreign is not None:
        raise ModelFileError(
            f"{source} is not a clvmodel file: {foreign}; load_models reads a bundle of models "
            "saved with ModelBundle.save, or one saved BG/NBD, MBG/NBD or Pareto/NBD model."
        )
    model = model_from_document(document, source)
    if not isinstance(model, PurchaseModel):
        # The words before "; load it with clvmodel.load(path)" are those the command line
        # turns into the command that takes the file (clvmodel.cli._guard.cli_words).
        words = describe_document(document)[0]
        raise ModelFileError(
            f"{source} holds {words}, not purchase models (a bundle of models, or one BG/NBD, "
            "MBG/NBD or Pareto/NBD model); load it with clvmodel.load(path)."
        )
    return ModelBundle(bg=model)


_JSON_KINDS = {list: "a list", str: "a string", bool: "true or false", type(None): "null"}


def foreign_document(document) -> str | None:
    """What a JSON document that clvmodel did not write seems to be, in words.

    Parameters
    ----------
    document : object
        A file's parsed JSON.

    Returns
    -------
    str or None
        For example ``"it is JSON in another format ('x')"``; None when the document says it is
        one of clvmodel's files (whose loader names any field at fault).
    """
    if not isinstance(document, dict):
        return f"it is JSON, but {_JSON_KINDS.get(type(document), 'a number')}, not an object"
    kind = document.get("format")
    if kind is None:
        return "it is JSON without the format name that clvmodel writes into its files"
    if isinstance(kind, str) and kind.startswith("clvmodel-"):
        return None
    return f"it is JSON in another format ({kind!r})"


def foreign_file(path: str | os.PathLike) -> str | None:
    """What the file at ``path`` seems to be when clvmodel did not write it, in words.

    Parameters
    ----------
    path : str or path-like
        The file given as a model file.

    Returns
    -------
    str or None
        ``"it is not valid JSON (line 1, column 1: Expecting value), ..."``, ``"it is not a
        text file, ..."`` or as :func:`foreign_document`; None when the file is one of
        clvmodel's, or is missing or unreadable (its loader then says why).
    """
    try:
        document = json.loads(Path(path).read_bytes())
    except OSError:
        return None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
        return f"it is not valid JSON ({where}), perhaps cut short or edited by hand"
    except UnicodeDecodeError:
        return "it is not a text file, let alone JSON"
    except (ValueError, RecursionError):  # JSON beyond what Python reads: the loader says so
        return None
    return foreign_document(document)
