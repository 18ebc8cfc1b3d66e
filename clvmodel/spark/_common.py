"""Spark plumbing shared by the transaction, fitting and scoring functions: names, types, checks."""

from __future__ import annotations

import re

from clvmodel._reading_sql import Dialect, reject_reason_sql
from clvmodel._rfm_common import TIME_UNITS, today_day
from clvmodel._rfm_sql import RFM_COLUMNS, rfm_query
from clvmodel.errors import InputError

__all__ = [
    "SPARK",
    "check_on_invalid",
    "column_types",
    "quote_name",
    "session_today",
    "strftime_pattern",
    "summarise",
    "usable_sql",
]

ON_INVALID = ("raise", "drop")
SPARK = Dialect("spark")


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
    summary = session.sql(
        rfm_query("{purchases}", end_day, TIME_UNITS[time_unit]), purchases=purchases
    )
    return summary if extra else summary.select("customer_id", *RFM_COLUMNS)


def check_on_invalid(on_invalid: str) -> None:
    """Refuse an ``on_invalid`` other than "raise" or "drop"."""
    if on_invalid not in ON_INVALID:
        raise InputError(f"on_invalid={on_invalid!r}: use 'raise' or 'drop'.")
