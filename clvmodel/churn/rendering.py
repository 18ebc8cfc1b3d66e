"""The :class:`PriceIncreasePlan` result and its text and JSON renderings."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


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


def _cut_percent(cut: float) -> str:
    """A cut point in percent: one decimal, more where one would round it (0.0001 %)."""
    text = f"{100 * cut:.1f}"
    return text if abs(float(text) - 100 * cut) < 1e-9 else f"{100 * cut:.6g}"


def _rule_description(settings: Mapping[str, Any], cuts) -> str:
    tiers = settings.get("tiers", [])
    if cuts is None:
        return f"Tiers {', '.join(tiers)} as given in the scores."
    shown = ", ".join(f"{_cut_percent(c)} %" for c in cuts)
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
