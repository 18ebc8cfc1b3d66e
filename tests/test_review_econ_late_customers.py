"""Every customer of the log is in the output or counted: those whose first purchase falls after
the end of observation vanished without a word from the holdout evaluation (which reported the
cohort and the holdout's new customers only) and from opportunity_summary (which counted the
customers without an opportunity yet, but not those after observation_end).

The full CDNOW log acquires customers from 1997-01-01 to 1997-03-25, so an end of observation in
March leaves some first purchases after it."""

from __future__ import annotations

import pytest

import clvmodel as clv

pytestmark = pytest.mark.filterwarnings("ignore:.*repeat another row exactly")

CALIBRATION_END, OBSERVATION_END = "1997-02-15", "1997-03-10"


@pytest.fixture(scope="module")
def cdnow():
    transactions = clv.datasets.load_cdnow()
    first = transactions.groupby("customer_id")["date"].min()
    return transactions, first


@pytest.fixture(scope="module")
def evaluation(cdnow):
    transactions, _ = cdnow
    cal, hold = clv.calibration_holdout_split(transactions, CALIBRATION_END, OBSERVATION_END)
    bg = clv.BetaGeoModel.from_params(dict(r=0.33, alpha=5.5, a=0.06, b=0.2), "W")
    return cal, hold, bg


def test_split_counts_customers_after_the_observation_end(cdnow, evaluation):
    _, first = cdnow
    cal, hold, _ = evaluation
    after = int((first > OBSERVATION_END).sum())
    assert after > 1000  # the case is there
    assert hold.attrs["customers_after_end"] == after
    # Cohort + new customers of the holdout + after the end = every customer of the log.
    assert len(cal) + len(hold.attrs["new_customers"]) + after == first.size


@pytest.mark.parametrize("with_transactions", [True, False])
def test_holdout_report_counts_customers_after_the_observation_end(
    cdnow, evaluation, with_transactions
):
    transactions, first = cdnow
    cal, hold, bg = evaluation
    dated = transactions if with_transactions else None
    report = clv.evaluate_holdout(bg, cal, hold, transactions=dated)
    summary = report.summary
    after = int((first > OBSERVATION_END).sum())
    assert summary["n_customers_after_end"] == after
    assert summary["n_customers"] + summary["n_new_customers"] + after == first.size
    assert f"{after:,}" in str(report)
    assert report.to_dict()["summary"]["n_customers_after_end"] == after


def test_holdout_report_of_tables_made_elsewhere_does_not_guess(evaluation):
    cal, hold, bg = evaluation
    bare = hold.copy()
    bare.attrs = {"time_unit": "W"}
    report = clv.evaluate_holdout(bg, cal, bare)
    assert report.summary["n_customers_after_end"] is None
    assert "after the end" not in str(report)


def test_opportunity_summary_counts_customers_after_the_observation_end(cdnow):
    transactions, first = cdnow
    table = clv.opportunity_summary(transactions, "W", observation_end="1997-02-15")
    after = int((first > "1997-02-15").sum())
    assert table.attrs["rejected_customers"] == after
    # Was 12,406 of 23,570 accounted for: the 11,164 customers first buying later vanished.
    accounted = len(table) + table.attrs["customers_without_opportunity"]
    assert accounted + table.attrs["rejected_customers"] == first.size


def test_opportunity_summary_counts_customers_with_only_rejected_rows(cdnow):
    transactions, first = cdnow
    log = transactions.assign(date=transactions["date"].dt.strftime("%Y-%m-%d"))
    log.loc[log["customer_id"] == first.index[0], "date"] = "not a date"
    table = clv.opportunity_summary(log, "M", on_invalid="drop")
    assert table.attrs["rejected_customers"] == 1
    assert len(table) + table.attrs["customers_without_opportunity"] + 1 == first.size


def test_opportunity_summary_without_late_customers_rejects_none(cdnow):
    transactions, first = cdnow
    table = clv.opportunity_summary(transactions, "M")
    assert table.attrs["rejected_customers"] == 0
    assert len(table) + table.attrs["customers_without_opportunity"] == first.size
