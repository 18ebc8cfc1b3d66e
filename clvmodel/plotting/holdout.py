"""Figures of a calibration/holdout evaluation (:func:`clvmodel.evaluate_holdout`).

Each function takes the :class:`~clvmodel.HoldoutReport` or the table it draws, and an optional
``ax``; it draws on that Axes (or on a new pyplot figure's) and returns the Axes.
The figures follow Fader, Hardie and Lee (2005), "Counting your customers the easy way": the
histogram of calibration repeat transactions, tracking of weekly and cumulative repeat
transactions, and conditional expectations of holdout transactions by calibration frequency.

Plotted series, in order (``ax.lines`` and ``ax.containers``), are documented per function so that
they can be checked against the report's numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.errors import InputError
from clvmodel.evaluation.tracking import tracking_period_name
from clvmodel.plotting._common import new_axes, numeric_columns

__all__ = [
    "plot_conditional_expectation",
    "plot_period_transactions",
    "plot_predicted_vs_actual",
    "plot_reliability",
    "plot_tracking",
]

_ACTUAL = {"color": "black", "linewidth": 1.8}
_MODEL = {"color": "tab:blue", "linewidth": 1.8, "linestyle": "--"}
_NAIVE = {"color": "tab:red", "linewidth": 1.4, "linestyle": ":"}
_OWN = {"color": "tab:orange", "linewidth": 1.4, "linestyle": "-."}
_GUIDE = {"color": "grey", "linewidth": 0.9, "linestyle": ":"}
_UNIT = {"W": "Week", "D": "Day"}


def _table(source, attribute: str, what: str) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source
    table = getattr(source, attribute, None)
    if table is None:
        if hasattr(source, "summary") and attribute == "tracking":
            raise InputError(
                "this report has no tracking table: pass transactions= to evaluate_holdout."
            )
        raise InputError(
            f"expected a HoldoutReport or its {what} table (a DataFrame), got "
            f"{type(source).__name__}."
        )
    return table


def _model_name(source) -> str:
    return getattr(source, "model_name", "model")


def _require(table: pd.DataFrame, columns, what: str) -> pd.DataFrame:
    """``table``, checked to have ``columns`` and rows, with its number columns as numbers (a
    table read back from a CSV file holds text)."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(
            f"the {what} table has no column {', '.join(map(repr, missing))}; pass the table from "
            "clvmodel.evaluate_holdout or the report itself."
        )
    if table.empty:
        raise InputError(f"the {what} table has no rows: there is nothing to draw.")
    plotted = [c for c in columns if c not in ("phase", "start_date")]
    return numeric_columns(table, [*plotted, "customers", "naive", "own_rate"], what)


def plot_tracking(report, ax=None, kind: str = "cumulative"):
    """Actual and expected repeat transactions per period over calibration and holdout.

    Parameters
    ----------
    report : HoldoutReport or pandas.DataFrame
        A report made with ``transactions=``, or its ``tracking`` table (or
        :func:`clvmodel.tracking_table`'s).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's Axes by default.
    kind : {"cumulative", "incremental"}
        Cumulative totals or transactions in each period, as in the tracking figures of Fader,
        Hardie and Lee (2005).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]`` is the actual series and ``ax.lines[1]`` the model's, both against the
        period number; ``ax.lines[2]`` marks the end of calibration.

    Examples
    --------
    >>> import clvmodel as clv
    >>> from clvmodel.plotting import plot_tracking
    >>> bg = clv.BetaGeoModel.from_params(
    ...     {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, time_unit="W")
    >>> table = clv.tracking_table(bg, clv.datasets.load_cdnow_sample(), "1997-09-30")
    >>> ax = plot_tracking(table, kind="incremental")
    >>> len(ax.lines[0].get_ydata()) == len(table)
    True
    """
    if kind not in ("cumulative", "incremental"):
        raise InputError(f"kind must be 'cumulative' or 'incremental', got {kind!r}.")
    table = _table(report, "tracking", "tracking")
    columns = [f"actual_{kind}", f"model_{kind}", "period", "start_date"]
    if table.attrs.get("calibration_periods") is None:
        columns.append("phase")  # where calibration ends, without the table's attrs
    table = _require(table, columns, "tracking")
    ax = new_axes(ax)
    periods = table["period"].to_numpy()
    name = _model_name(report)
    ax.plot(periods, table[f"actual_{kind}"].to_numpy(), label="Actual", **_ACTUAL)
    ax.plot(periods, table[f"model_{kind}"].to_numpy(), label=name, **_MODEL)
    _mark_calibration_end(ax, table, kind)
    noun, named = tracking_period_name(table)
    start = pd.Timestamp(table["start_date"].iloc[0])
    ax.set_xlabel(f"{named[:1].upper()}{named[1:]} ({noun} 1 begins {start:%Y-%m-%d})")
    if kind == "cumulative":
        ax.set_ylabel("Cumulative repeat transactions")
        ax.set_title("Tracking cumulative repeat transactions")
        ax.legend(loc="lower right")
    else:
        ax.set_ylabel(f"Repeat transactions per {named}")
        ax.set_title(f"Tracking repeat transactions per {named}")
        # Upper right, unless the calibration/holdout labels stand there (a short holdout).
        boundary = ax.lines[-1].get_xdata()[0]
        right = (boundary - periods[0]) > 0.6 * max(periods[-1] - periods[0], 1)
        ax.legend(loc="upper left" if right else "upper right")
    ax.set_xlim(periods[0] - 0.5, periods[-1] + 0.5)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.06)  # room for the calibration/holdout labels
    ax.grid(alpha=0.3)
    return ax


def _mark_calibration_end(ax, table, kind: str) -> None:
    """A vertical guide at the end of calibration, labelled on both sides."""
    calibration_periods = table.attrs.get("calibration_periods")
    if calibration_periods is None:
        calibration_periods = int((table.get("phase") == "calibration").sum())
    boundary = calibration_periods + (0.5 if kind == "incremental" else 0.0)
    ax.axvline(boundary, **_GUIDE)
    # Label the two sides of the boundary just below the top of the plot (axes coordinates in y).
    where = ax.get_xaxis_transform()
    ax.text(
        boundary,
        0.98,
        "calibration ",
        ha="right",
        va="top",
        fontsize=8,
        color="grey",
        transform=where,
    )
    ax.text(
        boundary, 0.98, " holdout", ha="left", va="top", fontsize=8, color="grey", transform=where
    )


def plot_conditional_expectation(report, ax=None, baselines=("naive",)):
    """Mean holdout purchases by number of calibration repeat purchases: actual, model, baselines.

    The conditional-expectations figure of Fader, Hardie and Lee (2005): customers are grouped by
    their calibration frequency (0, 1, …, 7+), and each group's mean holdout purchases is set
    beside its mean prediction.

    Parameters
    ----------
    report : HoldoutReport or pandas.DataFrame
        The report, or its ``conditional_expectation`` table.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    baselines : sequence of {"naive", "own_rate"}
        Baseline predictions to draw too (when the table has them); one name alone, or None
        for none.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]`` actual, ``ax.lines[1]`` the model, then one line per baseline, each with
        one point per frequency class with customers, at x = its number (a class without
        customers leaves its place empty).
    """
    table = _table(report, "conditional_expectation", "conditional-expectation")
    table = _require(table, ["actual", "model"], "conditional-expectation")
    baselines = (
        [] if baselines is None else [baselines] if isinstance(baselines, str) else baselines
    )
    unknown = [b for b in baselines if b not in ("naive", "own_rate")]
    if unknown:
        raise InputError(f"unknown baseline(s) {unknown}; choose from 'naive' and 'own_rate'.")
    ax = new_axes(ax)
    x = _class_positions(table.index)
    ax.plot(x, table["actual"].to_numpy(), marker="o", label="Actual", **_ACTUAL)
    ax.plot(x, table["model"].to_numpy(), marker="s", label=_model_name(report), **_MODEL)
    labels = {"naive": "Naive formula", "own_rate": "Own past rate"}
    styles = {"naive": _NAIVE, "own_rate": _OWN}
    for baseline in baselines:
        if baseline in table.columns:
            ax.plot(x, table[baseline].to_numpy(), label=labels[baseline], **styles[baseline])
    ticks = [str(label) for label in table.index]
    if "customers" in table.columns:
        ticks = [f"{t}\n(n={n:,})" for t, n in zip(ticks, table["customers"], strict=True)]
    ax.set_xticks(x, ticks, fontsize=8)
    ax.set_xlabel("Repeat purchases in the calibration period (customers)")
    ax.set_ylabel("Mean purchases in the holdout period")
    ax.set_title("Conditional expectations: holdout purchases by calibration frequency")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return ax


def plot_predicted_vs_actual(report, ax=None):
    """Mean actual against mean predicted holdout purchases, customers binned by prediction.

    Parameters
    ----------
    report : HoldoutReport or pandas.DataFrame
        The report, or its ``predicted_vs_actual`` table.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]`` has one point per bin (x = ``mean_predicted``, y = ``mean_actual``);
        ``ax.lines[1]`` is the diagonal of perfect agreement.
    """
    table = _table(report, "predicted_vs_actual", "predicted-vs-actual")
    table = _require(table, ["mean_predicted", "mean_actual"], "predicted-vs-actual")
    ax = new_axes(ax)
    predicted = table["mean_predicted"].to_numpy()
    actual = table["mean_actual"].to_numpy()
    ax.plot(
        predicted,
        actual,
        marker="o",
        label=f"{_model_name(report)} (one point per bin)",
        **{**_MODEL, "linestyle": "-"},
    )
    largest = np.nanmax(np.concatenate([predicted, actual]).astype("float64"), initial=0.0)
    top = float(largest) * 1.05 if np.isfinite(largest) and largest > 0 else 1.0  # all 0: 0 to 1
    ax.plot([0, top], [0, top], label="Perfect agreement", **_GUIDE)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("Predicted holdout purchases (mean of the bin)")
    ax.set_ylabel("Actual holdout purchases (mean of the bin)")
    ax.set_title("Predicted vs actual holdout purchases, by bin of the prediction")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return ax


def plot_period_transactions(report, ax=None):
    """Number of customers with 0, 1, …, 7+ calibration repeat purchases: actual and expected.

    The expected counts are exact, Σ_i P(X(T_i) = n) (as in Fader, Hardie and Lee 2005),
    not simulated.

    Parameters
    ----------
    report : HoldoutReport or pandas.DataFrame
        The report, or its ``period_transactions`` table.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers[0]`` holds the actual bars and ``ax.containers[1]`` the model's.
    """
    table = _table(report, "period_transactions", "period-transactions")
    table = _require(table, ["actual", "model"], "period-transactions")
    ax = new_axes(ax)
    x = np.arange(len(table))
    width = 0.4
    ax.bar(x - width / 2, table["actual"].to_numpy(), width, label="Actual", color="0.25")
    ax.bar(
        x + width / 2, table["model"].to_numpy(), width, label=_model_name(report), color="tab:blue"
    )
    ax.set_xticks(x, [str(label) for label in table.index])
    ax.set_xlabel("Repeat purchases in the calibration period")
    ax.set_ylabel("Customers")
    ax.set_title("Calibration repeat purchases: actual vs expected (exact)")
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3, axis="y")
    return ax


def plot_reliability(report, ax=None):
    """Reliability of churn scores: the share who bought in the holdout, by bin of the score
    (quantile bins; tied scores share a bin).

    Parameters
    ----------
    report : HoldoutReport or pandas.DataFrame
        The report (both scores are drawn: P(purchase in the holdout), then P(alive)), or one
        reliability table (``mean_predicted``, ``observed_rate``).
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One line per score (x = ``mean_predicted``, y = ``observed_rate``) in the order above,
        then the diagonal of perfect calibration.
    """
    if isinstance(report, pd.DataFrame):
        tables = [("Score", report)]
    else:
        purchase = _table(report, "reliability_purchase", "reliability")
        alive = _table(report, "reliability_alive", "reliability")
        scores = getattr(report, "churn_scores", None)

        def label(name, key):
            if scores is None or not np.isfinite(scores.loc[key, "roc_auc"]):
                return name
            return f"{name}: AUC {scores.loc[key, 'roc_auc']:.2f}"

        tables = [
            (label("P(purchase in holdout)", "probability_purchase"), purchase),
            (label("P(alive)", "probability_alive"), alive),
        ]
    ax = new_axes(ax)
    styles = [{"color": "tab:blue", "marker": "o"}, {"color": "tab:red", "marker": "^"}]
    for (name, table), style in zip(tables, styles, strict=False):
        table = _require(table, ["mean_predicted", "observed_rate"], "reliability")
        ax.plot(
            table["mean_predicted"].to_numpy(),
            table["observed_rate"].to_numpy(),
            label=name,
            linewidth=1.5,
            **style,
        )
    ax.plot([0, 1], [0, 1], label="Perfect calibration", **_GUIDE)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Predicted probability (mean of the bin)")
    ax.set_ylabel("Share who bought in the holdout")
    ax.set_title("Reliability of churn scores at the end of calibration")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return ax


def _class_positions(labels) -> np.ndarray:
    """x of each frequency class: its number ("7+" at 7), so that a class without customers
    (not in the table) leaves its place empty; 0, 1, … for labels that are not numbers."""
    try:
        return np.array([int(str(label).rstrip("+")) for label in labels], dtype="float64")
    except ValueError:
        return np.arange(len(labels), dtype="float64")
