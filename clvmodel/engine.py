"""DuckDB as the engine for files: RFM summaries and fitting inputs in SQL, streamed in batches.

The transaction log is never loaded into pandas. DuckDB reads CSV, Parquet or a table of a DuckDB
database file, checks every row (rows that cannot be used get a reason and go to a rejects table),
merges purchases of one customer on one day, and computes the RFM summary with a GROUP BY. Fitting
needs only the distinct (frequency, recency, T) rows with their counts, which is small whatever the
number of customers. The SQL follows the conventions of :func:`clvmodel.rfm_summary` and gives the
same numbers (tests check this on CDNOW and on simulated logs).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from clvmodel._rfm_sql import RFM_COLUMNS, rfm_query, rfm_reject_reason, transaction_reject_reason
from clvmodel.errors import InputError
from clvmodel.rfm import TIME_UNITS, _check_not_in_future, _day_number, _parse_date
from clvmodel.value import observed_years

__all__ = ["RfmSource", "TransactionSource", "connect", "is_transaction_log"]


def connect(memory_limit: str = "512MB", threads: int | None = None):
    """A DuckDB connection with bounded memory (it spills to disk beyond ``memory_limit``)."""
    import duckdb

    connection = duckdb.connect(":memory:")
    connection.execute(f"SET memory_limit = '{memory_limit}'")
    connection.execute("SET preserve_insertion_order = false")
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET enable_progress_bar = false")  # clvmodel shows its own
    if threads is not None:
        connection.execute(f"SET threads = {int(threads)}")
    return connection


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _relation(path: str | os.PathLike, table: str | None = None) -> str:
    """SQL for reading a CSV or Parquet file, or a table of a DuckDB database file."""
    location = Path(path)
    suffix = location.suffix.lower()
    if suffix in (".duckdb", ".db"):
        if not location.is_file():
            raise InputError(f"database file {str(location)!r} does not exist.")
        if not table:
            raise InputError(f"{str(location)!r} is a DuckDB database: name the table to read.")
        return f"source_db.{_quote(table)}"
    if not location.exists():
        raise InputError(f"input {str(location)!r} does not exist.")
    if suffix == ".csv":
        return f"read_csv({_literal(str(location))}, all_varchar = true, header = true)"
    if suffix in (".parquet", ".pq") or location.is_dir():
        target = str(location / "*.parquet") if location.is_dir() else str(location)
        return f"read_parquet({_literal(target)})"
    raise InputError(
        f"cannot tell the format of {str(location)!r}: use .csv, .parquet (or a folder of them), "
        "or a .duckdb database with a table name."
    )


def _attach(connection, path) -> None:
    location = Path(path)
    if location.suffix.lower() in (".duckdb", ".db"):
        connection.execute(f"ATTACH {_literal(str(location))} AS source_db (READ_ONLY)")


def _columns(connection, relation: str) -> dict[str, str]:
    try:
        described = connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    except Exception as exc:  # duckdb raises its own error types for unreadable files
        raise InputError(f"cannot read the input: {str(exc).splitlines()[0]}") from None
    return {row[0]: row[1] for row in described}


def _require(columns: dict[str, str], needed: dict[str, str]) -> None:
    missing = [f"{role} column {name!r}" for role, name in needed.items() if name not in columns]
    if missing:
        raise InputError(
            f"the input has no {', '.join(missing)}; its columns are {list(columns)}. Name the "
            "right ones with --customer-col, --date-col and --amount-col."
        )


@dataclass
class TransactionSource:
    """A transaction log in a file or database table, read by DuckDB.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` or ``.parquet`` file, a folder of Parquet files, or a ``.duckdb`` database.
    customer_col, date_col, amount_col : str
        Column names; ``amount_col=None`` for a log without amounts.
    table : str, optional
        The table, when ``path`` is a DuckDB database.
    date_format : str, optional
        ``strptime`` format for text (or whole-number) dates, e.g. ``"%Y%m%d"``; by default text
        dates must be ISO 8601 (``1997-01-31``, optionally with a time).
    observation_end : date-like, optional
        End of observation; defaults to the last valid purchase date (which must not be in the
        future).
    time_unit : {"W", "D"}
        Unit of recency and ``T``.
    connection : duckdb.DuckDBPyConnection, optional
        Defaults to :func:`connect`.

    Notes
    -----
    Each row is checked: missing customer id, missing or unparseable date, missing or
    non-numeric amount, a non-finite or negative amount, and a date after ``observation_end`` make
    it a rejected row with that reason (see :meth:`rejects`). Days are calendar days of the
    timestamps as stored; zoned timestamps are taken in UTC.
    """

    path: str | os.PathLike
    customer_col: str = "customer_id"
    date_col: str = "date"
    amount_col: str | None = "amount"
    table: str | None = None
    date_format: str | None = None
    observation_end: object = None
    time_unit: str = "W"
    connection: object = None

    def __post_init__(self):
        if self.time_unit not in TIME_UNITS:
            raise InputError(f"time_unit={self.time_unit!r} is not supported; use 'D' or 'W'.")
        self.connection = self.connection or connect()
        _attach(self.connection, self.path)
        relation = _relation(self.path, self.table)
        columns = _columns(self.connection, relation)
        needed = {"customer": self.customer_col, "date": self.date_col}
        if self.amount_col is not None:
            needed["amount"] = self.amount_col
        _require(columns, needed)
        self._build_views(relation, columns)

    def _build_views(self, relation: str, columns: dict[str, str]) -> None:
        con = self.connection
        # Keep native types where they are already right: hashing integers is cheaper than text.
        customer = _quote(self.customer_col)
        if columns[self.customer_col].upper() == "VARCHAR":
            customer = f"NULLIF(TRIM({customer}), '')"
        date_type = columns[self.date_col].upper()
        raw_date = _quote(self.date_col)
        if self.date_format is not None:
            pattern = _literal(self.date_format)
            day = f"CAST(TRY_STRPTIME(CAST({raw_date} AS VARCHAR), {pattern}) AS DATE)"
        elif date_type == "DATE":
            day = raw_date
        elif date_type.startswith("TIMESTAMP"):
            day = f"CAST({raw_date} AS DATE)"
        elif date_type == "VARCHAR":
            day = f"CAST(TRY_CAST({raw_date} AS TIMESTAMP) AS DATE)"
        else:  # numbers are ambiguous as dates without a format
            day = "CAST(NULL AS DATE)"
        if self.amount_col is None:
            amount, raw_amount = "1.0::DOUBLE", "NULL"
        else:
            amount = _quote(self.amount_col)
            if columns[self.amount_col].upper() != "DOUBLE":
                amount = f"TRY_CAST({amount} AS DOUBLE)"
            raw_amount = f"CAST({_quote(self.amount_col)} AS VARCHAR)"
        con.execute(
            f"""
            CREATE OR REPLACE TEMP VIEW clv_typed AS
            SELECT {customer} AS customer_id,
                   {day} AS day,
                   {amount} AS amount,
                   CAST({raw_date} AS VARCHAR) AS raw_date,
                   {raw_amount} AS raw_amount
            FROM {relation}
            """
        )
        if self.observation_end is None:
            latest = con.execute(
                "SELECT MAX(day) FROM clv_typed WHERE customer_id IS NOT NULL"
            ).fetchall()[0][0]
            if latest is None:
                self._raise_nothing_valid()
            self.end = pd.Timestamp(latest)
            _check_not_in_future(_day_number(self.end), "--observation-end")
        else:
            self.end = _parse_date(self.observation_end, "observation_end").normalize()
        end = _literal(self.end.strftime("%Y-%m-%d"))
        amount_valid = (
            ""
            if self.amount_col is None
            else " AND amount >= 0 AND amount < 'infinity'::DOUBLE AND NOT isnan(amount)"
        )
        # The same rules as the reasons below, as one cheap predicate for the summary's scan.
        valid = f"customer_id IS NOT NULL AND day IS NOT NULL AND day <= DATE {end}{amount_valid}"
        reason = transaction_reject_reason(
            self.end.strftime("%Y-%m-%d"), self.amount_col is not None
        )
        con.execute(
            f"""
            CREATE OR REPLACE TEMP VIEW clv_checked AS
            SELECT *, {reason} AS reason
            FROM clv_typed
            """
        )
        purchases = (
            "(SELECT customer_id, CAST(day - DATE '1970-01-01' AS INTEGER) AS purchase_day, amount"
            f" FROM clv_typed WHERE {valid})"
        )
        query = rfm_query(purchases, _day_number(self.end), TIME_UNITS[self.time_unit])
        con.execute(f"CREATE OR REPLACE TEMP VIEW clv_rfm AS {query}")

    def _raise_nothing_valid(self):
        raise InputError(
            "no row of the input has both a customer id and a readable date; check the column "
            "names and the date format (--date-format, e.g. %Y%m%d)."
        )

    # ----------------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Rows and customers read, rejected rows, and customers with at least one valid row."""
        row = self.connection.execute(
            """
            SELECT COUNT(*),
                   COUNT(*) FILTER (WHERE reason IS NOT NULL),
                   COUNT(DISTINCT customer_id),
                   COUNT(DISTINCT customer_id) FILTER (WHERE reason IS NULL),
                   COUNT(*) FILTER (WHERE customer_id IS NULL)
            FROM clv_checked
            """
        ).fetchall()[0]
        return {
            "rows": row[0],
            "rejected_rows": row[1],
            "customers": row[2],
            "valid_customers": row[3],
            "rows_without_customer": row[4],
        }

    def row_counts(self) -> dict[str, int]:
        """Rows read and rejected: one cheap scan, no distinct counts."""
        row = self.connection.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE reason IS NOT NULL) FROM clv_checked"
        ).fetchall()[0]
        return {"rows": row[0], "rejected_rows": row[1]}

    def rejects(self, rejected_rows: int | None = None) -> pd.DataFrame:
        """Rejected rows: customer id, raw date, raw amount and the reason, plus one row per
        customer none of whose rows could be used (reason ``no valid transaction``).

        Pass ``rejected_rows`` from :meth:`row_counts` to skip the scan when it is 0.
        """
        if rejected_rows == 0:
            return pd.DataFrame(
                {"customer_id": [], "date": [], "amount": [], "reason": []}, dtype="object"
            )
        return self.connection.execute(
            """
            SELECT customer_id, raw_date AS date, raw_amount AS amount, reason
            FROM clv_checked WHERE reason IS NOT NULL
            UNION ALL
            SELECT customer_id, NULL, NULL, 'no valid transaction' FROM (
                SELECT customer_id FROM clv_checked WHERE customer_id IS NOT NULL
                GROUP BY customer_id HAVING COUNT(*) FILTER (WHERE reason IS NULL) = 0
            )
            ORDER BY reason, customer_id
            """
        ).df()

    def check_usable(self) -> dict[str, int]:
        """Raise when no customer has a valid transaction; otherwise return :meth:`counts`."""
        counts = self.counts()
        if counts["valid_customers"] == 0:
            self._raise_nothing_valid()
        return counts

    def rfm(self) -> pd.DataFrame:
        """The whole RFM summary as a DataFrame indexed by customer id (for moderate sizes)."""
        frame = self.connection.execute(
            'SELECT customer_id, frequency, recency, "T", monetary_value FROM clv_rfm'
        ).df()
        return _as_rfm(frame, self.time_unit, self.amount_col is not None)

    def rfm_batches(self, batch_size: int = 500_000) -> Iterator[pd.DataFrame]:
        """The RFM summary in batches of customers, so memory stays bounded."""
        reader = self.connection.sql(
            'SELECT customer_id, frequency, recency, "T", monetary_value FROM clv_rfm'
        ).to_arrow_reader(batch_size)
        for batch in reader:
            yield _as_rfm(batch.to_pandas(), self.time_unit, self.amount_col is not None)

    def distinct_histories(self) -> pd.DataFrame:
        """Distinct (frequency, recency, T) rows with the number of customers each stands for."""
        frame = self.connection.execute(
            'SELECT frequency, recency, "T", COUNT(*) AS customers FROM clv_rfm GROUP BY ALL'
        ).df()
        frame["frequency"] = frame["frequency"].astype("int64")
        frame.attrs["time_unit"] = self.time_unit
        return frame

    def distinct_spends(self) -> pd.DataFrame:
        """Distinct (frequency, monetary_value) rows of repeat buyers, with customer counts."""
        frame = self.connection.execute(
            "SELECT frequency, monetary_value, COUNT(*) AS customers FROM clv_rfm "
            "WHERE frequency > 0 GROUP BY ALL"
        ).df()
        frame["frequency"] = frame["frequency"].astype("int64")
        return frame

    def naive_inputs(self) -> dict[str, float]:
        """Aggregates for the naive CLV formula: customers, orders (customer-days), revenue and
        the length of the observation period in years."""
        row = self.connection.execute(
            "SELECT COUNT(*), SUM(orders), SUM(revenue), MIN(first_day) FROM clv_rfm"
        ).fetchall()[0]
        years = observed_years(int(row[3]), _day_number(self.end))
        return {
            "customers": int(row[0]),
            "orders": int(row[1]),
            "revenue": float(row[2]),
            "years": float(years),
        }


def _as_rfm(frame: pd.DataFrame, time_unit: str, with_amount: bool) -> pd.DataFrame:
    frame = frame.set_index("customer_id")
    frame.index.name = None
    frame["frequency"] = frame["frequency"].astype("int64")
    for column in ("recency", "T", "monetary_value"):
        frame[column] = frame[column].astype("float64")
    if not with_amount:
        frame = frame.drop(columns="monetary_value")
    frame.attrs["time_unit"] = time_unit
    return frame


@dataclass
class RfmSource:
    """An RFM table (one row per customer) in a file, read by DuckDB in batches.

    Rows that cannot be scored get a reason (missing value, negative or fractional frequency,
    recency > T, ...) and go to :meth:`rejects`; the rest are yielded by :meth:`batches`.
    """

    path: str | os.PathLike
    customer_col: str = "customer_id"
    table: str | None = None
    connection: object = None

    def __post_init__(self):
        self.connection = self.connection or connect()
        _attach(self.connection, self.path)
        relation = _relation(self.path, self.table)
        columns = _columns(self.connection, relation)
        needed = {"customer": self.customer_col}
        needed.update({name: name for name in RFM_COLUMNS})
        _require(columns, needed)
        casts = ", ".join(f"TRY_CAST({_quote(c)} AS DOUBLE) AS {_quote(c)}" for c in RFM_COLUMNS)
        self.connection.execute(
            f"""
            CREATE OR REPLACE TEMP VIEW clv_rfm_input AS
            WITH typed AS (
                SELECT NULLIF(TRIM(CAST({_quote(self.customer_col)} AS VARCHAR)), '')
                       AS customer_id, {casts}
                FROM {relation}
            )
            SELECT *, {rfm_reject_reason()} AS reason
            FROM typed
            """
        )

    def counts(self) -> dict[str, int]:
        """Rows (customers) read and rows rejected."""
        row = self.connection.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE reason IS NOT NULL) FROM clv_rfm_input"
        ).fetchall()[0]
        return {"rows": row[0], "rejected_rows": row[1]}

    def rejects(self) -> pd.DataFrame:
        """Rows that cannot be scored, with their values and the reason."""
        return self.connection.execute(
            'SELECT customer_id, frequency, recency, "T", monetary_value, reason '
            "FROM clv_rfm_input WHERE reason IS NOT NULL ORDER BY customer_id"
        ).df()

    def batches(self, batch_size: int = 500_000, time_unit: str | None = None):
        """The valid rows as RFM DataFrames of at most ``batch_size`` customers each, indexed by
        customer id; ``time_unit`` (the model's) is recorded in each frame's ``attrs``."""
        reader = self.connection.sql(
            'SELECT customer_id, frequency, recency, "T", monetary_value '
            "FROM clv_rfm_input WHERE reason IS NULL"
        ).to_arrow_reader(batch_size)
        for batch in reader:
            frame = _as_rfm(batch.to_pandas(), time_unit or "W", True)
            if time_unit is None:
                frame.attrs.pop("time_unit", None)
            yield frame


def is_transaction_log(path, date_col: str, table: str | None = None) -> bool:
    """Whether a file looks like a transaction log (has the date column) rather than RFM rows."""
    connection = connect()
    _attach(connection, path)
    columns = _columns(connection, _relation(path, table))
    return date_col in columns and not set(RFM_COLUMNS) <= set(columns)
