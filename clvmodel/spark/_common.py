"""Spark plumbing shared by the transaction, fitting and scoring functions: names, types, checks."""

from __future__ import annotations

import re

from clvmodel._reading_sql import Dialect, reject_reason_sql
from clvmodel._rfm_common import TIME_UNITS, today_day
from clvmodel._rfm_sql import RFM_COLUMNS, rfm_query
from clvmodel._units import UNIT_NAMES
from clvmodel.errors import InputError

__all__ = [
    "SPARK",
    "UNIT_KEY",
    "check_column_kinds",
    "check_on_invalid",
    "column_types",
    "quote_name",
    "session_today",
    "strftime_pattern",
    "summarise",
    "table_time_unit",
    "usable_sql",
]

ON_INVALID = ("raise", "drop")
SPARK = Dialect("spark")
#: The key under which :func:`summarise` records the time unit of ``recency`` and ``T`` in their
#: column metadata (a Spark DataFrame has no ``attrs``; column metadata survive selections, joins,
#: caching and Parquet files written and read by Spark, not arithmetic on the columns).
UNIT_KEY = "clvmodel.time_unit"


def usable_sql(with_amount: bool) -> str:
    """SQL reason a row is unusable, ignoring the end of observation."""
    return reject_reason_sql("9999-12-31", with_amount, SPARK)


# Spark (Java) datetime pattern letters and their strftime equivalents, longest first.
_JAVA_PATTERN = (("yyyy", "%Y"), ("yy", "%y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"),
                 ("M", "%m"), ("dd", "%d"), ("d", "%d"))  # fmt: skip
# A trailing time of a Spark pattern: the times that every route drops from date texts before
# reading them (clvmodel._reading.TIME_SUFFIX: a space or T, hours and minutes, seconds with a
# fraction, a zone as Z or an offset).
_JAVA_TIME = re.compile(r"(?: |'T')H{1,2}:mm(?::ss(?:[.,]S+)?)? *(?:X{1,3}|x{1,3}|Z{1,3}|'Z')?$")


def strftime_pattern(date_format: str | None) -> str | None:
    """``date_format`` as a strftime pattern: Spark patterns such as ``"yyyyMMdd"`` (accepted
    before issue 13) are translated; strftime patterns (with ``%``) pass as they are.

    A trailing time (``" HH:mm:ss"``, ``"'T'HH:mm:ssXXX"``) is dropped, since times are ignored:
    every route reads a date text without its trailing time. Any other letter is refused, naming
    ``date_format``.
    """
    if date_format is None or "%" in date_format:
        return date_format
    out = []
    for piece in re.split(r"(y+|M+|d+)", _JAVA_TIME.sub("", date_format)):
        match = dict(_JAVA_PATTERN).get(piece)
        if match is None and re.search("[A-Za-z]", piece):
            raise InputError(
                f"date_format={date_format!r}: {piece!r} is not translated; give a strftime "
                "pattern of the date part, such as '%d/%m/%Y' (Spark patterns with yyyy, MM and "
                "dd are translated, and a trailing time such as ' HH:mm:ss' is ignored, as times "
                "are)."
            )
        out.append(match or piece)
    return "".join(out)


def session_today(session) -> int:
    """Today's day number in the session time zone (``spark.sql.session.timeZone``), in which
    Spark gives a timestamp's day: Spark's own ``current_date()`` where pandas does not know the
    zone's name."""
    try:
        return today_day(session.conf.get("spark.sql.session.timeZone"))
    except (KeyError, ValueError, TypeError):
        return int(session.sql("SELECT unix_date(current_date())").collect()[0][0])


def quote_name(name: str) -> str:
    """A column name quoted for Spark SQL."""
    return "`" + str(name).replace("`", "``") + "`"


def column_types(data) -> dict[str, str]:
    """Column name → Spark type of a Spark DataFrame; anything else is an InputError."""
    from pyspark.sql import DataFrame

    if not isinstance(data, DataFrame):
        raise InputError(
            f"expected a pyspark.sql.DataFrame, got {type(data).__name__}; for pandas DataFrames "
            "use clvmodel.rfm_summary."
        )
    return dict(data.dtypes)


def summarise(session, purchases, end_day: int, time_unit: str, extra: bool = False):
    """The RFM summary of valid ``purchases`` (``customer_id``, ``purchase_day``, ``amount``),
    with ``orders``, ``revenue`` and ``first_day`` too when ``extra``."""
    from pyspark.sql import functions as F

    summary = session.sql(
        rfm_query("{purchases}", end_day, TIME_UNITS[time_unit]), purchases=purchases
    )
    columns = summary.columns if extra else ["customer_id", *RFM_COLUMNS]
    unit = {UNIT_KEY: time_unit}  # recorded on recency and T, for score and rfm_rejects
    return summary.select(
        *(F.col(quote_name(c)).alias(c, metadata=unit) if c in ("recency", "T") else c
          for c in columns)
    )  # fmt: skip


def table_time_unit(rfm, time_unit: str | None = None) -> str | None:
    """The unit of the ``recency`` and ``T`` of a Spark RFM table: ``time_unit`` if given, else the
    one :func:`summarise` recorded in their column metadata, else None. A given unit that
    contradicts the recorded one is an :class:`~clvmodel.InputError`."""
    column_types(rfm)  # a Spark DataFrame, or an InputError
    if time_unit is not None and time_unit not in TIME_UNITS:
        raise InputError(f"time_unit={time_unit!r} is not supported; use 'D' or 'W'.")
    fields = {field.name: field for field in rfm.schema.fields}
    recorded = {fields[c].metadata.get(UNIT_KEY) for c in ("recency", "T") if c in fields}
    recorded = sorted(recorded & set(TIME_UNITS))
    if len(recorded) > 1:
        raise InputError(
            "the RFM DataFrame's recency and T record different time units "
            f"({', '.join(UNIT_NAMES[u] for u in recorded)}); rebuild it with "
            "clvmodel.spark.rfm_summary."
        )
    table_unit = recorded[0] if recorded else None
    if time_unit is not None and table_unit is not None and time_unit != table_unit:
        raise InputError(
            f"time_unit={time_unit!r} contradicts the RFM DataFrame's own time unit: its recency "
            f"and T are in {UNIT_NAMES[table_unit]} (recorded by clvmodel.spark.rfm_summary); "
            f"pass time_unit={table_unit!r} or leave time_unit out."
        )
    return time_unit or table_unit


def check_column_kinds(types: dict[str, str], columns: dict[str, str | None]) -> None:
    """Refuse, in words, a customer-id column of nested values (arrays, structs, maps), which
    Spark would group by as whole values, and an amount column of intervals (durations).

    Parameters
    ----------
    types : dict
        Column name → Spark type, as :func:`column_types` gives them.
    columns : dict
        Role (``"customer"``, ``"amount"``) → column name (None: no such column).
    """
    customer, amount = columns.get("customer"), columns.get("amount")
    nested = types.get(customer, "").split("<")[0].lower()
    if nested in ("array", "struct", "map"):
        raise InputError(
            f"column {customer!r} holds {nested} values ({types[customer]}), not customer ids; "
            "ids must be numbers or text, one per row (explode or join nested values first)."
        )
    if amount is not None and types.get(amount, "").lower().startswith("interval"):
        raise InputError(
            f"column {amount!r} holds durations ({types[amount]}), not amounts: amounts must be "
            "numbers. Give the column of amounts with amount_col=, or amount_col=None for a log "
            "without amounts (purchases only)."
        )


def check_on_invalid(on_invalid: str) -> None:
    """Refuse an ``on_invalid`` other than "raise" or "drop"."""
    if on_invalid not in ON_INVALID:
        raise InputError(f"on_invalid={on_invalid!r}: use 'raise' or 'drop'.")
