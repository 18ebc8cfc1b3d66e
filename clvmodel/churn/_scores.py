"""Checks of a churn-scores table, its tiers in risk order, and the per-tier table: shared by
:mod:`clvmodel.churn` and :mod:`clvmodel.plotting.churn`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.churn.tiers import _labels, check_risks
from clvmodel.errors import InputError

__all__ = ["check_scores", "refuse_repeated_ids", "tier_table", "tiers_of"]

_RECOMPUTE = "Recompute the scores with clv.churn_risk."


def refuse_repeated_ids(index: pd.Index, what: str) -> None:
    """An InputError naming the customer ids that ``index`` lists more than once."""
    if index.has_duplicates:
        repeated = index[index.duplicated()].unique()
        shown = ", ".join(map(str, repeated[:5])) + (" ..." if len(repeated) > 5 else "")
        raise InputError(
            f"{what} lists {len(repeated)} customer id(s) more than once ({shown}); give one row "
            "per customer (each would otherwise be counted and planned twice)."
        )


def check_scores(scores, need_tier: bool, bounds: bool = False) -> pd.DataFrame:
    """The scores of :func:`~clvmodel.churn_risk`, checked, with numeric columns as floats (and,
    with ``bounds``, the interval columns a plan sums)."""
    if not isinstance(scores, pd.DataFrame):
        raise InputError(
            f"scores must be the DataFrame from clv.churn_risk(...), got {type(scores).__name__}."
        )
    needed = ["churn_risk"] + (["tier"] if need_tier else [])
    missing = [c for c in needed if c not in scores.columns]
    if missing:
        fix = (
            "make the scores with clv.churn_risk(bg, data, horizon, ...)"
            if "churn_risk" in missing
            else "make them with clv.churn_risk(...), or pass thresholds= or quantiles= to draw "
            "tiers here"
        )
        raise InputError(
            f"the scores have no column {', '.join(map(repr, missing))}; they have "
            f"{list(map(str, scores.columns))}. {fix[0].upper()}{fix[1:]}."
        )
    if len(scores) == 0:
        raise InputError("the scores table is empty: there are no customers to plan for.")
    refuse_repeated_ids(scores.index, "the scores table")
    numeric = {"churn_risk": check_risks(scores["churn_risk"], "churn_risk", _RECOMPUTE)}
    for name in ("predicted_clv", "expected_purchases"):
        if name in scores.columns:
            # Scores read back from a CSV may hold text; compare and sum them as numbers.
            numeric[name] = pd.to_numeric(scores[name], errors="coerce").to_numpy(dtype="float64")
    for name, fix in (
        ("predicted_clv", "clv.churn_risk(..., gg=spend_model)"),
        ("expected_purchases", "clv.churn_risk"),
    ):
        if name in numeric:
            values = numeric[name]
            bad = ~np.isfinite(values) | (values < 0)
            if bad.any():
                raise InputError(
                    f"{int(bad.sum())} {name} value(s) are missing, infinite or negative; "
                    f"recompute the scores with {fix}."
                )
    if bounds:
        numeric.update(_interval_bounds(scores, numeric))
    if any(scores[name].dtype != "float64" for name in numeric):
        scores = scores.assign(**numeric)
    return scores


#: The interval columns of churn_risk(..., interval=) that the plan sums, by their estimate.
_BOUNDS = {"churn_risk": ("churn_risk_lower", "churn_risk_upper"),
           "predicted_clv": ("clv_lower", "clv_upper")}  # fmt: skip


def _interval_bounds(scores: pd.DataFrame, numeric: dict) -> dict:
    """The bounds of each estimate that has both, as floats: every customer's present, lower
    first, or an InputError (a stage's range sums them; a missing one, as scores joined
    with scores made without ``interval=`` leave, would drop out of the sum)."""
    bounds = {}
    for estimate, (low, high) in _BOUNDS.items():
        if estimate not in numeric or not {low, high} <= set(scores.columns):
            continue
        for name in (low, high):
            bounds[name] = pd.to_numeric(scores[name], errors="coerce").to_numpy(dtype="float64")
            bad = int((~np.isfinite(bounds[name])).sum())
            if bad:
                raise InputError(
                    f"{bad} customer(s) have no {name} (missing or not a number), as when scores "
                    "made with and without interval= are joined; score every customer with one "
                    "clv.churn_risk(..., interval=) call, or drop the interval columns."
                )
        swapped = bounds[low] > bounds[high]
        if swapped.any():
            raise InputError(
                f"{int(swapped.sum())} customer(s) have {low} above {high}; give the lower bound "
                "first, or recompute the scores with clv.churn_risk(..., interval=)."
            )
    return bounds


def tiers_of(scores: pd.DataFrame, tiers) -> tuple[pd.Categorical, tuple[str, ...]]:
    """The scores' tier column as an ordered categorical, lowest risk first, checked for order."""
    column = scores["tier"]
    if column.isna().any():
        raise InputError(
            f"{int(column.isna().sum())} customer(s) have no tier; recompute the scores with "
            "clv.churn_risk, or pass thresholds= or quantiles=."
        )
    present = list(pd.unique(column.astype(str)))
    if isinstance(column.dtype, pd.CategoricalDtype):
        present = [str(c) for c in column.cat.categories if str(c) in present]
    if tiers is not None:
        labels = _labels(tiers)
        unknown = [t for t in present if t not in labels]
        if unknown:
            raise InputError(
                f"the scores have tier(s) {unknown} that are not in tiers={list(labels)}; list "
                "every tier of the scores, from the lowest risk to the highest."
            )
        if isinstance(column.dtype, pd.CategoricalDtype):
            extra = [t for t in labels if t not in map(str, column.cat.categories)]
            if extra:
                raise InputError(
                    f"unknown tier(s) {extra}: the scores' tiers are "
                    f"{list(map(str, column.cat.categories))}. Use those names, or re-tier with "
                    "thresholds= or quantiles=."
                )
    elif isinstance(column.dtype, pd.CategoricalDtype) and column.cat.ordered:
        labels = tuple(map(str, column.cat.categories))
    else:
        # Plain labels (e.g. read back from a file): order them by the risk they hold.
        lowest = scores.groupby(column.astype(str), sort=False)["churn_risk"].min()
        labels = tuple(lowest.sort_values(kind="stable").index)
    categorical = pd.Categorical(column.astype(str), categories=list(labels), ordered=True)
    risk = scores["churn_risk"].to_numpy(dtype="float64")
    previous_max, previous_label = -np.inf, None
    for code, label in enumerate(labels):
        members = risk[categorical.codes == code]
        if members.size == 0:
            continue
        if members.min() <= previous_max:
            raise InputError(
                f"tier {label!r} holds a churn risk of {members.min():.4g}, not above the highest "
                f"risk of the lower tier {previous_label!r} ({previous_max:.4g}); tiers must be "
                "listed from the lowest risk to the highest and must not overlap (equal risks "
                "share a tier). Re-tier with thresholds= or quantiles=."
            )
        previous_max, previous_label = members.max(), label
    return categorical, labels


def tier_table(scores, categorical, labels) -> pd.DataFrame:
    """Customers, churn risk and value per tier (every tier listed, lowest risk first)."""
    frame = pd.DataFrame({"tier": categorical, "risk": scores["churn_risk"].to_numpy(float)})
    has_value = "predicted_clv" in scores.columns
    if has_value:
        frame["value"] = scores["predicted_clv"].to_numpy(float)
    grouped = frame.groupby("tier", observed=False, sort=True)
    table = pd.DataFrame(
        {
            "customers": grouped.size().astype("int64"),
            "share_of_customers": grouped.size() / len(frame),
            "mean_churn_risk": grouped["risk"].mean(),
            "min_churn_risk": grouped["risk"].min(),
            "max_churn_risk": grouped["risk"].max(),
        }
    )
    if has_value:
        total = frame["value"].sum()
        table["total_predicted_clv"] = grouped["value"].sum()
        table["share_of_value"] = table["total_predicted_clv"] / total if total > 0 else 0.0
    table.index = pd.CategoricalIndex(list(labels), categories=list(labels), ordered=True)
    table.index.name = "tier"
    return table
