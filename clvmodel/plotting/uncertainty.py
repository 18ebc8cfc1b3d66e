"""Figures of uncertainty: per-customer intervals beside the naive value, and measured coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.errors import InputError
from clvmodel.plotting._common import new_axes, numeric_columns
from clvmodel.plotting.value import _money

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
        The naive formula's single value for everybody, drawn as a vertical line. By default it
        comes from ``scores["naive_clv"]`` when that column is there and not empty: its value
        when it has one, else (one value per segment) a red mark at each customer's own value.
    customers : int
        How many customers to show.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers[0]`` holds the error bars (one per customer, highest CLV at the top);
        with a naive value, ``ax.lines[-1]`` draws it: a vertical line at the one value, or a
        mark at each customer's own (naive values per segment).
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
    if naive_clv is not None:
        naive_clv = _one_value(naive_clv)
    elif "naive_clv" in scores.columns:  # text read back from a file: numbers, or refused
        scores = numeric_columns(scores, ["naive_clv"], "scores")
    top = _interval_values(scores).nlargest(int(customers), "predicted_clv").iloc[::-1]
    ax = new_axes(ax)
    y = np.arange(len(top))
    value = top["predicted_clv"].to_numpy()
    errors = np.vstack([value - top["clv_lower"].to_numpy(), top["clv_upper"].to_numpy() - value])
    outside = np.flatnonzero((errors < 0).any(axis=0))
    if outside.size:
        raise InputError(
            f"predicted_clv lies outside [clv_lower, clv_upper] for {outside.size} of the "
            f"customers shown (for example {list(top.index[outside][:3])}); pass the three "
            "columns of one prediction (e.g. clvmodel.customer_lifetime_value(..., interval=0.9))."
        )
    ax.errorbar(
        value,
        y,
        xerr=errors,
        fmt="o",
        color="tab:blue",
        capsize=3,
        label="model: CLV with its interval",
    )
    _draw_naive(ax, scores, top, y, naive_clv)
    ax.set_yticks(y, [str(i) for i in top.index], fontsize=8)
    ax.set_xlabel("Predicted customer lifetime value")
    ax.set_ylabel("Customer")
    level = scores.attrs.get("interval")
    shown = f"{100 * level:g} % " if level else ""
    ax.set_title(f"Top {len(top)} customers by predicted CLV, with {shown}intervals")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    return ax


def _interval_values(scores: pd.DataFrame) -> pd.DataFrame:
    """The estimate and bounds as floats (text read back from a file too), refused when there
    are no customers or a value is missing, infinite or not a number: a point drawn without its
    bar, or a missing estimate among the top customers, would show what was not predicted."""
    if len(scores) == 0:
        raise InputError("the scores table has no rows: there are no customers to draw.")
    columns = ["predicted_clv", "clv_lower", "clv_upper"]
    values = {}
    for name in columns:
        numbers = pd.to_numeric(scores[name], errors="coerce").to_numpy(dtype="float64")
        text = np.isnan(numbers) & scores[name].notna().to_numpy()
        if text.any():
            raise InputError(
                f"{name} must hold numbers; got {scores[name][text].iloc[:3].tolist()} (for "
                f"example customer(s) {list(scores.index[text][:3])})."
            )
        values[name] = numbers
    bad = ~np.isfinite(np.column_stack([values[name] for name in columns])).all(axis=1)
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} customer(s) have missing or infinite predicted_clv, clv_lower or "
            f"clv_upper (for example {list(scores.index[bad][:3])}); drop them, or compute the "
            "three columns with one prediction (e.g. clvmodel.customer_lifetime_value(..., "
            "interval=0.9))."
        )
    return scores.assign(**values)


def _draw_naive(ax, scores: pd.DataFrame, top: pd.DataFrame, y, naive_clv) -> None:
    """The naive formula beside the intervals: ``naive_clv`` (or the one value of the scores'
    ``naive_clv``) as a vertical line for everybody, or, with one value per segment, a mark at
    each customer's own."""
    if naive_clv is None and "naive_clv" in scores.columns:
        distinct = np.unique(scores["naive_clv"].dropna().to_numpy(dtype="float64"))
        if distinct.size > 1:  # one value per segment: each customer's own, not one for all
            ax.plot(
                top["naive_clv"].to_numpy(dtype="float64"),
                y,
                linestyle="none",
                marker="|",
                markersize=12,
                markeredgewidth=2,
                color="tab:red",
                label="naive formula: the customer's segment value",
            )
        elif distinct.size == 1:
            naive_clv = float(distinct[0])
    if naive_clv is not None:
        ax.axvline(
            naive_clv,
            color="tab:red",
            linestyle=":",
            linewidth=1.6,
            label=f"naive formula: {_money(float(naive_clv))} for everybody",
        )


def _one_value(naive_clv) -> float:
    """``naive_clv`` as a finite number, else an InputError naming the argument."""
    try:
        value = float(naive_clv)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(naive_clv, bool | str) or not np.isfinite(value):
        raise InputError(
            f"naive_clv must be a finite number (the naive formula's value), got {naive_clv!r}."
        )
    return value


def _coverage_table(coverage) -> pd.DataFrame:
    """The coverage table of ``coverage`` (a table or a report), checked."""
    table = coverage if isinstance(coverage, pd.DataFrame) else getattr(coverage, "coverage", None)
    if table is None and hasattr(coverage, "summary"):  # a HoldoutReport without coverage
        raise InputError(
            "this report has no coverage table: make it with evaluate_holdout(..., "
            "interval=0.9). If it was, the model's parameter uncertainty could not be drawn "
            "(evaluate_holdout warned why: a model built from parameters, or parameters without "
            "a standard error), so there is no coverage to plot."
        )
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
    numbers = ["observed_coverage", "predicted_mass", "customers", "standard_error"]
    return numeric_columns(table, numbers, "coverage")


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
    # coverage_comparison's (model, group) rows read "BG/NBD: 0", not as a Python tuple.
    groups = [": ".join(map(str, g)) if isinstance(g, tuple) else g for g in table.index]
    labels = [f"{g}\n(n={n:,})" for g, n in zip(groups, table["customers"], strict=True)]
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_xlabel("Customers, by repeat purchases in the calibration period")
    ax.set_ylabel("Share")
    shares = table[["observed_coverage", "predicted_mass"]].to_numpy(dtype="float64")
    low = float(np.nanmin(shares, initial=1.0))  # groups without customers have no share
    ax.set_ylim(max(0.0, min(low, level or 1.0) - 0.1), 1.0)
    ax.set_title("Do the intervals hold? Coverage of holdout purchases")
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return ax
