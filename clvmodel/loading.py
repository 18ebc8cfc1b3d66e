"""One loader for every clvmodel file: a single model, a bundle of models, or a Day One model."""

from __future__ import annotations

import os

from clvmodel.dayone import DAYONE_FORMAT, DayOneModel
from clvmodel.errors import ModelFileError
from clvmodel.models._fit import FORMAT_NAME
from clvmodel.models._persistence import model_from_document, read_json_document
from clvmodel.models.bundle import BUNDLE_FORMAT, bundle_from_document

__all__ = ["load"]


def load(path: str | os.PathLike):
    """Load any file clvmodel writes, whatever its kind, validated on load (no pickle).

    Parameters
    ----------
    path : str or path-like
        A JSON file written by ``model.save`` (any model: BG/NBD, MBG/NBD, Pareto/NBD,
        Gamma-Gamma, sBG, beta-discrete-Weibull, BG/BB), ``ModelBundle.save`` or ``clvmodel fit``
        (a bundle), or ``DayOneModel.save`` / ``clvmodel dayone-fit``.

    Returns
    -------
    model, ModelBundle or DayOneModel
        What the file holds.

    Raises
    ------
    ModelFileError
        The file is missing, not JSON, of an unknown kind or version, or invalid.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import clvmodel as clv
    >>> bg = clv.BetaGeoModel.from_params({"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43})
    >>> path = bg.save(pathlib.Path(tempfile.mkdtemp()) / "bg.json")
    >>> clv.load(path)
    BetaGeoModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
    """
    document, source = read_json_document(path)
    kind = document.get("format") if isinstance(document, dict) else None
    if kind == BUNDLE_FORMAT:
        return bundle_from_document(document, source)
    if kind == DAYONE_FORMAT:
        return DayOneModel.from_dict(document, source)
    if kind == FORMAT_NAME:
        return model_from_document(document, source)
    found = "has no 'format' field" if kind is None else f"has the 'format' {kind!r}"
    raise ModelFileError(
        f"{source} is not a clvmodel file (a model, a bundle of models or a Day One model, as "
        f"clvmodel saves them): it {found}."
    )
