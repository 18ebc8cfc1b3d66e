"""Churn-risk scores and a staged price-increase plan.

A price increase is safest for the customers least likely to leave. :func:`churn_risk` scores
every customer with the BG/NBD probability of making **no purchase within a horizon**, given their
history, and sorts them into labelled risk tiers; :func:`price_increase_plan` turns the tiers
into stages (lowest risk first, with the largest increase; the highest-risk tier at 0 % by
default) and reports the value at stake and the break-even extra churn of each stage.

Why not 1 − P(alive)? In BG/NBD a customer can only drop out right after a repeat purchase, so every
customer without one has P(alive) = 1 however long ago they bought, and 1 − P(alive) ranks them as
the *safest* customers although they are the least likely to buy again. On the CDNOW sample
(39-week calibration and holdout) 1 − P(alive) has a ROC AUC of about 0.32 against "no purchase in
the holdout", worse than chance; the probability of no purchase in the next 39 weeks has about 0.76.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clvmodel.errors import ClvWarning, InputError, StatisticalWarning
from clvmodel.rfm import TIME_UNITS, validate_rfm
from clvmodel.value import _model_unit, _period_days, check_models, customer_lifetime_value

__all__ = [
    "DEFAULT_THRESHOLDS",
    "DEFAULT_TIERS",
    "PriceIncreasePlan",
    "churn_risk",
    "churn_tier_summary",
    "price_increase_plan",
    "risk_tiers",
]

#: Tier labels of :func:`churn_risk`, from the lowest risk to the highest.
DEFAULT_TIERS: tuple[str, ...] = ("low", "medium", "high")
#: Churn-risk thresholds between the default tiers: low below 0.5, high from 0.8.
DEFAULT_THRESHOLDS: tuple[float, ...] = (0.5, 0.8)

_SCORES = ("no_purchase", "not_alive")
_UNIT_NAMES = {"D": "days", "W": "weeks"}


# --------------------------------------------------------------------------------------------------
# Tiers
def _labels(tiers, n_tiers: int | None = None) -> tuple[str, ...]:
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
    return labels


def _increasing_fractions(name: str, values, example: str) -> tuple[float, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray):
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
    risk: np.ndarray, tiers, thresholds, quantiles
) -> tuple[tuple[str, ...], np.ndarray, dict[str, Any]]:
    """Labels, cut points and a description of how the tiers were drawn."""
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
    labels = _labels(tiers, len(cuts) + 1)
    rule["tier_cuts"] = [float(c) for c in cuts]
    return labels, cuts, rule


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
    risk = np.asarray(risk, dtype="float64")
    labels, cuts, rule = _tier_rule(risk, tiers, thresholds, quantiles)
    return _assign_tiers(risk, labels, cuts), {**rule, "tiers": list(labels)}


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


# --------------------------------------------------------------------------------------------------
# Scores
def _positive(name: str, value, high: float = 1e6) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number of time units, got {value!r}.") from None
    if not (math.isfinite(number) and 0.0 < number <= high):
        raise InputError(f"{name} must be a positive, finite number of time units, got {value!r}.")
    return number


def churn_risk(
    bg,
    data,
    horizon: float,
    gg=None,
    *,
    tiers: Sequence[str] = DEFAULT_TIERS,
    thresholds: Sequence[float] | None = None,
    quantiles: Sequence[float] | None = None,
    score: str = "no_purchase",
    clv_horizon: float | None = None,
    time_unit: str | None = None,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    interval: float | None = None,
) -> pd.DataFrame:
    """Per-customer churn risk, P(alive), expected purchases and value, in labelled risk tiers.

    Parameters
    ----------
    bg : PurchaseModel
        Fitted purchase model: BG/NBD, MBG/NBD or Pareto/NBD, with or without covariates.
    data : pandas.DataFrame
        RFM table (``frequency``, ``recency``, ``T``, and ``monetary_value`` with ``gg``, and the
        covariate columns of a covariate model).
    horizon : float
        Window of the churn risk, in the model's time unit (weeks for a model fitted on
        ``time_unit="W"``): churn risk is the probability of no purchase in the next ``horizon``.
    gg : GammaGammaModel, optional
        Spend model; adds ``predicted_clv`` from :func:`clvmodel.customer_lifetime_value`.
    tiers : sequence of str
        Tier labels from the lowest risk to the highest.
    thresholds : sequence of float, optional
        Churn-risk cut points between tiers (fractions, increasing): with the default tiers and
        neither ``thresholds`` nor ``quantiles`` given, ``(0.5, 0.8)``.
    quantiles : sequence of float, optional
        Cut tiers at these quantiles of the churn risk instead, e.g. ``(1/3, 2/3)``.
    score : {"no_purchase", "not_alive"}
        ``"no_purchase"`` (default): P(no purchase in the next ``horizon`` | history).
        ``"not_alive"``: 1 − P(alive), kept for comparison only; it ranks customers badly (see
        Notes).
    clv_horizon : float, optional
        How far ahead ``predicted_clv`` counts, in periods of ``time_unit``; defaults to
        ``horizon``, converted to those periods.
    time_unit : {"D", "W", "M", "Y"}, optional
        Period of the CLV (defaults to the model's unit), as in
        :func:`clvmodel.customer_lifetime_value`.
    interval : float, optional
        Add confidence intervals at this level (e.g. 0.9) from parameter uncertainty:
        ``churn_risk_lower``/``_upper``, ``probability_alive_lower``/``_upper``,
        ``expected_purchases_lower``/``_upper`` and, with ``gg``, ``clv_lower``/``_upper`` (see
        ``PurchaseModel.predict``). Tiers are assigned from the point estimates.
    discount_rate, margin : float
        Annual discount rate and profit margin of the CLV, as in
        :func:`clvmodel.customer_lifetime_value`. Keep ``margin=1`` (revenue) for
        :func:`price_increase_plan` unless you mean profit; the plan reads it from the scores.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``data``: ``frequency``, ``recency``, ``T``, ``churn_risk``,
        ``probability_alive``, ``expected_purchases`` (in the horizon), ``predicted_clv`` (with
        ``gg``) and ``tier`` (an ordered categorical, lowest risk first). ``attrs`` records the
        horizon, time unit, score, tier labels and cut points (``tier_cuts``) and the CLV settings.

    Notes
    -----
    In BG/NBD (Fader, Hardie and Lee 2005) a customer who is alive at T makes no purchase in
    (T, T + t] with probability ((α + T)/(α + T + t))^(r + x), the Poisson zero term averaged over
    the posterior Gamma(r + x, α + T) of λ; an alive customer can drop out only at a purchase, so
    no purchase also means still alive. Hence

        P(no purchase in (T, T + t] | x, t_x, T)
            = 1 − P(alive) · (1 − ((α + T)/(α + T + t))^(r + x)),

    with P(alive) from eq. (13) (:meth:`BetaGeoModel.probability_no_purchase`). P(alive) is reported
    beside it, but it is not a churn score: the model gives every customer without a repeat purchase
    P(alive) = 1, so 1 − P(alive) ranks long-silent one-time buyers as the safest customers.

    Tiers: tier k holds the risks in [cut_{k−1}, cut_k); a customer exactly at a cut belongs to the
    higher-risk tier. Quantile cuts are linear quantiles of the risks, which do not depend on the
    row order; the risk is computed once per distinct (frequency, recency, T), so equal histories
    have bit-for-bit equal risks and always share a tier. Many customers with the same history (say
    one purchase, same first day) can make quantile tiers unequal in size, or empty.

    Examples
    --------
    >>> import clvmodel as clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30")
    >>> bg = clv.BetaGeoModel.from_params(
    ...     {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, time_unit="W")
    >>> scores = clv.churn_risk(bg, rfm, horizon=39)
    >>> scores["tier"].value_counts().sort_index().tolist()
    [305, 425, 1627]
    >>> bool(scores.loc["00004", "churn_risk"] < 0.5)
    True
    """
    if score not in _SCORES:
        raise InputError(f"score={score!r} is not known; use one of {list(_SCORES)}.")
    horizon = _positive("horizon", horizon)
    check_models(bg, gg)
    rfm = validate_rfm(data)
    # The model evaluates each distinct history once: equal histories get identical risks.
    predictions = bg.predict(data, horizon, interval=interval)
    alive = predictions["probability_alive"].to_numpy()
    no_purchase = predictions["probability_no_purchase"].to_numpy()
    expected = predictions["expected_purchases"].to_numpy()
    risk = no_purchase if score == "no_purchase" else 1.0 - alive
    # Rounding can push a probability a hair outside [0, 1]; clip so tiers and plans stay valid.
    risk = np.clip(risk, 0.0, 1.0)

    scores = pd.DataFrame(
        {
            "frequency": rfm.frequency,
            "recency": rfm.recency,
            "T": rfm.T,
            "churn_risk": risk,
            "probability_alive": alive,
            "expected_purchases": expected,
        },
        index=rfm.index,
    )
    model_unit = getattr(bg, "time_unit_", None)
    attrs: dict[str, Any] = {
        "score": score,
        "horizon": horizon,
        "time_unit": model_unit,
        "margin": 1.0,
    }
    if gg is not None:
        if clv_horizon is None:
            unit = _model_unit(bg, time_unit if time_unit in TIME_UNITS else None)
            period = time_unit or unit
            clv_horizon = horizon * TIME_UNITS[unit] / _period_days(period)
        clv_horizon = _positive("clv_horizon", clv_horizon)
        value = customer_lifetime_value(
            bg,
            gg,
            data,
            clv_horizon,
            discount_rate=discount_rate,
            margin=margin,
            time_unit=time_unit,
            interval=interval,
        )
        if interval is not None:
            value, clv_bounds = value["predicted_clv"], value[["clv_lower", "clv_upper"]]
        scores["predicted_clv"] = value.to_numpy()
        attrs.update(
            clv_horizon=clv_horizon,
            clv_time_unit=time_unit or model_unit,
            discount_rate=float(discount_rate),
            margin=float(margin),
        )
    labels, cuts, rule = _tier_rule(risk, tiers, thresholds, quantiles)
    scores["tier"] = _assign_tiers(risk, labels, cuts)
    attrs.update(rule, tiers=list(labels))
    if interval is not None:
        if score == "no_purchase":
            low = predictions["probability_no_purchase_lower"].to_numpy()
            high = predictions["probability_no_purchase_upper"].to_numpy()
        else:
            low = 1.0 - predictions["probability_alive_upper"].to_numpy()
            high = 1.0 - predictions["probability_alive_lower"].to_numpy()
        scores["churn_risk_lower"], scores["churn_risk_upper"] = low, high
        for name in ("probability_alive", "expected_purchases"):
            for side in ("lower", "upper"):
                scores[f"{name}_{side}"] = predictions[f"{name}_{side}"].to_numpy()
        if gg is not None:
            scores["clv_lower"] = clv_bounds["clv_lower"].to_numpy()
            scores["clv_upper"] = clv_bounds["clv_upper"].to_numpy()
        attrs["interval"] = float(interval)
    scores.attrs.update(attrs)
    return scores


def _risk_description(attrs: Mapping[str, Any]) -> str:
    if isinstance(attrs.get("risk_description"), str):  # scores of other models say what it is
        return attrs["risk_description"]
    horizon = attrs.get("horizon")
    if horizon is None:
        return "churn risk as given"
    unit = _UNIT_NAMES.get(attrs.get("time_unit"), "time units")
    if attrs.get("score") == "not_alive":
        return "churn risk = 1 − P(alive)"
    return f"churn risk = P(no purchase in the next {horizon:g} {unit} | history)"


def _check_scores(scores, need_tier: bool) -> pd.DataFrame:
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
    numeric = {}
    for name in ("churn_risk", "predicted_clv", "expected_purchases"):
        if name in scores.columns:
            # Scores read back from a CSV may hold text; compare and sum them as numbers.
            numeric[name] = pd.to_numeric(scores[name], errors="coerce").to_numpy(dtype="float64")
    risk = numeric["churn_risk"]
    bad = ~np.isfinite(risk) | (risk < 0) | (risk > 1)
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} churn_risk value(s) are missing or outside [0, 1] (for example "
            f"{scores['churn_risk'][bad].head(3).tolist()}); churn risk is a probability. "
            "Recompute the scores with clv.churn_risk."
        )
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
    if any(scores[name].dtype != "float64" for name in numeric):
        scores = scores.assign(**numeric)
    return scores


def _tiers_of(scores: pd.DataFrame, tiers) -> tuple[pd.Categorical, tuple[str, ...]]:
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


def churn_tier_summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Customers, churn risk and predicted value per risk tier.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`churn_risk` (or a plan's ``assignments``).

    Returns
    -------
    pandas.DataFrame
        Indexed by tier, lowest risk first, every tier listed (empty ones with 0 customers and NaN
        risk statistics): ``customers``, ``share_of_customers``, ``mean_churn_risk``,
        ``min_churn_risk``, ``max_churn_risk`` and, with ``predicted_clv``,
        ``total_predicted_clv`` and ``share_of_value``.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9, 0.95],
    ...                        "predicted_clv": [40.0, 30.0, 20.0, 10.0]})
    >>> plan = price_increase_plan(scores, thresholds=(0.5, 0.8))
    >>> churn_tier_summary(plan.assignments)["customers"].tolist()
    [1, 1, 2]
    """
    scores = _check_scores(scores, need_tier=True)
    categorical, labels = _tiers_of(scores, None)
    return _tier_table(scores, categorical, labels)


def _tier_table(scores, categorical, labels) -> pd.DataFrame:
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


# --------------------------------------------------------------------------------------------------
# The plan
@dataclass(frozen=True, repr=False)
class PriceIncreasePlan:
    """A staged price increase: who gets which increase when, and what is at stake per stage.

    Made by :func:`price_increase_plan`; see there for the definitions of the columns.

    Attributes
    ----------
    assignments : pandas.DataFrame
        Per customer: the scores' columns with ``tier``, ``stage``, ``increase`` (a fraction) and,
        when timed, ``weeks_after_first_stage`` and ``start_date``.
    stages : pandas.DataFrame
        One row per stage (index ``stage`` = 1, 2, ...).
    total : pandas.Series
        Whole-plan totals: ``customers``, ``mean_churn_risk``, ``expected_purchases`` and, with
        value, ``total_predicted_clv``, ``extra_revenue`` and ``value_weighted_increase``.
    tiers, increases, tier_cuts, margin, settings
        How the plan was drawn.
    """

    assignments: pd.DataFrame
    stages: pd.DataFrame
    total: pd.Series
    tiers: tuple[str, ...]
    increases: tuple[float, ...]
    tier_cuts: tuple[float, ...] | None
    margin: float
    settings: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        steps = ", ".join(f"{t} +{i:.4g}" for t, i in zip(self.tiers, self.increases, strict=True))
        return f"PriceIncreasePlan({int(self.total['customers'])} customers; {steps})"

    def __str__(self) -> str:
        stages = self.stages
        has_value = "total_predicted_clv" in stages.columns
        shown = pd.DataFrame({"stage": stages.index, "tier": stages["tier"].to_numpy()})
        shown["increase"] = [f"+{100 * i:.4g} %" if i > 0 else "0 %" for i in stages["increase"]]
        if "start_date" in stages.columns:
            shown["starts"] = [d.strftime("%Y-%m-%d") for d in stages["start_date"]]
        elif "weeks_after_first_stage" in stages.columns:
            shown["starts"] = [f"week {w:g}" for w in stages["weeks_after_first_stage"]]
        shown["customers"] = [f"{n:,}" for n in stages["customers"]]
        shown["mean risk"] = [_percent(v) for v in stages["mean_churn_risk"]]
        if "expected_purchases" in stages.columns:
            shown["E[purchases]"] = [f"{v:,.1f}" for v in stages["expected_purchases"]]
        if has_value:
            shown["predicted CLV"] = [f"{v:,.0f}" for v in stages["total_predicted_clv"]]
            shown["extra revenue"] = [f"{v:,.0f}" for v in stages["extra_revenue"]]
        shown["break-even churn"] = [f"{100 * v:.2f} %" for v in stages["break_even_churn"]]
        shown["= customers"] = [f"{v:,.1f}" for v in stages["break_even_customers"]]
        total = self.total
        summary = (
            f"Total: {int(total['customers']):,} customers, mean risk "
            f"{_percent(total['mean_churn_risk'])}"
        )
        if has_value:
            summary += (
                f", predicted CLV {total['total_predicted_clv']:,.0f}, extra revenue "
                f"{total['extra_revenue']:,.0f} (value-weighted increase "
                f"{100 * total['value_weighted_increase']:.2f} %)"
            )
        notes = (
            "Break-even churn: the share of a stage's customers who may leave because of the "
            f"increase before it loses money, i/(m+i) with margin m = {self.margin:g}, assuming "
            "the leavers have the stage's average value."
        )
        if has_value:
            notes = (
                "Extra revenue: increase × the stage's predicted revenue, if nobody extra leaves. "
                + notes
            )
        paragraphs = [
            f"Staged price increase for {int(total['customers']):,} customers; "
            f"{self.settings.get('risk', 'churn risk as given')}.",
            _rule_description(self.settings, self.tier_cuts),
        ]
        lines = [line for text in paragraphs for line in textwrap.wrap(text, 100)]
        lines += ["", shown.to_string(index=False), ""]
        lines += textwrap.wrap(summary + ".", 100) + textwrap.wrap(notes, 100)
        return "\n".join(lines)

    def to_dict(self, assignments: bool = False) -> dict[str, Any]:
        """The plan as a JSON-ready dictionary.

        Parameters
        ----------
        assignments : bool
            Include the per-customer assignments (one record per customer; large for big tables).

        Returns
        -------
        dict
            ``tiers``, ``increases``, ``tier_cuts``, ``margin``, ``settings``, ``stages`` (a list of
            records), ``total`` and, if asked, ``assignments``. Dates are ISO strings, NaN is None.
        """
        document = {
            "tiers": list(self.tiers),
            "increases": list(self.increases),
            "tier_cuts": None if self.tier_cuts is None else list(self.tier_cuts),
            "margin": self.margin,
            "settings": {k: _plain(v) for k, v in self.settings.items()},
            "stages": _records(self.stages.reset_index()),
            "total": {k: int(v) if k == "customers" else _plain(v) for k, v in self.total.items()},
        }
        if assignments:
            frame = self.assignments.copy()
            frame.index = frame.index.astype(str)
            document["assignments"] = _records(frame.rename_axis("customer_id").reset_index())
        return document


def _percent(value: float) -> str:
    return "–" if not np.isfinite(value) else f"{100 * value:.1f} %"


def _rule_description(settings: Mapping[str, Any], cuts) -> str:
    tiers = settings.get("tiers", [])
    if cuts is None:
        return f"Tiers {', '.join(tiers)} as given in the scores."
    shown = ", ".join(f"{100 * c:.1f} %" for c in cuts)
    how = "quantile cut points" if settings.get("tier_rule") == "quantiles" else "thresholds"
    return (
        f"Tiers {', '.join(tiers)} by churn-risk {how} {shown} (a customer at a cut point belongs "
        "to the higher-risk tier)."
    )


def _plain(value):
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _check_increases(increases, labels: tuple[str, ...]) -> tuple[float, ...]:
    if isinstance(increases, Mapping):
        unknown = [k for k in increases if k not in labels]
        if unknown:
            raise InputError(
                f"increases names unknown tier(s) {unknown}; the tiers are {list(labels)}."
            )
        missing = [t for t in labels if t not in increases]
        if missing:
            raise InputError(
                f"increases has no entry for tier(s) {missing}; give one increase per tier "
                f"{list(labels)} (0.0 to leave a tier's prices alone)."
            )
        values = [increases[t] for t in labels]
    elif isinstance(increases, str) or not isinstance(increases, Sequence | np.ndarray):
        raise InputError(
            f"increases must be a sequence of fractions from the lowest-risk tier to the highest, "
            f"such as (0.05, 0.025, 0.0), or a mapping tier → fraction; got {increases!r}."
        )
    else:
        values = list(increases)
        if len(values) != len(labels):
            raise InputError(
                f"{len(values)} increase(s) {values} for {len(labels)} tiers {list(labels)}; "
                "give one increase per tier, from the lowest risk to the highest (or pass tiers= "
                "/ thresholds= with as many tiers as increases)."
            )
    try:
        numbers = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise InputError(f"increases must be numbers, got {values!r}.") from None
    for label, value in zip(labels, numbers, strict=True):
        if not math.isfinite(value) or value < 0:
            raise InputError(
                f"the increase for tier {label!r} is {value!r}; increases must be ≥ 0 (a price "
                "cut is not a price increase)."
            )
        if value >= 1:
            raise InputError(
                f"the increase for tier {label!r} is {value:g}, i.e. {100 * value:g} %; increases "
                "are fractions below 1 (0.05 for 5 %)."
            )
    for k in range(1, len(numbers)):
        if numbers[k] > numbers[k - 1]:
            raise InputError(
                f"increases must not grow with risk: tier {labels[k]!r} would get "
                f"{100 * numbers[k]:g} % but the lower-risk tier {labels[k - 1]!r} only "
                f"{100 * numbers[k - 1]:g} %. List increases from the lowest-risk tier to the "
                "highest, largest first, e.g. (0.05, 0.025, 0.0)."
            )
    return numbers


def _timing(start, stage_wait, n_stages: int) -> tuple[np.ndarray | None, list | None]:
    """Weeks after the first stage's start, and start dates, per stage (None when not timed)."""
    dates = None
    if start is not None and not isinstance(start, str) and isinstance(start, Sequence):
        if stage_wait is not None:
            raise InputError(
                "give one start date per stage (start=[...]) or a first start date and "
                "stage_wait=, not both."
            )
        if len(start) != n_stages:
            raise InputError(f"start has {len(start)} dates for {n_stages} stages; give one each.")
        dates = [_date(d, "start") for d in start]
        if any(b < a for a, b in zip(dates, dates[1:], strict=False)):
            raise InputError(
                "the stage start dates must not go backwards: stage 1 (lowest risk) starts first."
            )
        weeks = np.array([(d - dates[0]).total_seconds() / (7 * 86400.0) for d in dates])
        return weeks, dates
    if stage_wait is None and start is None:
        return None, None
    if stage_wait is None:
        waits = np.zeros(n_stages - 1)
    else:
        waits = (
            np.atleast_1d(np.asarray(stage_wait, dtype="float64")) if _numeric(stage_wait) else None
        )
        if waits is None or waits.ndim != 1 or waits.size not in (1, n_stages - 1):
            raise InputError(
                f"stage_wait must be a number of weeks between stages, or one per gap "
                f"({n_stages - 1}); got {stage_wait!r}."
            )
        if not np.all(np.isfinite(waits)) or (waits < 0).any():
            raise InputError(f"stage_wait must be finite and ≥ 0 weeks, got {stage_wait!r}.")
        waits = np.broadcast_to(waits, (n_stages - 1,))
    weeks = np.concatenate([[0.0], np.cumsum(waits)])
    if start is not None:
        first = _date(start, "start")
        dates = [first + pd.Timedelta(weeks=float(w)) for w in weeks]
    return weeks, dates


def _numeric(value) -> bool:
    try:
        np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        return False
    return True


def _date(value, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}={value!r} is not a date; give it as 'YYYY-MM-DD'.") from None
    if stamp is pd.NaT:
        raise InputError(f"{name} is missing; give it as 'YYYY-MM-DD'.")
    return stamp


def _stage_sums(values, codes, n_stages: int) -> np.ndarray:
    """Per-stage sums of a per-customer column (stages in tier order)."""
    sums = pd.Series(np.asarray(values, dtype=float)).groupby(codes).sum()
    return sums.reindex(range(n_stages), fill_value=0.0).to_numpy()


def _stage_intervals(stages, scores, codes, n_stages: int, increase, margin) -> pd.DataFrame:
    """With interval columns in the scores (``churn_risk(..., interval=)``): each stage's mean
    churn risk and its value and extra revenue, with the range parameter uncertainty allows.

    The value bounds are the sums of the customers' bounds. Parameter uncertainty is shared by
    every customer, so their values move together; adding bounds treats them as moving exactly
    together, which makes the stage's range a slightly wide (conservative) one.
    """
    customers = np.maximum(stages["customers"].to_numpy(), 1)
    if {"churn_risk_lower", "churn_risk_upper"} <= set(scores.columns):
        for side in ("lower", "upper"):
            total = _stage_sums(scores[f"churn_risk_{side}"], codes, n_stages)
            stages[f"mean_churn_risk_{side}"] = total / customers
    if "total_predicted_clv" in stages.columns and {"clv_lower", "clv_upper"} <= set(
        scores.columns
    ):
        for side in ("lower", "upper"):
            total = _stage_sums(scores[f"clv_{side}"], codes, n_stages)
            stages[f"total_predicted_clv_{side}"] = total
            stages[f"extra_revenue_{side}"] = increase * total / margin
    return stages


def price_increase_plan(
    scores: pd.DataFrame,
    increases: Sequence[float] | Mapping[str, float] = (0.05, 0.025, 0.0),
    tiers: Sequence[str] | None = None,
    *,
    thresholds: Sequence[float] | None = None,
    quantiles: Sequence[float] | None = None,
    stage_wait: float | Sequence[float] | None = None,
    start=None,
    margin: float | None = None,
) -> PriceIncreasePlan:
    """Stage a price increase by churn-risk tier: lowest risk first, with the largest step.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`churn_risk`: ``churn_risk`` and ``tier`` (unless tiers are drawn here),
        and ``predicted_clv`` for the value columns.
    increases : sequence of float or mapping
        Price increases as fractions (0.05 for 5 %), one per tier from the lowest risk to the
        highest, or a mapping tier → increase. Each in [0, 1), never larger for a higher-risk
        tier. The default leaves the highest-risk tier at 0 %.
    tiers : sequence of str, optional
        Tier labels, lowest risk first. Without thresholds/quantiles they name (and order) the
        tiers of ``scores``; otherwise they label the new tiers (default ``("low", "medium",
        "high")`` for three increases).
    thresholds, quantiles : sequence of float, optional
        Draw the tiers here from ``churn_risk``, as in :func:`churn_risk`.
    stage_wait : float or sequence of float, optional
        Weeks between the start of consecutive stages (one number, or one per gap), e.g. 8.
    start : date-like or sequence of date-like, optional
        Start date of stage 1 (later stages follow after ``stage_wait``), or one date per stage.
    margin : float, optional
        Profit margin m of ``predicted_clv``; defaults to the one recorded by :func:`churn_risk`
        (1, i.e. CLV is revenue, unless set there).

    Returns
    -------
    PriceIncreasePlan
        ``assignments`` (per customer), ``stages`` (per stage), ``total``; ``str()`` renders it and
        ``to_dict()`` gives a JSON-ready document.

    Notes
    -----
    Stage k applies increase i_k to the customers of the k-th tier by risk. Per stage:

    * ``customers``, ``share_of_customers``, ``mean_churn_risk`` and the total
      ``expected_purchases`` in the scores' horizon;
    * ``total_predicted_clv`` V: the sum of the customers' predicted CLV (as in the scores:
      discounted, over the CLV horizon, counted from the end of observation; a stage starting later
      earns somewhat less of it, which the plan does not adjust);
    * with interval columns in the scores (``churn_risk(..., interval=0.9)``):
      ``mean_churn_risk_lower/_upper``, ``total_predicted_clv_lower/_upper`` and
      ``extra_revenue_lower/_upper``, the range parameter uncertainty allows (the sums of the
      customers' bounds: conservative, since the customers' values move together), to hold
      against the break-even churn;
    * ``extra_revenue`` = i × V / m: if nobody leaves because of the increase, the model's
      predicted purchases all happen at a price (1 + i) times higher, so revenue R = V / m grows by
      i × R; with the default m = 1 this is i × V. Costs do not depend on the price, so this is
      also the extra profit;
    * ``break_even_churn`` s* = i / (m + i): if a share s of the stage's value leaves because of
      the increase, profit goes from m R to (1 − s)(m + i) R, which is at least m R exactly when
      s ≤ i / (m + i). With revenue as the value (m = 1): (1 + i)(1 − s) V ≥ V ⇔ s ≤ i / (1 + i),
      e.g. 4.76 % for a 5 % increase. Read as a share of *customers* it assumes the leavers have
      the stage's average value; ``break_even_customers`` = s* × customers. It is the extra
      churn on top of the model's baseline, which ``predicted_clv`` already includes;
    * ``weeks_after_first_stage`` and ``start_date`` when timed (every stage gets one; for a 0 %
      stage it only marks when its turn comes, nothing changes).

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"churn_risk": [0.1, 0.3, 0.6, 0.9],
    ...                        "predicted_clv": [100.0, 50.0, 40.0, 10.0]})
    >>> plan = price_increase_plan(scores, (0.05, 0.025, 0.0), thresholds=(0.5, 0.8),
    ...                            stage_wait=8, start="2025-01-06")
    >>> plan.stages[["tier", "customers", "extra_revenue", "break_even_churn"]].round(4)
    ... # doctest: +NORMALIZE_WHITESPACE
             tier  customers  extra_revenue  break_even_churn
    stage
    1         low          2            7.5            0.0476
    2      medium          1            1.0            0.0244
    3        high          1            0.0            0.0000
    >>> plan.assignments["increase"].tolist()
    [0.05, 0.05, 0.025, 0.0]
    """
    redraw = thresholds is not None or quantiles is not None
    scores = _check_scores(scores, need_tier=not redraw)
    risk = scores["churn_risk"].to_numpy(dtype="float64")
    if redraw:
        n_tiers = len(increases) if isinstance(increases, Sequence | Mapping) else None
        if isinstance(increases, Mapping) and tiers is None:
            tiers = tuple(increases)
        labels = tiers if tiers is not None else default_tier_labels(n_tiers or 3)
        labels, cuts, rule = _tier_rule(risk, labels, thresholds, quantiles)
        categorical = _assign_tiers(risk, labels, cuts)
        tier_cuts = tuple(rule["tier_cuts"])
    else:
        categorical, labels = _tiers_of(scores, tiers)
        rule = {k: scores.attrs[k] for k in ("tier_rule",) if k in scores.attrs}
        recorded = scores.attrs.get("tier_cuts")
        same = list(scores.attrs.get("tiers", [])) == list(labels)
        tier_cuts = tuple(recorded) if recorded is not None and same else None
    labels = tuple(labels)
    rates = _check_increases(increases, labels)
    if margin is None:
        if "margin" not in scores.attrs and "predicted_clv" in scores.columns:
            warnings.warn(
                "the scores do not record the margin of their predicted_clv (DataFrame.attrs "
                "are lost by join, merge, concat and files), so it is taken as revenue "
                "(margin 1); pass margin= to say otherwise.",
                ClvWarning,
                stacklevel=2,
            )
        margin = scores.attrs.get("margin", 1.0)
    try:
        margin = float(margin)
    except (TypeError, ValueError):
        raise InputError(f"margin must be a number in (0, 1], got {margin!r}.") from None
    if not (math.isfinite(margin) and 0.0 < margin <= 1.0):
        raise InputError(
            f"margin must be in (0, 1] (1 when predicted_clv is revenue), got {margin!r}."
        )
    weeks, dates = _timing(start, stage_wait, len(labels))

    codes = np.asarray(categorical.codes)
    assignments = scores.copy()
    assignments["tier"] = categorical
    assignments["stage"] = (codes + 1).astype("int64")
    assignments["increase"] = np.asarray(rates)[codes]
    assignments.attrs.update(rule, tiers=list(labels), margin=margin)
    if tier_cuts is None:
        assignments.attrs.pop("tier_cuts", None)
    if weeks is not None:
        assignments["weeks_after_first_stage"] = weeks[codes]
    if dates is not None:
        assignments["start_date"] = pd.DatetimeIndex(dates)[codes]

    table = _tier_table(scores, categorical, labels)
    empty = [t for t, n in table["customers"].items() if n == 0]
    if empty:
        warnings.warn(
            f"tier(s) {empty} have no customers; their stage is empty. Check the thresholds or "
            "quantiles (many equal risks at a quantile cut all go to the higher tier).",
            StatisticalWarning,
            stacklevel=2,
        )
    increase = np.asarray(rates)
    expected = (
        pd.Series(scores["expected_purchases"].to_numpy(float))
        .groupby(codes)
        .sum()
        .reindex(range(len(labels)), fill_value=0.0)
        .to_numpy()
        if "expected_purchases" in scores.columns
        else None
    )
    stages = pd.DataFrame(
        {
            "tier": list(labels),
            "increase": increase,
            "customers": table["customers"].to_numpy(),
            "share_of_customers": table["share_of_customers"].to_numpy(),
            "mean_churn_risk": table["mean_churn_risk"].to_numpy(),
        },
        index=pd.RangeIndex(1, len(labels) + 1, name="stage"),
    )
    if expected is not None:
        stages["expected_purchases"] = expected
    has_value = "predicted_clv" in scores.columns
    if has_value:
        stages["total_predicted_clv"] = table["total_predicted_clv"].to_numpy()
        stages["share_of_value"] = np.asarray(table["share_of_value"], dtype=float)
        stages["extra_revenue"] = increase * stages["total_predicted_clv"].to_numpy() / margin
    stages["break_even_churn"] = increase / (margin + increase)
    stages["break_even_customers"] = stages["break_even_churn"] * stages["customers"]
    stages = _stage_intervals(stages, scores, codes, len(labels), increase, margin)
    if weeks is not None:
        stages["weeks_after_first_stage"] = weeks
    if dates is not None:
        stages["start_date"] = pd.DatetimeIndex(dates)

    total = {
        "customers": int(len(scores)),
        "mean_churn_risk": float(risk.mean()),
    }
    if expected is not None:
        total["expected_purchases"] = float(expected.sum())
    if has_value:
        value = float(stages["total_predicted_clv"].sum())
        extra = float(stages["extra_revenue"].sum())
        total.update(
            total_predicted_clv=value,
            extra_revenue=extra,
            value_weighted_increase=extra * margin / value if value > 0 else 0.0,
        )
    settings = {
        "risk": _risk_description(scores.attrs),
        "tiers": list(labels),
        **rule,
        **{
            k: scores.attrs[k]
            for k in ("score", "horizon", "time_unit", "clv_horizon", "clv_time_unit")
            if k in scores.attrs
        },
    }
    if stage_wait is not None:
        settings["stage_wait_weeks"] = _plain(np.atleast_1d(stage_wait).tolist())
    return PriceIncreasePlan(
        assignments=assignments,
        stages=stages,
        total=pd.Series(total, dtype="float64"),
        tiers=labels,
        increases=rates,
        tier_cuts=tier_cuts,
        margin=margin,
        settings=settings,
    )
