"""clvmodel.opportunity_summary and the customers and transactions after observation_end.

Every customer of the log is in the table or counted: those whose first purchase falls after
observation_end vanished without a word (the table counted the customers without an opportunity
yet, but not these), and so did a customer whose rows were all rejected. truncate= must be True or
False: truncate="no" is truthy, so transactions after observation_end were dropped silently when
the caller asked for an error.

The full CDNOW log acquires customers from 1997-01-01 to 1997-03-25, so an end of observation in
February leaves many first purchases after it."""

import pandas as pd
import pytest

import clvmodel as clv

pytestmark = pytest.mark.filterwarnings("ignore:.*repeat another row exactly")


@pytest.fixture(scope="module")
def cdnow():
    transactions = clv.datasets.load_cdnow()
    first = transactions.groupby("customer_id")["date"].min()
    return transactions, first


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


@pytest.mark.parametrize("truncate", ["no", "False", 0, None])
def test_opportunity_summary_truncate_must_be_a_bool(truncate):
    # truncate="no" is truthy, so transactions after observation_end were dropped silently
    # when the caller asked for an error.
    log = pd.DataFrame(
        {"customer_id": [1, 1, 1], "date": ["2020-03-01", "2021-05-01", "2023-02-01"]}
    )
    with pytest.raises(clv.InputError, match=r"truncate must be True or False"):
        clv.opportunity_summary(log, "Y", observation_end="2022-12-31", truncate=truncate)
