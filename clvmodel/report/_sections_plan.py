"""The report's money sections: CLV:CAC and payback, churn tiers and the price plan, settings."""

from __future__ import annotations

import pandas as pd

from clvmodel.plotting import plot_churn_risk_vs_value, plot_churn_tiers
from clvmodel.report import _figures
from clvmodel.report._analysis import Analysis, PerSegment
from clvmodel.report._figures import figure
from clvmodel.report._format import (
    Cell,
    Section,
    Table,
    count,
    day_text,
    first_upper,
    money,
    months,
    percent,
    ratio,
    segment_label,
    unit_words,
    with_total,
)
from clvmodel.report._payback import (
    PAYBACK_COLUMNS,
    free_note,
    no_cac,
    paid_back_words,
    payers,
    with_a_cac,
)


def _cost_words(value) -> str:
    if isinstance(value, dict | pd.Series):
        return "; ".join(f"{key}: {money(amount)}" for key, amount in dict(value).items())
    return money(value)


def _cost_table(econ: pd.DataFrame, label: str, horizon: str) -> Table:
    """Mean gross margin, costs and net CLV per customer, by segment and for all."""
    parts = econ[["gross_margin", "order_costs", "service_costs", "net_clv"]]
    by_segment = None
    if "segment" in econ.columns:
        by_segment = parts.groupby(econ["segment"].to_numpy(), sort=True).mean()
    return Table.with_total(
        "cost-to-serve",
        f"Where the value goes: mean per customer over the next {horizon}, discounted",
        PerSegment(by_segment, parts.mean()),
        {
            "gross_margin": ("Gross margin", money),
            "order_costs": ("Cost of orders", money),
            "service_costs": ("Cost of service", money),
            "net_clv": ("Net CLV", money),
        },
        first_upper(label),
    )


def _economics_figures(a: Analysis, summary: pd.DataFrame, label: str):
    """The CLV:CAC bars per segment and the payback curves."""
    s, econ = a.settings, a.economics
    overall = summary.total
    # The bars per segment; without segments, the one of all customers.
    per_segment = with_total(summary) if summary.segments is None else summary.segments
    ratios = figure(
        "figure-clv-cac",
        f"CLV:CAC by {label}",
        lambda ax: _figures.plot_clv_to_cac(per_segment, ax=ax),
        f"Bar chart of CLV:CAC by {label}: "
        + ", ".join(f"{k} {ratio(v)}" for k, v in per_segment["clv_to_cac"].items())
        + "; dashed line at 1 (break-even), dotted line at 3.",
        "A bar above the dashed line means the segment's customers bring in more net margin "
        "than they cost to acquire; the dotted line is the 3:1 ratio many marketers aim for.",
        size=(7.2, 3.8),
    )
    if with_a_cac(econ).empty:  # no customer has a CAC to pay back: no curve to draw
        return ratios, None
    payback = figure(
        "figure-payback",
        "Share of customers who have paid back their CAC",
        lambda ax: _figures.plot_payback_curve(with_a_cac(econ), s.horizon, ax=ax),
        f"Line chart of the share of customers whose expected net margin has covered their "
        f"CAC, month by month over {s.horizon_words}; {percent(overall['paid_back_share'])} "
        f"of all {payers(summary)} by the end.",
        "Read a line at a given month: its height is the share of that segment's customers who "
        "have earned back their acquisition cost by then.",
        size=(7.2, 3.8),
    )
    return ratios, payback


#: What the CLV:CAC table's payback columns mean.
PAYBACK_NOTE = "Payback is when the expected cumulative discounted net margin first covers the CAC."


def _no_payback_shown(table: Table, shown: pd.DataFrame, columns: list[str]) -> None:
    """n/a in the payback cells of the rows without a CAC (nothing to pay back; "not within"
    would say it was never paid back); ``columns`` name the table's value columns in order."""
    positions = [k for k, name in enumerate(columns) if name in PAYBACK_COLUMNS]
    for (_, cells), (_, row) in zip(table.rows, shown.iterrows(), strict=True):
        if no_cac(row):
            for k in positions:
                cells[k] = Cell("n/a")


def economics_section(a: Analysis) -> Section:
    s = a.settings
    econ = a.economics
    label = segment_label(a)
    flow_table = _cost_table(econ, label, s.horizon_words)
    paragraphs = [
        f"Net CLV is the discounted margin ({percent(s.margin)} of predicted spend) minus the "
        f"cost to serve: {_cost_words(s.cost_per_order)} per order and "
        f"{_cost_words(s.cost_per_period)} per month a customer stays.",
    ]
    blocks: list = [flow_table]
    if a.unit_summary is None:
        paragraphs.append(
            "No acquisition cost (CAC) was given, so CLV:CAC and payback are not shown; pass "
            "acquisition_cost= (command line: --cac or --cac-file)."
        )
        return Section("economics", "CLV:CAC and payback", paragraphs, blocks)
    summary = a.unit_summary
    overall = summary.total
    formats = {
        "customers": ("Customers", count),
        "mean_net_clv": ("Mean net CLV", money),
        "mean_acquisition_cost": ("Mean CAC", money),
        "clv_to_cac": ("CLV:CAC", ratio),
        "median_payback": ("Median payback", lambda v: months(v, s.horizon_words)),
        "paid_back_share": (f"Paid back within {s.horizon_words}", percent),
    }
    table = Table.with_total(
        "clv-cac",
        f"CLV:CAC and payback by {label} (payback in months, from today)",
        summary,
        formats,
        first_upper(label),
        note=" ".join(filter(None, [PAYBACK_NOTE, free_note(summary)])),
    )
    _no_payback_shown(table, with_total(summary), list(formats))
    ratios, payback = _economics_figures(a, summary, label)
    paragraphs.append(
        f"Over all customers, mean net CLV / mean CAC is {ratio(overall['clv_to_cac'])}, and "
        f"{paid_back_words(summary, s.horizon_words)}. A mean can hide a long tail: a few heavy "
        "buyers can lift CLV:CAC above 1 while most customers never pay back."
    )
    blocks = [block for block in (table, ratios, payback, flow_table) if block is not None]
    return Section("economics", "CLV:CAC and payback", paragraphs, blocks)


def _tiers_with_legend_clear(plan, ax):
    """The package's tier chart, its legend moved to the middle, above the medium tier's bars
    (upper left it can cover the label of the low tier's tall value bar)."""
    ax = plot_churn_tiers(plan, ax=ax)
    ax.legend(loc="upper center", frameon=False, fontsize=9)
    return ax


def churn_section(a: Analysis) -> Section:
    s = a.settings
    plan = a.plan
    stages = plan.stages
    formats = {
        "tier": ("Risk tier", str),
        "increase": ("Price increase", percent),
        "weeks_after_first_stage": ("Starts (week)", lambda v: f"{round(v, 1):g}"),
        "customers": ("Customers", count),
        "mean_churn_risk": ("Mean churn risk", percent),
        "total_predicted_clv": ("Predicted CLV", money),
        "share_of_value": ("Share of value", percent),
        "extra_revenue": ("Extra revenue", money),
        "break_even_churn": ("Break-even extra churn", percent),
    }
    table = Table.from_frame(
        "price-plan",
        f"Staged price increase by churn-risk tier (churn risk: no purchase in the next "
        f"{s.churn_horizon.words})",
        stages,
        {k: v for k, v in formats.items() if k in stages.columns},
        "Stage",
        note=_plan_note(s),
    )
    for _, cells in table.rows:
        cells[0] = Cell(cells[0].text, numeric=False)
    first = stages.iloc[0]
    tiers = figure(
        "figure-churn-tiers",
        "Customers and value by churn-risk tier",
        lambda ax: _tiers_with_legend_clear(plan, ax),
        "Bar chart of the share of customers and the share of predicted value in each "
        f"churn-risk tier; the {first['tier']}-risk tier holds {percent(first['share_of_value'])} "
        f"of the value with {percent(first['share_of_customers'])} of the customers.",
        "Compare the two bars of each tier: a tier whose value bar is taller than its customer "
        "bar holds more than its share of the value.",
        size=(7.2, 4.6),
    )
    scatter = figure(
        "figure-risk-vs-value",
        "Churn risk against predicted value",
        lambda ax: plot_churn_risk_vs_value(plan, ax=ax),
        "Scatter plot of each customer's churn risk against their predicted value, coloured by "
        "tier, with the tier cut points marked.",
        "Customers to the left are the least likely to leave; those high up are worth the most, "
        "so the top left holds the customers a price increase should reach first.",
        size=(7.2, 4.4),
    )
    return Section(
        "churn",
        "Churn tiers and a staged price increase",
        [
            f"Churn risk is the probability that a customer makes no purchase in the next "
            f"{s.churn_horizon.words}. The lowest-risk tier gets the largest increase first; "
            "later stages wait to see how customers respond.",
            _first_increase(stages),
        ],
        [table, tiers, scatter],
    )


def _plan_note(s) -> str:
    """What the price plan's value columns are: the predicted CLV over the value horizon (not the
    churn horizon of the caption) and at the margin, and the extra revenue as the increase times
    the revenue, which is the predicted CLV divided by the margin (5 % of a CLV of 300 at a 30 %
    margin adds 50, not 15)."""
    discount = (
        f"discounted at {percent(s.discount_rate)} a year" if s.discount_rate else "undiscounted"
    )
    clv = f"Predicted CLV: over the next {s.horizon_words}, {discount}"
    if s.margin == 1:
        clv += " (revenue: margin 100 %)."
        extra = "Extra revenue: the price increase × the stage's predicted CLV"
    else:
        clv += f", at a margin of {percent(s.margin)}."
        extra = (
            "Extra revenue: the price increase × the stage's predicted revenue (its predicted "
            f"CLV ÷ the margin of {percent(s.margin)})"
        )
    return (
        f"{clv} {extra}, if nobody leaves because of the increase. Break-even extra churn: the "
        "share of a stage's customers that may leave because of the increase before it loses "
        "money."
    )


def _first_increase(stages: pd.DataFrame) -> str:
    """What the first stage that raises the price of some customers does, in words: stage 1
    may have no customers (every risk above its cut), and saying it "adds about 0.00" for 0
    customers tells nothing."""
    raising = stages[(stages["customers"] > 0) & (stages["increase"] > 0)]
    if raising.empty and not (stages["increase"] > 0).any():
        return "Every increase is 0 %: no stage raises prices."
    if raising.empty:
        return (
            "No stage raises the price of any customer: the tiers with an increase have no "
            "customers (see the notes at the end)."
        )
    stage, row = raising.index[0], raising.iloc[0]
    which = "Stage 1" if stage == stages.index[0] else f"Stage {stage} ({row['tier']} risk)"
    return (
        f"{which} raises prices {percent(row['increase'])} for {count(row['customers'])} "
        f"customers and adds about {money(row['extra_revenue'])} if nobody leaves because of "
        f"it; it still breaks even if {percent(row['break_even_churn'])} of them leave."
    )


def settings_section(a: Analysis) -> Section:
    s = a.settings
    summary = a.holdout.summary
    rows = [
        ("Calibration period ends", day_text(s.calibration_end)),
        ("Observation ends", f"{a.last_date:%Y-%m-%d}"),
        ("Holdout length", f"{summary['holdout_length']:g} {unit_words(summary['time_unit'])}"),
        ("Value horizon", s.horizon_words),
        ("Annual discount rate", percent(s.discount_rate)),
        ("Margin", percent(s.margin)),
        ("Cost per order", _cost_words(s.cost_per_order)),
        ("Cost per month of relationship", _cost_words(s.cost_per_period)),
        (
            "Acquisition cost (CAC)",
            "not given" if s.acquisition_cost is None else _cost_words(s.acquisition_cost),
        ),
        ("Segments", s.segment_name or "none (all customers together)"),
        ("Models", "BG/NBD (purchases and dropout), Gamma-Gamma (spend per purchase)"),
    ]
    table = Table(
        "settings",
        "Settings of this report",
        ["Setting", "Value"],
        [(name, [Cell(value, numeric=False)]) for name, value in rows],
    )
    return Section(
        "about",
        "About this report",
        [
            "Made by clvmodel from one transaction log. Value sections use models fitted on the "
            "whole log and count from the end of observation; the holdout and the naive formula "
            "comparison use models fitted on the calibration period only.",
        ],
        [table],
        bullets=list(a.notes),
    )
