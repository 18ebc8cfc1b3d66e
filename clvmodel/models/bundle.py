"""Several fitted models in one versioned JSON file: what ``clvmodel fit`` writes.

A bundle holds the BG/NBD model, optionally the Gamma-Gamma model, the inputs of the naive CLV
formula measured on the same data (average order value, purchases per customer per year), and how
the data were read (columns, time unit, observation end). Like single models it is plain JSON,
validated on load, never a pickle.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clvmodel._files import write_text_atomically
from clvmodel.errors import ModelFileError
from clvmodel.models._fit import _model_from_document, _read_json
from clvmodel.models.beta_geo import BetaGeoModel
from clvmodel.models.gamma_gamma import GammaGammaModel

__all__ = ["BUNDLE_FORMAT", "ModelBundle", "fit_bundle", "load_models"]

BUNDLE_FORMAT = "clvmodel-models"
BUNDLE_VERSION = 1


@dataclass
class ModelBundle:
    """A BG/NBD model, an optional Gamma-Gamma model, and what the naive formula needs.

    Attributes
    ----------
    bg : BetaGeoModel
    gg : GammaGammaModel or None
    naive : dict or None
        ``average_order_value`` and ``purchases_per_year`` measured on the fitting data.
    metadata : dict
        How the data were read (column names, time unit, observation end, counts).
    """

    bg: BetaGeoModel
    gg: GammaGammaModel | None = None
    naive: dict[str, float] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def naive_clv(self, years: float, margin: float = 1.0) -> float | None:
        """Naive CLV over ``years``: average order value × purchases per year × years × margin."""
        if not self.naive:
            return None
        return self.naive["average_order_value"] * self.naive["purchases_per_year"] * years * margin

    def to_dict(self) -> dict[str, Any]:
        """The bundle as a JSON-ready dictionary (what :meth:`save` writes)."""
        from clvmodel import __version__

        return {
            "format": BUNDLE_FORMAT,
            "format_version": BUNDLE_VERSION,
            "clvmodel_version": __version__,
            "models": {
                "bg": self.bg.to_dict(),
                "gg": None if self.gg is None else self.gg.to_dict(),
            },
            "naive": self.naive,
            "metadata": self.metadata,
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the bundle as JSON, atomically."""
        return write_text_atomically(path, json.dumps(self.to_dict(), indent=2) + "\n")


def fit_bundle(histories, spends=None, naive_inputs=None, metadata=None) -> ModelBundle:
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

    Returns
    -------
    ModelBundle
    """
    time_unit = histories.attrs.get("time_unit")
    # Rows in a fixed order: the fit's warm start samples rows, and engines return them unordered.
    histories = histories.sort_values(["frequency", "recency", "T"], ignore_index=True)
    histories.attrs["time_unit"] = time_unit
    bg = BetaGeoModel().fit(histories, weights=histories["customers"].to_numpy())
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
    return ModelBundle(bg=bg, gg=gg, naive=naive, metadata=dict(metadata or {}))


def _bundle_from_document(document, source: str) -> ModelBundle:
    def fail(problem: str):
        raise ModelFileError(f"{source} is not a valid clvmodel models file: {problem}.")

    if not isinstance(document, dict) or document.get("format") != BUNDLE_FORMAT:
        fail(f"'format' is not {BUNDLE_FORMAT!r}")
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        fail("'format_version' is missing or not a positive integer")
    if version > BUNDLE_VERSION:
        fail(f"format version {version} is newer than this clvmodel reads; upgrade clvmodel")
    models = document.get("models")
    if not isinstance(models, dict) or "bg" not in models:
        fail("'models' must hold a 'bg' model")
    bg = _model_from_document(models["bg"], f"{source} (bg)", expected=BetaGeoModel)
    gg = None
    if models.get("gg") is not None:
        gg = _model_from_document(models["gg"], f"{source} (gg)", expected=GammaGammaModel)
    naive = document.get("naive")
    if naive is not None:
        keys = {"average_order_value", "purchases_per_year"}
        if not isinstance(naive, dict) or not keys <= set(naive):
            fail(f"'naive' must have {sorted(keys)}")
        for key in keys:
            value = naive[key]
            if not isinstance(value, int | float) or isinstance(value, bool):
                fail(f"naive {key!r} is not a number")
            if not (math.isfinite(value) and value >= 0):
                fail(f"naive {key!r} = {value!r} is not a finite number ≥ 0")
    metadata = document.get("metadata") or {}
    if not isinstance(metadata, dict):
        fail("'metadata' is not an object")
    return ModelBundle(bg=bg, gg=gg, naive=naive, metadata=metadata)


def load_models(path: str | os.PathLike) -> ModelBundle:
    """Load a models file written by ``clvmodel fit`` or :meth:`ModelBundle.save`.

    A single-model file (``model.save(path)``) is accepted too and becomes a bundle with that one
    BG/NBD model.

    Raises
    ------
    ModelFileError
        The file is missing, not JSON, of an unknown format or version, or invalid.
    """
    document, source = _read_json(path)
    if isinstance(document, dict) and document.get("format") == BUNDLE_FORMAT:
        return _bundle_from_document(document, source)
    model = _model_from_document(document, source)
    if not isinstance(model, BetaGeoModel):
        raise ModelFileError(
            f"{source} holds a {type(model).__name__}; scoring needs a BG/NBD model (write one "
            "with `clvmodel fit`)."
        )
    return ModelBundle(bg=model)
