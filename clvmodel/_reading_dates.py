"""Dates in a transaction log, by the rules of :mod:`clvmodel._reading` (section "Dates").

Date and timestamp columns give their calendar day; text dates are read from the column's one
format (ISO, ``YYYYMMDD``, or ``NN/NN/YYYY`` when a value settles the order), or with a strftime
``date_format``; options such as ``observation_end=`` are read by :func:`date_option`.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clvmodel._reading_text import NO_DAY, examples, trimmed_texts
from clvmodel.errors import InputError

#: Earliest purchase day accepted.
EARLIEST_DATE = "1900-01-01"
EARLIEST_DAY = int(np.datetime64(EARLIEST_DATE, "D").astype("int64"))

# Regular expressions read the same way by Python, DuckDB (RE2) and Spark (Java): no backslashes.
TIME_SUFFIX = (
    "[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?[ ]*([zZ]|UTC|[+-][0-9]{2}(:?[0-9]{2})?)?$"
)

_ISO = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
# A text that starts with a whole ISO date (what NN/NN/YYYY dates are rewritten to).
_ISO_START = re.compile(r"\s*\d{4}-\d{2}-\d{2}(?:$|[ T])")
# Two defaults that differ in year, month and day: a part the text lacks takes the default's.
_DEFAULTS = (datetime.datetime(2000, 1, 1), datetime.datetime(2001, 2, 2))
_BASIC = re.compile(r"(\d{4})(\d{2})(\d{2})")
_NUMERIC = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})")
_TIME_SUFFIX = re.compile(TIME_SUFFIX)
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%f", "%p", "%z", "%Z", "%c", "%X", "%T")
# The directives strptime (Python's and pandas') reads; "%%" is a literal percent sign.
_STRPTIME_DIRECTIVES = frozenset("aAbBcdfGHIjmMpSuUVwWxXyYzZ%")


def date_text_kind(text: str):
    """(format label, year, month, day-or-first, second) of a date text, or None."""
    if match := _ISO.fullmatch(text):
        sep = match.group(2)
        return (f"YYYY{sep}MM{sep}DD", int(match[1]), int(match[3]), int(match[4]))
    if match := _BASIC.fullmatch(text):
        return ("YYYYMMDD", int(match[1]), int(match[2]), int(match[3]))
    if match := _NUMERIC.fullmatch(text):
        sep = match.group(2)
        return (f"NN{sep}NN{sep}YYYY", int(match[4]), int(match[1]), int(match[3]))
    return None


def _day_of(year: int, month: int, day: int) -> int:
    try:
        return datetime.date(year, month, day).toordinal() - 719163  # 1970-01-01 is day 0
    except ValueError:
        return NO_DAY


def check_date_format(date_format) -> None:
    """Refuse a ``date_format`` that is not a strftime pattern of a date (None is fine)."""
    if date_format is None:
        return
    if not isinstance(date_format, str) or "%" not in date_format:
        raise InputError(
            f"date_format={date_format!r} is not a strftime pattern; use e.g. '%d/%m/%Y' for "
            "31/01/2025 or '%Y%m%d' for 20250131."
        )
    used = [d for d in _TIME_DIRECTIVES if d in date_format]
    if used:
        raise InputError(
            f"date_format={date_format!r} has time fields ({', '.join(used)}); give the pattern of "
            "the date part only (e.g. '%d/%m/%Y'): a time after the date is read and ignored."
        )
    _check_directives(date_format)


def _check_directives(date_format: str) -> None:
    """Refuse a pattern strptime cannot use: an unknown directive (``%Q``, ``%-d``), a stray
    ``%`` at the end, or directives that do not make a date together (``%U`` without a day)."""
    unknown = [
        f"%{d}" if d else "%" for d in re.findall(r"%(.?)", date_format, re.DOTALL)
        if d not in _STRPTIME_DIRECTIVES
    ]  # fmt: skip
    if unknown:
        raise InputError(
            f"date_format={date_format!r} has {', '.join(map(repr, unknown))}, which "
            f"{'is' if len(unknown) == 1 else 'are'} not a strptime directive; use those of a "
            "date, %Y (year), %m (month), %d (day), %b (month name), e.g. '%d/%m/%Y' for "
            "31/01/2025."
        )
    try:
        pd.to_datetime(pd.Series([""], dtype=object), format=date_format, errors="coerce")
    except re.error:
        raise InputError(
            f"date_format={date_format!r} cannot be used: it gives a directive more than once."
        ) from None
    except ValueError as error:
        raise InputError(f"date_format={date_format!r} cannot be used: {error}.") from None


def read_date_texts(texts, date_format: str | None, column: str) -> np.ndarray:
    """Day numbers (days since 1970-01-01) of distinct, trimmed date texts without their time.

    Unreadable texts get the smallest int64. Raises :class:`InputError` when the column's format
    is ambiguous (day or month first), inconsistent or mixed, or when no value has a format that
    can be read without ``date_format``.
    """
    texts = list(texts)
    days = np.full(len(texts), NO_DAY, dtype="int64")
    if not texts:
        return days
    if date_format is not None:
        check_date_format(date_format)
        parsed = pd.to_datetime(pd.Series(texts, dtype=object), format=date_format,
                                errors="coerce")  # fmt: skip
        ok = parsed.notna().to_numpy()
        stamps = parsed[ok]
        days[ok] = [_day_of(s.year, s.month, s.day) for s in stamps]
        return days
    kinds = [date_text_kind(text) for text in texts]
    by_label: dict[str, list[int]] = {}
    for position, kind in enumerate(kinds):
        if kind is not None:
            by_label.setdefault(kind[0], []).append(position)
    if not by_label:
        from clvmodel._reading_formats import patterns_reading

        found = patterns_reading(texts)
        advice = (
            f"they read with date_format={found[0]!r}"
            if len(found) == 1
            else "pass date_format= with a strftime pattern, e.g. date_format='%d %b %Y' for "
            "'05 Jan 2025', or write dates as YYYY-MM-DD"
        )
        raise InputError(
            f"no value in column {column!r} is a date in a format clvmodel reads without being "
            f"told (for example {examples(texts)}); {advice}."
        )
    if len(by_label) > 1:
        shown = "; ".join(
            f"{label.replace('NN', 'DD', 1).replace('NN', 'MM') if 'NN' in label else label}: "
            f"{examples(texts[p] for p in positions)}"
            for label, positions in by_label.items()
        )
        raise InputError(
            f"column {column!r} mixes date formats ({shown}); write every date one way "
            "(YYYY-MM-DD is safest), or pass date_format= with the pattern most rows use (the "
            "others are then rejected)."
        )
    ((label, positions),) = by_label.items()
    day_first = True
    if label.startswith("NN"):
        day_first = _numeric_order(texts, kinds, positions, label[2], column)
    for p in positions:
        _, year, first, second = kinds[p]
        month, day = (second, first) if (label.startswith("NN") and day_first) else (first, second)
        days[p] = _day_of(year, month, day)
    return days


def _numeric_order(texts, kinds, positions, sep: str, column: str) -> bool:
    """Whether ``NN/NN/YYYY`` dates are day-first; raise when the column does not settle it."""
    first = np.array([kinds[p][2] for p in positions])
    second = np.array([kinds[p][3] for p in positions])
    day_first_shown = [texts[p] for p in np.array(positions)[first > 12]]
    month_first_shown = [texts[p] for p in np.array(positions)[second > 12]]
    patterns = f"date_format='%d{sep}%m{sep}%Y' (day first) or '%m{sep}%d{sep}%Y' (month first)"
    if day_first_shown and month_first_shown:
        raise InputError(
            f"column {column!r} has dates with the day first ({examples(day_first_shown)}) and "
            f"dates with the month first ({examples(month_first_shown)}); fix the column so that "
            f"it uses one order, or pass {patterns} to read it one way (the others are rejected)."
        )
    if day_first_shown:
        return True
    if month_first_shown:
        return False
    differ = [texts[p] for p in np.array(positions)[first != second]]
    if differ:
        raise InputError(
            f"the dates in column {column!r} read both ways, day first or month first (for "
            f"example {examples(differ)}: {differ[0]!r} could be either), and no value settles "
            f"it; pass {patterns}."
        )
    return True


@dataclass
class Dates:
    """Purchase days of a log."""

    day: np.ndarray  # int64 days since 1970-01-01 (0 where unusable)
    tag: np.ndarray  # int64: rows with equal day and tag have equal dates as written
    missing: np.ndarray  # bool: missing or unreadable
    too_old: np.ndarray  # bool: before 1900-01-01


def _days_of_datetimes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers and ticks of a datetime column (wall-clock days of zoned values)."""
    try:
        zone = series.dt.tz
    except (AttributeError, NotImplementedError):  # Arrow dates (date32) have no time zone
        zone = None
    if zone is not None:
        series = series.dt.tz_localize(None)
    values = series.to_numpy()
    if values.dtype.kind != "M":
        # Arrow dates come out as date objects, which numpy does not convert; pandas does.
        arrow = isinstance(series.dtype, pd.ArrowDtype)
        values = series.astype("datetime64[s]").to_numpy() if arrow else values.astype("M8[ns]")
    missing = np.isnat(values)
    ticks = values.view("int64")
    unit, count = np.datetime_data(values.dtype)
    per_day = np.timedelta64(1, "D") // np.timedelta64(count, unit)
    return np.where(missing, NO_DAY, ticks // per_day), ticks


def read_dates(column: pd.Series, date_format: str | None, name: str) -> Dates:
    """Purchase days by the rules of the module docstring."""
    check_date_format(date_format)
    dtype = column.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):  # date_format is for text dates only
        day, tag = _days_of_datetimes(column)
    else:
        if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            if date_format is None:
                from clvmodel._reading_formats import numbers_as_dates_error

                raise numbers_as_dates_error(np.sort(pd.unique(column.dropna()))[:3], name)
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        texts = trimmed_texts([_date_text(value) for value in uniques])
        texts = texts.str.replace(_TIME_SUFFIX, "", regex=True)
        # Date objects (Parquet dates read by pandas) are days already: date_format, for text
        # dates, would misread their ISO text.
        typed = np.array([_typed_day(value) for value in uniques], dtype="int64")
        if date_format is not None:
            texts = texts.where(typed == NO_DAY)
        # Sorted, as the database routes read them (clvmodel._reading_sql.date_dictionary).
        date_codes, date_texts = pd.factorize(texts, sort=True, use_na_sentinel=True)
        text_days = read_date_texts(date_texts, date_format, name)
        if (typed == NO_DAY).all():  # (a column of dates and texts: the dates are read anyway)
            from clvmodel._reading_formats import check_format_fits

            check_format_fits(date_texts, text_days, date_format, name)
        lookup = np.append(text_days, NO_DAY)
        unique_day = lookup[date_codes]  # code -1 (missing) picks NO_DAY
        if date_format is not None:
            unique_day = np.where(typed == NO_DAY, unique_day, typed)
        day = np.append(unique_day, NO_DAY)[codes]
        tag = codes.astype("int64")
    missing = day == NO_DAY
    too_old = ~missing & (day < EARLIEST_DAY)
    return Dates(np.where(missing, 0, day), tag, missing, too_old)


def _typed_day(value) -> int:
    """The day number of a date or datetime value; NO_DAY for texts and missing values."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, datetime.date) and value is not pd.NaT:
        return _day_of(value.year, value.month, value.day)
    return NO_DAY


def _date_text(value):
    """Text of one date value: strings as they are, dates and datetimes as YYYY-MM-DD."""
    if isinstance(value, datetime.date):
        if isinstance(value, pd.Timestamp) and value is pd.NaT:
            return None
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else _date_text(pd.Timestamp(value))
    return value


def lacks_a_date_part(value) -> bool:
    """Whether a text reads as a date only by inventing its year, month or day (``March 2024``,
    ``2024-03``, ``5 March``), or reads only as pandas reads it (``2024-Q1``); other values
    (whole ISO dates, timestamps, non-texts) are judged by :func:`pandas.to_datetime` alone."""
    if not isinstance(value, str) or _ISO_START.match(value):
        return False
    from dateutil import parser  # pandas' own dependency

    try:
        first, second = (parser.parse(value, default=default) for default in _DEFAULTS)
    except (ValueError, OverflowError):
        return True
    return first.date() != second.date()


def refuse_ambiguous_date(value, name: str) -> None:
    """An :class:`~clvmodel.InputError` when ``value`` is a text date ``NN/NN/YYYY`` (a time may
    follow) that reads both ways, day first or month first (``05/01/2024``), for options read
    without a ``date_format``."""
    if not isinstance(value, str):
        return
    kind = date_text_kind(_TIME_SUFFIX.sub("", value.strip()))
    if kind is not None and kind[0].startswith("NN") and kind[2] != kind[3]:
        if kind[2] <= 12 and kind[3] <= 12:
            raise InputError(
                f"{name}={value!r} is ambiguous: day first or month first? Write it as "
                "'YYYY-MM-DD'."
            )


def _numeric_option_day(kind, value, name: str) -> int:
    """The day of an option written ``NN/NN/YYYY`` without ``date_format``, by its own evidence:
    day first when its first number is above 12, month first when its second is (equal numbers
    read alike); NO_DAY when it is no date. Refused when it reads both ways (``03/04/2024``)."""
    _, year, first, second = kind
    if first <= 12 and second <= 12 and first != second:
        raise InputError(
            f"{name}={value!r} is ambiguous: day first or month first? Write it as "
            "'YYYY-MM-DD', or pass date_format= (e.g. '%d/%m/%Y') to say how to read it."
        )
    day_first = first > 12 or first == second
    month, day = (second, first) if day_first else (first, second)
    found = _day_of(year, month, day)
    if found == NO_DAY and (first > 12) != (second > 12):
        order = "day first" if day_first else "month first"
        raise InputError(
            f"{name}={value!r} is not a date: read {order} ({day} can only be the day), month "
            f"{month} of {year} has no day {day}. Give it as 'YYYY-MM-DD' or a datetime."
        )
    return found


def date_option(value, name: str, date_format: str | None = None) -> pd.Timestamp:
    """A date given as an option (``observation_end=`` ...), as a naive midnight timestamp.

    Dates, datetimes and ISO texts are taken as they are; a text ``NN/NN/YYYY`` with
    ``date_format``, or else by its own evidence: ``29/02/2024`` is day first (29 can only be a
    day), ``04/13/2025`` month first, and ``05/01/2025``, which reads both ways, is refused.
    """
    if isinstance(value, str):
        text = _TIME_SUFFIX.sub("", value.strip(" "))
        kind = date_text_kind(text)
        day = NO_DAY
        if date_format is not None:
            day = read_date_texts([text], date_format, name)[0]
        if day == NO_DAY and kind is not None and not kind[0].startswith("NN"):
            day = _day_of(kind[1], kind[2], kind[3])
        if kind is not None and kind[0].startswith("NN") and date_format is None:
            day = _numeric_option_day(kind, value, name)
        if day == NO_DAY:
            raise InputError(
                f"{name}={value!r} is not a date; give it as 'YYYY-MM-DD' or a datetime"
                + ("." if date_format is None else f", or as date_format={date_format!r} says.")
            )
        return pd.Timestamp(np.datetime64(int(day), "D"))
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        raise InputError(f"{name} is missing; give it as 'YYYY-MM-DD' or a datetime.")
    if not isinstance(value, datetime.date | np.datetime64):
        raise InputError(f"{name}={value!r} is not a date; give it as 'YYYY-MM-DD' or a datetime.")
    stamp = pd.Timestamp(value)
    if stamp is pd.NaT:
        raise InputError(f"{name} is missing (NaT); give it as 'YYYY-MM-DD' or a datetime.")
    return pd.Timestamp(stamp.year, stamp.month, stamp.day)
