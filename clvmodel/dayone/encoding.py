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

from clvmodel._caller import outside_stacklevel
from clvmodel.dayone._checks import (
    EXAMPLES,
    categorical_column,
    check_frame,
    date_examples,
    examples,
    level_keys,
    level_text,
    names,
    numeric_column,
    require_columns,
)
from clvmodel.errors import ClvWarning, InputError, ModelFileError
from clvmodel.models._covariate_ranges import far_outside, warn_far_outside
from clvmodel.models._persistence import finite_number


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


def numeric_values(
    frame: pd.DataFrame, name: str, what: str, log: list[str], *, fitting: bool = True
) -> np.ndarray:
    """A numeric attribute on the scale it enters the model: log(1 + value) when in ``log``
    (``fitting`` as in :func:`~clvmodel.dayone._checks.numeric_column`)."""
    values = numeric_column(frame, name, what, fitting=fitting)
    if name in log:
        negative = values < 0
        if negative.any():
            fix = (
                f"fix them, or take {name!r} out of log= to enter it as it is"
                if fitting
                else "the model was fitted with it that way, so fix them"
            )
            raise InputError(
                f"attribute {name!r} in {what} is entered as log(1 + value) but has "
                f"{int(negative.sum())} negative value(s) (for example "
                f"{examples(values[negative])}); {fix}."
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


#: Most levels a categorical attribute may have: each level but the baseline is a covariate of
#: each process, so more would leave their effects unestimable and the fit slow.
MAX_LEVELS = 50


def _categorical_entry(attributes: pd.DataFrame, name: str, baseline) -> dict[str, Any]:
    values = categorical_column(attributes, name, "the attributes")
    levels, counts = np.unique(values, return_counts=True)
    if levels.size > MAX_LEVELS:
        raise InputError(too_many_levels(attributes[name], name, levels))
    if levels.size < 2:
        raise InputError(
            f"categorical attribute {name!r} has a single level ({levels[0]!r}) among the "
            "fitting customers, so its effect cannot be estimated; drop it."
        )
    warn_rare_levels(name, levels, counts)
    if baseline is None:
        baseline = str(levels[np.argmax(counts)])
    elif level_text(baseline) in set(levels):
        baseline = level_text(baseline)
    else:
        raise InputError(
            f"baseline {baseline!r} of {name!r} is not one of its levels "
            f"({', '.join(map(repr, levels.tolist()[:20]))}); choose one of them."
        )
    return {"name": name, "levels": [str(v) for v in levels], "baseline": str(baseline)}


#: Fewest fitting customers a categorical level needs for its effects not to be warned about: a
#: level of one customer gets coefficients with standard errors in the thousands, or more.
MIN_LEVEL_CUSTOMERS = 10


def warn_rare_levels(name: str, levels: np.ndarray, counts: np.ndarray) -> None:
    """Warn (:class:`~clvmodel.ClvWarning`) when levels of categorical attribute ``name`` have
    fewer than :data:`MIN_LEVEL_CUSTOMERS` fitting customers: their effects are then barely
    estimable, and the predictions of signups at that level rest on a handful of customers."""
    rare = counts < MIN_LEVEL_CUSTOMERS
    if rare.any():
        shown = examples(
            [
                f"{str(level)!r} ({count})"
                for level, count in zip(levels[rare], counts[rare], strict=True)
            ]
        )
        warnings.warn(
            f"categorical attribute {name!r} has {int(rare.sum())} level(s) with fewer than "
            f"{MIN_LEVEL_CUSTOMERS} fitting customers ({shown}): their effects rest on so few "
            "customers that signups at those levels get unreliable predictions. Group rare levels "
            "(as 'other', say) before fitting.",
            ClvWarning,
            stacklevel=outside_stacklevel(),
        )


def too_many_levels(column: pd.Series, name: str, levels) -> str:
    """The message refusing categorical attribute ``name`` (values ``column``) for having more
    than :data:`MAX_LEVELS` ``levels``, naming dates as dates."""
    dates = date_examples(column)
    if dates is not None:
        return (
            f"attribute {name!r} holds dates ({len(levels):,} distinct, for example "
            f"{', '.join(dates)}), which would make {len(levels):,} categorical levels; enter it "
            "as a number instead, such as whole weeks since the first signup (the signup_week "
            "of clvmodel.dayone.first_purchase_attributes), or as a coarse category such as the "
            "signup month."
        )
    return (
        f"categorical attribute {name!r} has {len(levels):,} levels (for example "
        f"{', '.join(map(str, levels[:EXAMPLES]))} ...), "
        f"more than the {MAX_LEVELS} a Day One model takes: each level but the baseline is a "
        "covariate of its own, so that many make the fit slow and rest each effect on few "
        f"customers. Group the rare levels (as 'other', say) to at most {MAX_LEVELS}, or enter "
        "the attribute as a number."
    )


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
    keys = level_keys(levels)
    new = ~np.isin(values, keys)
    if new.any():
        seen = examples(sorted(set(values[new])), quoted=True)
        if unknown == "error":
            raise InputError(
                f"categorical attribute {name!r} has level(s) {seen} that the "
                f"model never saw ({int(new.sum())} customer(s)); it knows "
                f"{', '.join(map(repr, levels[:20]))}. "
                "Map them to a known level, or pass unknown='baseline' to score them as the "
                f"baseline {baseline!r}."
            )
        warnings.warn(
            f"{int(new.sum())} customer(s) have a level of {name!r} the model never saw "
            f"({seen}); they are scored as the baseline level {baseline!r}.",
            ClvWarning,
            stacklevel=outside_stacklevel(),
        )
    for level, key in zip(levels, keys, strict=True):
        if level != baseline:
            columns[f"{name}={level}"] = (values == key).astype("float64")


def encode_attributes(
    encoding: dict[str, Any],
    attributes: pd.DataFrame,
    required: list[str],
    log: list[str],
    unknown: str = "error",
    ranges: dict[str, list[float]] | None = None,
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
    ranges : dict, optional
        From :func:`learn_ranges`: a :class:`~clvmodel.ClvWarning` names the numeric attributes
        with values far outside them (see :func:`warn_signups_far_outside`); ``None`` (a model file
        written before ranges were stored) checks nothing.

    Returns
    -------
    pandas.DataFrame
        The :func:`design_columns`, indexed like ``attributes``.
    """
    if unknown not in ("error", "baseline"):
        raise InputError(f"unknown= must be 'error' or 'baseline', got {unknown!r}.")
    attributes = check_frame(attributes, "the signup attributes")
    require_columns(attributes, required, "the signup attributes", fitting=False)
    columns: dict[str, np.ndarray] = {}
    for entry in encoding["numeric"]:
        name = entry["name"]
        values = numeric_values(attributes, name, "the signup attributes", log, fitting=False)
        if ranges and name in ranges:
            warn_signups_far_outside(name, values, ranges[name], entry["log"])
        columns[name] = (values - entry["mean"]) / entry["sd"]
    for entry in encoding["categorical"]:
        _indicators(entry, attributes, unknown, columns)
    return pd.DataFrame(columns, index=attributes.index, columns=design_columns(encoding))


# ----------------------------------------------------------------------------------------------
# The fitting customers' range of each numeric attribute, and signups far outside it

#: Key of the ranges in a Day One model file (absent in files written before they were stored).
RANGES_KEY = "attribute_ranges"


def learn_ranges(attributes: pd.DataFrame, numeric: list[str]) -> dict[str, dict[str, float]]:
    """The smallest and largest value of each numeric attribute among the fitting customers, on
    its original scale: ``{name: {"min": ..., "max": ...}}``."""
    ranges = {}
    for name in numeric:
        values = numeric_column(attributes, name, "the attributes")
        ranges[name] = {"min": float(values.min()), "max": float(values.max())}
    return ranges


def warn_signups_far_outside(name: str, values: np.ndarray, bounds: dict, log: bool) -> None:
    """Warn when signups have ``name`` far outside the fitting customers' range.

    Far means beyond the smallest or largest fitting value by more than the whole width of the
    fitting range, measured on the scale the attribute enters the model (log(1 + value) for a
    ``log`` attribute, where ``values`` already are), and for an attribute positive for every
    fitting customer also on the log scale, by at least a factor 10 (see
    :mod:`clvmodel.models._covariate_ranges`): the covariate's effect, exp(γ·z), is then
    extrapolated by more than all the variation the model learnt from, so the prediction rests
    on the functional form alone.

    Parameters
    ----------
    name : str
        The attribute.
    values : numpy.ndarray
        The signups' values on the entered scale.
    bounds : dict
        ``min`` and ``max`` on the original scale, from :func:`learn_ranges`.
    log : bool
        Whether the attribute enters as log(1 + value).
    """
    low, high = bounds["min"], bounds["max"]
    entered_low, entered_high = (np.log1p(low), np.log1p(high)) if log else (low, high)
    far = far_outside(values, entered_low, entered_high, log_scale=not log)
    original = np.expm1(values) if log else values
    warn_far_outside(name, far, original, low, high, who="signups")


def ranges_document(model) -> dict[str, Any]:
    """A :class:`~clvmodel.DayOneModel`'s ranges as the extra key of its model file (nothing for
    a model read from an older file, which has none)."""
    ranges = getattr(model, "attribute_ranges_", None)
    return {} if ranges is None else {RANGES_KEY: ranges}


def read_ranges(model, document: dict, source: str = "Day One model document"):
    """``model`` (just read from ``document`` by :mod:`~clvmodel.dayone.persistence`) with the
    ranges stored in ``document``, checked, as ``model.attribute_ranges_``; ``None`` when the
    file has none (an older file: predictions are then not checked against ranges).

    Raises
    ------
    ModelFileError
        The ranges are not one ``{"min": ..., "max": ...}`` of finite numbers, min ≤ max, per
        numeric attribute.
    """
    model.attribute_ranges_ = None
    if RANGES_KEY not in document:
        return model
    ranges, numeric = document[RANGES_KEY], model.numeric
    problem = None
    if not isinstance(ranges, dict) or sorted(ranges) != sorted(numeric):
        problem = f"must give the range of each numeric attribute {numeric}"
    else:
        for name, bounds in ranges.items():
            if not (
                isinstance(bounds, dict)
                and set(bounds) == {"min", "max"}
                and all(finite_number(v) for v in bounds.values())
                and bounds["min"] <= bounds["max"]
            ):
                problem = f"the range of {name!r} needs finite numbers min ≤ max"
                break
    if problem is not None:
        raise ModelFileError(
            f"{source} is not a valid Day One model file: {RANGES_KEY!r} {problem}."
        )
    model.attribute_ranges_ = {
        name: {k: float(v) for k, v in bounds.items()} for name, bounds in ranges.items()
    }
    return model
