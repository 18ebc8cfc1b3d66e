"""What a bundle of models may hold besides its models: the naive formula's inputs, and metadata
a JSON file can store (dates and numpy numbers converted on the way)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from clvmodel.errors import InputError
from clvmodel.models._persistence import finite_number

__all__ = ["json_metadata", "naive_problem"]

#: Values JSON stores as they are (a float NaN or infinity as Python's json module writes it).
_PLAIN = (str, int, float, bool, type(None))


def naive_problem(naive) -> str | None:
    """What is wrong with a bundle's naive-formula inputs, in words, or None (None is fine).

    Parameters
    ----------
    naive : dict or None
        ``average_order_value`` and ``purchases_per_year``.

    Returns
    -------
    str or None
    """
    if naive is None:
        return None
    keys = ("average_order_value", "purchases_per_year")
    if not isinstance(naive, dict) or not set(keys) <= set(naive):
        return f"'naive' must have {sorted(keys)}"
    for key in keys:
        value = naive[key]
        if not isinstance(value, int | float) or isinstance(value, bool):
            return f"naive {key!r} is not a number"
        if not (finite_number(value) and value >= 0):
            return f"naive {key!r} = {value!r} is not a finite number ≥ 0"
    return None


def json_metadata(metadata) -> dict[str, Any]:
    """A bundle's metadata as JSON can store it, the caller's dictionary left as it is.

    Dates and times (``datetime``, ``date``, ``pandas.Timestamp``, ``numpy.datetime64``) become
    ISO 8601 text (a missing one, ``NaT``, None), numpy numbers Python numbers, numpy arrays and
    tuples lists, paths text; text, numbers, booleans, None, lists and dictionaries stay.

    Parameters
    ----------
    metadata : mapping or None
        The bundle's metadata (None: none).

    Returns
    -------
    dict

    Raises
    ------
    InputError
        ``metadata`` is not a mapping, or holds a value of another kind (a Decimal, a DataFrame),
        which the message names by its key.
    """
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InputError(
            f"metadata must be a dict of names to values, not a {type(metadata).__name__}."
        )
    return _converted(metadata, "metadata")


def _converted(value, where: str):
    """``value`` as JSON stores it; ``where`` names it in the message of a value it cannot."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, _PLAIN):  # JSON keys are text (numbers become text)
                raise InputError(
                    f"{where} has a key of type {type(key).__name__} ({key!r}); a models file "
                    "(JSON) keys its metadata by text: use text keys."
                )
            out[key] = _converted(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, list | tuple | np.ndarray):
        return [_converted(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if value is pd.NaT or (isinstance(value, np.datetime64) and np.isnat(value)):
        return None
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):  # pandas.Timestamp is a datetime
        return value.isoformat()
    if isinstance(value, np.generic) and not isinstance(value, np.str_ | np.bytes_):
        return _converted(value.item(), where)  # numpy bool, integer, floating → Python
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, _PLAIN):
        return value
    raise InputError(
        f"{where} is a {type(value).__name__}, which a models file (JSON) cannot store; give it "
        "as text, a number, a date, or a list or dict of those."
    )
