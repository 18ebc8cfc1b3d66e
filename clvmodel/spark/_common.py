"""Spark plumbing shared by the transaction, fitting and scoring functions: names, types, checks."""

from __future__ import annotations

import re

from clvmodel._reading_sql import Dialect, reject_reason_sql
from clvmodel._rfm_common import TIME_UNITS
from clvmodel._rfm_sql import RFM_COLUMNS, rfm_query
from clvmodel.errors import InputError

__all__ = [
    "SPARK",
    "check_on_invalid",
    "column_types",
    "quote_name",
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


def strftime_pattern(date_format: str | None) -> str | None:
    """``date_format`` as a strftime pattern: Spark patterns such as ``"yyyyMMdd"`` (accepted
    before issue 13) are translated; strftime patterns (with ``%``) pass as they are."""
    if date_format is None or "%" in date_format:
        return date_format
    pieces = re.split(r"(y+|M+|d+)", date_format)
    out = []
    for piece in pieces:
        match = dict(_JAVA_PATTERN).get(piece)
        if match is None and piece[:1].isalpha():
            raise InputError(
                f"date_format={date_format!r}: give a strftime pattern of the date part, such as "
                "'%d/%m/%Y' (Spark patterns with yyyy, MM and dd are translated)."
            )
        out.append(match or piece)
    return "".join(out)


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
