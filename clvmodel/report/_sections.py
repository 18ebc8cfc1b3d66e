"""The report's summary cards and sections, with their tables and figures, from an analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._units import Duration
from clvmodel.evaluation.tracking import tracking_period_name
from clvmodel.plotting import (
    plot_clv_vs_naive,
    plot_conditional_expectation,
    plot_tracking,
)
from clvmodel.plotting.value import top_share as concentration_top_share
from clvmodel.report import _figures
from clvmodel.report._analysis import Analysis
from clvmodel.report._figures import figure
from clvmodel.report._format import (
    Card,
    Cell,
    Section,
    Table,
    count,
    day_text,
    decimal,
    first_upper,
    money,
    percent,
    ratio,
    segment_label,
    unit_words,
    with_total,
)
from clvmodel.report._payback import paid_back_words


def top_share(values: pd.Series, share: float) -> tuple[str, float]:
    """The top ``share`` of customers as the concentration figure marks them: the share of
    customers they are, in words ("20 %"; "25 %" for the top 20 % of 4 customers), and the share
    of the total they hold."""
    customers, held = concentration_top_share(values.to_numpy(float), share)
    return f"{100 * customers:.3g} %", held


# --------------------------------------------------------------------------------------------------
def summary_cards(a: Analysis) -> list[Card]:
    s = a.settings
    overall = a.naive_vs_model.total
    net = a.economics["net_clv"]
    cards = [
        Card(
            "Customers",
            count(a.customers),
            f"{count(a.transactions)} transactions ({count(a.purchase_days)} purchase days) in "
            f"{(a.last_date - a.first_date).days / 7:.0f} weeks",
            "card-customers",
        ),
        Card(
            f"Net CLV, {s.horizon_words}",
            money(net.sum()),
            f"{money(net.mean())} per customer after the cost to serve, discounted at "
            f"{percent(s.discount_rate)} a year",
            "card-net-clv",
        ),
        Card(
            "Holdout revenue: model vs naive formula",
            percent(overall["model_error"], True),
            f"model's error on the holdout revenue of the {count(overall['customers'])} "
            f"customers who had bought by {day_text(s.calibration_end)}; the naive formula's "
            f"(average order value × purchases per year): {percent(overall['naive_error'], True)}",
            "card-naive-vs-model",
        ),
    ]
    if a.unit_summary is not None:
        row = a.unit_summary.total
        cards.append(
            Card(
                "CLV:CAC",
                ratio(row["clv_to_cac"]),
                paid_back_words(a.unit_summary, s.horizon_words),
                "card-clv-cac",
            )
        )
    else:
        cards.append(Card("CLV:CAC", "n/a", "no acquisition cost given", "card-clv-cac"))
    top, held = top_share(a.values["predicted_clv"], 0.2)
    cards.append(
        Card(
            f"Top {top} hold",
            percent(held),
            f"of the predicted value (CLV, next {s.horizon_words})",
            "card-top-20",
        )
    )
    return cards


# --------------------------------------------------------------------------------------------------
def naive_section(a: Analysis) -> Section:
    check = a.naive_vs_model
    overall = check.total
    shown = with_total(check)  # as the table: the segments, then all customers
    summary = a.holdout.summary
    years = Duration(summary["holdout_length"], summary["time_unit"]).to("Y")
    formats = {
        "customers": ("Customers", count),
        "average_order_value": ("Average order value", money),
        "purchases_per_year": ("Purchases per year", decimal),
        "naive_clv": ("Naive CLV", money),
        "model_clv": ("Model CLV", money),
        "actual_holdout": ("Actual holdout revenue", money),
        "naive_error": ("Naive formula error, holdout revenue", lambda v: percent(v, True)),
        "model_error": ("Model error, holdout revenue", lambda v: percent(v, True)),
    }
    table = Table.with_total(
        "naive-vs-model",
        f"Naive formula vs model per {segment_label(a)}: mean per customer over {years:.2f} "
        "years (the holdout length); errors of the predicted holdout revenue",
        check,
        formats,
        first_upper(segment_label(a)),
    )
    revenue = figure(
        "figure-holdout-revenue",
        "Holdout revenue per customer: actual, naive formula, model",
        lambda ax: _figures.plot_holdout_revenue(shown, ax=ax),
        f"Bar chart of mean holdout revenue per customer by {segment_label(a)}. {shown.index[-1]}: "
        f"actual {money(overall['actual_holdout'])}, naive formula "
        f"{money(overall['naive_holdout'])}, model {money(overall['model_holdout'])}.",
        "Compare each hatched red bar (naive formula) and blue bar (model) with the dark bar "
        "beside it: the closer to the dark bar, the better the method predicted what customers "
        "actually spent.",
    )
    return Section(
        "naive-vs-model",
        "The naive formula vs the model",
        [
            "The naive formula, average order value × purchases per year × lifespan, gives every "
            "customer of a segment the same value. The model predicts each customer from their "
            "own history. Both were fitted on the calibration period and then predicted the "
            "holdout period that followed, which has already happened.",
            f"For all customers, the naive formula predicted {money(overall['naive_holdout'])} "
            f"of revenue per customer in the holdout ({percent(overall['naive_error'], True)}); "
            f"the model predicted {money(overall['model_holdout'])} "
            f"({percent(overall['model_error'], True)}); customers actually spent "
            f"{money(overall['actual_holdout'])}." + _new_customers_note(a.holdout.summary),
        ],
        [table, revenue],
    )


# --------------------------------------------------------------------------------------------------
def value_section(a: Analysis) -> Section:
    s = a.settings
    value = a.values["predicted_clv"]
    naive_values = np.unique(a.values["naive_clv"].to_numpy(float))
    naive_text = money(naive_values[0]) if naive_values.size == 1 else "one value per segment"
    label = f"CLV, next {s.horizon_words}"
    (first, top10), (second, top20) = top_share(value, 0.1), top_share(value, 0.2)
    below = float((value < a.values["naive_clv"]).mean())
    histogram = figure(
        "figure-value-distribution",
        "Predicted value per customer against the naive formula",
        lambda ax: plot_clv_vs_naive(a.values, ax=ax, value_label=label),
        f"Histogram of predicted {label} per customer on a log scale; the median is "
        f"{money(value.median())}, the naive formula gives {naive_text}; {percent(below)} of "
        "customers are below the naive value.",
        "Each bar counts the customers with a predicted value in its range (log scale); the "
        "dashed red line is the naive formula's value and the dotted line the median customer.",
    )
    concentration = figure(
        "figure-concentration",
        "How concentrated the value is",
        lambda ax: plot_clv_vs_naive(a.values, ax=ax, kind="concentration", value_label=label),
        f"Concentration curve: the top {first} of customers hold {percent(top10)} and the top "
        f"{second} hold {percent(top20)} of the predicted value, against the naive formula's "
        "line.",
        f"Follow the blue curve from the left: at {second} of customers, the height is the share "
        "of all value held by the most valuable of them.",
    )
    table = Table(
        "value-concentration",
        f"Predicted {label} (margin {percent(s.margin)}, discounted): distribution and "
        "concentration",
        ["Measure", "Value"],
        [
            ("Customers", [Cell(count(len(value)))]),
            ("Total", [Cell(money(value.sum()))]),
            ("Mean per customer", [Cell(money(value.mean()))]),
            ("Median customer", [Cell(money(value.median()))]),
            ("90th percentile", [Cell(money(value.quantile(0.9)))]),
            (f"Share held by the top {first} of customers", [Cell(percent(top10))]),
            (f"Share held by the top {second} of customers", [Cell(percent(top20))]),
            ("Naive formula, total", [Cell(money(a.values["naive_clv"].sum()))]),
        ],
    )
    return Section(
        "value",
        "How the value is spread",
        [
            f"Predicted {label} is each customer's expected purchases times their expected "
            f"spend, times the margin ({percent(s.margin)}), discounted at "
            f"{percent(s.discount_rate)} a year. The median customer is worth "
            f"{money(value.median())}; the top {second} of customers hold {percent(top20)} of "
            "the total.",
        ],
        [table, histogram, concentration],
    )


# --------------------------------------------------------------------------------------------------
def holdout_section(a: Analysis) -> Section:
    report = a.holdout
    metrics = report.metrics.loc["purchases"].rename(
        index={"model": report.model_name, "naive": "naive formula", "own_rate": "own past rate"}
    )
    formats = {
        "mae": ("Mean absolute error per customer", lambda x: decimal(x, 3)),
        "total_predicted": ("Predicted purchases", lambda x: decimal(x, 1)),
        "total_actual": ("Actual purchases", lambda x: decimal(x, 1)),
        "total_error_pct": ("Error of the total purchases", lambda x: percent(x / 100.0, True)),
    }
    summary = report.summary
    table = Table.from_frame(
        "holdout",
        f"Holdout purchases of {count(summary['n_customers'])} customers: the model beside two "
        "baselines",
        metrics,
        formats,
        "Method",
    )
    noun, named = tracking_period_name(report.tracking)
    ends = _tracking_ends(report.tracking)
    tracking = figure(
        "figure-tracking",
        f"Repeat purchases {f'{noun} by {noun}' if noun != 'period' else f'per {named}'}: "
        "actual and predicted",
        lambda ax: plot_tracking(report, ax=ax),
        f"Line chart of cumulative repeat purchases per {named}, actual and "
        f"{report.model_name}, through calibration and holdout; at the end "
        f"{decimal(ends[0], 0)} actual against {decimal(ends[1], 0)} predicted, of which "
        f"{decimal(ends[2], 0)} actual and {decimal(ends[3], 0)} predicted in the holdout.",
        "The vertical line marks the end of the calibration period; to its right, the closer "
        "the dashed model line stays to the solid actual line, the better the forecast.",
    )
    conditional = figure(
        "figure-conditional-expectation",
        "Holdout purchases by calibration repeat purchases",
        lambda ax: plot_conditional_expectation(report, ax=ax),
        "Chart of mean holdout purchases grouped by the number of repeat purchases in the "
        "calibration period: actual, model and the naive formula.",
        "Each group of customers with the same past repeat purchases should have the model's "
        "point close to the actual one; the naive formula's flat line ignores the history.",
    )
    return Section(
        "holdout",
        "Checked on a holdout period",
        [
            "The model was fitted on the purchases up to "
            f"{day_text(a.settings.calibration_end)} and predicted the "
            f"{summary['holdout_length']:g} {unit_words(summary['time_unit'])} "
            "that followed. Mean absolute error per customer and the error of the total compare "
            "its predictions with what customers did, beside the naive formula and each "
            "customer's own past rate." + _new_customers_note(summary),
            _naive_purchases_note(a),
        ],
        [table, tracking, conditional],
    )


def _naive_purchases_note(a: Analysis) -> str:
    """Why the naive formula's error on holdout purchases is not its error on holdout revenue
    in the naive formula section: two measures, each named."""
    purchases = a.holdout.metrics.loc[("purchases", "naive"), "total_error_pct"] / 100.0
    revenue = a.naive_vs_model.total["naive_error"]
    return (
        "Here the naive formula predicts purchases: the calibration period's purchase days per "
        "customer (first purchases included) × the holdout length, the same for everybody. Its "
        f"error on holdout purchases, {percent(purchases, True)}, is not its error on holdout "
        f'revenue in "The naive formula vs the model", {percent(revenue, True)}, which counts '
        "orders and multiplies them by the average order value."
    )


def _tracking_ends(tracking: pd.DataFrame) -> tuple[float, float, float, float]:
    """What the tracking figure shows at its right end: the actual and the model's cumulative
    repeat purchases, then their rise over the holdout (right of the end of calibration)."""
    periods = tracking.attrs.get("calibration_periods")
    if periods is None:
        periods = int((tracking["phase"] == "calibration").sum())
    columns = ["actual_cumulative", "model_cumulative"]
    end = tracking[columns].iloc[-1].to_numpy(float)
    calibration = tracking.loc[tracking["period"] == periods, columns].to_numpy(float)
    start = calibration[0] if len(calibration) else np.zeros(2)
    return end[0], end[1], end[0] - start[0], end[1] - start[1]


def _new_customers_note(summary: dict) -> str:
    """A sentence on the customers the holdout check leaves out (first purchase in the holdout),
    or nothing when there are none."""
    n = summary["n_new_customers"]
    if not n:
        return ""
    return (
        f" It checks the {summary['n_customers']:,} customers who had bought by then; "
        f"{n:,} more made their first purchase during the holdout ("
        f"{summary['new_customer_purchases']:,} purchases), with no history to predict from, "
        "and are not in this check."
    )
