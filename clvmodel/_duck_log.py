"""The DuckDB views of a transaction log: typed rows, checked rows and the RFM summary.

:class:`clvmodel.engine.TransactionSource` builds them on its connection:

- ``clv_typed``: one row per input row, with the customer id, the day and the amount read by the
  rules of :mod:`clvmodel._reading` (as SQL, :mod:`clvmodel._reading_sql`), and the raw texts;
- ``clv_checked``: the same rows with the reason each cannot be used (NULL when it can);
- ``clv_rfm``: the RFM summary of the usable rows (:func:`clvmodel._rfm_sql.rfm_query`).
"""

from __future__ import annotations

import re

import pandas as pd

from clvmodel._duck import quote_name, settle_csv_dialect, sql_literal
from clvmodel._reading import check_amount_texts
from clvmodel._reading_formats import numbers_as_dates_error
from clvmodel._reading_parquet import parquet_time_zone
from clvmodel._reading_sql import (
    Dialect,
    amount_sql,
    customer_id_kind,
    date_dictionary,
    date_text_sql,
    id_sql,
    id_too_large_sql,
    kind_of,
    nothing_usable_error,
    odd_amounts_sql,
    reject_id_sql,
    reject_reason_sql,
)
from clvmodel._rfm_common import TIME_UNITS, day_number
from clvmodel._rfm_sql import rfm_query
from clvmodel.errors import InputError

__all__ = [
    "check_amount_column",
    "create_checked_views",
    "create_typed_view",
    "latest_usable_day",
    "raise_nothing_usable",
]

DUCKDB = Dialect("duckdb")


def _day_sql(connection, relation: str, columns: dict[str, str], date_col: str, date_format):
    """The SQL day of each row and the join it needs; typed dates are read as they are (with or
    without ``date_format``), text dates (or numbers with ``date_format``) are looked up in a
    dictionary of their distinct values, registered on the connection as ``clv_date_days`` and
    returned (None for typed dates)."""
    raw_date = quote_name(date_col)
    date_kind = kind_of(columns[date_col])
    if date_kind in ("date", "timestamp"):  # date_format is for text dates only
        zone = _wall_clock_zone(connection, relation, columns[date_col], date_col)
        wall = raw_date if zone is None else f"timezone({sql_literal(zone)}, {raw_date})"
        if columns[date_col].upper().endswith("_NS"):
            # DuckDB rounds nanoseconds (TIMESTAMP_NS, as it reads them from Parquet since 1.1)
            # to the nearest microsecond when it casts to DATE: 23:59:59.9999999 fell on the next
            # day. epoch_us rounds down, and below 2**53 microseconds DOUBLE divides exactly.
            return DUCKDB.date_of_day(f"floor(epoch_us({wall}) / 86400000000.0)"), "", None
        return f"CAST({wall} AS DATE)", "", None
    numbers = date_kind in ("integer", "float") and date_format is None
    if numbers or columns[date_col] == "BOOLEAN":
        shown = connection.execute(
            f"SELECT DISTINCT {raw_date} FROM {relation} WHERE {raw_date} IS NOT NULL "
            "ORDER BY 1 LIMIT 3"  # the smallest: DISTINCT alone has no set order
        ).fetchall()
        raise numbers_as_dates_error([row[0] for row in shown], date_col)
    text = date_text_sql(raw_date, date_kind, DUCKDB)
    texts = connection.execute(f"SELECT DISTINCT {text} FROM {relation}").fetchall()
    date_days = date_dictionary([t[0] for t in texts], date_format, date_col)
    connection.register("clv_date_days", date_days)
    join = f"LEFT JOIN clv_date_days ON clv_date_days.date_text = {text}"
    return DUCKDB.date_of_day("clv_date_days.day_number"), join, date_days


#: Zones whose wall clock is UTC's.
_UTC_ZONES = ("UTC", "Etc/UTC", "Z", "+00:00")


def _knows_zone(connection, zone: str) -> bool:
    """Whether DuckDB (its ICU extension) converts instants to the wall clock of ``zone``."""
    try:
        connection.execute(
            f"SELECT timezone({sql_literal(zone)}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
        ).fetchall()
    except Exception:  # a DuckDB without its ICU extension, or a zone ICU does not know
        return False
    return True


def _wall_clock_zone(connection, relation, sql_type: str, date_col: str) -> str | None:
    """The zone (as DuckDB's ICU spells it) in whose wall clock a zoned timestamp column is
    read, as pandas reads it: the one the Parquet file's Arrow schema records, or UTC for UTC
    and TIMESTAMPTZ columns that record no zone (DuckDB or PostgreSQL tables). UTC is named
    rather than left to the session, whose time zone a connection passed in need not have set
    to UTC (DuckDB's default is the computer's). None for other columns, and for UTC without
    the ICU extension (whose sessions have no other zone)."""
    name = sql_type.upper()
    if "WITH TIME ZONE" not in name and not name.startswith("TIMESTAMPTZ"):
        return None
    zone = parquet_time_zone(relation, date_col)
    if zone is None or zone in _UTC_ZONES:
        return "UTC" if _knows_zone(connection, "UTC") else None
    # Arrow writes a fixed offset as "+05:30"; ICU knows it as "GMT+05:30".
    icu = "GMT" + zone if re.fullmatch(r"[+-]\d{2}:\d{2}", zone) else zone
    if not _knows_zone(connection, icu):
        raise InputError(
            f"column {date_col!r} holds timestamps in time zone {zone!r}, whose local days "
            "DuckDB cannot tell here (no ICU extension, or a zone it does not know); write the "
            "dates without a time zone (local times) or in UTC."
        )
    return icu


def create_typed_view(
    connection,
    relation: str,
    columns: dict[str, str],
    customer_col: str,
    date_col: str,
    amount_col: str | None,
    date_format: str | None,
) -> pd.DataFrame | None:
    """Create ``clv_typed`` over ``relation``; return the dictionary of date texts it joins
    (None when the dates are typed), which must live as long as the view.

    A small CSV file (read with its dialect written out, see
    :func:`clvmodel._duck.settle_csv_dialect`) is read once into the temporary table
    ``clv_typed_rows``, under the view: every later query would parse it again. A fit of a
    100,000-row log (2.2 MB) took 612 ms of CPU time without it, 424 ms with it."""
    settled = settle_csv_dialect(relation, columns)  # as column_types read it
    kept = settled is not relation
    relation = settled
    id_kind = customer_id_kind(columns[customer_col])
    if columns[customer_col].upper() == "HUGEINT":  # 128 bits: pandas would make them floats,
        id_kind = "decimal"  # merging ids beyond 2**53; exact as written, like DECIMAL(38,0)
    customer, fractional = id_sql(quote_name(customer_col), id_kind, DUCKDB)
    day, join, date_days = _day_sql(connection, relation, columns, date_col, date_format)
    if amount_col is None:
        amount, raw_amount = "1.0::DOUBLE", "NULL"
    else:
        quoted = quote_name(amount_col)
        amount = amount_sql(quoted, kind_of(columns[amount_col]), DUCKDB)
        raw_amount = f"CAST({quoted} AS VARCHAR)"
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP {"TABLE clv_typed_rows" if kept else "VIEW clv_typed"} AS
        SELECT {customer} AS customer_id,
               {id_too_large_sql(quote_name(customer_col), id_kind, DUCKDB)} AS id_too_large,
               {fractional} AS id_fractional,
               {reject_id_sql(quote_name(customer_col), id_kind, DUCKDB)} AS reject_id,
               {day} AS day,
               {amount} AS amount,
               CAST({quote_name(date_col)} AS VARCHAR) AS raw_date,
               {raw_amount} AS raw_amount
        FROM {relation} {join}
        """
    )
    if kept:
        connection.execute("CREATE OR REPLACE TEMP VIEW clv_typed AS FROM clv_typed_rows")
    else:  # the rows of an earlier small file on this connection
        connection.execute("DROP TABLE IF EXISTS clv_typed_rows")
    return date_days


def latest_usable_day(connection, with_amount: bool):
    """The last day of a usable row of ``clv_typed`` (every check but the end of observation),
    or None when no row is usable."""
    usable = reject_reason_sql("9999-12-31", with_amount, DUCKDB)
    return connection.execute(
        f"SELECT MAX(day) FROM clv_typed WHERE ({usable}) IS NULL"
    ).fetchall()[0][0]


def create_checked_views(
    connection, end: pd.Timestamp, with_amount: bool, drop_duplicates: bool, time_unit: str
) -> None:
    """Create ``clv_checked`` (the reasons, given the end of observation) and ``clv_rfm``."""
    reason = reject_reason_sql(end.strftime("%Y-%m-%d"), with_amount, DUCKDB)
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW clv_checked AS
        SELECT *, {reason} AS reason
        FROM clv_typed
        """
    )
    # The same rules as the reasons, as one cheap predicate for the summary's scan.
    valid = f"({reason}) IS NULL"
    columns_out = "customer_id, CAST(day - DATE '1970-01-01' AS INTEGER) AS purchase_day, amount"
    if drop_duplicates:
        purchases = f"(SELECT DISTINCT {columns_out}, raw_date FROM clv_typed WHERE {valid})"
    else:
        purchases = f"(SELECT {columns_out} FROM clv_typed WHERE {valid})"
    query = rfm_query(purchases, day_number(end), TIME_UNITS[time_unit], DUCKDB)
    connection.execute(f"CREATE OR REPLACE TEMP VIEW clv_rfm AS {query}")


def check_amount_column(connection, amount_col: str | None) -> None:
    """Refuse amounts of ``clv_typed`` written with a currency or a decimal comma, naming the
    column (``amount_col``; None for a log without amounts: nothing to check)."""
    if amount_col is None:
        return
    odd = connection.execute(odd_amounts_sql("clv_typed", DUCKDB)).fetchall()
    check_amount_texts([row[0] for row in odd], amount_col)


def raise_nothing_usable(connection, where: str | None, end, amount_col: str | None):
    """Say why no row of ``clv_typed`` can be used: no rows, an end before the data, or the
    reasons. ``where`` names a database source (None: "the input", a file); ``end`` is the end
    of observation (None before it is known)."""
    if connection.execute("SELECT COUNT(*) FROM clv_typed").fetchall()[0][0] == 0:
        hint = "" if where else " (only a header?)"
        raise InputError(f"{where or 'the input'} has no rows{hint}: there is nothing to read.")
    check_amount_column(connection, amount_col)
    reason = reject_reason_sql(
        "9999-12-31" if end is None else f"{end:%Y-%m-%d}", amount_col is not None, DUCKDB
    )
    reasons = dict(
        connection.execute(
            f"SELECT reason, COUNT(*) FROM (SELECT {reason} AS reason FROM clv_typed) "
            "WHERE reason IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    raise nothing_usable_error(
        reasons, end, lambda: connection.execute("SELECT MIN(day) FROM clv_typed").fetchall()[0][0]
    )
