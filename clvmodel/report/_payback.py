"""Payback where there is something to pay back: customers and segments without an acquisition
cost (an organic channel, CAC 0) have paid back nothing, and are shown as n/a, not paid back."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from clvmodel.report._format import percent

#: The columns of :func:`clvmodel.unit_economics_summary` that only a positive CAC gives sense to.
PAYBACK_COLUMNS = ("median_payback", "paid_back_share")


def with_a_cac(economics: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`clvmodel.cac_payback`'s table of customers with a positive CAC."""
    return economics[economics["acquisition_cost"].to_numpy(dtype="float64") > 0]


def without_free_payback(summary, economics: pd.DataFrame):
    """``summary`` (a :class:`~clvmodel.report._analysis.PerSegment` of
    :func:`clvmodel.unit_economics_summary`) with the payback of segments whose CAC is 0 left
    NaN, and that of all customers counted over the customers with a positive CAC only."""
    segments = summary.segments
    if segments is not None:
        segments = segments.copy()
        free = ~(segments["mean_acquisition_cost"] > 0)
        segments.loc[free, list(PAYBACK_COLUMNS)] = np.nan
    total = summary.total.copy()
    paying = with_a_cac(economics)
    if len(paying) < len(economics):
        times = paying["payback_periods"].fillna(np.inf)
        median = float(times.median()) if len(paying) else np.nan
        total["median_payback"] = median if np.isfinite(median) else np.nan
        total["paid_back_share"] = float(paying["paid_back"].mean()) if len(paying) else np.nan
    return replace(summary, segments=segments, total=total)


def no_cac(row) -> bool:
    """Whether a row of the summary has no acquisition cost to pay back."""
    return not float(row["mean_acquisition_cost"]) > 0


def free_note(summary) -> str | None:
    """What the table says about rows without a CAC, or None when every segment has one."""
    free = []
    if summary.segments is not None:
        free = [str(k) for k, row in summary.segments.iterrows() if no_cac(row)]
    if not free and not no_cac(summary.total):
        return None
    whom = f"{', '.join(free)} (no acquisition cost)" if free else "customers without a CAC"
    return (
        f"Payback is n/a for {whom}: there is nothing to pay back, so they are not counted as "
        "paid back; the row of all customers counts the payback of customers with a CAC only."
    )


def payers(summary) -> str:
    """Whom the payback share of all customers counts, in words."""
    return "customers" if free_note(summary) is None else "customers with a CAC"


#: What the report says of payback when no customer has an acquisition cost above 0.
NOTHING_TO_PAY_BACK = "no customer has an acquisition cost above 0, so there is nothing to pay back"


def paid_back_words(summary, horizon_words: str) -> str:
    """The share of customers who pay back their CAC within the horizon, in words ("24.9 % of
    customers pay back their CAC within 24 months"), or why there is none."""
    if no_cac(summary.total):
        return NOTHING_TO_PAY_BACK
    share = percent(summary.total["paid_back_share"])
    return f"{share} of {payers(summary)} pay back their CAC within {horizon_words}"
