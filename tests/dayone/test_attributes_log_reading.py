"""Tests of ``clv.dayone.first_purchase_attributes`` reading the transaction log.

* The first day's quantity follows the ids the log reader normalises: ids padded with spaces or
  written with zeros (``"4.0"``) are one customer, whatever the row order.
* A day-first log gives the quantities of the ISO log: the function read dates its own way
  (``format="mixed"``), giving NaN quantities, and had no ``date_format=`` that its advice named.
* A missing quantity column is named by ``quantity_col=``, not as an attribute.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.dayone import first_purchase_attributes

# A hand-made log: customer 4 buys 2 + 3 items ($15) on 2024-01-01 and 7 later; customer 21 buys
# 1 + 6 items ($5) on 2024-01-03, then 9 later.
LOG = pd.DataFrame(
    {
        "customer_id": ["4", "4", "21", "4", "21", "21"],
        "date": pd.to_datetime(
            ["2024-01-01", "2024-01-01", "2024-01-03", "2024-02-01", "2024-01-03", "2024-03-01"]
        ),
        "amount": [10.0, 5.0, 3.0, 8.0, 2.0, 6.0],
        "quantity": [2, 3, 1, 7, 6, 9],
    }
)
FIRST_DAY_QUANTITY = {"4": 5.0, "21": 7.0}  # sums of the first day's rows above
QUANTITY_BY_AMOUNT = {15.0: 5.0, 5.0: 7.0}  # the same, keyed by the first day's amount


@pytest.fixture(scope="module")
def tx():
    return clv.datasets.load_cdnow_sample()


@pytest.mark.parametrize(
    "spelling",
    [
        lambda i: i + " ",  # trailing space, as in CSV exports
        lambda i: " " + i,
        lambda i: i + ".0",  # a whole number written as text with zeros
    ],
)
def test_first_day_quantity_follows_the_ids_the_log_reader_reads(spelling):
    log = LOG.assign(customer_id=LOG["customer_id"].map(spelling))
    table = first_purchase_attributes(log, quantity_col="quantity")
    expected = table["first_purchase_amount"].map(QUANTITY_BY_AMOUNT)
    pd.testing.assert_series_equal(table["first_purchase_quantity"], expected, check_names=False)
    assert sorted(table.index) == sorted(clv.rfm_summary(log).index)


def test_first_day_quantity_of_a_padded_cdnow_id():
    # CDNOW sample, customer 00004: first day 1997-01-01, $29.33 for 2 CDs (the docstring example
    # of first_purchase_attributes).
    log = clv.datasets.load_cdnow_sample()
    log.loc[log["customer_id"] == "00004", "customer_id"] = "00004 "
    table = first_purchase_attributes(log, quantity_col="quantity")
    assert table.loc["00004", ["first_purchase_amount", "first_purchase_quantity"]].tolist() == [
        29.33,
        2.0,
    ]
    assert table["first_purchase_quantity"].notna().all()


@settings(max_examples=25, deadline=None)
@given(
    pads=st.lists(st.sampled_from(["", " ", "  ", ".0", ".00"]), min_size=6, max_size=6),
    order=st.permutations(range(6)),
)
def test_first_day_quantity_ignores_spelling_and_row_order(pads, order):
    log = LOG.assign(customer_id=[i + p for i, p in zip(LOG["customer_id"], pads, strict=True)])
    table = first_purchase_attributes(log.iloc[list(order)], quantity_col="quantity")
    assert table["first_purchase_quantity"].to_dict() == FIRST_DAY_QUANTITY


def _day_first(log: pd.DataFrame) -> pd.DataFrame:
    return log.assign(date=pd.to_datetime(log["date"]).dt.strftime("%d/%m/%Y"))


def test_first_purchase_quantities_of_a_day_first_log(tx):
    expected = first_purchase_attributes(tx, quantity_col="quantity")
    found = first_purchase_attributes(_day_first(tx), quantity_col="quantity")
    assert found["first_purchase_quantity"].notna().all()
    pd.testing.assert_frame_equal(found, expected)


def test_dates_that_read_both_ways_are_refused_then_read_with_date_format(tx):
    early = tx[pd.to_datetime(tx["date"]).dt.day <= 12]  # every date reads both ways
    with pytest.raises(clv.InputError, match=r"day first or month first.*date_format="):
        first_purchase_attributes(_day_first(early), quantity_col="quantity")
    found = first_purchase_attributes(
        _day_first(early), quantity_col="quantity", date_format="%d/%m/%Y"
    )
    pd.testing.assert_frame_equal(found, first_purchase_attributes(early, quantity_col="quantity"))


def test_a_missing_quantity_column_names_quantity_col(transactions):
    with pytest.raises(clv.InputError, match="no column 'qty' in the transactions") as missing:
        clv.dayone.first_purchase_attributes(transactions, quantity_col="qty")
    assert "quantity_col=" in str(missing.value) and "attribute" not in str(missing.value)
