"""The reading rules every route shares: what a customer id, a date and an amount are.

:func:`clvmodel.rfm_summary` (pandas), :func:`clvmodel.rfm_from_file` (Parquet and CSV), the DuckDB
engine (:class:`clvmodel.engine.TransactionSource`) and the Spark functions read a transaction log
by these rules, so that they agree by construction: the pandas routes call the functions below, the
SQL engines use the same patterns (:mod:`clvmodel._reading_sql`) and send their distinct date texts
to :func:`read_date_texts`.

Customer ids
    A text id is trimmed of surrounding spaces; a text id that is a whole number written with a
    decimal point and zeros (``"1.0"``, ``"42.00"``) is that whole number (``"1"``, ``"42"``).
    Leading zeros are kept (``"007"`` and ``"7"`` are two customers): text ids are codes.
    Integer columns give integer ids; floating-point columns give integer ids too (``1.0`` is
    ``1``), and a fractional value there is rejected ("customer id is not a whole number"). So
    ``1`` and ``1.0`` are one customer in every route. A missing id (null, NaN, or text that is
    empty or one of :data:`MISSING_TEXTS` after trimming) makes the row a reject ("missing
    customer id"): such rows are never merged into one customer.
Dates
    Date and timestamp columns give the calendar day of each value as written (a zoned pandas
    timestamp keeps its wall-clock day). Text dates may end with a time (``T10:30``, `` 10:30:00``,
    with an optional ``Z`` or ``+02:00``), which is ignored. Without ``date_format`` the date part
    must be ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYY.MM.DD``, ``YYYYMMDD`` or ``NN/NN/YYYY`` (also
    with ``.`` or ``-``); the last is read day-first or month-first only when a value settles it
    (a first number above 12 means day-first, a second number above 12 month-first), and is
    refused as ambiguous otherwise. One column must use one format. ``date_format`` (a strftime
    pattern of the date part, e.g. ``"%d/%m/%Y"``) reads every value with that pattern. Numbers
    are not dates without ``date_format``. Days before 1900-01-01 are rejected.
Amounts
    Numbers, or text holding a plain decimal number (``12.5``, ``-3``, ``1e3``). Missing or
    non-numeric amounts, infinite ones, amounts beyond ±10^12 and negative amounts are rejected,
    each with its reason. Text written with a currency sign or a decimal comma is refused for the
    whole column, with the fix.
Duplicates
    Rows with the same customer, the same date as written (time included) and the same amount
    are counted as exact duplicates (a warning in Python, a count in the engine's summary), and
    dropped with ``drop_duplicates=True``.
"""

from __future__ import annotations

import datetime
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clvmodel.errors import ClvWarning, InputError

#: Texts read as a missing value (compared after trimming, ignoring case): pandas' defaults.
MISSING_TEXTS = (
    "", "nan", "-nan", "null", "none", "na", "n/a", "<na>", "nat",
    "#n/a", "#na", "#n/a n/a", "-1.#ind", "-1.#qnan", "1.#ind", "1.#qnan",
)  # fmt: skip
#: Largest absolute amount accepted.
AMOUNT_BOUND = 1e12
#: Earliest purchase day accepted.
EARLIEST_DATE = "1900-01-01"
EARLIEST_DAY = int(np.datetime64(EARLIEST_DATE, "D").astype("int64"))

# Regular expressions read the same way by Python, DuckDB (RE2) and Spark (Java): no backslashes.
TIME_SUFFIX = (
    "[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?[ ]*([zZ]|UTC|[+-][0-9]{2}(:?[0-9]{2})?)?$"
)
NUMBER = "[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?"
WHOLE_WITH_ZEROS = "[+-]?[0-9]+[.]0+"
CURRENCY = "[$€£¥₹]|^[A-Za-z]{3} ?[+-]?[0-9.]|[0-9] ?[A-Za-z]{3}$"
DECIMAL_COMMA = "^[+-]?[0-9]+(,[0-9]+)+([.][0-9]+)?$"

MISSING_ID = "missing customer id"
ID_NOT_WHOLE = "customer id is not a whole number"
BAD_DATE = "missing or unparseable date"
OLD_DATE = f"date before {EARLIEST_DATE}"
BAD_AMOUNT = "missing or non-numeric amount"
INFINITE_AMOUNT = "amount is not finite"
HUGE_AMOUNT = "amount beyond ±1e12"
NEGATIVE_AMOUNT = "negative amount"
AFTER_END = "after observation end"
#: Reasons in the order they are checked (a row gets the first that applies).
REASONS = (MISSING_ID, ID_NOT_WHOLE, BAD_DATE, OLD_DATE, BAD_AMOUNT, INFINITE_AMOUNT,
           HUGE_AMOUNT, NEGATIVE_AMOUNT)  # fmt: skip

_EXAMPLES = 5
_NO_DAY = np.iinfo("int64").min


def examples(values) -> str:
    """The first few values, for messages."""
    values = list(values)
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values[:_EXAMPLES])
    return shown + (" ..." if len(values) > _EXAMPLES else "")


def _is_text_like(series: pd.Series) -> bool:
    dtype = series.dtype
    return not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
    )


def _trimmed_texts(uniques) -> pd.Series:
    """Values as trimmed text (None where missing or a missing-value text)."""
    texts = pd.Series(uniques, dtype=object).map(_as_text)
    missing = texts.isna() | texts.str.lower().isin(MISSING_TEXTS)
    return texts.where(~missing, None)


def _as_text(value):
    if isinstance(value, str):
        return value.strip(" ")
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip(" ")


# ------------------------------------------------------------------------------------------ ids
@dataclass
class Ids:
    """Customer ids of a log: integer values, or text ids as codes into ``labels``."""

    values: np.ndarray | None  # int64 ids (integer and floating-point columns)
    codes: np.ndarray | None  # int64 codes of text ids, in order of first appearance
    labels: pd.Index | None
    missing: np.ndarray  # bool per row
    not_whole: np.ndarray  # bool per row


def read_ids(column: pd.Series) -> Ids:
    """Customer ids by the rules of the module docstring."""
    dtype = column.dtype
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        missing = column.isna().to_numpy()
        values = column.to_numpy(dtype="int64", na_value=0) if missing.any() else column.to_numpy()
        return Ids(values, None, None, missing, np.zeros(len(column), dtype=bool))
    if pd.api.types.is_float_dtype(dtype):
        raw = column.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(raw)
        not_whole = ~missing & ((raw != np.round(raw)) | (np.abs(raw) > 2.0**53))
        values = np.where(missing | not_whole, 0.0, raw).astype("int64")
        return Ids(values, None, None, missing, not_whole)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = _trimmed_texts(uniques)
    whole = texts.str.fullmatch(WHOLE_WITH_ZEROS).fillna(False).astype(bool)
    texts = texts.where(~whole, texts.str.replace("[.]0+$", "", regex=True))
    merged, labels = pd.factorize(texts, use_na_sentinel=True)  # " a" and "a" become one
    lookup = np.append(merged, -1).astype("int64")  # code -1 (missing) stays -1
    codes = lookup[codes]
    missing = codes < 0
    text_dtype = column.dtype if isinstance(column.dtype, pd.StringDtype) else object
    return Ids(None, codes, pd.Index(labels, dtype=text_dtype), missing, np.zeros(codes.size, bool))


# ---------------------------------------------------------------------------------------- dates
_ISO = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_BASIC = re.compile(r"(\d{4})(\d{2})(\d{2})")
_NUMERIC = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})")
_TIME_SUFFIX = re.compile(TIME_SUFFIX)
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%f", "%p", "%z", "%Z", "%c", "%X", "%T")


def _kind(text: str):
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
        return _NO_DAY


def check_date_format(date_format) -> None:
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


def read_date_texts(texts, date_format: str | None, column: str) -> np.ndarray:
    """Day numbers (days since 1970-01-01) of distinct, trimmed date texts without their time.

    Unreadable texts get the smallest int64. Raises :class:`InputError` when the column's format
    is ambiguous (day or month first), inconsistent or mixed, or when no value has a format that
    can be read without ``date_format``.
    """
    texts = list(texts)
    days = np.full(len(texts), _NO_DAY, dtype="int64")
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
    kinds = [_kind(text) for text in texts]
    by_label: dict[str, list[int]] = {}
    for position, kind in enumerate(kinds):
        if kind is not None:
            by_label.setdefault(kind[0], []).append(position)
    if not by_label:
        raise InputError(
            f"no value in column {column!r} is a date in a format clvmodel reads without being "
            f"told (for example {examples(texts)}); pass date_format= with a strftime pattern, "
            "e.g. date_format='%d %b %Y' for '05 Jan 2025', or write dates as YYYY-MM-DD."
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
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_localize(None)
    values = series.to_numpy()
    if values.dtype.kind != "M":
        values = values.astype("datetime64[ns]")
    missing = np.isnat(values)
    ticks = values.view("int64")
    unit, count = np.datetime_data(values.dtype)
    per_day = np.timedelta64(1, "D") // np.timedelta64(count, unit)
    return np.where(missing, _NO_DAY, ticks // per_day), ticks


def read_dates(column: pd.Series, date_format: str | None, name: str) -> Dates:
    """Purchase days by the rules of the module docstring."""
    check_date_format(date_format)
    dtype = column.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype) and date_format is None:
        day, tag = _days_of_datetimes(column)
    else:
        if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            if date_format is None:
                raise InputError(
                    f"column {name!r} holds numbers ({examples(column.head(3).tolist())}), which "
                    "are ambiguous as dates; pass date_format= (e.g. date_format='%Y%m%d' for "
                    "values like 19970101), or convert the column to dates first."
                )
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        texts = _trimmed_texts([_date_text(value) for value in uniques])
        texts = texts.str.replace(_TIME_SUFFIX, "", regex=True)
        date_codes, date_texts = pd.factorize(texts, use_na_sentinel=True)
        lookup = np.append(read_date_texts(date_texts, date_format, name), _NO_DAY)
        day = lookup[np.append(date_codes, -1)[codes]]
        tag = codes.astype("int64")
    missing = day == _NO_DAY
    too_old = ~missing & (day < EARLIEST_DAY)
    return Dates(np.where(missing, 0, day), tag, missing, too_old)


def _date_text(value):
    """Text of one date value: strings as they are, dates and datetimes as YYYY-MM-DD."""
    if isinstance(value, datetime.date):
        if isinstance(value, pd.Timestamp) and value is pd.NaT:
            return None
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else _date_text(pd.Timestamp(value))
    return value


def date_option(value, name: str, date_format: str | None = None) -> pd.Timestamp:
    """A date given as an option (``observation_end=`` ...), as a naive midnight timestamp.

    Dates, datetimes and ISO texts are taken as they are; a text such as ``05/01/2025`` only
    with ``date_format``, since it reads both ways.
    """
    if isinstance(value, str):
        text = _TIME_SUFFIX.sub("", value.strip(" "))
        kind = _kind(text)
        day = _NO_DAY
        if date_format is not None:
            day = read_date_texts([text], date_format, name)[0]
        if day == _NO_DAY and kind is not None and not kind[0].startswith("NN"):
            day = _day_of(kind[1], kind[2], kind[3])
        if day == _NO_DAY and kind is not None and date_format is None:
            raise InputError(
                f"{name}={value!r} is ambiguous: day first or month first? Write it as "
                "'YYYY-MM-DD', or pass date_format= (e.g. '%d/%m/%Y') to say how to read it."
            )
        if day == _NO_DAY:
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


# -------------------------------------------------------------------------------------- amounts
@dataclass
class Amounts:
    """Amounts of a log, with a mask per reason."""

    value: np.ndarray  # float64 (0 where unusable)
    reasons: dict[str, np.ndarray] = field(default_factory=dict)


def read_amounts(column: pd.Series, name: str) -> Amounts:
    """Amounts by the rules of the module docstring."""
    if pd.api.types.is_bool_dtype(column.dtype) or _is_text_like(column):
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        texts = _trimmed_texts(uniques)
        number = texts.str.fullmatch(NUMBER).fillna(False).astype(bool)
        check_amount_texts(texts[~number & texts.notna()].tolist(), name)
        parsed = pd.to_numeric(texts.where(number), errors="coerce").to_numpy("float64")
        value = np.append(parsed, np.nan)[codes]
    else:
        value = column.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(value)
    infinite = np.isinf(value)
    with np.errstate(invalid="ignore"):
        huge = ~infinite & (np.abs(value) > AMOUNT_BOUND)
        negative = value < 0
    value = np.where(missing | infinite, 0.0, value)
    return Amounts(
        value,
        {BAD_AMOUNT: missing, INFINITE_AMOUNT: infinite, HUGE_AMOUNT: huge,
         NEGATIVE_AMOUNT: negative},
    )  # fmt: skip


def check_amount_texts(texts: list[str], name: str) -> None:
    """Refuse a column whose non-numeric amounts carry a currency sign or a decimal comma."""
    currency = [t for t in texts if re.search(CURRENCY, t)]
    comma = [t for t in texts if re.search(DECIMAL_COMMA, t)]
    if currency:
        raise InputError(
            f"column {name!r} holds amounts written with a currency (for example "
            f"{examples(currency)}); amounts must be plain numbers with a decimal point: remove "
            f"the currency from the column (e.g. df[{name!r}].str.replace('$', '').astype(float)"
            ") and keep one currency per log."
        )
    if comma:
        raise InputError(
            f"column {name!r} holds amounts with a comma (for example {examples(comma)}); "
            "amounts must be plain numbers with a decimal point and no thousands separator: "
            "read the file with pandas.read_csv(..., decimal=',') (or thousands=','), or replace "
            "the commas, before summarising."
        )


# ----------------------------------------------------------------------------------- duplicates
def warn_duplicates(count: int, stacklevel: int = 3) -> None:
    """Warn about exact duplicate rows that were kept."""
    if count:
        warnings.warn(
            f"{count:,} row(s) repeat another row exactly (same customer, date and amount); "
            "they are kept as separate purchases, so their amounts add up. If they are copies "
            "(an export run twice, a join), pass drop_duplicates=True.",
            ClvWarning,
            stacklevel=stacklevel,
        )
