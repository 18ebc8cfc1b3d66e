"""The staged price-increase plan (:func:`price_increase_plan`): stages, value at stake, totals."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from clvmodel._units import PERIOD_DAYS, check_margin
from clvmodel.churn._scores import check_scores, tier_table, tiers_of
from clvmodel.churn.plan_inputs import _check_increases, _increase_values, _timing, _wait_weeks
from clvmodel.churn.rendering import PriceIncreasePlan, _plain
from clvmodel.churn.risk import _risk_description
from clvmodel.churn.tiers import _assign_tiers, _tier_rule, default_tier_labels
from clvmodel.errors import ClvWarning, InputError, StatisticalWarning


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
    customers = stages["customers"].to_numpy()
    if {"churn_risk_lower", "churn_risk_upper"} <= set(scores.columns):
        for side in ("lower", "upper"):
            total = _stage_sums(scores[f"churn_risk_{side}"], codes, n_stages)
            # An empty stage has no mean risk (NaN, as mean_churn_risk), not 0.
            mean = total / np.maximum(customers, 1)
            stages[f"mean_churn_risk_{side}"] = np.where(customers > 0, mean, np.nan)
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
    stage_wait: str | float | Sequence[str | float] | None = None,
    start=None,
    margin: float | None = None,
) -> PriceIncreasePlan:
    """Stage a price increase by churn-risk tier: lowest risk first, with the largest step.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`churn_risk`: ``churn_risk`` and ``tier`` (unless tiers are drawn here),
        and ``predicted_clv`` for the value columns.
    increases : sequence of float, 1-D array or mapping
        Price increases as fractions (0.05 for 5 %), one per tier from the lowest risk to the
        highest, or a mapping tier → increase. Each in [0, 1), never larger for a higher-risk
        tier. The default leaves the highest-risk tier at 0 %. With ``thresholds`` or
        ``quantiles`` (and no ``tiers``) a mapping's keys name the new tiers, lowest risk first,
        unless they are the default names (in any order), which keep their own order.
    tiers : sequence of str, optional
        Tier labels, lowest risk first. Without thresholds/quantiles they name (and order) the
        tiers of ``scores``; otherwise they label the new tiers (default ``("low", "medium",
        "high")`` for three increases).
    thresholds, quantiles : sequence of float, optional
        Draw the tiers here from ``churn_risk``, as in :func:`churn_risk`.
    stage_wait : str, float or sequence, optional
        Time between the start of consecutive stages (one, or one per gap): a duration such as
        ``"8W"`` or ``"2M"``, or a bare number of weeks, e.g. 8 (not a bool).
    start : date-like or sequence (or 1-D array) of date-like, optional
        Start date of stage 1 (later stages follow after ``stage_wait``), or one date per stage.
    margin : float, optional
        Profit margin m of ``predicted_clv``, a fraction 0 < m ≤ 1; defaults to the one
        recorded by :func:`churn_risk` (1, i.e. CLV is revenue, unless set there). With
        ``predicted_clv`` in the scores it must agree with the recorded one; without, it only
        sets the break-even churn.

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
    ...                            stage_wait=8, start="2025-01-06", margin=1.0)
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
    # Long for its docstring (the Notes define every stage column); the work is in helpers.
    redraw = thresholds is not None or quantiles is not None
    scores = check_scores(scores, need_tier=not redraw, bounds=True)
    increases = _increase_values(increases)
    risk = scores["churn_risk"].to_numpy(dtype="float64")
    categorical, labels, rule, tier_cuts = _plan_tiers(
        scores, risk, increases, tiers, thresholds, quantiles
    )
    rates = _check_increases(increases, labels)
    margin = _plan_margin(scores, margin)
    waits = _wait_weeks(stage_wait)
    weeks, dates = _timing(start, waits, len(labels))
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
    table = tier_table(scores, categorical, labels)
    empty = [t for t, n in table["customers"].items() if n == 0]
    if empty:
        warnings.warn(_empty_tiers_message(empty, tier_cuts), StatisticalWarning, stacklevel=2)
    stages = _stage_table(scores, table, codes, labels, np.asarray(rates), margin)
    if weeks is not None:
        stages["weeks_after_first_stage"] = weeks
    if dates is not None:
        stages["start_date"] = pd.DatetimeIndex(dates)
    settings = _settings(scores.attrs, labels, rule)
    if waits is not None:
        settings["stage_wait_weeks"] = _plain(np.atleast_1d(waits).tolist())
    return PriceIncreasePlan(
        assignments=assignments,
        stages=stages,
        total=_totals(scores, stages, risk, margin),
        tiers=labels,
        increases=rates,
        tier_cuts=tier_cuts,
        margin=margin,
        settings=settings,
    )


#: What the warning about tiers without customers says after their names (a caller that draws
#: the tiers itself, as the report does, recognises it by this and words its own).
EMPTY_TIERS = "have no customers; their stage is empty"


def _empty_tiers_message(empty: list, tier_cuts) -> str:
    """The warning for tiers without customers, naming the arguments that draw the tiers."""
    cuts = ""
    if tier_cuts is not None:
        cuts = f" (the tiers are cut at churn risk {', '.join(f'{c:g}' for c in tier_cuts)})"
    return (
        f"tier(s) {empty} {EMPTY_TIERS}{cuts}. Pass other thresholds= or quantiles= (many equal "
        "risks at a quantile cut all go to the higher tier)."
    )


def _plan_tiers(scores, risk, increases, tiers, thresholds, quantiles):
    """The tiers of the plan: drawn here (thresholds or quantiles) or read from the scores.

    Returns the tier of each customer (ordered categorical), the labels, the rule for the
    settings and the cut points (None when the scores' tiers do not record theirs)."""
    if thresholds is None and quantiles is None:
        categorical, labels = tiers_of(scores, tiers)
        rule = {k: scores.attrs[k] for k in ("tier_rule",) if k in scores.attrs}
        recorded = scores.attrs.get("tier_cuts")
        same = list(scores.attrs.get("tiers", [])) == list(labels)
        tier_cuts = tuple(recorded) if recorded is not None and same else None
        return categorical, tuple(labels), rule, tier_cuts
    listed = isinstance(increases, Sequence | Mapping) and not isinstance(increases, str)
    n_tiers = len(increases) if listed else None
    # Without tiers= the increases set the number of labels: a mismatch names them.
    counted = _increase_values(increases) if tiers is None and listed else None
    if isinstance(increases, Mapping) and tiers is None:
        # The keys name the new tiers lowest risk first; the default names in any order.
        tiers = tuple(increases)
        if sorted(tiers) == sorted(default_tier_labels(len(tiers))):
            tiers = default_tier_labels(len(tiers))
    labels = tiers if tiers is not None else default_tier_labels(n_tiers or 3)
    labels, cuts, rule = _tier_rule(risk, labels, thresholds, quantiles, counted)
    categorical = _assign_tiers(risk, labels, cuts)
    return categorical, tuple(labels), rule, tuple(rule["tier_cuts"])


def _plan_margin(scores: pd.DataFrame, margin) -> float:
    """The margin m of the scores' ``predicted_clv``: given, else recorded by churn_risk, else 1."""
    if margin is None:
        if "margin" not in scores.attrs and "predicted_clv" in scores.columns:
            warnings.warn(
                "the scores do not record the margin of their predicted_clv (DataFrame.attrs "
                "are lost by join, merge, concat and files), so it is taken as revenue "
                "(margin 1); pass margin= to say otherwise.",
                ClvWarning,
                stacklevel=3,
            )
        margin = scores.attrs.get("margin", 1.0)
    margin = check_margin(margin)
    # Only a predicted_clv computed at the recorded margin can contradict another margin; scores
    # without one record the margin only as the plan's default.
    recorded = scores.attrs.get("margin") if "predicted_clv" in scores.columns else None
    if recorded is not None and abs(float(recorded) - margin) > 1e-12 * margin:
        raise InputError(
            f"margin={margin:g} contradicts the margin {float(recorded):g} with which churn_risk "
            "computed these scores' predicted_clv (recorded in their attrs); leave margin out, "
            "or score again with the margin you mean."
        )
    return margin


def _stage_table(scores, table, codes, labels, increase, margin) -> pd.DataFrame:
    """One row per stage: customers, risk, purchases, value, extra revenue, break-even churn."""
    n_stages = len(labels)
    stages = pd.DataFrame(
        {
            "tier": list(labels),
            "increase": increase,
            "customers": table["customers"].to_numpy(),
            "share_of_customers": table["share_of_customers"].to_numpy(),
            "mean_churn_risk": table["mean_churn_risk"].to_numpy(),
        },
        index=pd.RangeIndex(1, n_stages + 1, name="stage"),
    )
    if "expected_purchases" in scores.columns:
        stages["expected_purchases"] = _stage_sums(scores["expected_purchases"], codes, n_stages)
    if "predicted_clv" in scores.columns:
        stages["total_predicted_clv"] = table["total_predicted_clv"].to_numpy()
        stages["share_of_value"] = np.asarray(table["share_of_value"], dtype=float)
        stages["extra_revenue"] = increase * stages["total_predicted_clv"].to_numpy() / margin
    stages["break_even_churn"] = increase / (margin + increase)
    stages["break_even_customers"] = stages["break_even_churn"] * stages["customers"]
    return _stage_intervals(stages, scores, codes, n_stages, increase, margin)


def _totals(scores, stages, risk, margin) -> pd.Series:
    """Whole-plan totals: customers, mean risk, expected purchases and value."""
    total = {"customers": int(len(scores)), "mean_churn_risk": float(risk.mean())}
    if "expected_purchases" in stages.columns:
        total["expected_purchases"] = float(stages["expected_purchases"].to_numpy().sum())
    if "total_predicted_clv" in stages.columns:
        value = float(stages["total_predicted_clv"].sum())
        extra = float(stages["extra_revenue"].sum())
        total.update(
            total_predicted_clv=value,
            extra_revenue=extra,
            value_weighted_increase=extra * margin / value if value > 0 else 0.0,
        )
    return pd.Series(total, dtype="float64")


def _settings(attrs, labels, rule) -> dict:
    """How the plan was drawn: the risk, tiers and the scores' horizons, each with its unit."""
    settings = {"risk": _risk_description(attrs), "tiers": list(labels), **rule}
    keys = ("score", "horizon", "time_unit", "clv_horizon", "clv_time_unit")
    settings.update({k: attrs[k] for k in keys if k in attrs})
    # Each horizon carries its unit (horizon_unit, clv_horizon_unit); older scores lack them.
    for horizon, unit in (("horizon", "time_unit"), ("clv_horizon", "clv_time_unit")):
        if f"{horizon}_unit" in attrs:
            settings[f"{horizon}_unit"] = attrs[f"{horizon}_unit"]
        elif horizon in attrs and attrs.get(unit) in PERIOD_DAYS:
            settings[f"{horizon}_unit"] = attrs[unit]
    return settings
