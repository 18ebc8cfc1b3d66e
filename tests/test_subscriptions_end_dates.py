"""Tests of the end dates ``from_subscription_table`` and ``screen_subscription_table`` read.

* A date-only end on the day of a start with a time of day is a same-day cancellation (it was
  refused as an end before its start); the screen and the strict reading agree on such rows,
  and a cancellation on a renewal day reads alike with or without the start's time.
* An open end written far ahead (9999-12-31) is not an end before the start (compared as
  nanoseconds, it overflowed).
* Missing-value texts ("NULL", " n/a ") in dates are empty.
"""

from __future__ import annotations

import pandas as pd
import pytest

import clvmodel as clv
from clvmodel import subscriptions
from clvmodel.errors import InputError

END = "2024-06-30"


def _table(starts, ends):
    return pd.DataFrame(
        {"customer_id": [f"c{i}" for i in range(len(starts))], "start": starts, "end": ends}
    )


def test_a_date_only_end_on_the_day_of_a_timed_start_is_a_same_day_cancellation():
    # Before: "2024-03-05" (midnight) < "2024-03-05 15:00", so the row was refused as an end
    # before its start, while the same row without the start's time gave one period.
    timed = _table(["2024-03-05 15:00"], ["2024-03-05"])
    dated = _table(["2024-03-05"], ["2024-03-05"])
    rows = subscriptions.from_subscription_table(timed, observation_end=END)
    expected = subscriptions.from_subscription_table(dated, observation_end=END)
    assert rows[["periods", "cancelled"]].to_dict("list") == {"periods": [1], "cancelled": [1]}
    assert rows[["periods", "cancelled"]].equals(expected[["periods", "cancelled"]])
    accepted, rejects, _ = subscriptions.screen_subscription_table(timed, observation_end=END)
    assert len(accepted) == 1 and rejects.empty


@pytest.mark.parametrize("period", ["M", "W", "Y"])
def test_the_screen_and_the_strict_reading_agree_on_same_day_ends(period):
    table = _table(
        ["2024-03-05 15:00", "2024-03-05 15:00", "2024-03-05 15:00", "2024-01-31 10:00"],
        ["2024-03-05", "2024-03-05 16:00", "2024-03-04", "2024-02-29"],
    )
    accepted, rejects, _ = subscriptions.screen_subscription_table(table, observation_end=END)
    assert rejects["customer_id"].tolist() == ["c2"]  # the day before the start stays refused
    rows = subscriptions.from_subscription_table(accepted, observation_end=END, period=period)
    assert rows["periods"].min() >= 1 and rows["cancelled"].eq(1).all()
    with pytest.raises(InputError, match="before the start date"):
        subscriptions.from_subscription_table(table, observation_end=END, period=period)


def test_an_end_with_a_time_before_a_start_that_day_is_still_refused():
    table = _table(["2024-03-05 15:00"], ["2024-03-05 09:00"])
    with pytest.raises(InputError, match="before the start date"):
        subscriptions.from_subscription_table(table, observation_end=END)
    _, rejects, _ = subscriptions.screen_subscription_table(table, observation_end=END)
    assert rejects["reason"].tolist() == ["end date before start date"]


def test_a_date_only_end_on_a_renewal_day_reads_alike_with_or_without_the_start_time():
    # The cancellation on the renewal day comes before that day's renewal, whether the start
    # has a time or not.
    timed = _table(["2024-01-31 10:00"], ["2024-02-29"])
    dated = _table(["2024-01-31"], ["2024-02-29"])
    a = subscriptions.from_subscription_table(timed, observation_end=END)
    b = subscriptions.from_subscription_table(dated, observation_end=END)
    assert a["periods"].tolist() == b["periods"].tolist() == [1]


def test_an_open_end_written_far_ahead_is_not_an_end_before_the_start():
    # A regression guard: compared as nanoseconds, 9999-12-31 overflows and reads as before
    # any start. After observation_end, such an end is a cancellation not yet made.
    table = _table(["2024-01-01", "2024-01-05 15:00"], ["9999-12-31", "2300-03-01"])
    rows = subscriptions.from_subscription_table(table, observation_end=END)
    assert rows["cancelled"].tolist() == [0, 0]
    _, rejects, _ = subscriptions.screen_subscription_table(table, observation_end=END)
    assert rejects.empty


def test_missing_value_texts_in_dates_are_empty_in_python():
    # A database export or a Parquet file writes a missing end date as text ("NULL").
    table = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "start": ["2024-01-31", "2024-01-15", "2024-06-01"],
            "end": ["NULL", " n/a ", "2024-07-01"],
        }
    )
    rows = clv.subscriptions.from_subscription_table(table, observation_end="2024-12-31")
    assert rows["cancelled"].to_dict() == {"a": 0, "b": 0, "c": 1}
    assert rows["periods"].to_dict() == {"a": 11, "b": 11, "c": 1}
    accepted, rejects, _ = clv.subscriptions.screen_subscription_table(
        table.assign(start=["2024-01-31", "Null", "2024-06-01"]), observation_end="2024-12-31"
    )
    assert accepted["customer_id"].tolist() == ["a", "c"]
    assert rejects["reason"].tolist() == ["no start date"]
