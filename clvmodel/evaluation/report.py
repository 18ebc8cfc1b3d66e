"""The holdout report: tables of a calibration/holdout comparison, as text and as JSON."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clvmodel.errors import InputError
from clvmodel.evaluation._coverage_reading import coverage_reading
from clvmodel.evaluation._format import jsonable, records, render
from clvmodel.evaluation._shared import examples, unit_words
from clvmodel.evaluation.tracking import tracking_period_name

#: Predictors compared in every report, with the names used in text output.
PREDICTORS = {"model": "BG/NBD", "naive": "naive formula", "own_rate": "own past rate"}

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

#: How the text names the bin edges of the score in reliability tables (its range in the bin,
#: not an interval of the observed rate).
_SCORE_RANGE = {"lower": "score from", "upper": "score to"}


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
        ``new_customers``; and ``n_customers_after_end``, those whose first purchase is after the
        holdout period (``None`` when unknown: tables not made by the split, no transactions).
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
        P(purchase in the holdout) against the holdout purchase, by quantile bin of the score
        (up to ``bins``; tied scores share a bin); ``lower`` and ``upper`` are the bin's score
        range.
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
            f"{unit_words(s['time_unit'])[1]}, {s['n_new_customers']:,} new customers>"
        )

    def __str__(self) -> str:
        return self.to_text()

    def to_text(self, tracking_rows: int = 14) -> str:
        """The report as plain-text tables (what ``str(report)`` returns).

        Parameters
        ----------
        tracking_rows : int
            Largest number of tracking periods shown (a whole number ≥ 2); the calibration end
            and the last period are always among them.
        """
        whole = isinstance(tracking_rows, (int, np.integer)) and not isinstance(tracking_rows, bool)
        if not (whole and tracking_rows >= 2):
            raise InputError(
                f"tracking_rows must be a whole number ≥ 2 (the calibration end and the last "
                f"period are always shown), got {tracking_rows!r}."
            )
        lines = self._cohort_lines()
        lines += self._purchase_lines()
        lines += self._pattern_lines(tracking_rows)
        lines += self._score_lines()
        lines += self._distribution_lines()
        return "\n".join(lines)

    def _cohort_lines(self) -> list[str]:
        """The model, the cohort, and the new customers left out of it."""
        s = self.summary
        units = unit_words(s["time_unit"])[1]
        params = ", ".join(f"{k}={v:.4g}" for k, v in s["model_params"].items())
        lines = [f"Calibration/holdout evaluation of {self.model_name} ({params})"]
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
            new_text += f" ({examples(s['new_customers'])})"
            if s.get("new_customer_purchases") is not None:
                new_text += f", {s['new_customer_purchases']:,} purchase days"
        lines.append(new_text + ".")
        if s.get("n_customers_after_end"):
            lines.append(
                f"Customers whose first purchase is after the end of the holdout (left out): "
                f"{s['n_customers_after_end']:,}."
            )
        return lines

    def _purchase_lines(self) -> list[str]:
        """Purchase, spend and value metrics of the model and the baselines."""
        s = self.summary
        unit, units = unit_words(s["time_unit"])
        lines = ["", "Holdout purchases per customer", render(self._metric_rows("purchases"))]
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
                lines += ["", title, render(rows)]
        if "naive_value" in self.customers.columns and len(self.customers):
            lines.append(self._naive_revenue_line())
        return lines

    def _naive_revenue_line(self) -> str:
        """How the naive formula's holdout revenue is made here, and why it is not the revenue
        error of :func:`clvmodel.naive_vs_model` (the HTML report's naive formula)."""
        first = self.customers.iloc[0]
        return (
            f"  naive formula (holdout revenue): {first['naive_purchases']:.3f} purchases × "
            f"{first['naive_spend']:.2f}, the mean spend per calibration repeat purchase, = "
            f"{first['naive_value']:.2f} for everybody; clvmodel.naive_vs_model (and the HTML "
            "report) count orders and use the average order value of all calibration orders, "
            "so their naive formula's revenue error differs."
        )

    def _pattern_lines(self, tracking_rows: int) -> list[str]:
        """Conditional expectations and tracking."""
        table = self.conditional_expectation.rename(
            columns={
                "model": self.model_name,
                "naive": "naive formula",
                "own_rate": "own past rate",
            }
        )
        lines = ["", "Mean holdout purchases by number of calibration repeat purchases"]
        lines.append(render(table))
        if self.tracking is not None:
            lines += ["", f"Cumulative repeat transactions, per {self._period_words()}"]
            lines.append(render(self._tracking_rows(tracking_rows)))
        else:
            lines += [
                "",
                "Tracking of repeat transactions per week: pass transactions= to "
                "evaluate_holdout to compare them.",
            ]
        return lines

    def _score_lines(self) -> list[str]:
        """Churn scores and their reliability."""
        s = self.summary
        lines = [
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
        lines.append(render(scores))
        lines += self._tied_alive_lines()
        for name, table in (
            ("P(purchase in holdout)", self.reliability_purchase),
            ("P(alive)", self.reliability_alive),
        ):
            lines += [
                "",
                f"Reliability of {name}: share who bought, by score bin ({len(table)} quantile "
                "bins; tied scores share a bin)",
            ]
            lines.append(render(table.rename(columns=_SCORE_RANGE)))
        return lines

    def _tied_alive_lines(self) -> list[str]:
        """Why P(alive) ranks buyers poorly, when the customers without a repeat purchase all
        have P(alive) = 1 (BG/NBD's) and the churn scores bear the comparison out (P(purchase)'s
        ROC AUC above P(alive)'s); nothing otherwise: Pareto/NBD and MBG/NBD give them less, a
        cohort may have no such customer, and the AUCs are undefined when everybody bought in
        the holdout, or may favour P(alive) (when those customers are the buyers)."""
        customers = self.customers
        alive = customers.loc[customers["frequency"] == 0, "probability_alive"].to_numpy()
        if alive.size == 0 or not np.allclose(alive, 1.0, rtol=0.0, atol=1e-9):
            return []
        auc = self.churn_scores["roc_auc"]
        if not auc["probability_purchase"] > auc["probability_alive"]:  # False with a NaN
            return []
        return [
            f"  All {alive.size:,} customers without a repeat purchase have P(alive) = 1, so "
            "P(alive) ranks buyers poorly; P(purchase) = 1 − P(no purchase in the holdout) is the "
            "better churn score."
        ]

    def _distribution_lines(self) -> list[str]:
        """Period transactions, predicted vs actual and interval coverage."""
        model = self.model_name
        lines = ["", "Customers by number of calibration repeat purchases (period transactions)"]
        lines.append(render(self.period_transactions.rename(columns={"model": model})))
        table = self.predicted_vs_actual
        lines += [
            "",
            f"Holdout purchases by bin of the {model} prediction ({len(table)} quantile bins; "
            "tied predictions share a bin)",
        ]
        lines.append(
            render(table.rename(columns={"lower": "prediction from", "upper": "prediction to"}))
        )
        if self.coverage is not None:
            level = self.coverage.attrs.get("interval", float("nan"))
            lines += [
                "",
                f"Coverage of the {100 * level:g} % prediction intervals of holdout purchases "
                "(observed share inside vs the model's probability)",
            ]
            lines.append(render(self.coverage))
            lines += coverage_reading(self.coverage)
        return lines

    def _metric_rows(self, target: str) -> pd.DataFrame:
        names = dict(PREDICTORS, model=self.model_name)
        table = self.metrics.loc[target].rename(index=names, columns=_METRIC_NAMES)
        table.index.name = None
        return table

    def _period_words(self) -> str:
        return tracking_period_name(self.tracking)[1]

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
            ``None``), ``coverage`` (the interval coverage table, or ``None`` without
            ``interval``), ``coverage_interval`` (its level, e.g. ``0.9``, or ``None``),
            ``coverage_reading`` (the text's sentences on it, or ``None``) and optionally
            ``customers``, as lists of records. Undefined numbers (NaN) become
            ``None``; dates become ISO strings.
        """
        level = None if self.coverage is None else self.coverage.attrs.get("interval")
        metrics: dict[str, dict[str, dict[str, Any]]] = {}
        for (target, predictor), row in self.metrics.iterrows():
            metrics.setdefault(target, {})[predictor] = jsonable(row.to_dict())
        document = {
            "summary": jsonable(self.summary),
            "metrics": metrics,
            "conditional_expectation": records(self.conditional_expectation),
            "period_transactions": records(self.period_transactions),
            "predicted_vs_actual": records(self.predicted_vs_actual),
            "churn_scores": jsonable(self.churn_scores.to_dict(orient="index")),
            "reliability": {
                "alive": records(self.reliability_alive),
                "purchase": records(self.reliability_purchase),
            },
            "tracking": None if self.tracking is None else records(self.tracking, index=False),
            "coverage": None if self.coverage is None else records(self.coverage),
            "coverage_interval": None if level is None else float(level),
            "coverage_reading": None if self.coverage is None else coverage_reading(self.coverage),
        }
        if customers:
            document["customers"] = records(self.customers)
        return document
