"""Dates of subscription tables: reading a date column, and whole billing periods between dates
(calendar months or years with the day clipped to the month's length, or weeks of seven days)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.errors import InputError

_MONTHS_PER_PERIOD = {"M": 1, "Y": 12}


def parse_dates(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A date column read as :func:`screen_subscription_table` reads it.

    Parameters
    ----------
    raw : pandas.Series
        Dates as text, timestamps or anything :func:`pandas.to_datetime` reads, one by one.

    Returns
    -------
    parsed : pandas.Series
        Naive timestamps (zoned ones converted to UTC); NaT where empty or unreadable.
    empty : pandas.Series
        Whether the value is missing or blank.
    """
    parsed = pd.to_datetime(raw, errors="coerce", utc=True, format="mixed").dt.tz_localize(None)
    empty = raw.isna() | (raw.astype(str).str.strip() == "")
    return parsed, empty


def add_periods(start: pd.Series, k: np.ndarray, period: str) -> pd.Series:
    """start + k billing periods, the day clipped to the month's length (as
    :func:`periods_between`)."""
    if period == "W":
        return start + pd.to_timedelta(7 * np.asarray(k, dtype="int64"), unit="D")
    step = _MONTHS_PER_PERIOD[period]
    target = (start.dt.year.to_numpy() * 12 + start.dt.month.to_numpy() - 1
              + np.asarray(k, dtype="int64") * step)  # fmt: skip
    first_of_month = pd.to_datetime(
        pd.DataFrame({"year": target // 12, "month": target % 12 + 1, "day": 1})
    )
    day = np.minimum(start.dt.day.to_numpy(), first_of_month.dt.days_in_month.to_numpy())
    return first_of_month + pd.to_timedelta(day - 1, unit="D")


def naive_timestamp(stamp):
    """``stamp`` without its time zone (converted to UTC first); naive stamps and NaT unchanged."""
    if stamp is not pd.NaT and getattr(stamp, "tzinfo", None) is not None:
        return stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def observation_end_date(observation_end) -> pd.Timestamp:
    """``observation_end`` as a naive timestamp; an :class:`~clvmodel.InputError` if not a date."""
    try:
        end_of_data = naive_timestamp(pd.Timestamp(observation_end))
    except (TypeError, ValueError):
        end_of_data = pd.NaT
    if pd.isna(end_of_data):
        raise InputError(f"observation_end={observation_end!r} is not a date.")
    return end_of_data


def periods_between(start: pd.Series, end: pd.Series, period: str, strict: bool) -> np.ndarray:
    """Largest k ≥ 0 with start + k periods ≤ end (< end when ``strict``; −1 if none)."""
    s = start.to_numpy(dtype="datetime64[ns]")
    e = end.to_numpy(dtype="datetime64[ns]")
    if period == "W":
        week = np.timedelta64(7, "D").astype("timedelta64[ns]").astype("int64")
        gap = (e - s).astype("int64")
        k = gap // week
        return np.where(strict & (k * week == gap), k - 1, k)
    step = _MONTHS_PER_PERIOD[period]
    month_index = start.dt.year.to_numpy() * 12 + start.dt.month.to_numpy() - 1
    gap = end.dt.year.to_numpy() * 12 + end.dt.month.to_numpy() - 1 - month_index
    k = gap // step
    target = month_index + k * step
    first_of_month = pd.to_datetime(
        pd.DataFrame({"year": target // 12, "month": target % 12 + 1, "day": 1})
    )
    day = np.minimum(start.dt.day.to_numpy(), first_of_month.dt.days_in_month.to_numpy())
    time_of_day = (start - start.dt.normalize()).to_numpy()
    anniversary = first_of_month.to_numpy() + (day - 1).astype("timedelta64[D]") + time_of_day
    late = anniversary >= e if strict else anniversary > e
    return np.where(late, k - 1, k)
