"""The staged price-increase plan (:func:`price_increase_plan`): stages, value at stake, totals."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from clvmodel.churn.plan_inputs import _check_increases, _timing
from clvmodel.churn.rendering import PriceIncreasePlan, _plain
from clvmodel.churn.risk import _risk_description
from clvmodel.churn.summary import _check_scores, _tier_table, _tiers_of
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
