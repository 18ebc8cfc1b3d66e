"""The reading rules of :mod:`clvmodel._reading` as SQL, for DuckDB, Spark SQL and PostgreSQL.

Ids, amounts and the reasons rows are rejected are SQL expressions built from the same patterns
and constants as the pandas route. Dates are not re-implemented: an engine collects the distinct
date texts of a column (few: one per day and format) with :func:`date_text_sql`, has
:func:`date_dictionary` read them with :func:`clvmodel._reading.read_date_texts`, and joins the
result back, so every route reads every date the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel import _reading as rd
from clvmodel._reading_formats import check_format_fits
from clvmodel.errors import InputError

_NUMBER_TYPES = ("tinyint", "smallint", "int", "integer", "bigint", "hugeint", "long", "short",
                 "byte", "ubigint", "uinteger", "usmallint", "utinyint", "float", "double",
                 "real", "decimal")  # fmt: skip
_INTEGER_TYPES = ("tinyint", "smallint", "int", "integer", "bigint", "hugeint", "long", "short",
                  "byte", "ubigint", "uinteger", "usmallint", "utinyint")  # fmt: skip


def customer_id_kind(sql_type: str) -> str:
    """The kind of a customer-id column: as :func:`kind_of`, except ``"decimal"`` for a DECIMAL or
    NUMERIC column, whose whole values are exact at any size (a DECIMAL(38,0) export of
    Snowflake's NUMBER, Spark's DecimalType) and so are read as written, never as floats.

    Parameters
    ----------
    sql_type : str
        The column's SQL type, e.g. ``"DECIMAL(38,0)"``.

    Returns
    -------
    str
    """
    name = sql_type.lower().split("(")[0].strip()
    return "decimal" if name in ("decimal", "numeric") else kind_of(sql_type)


def kind_of(sql_type: str) -> str:
    """``"integer"``, ``"float"``, ``"text"``, ``"date"``, ``"timestamp"`` or ``"other"``."""
    name = sql_type.lower().split("(")[0].strip()
    if name in _INTEGER_TYPES:
        return "integer"
    if name in _NUMBER_TYPES:
        return "float"
    if name in ("varchar", "string", "text") or name.startswith("varchar"):
        return "text"
    if name == "date":
        return "date"
    if name.startswith("timestamp"):
        return "timestamp"
    return "other"


class Dialect:
    """The few spellings that differ between DuckDB, Spark SQL and PostgreSQL."""

    def __init__(self, name: str):
        self.name = name
        self.spark = name == "spark"
        self.postgres = name == "postgres"
        #: The 64-bit floating-point type.
        self.double = "DOUBLE PRECISION" if self.postgres else "DOUBLE"

    def literal(self, text: str) -> str:
        escaped = str(text).replace("'", "''") if not self.spark else (
            str(text).replace("\\", "\\\\").replace("'", "\\'")
        )  # fmt: skip
        return f"'{escaped}'"

    def matches(self, value: str, pattern: str) -> str:
        """SQL: whether the whole of ``value`` matches ``pattern``."""
        return self.search(value, f"^({pattern})$")

    def search(self, value: str, pattern: str) -> str:
        """SQL: whether ``pattern`` occurs in ``value``."""
        if self.postgres:
            return f"({value} ~ {self.literal(pattern)})"
        return f"{'rlike' if self.spark else 'regexp_matches'}({value}, {self.literal(pattern)})"

    def is_nan(self, value: str) -> str:
        """SQL: whether the DOUBLE ``value`` is NaN. DuckDB's ``isnan`` answers FALSE for a NaN
        in a Parquet column whose min/max statistics are finite (writers leave NaN out of them;
        DuckDB 2.0): there, a NaN is what is neither finite nor infinite."""
        if self.postgres:
            return f"({value} = CAST('NaN' AS DOUBLE PRECISION))"
        if self.spark:
            return f"isnan({value})"
        return f"(NOT isfinite({value}) AND NOT isinf({value}))"

    def text(self, value: str) -> str:
        return (
            f"CAST({value} AS {'STRING' if self.spark else 'TEXT' if self.postgres else 'VARCHAR'})"
        )

    def trim(self, value: str) -> str:
        """SQL: ``value`` without leading and trailing spaces (" " only, as the pandas route:
        DuckDB's one-argument ``trim`` also strips Unicode spaces such as U+00A0, which would
        merge the ids "a" and "a\u00a0" that the other routes keep apart)."""
        return f"trim({value}, ' ')" if self.name == "duckdb" else f"trim({value})"

    def try_double(self, value: str) -> str:
        return f"{'try_cast' if self.spark else 'TRY_CAST'}({value} AS DOUBLE)"

    def date_of_day(self, day: str) -> str:
        """SQL DATE of a day number (days since 1970-01-01)."""
        if self.spark:
            return f"date_from_unix_date(CAST({day} AS INT))"
        if self.postgres:
            return f"(DATE '1970-01-01' + CAST({day} AS INTEGER))"
        return f"CAST(DATE '1970-01-01' + CAST({day} AS INTEGER) AS DATE)"


def _missing_texts(dialect: Dialect) -> str:
    return ", ".join(dialect.literal(t) for t in rd.MISSING_TEXTS)


def id_sql(column: str, kind: str, dialect: Dialect) -> tuple[str, str]:
    """SQL for the normalised customer id of ``column`` and for whether it is fractional."""
    if kind == "integer":
        return column, "FALSE"
    if kind == "decimal":  # exact: whole values as written, without a point and zeros
        text = dialect.text(column)
        fractional = dialect.matches(text, "[+-]?[0-9]*[.][0-9]*[1-9][0-9]*")
        return (
            f"CASE WHEN {fractional} THEN NULL ELSE regexp_replace({text}, '[.]0+$', '') END",
            f"COALESCE({fractional}, FALSE)",
        )
    if kind == "float":
        value = f"CAST({column} AS DOUBLE)"
        # floor() of a double beyond 64 bits overflows in Spark's ANSI mode: the size first.
        usable = (
            f"CASE WHEN NOT {dialect.is_nan(value)} AND abs({value}) <= 9007199254740992 "
            f"THEN {value} = floor({value}) ELSE FALSE END"
        )
        return (
            f"CASE WHEN {usable} THEN CAST({value} AS BIGINT) END",
            # (Spark's isnan(NULL) is FALSE, not NULL: a missing id is no fraction.)
            f"COALESCE({value} IS NOT NULL AND NOT {dialect.is_nan(value)} AND NOT ({usable}), "
            "FALSE)",
        )
    text = dialect.trim(dialect.text(column))
    whole = dialect.matches(text, rd.WHOLE_WITH_ZEROS)
    return (
        f"CASE WHEN lower({text}) IN ({_missing_texts(dialect)}) THEN NULL "
        f"WHEN {whole} THEN regexp_replace({text}, '[.]0+$', '') ELSE {text} END",
        "FALSE",
    )


def id_too_large_sql(column: str, kind: str, dialect: Dialect) -> str:
    """SQL for whether the id of ``column`` is a floating-point number too large to be exact.

    Parameters
    ----------
    column : str
        The id column, quoted for the engine.
    kind : str
        Its kind, as :func:`kind_of` gives it.
    dialect : Dialect
        The engine's spellings.

    Returns
    -------
    str
        A boolean expression, never NULL: true where the value is a float, not NaN, and
        2**53 < abs(value) < infinity, so that it holds no exact whole number (the reject reason
        :data:`clvmodel._reading.ID_TOO_LARGE`); ``FALSE`` for integer and text columns.
    """
    if kind != "float":
        return "FALSE"
    value = f"CAST({column} AS {dialect.double})"
    infinity = f"CAST('Infinity' AS {dialect.double})"
    # NaN compares above every number in DuckDB and Spark: left out first.
    return (
        f"COALESCE(NOT {dialect.is_nan(value)} AND abs({value}) > {int(rd.LARGEST_EXACT_ID)} "
        f"AND abs({value}) <> {infinity}, FALSE)"
    )


def reject_id_sql(column: str, kind: str, dialect: Dialect) -> str:
    """SQL for the id a rejects list shows: the normalised id, except that a fractional id of a
    floating-point column, which has no normalised id, is shown as written (the ids of such a
    column are then text in the rejects list, ``"1.5"`` beside ``"2"``)."""
    customer, fractional = id_sql(column, kind, dialect)
    if kind not in ("float", "decimal"):
        return customer
    return f"CASE WHEN {fractional} THEN {dialect.text(column)} ELSE {dialect.text(customer)} END"


def date_text_sql(column: str, kind: str, dialect: Dialect) -> str:
    """SQL for the date text of a text or numeric column: trimmed, without a trailing time."""
    if kind == "integer":
        raw = dialect.text(column)
    elif kind == "float":
        value = f"CAST({column} AS DOUBLE)"
        # A whole value as an integer's text. floor() and the cast overflow beyond 64 bits (Spark
        # in ANSI mode, DuckDB, PostgreSQL): NaN, infinities and values beyond 2**53 keep their
        # own text, which reads as no date (as in pandas).
        beyond = f"{dialect.is_nan(value)} OR NOT (abs({value}) <= {int(rd.LARGEST_EXACT_ID)})"
        raw = (
            f"CASE WHEN {beyond} THEN {dialect.text(column)} "
            f"WHEN {value} = floor({value}) THEN {dialect.text(f'CAST({value} AS BIGINT)')} "
            f"ELSE {dialect.text(column)} END"
        )
    else:
        raw = dialect.text(column)
    return f"regexp_replace({dialect.trim(raw)}, {dialect.literal(rd.TIME_SUFFIX)}, '')"


def date_dictionary(texts, date_format: str | None, column: str) -> pd.DataFrame:
    """``date_text`` → ``day_number`` (days since 1970-01-01) for the distinct date texts of a
    column; unreadable and missing texts are left out (their rows get no day)."""
    # Sorted: DuckDB's and Spark's DISTINCT return the texts in no set order, and the messages
    # (the example values) and the sample a pattern is judged on must not depend on it.
    texts = sorted(t for t in texts if t is not None and t.lower() not in rd.MISSING_TEXTS)
    days = rd.read_date_texts(texts, date_format, column)
    check_format_fits(texts, days, date_format, column)
    readable = days != np.iinfo("int64").min
    return pd.DataFrame(
        {
            "date_text": pd.Series(np.asarray(texts, dtype=object)[readable], dtype=object),
            "day_number": days[readable].astype("int64"),
        }
    )


def amount_sql(column: str, kind: str, dialect: Dialect) -> str:
    """SQL for the amount of ``column`` as DOUBLE; NULL where missing, NaN or not a number."""
    if kind in ("integer", "float"):
        value = f"CAST({column} AS DOUBLE)"
        return f"CASE WHEN {dialect.is_nan(value)} THEN NULL ELSE {value} END"
    text = dialect.trim(dialect.text(column))
    return f"CASE WHEN {dialect.matches(text, rd.NUMBER)} THEN {dialect.try_double(text)} END"


def odd_amounts_sql(relation: str, dialect: Dialect, limit: int = 20) -> str:
    """SQL listing a few non-numeric amounts with a currency or a comma, or true/false values
    (``raw_amount`` of rows whose ``amount`` is NULL), for
    :func:`clvmodel._reading.check_amount_texts`."""
    text = dialect.trim("raw_amount")
    odd = " OR ".join(
        dialect.search(text, pattern) for pattern in (rd.CURRENCY, rd.DECIMAL_COMMA, rd.TRUE_FALSE)
    )
    return (
        f"SELECT DISTINCT {text} AS amount FROM {relation} "
        f"WHERE amount IS NULL AND raw_amount IS NOT NULL AND ({odd}) ORDER BY 1 LIMIT {int(limit)}"
    )


def reject_reason_sql(end_date: str, with_amount: bool, dialect: Dialect) -> str:
    """SQL ``CASE`` giving why a typed row cannot be used (NULL when it can), checked in the
    order of :data:`clvmodel._reading.REASONS`, then the end of observation.

    The row has ``customer_id``, ``id_too_large`` (:func:`id_too_large_sql`), ``id_fractional``
    (the second value of :func:`id_sql`, also true for a too-large id, so checked after it),
    ``day`` (a DATE) and ``amount`` (DOUBLE); ``end_date`` is ``YYYY-MM-DD``.
    """
    lit = dialect.literal
    amount_checks = (
        f"""
             WHEN amount IS NULL THEN {lit(rd.BAD_AMOUNT)}
             WHEN abs(amount) = CAST('Infinity' AS {dialect.double}) THEN {lit(rd.INFINITE_AMOUNT)}
             WHEN abs(amount) > {rd.AMOUNT_BOUND!r} THEN {lit(rd.HUGE_AMOUNT)}
             WHEN amount < 0 THEN {lit(rd.NEGATIVE_AMOUNT)}"""
        if with_amount
        else ""
    )
    return f"""
        CASE WHEN id_too_large THEN {lit(rd.ID_TOO_LARGE)}
             WHEN id_fractional THEN {lit(rd.ID_NOT_WHOLE)}
             WHEN customer_id IS NULL THEN {lit(rd.MISSING_ID)}
             WHEN day IS NULL THEN {lit(rd.BAD_DATE)}
             WHEN day < DATE '{rd.EARLIEST_DATE}' THEN {lit(rd.OLD_DATE)}{amount_checks}
             WHEN day > DATE '{end_date}' THEN {lit(rd.AFTER_END)}
        END
    """


# The checked relation has ``customer_id``, ``raw_date``, ``raw_amount``, ``amount`` and
# ``reason`` (NULL for a usable row); DuckDB and PostgreSQL run the SQL below as written.
def duplicate_rows_sql(checked: str) -> str:
    """SQL counting the usable rows that repeat another usable row exactly (same customer, date
    as written and amount), of the checked relation ``checked``."""
    return (
        "SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM "
        f"{checked} WHERE reason IS NULL GROUP BY customer_id, raw_date, amount) AS d"
    )


#: The rows of :func:`duplicate_rows_sql` as an aggregate of the checked rows, to take in a
#: scan that counts other things: the usable rows less their distinct (customer, date as
#: written, amount).
DUPLICATE_ROWS = (
    "COUNT(*) FILTER (WHERE reason IS NULL) "
    "- COUNT(DISTINCT (customer_id, raw_date, amount)) FILTER (WHERE reason IS NULL)"
)


def log_counts_sql(checked: str, with_duplicates: bool) -> str:
    """SQL for the row of :func:`log_counts` (then the rows with an amount that is not a
    number) of the checked relation ``checked``, with the duplicate rows of
    :func:`duplicate_rows_sql` last when ``with_duplicates`` (0 otherwise): one scan, where the
    two queries read a CSV file twice."""
    duplicates = DUPLICATE_ROWS if with_duplicates else "0"
    return f"""
        SELECT COUNT(*),
               COUNT(*) FILTER (WHERE reason IS NOT NULL),
               COUNT(DISTINCT customer_id),
               COUNT(DISTINCT customer_id) FILTER (WHERE reason IS NULL),
               COUNT(*) FILTER (WHERE customer_id IS NULL),
               COUNT(*) FILTER (WHERE reason = '{rd.BAD_AMOUNT}'),
               {duplicates}
        FROM {checked}
    """


def log_counts(row, duplicate_rows: int) -> dict[str, int]:
    """The counts of a transaction log, from a row of ``COUNT(*)``, rejected rows, distinct
    customers, distinct customers with a usable row and rows without a customer (in that order,
    further values ignored), and the number of duplicate rows."""
    return {
        "rows": row[0],
        "rejected_rows": row[1],
        "customers": row[2],
        "valid_customers": row[3],
        "rows_without_customer": row[4],
        "duplicate_rows": duplicate_rows,
    }


def no_rejects() -> pd.DataFrame:
    """The rejects table of a log with no rejected row."""
    return pd.DataFrame({"customer_id": [], "date": [], "amount": [], "reason": []}, dtype="object")


def nothing_usable_error(reasons: dict[str, int], end, first_day) -> Exception:
    """The error when no row of a log can be used, from the count of rows per reject reason.

    When every row falls after the end of observation, ``first_day()`` gives the first purchase
    date for the message.
    """
    if set(reasons) == {rd.AFTER_END}:
        return InputError(
            f"the end of observation ({end:%Y-%m-%d}) is before the first purchase "
            f"({pd.Timestamp(first_day()):%Y-%m-%d}): no purchase falls in the observation "
            "period. Choose an end date within or after the data (observation_end=)."
        )
    listed = ", ".join(f"{n:,} {r!r}" for r, n in sorted(reasons.items()))
    checks = ["the column names"]
    if rd.BAD_DATE in reasons:  # (a date_format that reads no date is refused before)
        checks.append("the dates (date_format= gives the pattern of text dates)")
    if rd.BAD_AMOUNT in reasons:
        checks.append("the amounts, which must be numbers (amount_col=None: a log without them)")
    checked = ", ".join(checks[:-1]) + f" and {checks[-1]}" if len(checks) > 1 else checks[0]
    return InputError(f"no row of the input can be used ({listed}); check {checked}.")
