"""calibration_holdout_split and evaluate_holdout account for every customer of the log.

Customers whose first purchase falls after the end of observation vanished without a word from the
holdout evaluation, which reported the cohort and the holdout's new customers only: the split and
the report count them (and do not guess for tables made elsewhere). The split's periods are checked
against a count made by hand: a purchase late on the calibration end's day is in calibration (the
end is a whole day); a first purchase in the holdout makes a new customer, one after
observation_end neither.

The full CDNOW log acquires customers from 1997-01-01 to 1997-03-25, so an end of observation in
March leaves some first purchases after it."""

import numpy as np
import pandas as pd
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


def test_split_periods_match_a_count_by_hand():
    # A purchase late on the calibration end's day is in calibration (the end is a whole day);
    # a first purchase in the holdout makes a new customer, one after observation_end neither.
    log = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 2, 3, 4, 4, 5],
            "date": pd.to_datetime(
                [
                    "2020-01-01 09:00",
                    "2020-01-10 08:00",
                    "2020-02-01 23:59",
                    "2020-02-01 10:00",
                    "2020-01-05 00:00",
                    "2020-03-01 12:00",
                    "2020-01-20 00:00",
                    "2020-03-10 00:00",
                    "2020-04-20 00:00",
                    "2020-05-01 00:00",
                ]
            ),  # fmt: skip
            "amount": [10.0, 20.0, 30.0, 5.0, 5.0, 7.0, 8.0, 9.0, 4.0, 10.0],
        }
    )
    cal, hold = clv.calibration_holdout_split(log, "2020-02-01 06:00", "2020-04-30", time_unit="D")
    days = log.assign(day=log["date"].dt.normalize())
    days = days.groupby(["customer_id", "day"], as_index=False)["amount"].sum()
    first = days.groupby("customer_id")["day"].min()
    end, stop = pd.Timestamp("2020-02-01"), pd.Timestamp("2020-04-30")
    cohort = first[first <= end].index
    assert list(cal.index) == list(cohort)
    repeat = days[days["day"] > days["customer_id"].map(first)]
    in_cal = repeat[repeat["day"] <= end]
    expected_frequency = in_cal.groupby("customer_id").size().reindex(cohort, fill_value=0)
    np.testing.assert_array_equal(cal["frequency"], expected_frequency)
    np.testing.assert_allclose(cal["T"], (end - first[cohort]).dt.days)
    assert cal.loc[1, "monetary_value"] == pytest.approx((20.0 + 35.0) / 2)
    held = days[(days["day"] > end) & (days["day"] <= stop)]
    expected_holdout = held.groupby("customer_id").size().reindex(cohort, fill_value=0)
    np.testing.assert_array_equal(hold["frequency_holdout"], expected_holdout)
    assert hold.attrs["new_customers"] == [4]
    assert hold.attrs["customers_after_end"] == 1
    assert hold["duration_holdout"].iloc[0] == (stop - end).days
