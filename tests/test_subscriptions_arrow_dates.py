"""Tests of ``from_subscription_table`` and ``screen_subscription_table`` on subscription tables
whose dates are Arrow timestamps (``read_parquet(..., dtype_backend="pyarrow")``), with a missing
end date: read like numpy datetimes."""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("pyarrow")

from clvmodel import subscriptions  # noqa: E402


def _table(tz=None):
    arrow = f"timestamp[ns, tz={tz}][pyarrow]" if tz else "timestamp[ns][pyarrow]"

    def stamps(values):
        parsed = pd.Series(pd.to_datetime(values))
        return (parsed.dt.tz_localize(tz) if tz else parsed).astype(arrow)

    return pd.DataFrame(
        {"customer_id": ["a", "b"], "start": stamps(["2024-01-31 23:30", "2024-01-02 00:00"]),
         "end": stamps([None, "2024-03-02 00:00"])}
    )  # fmt: skip


@pytest.mark.parametrize("tz", [None, "Asia/Tokyo"])
def test_arrow_timestamps_with_a_missing_end(tz):
    # Before: "TypeError: boolean value of NA is ambiguous" (the missing end compared to <NA>).
    rows = subscriptions.from_subscription_table(_table(tz), observation_end="2024-12-31")
    # a: renewals on the 29 Feb (clipped), 31 Mar, … 31 Dec 23:30 (the last day is observed
    # whole): 11. b: periods begun before 2 Mar 00:00 are those of 2 Jan and 2 Feb: 2.
    assert rows["periods"].tolist() == [11, 2]
    assert rows["cancelled"].tolist() == [0, 1]


def test_screen_reads_arrow_timestamps():
    accepted, rejects, end = subscriptions.screen_subscription_table(_table())
    assert len(accepted) == 2 and rejects.empty
    assert end == pd.Timestamp("2024-03-02")
