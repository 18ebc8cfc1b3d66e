"""Dates of subscription tables: reading a date column, and whole billing periods between dates
(calendar months or years with the day clipped to the month's length, or weeks of seven days).

Text dates are read one by one (anything :func:`pandas.to_datetime` reads, times and zones
included, as long as the text gives a year, a month and a day: ``March 2024`` or ``2024-03`` is
no date, where pandas would invent the first of the month), except that dates written
``NN/NN/YYYY`` (also with ``.`` or ``-``) are read in one order for the whole column, as in
transaction logs: day first when a value's first number is above 12, month first when a second
number is; a column with both, or whose dates read both ways and no value settles the order, is
refused. As in transaction logs, a column of numbers (``20240115``, an Excel serial ``45306``) and
dates with a two-digit year (``03/04/24``, which reads three ways) are refused too, and a zoned
date keeps its wall-clock time (its offset is dropped, not converted to UTC).
"""

from __future__ import annotations

import datetime
import numbers
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clvmodel._reading import (
    EARLIEST_DATE,
    MISSING_TEXTS,
    examples,
    lacks_a_date_part,
    refuse_ambiguous_date,
)
from clvmodel.errors import InputError

_MONTHS_PER_PERIOD = {"M": 1, "Y": 12}
# A date part NN/NN/YYYY at the start of a text, then the end or a time.
_NUMERIC_DATE = r"^\s*(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?=\s*$|[ T])"
# A date part NN/NN/YY (a two-digit year, also YY-MM-DD) at the start of a text.
_TWO_DIGIT_YEAR = re.compile(r"\s*\d{1,2}([-/.])\d{1,2}\1\d{2}(?=\s*$|[ T])")
# A zone after a time (Z, UTC, +02:00, -0500): dropped, the wall-clock time kept.
_ZONE_AFTER_TIME = re.compile(
    r"(\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(?:[zZ]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)\s*$"
)


@dataclass
class DateOrder:
    """What a column's ``NN/NN/YYYY`` dates show about their order, gathered over one table or
    over the batches of one (:meth:`add`), then settled once (:meth:`day_first`)."""

    column: str
    day_first_shown: list = field(default_factory=list)
    month_first_shown: list = field(default_factory=list)
    either_way: list = field(default_factory=list)

    def add(self, raw: pd.Series) -> None:
        """Look at the text values of ``raw`` (a few examples of each kind are kept); an
        InputError for a column of numbers or dates with a two-digit year."""
        refuse_numbers(raw, self.column)
        texts = _distinct_texts(raw)
        short = [text for text in texts if _TWO_DIGIT_YEAR.match(text)]
        if short:
            raise InputError(
                f"column {self.column!r} has dates with a two-digit year ({examples(short)}), "
                "which read several ways (day, month or year first, and which century); write "
                "them with the year in full, YYYY-MM-DD."
            )
        parts = texts.str.extract(_NUMERIC_DATE)
        found = parts[0].notna().to_numpy()
        if not found.any():
            return
        texts = texts[found].to_numpy()
        first = parts.loc[found, 0].astype(int).to_numpy()
        second = parts.loc[found, 2].astype(int).to_numpy()
        for kept, mask in (
            (self.day_first_shown, first > 12),
            (self.month_first_shown, second > 12),
            (self.either_way, (first != second) & (first <= 12) & (second <= 12)),
        ):
            kept.extend(texts[mask][: 5 - len(kept)].tolist())

    def merge(self, other: DateOrder) -> None:
        """Add what ``other`` (of another batch of the column) saw."""
        for mine, theirs in zip(self._lists(), other._lists(), strict=True):
            mine.extend(theirs[: 5 - len(mine)])

    def seen(self) -> bool:
        """Whether a ``NN/NN/YYYY`` date that a month and a day could swap in was seen."""
        return any(self._lists())

    def _lists(self) -> tuple[list, list, list]:
        return self.day_first_shown, self.month_first_shown, self.either_way

    def day_first(self) -> bool | None:
        """True or False when the dates settle their order, None when it does not matter (no
        such date, or every one reads the same both ways); an InputError otherwise."""
        if self.day_first_shown and self.month_first_shown:
            raise InputError(
                f"column {self.column!r} has dates with the day first "
                f"({examples(self.day_first_shown)}) and dates with the month first "
                f"({examples(self.month_first_shown)}); write every date one way, YYYY-MM-DD."
            )
        if self.day_first_shown:
            return True
        if self.month_first_shown:
            return False
        if self.either_way:
            raise InputError(
                f"the dates in column {self.column!r} read both ways, day first or month first "
                f"(for example {examples(self.either_way)}: {self.either_way[0]!r} could be "
                "either), and no value settles it; write them as YYYY-MM-DD."
            )
        return None


def date_order(raw: pd.Series, column: str) -> bool | None:
    """Whether the ``NN/NN/YYYY`` dates of one whole column are day first (see
    :class:`DateOrder`)."""
    order = DateOrder(column)
    order.add(raw)
    return order.day_first()


def refuse_numbers(raw: pd.Series, column: str) -> None:
    """An InputError when ``raw`` is a column of numbers (not all missing): ``20240115`` or an
    Excel serial number such as ``45306`` would otherwise be read as nanoseconds since 1970, as
    transaction logs refuse them."""
    dtype = raw.dtype
    numeric = pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
    if numeric and raw.notna().any():
        raise InputError(
            f"column {column!r} holds numbers ({examples(raw.dropna().head(3).tolist())}), which "
            "are ambiguous as dates (20240115 written as a number, or an Excel serial number "
            "such as 45306); write the dates as text, YYYY-MM-DD, or convert the column to dates "
            "first."
        )


def _no_date(value) -> bool:
    """Whether a value is read as no date: a number (``20240115``, ``45306``), a bare number as
    text (``"2024"``: pandas would invent the month and day) or a date with a two-digit year."""
    if isinstance(value, numbers.Number):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    return (text.isdigit() and len(text) < 8) or _TWO_DIGIT_YEAR.match(value) is not None


def _wall_clock(value):
    """``value`` without its zone, keeping its wall-clock time: a zoned datetime made naive, a
    zone (``Z``, ``+02:00``) written after a time dropped from a text."""
    if isinstance(value, str):
        return _ZONE_AFTER_TIME.sub(r"\1", value)
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _distinct_texts(raw: pd.Series) -> pd.Series:
    """The distinct text values of ``raw`` (none for a datetime column)."""
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return pd.Series([], dtype=object)
    uniques = pd.unique(raw.dropna().to_numpy(dtype=object))
    return pd.Series([u for u in uniques if isinstance(u, str)], dtype=object)


def _iso_order(texts: pd.Series, day_first: bool) -> pd.Series:
    """``texts`` with their ``NN/NN/YYYY`` date parts written YYYY-MM-DD, read in one order."""
    day, month = (r"\1", r"\3") if day_first else (r"\3", r"\1")
    return texts.str.replace(_NUMERIC_DATE, rf"\4-{month}-{day}", regex=True)


def parse_dates(
    raw: pd.Series, column: str = "date", day_first=None
) -> tuple[pd.Series, pd.Series]:
    """A date column read as :func:`screen_subscription_table` reads it.

    Parameters
    ----------
    raw : pandas.Series
        Dates as text, timestamps or anything :func:`pandas.to_datetime` reads, one by one;
        ``NN/NN/YYYY`` texts in one order for the column (see the module notes).
    column : str
        The column's name, for messages.
    day_first : bool, optional
        The order of ``NN/NN/YYYY`` dates when already settled over the whole table (a batch);
        by default it is settled from ``raw``.

    Returns
    -------
    parsed : pandas.Series
        Naive timestamps (zoned ones keep their wall-clock time, as in transaction logs); NaT
        where empty or unreadable (a number, or a date with a two-digit year, is no date).
    empty : pandas.Series
        Whether the value is missing, blank or a text that means missing (``NULL``, ``N/A``,
        ``nan``, any case).

    Raises
    ------
    InputError
        A column of numbers; dates with a two-digit year (when ``day_first`` is not given);
        ``NN/NN/YYYY`` dates in both orders, or that read both ways with nothing to settle it.
    """
    refuse_numbers(raw, column)
    if day_first is None:
        day_first = date_order(raw, column)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        # Arrow timestamps (read_parquet(dtype_backend="pyarrow")) as numpy ones: theirs compare
        # to <NA>, not False, where a date is missing.
        parsed = pd.to_datetime(raw, errors="coerce")
        parsed = pd.Series(pd.DatetimeIndex(parsed), index=raw.index, name=raw.name)
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
    else:
        # Each distinct value read once (a table has far fewer dates than rows).
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        values = pd.Series(np.asarray(uniques, dtype=object), dtype=object).map(_wall_clock)
        if day_first is not None:
            text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
            values[text] = _iso_order(values[text], day_first)
        # Not read at all (no day invented, no pandas notice on a quarter such as 2024-Q1).
        values[values.map(lacks_a_date_part).to_numpy(dtype=bool)] = None
        # Numbers, bare numbers and two-digit years are no dates (not read at all).
        values[values.map(_no_date).to_numpy(dtype=bool)] = None
        # A zone left (a name pandas knows) is converted to UTC: mixed zones cannot stay.
        read = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
        read = read.dt.tz_localize(None).array
        parsed = pd.Series(read.take(codes, allow_fill=True), index=raw.index)
    # "NULL", "N/A", "nan" (any case) are missing, as in transaction logs and as a CSV reads
    # them: an export from a database or a Parquet file writes them as text.
    empty = raw.isna() | raw.astype(str).str.strip().str.lower().isin(MISSING_TEXTS)
    return parsed.mask(empty.to_numpy()), empty


def before_earliest(dates: pd.Series) -> np.ndarray:
    """Whether each date is before 1900-01-01, the earliest date clvmodel reads (as in
    transaction logs: such dates are typos, ``0024`` for ``2024``)."""
    return (dates < pd.Timestamp(EARLIEST_DATE)).to_numpy(dtype=bool)


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
    """``stamp`` without its time zone, keeping its wall-clock time (as transaction logs read
    zoned dates); naive stamps and NaT unchanged."""
    if stamp is not pd.NaT and getattr(stamp, "tzinfo", None) is not None:
        return stamp.tz_localize(None)
    return stamp


def observation_end_date(observation_end) -> pd.Timestamp:
    """``observation_end`` as a naive timestamp (a zoned one keeps its wall-clock time); an
    :class:`~clvmodel.InputError` if not a date (a number such as ``20241231`` is none, as for
    transaction logs), a text with a two-digit year (``03/04/24``) or a text that reads both ways
    (``05/01/2024``)."""
    if not isinstance(observation_end, str | datetime.date | np.datetime64):
        raise InputError(
            f"observation_end={observation_end!r} is not a date; give it as 'YYYY-MM-DD' or a "
            "datetime."
        )
    if isinstance(observation_end, str) and _TWO_DIGIT_YEAR.match(observation_end):
        raise InputError(
            f"observation_end={observation_end!r} has a two-digit year, which reads several ways "
            "(day, month or year first); write it as 'YYYY-MM-DD'."
        )
    refuse_ambiguous_date(observation_end, "observation_end")
    try:
        end_of_data = naive_timestamp(pd.Timestamp(observation_end))
    except (TypeError, ValueError):
        end_of_data = pd.NaT
    if lacks_a_date_part(observation_end):
        end_of_data = pd.NaT
    if pd.isna(end_of_data):
        raise InputError(f"observation_end={observation_end!r} is not a date.")
    if end_of_data.normalize() > pd.Timestamp.now().normalize():
        raise InputError(
            f"observation_end ({end_of_data.date()}) is in the future; cancellations cannot have "
            "been observed up to it. Give the day the table was exported (today at the latest)."
        )
    return end_of_data


def observed_until(end_of_data: pd.Timestamp) -> pd.Timestamp:
    """The last instant observed: the end of the day when ``end_of_data`` is a date (midnight),
    so that a start, renewal or cancellation at 15:00 on that day counts as observed; otherwise
    ``end_of_data`` itself."""
    if end_of_data == end_of_data.normalize():
        return end_of_data + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    return end_of_data


def default_observation_end(latest) -> pd.Timestamp:
    """The end of observation by default, the day of the latest start or end of a table, as a
    date (observed to its end, as an ``observation_end`` written without a time; 1970-01-01
    when there is none); an :class:`~clvmodel.InputError` when that date is in the future (a
    typo, or cancellations scheduled ahead: they would credit every active subscriber with
    renewals still to come)."""
    if pd.isna(latest):
        return pd.Timestamp("1970-01-01")
    if latest.normalize() > pd.Timestamp.now().normalize():
        shown = latest.date() if latest == latest.normalize() else latest
        raise InputError(
            f"the latest date in the table ({shown}) is in the future, and without "
            "observation_end it would be the end of observation, crediting every active "
            "subscriber with renewals still to come; fix the date, or pass observation_end= (the "
            "day the table was exported), after which a later cancellation counts as not yet made."
        )
    return latest.normalize()


def ends_before_start(start: pd.Series, end: pd.Series) -> np.ndarray:
    """Whether each end date is before its start date. An end without a time of day (midnight)
    is read as the day of the cancellation, so one on the start's day is a same-day cancellation
    (one period paid for, see :func:`clvmodel.subscriptions.from_subscription_table`), not an
    end before a start at 15:00 that day; an end with a time is compared to the instant."""
    # In the columns' own unit: as nanoseconds, an open end written 9999-12-31 would overflow.
    date_only = (end == end.dt.normalize()).to_numpy(dtype=bool)
    before_day = (end < start.dt.normalize()).to_numpy(dtype=bool)
    return np.where(date_only, before_day, (end < start).to_numpy(dtype=bool))


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
