"""Calibration/holdout evaluation: how well do the predictions match what customers then did?

Fit the models on a calibration period, predict the holdout period that follows, and compare with
what happened, for the model and for two baselines:

* the **naive formula**: the calibration period's average purchase rate per customer (first
  purchases included, as the marketing formula counts orders) × the holdout length, the same
  number for everybody;
* the customer's **own past rate**: each customer's repeat purchases per unit of time since their
  first purchase, x / T, × the holdout length.

:func:`evaluate_holdout` returns a :class:`HoldoutReport` holding per-customer predictions, error
metrics, the conditional-expectation table (Fader, Hardie and Lee 2005, "Counting your customers
the easy way", its conditional-expectations figure), tracking of cumulative and incremental repeat
transactions (its tracking figures), the exact expected histogram of calibration repeat purchases,
and the quality of churn scores. The figures are in :mod:`clvmodel.plotting.holdout`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clvmodel._grouping import group_rows
from clvmodel.coverage import interval_coverage
from clvmodel.errors import InputError, StatisticalWarning
from clvmodel.metrics import brier_score, prediction_errors, reliability_table, roc_auc
from clvmodel.models.base import PurchaseModel
from clvmodel.rfm import TIME_UNITS, _clean_log, _day_number, _parse_date, validate_rfm

__all__ = ["HoldoutReport", "evaluate_holdout", "tracking_table"]

#: Predictors compared in every report, with the names used in text output.
PREDICTORS = {"model": "BG/NBD", "naive": "naive formula", "own_rate": "own past rate"}

_UNIT_NAMES = {"W": ("week", "weeks"), "D": ("day", "days")}
_METRIC_NAMES = {
    "mae": "MAE",
    "rmse": "RMSE",
    "bias": "bias",
    "pearson": "Pearson",
    "spearman": "Spearman",
    "total_predicted": "predicted",
    "total_actual": "actual",
    "total_error_pct": "error %",
}
_EXAMPLES = 5
# Largest distance, in days, between a computed calendar day and a whole day.
_DAY_TOLERANCE = 1e-6


def _examples(values) -> str:
    values = list(values)
    shown = ", ".join(map(str, values[:_EXAMPLES]))
    return shown + (" ..." if len(values) > _EXAMPLES else "")


def _unit_words(time_unit: str | None) -> tuple[str, str]:
    return _UNIT_NAMES.get(time_unit, ("time unit", "time units"))


def _date(day: int | None) -> pd.Timestamp | None:
    return None if day is None else pd.Timestamp(np.datetime64(int(day), "D"))


# --------------------------------------------------------------------------------------------------
# The report
@dataclass(repr=False)
class HoldoutReport:
    """Calibration/holdout comparison of a fitted purchase model (and Gamma-Gamma) with the outcome.

    Built by :func:`evaluate_holdout`. Every table is a pandas DataFrame attribute; ``str(report)``
    renders them as plain text and :meth:`to_dict` as a JSON-ready dictionary.

    Attributes
    ----------
    summary : dict
        Cohort size, time unit, calibration and holdout lengths (and dates when known), holdout
        buyers and purchases, model parameters, and the new customers (first purchase in the
        holdout period, so not part of the evaluated cohort): ``n_new_customers`` and
        ``new_customers``.
    customers : pandas.DataFrame
        One row per customer: calibration ``frequency``, ``recency`` and ``T``; holdout
        ``actual_purchases``, ``model_purchases``, ``naive_purchases``, ``own_rate_purchases``;
        ``probability_alive`` and ``probability_purchase`` (1 − P(no purchase in the holdout)) at
        the end of calibration and ``bought`` (a holdout purchase). With ``gg``: ``actual_spend``
        (mean per holdout purchase day, 0 without one), ``model_spend``, ``naive_spend``,
        ``own_rate_spend``, and undiscounted holdout revenue ``actual_value``, ``model_value``,
        ``naive_value``, ``own_rate_value``.
    metrics : pandas.DataFrame
        Indexed by (``target``, ``predictor``): targets ``purchases`` and, with ``gg``, ``spend``
        (holdout buyers only) and ``value``; predictors ``model``, ``naive``, ``own_rate``.
        Columns are those of :func:`clvmodel.metrics.prediction_errors`. Correlations of the naive
        prediction, which is the same for everybody, are undefined (NaN; ``null`` in JSON).
    conditional_expectation : pandas.DataFrame
        Mean holdout purchases by number of calibration repeat purchases (0, 1, …, 7+): columns
        ``customers``, ``actual``, ``model``, ``naive``, ``own_rate``.
    period_transactions : pandas.DataFrame
        Number of customers with n = 0, 1, …, 7+ calibration repeat purchases: ``actual`` and
        ``model`` (the exact expectation Σ_i P(X(T_i) = n), eq. 8 of Fader, Hardie and Lee 2005).
    predicted_vs_actual : pandas.DataFrame
        Customers binned by quantile of the model's predicted holdout purchases: ``customers``,
        ``mean_predicted``, ``mean_actual``, ``lower`` and ``upper`` (bin edges of the prediction).
    churn_scores : pandas.DataFrame
        How well scores at the end of calibration predict a holdout purchase: ``roc_auc`` and
        ``brier`` for ``probability_alive``, ``probability_purchase`` and the ``base_rate`` (the
        share of buyers given to everybody: no skill).
    reliability_alive, reliability_purchase : pandas.DataFrame
        Reliability tables (:func:`clvmodel.metrics.reliability_table`) of P(alive) and
        P(purchase in the holdout) against the holdout purchase, by decile of the score.
    tracking : pandas.DataFrame or None
        Actual and expected repeat transactions per period over calibration and holdout (see
        :func:`tracking_table`); ``None`` unless ``transactions`` were given.
    model_name : str
        How tables and figures name the model ("BG/NBD").
    coverage : pandas.DataFrame or None
        With ``interval``: the observed coverage of the holdout purchase intervals against the
        model's probability for them, overall and by calibration frequency, and the randomised
        PIT check (see :func:`clvmodel.interval_coverage`); ``None`` otherwise.
    """

    summary: dict[str, Any]
    customers: pd.DataFrame
    metrics: pd.DataFrame
    conditional_expectation: pd.DataFrame
    period_transactions: pd.DataFrame
    predicted_vs_actual: pd.DataFrame
    churn_scores: pd.DataFrame
    reliability_alive: pd.DataFrame
    reliability_purchase: pd.DataFrame
    tracking: pd.DataFrame | None = None
    model_name: str = "BG/NBD"
    coverage: pd.DataFrame | None = None

    # ----------------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<HoldoutReport: {s['n_customers']:,} customers, holdout {s['holdout_length']:g} "
            f"{_unit_words(s['time_unit'])[1]}, {s['n_new_customers']:,} new customers>"
        )

    def __str__(self) -> str:
        return self.to_text()

    def to_text(self, tracking_rows: int = 14) -> str:
        """The report as plain-text tables (what ``str(report)`` returns).

        Parameters
        ----------
        tracking_rows : int
            Largest number of tracking periods shown; the calibration end and the last period
            are always among them.
        """
        s = self.summary
        unit, units = _unit_words(s["time_unit"])
        model = self.model_name
        lines = []
        params = ", ".join(f"{k}={v:.4g}" for k, v in s["model_params"].items())
        lines.append(f"Calibration/holdout evaluation of {model} ({params})")
        cal_to = f" (to {s['calibration_end']:%Y-%m-%d})" if s.get("calibration_end") else ""
        hold_to = f" (to {s['observation_end']:%Y-%m-%d})" if s.get("observation_end") else ""
        lines.append(
            f"Cohort: {s['n_customers']:,} customers; calibration {s['calibration_length']:.2f} "
            f"{units}{cal_to}, holdout {s['holdout_length']:.2f} {units}{hold_to}."
        )
        lines.append(
            f"Calibration: {s['calibration_repeat_purchases']:,} repeat purchases. Holdout: "
            f"{s['holdout_buyers']:,} customers ({100 * s['holdout_buyer_share']:.1f} %) bought, "
            f"{s['holdout_purchases']:,} purchases."
        )
        new = s["n_new_customers"]
        new_text = f"New customers (first purchase in the holdout; not in the cohort): {new:,}"
        if new:
            new_text += f" ({_examples(s['new_customers'])})"
            if s.get("new_customer_purchases") is not None:
                new_text += f", {s['new_customer_purchases']:,} purchase days"
        lines.append(new_text + ".")

        lines += ["", "Holdout purchases per customer"]
        lines.append(_render(self._metric_rows("purchases")))
        lines.append(
            f"  naive formula: {s['naive_rate']:.4f} purchases per customer per {unit} in "
            f"calibration (first purchases included) × {s['holdout_length']:g} {units} = "
            f"{s['naive_rate'] * s['holdout_length']:.3f} for everybody."
        )
        lines.append(
            f"  own past rate: each customer's repeat purchases per {unit} since their first "
            f"purchase × {s['holdout_length']:g} {units}."
        )
        for target, title in (
            ("spend", "Mean spend per holdout purchase (holdout buyers)"),
            ("value", "Holdout revenue per customer (undiscounted)"),
        ):
            if target in self.metrics.index.get_level_values(0):
                rows = self._metric_rows(target)
                if target == "spend":  # totals of per-purchase means mean nothing
                    rows = rows.drop(columns=["predicted", "actual", "error %"])
                lines += ["", title, _render(rows)]

        lines += ["", "Mean holdout purchases by number of calibration repeat purchases"]
        table = self.conditional_expectation.rename(
            columns={"model": model, "naive": "naive formula", "own_rate": "own past rate"}
        )
        lines.append(_render(table))

        if self.tracking is not None:
            lines += ["", f"Cumulative repeat transactions, per {self._period_words()}"]
            lines.append(_render(self._tracking_rows(tracking_rows)))
        else:
            lines += [
                "",
                "Tracking of repeat transactions per week: pass transactions= to "
                "evaluate_holdout to compare them.",
            ]

        lines += [
            "",
            f"Who buys in the holdout? Scores at the end of calibration "
            f"({100 * s['holdout_buyer_share']:.1f} % bought)",
        ]
        scores = self.churn_scores.rename(
            index={
                "probability_alive": "P(alive)",
                "probability_purchase": "P(purchase in holdout)",
                "base_rate": "base rate (no skill)",
            },
            columns={"roc_auc": "ROC AUC", "brier": "Brier"},
        )
        lines.append(_render(scores))
        lines.append(
            f"  {model} gives P(alive) = 1 to every customer without a repeat purchase, so P(alive)"
            " ranks buyers poorly; P(purchase) = 1 − P(no purchase in the holdout) is the better "
            "churn score."
        )
        for name, table in (
            ("P(purchase in holdout)", self.reliability_purchase),
            ("P(alive)", self.reliability_alive),
        ):
            lines += ["", f"Reliability of {name}: share who bought, by decile of the score"]
            lines.append(_render(table))

        lines += ["", "Customers by number of calibration repeat purchases (period transactions)"]
        lines.append(_render(self.period_transactions.rename(columns={"model": model})))
        lines += ["", f"Holdout purchases by decile of the {model} prediction"]
        lines.append(_render(self.predicted_vs_actual))
        if self.coverage is not None:
            level = self.coverage.attrs.get("interval", float("nan"))
            lines += [
                "",
                f"Coverage of the {100 * level:g} % prediction intervals of holdout purchases "
                "(observed share inside vs the model's probability)",
            ]
            lines.append(_render(self.coverage))
        return "\n".join(lines)

    def _metric_rows(self, target: str) -> pd.DataFrame:
        names = dict(PREDICTORS, model=self.model_name)
        table = self.metrics.loc[target].rename(index=names, columns=_METRIC_NAMES)
        table.index.name = None
        return table

    def _period_words(self) -> str:
        attrs = self.tracking.attrs
        unit, units = _unit_words(attrs.get("time_unit"))
        length = attrs.get("period", 1.0)
        return unit if length == 1 else f"period of {length:g} {units}"

    def _tracking_rows(self, rows: int) -> pd.DataFrame:
        tracking = self.tracking
        n = len(tracking)
        j = tracking.attrs.get("calibration_periods", n)
        step = max(1, math.ceil(n / max(rows - 1, 1)))
        shown = set(range(step - 1, n, step)) | {j - 1, n - 1}
        table = tracking.iloc[sorted(p for p in shown if 0 <= p < n)]
        error = 100 * (table["model_cumulative"] - table["actual_cumulative"])
        error = error / table["actual_cumulative"].where(table["actual_cumulative"] > 0)
        return pd.DataFrame(
            {
                "period": table["period"].to_numpy(),
                "end date": table["end_date"].dt.strftime("%Y-%m-%d").to_numpy(),
                "phase": table["phase"].to_numpy(),
                "actual": table["actual_cumulative"].to_numpy(),
                self.model_name: table["model_cumulative"].to_numpy(),
                "error %": error.to_numpy(),
            }
        ).set_index("period")

    # ----------------------------------------------------------------------------------------------
    def to_dict(self, customers: bool = False) -> dict[str, Any]:
        """The report as a JSON-serialisable dictionary.

        Parameters
        ----------
        customers : bool
            Include the per-customer table (one record per customer; large for big cohorts).

        Returns
        -------
        dict
            ``summary``, ``metrics`` (``{target: {predictor: {metric: value}}}``),
            ``conditional_expectation``, ``period_transactions``, ``predicted_vs_actual``,
            ``churn_scores``, ``reliability`` (``alive`` and ``purchase``), ``tracking`` (or
            ``None``) and optionally ``customers``, as lists of records. Undefined numbers (NaN)
            become ``None``; dates become ISO strings.
        """
        metrics: dict[str, dict[str, dict[str, Any]]] = {}
        for (target, predictor), row in self.metrics.iterrows():
            metrics.setdefault(target, {})[predictor] = _jsonable(row.to_dict())
        document = {
            "summary": _jsonable(self.summary),
            "metrics": metrics,
            "conditional_expectation": _records(self.conditional_expectation),
            "period_transactions": _records(self.period_transactions),
            "predicted_vs_actual": _records(self.predicted_vs_actual),
            "churn_scores": _jsonable(self.churn_scores.to_dict(orient="index")),
            "reliability": {
                "alive": _records(self.reliability_alive),
                "purchase": _records(self.reliability_purchase),
            },
            "tracking": None if self.tracking is None else _records(self.tracking, index=False),
            "coverage": None if self.coverage is None else _records(self.coverage),
        }
        if customers:
            document["customers"] = _records(self.customers)
        return document


def _render(table: pd.DataFrame) -> str:
    """Plain text, with three decimals in a column of small numbers and one in a column of large
    ones (counts and totals)."""

    def formatter(column: pd.Series):
        numbers = pd.to_numeric(column, errors="coerce")
        large = bool((numbers.abs() >= 100).any())

        def number(value) -> str:
            if not isinstance(value, float | np.floating):
                return str(value)
            if not math.isfinite(value):
                return "n/a"
            return f"{value:,.1f}" if large else f"{value:.3f}"

        return number

    formatters = {
        name: formatter(table[name])
        for name in table.columns
        if pd.api.types.is_float_dtype(table[name])
    }
    return table.to_string(formatters=formatters, na_rep="n/a")


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, int | str):
        return value
    return str(value)


def _records(table: pd.DataFrame, index: bool = True) -> list[dict[str, Any]]:
    frame = table.reset_index() if index else table
    return [_jsonable(row) for row in frame.to_dict(orient="records")]


# --------------------------------------------------------------------------------------------------
# Validation
def _time_unit(bg, calibration, holdout) -> str | None:
    sources = {
        "the calibration summary": calibration.attrs.get("time_unit"),
        "the holdout table": getattr(holdout, "attrs", {}).get("time_unit"),
        "the model": getattr(bg, "time_unit_", None),
    }
    known = {name: unit for name, unit in sources.items() if unit is not None}
    if len(set(known.values())) > 1:
        described = ", ".join(f"{name} is in {unit!r}" for name, unit in known.items())
        raise InputError(
            f"the time units differ: {described}. Make calibration and holdout with one "
            "calibration_holdout_split(..., time_unit=...) and fit the model on that calibration."
        )
    unit = next(iter(known.values()), None)
    if unit is not None and unit not in TIME_UNITS:
        raise InputError(f"time unit {unit!r} is not supported; use 'D' or 'W'.")
    return unit


def _aligned_holdout(calibration: pd.DataFrame, holdout) -> pd.DataFrame:
    if not isinstance(holdout, pd.DataFrame):
        raise InputError(
            f"holdout must be a DataFrame, got {type(holdout).__name__}; make it with "
            "clvmodel.calibration_holdout_split."
        )
    if len(holdout) == 0:
        raise InputError(
            "the holdout table is empty: there are no customers to compare. Choose a calibration "
            "end inside the data, with transactions after it."
        )
    missing = [c for c in ("frequency_holdout", "duration_holdout") if c not in holdout.columns]
    if missing:
        raise InputError(
            f"the holdout table has no column {', '.join(map(repr, missing))}; it has "
            f"{list(map(str, holdout.columns))}. Make it with clvmodel.calibration_holdout_split."
        )
    for name, frame in (("calibration", calibration), ("holdout", holdout)):
        if frame.index.has_duplicates:
            repeated = frame.index[frame.index.duplicated()].unique()
            raise InputError(
                f"the {name} table lists {len(repeated)} customer(s) more than once "
                f"({_examples(repeated)}); give one row per customer."
            )
    if not calibration.index.equals(holdout.index):
        only_cal = calibration.index.difference(holdout.index)
        only_hold = holdout.index.difference(calibration.index)
        if len(only_cal) or len(only_hold):
            parts = []
            if len(only_cal):
                parts.append(f"{len(only_cal)} only in calibration ({_examples(only_cal)})")
            if len(only_hold):
                parts.append(f"{len(only_hold)} only in the holdout ({_examples(only_hold)})")
            raise InputError(
                "calibration and holdout describe different customers: "
                + "; ".join(parts)
                + ". Make both with one clvmodel.calibration_holdout_split call."
            )
        holdout = holdout.loc[calibration.index]
    return holdout


def _holdout_counts(holdout: pd.DataFrame) -> tuple[np.ndarray, float]:
    try:
        counts = np.asarray(holdout["frequency_holdout"], dtype="float64")
        duration = np.asarray(holdout["duration_holdout"], dtype="float64")
    except (TypeError, ValueError) as exc:
        raise InputError(f"holdout columns must hold numbers: {exc}") from None
    bad = ~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts))
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} frequency_holdout value(s) are missing, negative or fractional "
            f"(customers {_examples(holdout.index[bad])}); they count holdout purchase days."
        )
    if not np.isfinite(duration).all() or (duration <= 0).any():
        raise InputError(
            "duration_holdout must be a positive length of time; the holdout period is empty. "
            "Choose an observation end after the calibration end."
        )
    if np.ptp(duration) > 1e-9 * duration.max():
        raise InputError(
            f"duration_holdout differs between customers ({duration.min():g} to "
            f"{duration.max():g}); a holdout evaluation needs one holdout period for everybody."
        )
    if counts.sum() == 0:
        raise InputError(
            "nobody in the calibration cohort bought in the holdout period, so there is nothing "
            "to compare with; choose an earlier calibration end or a later observation end."
        )
    return counts, float(duration[0])


def _column(frame: pd.DataFrame, names: tuple[str, ...]):
    for name in names:
        if name in frame.columns:
            return frame[name]
    return None


# --------------------------------------------------------------------------------------------------
# Tracking
def _first_and_repeat_days(log) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First purchase day of each customer (by code), and the code and day of every later one."""
    codes, days = log.customer_code, log.day
    first_row = np.ones(codes.size, dtype=bool)
    first_row[1:] = codes[1:] != codes[:-1]
    first_day = np.full(len(log.customers), np.iinfo("int64").max, dtype="int64")
    first_day[codes[first_row]] = days[first_row]
    return first_day, codes[~first_row], days[~first_row]


def _whole_days(value: np.ndarray | float, what: str) -> np.ndarray:
    rounded = np.round(value)
    if np.any(np.abs(np.asarray(value) - rounded) > _DAY_TOLERANCE):
        raise InputError(
            f"{what} is not a whole number of days; calibration and holdout must come from "
            "calibration_holdout_split on these transactions (with the model's time unit)."
        )
    return rounded.astype("int64")


def _tracking(
    segments,
    first_day: np.ndarray,
    repeat_day: np.ndarray,
    calibration_day: int,
    end_day: int,
    unit_days: float,
    period_days: int,
    time_unit: str | None,
) -> pd.DataFrame:
    """Actual and expected repeat transactions per period for a cohort, by calendar period.

    Periods are ``period_days`` long and aligned on the calibration end, so that one period boundary
    falls on it; the first period contains the cohort's first purchase and the last one ends at
    ``end_day`` (and may be shorter). A boundary at day b counts the purchases on days ≤ b.
    """
    start = int(first_day.min())
    n_calibration = (calibration_day - start) // period_days + 1
    n_holdout = -(-(end_day - calibration_day) // period_days)
    bounds = np.concatenate(
        [
            calibration_day - period_days * np.arange(n_calibration, -1, -1),
            np.minimum(calibration_day + period_days * np.arange(1, n_holdout + 1), end_day),
        ]
    )
    # Expected cumulative repeat transactions at boundary b: Σ_i E[X((b − first_i) / unit)], with
    # E[X(t)] of a new customer (for BG/NBD eq. (9) of Fader, Hardie and Lee 2005). Customers are
    # grouped by first-purchase day, so E[X] is evaluated once per whole-day age.
    # With covariates, each group of customers sharing their parameters is summed separately.
    span = end_day - start
    model_cumulative = np.zeros(bounds.size)
    for model, members in segments:
        per_day = np.bincount(first_day[members] - start, minlength=span + 1).astype("float64")
        expected_by_age = np.asarray(
            model.expected_purchases_new(np.arange(span + 1) / unit_days), dtype="float64"
        )
        for k, bound in enumerate(bounds):
            offset = int(bound) - start
            if offset >= 0:
                model_cumulative[k] += per_day[: offset + 1] @ expected_by_age[offset::-1]
    actual_cumulative = np.searchsorted(np.sort(repeat_day), bounds, side="right")

    n = bounds.size - 1
    table = pd.DataFrame(
        {
            "period": np.arange(1, n + 1),
            "start_date": pd.to_datetime((bounds[:-1] + 1).astype("datetime64[D]")),
            "end_date": pd.to_datetime(bounds[1:].astype("datetime64[D]")),
            "phase": np.where(np.arange(1, n + 1) <= n_calibration, "calibration", "holdout"),
            "actual_incremental": np.diff(actual_cumulative),
            "model_incremental": np.diff(model_cumulative),
            "actual_cumulative": actual_cumulative[1:],
            "model_cumulative": model_cumulative[1:],
        }
    )
    table.attrs.update(
        time_unit=time_unit, period=period_days / unit_days, calibration_periods=int(n_calibration)
    )
    return table


def _period_days(period, time_unit: str | None, unit_days: float) -> int:
    if period is None:
        return 7  # weekly tracking, as in the papers, for both time units
    try:
        days = float(period) * unit_days
    except (TypeError, ValueError):
        raise InputError(f"period must be a number of time units, got {period!r}.") from None
    if not (math.isfinite(days) and days >= 1 and abs(days - round(days)) < 1e-9):
        raise InputError(
            f"period={period!r} {_unit_words(time_unit)[1]} is not a whole number (≥ 1) of days; "
            "choose e.g. period=1 for weeks or period=7 for days."
        )
    return int(round(days))


def tracking_table(
    bg,
    transactions: pd.DataFrame,
    calibration_end,
    observation_end=None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    time_unit: str | None = None,
    period: float | None = None,
    date_format: str | None = None,
) -> pd.DataFrame:
    """Actual and expected repeat transactions per period of the cohort acquired by calibration.

    The cohort is every customer whose first purchase is on or before ``calibration_end``. Each
    customer's expectation starts at their own first purchase, so the expected cumulative number of
    repeat transactions at calendar time τ is Σ_i E[X(τ − first_i)], with E[X(t)] the BG/NBD
    expectation for a new customer (eq. 9 of Fader, Hardie and Lee 2005, "Counting your customers
    the easy way", whose tracking figures plot it for CDNOW).

    Parameters
    ----------
    bg : PurchaseModel
        A fitted purchase model without covariates (usually fitted on the calibration period).
    transactions : pandas.DataFrame
        One row per purchase; purchases on the same day count once, as in :func:`rfm_summary`.
    calibration_end : date-like
        Last day of the calibration period; one period boundary falls on it.
    observation_end : date-like, optional
        Last day tracked; defaults to the last transaction date. Later purchases are ignored.
    customer_col, date_col : str
        Column names.
    time_unit : {"W", "D"}, optional
        The model's time unit; defaults to ``bg.time_unit_``.
    period : float, optional
        Length of a tracking period in the model's time unit, a whole number of days; defaults
        to 7 days (1 for weeks, 7 for days).
    date_format : str, optional
        How the dates are written (a strftime pattern), as in :func:`clvmodel.rfm_summary`.

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period`` (1, 2, …), ``start_date`` and ``end_date`` (the period's
        first and last day), ``phase`` (``calibration`` or ``holdout``), ``actual_incremental``,
        ``model_incremental``, ``actual_cumulative`` and ``model_cumulative``. ``attrs`` holds
        ``time_unit``, ``period`` and ``calibration_periods`` (the number of calibration periods).

    Notes
    -----
    Periods are aligned so that one ends on ``calibration_end``; the first period contains the
    cohort's first purchase and the last ends on ``observation_end`` (it may be shorter). Ages are
    measured as :func:`rfm_summary` measures ``T``: a customer whose first purchase is on day f has
    age (b − f) at the end of day b, so the expected total at the calibration end is Σ_i E[X(T_i)].
    Fader, Hardie and Lee count one more day (a 1 January customer is 78 weeks old at the end of
    30 June 1998), which gives a number 0.1 % higher on CDNOW (4,166 instead of 4,161 repeat
    transactions at week 78 with the published parameters).

    Examples
    --------
    >>> import clvmodel as clv
    >>> bg = clv.BetaGeoModel.from_params(
    ...     {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, time_unit="W")
    >>> table = clv.tracking_table(bg, clv.datasets.load_cdnow_sample(), "1997-09-30",
    ...                            "1998-06-30")
    >>> int(table["period"].iloc[-1]), int(table["actual_cumulative"].iloc[-1])
    (78, 4339)
    """
    if getattr(bg, "has_covariates", False):
        raise InputError(
            "tracking_table needs the customers' covariates for a model with covariates; use "
            "evaluate_holdout(model, calibration, holdout, transactions=...) instead."
        )
    unit = time_unit if time_unit is not None else getattr(bg, "time_unit_", None)
    if unit is None:
        raise InputError(
            "the model does not record its time unit; pass time_unit='W' or 'D' (the unit of "
            "recency and T it was fitted on)."
        )
    if unit not in TIME_UNITS:
        raise InputError(f"time_unit={unit!r} is not supported; use 'D' or 'W'.")
    model_unit = getattr(bg, "time_unit_", None)
    if model_unit is not None and model_unit != unit:
        raise InputError(
            f"time_unit={unit!r} differs from the model's time unit {model_unit!r}; leave it out."
        )
    unit_days = TIME_UNITS[unit]
    period_days = _period_days(period, unit, unit_days)
    log = _clean_log(transactions, customer_col, date_col, None, date_format)
    calibration_day = _day_number(_parse_date(calibration_end, "calibration_end"))
    last_day = int(log.day.max())
    end_day = (
        last_day
        if observation_end is None
        else _day_number(_parse_date(observation_end, "observation_end"))
    )
    first_day, repeat_code, repeat_day = _first_and_repeat_days(log)
    if not int(first_day.min()) <= calibration_day < end_day:
        raise InputError(
            f"calibration_end ({_date(calibration_day):%Y-%m-%d}) must fall on or after the first "
            f"transaction ({_date(int(first_day.min())):%Y-%m-%d}) and before the end of "
            f"observation ({_date(end_day):%Y-%m-%d})."
        )
    in_cohort = first_day <= calibration_day
    keep = in_cohort[repeat_code] & (repeat_day <= end_day)
    return _tracking(
        [(bg, slice(None))],
        first_day[in_cohort],
        repeat_day[keep],
        calibration_day,
        end_day,
        unit_days,
        period_days,
        unit,
    )


def _check_against_transactions(
    transactions, reading, calibration, x, age, holdout_counts, duration, unit
):
    """Match the dated transactions to the calibration and holdout tables, and return what
    tracking needs: (first days of the cohort, repeat days, calibration day, end day, new ids,
    purchase days of new customers)."""
    if unit is None:
        raise InputError(
            "cannot tell the time unit, needed to place the transactions in time: build the "
            "tables with calibration_holdout_split(..., time_unit=...) or the model with "
            "BetaGeoModel.from_params(..., time_unit=...)."
        )
    unit_days = TIME_UNITS[unit]
    customer_col, date_col, date_format = reading
    log = _clean_log(transactions, customer_col, date_col, None, date_format)
    first_day, repeat_code, repeat_day = _first_and_repeat_days(log)
    position = log.customers.get_indexer(calibration.index)
    absent = position < 0
    if absent.any():
        raise InputError(
            f"{int(absent.sum())} calibration customer(s) have no transactions "
            f"({_examples(calibration.index[absent])}); pass the transactions the calibration "
            f"summary was made from (same {customer_col!r} values)."
        )
    first = first_day[position]
    implied = first + age * unit_days
    calibration_day = int(np.round(np.median(implied)))
    off = np.abs(implied - calibration_day) > _DAY_TOLERANCE
    if off.any():
        raise InputError(
            f"the calibration T of {int(off.sum())} customer(s) "
            f"({_examples(calibration.index[off])}) does not match their first purchase in the "
            "transactions and one calibration end; "
            "pass the transactions the calibration summary was made from, in the same time unit."
        )
    end_day = calibration_day + int(_whole_days(duration * unit_days, "the holdout duration"))
    in_cohort = first_day <= calibration_day
    if in_cohort.sum() != len(calibration):
        extra = log.customers[in_cohort & ~np.isin(np.arange(in_cohort.size), position)]
        raise InputError(
            f"{len(extra)} customer(s) bought in the calibration period but are not in the "
            f"calibration table ({_examples(extra)}); make both tables from these transactions."
        )
    codes = np.arange(len(log.customers))
    calibration_repeats = np.bincount(
        repeat_code[repeat_day <= calibration_day], minlength=codes.size
    )[position]
    in_holdout = (repeat_day > calibration_day) & (repeat_day <= end_day)
    holdout_repeats = np.bincount(repeat_code[in_holdout], minlength=codes.size)[position]
    for name, counted, given in (
        ("calibration frequency", calibration_repeats, x),
        ("frequency_holdout", holdout_repeats, holdout_counts),
    ):
        wrong = counted != given
        if wrong.any():
            raise InputError(
                f"the {name} of {int(wrong.sum())} customer(s) "
                f"({_examples(calibration.index[wrong])}) differs from their purchase days in the "
                "transactions between "
                f"{_date(calibration_day):%Y-%m-%d} and {_date(end_day):%Y-%m-%d}; check that "
                "duration_holdout and T are in the model's time unit and that the tables were "
                "made from these transactions."
            )
    quiet = end_day - int(log.day.max())
    if quiet > (end_day - calibration_day) / 2:
        warnings.warn(
            f"no transaction in the last {quiet} days of the holdout period, which ends on "
            f"{_date(end_day):%Y-%m-%d} (the calibration end plus duration_holdout); check that "
            "duration_holdout is in the model's time unit.",
            StatisticalWarning,
            stacklevel=3,
        )
    new = (first_day > calibration_day) & (first_day <= end_day)
    new_ids = list(log.customers[new])
    all_days_new = np.isin(log.customer_code, np.flatnonzero(new)) & (log.day <= end_day)
    keep = in_cohort[repeat_code] & (repeat_day <= end_day)
    return (
        first,  # the cohort's first days, in calibration order
        repeat_day[keep],
        calibration_day,
        end_day,
        new_ids,
        int(all_days_new.sum()),
    )


# --------------------------------------------------------------------------------------------------
def _frequency_labels(x: np.ndarray, max_frequency: int) -> tuple[np.ndarray, list[str]]:
    group = np.minimum(x, max_frequency).astype("int64")
    labels = [str(n) for n in range(max_frequency)] + [f"{max_frequency}+"]
    return group, labels


def _period_transactions(segments, age, x, max_frequency) -> pd.DataFrame:
    """Observed and expected number of customers with n calibration repeat purchases."""
    group, labels = _frequency_labels(x, max_frequency)
    n = np.arange(max_frequency)
    # Σ_i P(X(T_i) = n) (for BG/NBD eq. 8), evaluated once per distinct T (and parameter group);
    # the top class is the remainder.
    expected = np.zeros(max_frequency)
    for model, members in segments:
        ages, counts = np.unique(age[members], return_counts=True)
        probabilities = np.asarray(model.probability_of_purchases(n[:, None], ages[None, :]))
        expected += probabilities @ counts
    expected = np.append(expected, max(x.size - expected.sum(), 0.0))
    actual = np.bincount(group, minlength=max_frequency + 1)
    table = pd.DataFrame({"actual": actual, "model": expected}, index=labels)
    table.index.name = "repeat_purchases"
    return table


def _parameter_groups(model, calibration: pd.DataFrame) -> list:
    """(model, members) pairs covering every customer: the model itself for all without
    covariates; with covariates, one model without them per distinct set of customers' own
    parameters (for the predictions of new customers, which depend on covariates only)."""
    if not model.has_covariates:
        return [(model, np.ones(len(calibration), dtype=bool))]
    params = model.individual_params(calibration)
    group, first = group_rows(*(params[name].to_numpy() for name in params.columns))
    plain = type(model)
    return [
        (
            plain.from_params(params.iloc[row].to_dict(), time_unit=model.time_unit_),
            group == g,
        )
        for g, row in enumerate(first)
    ]


def _conditional_expectation(x, columns: dict[str, np.ndarray], max_frequency) -> pd.DataFrame:
    group, labels = _frequency_labels(x, max_frequency)
    frame = pd.DataFrame({"group": group, **columns})
    grouped = frame.groupby("group")
    table = grouped.mean()
    table.insert(0, "customers", grouped.size())
    table.index = pd.Index([labels[g] for g in table.index], name="repeat_purchases")
    return table


def _score_quality(probability_alive, probability_purchase, bought, bins):
    share = float(bought.mean())
    rows = {}
    for name, score in (
        ("probability_alive", probability_alive),
        ("probability_purchase", probability_purchase),
        ("base_rate", np.full(bought.size, share)),
    ):
        try:
            auc = roc_auc(score, bought)
        except InputError:  # everybody bought: a ranking cannot be scored
            auc = np.nan
        rows[name] = {"roc_auc": auc, "brier": brier_score(score, bought)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "score"
    return table


def evaluate_holdout(
    bg,
    calibration: pd.DataFrame,
    holdout: pd.DataFrame,
    gg=None,
    *,
    transactions: pd.DataFrame | None = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    date_format: str | None = None,
    period: float | None = None,
    max_frequency: int = 7,
    bins: int = 10,
    interval: float | None = None,
) -> HoldoutReport:
    """Compare a fitted model's holdout predictions with what the customers did, beside baselines.

    Parameters
    ----------
    bg : PurchaseModel
        Any fitted purchase model (BG/NBD, MBG/NBD, Pareto/NBD, with or without covariates),
        fitted on ``calibration``.
    calibration : pandas.DataFrame
        Calibration RFM summary (``frequency``, ``recency``, ``T`` and, with ``gg``,
        ``monetary_value``), as returned by :func:`clvmodel.calibration_holdout_split`.
        ``lifetimes``' ``frequency_cal``-style names work too.
    holdout : pandas.DataFrame
        The holdout outcome for the same customers: ``frequency_holdout``, ``duration_holdout``
        (one length for everybody, in the model's time unit) and, with ``gg``,
        ``monetary_value_holdout``. Customers whose first purchase falls in the holdout are listed
        in ``holdout.attrs["new_customers"]`` by the split; they are counted in the report.
    gg : GammaGammaModel, optional
        Fitted spend model; adds spend and holdout revenue (value) to the comparison.
    transactions : pandas.DataFrame, optional
        The dated transactions the tables were made from. Needed for tracking (repeat transactions
        per period), which the report leaves out without them; they are also checked against the
        tables (same customers, first purchases, calibration and holdout counts), and new
        customers are counted from them.
    customer_col, date_col : str
        Column names in ``transactions``.
    date_format : str, optional
        How the dates in ``transactions`` are written (a strftime pattern such as
        ``"%d/%m/%Y"``), as in :func:`clvmodel.rfm_summary`.
    period : float, optional
        Tracking period in the model's time unit (whole days); 7 days by default.
    max_frequency : int
        Calibration repeat purchases from this number up are pooled into one class ("7+").
    interval : float, optional
        Also measure the coverage of prediction intervals of holdout purchases at this level
        (e.g. 0.9) with :func:`clvmodel.interval_coverage` (``report.coverage``); the model must
        come from a fit (it needs the parameters' covariance).
    bins : int
        Number of quantile bins for the predicted-vs-actual and reliability tables.

    Returns
    -------
    HoldoutReport
        Tables as DataFrame attributes, ``str(report)`` as text, ``report.to_dict()`` for JSON.

    Raises
    ------
    InputError
        The holdout is empty (no customers, zero length, or nobody bought in it); the time units of
        calibration, holdout and model differ; the two tables describe different customers; or the
        transactions do not match the tables.

    Notes
    -----
    The model predicts each customer's holdout purchases by the conditional expectation
    E[Y(t) | x, t_x, T] (eq. 10 of Fader, Hardie and Lee 2005, "Counting your customers the easy
    way") with t the holdout length; its churn scores at the end of calibration are P(alive)
    (eq. 13) and P(purchase in the holdout) = 1 − P(no purchase). The naive prediction is
    Σ_i (x_i + 1) / (n · max_i T_i) × t, every calibration purchase (first ones included) per
    customer per unit of time over the calibration period, times the holdout length; the own-rate
    prediction is x_i / T_i × t. With ``gg``, predicted spend per purchase is the Gamma-Gamma
    conditional expectation (eq. 5 of Hardie's note), the naive one the mean calibration repeat
    purchase amount (the only amounts in an RFM summary), and the own-rate one the customer's own
    mean (the naive mean without repeat purchases); holdout value is purchases × spend,
    undiscounted.

    Examples
    --------
    >>> import clvmodel as clv
    >>> tx = clv.datasets.load_cdnow_sample()
    >>> cal, hold = clv.calibration_holdout_split(tx, calibration_end="1997-09-30",
    ...                                           observation_end="1998-06-30")
    >>> bg = clv.BetaGeoModel().fit(cal)
    >>> report = clv.evaluate_holdout(bg, cal, hold, transactions=tx)
    >>> report.conditional_expectation["actual"].round(3).tolist()
    [0.237, 0.697, 1.393, 1.56, 2.532, 2.947, 3.862, 6.359]
    >>> int(report.tracking["actual_cumulative"].iloc[-1])
    4339
    """
    if not isinstance(calibration, pd.DataFrame):
        raise InputError(
            f"calibration must be a DataFrame, got {type(calibration).__name__}; make it with "
            "clvmodel.calibration_holdout_split."
        )
    if not isinstance(bg, PurchaseModel):
        raise InputError(
            "bg must be a fitted purchase model (clvmodel.BetaGeoModel, ModifiedBetaGeoModel or "
            f"ParetoNBDModel), got {type(bg).__name__}; gg is the optional fourth argument."
        )
    params = bg._check_fitted()  # NotFittedError before any work
    unit = _time_unit(bg, calibration, holdout)
    if len(calibration) == 0:
        raise InputError("the calibration table is empty: there are no customers to evaluate.")
    holdout = _aligned_holdout(calibration, holdout)
    rfm = validate_rfm(calibration)
    x, age = rfm.frequency, rfm.T
    actual, duration = _holdout_counts(holdout)
    if int(max_frequency) != max_frequency or max_frequency < 1:
        raise InputError(f"max_frequency must be a whole number ≥ 1, got {max_frequency!r}.")
    max_frequency = int(max_frequency)
    calibration_length = float(age.max())
    if calibration_length <= 0:
        raise InputError(
            "every customer has T = 0 (first purchase on the calibration end), so there is no "
            "calibration period to learn from; choose a later calibration end."
        )

    groups = _parameter_groups(bg, calibration)
    new_customers = list(holdout.attrs.get("new_customers", []))
    tracking = None
    calibration_day = end_day = None
    new_purchases = None
    if transactions is not None:
        first, repeats, calibration_day, end_day, new_customers, new_purchases = (
            _check_against_transactions(
                transactions,
                (customer_col, date_col, date_format),
                calibration,
                x,
                age,
                actual,
                duration,
                unit,
            )
        )
        unit_days = TIME_UNITS[unit]
        tracking = _tracking(
            groups,
            first,
            repeats,
            calibration_day,
            end_day,
            unit_days,
            _period_days(period, unit, unit_days),
            unit,
        )

    # Purchases: model, naive formula, own past rate.
    model = bg.expected_purchases(calibration, duration).to_numpy()
    naive_rate = float((x + 1).sum() / (x.size * calibration_length))
    naive = np.full(x.size, naive_rate * duration)
    own_rate = np.divide(x, age, out=np.zeros(x.size), where=age > 0) * duration
    probability_alive = bg.probability_alive(calibration).to_numpy()
    probability_purchase = 1.0 - bg.probability_no_purchase(calibration, duration).to_numpy()
    bought = actual > 0

    customers = pd.DataFrame(
        {
            "frequency": x,
            "recency": rfm.recency,
            "T": age,
            "actual_purchases": actual,
            "model_purchases": model,
            "naive_purchases": naive,
            "own_rate_purchases": own_rate,
            "probability_alive": probability_alive,
            "probability_purchase": probability_purchase,
            "bought": bought,
        },
        index=calibration.index,
    )
    metric_rows = {
        ("purchases", "model"): prediction_errors(model, actual),
        ("purchases", "naive"): prediction_errors(naive, actual),
        ("purchases", "own_rate"): prediction_errors(own_rate, actual),
    }

    gg_params = None
    if gg is not None:
        gg_params = {k: float(v) for k, v in gg.params_.items()} if hasattr(gg, "params_") else {}
        spent = _column(holdout, ("monetary_value_holdout",))
        if spent is None or rfm.monetary_value is None:
            raise InputError(
                "spend needs amounts: the calibration table must have monetary_value and the "
                "holdout table monetary_value_holdout. Split with amount_col= naming your amount "
                "column, or leave out gg."
            )
        actual_spend = np.asarray(spent, dtype="float64")
        if not np.isfinite(actual_spend).all() or (actual_spend < 0).any():
            raise InputError("monetary_value_holdout must be finite and ≥ 0.")
        m = rfm.monetary_value
        if (x > 0).sum() == 0:
            raise InputError("no calibration repeat purchases: there is no spend to learn from.")
        average_order = float((x * m).sum() / x.sum())
        model_spend = gg.expected_spend(calibration).to_numpy()
        naive_spend = np.full(x.size, average_order)
        own_spend = np.where(x > 0, m, average_order)
        customers["actual_spend"] = actual_spend
        customers["model_spend"] = model_spend
        customers["naive_spend"] = naive_spend
        customers["own_rate_spend"] = own_spend
        customers["actual_value"] = actual * actual_spend
        customers["model_value"] = model * model_spend
        customers["naive_value"] = naive * naive_spend
        customers["own_rate_value"] = own_rate * own_spend
        for predictor in ("model", "naive", "own_rate"):
            metric_rows[("spend", predictor)] = prediction_errors(
                customers[f"{predictor}_spend"].to_numpy()[bought], actual_spend[bought]
            )
        for predictor in ("model", "naive", "own_rate"):
            metric_rows[("value", predictor)] = prediction_errors(
                customers[f"{predictor}_value"].to_numpy(), customers["actual_value"].to_numpy()
            )

    metrics = pd.DataFrame.from_dict(metric_rows, orient="index")
    metrics.index = pd.MultiIndex.from_tuples(metrics.index, names=["target", "predictor"])

    conditional = _conditional_expectation(
        x,
        {"actual": actual, "model": model, "naive": naive, "own_rate": own_rate},
        max_frequency,
    )
    binned = reliability_table(model, actual, bins=bins).rename(
        columns={"observed_rate": "mean_actual"}
    )
    reliability_alive = reliability_table(probability_alive, bought, bins=bins)
    reliability_purchase = reliability_table(probability_purchase, bought, bins=bins)

    summary = {
        "n_customers": int(x.size),
        "time_unit": unit,
        "calibration_length": calibration_length,
        "holdout_length": duration,
        "calibration_end": _date(calibration_day),
        "observation_end": _date(end_day),
        "calibration_repeat_purchases": int(x.sum()),
        "holdout_purchases": int(actual.sum()),
        "holdout_buyers": int(bought.sum()),
        "holdout_buyer_share": float(bought.mean()),
        "naive_rate": naive_rate,
        "n_new_customers": len(new_customers),
        "new_customers": [str(c) for c in new_customers],
        "new_customer_purchases": new_purchases,
        "model": type(bg).__name__,
        "model_params": dict(zip(bg.params_.index, map(float, params), strict=True)),
        "spend_model_params": gg_params,
    }
    return HoldoutReport(
        summary=summary,
        customers=customers,
        metrics=metrics,
        conditional_expectation=conditional,
        period_transactions=_period_transactions(groups, age, x, max_frequency),
        predicted_vs_actual=binned,
        churn_scores=_score_quality(probability_alive, probability_purchase, bought, bins),
        reliability_alive=reliability_alive,
        reliability_purchase=reliability_purchase,
        tracking=tracking,
        model_name=_model_name(bg),
        coverage=None
        if interval is None
        else interval_coverage(bg, calibration, holdout, interval),
    )


def _model_name(bg) -> str:
    return bg.label + (" with covariates" if bg.has_covariates else "")
