"""Signup attributes → covariates: standardised numeric attributes and 0/1 level indicators.

The encoding is learnt on the fitting customers and stored with the model, so that new signups
are encoded exactly as the customers the model learnt from: numeric attributes (optionally
log(1 + value) first) are standardised with the fitting customers' mean and standard deviation,
categorical attributes become one 0/1 indicator per level other than a baseline level.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from clvmodel.dayone._checks import (
    EXAMPLES,
    categorical_column,
    check_frame,
    examples,
    names,
    numeric_column,
    require_columns,
)
from clvmodel.errors import ClvWarning, InputError


def check_attribute_lists(numeric, categorical, log, baselines):
    """``numeric``, ``categorical`` and ``log`` as lists of names and ``baselines`` as a dict,
    checked against each other (see :class:`~clvmodel.DayOneModel`)."""
    numeric = names(numeric, "numeric")
    categorical = names(categorical, "categorical")
    log = names(log, "log")
    both = sorted(set(numeric) & set(categorical))
    if both:
        raise InputError(f"{both} are listed as both numeric and categorical; choose one.")
    stray = sorted(set(log) - set(numeric))
    if stray:
        raise InputError(f"log= names {stray}, which are not in numeric=; add them there.")
    baselines = dict(baselines or {})
    stray = sorted(set(baselines) - set(categorical))
    if stray:
        raise InputError(
            f"baselines= names {stray}, which are not categorical attributes ({categorical})."
        )
    return numeric, categorical, log, baselines


def numeric_values(frame: pd.DataFrame, name: str, what: str, log: list[str]) -> np.ndarray:
    """A numeric attribute on the scale it enters the model: log(1 + value) when in ``log``."""
    values = numeric_column(frame, name, what)
    if name in log:
        negative = values < 0
        if negative.any():
            raise InputError(
                f"attribute {name!r} in {what} is entered as log(1 + value) but has "
                f"{int(negative.sum())} negative value(s) (for example "
                f"{examples(values[negative])}); fix them or remove {name!r} from log=."
            )
        values = np.log1p(values)
    return values


def _numeric_entry(attributes: pd.DataFrame, name: str, log: list[str]) -> dict[str, Any]:
    values = numeric_values(attributes, name, "the attributes", log)
    sd = float(values.std())
    if not sd > 0:
        raise InputError(
            f"attribute {name!r} is constant ({values[0]:g} for every customer), so its "
            "effect cannot be estimated; drop it."
        )
    return {"name": name, "log": name in log, "mean": float(values.mean()), "sd": sd}


def _categorical_entry(attributes: pd.DataFrame, name: str, baseline) -> dict[str, Any]:
    values = categorical_column(attributes, name, "the attributes")
    levels, counts = np.unique(values, return_counts=True)
    if levels.size < 2:
        raise InputError(
            f"categorical attribute {name!r} has a single level ({levels[0]!r}) among the "
            "fitting customers, so its effect cannot be estimated; drop it."
        )
    if baseline is None:
        baseline = str(levels[np.argmax(counts)])
    elif str(baseline) not in set(levels):
        raise InputError(
            f"baseline {baseline!r} of {name!r} is not one of its levels "
            f"{levels.tolist()[:20]}; choose one of them."
        )
    return {"name": name, "levels": [str(v) for v in levels], "baseline": str(baseline)}


def learn_encoding(
    attributes: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    log: list[str],
    baselines: dict,
) -> dict[str, Any]:
    """The encoding of the fitting customers' attributes.

    Parameters
    ----------
    attributes : pandas.DataFrame
        The fitting customers' signup attributes.
    numeric, categorical, log : list of str
        As in :class:`~clvmodel.DayOneModel`.
    baselines : dict
        Baseline level per categorical attribute; by default its most frequent level (ties broken
        by sorted order).

    Returns
    -------
    dict
        ``numeric``: per attribute ``name``, ``log``, ``mean`` and ``sd`` (on the entered scale);
        ``categorical``: per attribute ``name``, sorted ``levels`` and ``baseline``.
    """
    return {
        "numeric": [_numeric_entry(attributes, name, log) for name in numeric],
        "categorical": [
            _categorical_entry(attributes, name, baselines.get(name)) for name in categorical
        ],
    }


def design_columns(encoding: dict[str, Any]) -> list[str]:
    """Names of the encoded covariates: numeric attributes by name, then one ``attribute=level``
    indicator per non-baseline level."""
    columns = [entry["name"] for entry in encoding["numeric"]]
    for entry in encoding["categorical"]:
        columns += [f"{entry['name']}={lv}" for lv in entry["levels"] if lv != entry["baseline"]]
    return columns


def _indicators(entry: dict[str, Any], attributes: pd.DataFrame, unknown: str, columns) -> None:
    name, levels, baseline = entry["name"], entry["levels"], entry["baseline"]
    values = categorical_column(attributes, name, "the signup attributes")
    new = ~np.isin(values, levels)
    if new.any():
        seen = sorted(set(values[new]))
        if unknown == "error":
            raise InputError(
                f"categorical attribute {name!r} has level(s) {seen[:EXAMPLES]} that the "
                f"model never saw ({int(new.sum())} customer(s)); it knows {levels[:20]}. "
                "Map them to a known level, or pass unknown='baseline' (--unknown "
                f"baseline on the command line) to score them as the baseline {baseline!r}."
            )
        # stacklevel 5: the caller of DayOneModel.predict (predict → encode → encode_attributes)
        warnings.warn(
            f"{int(new.sum())} customer(s) have a level of {name!r} the model never saw "
            f"({seen[:EXAMPLES]}); they are scored as the baseline level {baseline!r}.",
            ClvWarning,
            stacklevel=5,
        )
    for level in levels:
        if level != baseline:
            columns[f"{name}={level}"] = (values == level).astype("float64")


def encode_attributes(
    encoding: dict[str, Any],
    attributes: pd.DataFrame,
    required: list[str],
    log: list[str],
    unknown: str = "error",
) -> pd.DataFrame:
    """Encode signup attributes with a learnt encoding (see :meth:`DayOneModel.encode`).

    Parameters
    ----------
    encoding : dict
        From :func:`learn_encoding`.
    attributes : pandas.DataFrame
        One row per customer.
    required : list of str
        The attributes ``attributes`` must have.
    log : list of str
        Numeric attributes entered as log(1 + value).
    unknown : {"error", "baseline"}
        What to do with a categorical level not seen when fitting.

    Returns
    -------
    pandas.DataFrame
        The :func:`design_columns`, indexed like ``attributes``.
    """
    if unknown not in ("error", "baseline"):
        raise InputError(f"unknown= must be 'error' or 'baseline', got {unknown!r}.")
    attributes = check_frame(attributes, "the signup attributes")
    require_columns(attributes, required, "the signup attributes")
    columns: dict[str, np.ndarray] = {}
    for entry in encoding["numeric"]:
        values = numeric_values(attributes, entry["name"], "the signup attributes", log)
        columns[entry["name"]] = (values - entry["mean"]) / entry["sd"]
    for entry in encoding["categorical"]:
        _indicators(entry, attributes, unknown, columns)
    return pd.DataFrame(columns, index=attributes.index, columns=design_columns(encoding))
