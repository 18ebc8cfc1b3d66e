"""Transaction logs to RFM summaries: agreement with lifetimes and with an independent pandas
reference, the published CDNOW numbers, edge cases, property tests and the input checks."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.rfm import validate_rfm

UNIT_DAYS = {"D": 1, "W": 7}
BASE = pd.Timestamp("1997-01-01")


# --------------------------------------------------------------------------------------------------
# Fixtures and helpers.
@pytest.fixture(scope="module")
def sample_tx():
    return clv.datasets.load_cdnow_sample()


@pytest.fixture(scope="module")
def full_tx():
    return clv.datasets.load_cdnow()


def make_tx(rows, columns=("customer_id", "date", "amount")):
    """A small transaction log from (customer, date, amount) tuples."""
    frame = pd.DataFrame(list(rows), columns=list(columns))
    if "date" in frame:
        frame["date"] = pd.to_datetime(frame["date"])
    return frame


def day_numbers(dates):
    """Whole days since 1970-01-01 of each (timezone-naive) date, time of day dropped, as ints."""
    stamps = pd.DatetimeIndex(dates if np.ndim(dates) else [dates]).to_numpy()
    return stamps.astype("datetime64[D]").astype("int64").tolist()


def daily_spend(tx, first_day, last_day, amount=True):
    """``{customer: {day: amount spent that day}}`` over the days first_day..last_day (day
    numbers), for the customers buying then: a plain dictionary, no pandas grouping."""
    customers = tx["customer_id"].tolist()
    amounts = tx["amount"].astype(float).tolist() if amount else [0.0] * len(customers)
    spend: dict = {}
    for customer, day, value in zip(customers, day_numbers(tx["date"]), amounts, strict=True):
        if first_day <= day <= last_day:
            days = spend.setdefault(customer, {})
            days[day] = days.get(day, 0.0) + value
    return spend


def reference_rfm(tx, observation_end, unit_days, amount=True):
    """RFM summary written from the definitions, one customer at a time, in plain Python."""
    (end,) = day_numbers(observation_end)
    rows = {}
    for customer, days in daily_spend(tx, -(10**9), end, amount).items():
        ordered = sorted(days)
        first, last = ordered[0], ordered[-1]
        repeat = len(ordered) - 1
        rows[customer] = (
            repeat,
            (last - first) / unit_days,
            (end - first) / unit_days,
            sum(days[d] for d in ordered[1:]) / repeat if repeat else 0.0,
        )
    columns = ["frequency", "recency", "T", "monetary_value"]
    values = list(zip(*rows.values(), strict=True)) or [[]] * len(columns)
    return pd.DataFrame(dict(zip(columns, values, strict=True)), index=list(rows))


def assert_same_rfm(ours, expected, columns=("frequency", "recency", "T", "monetary_value")):
    """Same customers (each once) and the same numbers, aligned on the customer index."""
    assert ours.index.is_unique
    assert len(ours) == len(expected)
    assert set(ours.index) == set(expected.index)
    ours = ours.loc[expected.index]
    for column in columns:
        got = ours[column].to_numpy(dtype=float)
        want = expected[column].to_numpy(dtype=float)
        if column == "monetary_value":
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=column)
        else:
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-9, err_msg=column)


# --------------------------------------------------------------------------------------------------
# Agreement with lifetimes 0.11.3, the reference implementation.
@pytest.mark.parametrize("observation_end", ["1997-09-30", "1998-06-30"])
@pytest.mark.parametrize("time_unit", ["W", "D"])
@pytest.mark.parametrize("which", ["sample", "full"])
def test_matches_lifetimes_summary(which, time_unit, observation_end, request):
    # The reference, imported where used (lifetimes takes 0.5 s to import).
    from lifetimes.utils import summary_data_from_transaction_data

    tx = request.getfixturevalue(f"{which}_tx")
    ours = clv.rfm_summary(tx, observation_end=observation_end, time_unit=time_unit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = summary_data_from_transaction_data(
            tx,
            "customer_id",
            "date",
            "amount",
            observation_period_end=observation_end,
            freq="D",
            freq_multiplier=UNIT_DAYS[time_unit],
        )
    assert_same_rfm(ours, theirs)


def test_calibration_split_matches_lifetimes(sample_tx):
    # The reference, imported where used (lifetimes takes 0.5 s to import).
    from lifetimes.utils import calibration_and_holdout_data

    cal, hold = clv.calibration_holdout_split(
        sample_tx, calibration_end="1997-09-30", observation_end="1998-06-30", time_unit="W"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = calibration_and_holdout_data(
            sample_tx,
            "customer_id",
            "date",
            calibration_period_end="1997-09-30",
            observation_period_end="1998-06-30",
            freq="D",
            freq_multiplier=7,
            monetary_value_col="amount",
        )
    renamed = theirs.rename(
        columns={
            "frequency_cal": "frequency",
            "recency_cal": "recency",
            "T_cal": "T",
            "monetary_value_cal": "monetary_value",
        }
    )
    assert_same_rfm(cal, renamed)
    # lifetimes' monetary_value_holdout is a mean per transaction, not per purchase day, so only
    # the count and the duration are compared here; the per-day mean is checked further down.
    aligned = theirs.loc[hold.index]
    np.testing.assert_array_equal(
        hold["frequency_holdout"].to_numpy(), aligned["frequency_holdout"].to_numpy()
    )
    np.testing.assert_allclose(
        hold["duration_holdout"].to_numpy(), aligned["duration_holdout"].to_numpy(), atol=1e-12
    )


# --------------------------------------------------------------------------------------------------
# Published facts (Fader, Hardie and Lee 2005; Hardie's BG/NBD note).
def test_published_calibration_summary(sample_tx):
    rfm = clv.rfm_summary(sample_tx, observation_end="1997-09-30", time_unit="W")
    assert len(rfm) == 2357
    assert int(rfm["frequency"].sum()) == 2457
    # Hardie's worked example: customer 00004 has x = 2, t_x = 30.43, T = 38.86 weeks.
    row = rfm.loc["00004"]
    assert row["frequency"] == 2
    assert row["recency"] == pytest.approx(30.43, abs=0.005)
    assert row["T"] == pytest.approx(38.86, abs=0.005)


def test_published_holdout_summary(sample_tx):
    cal, hold = clv.calibration_holdout_split(
        sample_tx, calibration_end="1997-09-30", observation_end="1998-06-30"
    )
    assert len(cal) == len(hold) == 2357
    assert int(cal["frequency"].sum()) == 2457
    assert int(hold["frequency_holdout"].sum()) == 1882
    np.testing.assert_allclose(hold["duration_holdout"].to_numpy(), 39.0, rtol=0, atol=1e-12)
    assert hold.attrs["new_customers"] == []


def test_calibration_ages_follow_first_purchases(sample_tx):
    rfm = clv.rfm_summary(sample_tx, observation_end="1997-09-30")
    end = pd.Timestamp("1997-09-30")
    first = sample_tx.groupby("customer_id")["date"].min().loc[rfm.index]
    np.testing.assert_allclose(
        rfm["T"].to_numpy(), (end - first).dt.days.to_numpy() / 7, rtol=0, atol=1e-12
    )
    # The cohort first bought in Q1 1997, so T lies between 26 and 39 weeks.
    assert rfm["T"].max() <= 39 + 1e-12
    assert rfm["T"].min() >= 26


# --------------------------------------------------------------------------------------------------
# Definitions, on hand-made logs.
def test_same_day_purchases_merge_and_monetary_excludes_first_day():
    tx = make_tx(
        [
            ("a", "1997-01-01", 10.0),
            ("a", "1997-01-01", 5.0),  # same day as the first: merged into the first day
            ("a", "1997-01-08", 20.0),
            ("a", "1997-01-08", 4.0),  # merged: day total 24
            ("a", "1997-01-15", 30.0),
        ]
    )
    rfm = clv.rfm_summary(tx, observation_end="1997-01-29", time_unit="D")
    row = rfm.loc["a"]
    assert row["frequency"] == 2
    assert row["recency"] == 14
    assert row["T"] == 28
    # Mean over the repeat days (24 and 30); the first day's 15 is excluded.
    assert row["monetary_value"] == pytest.approx(27.0, rel=1e-12)


def test_one_day_customer_has_zero_frequency_recency_and_monetary():
    tx = make_tx(
        [
            ("solo", "1997-01-03", 50.0),
            ("solo", "1997-01-03", 70.0),  # same day: still no repeat purchase
            ("other", "1997-01-01", 1.0),
            ("other", "1997-01-02", 2.0),
        ]
    )
    rfm = clv.rfm_summary(tx, observation_end="1997-01-10", time_unit="D")
    solo = rfm.loc["solo"]
    assert solo["frequency"] == 0
    assert solo["recency"] == 0
    assert solo["monetary_value"] == 0
    assert solo["T"] == 7


def test_frequency_is_integer_and_columns_are_named():
    tx = make_tx([("a", "1997-01-01", 1.0), ("a", "1997-01-05", 2.0)])
    rfm = clv.rfm_summary(tx, observation_end="1997-01-10")
    assert list(rfm.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert pd.api.types.is_integer_dtype(rfm["frequency"])
    assert rfm.attrs["time_unit"] == "W"


def test_without_amount_column_there_is_no_monetary_value():
    tx = make_tx([("a", "1997-01-01"), ("a", "1997-01-05")], columns=("customer_id", "date"))
    rfm = clv.rfm_summary(tx, amount_col=None, observation_end="1997-01-10", time_unit="D")
    assert list(rfm.columns) == ["frequency", "recency", "T"]
    assert rfm.loc["a", "frequency"] == 1


def test_custom_column_names():
    tx = make_tx(
        [("a", "1997-01-01", 1.0), ("a", "1997-01-05", 2.0)],
        columns=("cust", "when", "spend"),
    )
    tx["when"] = pd.to_datetime(tx["when"])
    rfm = clv.rfm_summary(
        tx,
        customer_col="cust",
        date_col="when",
        amount_col="spend",
        observation_end="1997-01-10",
        time_unit="D",
    )
    assert rfm.loc["a", "frequency"] == 1
    assert rfm.loc["a", "recency"] == 4
    assert rfm.loc["a", "monetary_value"] == 2.0


def test_index_in_order_of_first_appearance():
    tx = make_tx([("z", "1997-01-03", 1.0), ("b", "1997-01-01", 1.0), ("z", "1997-01-04", 1.0)])
    rfm = clv.rfm_summary(tx, observation_end="1997-01-10")
    assert list(rfm.index) == ["z", "b"]


def test_days_and_weeks_differ_by_factor_seven(sample_tx):
    days = clv.rfm_summary(sample_tx, observation_end="1997-09-30", time_unit="D")
    weeks = clv.rfm_summary(sample_tx, observation_end="1997-09-30", time_unit="W")
    assert days.index.equals(weeks.index)
    np.testing.assert_array_equal(days["frequency"], weeks["frequency"])
    np.testing.assert_allclose(days["recency"], 7 * weeks["recency"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(days["T"], 7 * weeks["T"], rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(days["monetary_value"], weeks["monetary_value"])
    assert days.attrs["time_unit"] == "D"
    assert weeks.attrs["time_unit"] == "W"


def test_time_of_day_is_ignored():
    stamps = make_tx(
        [
            ("a", "1997-01-01 00:00:01", 1.0),
            ("a", "1997-01-01 23:59:59", 2.0),
            ("a", "1997-01-03 08:00:00", 4.0),
            ("a", "1997-01-03 18:30:00", 8.0),
        ]
    )
    dates = make_tx([("a", "1997-01-01", 3.0), ("a", "1997-01-03", 12.0)])
    with_time = clv.rfm_summary(stamps, observation_end="1997-01-10 15:00", time_unit="D")
    by_day = clv.rfm_summary(dates, observation_end="1997-01-10", time_unit="D")
    pd.testing.assert_frame_equal(with_time, by_day)
    assert with_time.loc["a", "frequency"] == 1
    assert with_time.loc["a", "recency"] == 2
    assert with_time.loc["a", "T"] == 9
    assert with_time.loc["a", "monetary_value"] == 12.0


def test_observation_end_accepts_date_objects():
    tx = make_tx([("a", "1997-01-01", 1.0), ("a", "1997-01-05", 2.0)])
    as_text = clv.rfm_summary(tx, observation_end="1997-01-10")
    as_date = clv.rfm_summary(tx, observation_end=dt.date(1997, 1, 10))
    as_stamp = clv.rfm_summary(tx, observation_end=pd.Timestamp("1997-01-10 23:00"))
    pd.testing.assert_frame_equal(as_text, as_date)
    pd.testing.assert_frame_equal(as_text, as_stamp)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Tokyo"])
def test_timezone_aware_dates_use_their_local_day(zone):
    naive = make_tx(
        [
            ("a", "1997-01-01 23:30", 1.0),
            ("a", "1997-01-02 00:30", 2.0),
            ("a", "1997-01-06 12:00", 4.0),
            ("b", "1997-01-03 09:00", 8.0),
        ]
    )
    aware = naive.assign(date=naive["date"].dt.tz_localize(zone))
    expected = clv.rfm_summary(naive, observation_end="1997-01-10", time_unit="D")
    got = clv.rfm_summary(aware, observation_end="1997-01-10", time_unit="D")
    pd.testing.assert_frame_equal(got, expected)
    assert got.loc["a", "frequency"] == 2


def test_timezone_aware_observation_end():
    tx = make_tx([("a", "1997-01-01", 1.0), ("a", "1997-01-05", 2.0)])
    aware = clv.rfm_summary(
        tx, observation_end=pd.Timestamp("1997-01-10 08:00", tz="Asia/Tokyo"), time_unit="D"
    )
    assert aware.loc["a", "T"] == 9


def test_string_dates_with_utc_offset_agree_with_parsed_dates():
    """The same instants given as ISO strings with an offset, or as a tz-aware column, must give
    the same summary (the library buckets the aware column by local day)."""
    text = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "date": [
                "1997-01-01T23:00:00-05:00",
                "1997-01-02T01:00:00-05:00",
                "1997-01-05T01:00:00-05:00",
            ],
            "amount": [1.0, 2.0, 3.0],
        }
    )
    parsed = text.assign(date=pd.to_datetime(text["date"]))
    expected = clv.rfm_summary(parsed, observation_end="1997-01-10", time_unit="D")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = clv.rfm_summary(text, observation_end="1997-01-10", time_unit="D")
    pd.testing.assert_frame_equal(got, expected)
    assert [str(w.message) for w in caught] == []


def test_string_dates_with_mixed_offsets_work_or_raise_input_error():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "date": ["1997-01-01T23:00:00-05:00", "1997-01-03T01:00:00+00:00"],
            "amount": [1.0, 2.0],
        }
    )
    try:
        rfm = clv.rfm_summary(tx, observation_end="1997-01-10", time_unit="D")
    except clv.InputError as exc:
        assert "date" in str(exc)
    else:
        assert rfm.loc["a", "frequency"] == 1


def test_integer_yyyymmdd_dates_are_not_silently_misread():
    """CDNOW's own files store dates as integers like 19970101. They must be read as dates or
    rejected, never taken as nanoseconds since 1970."""
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": [19970101, 19970115, 19970103],
            "amount": [1.0, 2.0, 3.0],
        }
    )
    try:
        rfm = clv.rfm_summary(tx, observation_end="1997-01-31", time_unit="D")
    except clv.InputError as exc:
        assert "date" in str(exc)
    else:
        assert rfm.loc["a", "frequency"] == 1
        assert rfm.loc["a", "recency"] == 14
        assert rfm.loc["a", "T"] == 30


def test_truncate_ignores_late_purchases_and_counts_them():
    tx = make_tx(
        [
            ("a", "1997-01-01", 1.0),
            ("a", "1997-01-05", 2.0),
            ("a", "1997-01-12", 3.0),  # late
            ("a", "1997-01-12", 3.0),  # late, same day: one customer-day
            ("b", "1997-01-03", 5.0),
            ("b", "1997-01-20", 5.0),  # late
            ("c", "1997-01-15", 9.0),  # late: c has no purchase by the end at all
        ]
    )
    rfm = clv.rfm_summary(tx, observation_end="1997-01-10", time_unit="D")
    assert rfm.attrs["purchase_days_after_end"] == 3
    assert list(rfm.index) == ["a", "b"]
    assert rfm.loc["a", "frequency"] == 1
    assert rfm.loc["a", "recency"] == 4
    assert rfm.loc["a", "monetary_value"] == 2.0
    assert rfm.loc["b", "frequency"] == 0
    assert rfm.loc["b", "T"] == 7


def test_no_late_purchases_records_zero():
    tx = make_tx([("a", "1997-01-01", 1.0), ("a", "1997-01-05", 2.0)])
    assert clv.rfm_summary(tx, observation_end="1997-01-05").attrs["purchase_days_after_end"] == 0
    assert clv.rfm_summary(tx).attrs["purchase_days_after_end"] == 0


def test_observation_end_defaults_to_last_transaction():
    tx = make_tx([("a", "1997-01-01", 1.0), ("a", "1997-01-05", 2.0), ("b", "1997-01-09", 1.0)])
    rfm = clv.rfm_summary(tx, time_unit="D")
    assert rfm.loc["a", "T"] == 8
    assert rfm.loc["b", "T"] == 0


def test_output_is_valid_rfm(sample_tx):
    rfm = clv.rfm_summary(sample_tx, observation_end="1997-09-30")
    arrays = validate_rfm(rfm, require=("frequency", "recency", "T", "monetary_value"))
    assert arrays.index.equals(rfm.index)
    np.testing.assert_array_equal(arrays.frequency, rfm["frequency"].to_numpy(dtype=float))


def test_input_is_not_modified(sample_tx):
    before = sample_tx.copy()
    clv.rfm_summary(sample_tx, observation_end="1997-09-30")
    clv.calibration_holdout_split(sample_tx, "1997-09-30", "1998-06-30")
    pd.testing.assert_frame_equal(sample_tx, before)


# --------------------------------------------------------------------------------------------------
# Property tests on random small logs.
@st.composite
def transaction_logs(draw, max_rows=30):
    n = draw(st.integers(1, max_rows))
    customers = draw(
        st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), min_size=n, max_size=n)
    )
    days = draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))
    seconds = draw(st.lists(st.integers(0, 86_399), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(0, 100_000), min_size=n, max_size=n))
    dates = BASE + pd.to_timedelta(np.multiply(days, 86_400) + seconds, unit="s")
    return pd.DataFrame(
        {
            "customer_id": customers,
            "date": dates,
            "amount": np.asarray(cents, dtype=float) / 100,
        }
    )


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True)


# Each property test summarises the same kind of random log several ways; tests that only differ
# in the checks they make on one summary share it (a summary costs far more than its checks).
@PROPERTY_SETTINGS
@given(tx=transaction_logs(), extra_days=st.integers(0, 30), time_unit=st.sampled_from(["D", "W"]))
def test_property_matches_reference_and_invariants(tx, extra_days, time_unit):
    end = tx["date"].max().normalize() + pd.Timedelta(days=extra_days)
    rfm = clv.rfm_summary(tx, observation_end=end, time_unit=time_unit, truncate=False)
    assert_same_rfm(rfm, reference_rfm(tx, end, UNIT_DAYS[time_unit]))
    # Invariants. Every customer exactly once.
    assert rfm.index.is_unique
    assert set(rfm.index) == set(tx["customer_id"])
    # 0 ≤ recency ≤ T.
    assert (rfm["recency"] >= 0).all()
    assert (rfm["recency"] <= rfm["T"]).all()
    # frequency = distinct purchase days − 1.
    distinct_days = daily_spend(tx, -(10**9), 10**9)
    np.testing.assert_array_equal(
        rfm["frequency"].to_numpy(), [len(distinct_days[c]) - 1 for c in rfm.index]
    )
    # No repeat purchase: recency and monetary value are 0.
    one_timers = rfm[rfm["frequency"] == 0]
    assert (one_timers["recency"] == 0).all()
    assert (one_timers["monetary_value"] == 0).all()
    assert (rfm["monetary_value"] >= 0).all()
    # The summary passes the library's own checks.
    validate_rfm(rfm, require=("frequency", "recency", "T", "monetary_value"))


@PROPERTY_SETTINGS
@given(tx=transaction_logs(), cut=st.integers(0, 60), time_unit=st.sampled_from(["D", "W"]))
def test_property_truncation_matches_reference(tx, cut, time_unit):
    end = BASE + pd.Timedelta(days=cut)
    if tx["date"].min().normalize() > end:
        with pytest.raises(clv.InputError, match="before the first transaction"):
            clv.rfm_summary(tx, observation_end=end, time_unit=time_unit)
        return
    ours = clv.rfm_summary(tx, observation_end=end, time_unit=time_unit)
    assert_same_rfm(ours, reference_rfm(tx, end, UNIT_DAYS[time_unit]))
    late = daily_spend(tx, day_numbers(end)[0] + 1, 10**9)
    assert ours.attrs["purchase_days_after_end"] == sum(len(days) for days in late.values())


@PROPERTY_SETTINGS
@given(tx=transaction_logs(), order=st.randoms(use_true_random=False))
def test_property_row_order_days_and_weeks(tx, order):
    end = tx["date"].max() + pd.Timedelta(days=3)
    positions = list(range(len(tx)))
    order.shuffle(positions)
    shuffled = tx.iloc[positions].reset_index(drop=True)
    weeks = clv.rfm_summary(tx, observation_end=end)
    # The order of the rows does not matter.
    reordered = clv.rfm_summary(shuffled, observation_end=end)
    assert_same_rfm(reordered, weeks)
    # Days and weeks (the default unit) differ by a factor of seven.
    assert weeks.attrs["time_unit"] == "W"
    days = clv.rfm_summary(tx, time_unit="D", observation_end=end)
    np.testing.assert_array_equal(days["frequency"], weeks["frequency"])
    np.testing.assert_allclose(days["recency"], 7 * weeks["recency"], atol=1e-9)
    np.testing.assert_allclose(days["T"], 7 * weeks["T"], atol=1e-9)


def reference_split(tx, calibration_end, observation_end, unit_days):
    cal_end, obs_end = day_numbers([calibration_end, observation_end])
    cal = reference_rfm(tx, calibration_end, unit_days)
    window = daily_spend(tx, cal_end + 1, obs_end)
    frequency = {customer: len(days) for customer, days in window.items()}
    spend = {customer: sum(days.values()) / len(days) for customer, days in window.items()}
    hold = pd.DataFrame(
        {
            "frequency_holdout": [frequency.get(c, 0) for c in cal.index],
            "monetary_value_holdout": [spend.get(c, 0.0) for c in cal.index],
            "duration_holdout": (obs_end - cal_end) / unit_days,
        },
        index=cal.index,
    )
    new = sorted(set(frequency) - set(cal.index))
    return cal, hold, new


@PROPERTY_SETTINGS
@given(
    tx=transaction_logs(),
    cal_offset=st.integers(0, 40),
    holdout_days=st.integers(1, 40),
    time_unit=st.sampled_from(["D", "W"]),
)
def test_property_calibration_split_matches_reference(tx, cal_offset, holdout_days, time_unit):
    cal_end = tx["date"].min().normalize() + pd.Timedelta(days=cal_offset)
    obs_end = cal_end + pd.Timedelta(days=holdout_days)
    cal, hold = clv.calibration_holdout_split(
        tx, calibration_end=cal_end, observation_end=obs_end, time_unit=time_unit
    )
    want_cal, want_hold, want_new = reference_split(tx, cal_end, obs_end, UNIT_DAYS[time_unit])
    assert_same_rfm(cal, want_cal)
    assert cal.index.equals(hold.index)
    want_hold = want_hold.loc[hold.index]
    np.testing.assert_array_equal(
        hold["frequency_holdout"].to_numpy(), want_hold["frequency_holdout"].to_numpy()
    )
    np.testing.assert_allclose(
        hold["monetary_value_holdout"].to_numpy(),
        want_hold["monetary_value_holdout"].to_numpy(),
        rtol=1e-9,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        hold["duration_holdout"].to_numpy(), want_hold["duration_holdout"].to_numpy(), atol=1e-12
    )
    assert sorted(hold.attrs["new_customers"]) == want_new


# --------------------------------------------------------------------------------------------------
# Calibration / holdout split on a hand-made log.
@pytest.fixture
def split_tx():
    return make_tx(
        [
            ("old", "1997-01-01", 10.0),
            ("old", "1997-01-05", 20.0),
            ("old", "1997-01-12", 30.0),  # holdout
            ("old", "1997-01-12", 6.0),  # holdout, same day → one purchase day of 36
            ("old", "1997-01-15", 4.0),  # holdout
            ("old", "1997-01-25", 99.0),  # after observation_end: ignored
            ("quiet", "1997-01-02", 5.0),
            ("new", "1997-01-13", 7.0),  # first purchase in the holdout
            ("new", "1997-01-14", 8.0),
            ("later", "1997-01-28", 1.0),  # first purchase after observation_end
        ]
    )


def test_split_cohort_and_holdout_counts(split_tx):
    cal, hold = clv.calibration_holdout_split(
        split_tx, calibration_end="1997-01-10", observation_end="1997-01-20", time_unit="D"
    )
    assert list(cal.index) == ["old", "quiet"]
    assert cal.index.equals(hold.index)
    assert "new" not in cal.index and "later" not in cal.index
    assert hold.attrs["new_customers"] == ["new"]
    assert cal.loc["old", "frequency"] == 1
    assert cal.loc["old", "recency"] == 4
    assert cal.loc["old", "T"] == 9
    assert cal.loc["old", "monetary_value"] == 20.0
    # Distinct purchase days in (1997-01-10, 1997-01-20]: the 12th and the 15th.
    assert hold.loc["old", "frequency_holdout"] == 2
    assert hold.loc["old", "monetary_value_holdout"] == pytest.approx((36.0 + 4.0) / 2)
    assert hold.loc["quiet", "frequency_holdout"] == 0
    assert hold.loc["quiet", "monetary_value_holdout"] == 0
    np.testing.assert_array_equal(hold["duration_holdout"].to_numpy(), [10.0, 10.0])
    assert cal.attrs["time_unit"] == hold.attrs["time_unit"] == "D"


def test_split_calibration_equals_summary_up_to_calibration_end(split_tx):
    cal, _ = clv.calibration_holdout_split(
        split_tx, calibration_end="1997-01-10", observation_end="1997-01-20"
    )
    summary = clv.rfm_summary(split_tx, observation_end="1997-01-10")
    assert_same_rfm(cal, summary)


def test_split_purchase_on_calibration_end_belongs_to_calibration():
    tx = make_tx([("a", "1997-01-01", 1.0), ("a", "1997-01-10", 2.0), ("a", "1997-01-11", 3.0)])
    cal, hold = clv.calibration_holdout_split(tx, "1997-01-10", "1997-01-11", time_unit="D")
    assert cal.loc["a", "frequency"] == 1
    assert hold.loc["a", "frequency_holdout"] == 1
    assert hold.loc["a", "duration_holdout"] == 1


def test_split_observation_end_defaults_to_last_transaction(split_tx):
    _, hold = clv.calibration_holdout_split(split_tx, calibration_end="1997-01-10", time_unit="D")
    assert hold.loc["old", "duration_holdout"] == 18  # 1997-01-10 → 1997-01-28
    assert hold.loc["old", "frequency_holdout"] == 3
    assert sorted(hold.attrs["new_customers"]) == ["later", "new"]


def test_split_rejects_calibration_end_before_first_transaction(split_tx):
    with pytest.raises(
        clv.InputError, match=r"calibration_end \(1996-12-31\) must fall on or after"
    ):
        clv.calibration_holdout_split(split_tx, "1996-12-31", "1997-01-20")


def test_split_rejects_calibration_end_equal_to_observation_end(split_tx):
    with pytest.raises(clv.InputError, match="before the end of observation"):
        clv.calibration_holdout_split(split_tx, "1997-01-20", "1997-01-20")


def test_split_rejects_calibration_end_after_observation_end(split_tx):
    with pytest.raises(clv.InputError, match="before the end of observation"):
        clv.calibration_holdout_split(split_tx, "1997-01-21", "1997-01-20")


def test_split_rejects_unknown_time_unit(split_tx):
    with pytest.raises(clv.InputError, match="time_unit='M' is not supported"):
        clv.calibration_holdout_split(split_tx, "1997-01-10", "1997-01-20", time_unit="M")


def test_split_rejects_unparseable_calibration_end(split_tx):
    with pytest.raises(clv.InputError, match="calibration_end='soon' is not a date"):
        clv.calibration_holdout_split(split_tx, "soon", "1997-01-20")


# --------------------------------------------------------------------------------------------------
# Bad transaction logs: one test per case, each checking the message names the problem.
@pytest.fixture
def good_tx():
    return make_tx(
        [
            ("a", "1997-01-01", 10.0),
            ("a", "1997-01-05", 20.0),
            ("b", "1997-01-03", 5.0),
            ("c", "1997-01-04", 7.0),
        ]
    )


def test_rejects_non_dataframe(good_tx):
    with pytest.raises(clv.InputError, match="must be a pandas DataFrame, got list"):
        clv.rfm_summary(good_tx.to_dict("records"), observation_end="1997-01-10")


def test_rejects_empty_table():
    empty = pd.DataFrame(
        {
            "customer_id": pd.Series([], dtype=str),
            "date": pd.Series([], dtype="datetime64[ns]"),
            "amount": pd.Series([], dtype=float),
        }
    )
    with pytest.raises(clv.InputError, match="empty"):
        clv.rfm_summary(empty, observation_end="1997-01-10")


def test_rejects_missing_column(good_tx):
    with pytest.raises(clv.InputError, match="no column 'amount'") as info:
        clv.rfm_summary(good_tx.drop(columns="amount"), observation_end="1997-01-10")
    assert "['customer_id', 'date']" in str(info.value)


def test_rejects_misnamed_customer_column(good_tx):
    with pytest.raises(clv.InputError, match="no column 'cust'") as info:
        clv.rfm_summary(good_tx, customer_col="cust", observation_end="1997-01-10")
    assert "'customer_id'" in str(info.value)


def test_rejects_missing_customer_ids(good_tx):
    good_tx.loc[2, "customer_id"] = None
    with pytest.raises(clv.InputError, match=r"1 transaction\(s\) have no customer id"):
        clv.rfm_summary(good_tx, observation_end="1997-01-10")


def test_rejects_unparseable_dates(good_tx):
    tx = good_tx.assign(date=["1997-01-01", "not a date", "1997-01-03", "1997-02-31"])
    with pytest.raises(
        clv.InputError, match=r"2 value\(s\) in column 'date' are missing or not dates"
    ):
        clv.rfm_summary(tx, observation_end="1997-01-10")


def test_rejects_missing_dates(good_tx):
    good_tx.loc[[0, 3], "date"] = pd.NaT
    with pytest.raises(clv.InputError, match=r"2 value\(s\) in column 'date' are missing"):
        clv.rfm_summary(good_tx, observation_end="1997-01-10")


def test_rejects_negative_amounts(good_tx):
    good_tx.loc[1, "amount"] = -3.0
    with pytest.raises(clv.InputError, match=r"1 value\(s\) in column 'amount' are negative"):
        clv.rfm_summary(good_tx, observation_end="1997-01-10")


def test_rejects_nan_amounts(good_tx):
    good_tx.loc[1, "amount"] = np.nan
    with pytest.raises(clv.InputError, match=r"1 value\(s\) in column 'amount' are missing"):
        clv.rfm_summary(good_tx, observation_end="1997-01-10")


def test_rejects_infinite_amounts(good_tx):
    good_tx.loc[1, "amount"] = np.inf
    with pytest.raises(clv.InputError, match=r"column 'amount' are missing, infinite"):
        clv.rfm_summary(good_tx, observation_end="1997-01-10")


def test_rejects_non_numeric_amounts(good_tx):
    tx = good_tx.assign(amount=["10", "twenty", "5", "7"])
    with pytest.raises(clv.InputError, match="not numbers"):
        clv.rfm_summary(tx, observation_end="1997-01-10")


def test_rejects_late_transactions_without_truncate(good_tx):
    with pytest.raises(clv.InputError, match=r"2 customer-day\(s\) of purchases fall after"):
        clv.rfm_summary(good_tx, observation_end="1997-01-03", truncate=False)


def test_rejects_future_dates_without_observation_end(good_tx):
    future = pd.Timestamp.now().normalize() + pd.Timedelta(days=400)
    good_tx.loc[1, "date"] = future
    with pytest.raises(clv.InputError, match="is in the future"):
        clv.rfm_summary(good_tx)


def test_future_observation_end_is_refused(good_tx):
    # Issue 13: an observation end after today cannot have been observed (it used to be accepted).
    future = pd.Timestamp.now().normalize() + pd.Timedelta(days=400)
    good_tx.loc[1, "date"] = future
    with pytest.raises(clv.InputError, match="observation_end=.*is in the future"):
        clv.rfm_summary(good_tx, observation_end=future, time_unit="D")


def test_rejects_unknown_time_unit(good_tx):
    with pytest.raises(clv.InputError, match="time_unit='M' is not supported"):
        clv.rfm_summary(good_tx, observation_end="1997-01-10", time_unit="M")


def test_rejects_observation_end_before_first_transaction(good_tx):
    with pytest.raises(clv.InputError, match="is before the first transaction"):
        clv.rfm_summary(good_tx, observation_end="1996-12-31")


def test_rejects_unparseable_observation_end(good_tx):
    with pytest.raises(clv.InputError, match="observation_end='tomorrow-ish' is not a date"):
        clv.rfm_summary(good_tx, observation_end="tomorrow-ish")


# --------------------------------------------------------------------------------------------------
# Bad RFM tables: one test per case.
@pytest.fixture
def good_rfm():
    return pd.DataFrame(
        {
            "frequency": [0, 2, 5],
            "recency": [0.0, 10.0, 20.0],
            "T": [30.0, 30.0, 25.0],
            "monetary_value": [0.0, 12.0, 8.0],
        },
        index=["a", "b", "c"],
    )


def test_validate_accepts_good_table(good_rfm):
    arrays = validate_rfm(good_rfm)
    np.testing.assert_array_equal(arrays.frequency, [0.0, 2.0, 5.0])
    np.testing.assert_array_equal(arrays.T, [30.0, 30.0, 25.0])
    assert list(arrays.index) == ["a", "b", "c"]


def test_validate_accepts_lifetimes_names(good_rfm):
    renamed = good_rfm.rename(
        columns={"frequency": "frequency_cal", "recency": "recency_cal", "T": "T_cal"}
    )
    arrays = validate_rfm(renamed)
    np.testing.assert_array_equal(arrays.recency, good_rfm["recency"].to_numpy())


def test_validate_rejects_recency_above_t(good_rfm):
    good_rfm.loc["c", "recency"] = 26.0
    with pytest.raises(
        clv.InputError, match=r"1 customer\(s\) have recency > T \(index label\(s\) 'c'\)"
    ):
        validate_rfm(good_rfm)


def test_validate_rejects_negative_frequency(good_rfm):
    good_rfm.loc["b", "frequency"] = -1
    with pytest.raises(clv.InputError, match="negative or not whole numbers"):
        validate_rfm(good_rfm)


def test_validate_rejects_fractional_frequency(good_rfm):
    good_rfm["frequency"] = [0.0, 2.5, 5.0]
    with pytest.raises(clv.InputError, match=r"negative or not whole numbers \(for example 2\.5;"):
        validate_rfm(good_rfm)


def test_validate_rejects_absurd_frequency_and_spend_as_the_cli_does(good_rfm):
    # The command line's RFM route rejects these rows ("frequency beyond 1e12"); a fitted model's
    # predict used to score a frequency of 1e300 as P(alive) = 0 without a word.
    at_bound = good_rfm.assign(frequency=[0.0, 1e12, 5.0], monetary_value=[0.0, 1e12, 3.0])
    assert validate_rfm(at_bound).frequency[1] == 1e12
    good_rfm["frequency"] = [0.0, 1e300, 5.0]
    with pytest.raises(
        clv.InputError, match=r"1 frequency value\(s\) are beyond 1e12 \(index label\(s\) 'b'"
    ):
        validate_rfm(good_rfm)
    good_rfm["frequency"] = [0.0, 2.0, 5.0]
    good_rfm["monetary_value"] = [0.0, 12.0, -2e12]
    with pytest.raises(clv.InputError, match=r"monetary_value value\(s\) are beyond ±1e12"):
        validate_rfm(good_rfm, require=("frequency", "monetary_value"))


def test_validate_rejects_nan(good_rfm):
    good_rfm.loc["b", "T"] = np.nan
    with pytest.raises(clv.InputError, match=r"1 value\(s\) of 'T' are missing or infinite"):
        validate_rfm(good_rfm)


def test_validate_rejects_missing_columns(good_rfm):
    with pytest.raises(clv.InputError, match="no column 'T'") as info:
        validate_rfm(good_rfm.drop(columns="T"))
    assert "['frequency', 'recency', 'monetary_value']" in str(info.value)


def test_validate_rejects_recency_without_repeat_purchase(good_rfm):
    good_rfm.loc["a", "recency"] = 3.0
    with pytest.raises(clv.InputError, match="frequency 0 but recency > 0"):
        validate_rfm(good_rfm)


def test_validate_rejects_empty_table(good_rfm):
    with pytest.raises(clv.InputError, match="empty"):
        validate_rfm(good_rfm.iloc[:0])


def test_validate_rejects_negative_recency(good_rfm):
    good_rfm.loc["b", "recency"] = -1.0
    with pytest.raises(clv.InputError, match="recency value\\(s\\) are negative"):
        validate_rfm(good_rfm)


def test_validate_rejects_negative_monetary_value(good_rfm):
    good_rfm.loc["b", "monetary_value"] = -4.0
    with pytest.raises(clv.InputError, match="negative monetary_value"):
        validate_rfm(good_rfm, require=("frequency", "monetary_value"))


def test_validate_rejects_non_table():
    with pytest.raises(clv.InputError, match="expected a DataFrame"):
        validate_rfm([1, 2, 3])


def test_model_fit_rejects_recency_above_t(good_rfm):
    good_rfm.loc["c", "recency"] = 26.0
    with pytest.raises(clv.InputError, match="recency > T"):
        clv.BetaGeoModel().fit(good_rfm)


def test_model_fit_rejects_negative_frequency(good_rfm):
    good_rfm.loc["b", "frequency"] = -1
    with pytest.raises(clv.InputError, match="negative or not whole numbers"):
        clv.BetaGeoModel().fit(good_rfm)
