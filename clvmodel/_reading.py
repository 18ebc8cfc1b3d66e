"""The reading rules every route shares: what a customer id, a date and an amount are.

:func:`clvmodel.rfm_summary` (pandas), :func:`clvmodel.rfm_from_file` (Parquet and CSV), the DuckDB
engine (:class:`clvmodel.engine.TransactionSource`) and the Spark functions read a transaction log
by these rules, so that they agree by construction: the pandas routes call the functions below, the
SQL engines use the same patterns (:mod:`clvmodel._reading_sql`) and send their distinct date texts
to :func:`read_date_texts`.

Missing values
    One rule for every column (ids, dates, amounts, RFM columns, segments, attribute levels,
    covariates) and every route: a value is missing when it is null, NaN, empty or one of
    :data:`MISSING_TEXTS` (``NA``, ``N/A``, ``null``, ``None``, ``NaN``, ``nat``, ``#N/A``, ...)
    after trimming spaces (in a CSV file read by pandas: the spaces before it and one after),
    in any case. CSV files are read so (:func:`clvmodel.read_table`, the
    subscription batches, and the SQL routes through :mod:`clvmodel._reading_sql`); such texts
    in a DataFrame, a Parquet file or a database are missing too as ids, dates, amounts,
    covariates (of the models and of subscriptions), Day One attributes (numeric and categorical)
    and segments (``clvmodel report``'s ``--segment-column`` and ``--cac-file``, ``net_clv``,
    ``cac_payback``, ``naive_clv``, ``clv_table``, ``unit_economics_summary``): one helper,
    :func:`clvmodel._reading_text.missing_texts_as_nan`. So a segment or a level written ``NA``
    is missing, never a value of its own: name North America otherwise.
Customer ids
    A text id is trimmed of surrounding spaces; a text id that is a whole number written with a
    decimal point and zeros (``"1.0"``, ``"42.00"``) is that whole number (``"1"``, ``"42"``).
    Leading zeros are kept (``"007"`` and ``"7"`` are two customers): text ids are codes.
    Integer columns give integer ids; floating-point columns give integer ids too (``1.0`` is
    ``1``), and a fractional value there is rejected ("customer id is not a whole number"). So
    ``1`` and ``1.0`` are one customer in every route. A floating-point column holding whole
    numbers above 2**53 is refused whole in the pandas routes: such ids are too large to be
    held exactly as floats (their digits may be lost); the fix is to read the column as text or
    integers. The SQL routes reject such rows one by one, saying so (:data:`ID_TOO_LARGE`, not
    "not a whole number"). A missing id (null, NaN, or text that is empty or one of
    :data:`MISSING_TEXTS` after trimming) makes the row a reject ("missing customer id"): such
    rows are never merged into one customer.
Dates
    Date and timestamp columns give the calendar day of each value as written (a zoned pandas
    timestamp keeps its wall-clock day). Text dates may end with a time (``T10:30``, `` 10:30:00``,
    with an optional ``Z`` or ``+02:00``), which is ignored. Without ``date_format`` the date part
    must be ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYY.MM.DD``, ``YYYYMMDD`` or ``NN/NN/YYYY`` (also
    with ``.`` or ``-``); the last is read day-first or month-first only when a value settles it
    (a first number above 12 means day-first, a second number above 12 month-first), and is
    refused as ambiguous otherwise. One column must use one format. ``date_format`` (a strftime
    pattern of the date part, e.g. ``"%d/%m/%Y"``) reads every text value with that pattern, and is
    refused when it reads none of them, or only some while another pattern reads nearly all
    (:mod:`clvmodel._reading_formats`); date and timestamp values are read as they are, with or
    without it. Numbers are not dates without
    ``date_format``. Days before 1900-01-01 are rejected.
Amounts
    Numbers, or text holding a plain decimal number (``12.5``, ``-3``, ``1e3``). Missing or
    non-numeric amounts, infinite ones, amounts beyond ±10^12 and negative amounts are rejected,
    each with its reason. Text written with a currency sign or a decimal comma, and true/false
    values, are refused for the whole column, with the fix.
Duplicates
    Rows with the same customer, the same date as written (time included) and the same amount
    are counted as exact duplicates (a warning in Python, a count in the engine's summary), and
    dropped with ``drop_duplicates=True``.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clvmodel._reading_dates import (
    EARLIEST_DATE,
    EARLIEST_DAY,
    TIME_SUFFIX,
    Dates,
    check_date_format,
    date_option,
    lacks_a_date_part,
    read_date_texts,
    read_dates,
    refuse_ambiguous_date,
)
from clvmodel._reading_text import (
    MISSING_TEXTS,
    examples,
    is_text_like,
    trimmed_text_list,
    trimmed_texts,
)
from clvmodel.errors import ClvWarning, InputError

# The rules' names, for every route (dates and texts are defined in their own modules).
__all__ = [
    "AFTER_END", "AMOUNT_BOUND", "BAD_AMOUNT", "BAD_DATE", "CURRENCY", "DECIMAL_COMMA",
    "DUPLICATES_WARNING", "EARLIEST_DATE", "EARLIEST_DAY", "HUGE_AMOUNT", "ID_NOT_WHOLE",
    "ID_TOO_LARGE", "INFINITE_AMOUNT", "LARGEST_EXACT_ID", "MISSING_ID", "MISSING_TEXTS",
    "NEGATIVE_AMOUNT",
    "NUMBER", "OLD_DATE", "REASONS", "TIME_SUFFIX", "TRUE_FALSE", "WHOLE_WITH_ZEROS", "Amounts",
    "Dates", "Ids",
    "check_amount_texts", "check_date_format", "date_option", "examples", "lacks_a_date_part",
    "read_amounts", "read_date_texts", "read_dates", "read_ids", "refuse_ambiguous_date",
    "warn_duplicates", "whole_id_text",
]  # fmt: skip

#: Largest whole number a floating-point id column holds exactly (and its neighbours apart).
LARGEST_EXACT_ID = 2.0**53
#: Largest absolute amount accepted.
AMOUNT_BOUND = 1e12
NUMBER = "[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?"
WHOLE_WITH_ZEROS = "[+-]?[0-9]+[.]0+"
CURRENCY = "[$€£¥₹]|^[A-Za-z]{3} ?[+-]?[0-9.]|[0-9] ?[A-Za-z]{3}$"
DECIMAL_COMMA = "^[+-]?[0-9]+(,[0-9]+)+([.][0-9]+)?$"
#: True/false texts (as pandas, DuckDB and Spark write booleans): a flag, not an amount.
TRUE_FALSE = "^([Tt]rue|TRUE|[Ff]alse|FALSE)$"
#: Durations (as DuckDB and pandas write intervals and timedeltas): "1 day", "2 days 03:00:00".
DURATION = r"^[+-]?[0-9]+ (days?|hours?|minutes?|mins?|seconds?|secs?|weeks?|months?|years?)\b"

MISSING_ID = "missing customer id"
ID_NOT_WHOLE = "customer id is not a whole number"
#: Why a value of a floating-point id column beyond 2**53 is no id (the SQL routes reject it row
#: by row): such a float holds no exact whole number (neighbouring ids may have become one), so
#: "not a whole number" would mislead.
ID_TOO_LARGE = (
    f"customer id is a floating-point number too large to hold an exact id (above 2**53 = "
    f"{int(LARGEST_EXACT_ID):,}): store the ids as text or integers"
)
BAD_DATE = "missing or unparseable date"
OLD_DATE = f"date before {EARLIEST_DATE}"
BAD_AMOUNT = "missing or non-numeric amount"
INFINITE_AMOUNT = "amount is not finite"
HUGE_AMOUNT = "amount beyond ±1e12"
NEGATIVE_AMOUNT = "negative amount"
AFTER_END = "after observation end"
#: Reasons in the order they are checked (a row gets the first that applies).
REASONS = (MISSING_ID, ID_TOO_LARGE, ID_NOT_WHOLE, BAD_DATE, OLD_DATE, BAD_AMOUNT,
           INFINITE_AMOUNT, HUGE_AMOUNT, NEGATIVE_AMOUNT)  # fmt: skip


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
        _refuse_inexact_ids(raw, column.name)
        not_whole = ~missing & ((raw != np.round(raw)) | (np.abs(raw) > LARGEST_EXACT_ID))
        values = np.where(missing | not_whole, 0.0, raw).astype("int64")
        return Ids(values, None, None, missing, not_whole)
    try:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
    except TypeError:  # unhashable values: lists, dicts, arrays
        kinds = sorted(
            {type(v).__name__ for v in column if isinstance(v, list | dict | set | np.ndarray)}
        )
        name = "the customer id column" if column.name is None else f"column {str(column.name)!r}"
        raise InputError(
            f"{name} holds {', '.join(kinds)} values, not customer ids; ids must be numbers or "
            "text, one per row (explode or join nested values first)."
        ) from None
    texts = pd.Series([whole_id_text(text) for text in trimmed_text_list(uniques)], dtype=object)
    merged, labels = pd.factorize(texts, use_na_sentinel=True)  # " a" and "a" become one
    lookup = np.append(merged, -1).astype("int64")  # code -1 (missing) stays -1
    codes = lookup[codes]
    missing = codes < 0
    text_dtype = column.dtype if isinstance(column.dtype, pd.StringDtype) else object
    return Ids(None, codes, pd.Index(labels, dtype=text_dtype), missing, np.zeros(codes.size, bool))


def _refuse_inexact_ids(raw: np.ndarray, name) -> None:
    """Refuse a floating-point id column holding whole numbers beyond 2**53: such ids were
    rounded when the column became floating-point (neighbouring ids can have become one)."""
    too_large = np.isfinite(raw) & (np.abs(raw) > LARGEST_EXACT_ID)
    if not too_large.any():
        return
    column = "the customer id column" if name is None else f"column {str(name)!r}"
    dtype = "{" + repr(str(name) if name is not None else "customer_id") + ": str}"
    raise InputError(
        f"{column} holds customer ids too large to be held exactly as floating-point numbers "
        f"(above 2**53 = {int(LARGEST_EXACT_ID):,}; {int(too_large.sum())} row(s), for example "
        f"{examples(pd.unique(raw[too_large]))}): their last digits may be lost, and two "
        "customers may have become one. Read the column as text or integers, e.g. "
        f"pandas.read_csv(..., dtype={dtype})."
    )


_WHOLE_ID = re.compile(WHOLE_WITH_ZEROS)
_TRAILING_ZEROS = re.compile("[.]0+$")


def whole_id_text(text: str | None) -> str | None:
    """A trimmed id text, "7" for "7.0" or "7.00" (a whole number written with zeros); the
    report's segments are read by the same rule."""
    if text is not None and _WHOLE_ID.fullmatch(text):
        return _TRAILING_ZEROS.sub("", text)
    return text


# -------------------------------------------------------------------------------------- amounts
@dataclass
class Amounts:
    """Amounts of a log, with a mask per reason."""

    value: np.ndarray  # float64 (0 where unusable)
    reasons: dict[str, np.ndarray] = field(default_factory=dict)


def read_amounts(column: pd.Series, name: str) -> Amounts:
    """Amounts by the rules of the module docstring."""
    if pd.api.types.is_bool_dtype(column.dtype) or is_text_like(column):
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        texts = trimmed_texts(uniques)
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
    """Refuse a column whose non-numeric amounts carry a currency sign or a decimal comma, or are
    true/false values or durations."""
    texts = sorted(set(texts))  # the examples shown do not depend on the order rows came in
    for pattern, kind in ((TRUE_FALSE, "true/false values"), (DURATION, "durations")):
        found = [t for t in texts if re.search(pattern, t)]
        if found:
            raise InputError(
                f"column {name!r} holds {kind} (for example {examples(found)}), not amounts: "
                "amounts must be numbers. Give the column of amounts with amount_col=, or "
                "amount_col=None for a log without amounts (purchases only)."
            )
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
#: The start of :func:`warn_duplicates`' message, as a pattern for ``warnings.filterwarnings``.
DUPLICATES_WARNING = r"[\d,]+ row\(s\) repeat another row exactly"


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
