"""Risk tiers: labels, cut points (thresholds or quantiles) and the tier of each churn risk."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from clvmodel.errors import InputError

#: Tier labels of :func:`churn_risk`, from the lowest risk to the highest.
DEFAULT_TIERS: tuple[str, ...] = ("low", "medium", "high")
#: Churn-risk thresholds between the default tiers: low below 0.5, high from 0.8.
DEFAULT_THRESHOLDS: tuple[float, ...] = (0.5, 0.8)


#: One-dimensional containers taken as sequences (labels from a column, cut points from numpy).
_ARRAYS = (np.ndarray, pd.Index, pd.Series)


def _labels(tiers, n_tiers: int | None = None) -> tuple[str, ...]:
    if isinstance(tiers, _ARRAYS) and np.ndim(tiers) == 1:
        tiers = list(tiers)
    if isinstance(tiers, str) or not isinstance(tiers, Sequence):
        raise InputError(
            f"tiers must be a sequence of labels from the lowest risk to the highest, such as "
            f"('low', 'medium', 'high'); got {tiers!r}."
        )
    labels = tuple(tiers)
    if len(labels) < 2:
        raise InputError(f"tiers needs at least two labels to separate risks, got {labels!r}.")
    if not all(isinstance(label, str) and label.strip() for label in labels):
        raise InputError(f"tier labels must be non-empty strings, got {labels!r}.")
    if len(set(labels)) != len(labels):
        raise InputError(f"tier labels must be different from each other, got {labels!r}.")
    if n_tiers is not None and len(labels) != n_tiers:
        raise InputError(
            f"{len(labels)} tier labels {list(labels)} for {n_tiers} tiers; give one label per "
            "tier, from the lowest risk to the highest."
        )
    return tuple(str(label) for label in labels)  # plain text (numpy's str_ from an array)


def _increasing_fractions(name: str, values, example: str) -> tuple[float, ...]:
    if isinstance(values, _ARRAYS) and np.ndim(values) == 1:
        values = list(values)
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InputError(
            f"{name} must be a sequence of fractions such as {example}, got {values!r}."
        )
    try:
        numbers = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise InputError(f"{name} must hold numbers, such as {example}; got {values!r}.") from None
    if not numbers:
        raise InputError(f"{name} is empty; give at least one cut, such as {example}.")
    if not all(math.isfinite(v) and 0.0 < v < 1.0 for v in numbers):
        hint = " (fractions: 0.5 for 50 %)" if any(v >= 1 for v in numbers) else ""
        raise InputError(f"{name} must lie strictly between 0 and 1{hint}; got {list(values)}.")
    if any(b <= a for a, b in zip(numbers, numbers[1:], strict=False)):
        raise InputError(f"{name} must increase strictly, such as {example}; got {list(values)}.")
    return numbers


def _tier_rule(
    risk: np.ndarray, tiers, thresholds, quantiles, increases=None
) -> tuple[tuple[str, ...], np.ndarray, dict[str, Any]]:
    """Labels, cut points and a description of how the tiers were drawn; ``increases`` (the
    plan's, one per tier) when they, not the caller's ``tiers=``, set the number of labels."""
    if thresholds is not None and quantiles is not None:
        raise InputError(
            "give thresholds= (fixed churn-risk cut points) or quantiles= (shares of customers), "
            "not both."
        )
    if quantiles is not None:
        quantiles = _increasing_fractions("quantiles", quantiles, "(1/3, 2/3)")
        # The linear quantile of the sorted values does not depend on the row order.
        cuts = np.quantile(risk, quantiles)
        rule = {"tier_rule": "quantiles", "quantiles": list(quantiles)}
    else:
        if thresholds is None:
            labels = _labels(tiers)
            if len(labels) != len(DEFAULT_THRESHOLDS) + 1:
                raise InputError(
                    f"{len(labels)} tiers {list(labels)} need {len(labels) - 1} cut point(s): pass "
                    "thresholds= (churn risks, e.g. (0.5, 0.8)) or quantiles= (e.g. (1/3, 2/3))."
                )
            thresholds = DEFAULT_THRESHOLDS
        thresholds = _increasing_fractions("thresholds", thresholds, "(0.5, 0.8)")
        cuts = np.asarray(thresholds, dtype="float64")
        rule = {"tier_rule": "thresholds", "thresholds": list(thresholds)}
    labels = _labels(tiers)
    if len(labels) != len(cuts) + 1:  # name what set each count, not only the labels
        name = rule["tier_rule"]
        made = f"{name}={list(rule[name])} make {len(cuts) + 1} tiers, but"
        if increases is not None:
            raise InputError(
                f"{made} increases= gives {len(labels)} {_shown(increases)}; give one increase per "
                f"tier, from the lowest risk to the highest, or {len(labels) - 1} cut point(s)."
            )
        default = " (the default)" if labels == DEFAULT_TIERS else ""
        raise InputError(
            f"{made} tiers= has {len(labels)} labels {list(labels)}{default}; give one label per "
            f"tier, from the lowest risk to the highest, or {len(labels) - 1} cut point(s)."
        )
    rule["tier_cuts"] = [float(c) for c in cuts]
    return labels, cuts, rule


def _shown(increases) -> list | dict:
    """The increases as a message shows them: a mapping with its tiers, else a list."""
    return dict(increases) if isinstance(increases, Mapping) else list(increases)


def risk_tiers(
    risk, tiers: Sequence[str] = DEFAULT_TIERS, thresholds=None, quantiles=None
) -> tuple[pd.Categorical, dict[str, Any]]:
    """Sort churn risks into labelled tiers, by thresholds or quantiles, as :func:`churn_risk`.

    Parameters
    ----------
    risk : array_like
        Churn risks in [0, 1], from any model.
    tiers, thresholds, quantiles
        As in :func:`churn_risk`.

    Returns
    -------
    tiers : pandas.Categorical
        Ordered, lowest risk first.
    rule : dict
        ``tier_rule``, ``thresholds`` or ``quantiles``, ``tier_cuts`` and ``tiers``, for ``attrs``.
    """
    risk = check_risks(risk, "risk")
    labels, cuts, rule = _tier_rule(risk, tiers, thresholds, quantiles)
    return _assign_tiers(risk, labels, cuts), {**rule, "tiers": list(labels)}


def check_risks(risk, name: str, fix: str = "") -> np.ndarray:
    """Churn risks as a 1-D float array, refused (naming ``name``) when empty, not numbers,
    missing or outside [0, 1].

    Parameters
    ----------
    risk : array_like
        The churn risks.
    name : str
        The argument or column they came from, for the message.
    fix : str
        A sentence telling how to make valid risks, added to the message.

    Returns
    -------
    numpy.ndarray
        The risks as floats.
    """
    if np.ndim(risk) != 1:
        raise InputError(f"{name} must be one churn risk per customer (one-dimensional).")
    try:
        values = np.asarray(pd.to_numeric(np.ravel(risk), errors="coerce"), dtype="float64")
    except (TypeError, ValueError):
        raise InputError(f"{name} must be churn risks in [0, 1], got {risk!r}.") from None
    if values.size == 0:
        raise InputError(f"{name} is empty: there are no churn risks to sort into tiers.")
    bad = ~np.isfinite(values) | (values < 0) | (values > 1)
    if bad.any():
        shown = np.ravel(risk)[bad][:3].tolist()
        hint = " (0.5, not 50, for 50 %)" if (values[bad] > 1).any() else ""
        raise InputError(
            f"{int(bad.sum())} {name} value(s) are missing or outside [0, 1] (for example "
            f"{shown}); churn risk is a probability{hint}.{' ' + fix if fix else ''}"
        )
    return values


def _assign_tiers(risk: np.ndarray, labels: tuple[str, ...], cuts: np.ndarray) -> pd.Categorical:
    # Tier k holds risks in [cut_{k-1}, cut_k): a customer exactly at a cut goes to the higher-risk
    # tier (the smaller increase). The tier is a function of the risk value alone, so equal risks
    # share a tier whatever the row order.
    codes = np.searchsorted(cuts, risk, side="right")
    return pd.Categorical.from_codes(codes, categories=list(labels), ordered=True)


def default_tier_labels(n_tiers: int) -> tuple[str, ...]:
    """The tier names used when none are given: low/medium/high, low/high, else "tier k".

    Parameters
    ----------
    n_tiers : int
        The number of tiers.

    Returns
    -------
    tuple of str
        One name per tier, lowest risk first.
    """
    if n_tiers == len(DEFAULT_TIERS):
        return DEFAULT_TIERS
    if n_tiers == 2:
        return ("low", "high")
    return tuple(f"tier {k}" for k in range(1, n_tiers + 1))
