"""Figures of uncertainty: per-customer intervals beside the naive value, and measured coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.errors import InputError
from clvmodel.plotting._common import new_axes

__all__ = ["plot_coverage", "plot_value_intervals"]


def plot_value_intervals(scores, naive_clv=None, customers: int = 20, ax=None):
    """The customers with the highest predicted CLV, each with its interval, beside the naive value.

    Parameters
    ----------
    scores : pandas.DataFrame
        With ``predicted_clv``, ``clv_lower`` and ``clv_upper`` (from
        ``customer_lifetime_value(..., interval=...)``, ``score_customers`` or ``churn_risk`` with
        ``interval``), indexed by customer.
    naive_clv : float, optional
        The naive formula's single value for everybody, drawn as a vertical line (by default
        ``scores["naive_clv"]`` when it is there and not empty).
    customers : int
        How many customers to show.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers[0]`` holds the error bars (one per customer, highest CLV at the top).
    """
    if not isinstance(scores, pd.DataFrame):
        raise InputError(f"scores must be a DataFrame, got {type(scores).__name__}.")
    missing = [c for c in ("predicted_clv", "clv_lower", "clv_upper") if c not in scores.columns]
    if missing:
        raise InputError(
            f"scores have no column {missing}; compute them with interval=0.9 (for example "
            "clvmodel.customer_lifetime_value(..., interval=0.9))."
        )
    if isinstance(customers, bool) or not isinstance(customers, int | np.integer) or customers < 1:
        raise InputError(f"customers must be a whole number ≥ 1, got {customers!r}.")
    top = scores.nlargest(int(customers), "predicted_clv").iloc[::-1]
    ax = new_axes(ax)
    y = np.arange(len(top))
    value = top["predicted_clv"].to_numpy()
    errors = np.vstack([value - top["clv_lower"].to_numpy(), top["clv_upper"].to_numpy() - value])
    ax.errorbar(
        value,
        y,
        xerr=errors,
        fmt="o",
        color="tab:blue",
        capsize=3,
        label="model: CLV with its interval",
    )
    if naive_clv is None and "naive_clv" in scores.columns:
        naive = scores["naive_clv"].dropna()
        naive_clv = float(naive.iloc[0]) if len(naive) else None
    if naive_clv is not None:
        ax.axvline(
            naive_clv,
            color="tab:red",
            linestyle=":",
            linewidth=1.6,
            label=f"naive formula: {naive_clv:,.0f} for everybody",
        )
    ax.set_yticks(y, [str(i) for i in top.index], fontsize=8)
    ax.set_xlabel("Predicted customer lifetime value")
    ax.set_ylabel("Customer")
    level = scores.attrs.get("interval")
    shown = f"{100 * level:g} % " if level else ""
    ax.set_title(f"Top {len(top)} customers by predicted CLV, with {shown}intervals")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    return ax


def _coverage_table(coverage) -> pd.DataFrame:
    """The coverage table of ``coverage`` (a table or a report), checked."""
    table = coverage if isinstance(coverage, pd.DataFrame) else getattr(coverage, "coverage", None)
    if table is None:
        raise InputError(
            "no coverage table: pass clvmodel.interval_coverage(...) or a report made with "
            "evaluate_holdout(..., interval=0.9)."
        )
    missing = [
        c for c in ("observed_coverage", "predicted_mass", "customers") if c not in table.columns
    ]
    if missing:
        raise InputError(
            f"the coverage table has no column {', '.join(map(repr, missing))}; pass "
            "clvmodel.interval_coverage(...) or a report made with "
            "evaluate_holdout(..., interval=0.9)."
        )
    if table.empty:
        raise InputError("the coverage table has no rows: there is nothing to draw.")
    return table


def plot_coverage(coverage, ax=None):
    """Observed coverage of the prediction intervals beside the model's probability, by group.

    Parameters
    ----------
    coverage : pandas.DataFrame or HoldoutReport
        From :func:`clvmodel.interval_coverage`, or a report made with ``interval``.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers[0]`` observed coverage and ``ax.containers[1]`` the predicted
        probability, one bar per group; ``ax.containers[2]`` the predicted probability ± 2
        standard errors of the observed share under the model (tables with
        ``standard_error``); the nominal level as a dashed line.
    """
    table = _coverage_table(coverage)
    ax = new_axes(ax)
    x = np.arange(len(table))
    ax.bar(
        x - 0.2,
        table["observed_coverage"],
        width=0.4,
        color="tab:blue",
        label="observed: share of customers inside their interval",
    )
    ax.bar(
        x + 0.2,
        table["predicted_mass"],
        width=0.4,
        color="tab:gray",
        label="predicted: the model's probability for the interval",
    )
    if "standard_error" in table.columns:
        ax.errorbar(
            x + 0.2,
            table["predicted_mass"],
            yerr=2.0 * table["standard_error"],
            fmt="none",
            ecolor="black",
            capsize=3,
            linewidth=1.0,
            label="±2 standard errors: where the observed share falls if the model is right",
        )
    level = table.attrs.get("interval")
    if level is not None:
        ax.axhline(
            level,
            color="black",
            linestyle="--",
            linewidth=1.0,
            label=f"nominal level {100 * level:g} %",
        )
    labels = [f"{g}\n(n={n:,})" for g, n in zip(table.index, table["customers"], strict=True)]
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_xlabel("Customers, by repeat purchases in the calibration period")
    ax.set_ylabel("Share")
    low = float(np.nanmin(table[["observed_coverage", "predicted_mass"]].to_numpy()))
    ax.set_ylim(max(0.0, min(low, level or 1.0) - 0.1), 1.0)
    ax.set_title("Do the intervals hold? Coverage of holdout purchases")
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return ax
