"""``clv.dayone.first_purchase_attributes`` with ``quantity_col=``: the items of every purchase of
a customer's first calendar day are summed, ids written differently (" 4 ", 4.0) are one
customer, the log's ids and dates are read once (not again after the log reader has read them),
and bad rows are refused id first, then quantities, without naming an on_invalid= argument the
function does not take."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
import clvmodel._reading as reading
from clvmodel.dayone import attributes


@pytest.fixture(scope="module")
def sample():
    return clv.datasets.load_cdnow_sample()


def _quantity_by_hand(log: pd.DataFrame) -> pd.Series:
    """Items bought on each customer's first purchase day, from the log as pandas reads it."""
    day = pd.to_datetime(log["date"]).dt.normalize()
    first = day.groupby(log["customer_id"]).transform("min")
    return log["quantity"][day == first].groupby(log["customer_id"][day == first]).sum()


def test_first_day_quantities_sum_the_items_of_the_first_day(sample):
    log = sample.copy()
    # Times of day and a second purchase on the first day: summed by calendar day.
    log["date"] = log["date"] + pd.to_timedelta(np.arange(len(log)) % 24, unit="h")
    extra = log.groupby("customer_id").head(1).assign(quantity=5, amount=1.0)
    log = pd.concat([log, extra], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        table = clv.dayone.first_purchase_attributes(log, quantity_col="quantity")
    expected = _quantity_by_hand(log).astype("float64")
    pd.testing.assert_series_equal(
        table["first_purchase_quantity"],
        expected.reindex(table.index),
        check_names=False,
        check_index_type=False,
    )


def test_ids_written_differently_are_one_customer_for_the_quantities(sample):
    log = sample.head(40).copy()
    ids = log["customer_id"].astype(int)
    # " 4 " and 4.0 are customer 4, as the log reader reads them.
    log["customer_id"] = [f" {i} " if n % 2 else float(i) for n, i in enumerate(ids)]
    table = clv.dayone.first_purchase_attributes(log, quantity_col="quantity")
    expected = _quantity_by_hand(log.assign(customer_id=ids.astype(str))).astype("float64")
    assert table["first_purchase_quantity"].to_numpy() == pytest.approx(
        expected.reindex(table.index.astype(str)).to_numpy()
    )


def test_the_log_dates_are_read_once(sample, monkeypatch):
    # Found in review: the quantities read the ids and dates again after the log reader had.
    calls = []
    real = reading.read_dates

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(reading, "read_dates", counted)
    monkeypatch.setattr(attributes, "read_dates", counted, raising=False)  # the old binding
    clv.dayone.first_purchase_attributes(sample, quantity_col="quantity")
    assert len(calls) == 1


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda log: log.drop(columns="quantity"), "quantity"),
        (lambda log: log.assign(quantity=log["quantity"].astype(object).where(
            log.index != 4, "x")), "1 value.* of 'quantity' are missing or not numbers"),
        (lambda log: log.assign(customer_id=log["customer_id"].where(log.index != 4, None),
                                quantity=np.nan), "no customer id"),
    ],
)  # fmt: skip
def test_bad_rows_are_refused_id_first_then_quantities(sample, change, match):
    with pytest.raises(clv.InputError, match=match) as caught:
        clv.dayone.first_purchase_attributes(change(sample.copy()), quantity_col="quantity")
    assert "on_invalid" not in str(caught.value)  # an argument this function does not take
