"""Subscriber data: cohort survivor counts and subscription tables to per-subscriber rows.

The billing-period arithmetic is checked against a brute-force walk with pandas' own calendar
offsets (``pd.DateOffset(months=k)``, which clips the day to the month's length), independent of
the vectorised month arithmetic in :mod:`clvmodel.subscriptions`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clvmodel import subscriptions
from clvmodel.errors import InputError
from clvmodel.models.shifted_beta_geo import ShiftedBetaGeoModel

pytestmark = pytest.mark.filterwarnings("error")

OBSERVATION_END = "2024-12-31"


def _table(rows):
    return pd.DataFrame(rows, columns=["customer_id", "start", "end"])


def _one(start, end, period="M", observation_end=OBSERVATION_END):
    rows = subscriptions.from_subscription_table(
        _table([("a", start, end)]), observation_end=observation_end, period=period
    )
    return int(rows["periods"].iloc[0]), int(rows["cancelled"].iloc[0])


# --------------------------------------------------------------------------------------------------
# Survivor counts
def test_survival_counts_give_one_row_per_subscriber():
    rows = subscriptions.from_survival_counts([1000, 631, 468, 382], period="Y")
    assert len(rows) == 1000
    assert rows.attrs["period"] == "Y"
    counts = rows.groupby(["periods", "cancelled"]).size().to_dict()
    # 369 lost in year 1, 163 in year 2, 86 in year 3; 382 still subscribed after 3 renewals.
    assert counts == {(1, 1): 369, (2, 1): 163, (3, 1): 86, (3, 0): 382}
    assert rows.dtypes.tolist() == [np.dtype("int64")] * 2


def test_survival_counts_with_nobody_lost_or_nobody_left():
    rows = subscriptions.from_survival_counts([10, 10, 0])
    assert rows.groupby(["periods", "cancelled"]).size().to_dict() == {(2, 1): 10}


@pytest.mark.parametrize(
    ("survivors", "message"),
    [
        ([1000], "at least one later count"),
        ([1000, 1100], "never increase"),
        ([100, 63.1], "whole numbers"),
        ([1000, -1], "whole numbers"),
        ([0, 0], "cohort size"),
        (["a", "b"], "must be numbers"),
    ],
)
def test_survival_counts_refuse_bad_input(survivors, message):
    with pytest.raises(InputError, match=message):
        subscriptions.from_survival_counts(survivors)


# --------------------------------------------------------------------------------------------------
# Subscription tables
@pytest.mark.parametrize(
    ("start", "end", "period", "expected"),
    [
        # Active: renewals on or before 2024-12-31 (Jan 31 renews on Feb 29, Mar 31, ...).
        ("2024-01-31", None, "M", (11, 0)),
        ("2024-12-31", None, "M", (0, 0)),
        ("2023-12-31", None, "Y", (1, 0)),
        ("2024-02-29", None, "Y", (0, 0)),
        ("2024-01-01", None, "W", (52, 0)),  # 365 days = 52 weeks + 1 day
        # Cancelled: the periods begun before the end date (at least one).
        ("2024-01-15", "2024-03-20", "M", (3, 1)),
        ("2024-01-15", "2024-03-15", "M", (2, 1)),  # ends exactly at the end of period 2
        ("2024-01-15", "2024-01-15", "M", (1, 1)),  # cancelled on the day: one period paid
        ("2024-01-31", "2024-02-29", "M", (1, 1)),
        ("2024-01-31", "2024-03-01", "M", (2, 1)),
        ("2024-01-01", "2024-01-15", "W", (2, 1)),
        ("2024-01-01", "2024-01-15", "Y", (1, 1)),
        # A cancellation after the end of observation is not yet effective.
        ("2024-01-15", "2025-02-01", "M", (11, 0)),
        ("2024-01-15", "2024-12-31", "M", (12, 1)),
    ],
)
def test_periods_and_cancelled_by_hand(start, end, period, expected):
    assert _one(start, end, period) == expected


def _brute_force(start, end, observation_end, period):
    """Walk the renewal dates one by one with pandas' calendar offsets."""
    offset = {"M": pd.DateOffset(months=1), "Y": pd.DateOffset(years=1), "W": pd.Timedelta(7, "D")}
    start, observation_end = pd.Timestamp(start), pd.Timestamp(observation_end)
    cancelled = end is not None and pd.Timestamp(end) <= observation_end

    def renewal(k):
        if period == "W":
            return start + k * offset["W"]
        return start + pd.DateOffset(months=k * (12 if period == "Y" else 1))

    k = 0
    if cancelled:
        while renewal(k + 1) < pd.Timestamp(end):
            k += 1
        return k + 1, 1
    while renewal(k + 1) <= observation_end:
        k += 1
    return k, 0


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(
        min_value=pd.Timestamp("2019-01-01").date(), max_value=pd.Timestamp("2024-12-31").date()
    ),
    length=st.one_of(st.none(), st.integers(min_value=0, max_value=2500)),
    period=st.sampled_from(["M", "W", "Y"]),
)
def test_periods_match_a_walk_over_the_calendar(start, length, period):
    end = None if length is None else str(pd.Timestamp(start) + pd.Timedelta(length, "D"))[:10]
    assert _one(str(start), end, period) == _brute_force(start, end, OBSERVATION_END, period)


def test_table_keeps_ids_extra_columns_and_period():
    table = pd.DataFrame(
        {
            "id": [7, 8],
            "since": ["2024-01-01", "2024-06-01"],
            "until": [None, "2024-07-10"],
            "price": [9.99, 14.99],
        }
    )
    rows = subscriptions.from_subscription_table(
        table, "id", "since", "until", observation_end="2024-12-31", period="M", keep=["price"]
    )
    assert rows.index.tolist() == [7, 8]
    assert rows.index.name == "id"
    assert rows["periods"].tolist() == [11, 2]
    assert rows["price"].tolist() == [9.99, 14.99]
    assert rows.attrs["period"] == "M"


def test_cohorts_fit_together():
    """Subscribers who joined at different dates are censored at different tenures; the model
    fitted on their rows recovers the parameters of the process that made them."""
    rng = np.random.default_rng(3)
    model = ShiftedBetaGeoModel.from_params({"alpha": 1.5, "beta": 4.0})
    n = 4000
    starts = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 48, n) * 30, "D")
    truth = model.simulate(n, np.zeros(n) + 10_000, random_state=4)["lifetime"].to_numpy()
    ends = [
        None if t > 80 else str((s + pd.DateOffset(months=int(t))).date())
        for s, t in zip(starts, truth, strict=True)
    ]
    table = pd.DataFrame({"customer_id": range(n), "start": starts, "end": ends})
    rows = subscriptions.from_subscription_table(table, observation_end="2024-12-31")
    # A cancellation dated exactly t months after the start: t periods paid for.
    cancelled = rows["cancelled"].to_numpy() == 1
    assert (rows["periods"].to_numpy()[cancelled] == truth[cancelled]).all()
    assert 0 < cancelled.sum() < n
    fitted = ShiftedBetaGeoModel().fit(rows)
    for name, true in {"alpha": 1.5, "beta": 4.0}.items():
        assert abs(fitted.params_[name] - true) < 4 * fitted.standard_errors_[name]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("a", "2024-03-01", "2024-02-01")], r"'end' is before the start date.*2024-02-01"),
        ([("a", "2025-03-01", None)], r"'start' is after observation_end.*2025-03-01"),
        ([("a", None, None)], r"'start' has no start date.*\['a'\]"),
        ([("a", "2024-01-01", None), ("a", "2024-02-01", None)], r"'customer_id' appears more"),
        ([(None, "2024-01-01", None)], r"'customer_id' is missing"),
        ([("a", "someday", None)], r"'start' is not a readable date.*someday"),
        ([("a", "2024-01-01", "never")], r"'end' is not a readable date.*never"),
    ],
)
def test_bad_rows_are_named(rows, message):
    with pytest.raises(InputError, match=message):
        subscriptions.from_subscription_table(_table(rows), observation_end=OBSERVATION_END)


def test_day_first_dates_are_read_in_one_order_for_the_column():
    # 05/01/2024 was read as May 1 and 13/01/2024 as January 13 in one column (pandas
    # reads each value by itself). As in transaction logs, one value settles the order.
    table = _table([("a", "05/01/2024", None), ("b", "13/01/2024", "20/03/2024"),
                    ("c", "2024-01-05", None), ("d", "01/12/2023 10:30", None)])  # fmt: skip
    rows = subscriptions.from_subscription_table(table, observation_end="2024-06-30")
    assert rows["periods"].tolist() == [5, 3, 5, 6]  # b cancelled in its third month
    ok, rejects, _ = subscriptions.screen_subscription_table(table, observation_end="2024-06-30")
    assert ok["start"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2024-01-05 00:00", "2024-01-13 00:00", "2024-01-05 00:00", "2023-12-01 10:30"
    ]  # fmt: skip
    month_first = _table([("a", "01/05/2024", None), ("b", "01/13/2024", None)])
    rows = subscriptions.from_subscription_table(month_first, observation_end="2024-06-30")
    assert rows["periods"].tolist() == [5, 5]


@pytest.mark.parametrize(
    ("starts", "message"),
    [
        (["05/01/2024", "06/01/2024"], r"read both ways.*'05/01/2024' could be either.*YYYY-MM-DD"),
        (
            ["13/01/2024", "01/13/2024"],
            r"day first \('13/01/2024'\) and dates with the month first",
        ),
    ],
)
def test_dates_that_do_not_settle_one_order_are_refused(starts, message):
    table = _table([(str(i), start, None) for i, start in enumerate(starts)])
    for read in (
        lambda: subscriptions.from_subscription_table(table, observation_end="2024-06-30"),
        lambda: subscriptions.screen_subscription_table(table, observation_end="2024-06-30"),
    ):
        with pytest.raises(InputError, match=message):
            read()
    with pytest.raises(InputError, match=r"observation_end='12/01/2024' is ambiguous"):
        subscriptions.from_subscription_table(table[:0], observation_end="12/01/2024")


def test_a_future_date_is_no_end_of_observation():
    # One typo (2099 for 2023) used to become the default end of observation: every active
    # subscriber was credited with ~900 monthly renewals, without a word.
    table = _table([("a", "2023-01-05", None), ("b", "2023-02-01", "2099-08-23")])
    with pytest.raises(
        InputError, match=r"latest date in the table \(2099-08-23\) is in the future"
    ):
        subscriptions.screen_subscription_table(table)
    with pytest.raises(InputError, match=r"observation_end \(2099-01-01\) is in the future"):
        subscriptions.from_subscription_table(table, observation_end="2099-01-01")
    # With the day of the export given, a cancellation scheduled later is not made yet.
    ok, rejects, end = subscriptions.screen_subscription_table(table, observation_end="2024-06-30")
    rows = subscriptions.from_subscription_table(ok, observation_end=end)
    assert rows["cancelled"].tolist() == [0, 0] and rejects.empty


def test_ids_are_read_as_in_transaction_logs():
    # "A" and "A " were two subscribers (a duplicate neither refused nor reported), and a blank
    # id was an id, while transaction logs trim ids and reject blank ones.
    table = _table(
        [("A", "2024-01-05", None), ("A ", "2023-01-05", None), ("7.0", "2024-02-01", None)]
    )
    with pytest.raises(InputError, match=r"'customer_id' appears more than once.*'A '"):
        subscriptions.from_subscription_table(table, observation_end="2024-06-30")
    rows = subscriptions.from_subscription_table(table[1:], observation_end="2024-06-30")
    assert rows.index.tolist() == ["A", "7"]
    with pytest.raises(InputError, match=r"2 row\(s\) where 'customer_id' is missing"):
        subscriptions.from_subscription_table(
            _table([("", "2024-01-05", None), ("  ", "2024-01-05", None)]),
            observation_end="2024-06-30",
        )
    ok, rejects, _ = subscriptions.screen_subscription_table(
        _table([(" A", "2024-01-05", None), ("A", "2024-02-05", None), ("NULL", "2024-01-05", None),
                ("b ", "2024-01-05", None)]), observation_end="2024-06-30",
    )  # fmt: skip
    assert ok["customer_id"].tolist() == ["b"]
    assert rejects["reason"].tolist() == ["customer id appears on 2 rows"] * 2 + [
        "missing customer id"
    ]
    floats = pd.DataFrame(
        {"customer_id": [1.0, 2.5, 3.0], "start": ["2024-01-05"] * 3, "end": None}
    )
    ok, rejects, _ = subscriptions.screen_subscription_table(floats, observation_end="2024-06-30")
    assert ok["customer_id"].tolist() == [1, 3] and ok["customer_id"].dtype == "int64"
    assert rejects[["customer_id", "reason"]].values.tolist() == [
        [2.5, "customer id is not a whole number"]
    ]


def test_a_bare_year_and_a_date_before_1900_are_not_dates():
    # "2024" was read as 2024-01-01 and "0024-01-05" gave a subscriber with 24,005 renewals.
    for start, message in (("2024", "not a readable date"), ("0024-01-05", "before 1900-01-01")):
        with pytest.raises(InputError, match=rf"'start' is {message}"):
            subscriptions.from_subscription_table(
                _table([("a", start, None)]), observation_end="2024-06-30"
            )
    ok, rejects, _ = subscriptions.screen_subscription_table(
        _table([("a", "2024", None), ("b", "2024-01-05", "0024-02-01"), ("c", "20240105", None)]),
        observation_end="2024-06-30",
    )
    assert ok["customer_id"].tolist() == ["c"]
    assert rejects["reason"].tolist() == [
        "start date is not a readable date",
        "date before 1900-01-01",
    ]


@pytest.mark.parametrize(
    "text", ["March 2024", "2024-03", "03/2024", "2024/03", "5 March", "Mar-24", "2024-Q1"]
)
def test_a_date_without_a_day_month_or_year_is_not_a_date(text):
    # pandas reads "March 2024" and "2024-03" as the first of the month, "5 March" in year 1,
    # "2024-Q1" as 2024-01-01 with a deprecation notice: a renewal count off by up to a month.
    table = _table(
        [("a", text, None), ("b", "5 March 2024", "2024-04-05 10:00"), ("c", "2024-01-05", None)]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok, rejects, _ = subscriptions.screen_subscription_table(
            table, observation_end="2024-06-30"
        )
    assert ok["customer_id"].tolist() == ["b", "c"]
    assert ok["start"].tolist() == [pd.Timestamp("2024-03-05"), pd.Timestamp("2024-01-05")]
    assert rejects["reason"].tolist() == ["start date is not a readable date"]
    with pytest.raises(InputError, match=rf"'start' is not a readable date.*{text}"):
        subscriptions.from_subscription_table(table, observation_end="2024-06-30")
    with pytest.raises(InputError, match="observation_end='March 2024' is not a date"):
        subscriptions.screen_subscription_table(table, observation_end="March 2024")


def test_a_date_only_observation_end_covers_its_whole_day():
    # With observation_end="2024-12-31" (midnight), a cancellation at 15:00 that day counted as
    # not yet made, a renewal at 10:00 was not counted and a start at 10:00 was rejected.
    table = _table([("a", "2024-01-05", "2024-12-31 15:00"), ("b", "2024-01-31 10:00", None),
                    ("c", "2024-12-31 10:00", None)])  # fmt: skip
    ok, rejects, end = subscriptions.screen_subscription_table(table, observation_end="2024-12-31")
    assert rejects.empty and end == pd.Timestamp("2024-12-31")
    rows = subscriptions.from_subscription_table(table, observation_end="2024-12-31")
    rows = rows[["periods", "cancelled"]]
    assert rows.loc["a"].tolist() == [12, 1]  # Jan 5 .. Dec 5 begun, cancelled on Dec 31
    assert rows.loc["b"].tolist() == [11, 0]  # renewed Feb 29 .. Dec 31 at 10:00
    assert rows.loc["c"].tolist() == [0, 0]
    # A time of day is the instant itself.
    rows = subscriptions.from_subscription_table(table.iloc[:2], observation_end="2024-12-31 12:00")
    rows = rows[["periods", "cancelled"]]
    assert rows.loc["a"].tolist() == [11, 0] and rows.loc["b"].tolist() == [11, 0]  # active
    with pytest.raises(InputError, match="after observation_end"):
        subscriptions.from_subscription_table(table, observation_end="2024-12-31 09:00")


def test_bad_arguments():
    table = _table([("a", "2024-01-01", None)])
    with pytest.raises(InputError, match="no column 'begin'"):
        subscriptions.from_subscription_table(
            table, start_col="begin", observation_end="2024-12-31"
        )
    with pytest.raises(InputError, match="period='D'"):
        subscriptions.from_subscription_table(table, observation_end="2024-12-31", period="D")
    with pytest.raises(InputError, match="observation_end is required"):
        subscriptions.from_subscription_table(table)
    with pytest.raises(InputError, match="not a date"):
        subscriptions.from_subscription_table(table, observation_end="soon")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pd.DataFrame({"periods": [1]}), "no column 'cancelled'"),
        (pd.DataFrame({"periods": [1.5], "cancelled": [0]}), "whole numbers"),
        (pd.DataFrame({"periods": [-1], "cancelled": [0]}), "whole numbers"),
        (pd.DataFrame({"periods": [1], "cancelled": [2]}), "0 \\(active\\) or 1"),
        (pd.DataFrame({"periods": [0], "cancelled": [1]}), "at least one period"),
        (pd.DataFrame({"periods": [np.nan], "cancelled": [1]}), "missing"),
        ([1, 2], "expected a DataFrame"),
    ],
)
def test_validate_subscribers(data, message):
    with pytest.raises(InputError, match=message):
        subscriptions.validate_subscribers(data)


# --------------------------------------------------------------------------------------------------
# Screening a table row by row (the command line's route) and synthetic tables
def test_screen_splits_every_row_with_a_reason():
    table = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "c", None, "e", "f", "g", "h"],
            "start": ["2024-01-31", "2024-02-01", "2024-03-01", "2024-03-01", "2024-01-01",
                      "31/02/2024", "", "2024-05-01", "2025-02-01"],
            "end": [None, "2024-01-01", None, None, None, None, None, "soon", None],
            "price": ["9.99", "9.99", "9.99", "9.99", "9.99", "9.99", "9.99", "9.99", "-1"],
        }
    )  # fmt: skip
    accepted, rejects, end = subscriptions.screen_subscription_table(
        table, observation_end="2024-12-31", numeric_cols=["price"]
    )
    assert accepted.index.tolist() == [0]
    assert accepted["price"].dtype == "float64"
    assert len(accepted) + len(rejects) == len(table)
    assert dict(zip(rejects["row"], rejects["reason"], strict=True)) == {
        2: "end date before start date",
        3: "customer id appears on 2 rows",
        4: "customer id appears on 2 rows",
        5: "missing customer id",
        6: "start date is not a readable date",
        7: "no start date",
        8: "end date is not a readable date",
        9: "price is missing or not a number ≥ 0",
    }
    assert end == pd.Timestamp("2024-12-31")
    rows = subscriptions.from_subscription_table(accepted, observation_end=end)
    assert rows.loc["a", "periods"] == 11


def test_screen_defaults_and_late_starts():
    table = pd.DataFrame({"customer_id": ["a", "b"], "start": ["2024-01-01", "2024-06-01"],
                          "end": ["2024-03-15", None]})  # fmt: skip
    accepted, rejects, end = subscriptions.screen_subscription_table(table)
    assert end == pd.Timestamp("2024-06-01") and rejects.empty
    accepted, rejects, _ = subscriptions.screen_subscription_table(
        table, observation_end="2024-05-01"
    )
    assert rejects["reason"].tolist() == ["starts after the observation end (2024-05-01)"]
    with pytest.raises(InputError, match="no column 'stop'"):
        subscriptions.screen_subscription_table(table, end_col="stop")
    with pytest.raises(InputError, match="not a date"):
        subscriptions.screen_subscription_table(table, observation_end="someday")


@pytest.mark.parametrize("period", ["M", "W", "Y"])
def test_simulated_tables_give_back_the_lifetimes(period):
    sbg = ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.5})
    table = subscriptions.simulate_subscription_table(
        sbg, 2000, "2020-01-31", "2024-12-31", period=period, random_state=2
    )
    rows = subscriptions.from_subscription_table(table, observation_end="2024-12-31", period=period)
    truth = table.set_index("customer_id")["lifetime"]
    cancelled = rows["cancelled"] == 1
    assert cancelled.any() and (~cancelled).any()
    assert (rows.loc[cancelled, "periods"] == truth[cancelled]).all()
    assert (truth[~cancelled] > rows.loc[~cancelled, "periods"]).all()


_CELLS = st.sampled_from(["2024-01-15", "2024-03-31", "2023-12-01", "", "nonsense", None])


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", "d", "", None]), _CELLS, _CELLS,
                  st.sampled_from(["9.99", "-1", "x", None, "0"])),
        min_size=1, max_size=12,
    )
)  # fmt: skip
def test_screen_accounts_for_every_row(rows):
    table = pd.DataFrame(rows, columns=["customer_id", "start", "end", "price"])
    accepted, rejects, end = subscriptions.screen_subscription_table(
        table, observation_end="2024-02-29", numeric_cols=["price"]
    )
    assert len(accepted) + len(rejects) == len(table)
    assert sorted([*(accepted.index + 1), *rejects["row"]]) == list(range(1, len(table) + 1))
    assert rejects["reason"].notna().all()
    if len(accepted):  # what is accepted, the strict reader takes as it is
        converted = subscriptions.from_subscription_table(accepted, observation_end=end)
        assert len(converted) == len(accepted)
