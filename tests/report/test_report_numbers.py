"""Every number the report prints equals what clvmodel's public functions give on the same data.

The expected values are computed here from the Python API (naive_vs_model, clv_table, cac_payback,
unit_economics_summary, evaluate_holdout, churn_risk, price_increase_plan), independently of the
report's code, and compared with the text of the HTML tables to the precision printed.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from report_parsing import CAC, CALIBRATION_END, SETTINGS, table_rows

import clvmodel as clv
from clvmodel.io import read_table

HORIZON, DISCOUNT = 24.0, 0.1
SEGMENTS = list(CAC)


def assert_shows(text: str, expected: float, scale: float = 1.0) -> None:
    """``text`` (e.g. "1,234", "12.5 %", "+143.9 %") shows ``expected × scale`` to its precision."""
    match = re.fullmatch(r"([+-]?[\d,]*\.?\d*)\s*%?", text.strip())
    assert match, f"not a number: {text!r}"
    number = match.group(1).replace(",", "")
    places = len(number.split(".")[1]) if "." in number else 0
    value = expected * scale
    assert abs(float(number) - value) <= 0.5 * 10.0**-places + 1e-9 * abs(value), (text, value)


@pytest.fixture(scope="module")
def api(report_inputs):
    with warnings.catch_warnings():  # the log's 21 duplicate rows: listed in the report too
        warnings.simplefilter("ignore", clv.ClvWarning)
        return _api(report_inputs)


def _api(report_inputs):
    log, _ = report_inputs
    tx = read_table(log)  # as the command line reads it
    tx["first_order"] = tx["first_order"].astype(str)
    segment = tx.groupby("customer_id")["first_order"].first()
    cal, hold = clv.calibration_holdout_split(tx, CALIBRATION_END)
    bg_cal, gg_cal = clv.BetaGeoModel().fit(cal), clv.GammaGammaModel().fit(cal)
    rfm = clv.rfm_summary(tx)
    bg, gg = clv.BetaGeoModel().fit(rfm), clv.GammaGammaModel().fit(rfm)
    per_customer = segment.reindex(rfm.index)
    naive = clv.naive_clv(tx, HORIZON / 12, margin=SETTINGS["margin"], segment_col="first_order")
    money = dict(discount_rate=DISCOUNT, margin=SETTINGS["margin"])
    horizon = f"{HORIZON}M"
    values = clv.clv_table(bg, gg, rfm, horizon, naive=naive, segments=per_customer, **money)
    costs = {k: SETTINGS[k] for k in ("cost_per_order", "cost_per_period")}
    economics = clv.cac_payback(
        bg, gg, rfm, CAC, HORIZON, segments=per_customer, time_unit="M", **money, **costs
    )
    scores = clv.churn_risk(bg, rfm, 39, gg, clv_horizon=horizon, **money)
    return {
        "log_rows": len(tx),
        "purchase_days": int(rfm["frequency"].sum()) + len(rfm),
        "check": clv.naive_vs_model(bg_cal, gg_cal, tx, CALIBRATION_END, segments=segment),
        "check_all": clv.naive_vs_model(bg_cal, gg_cal, tx, CALIBRATION_END).loc["all"],
        "values": values,
        "economics": economics,
        "unit": clv.unit_economics_summary(economics),
        "unit_all": clv.unit_economics_summary(economics, by=None).loc["all"],
        "holdout": clv.evaluate_holdout(bg_cal, cal, hold, gg_cal, transactions=tx),
        "plan": clv.price_increase_plan(scores, (0.05, 0.025, 0.0), stage_wait=8),
    }


def _top_share(values, share):
    ordered = np.sort(values)[::-1]
    return ordered[: int(np.ceil(share * ordered.size))].sum() / ordered.sum()


def test_summary_cards(cdnow_report, api):
    cards = cdnow_report[2].cards
    assert cards["card-customers"] == "2,357"  # the CDNOW 1/10 sample (Fader, Hardie & Lee 2005)
    # Log rows and what the models count as purchases (one per customer and day) told apart.
    rows, days = api["log_rows"], api["purchase_days"]
    assert rows > days  # same-day purchases are one
    assert f"{rows:,} transactions ({days:,} purchase days) in 78 weeks" in cdnow_report[1]
    assert_shows(cards["card-net-clv"], api["economics"]["net_clv"].sum())
    assert_shows(cards["card-naive-vs-model"], api["check_all"]["model_error"], 100)
    assert_shows(cards["card-clv-cac"], api["unit_all"]["clv_to_cac"])
    top20 = _top_share(api["values"]["predicted_clv"].to_numpy(), 0.2)
    assert_shows(cards["card-top-20"], top20, 100)
    # The README quotes these (CDNOW sample, CAC 6 / 8 / 12 by CDs in the first order).
    assert (cards["card-naive-vs-model"], cards["card-clv-cac"]) == ("-15.6 %", "1.44")


def test_naive_formula_vs_model_per_segment(cdnow_report, api):
    rows = table_rows(cdnow_report[2], "naive-vs-model")
    assert list(rows) == [*SEGMENTS, "All customers"]
    columns = ["customers", "average_order_value", "purchases_per_year", "naive_clv",
               "model_clv", "actual_holdout", "naive_error", "model_error"]  # fmt: skip
    for label in rows:
        expected = api["check"].loc[label] if label in SEGMENTS else api["check_all"]
        for text, column in zip(rows[label], columns, strict=True):
            assert_shows(text, expected[column], 100 if column.endswith("error") else 1)
    # The README quotes these holdout revenues per customer (1 / 2 / 3+ CDs).
    assert [rows[s][5] for s in SEGMENTS] == ["19.16", "25.17", "55.97"]


def test_value_distribution_and_concentration(cdnow_report, api):
    rows = table_rows(cdnow_report[2], "value-concentration")
    value = api["values"]["predicted_clv"]
    assert rows["Customers"] == ["2,357"]
    assert_shows(rows["Total"][0], value.sum())
    assert_shows(rows["Median customer"][0], value.median())
    assert_shows(rows["90th percentile"][0], value.quantile(0.9))
    for share in (10, 20):
        label = f"Share held by the top {share} % of customers"
        assert_shows(rows[label][0], _top_share(value.to_numpy(), share / 100), 100)
    assert_shows(rows["Naive formula, total"][0], api["values"]["naive_clv"].sum())


def test_segments_below_around_above_average(cdnow_report, api):
    net = api["economics"]["net_clv"]
    mean = net.mean()
    low, high = mean - 0.2 * abs(mean), mean + 0.2 * abs(mean)
    expected = {
        "below average": net < low,
        "around average": (net >= low) & (net <= high),
        "above average": net > high,
    }
    rows = table_rows(cdnow_report[2], "bands")
    for band, members in expected.items():
        assert rows[band][0] == f"{int(members.sum()):,}"
        assert_shows(rows[band][2], net[members].mean())
        examples = rows[band][-1].split(", ")
        assert examples == [str(i) for i in net[members].nlargest(5).index]
    top = table_rows(cdnow_report[2], "top-customers")
    assert list(top) == [str(i) for i in net.nlargest(10).index]
    for customer, cells in top.items():
        assert_shows(cells[-1], net.loc[net.index.astype(str) == customer].iloc[0])


def test_clv_to_cac_payback_and_cost_to_serve(cdnow_report, api):
    rows = table_rows(cdnow_report[2], "clv-cac")
    assert list(rows) == [*SEGMENTS, "All customers"]
    for label, cells in rows.items():
        expected = api["unit"].loc[label] if label in SEGMENTS else api["unit_all"]
        assert cells[0] == f"{int(expected['customers']):,}"
        assert_shows(cells[1], expected["mean_net_clv"])
        assert_shows(cells[2], expected["mean_acquisition_cost"])
        assert_shows(cells[3], expected["clv_to_cac"])
        assert cells[4] == "not within 24 months"  # fewer than half pay back
        assert_shows(cells[5], expected["paid_back_share"], 100)
    economics = api["economics"]
    flows = table_rows(cdnow_report[2], "cost-to-serve")
    columns = ["gross_margin", "order_costs", "service_costs", "net_clv"]
    for label, cells in flows.items():
        part = economics if label == "All customers" else economics[economics.segment == label]
        for text, column in zip(cells, columns, strict=True):
            assert_shows(text, part[column].mean())


def test_holdout_check(cdnow_report, api):
    rows = table_rows(cdnow_report[2], "holdout")
    metrics = api["holdout"].metrics.loc["purchases"]
    names = {"BG/NBD": "model", "naive formula": "naive", "own past rate": "own_rate"}
    assert list(rows) == list(names)
    for label, cells in rows.items():
        expected = metrics.loc[names[label]]
        assert_shows(cells[0], expected["mae"])
        assert_shows(cells[1], expected["total_predicted"])
        assert_shows(cells[2], expected["total_actual"])
        assert_shows(cells[3], expected["total_error_pct"])
    # Published CDNOW holdout (weeks 40-78): MAE 0.785 and 1,882 repeat purchases (README).
    assert rows["BG/NBD"][0] == "0.785" and rows["BG/NBD"][2] == "1,882.0"


def test_churn_tiers_and_price_plan(cdnow_report, api):
    rows = table_rows(cdnow_report[2], "price-plan")
    stages = api["plan"].stages
    assert list(rows) == ["1", "2", "3"]
    for stage, cells in rows.items():
        expected = stages.loc[int(stage)]
        assert cells[0] == expected["tier"]
        assert_shows(cells[1], expected["increase"], 100)
        assert_shows(cells[3], expected["customers"])
        assert_shows(cells[4], expected["mean_churn_risk"], 100)
        assert_shows(cells[5], expected["total_predicted_clv"])
        assert_shows(cells[7], expected["extra_revenue"])
        assert_shows(cells[8], expected["break_even_churn"], 100)


def test_customers_first_seen_in_the_holdout_are_said_to_be_left_out():
    # The holdout sections checked the calibration cohort without saying that customers who first
    # bought in the holdout were not in it (the header said 2,357, the tables 1,638).
    from clvmodel.report._sections import _new_customers_note

    summary = {"n_customers": 1638, "n_new_customers": 719, "new_customer_purchases": 1147}
    assert _new_customers_note(summary) == (
        " It checks the 1,638 customers who had bought by then; 719 more made their first "
        "purchase during the holdout (1,147 purchases), with no history to predict from, and are "
        "not in this check."
    )
    assert _new_customers_note({**summary, "n_new_customers": 0}) == ""
