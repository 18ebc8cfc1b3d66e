"""DuckDB as the engine for files: RFM summaries and fitting inputs in SQL, streamed in batches.

The log is never loaded into pandas. DuckDB reads CSV, Parquet or a DuckDB table, checks every
row (unusable rows go to a rejects table with a reason), merges one customer's purchases of one
day and computes the RFM summary with a GROUP BY; fitting needs only the distinct (frequency,
recency, T) rows with their counts. The SQL gives :func:`clvmodel.rfm_summary`'s numbers (tested).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clvmodel import _reading, _reading_sql, _rfm_sql
from clvmodel._duck import (
    arrow_reader,
    attach_database,
    column_types,
    connect,
    relation_sql,
    require_roles,
)
from clvmodel._duck_log import (
    check_amount_column,
    create_checked_views,
    create_typed_view,
    latest_usable_day,
    raise_nothing_usable,
)
from clvmodel._postgres_connect import display, is_postgres_uri, one_catalog
from clvmodel._postgres_read import PostgresSpool, source_name
from clvmodel._postgres_rfm import push_down
from clvmodel._rfm_common import as_rfm_frame
from clvmodel._rfm_read import CheckedParquetLog
from clvmodel._rfm_source import RfmSource, is_transaction_log
from clvmodel._source_closing import ClosingSource
from clvmodel.errors import InputError
from clvmodel.rfm import TIME_UNITS, check_not_in_future, day_number, observation_end_day
from clvmodel.value import observed_years

__all__ = [
    "ParquetLogSource",
    "RfmSource",
    "TransactionSource",
    "connect",
    "is_transaction_log",
    "open_transaction_log",
]


@dataclass
class TransactionSource(ClosingSource):
    """A transaction log in a file or database table, read by DuckDB.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` or ``.parquet`` file, a folder of Parquet files, a ``.duckdb`` database, or a
        ``postgresql://`` connection URI (with ``table`` or ``query``; credentials from the URI,
        the ``PG*`` environment variables or ``~/.pgpass``).
    customer_col, date_col, amount_col : str
        Column names; ``amount_col=None`` for a log without amounts.
    table : str, optional
        The table, when ``path`` is a DuckDB or PostgreSQL database.
    date_format : str, optional
        strftime pattern of text (or whole-number) dates and of a text ``observation_end``,
        e.g. ``"%d/%m/%Y"``; without it dates are read by the rules of
        :mod:`clvmodel._reading` (ISO, or ``NN/NN/YYYY`` when a value settles the order).
    observation_end : date-like, optional
        End of observation; defaults to the last valid purchase date (which must not be in the
        future).
    time_unit : {"W", "D"}
        Unit of recency and ``T``.
    connection : duckdb.DuckDBPyConnection, optional
        Defaults to :func:`connect`.
    drop_duplicates : bool
        Leave out rows that repeat another row exactly (counted by :meth:`counts` either way).
    query : str, optional
        A ``SELECT`` query to read instead of ``table``, when ``path`` is a PostgreSQL URI.
    pushdown : bool, optional
        PostgreSQL only: run the row checks and the RFM summary inside the server, so only
        aggregates cross the wire (True), or stream the rows into a local Parquet spool read by
        DuckDB (False). By default the server does it when the column types allow (integer or
        text ids, ``date``/``timestamp`` dates, numeric amounts, no ``date_format``).

    Notes
    -----
    Rows are read by the rules of :mod:`clvmodel._reading`, shared with :func:`clvmodel.rfm_summary`
    (ids normalised, ``"NaN"`` ids missing, dates read from the column's one format, amounts
    bounded). Each row is checked: a missing or fractional customer id, a missing or unparseable
    date or one before 1900, a missing, non-numeric, non-finite, negative or absurd (beyond
    ±1e12) amount, and a date after ``observation_end`` make it a rejected row with that reason
    (see :meth:`rejects`). Amounts written with a currency or a decimal comma raise an
    :class:`~clvmodel.InputError` naming the column (when the counts or the summary are taken).
    Days are calendar days as stored; zoned timestamps count on the wall clock of the zone a
    Parquet file records (as pandas reads them), in UTC where none is recorded (DuckDB, Postgres).

    From PostgreSQL, the checks and the summary run in the server in PostgreSQL's spelling of
    the same SQL (see ``pushdown``), or the three columns are streamed in Arrow batches into a
    temporary Parquet file (bounded memory; removed with the source) read by the rules above;
    either way every route rejects the same rows for the same reasons. ``customer_type`` records the
    customer column's PostgreSQL type (None for files), for writing scores back. The summary in
    the server reads one snapshot in one transaction, which holds a share lock on the tables
    read (``DROP`` or ``ALTER`` of them waits) until :meth:`close`: use the source in a ``with``
    block, which closes it.
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
    drop_duplicates: bool = False
    query: str | None = None
    pushdown: bool | None = None

    def __post_init__(self):
        _reading.check_date_format(self.date_format)
        if self.time_unit not in TIME_UNITS:
            raise InputError(f"time_unit={self.time_unit!r} is not supported; use 'D' or 'W'.")
        needed = {"customer": self.customer_col, "date": self.date_col, "amount": self.amount_col}
        needed = {role: name for role, name in needed.items() if name is not None}
        self.customer_type = self._pg = self._spool = self._what = self._usable = None
        self._own_connection = self.connection is None  # closed with the source
        self._rows = self._duplicates = self._inputs = None  # counts and inputs, taken once
        if is_postgres_uri(self.path):
            self._what = source_name(self.table)
            with one_catalog():  # describing, then reading: the type catalog read once
                self._pg = push_down(self, needed)
                if self._pg is not None:
                    self.customer_type, self.end = self._pg.customer_type, self._pg.end
                    return
                # Stream the needed columns into a Parquet spool; DuckDB reads it like any file.
                self._spool = PostgresSpool(
                    self.path, self.table, self.query, columns=list(needed.values()), needed=needed
                )
            self.customer_type = self._spool.types[self.customer_col]
            relation = relation_sql(self._spool.path)
        elif self.query is not None:
            raise InputError(
                "a query (--query) reads from a postgresql:// database; for a file leave it out."
            )
        else:
            relation = relation_sql(self.path, self.table)
        self.connection = self.connection or connect()
        if self.customer_type is None:
            attach_database(self.connection, self.path)
        columns = column_types(self.connection, relation)
        require_roles(columns, needed)
        self._build_views(relation, columns)

    def _build_views(self, relation: str, columns: dict[str, str]) -> None:
        con = self.connection
        self._date_days = create_typed_view(
            con, relation, columns, self.customer_col, self.date_col, self.amount_col,
            self.date_format,
        )  # fmt: skip
        if self.observation_end is None:
            latest = latest_usable_day(con, self.amount_col is not None)
            if latest is None:
                self._raise_nothing_valid()
            self.end = pd.Timestamp(latest)
            check_not_in_future(day_number(self.end), "observation_end=")
        else:
            self.end = pd.Timestamp(
                np.datetime64(observation_end_day(self.observation_end, self.date_format), "D")
            )
        create_checked_views(
            con, self.end, self.amount_col is not None, self.drop_duplicates, self.time_unit
        )

    def _raise_nothing_valid(self):
        """Say why no row can be used (a PostgreSQL source named as the pushdown route names it,
        by its URI without the password)."""
        where = f"{self._what} at {display(self.path)}" if self._what else None
        raise_nothing_usable(self.connection, where, getattr(self, "end", None), self.amount_col)

    def close(self) -> None:
        """End the PostgreSQL transaction (and its locks on the tables read), close the DuckDB
        connection the source opened itself (not one passed in), then remove the local copy of
        streamed rows, which it read. Leaving a ``with`` block closes the source."""
        if self._pg is not None:
            self._pg.close()
        if self._own_connection and self.connection is not None:
            self.connection.close()
        if self._spool is not None:
            self._spool.close()

    # ----------------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Rows and customers read, rejected rows, customers with at least one valid row, and
        exact duplicate rows among the valid ones (same customer, date as written and amount;
        0 without amounts, where they change nothing)."""
        if self._pg is not None:
            return self._pg.counts()
        duplicates = self._duplicates is None and self.amount_col is not None
        query = _reading_sql.log_counts_sql("clv_checked", duplicates)
        row = self.connection.execute(query).fetchall()[0]
        if row[5]:
            check_amount_column(self.connection, self.amount_col)
        if duplicates:
            self._duplicates = int(row[6])
        return _reading_sql.log_counts(row, self.duplicate_rows())

    def duplicate_rows(self) -> int:
        """Valid rows that repeat another valid row exactly (same customer, date as written and
        amount); they are left out of the summary with ``drop_duplicates=True``."""
        if self._pg is not None:
            return self._pg.duplicate_rows()
        if self.amount_col is None:
            return 0
        if self._duplicates is None:
            query = _reading_sql.duplicate_rows_sql("clv_checked")
            self._duplicates = int(self.connection.execute(query).fetchall()[0][0])
        return self._duplicates

    def row_counts(self) -> dict[str, int]:
        """Rows read and rejected (and the duplicates of :meth:`duplicate_rows`): one scan, no
        distinct count of the customers."""
        if self._pg is not None:
            return self._pg.row_counts()
        if self._rows is None:  # with the duplicates, which every command reports, in one scan
            duplicates = self._duplicates is None and self.amount_col is not None
            row = self.connection.execute(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE reason IS NOT NULL), "
                f"COUNT(*) FILTER (WHERE reason = '{_reading.BAD_AMOUNT}'), "
                f"{_reading_sql.DUPLICATE_ROWS if duplicates else 0} FROM clv_checked"
            ).fetchall()[0]
            if row[2]:
                check_amount_column(self.connection, self.amount_col)
            self._rows = {"rows": row[0], "rejected_rows": row[1]}
            if duplicates:
                self._duplicates = int(row[3])
        return dict(self._rows)

    def rejects(self, rejected_rows: int | None = None) -> pd.DataFrame:
        """Rejected rows: customer id, raw date, raw amount and the reason, plus one row per
        customer none of whose rows could be used (reason ``no valid transaction``).

        Pass ``rejected_rows`` from :meth:`row_counts` to skip the scan when it is 0.
        """
        if self._pg is not None:
            return self._pg.rejects(rejected_rows)
        if rejected_rows == 0:
            return _reading_sql.no_rejects()
        return self.connection.execute(
            """
            SELECT reject_id AS customer_id, raw_date AS date, raw_amount AS amount, reason
            FROM clv_checked WHERE reason IS NOT NULL
            UNION ALL
            SELECT customer_id, NULL, NULL, 'no valid transaction' FROM (
                SELECT MIN(reject_id) AS customer_id FROM clv_checked WHERE customer_id IS NOT NULL
                GROUP BY clv_checked.customer_id HAVING COUNT(*) FILTER (WHERE reason IS NULL) = 0
            )
            ORDER BY reason, customer_id, date, amount
            """
        ).df()

    def check_usable(self) -> dict[str, int]:
        """Raise when no row is usable or amounts are misspelt; else :meth:`counts` (taken once)."""
        if self._pg is not None:
            return self._pg.check_usable()
        if self._usable is None:
            counts = self.counts()
            if counts["valid_customers"] == 0:
                self._raise_nothing_valid()
            self._usable = counts
        return self._usable

    def _refuse_unusable(self) -> None:
        """The refusals of :meth:`check_usable` (no usable row, misspelt amounts), from the one
        scan of :meth:`row_counts` when the counts were not taken: no distinct count of the
        customers, which the summary does not need."""
        if self._pg is not None or self._usable is not None:
            self.check_usable()
            return
        counts = self.row_counts()
        if counts["rejected_rows"] == counts["rows"]:
            self._raise_nothing_valid()

    def rfm(self) -> pd.DataFrame:
        """The whole RFM summary as a DataFrame indexed by customer id (for moderate sizes)."""
        self._refuse_unusable()  # an error, not an empty or short table
        if self._pg is not None:
            return self._pg.rfm()
        frame = self.connection.execute(
            'SELECT customer_id, frequency, recency, "T", monetary_value FROM clv_rfm'
        ).df()
        return as_rfm_frame(frame, self.time_unit, self.amount_col is not None)

    def rfm_batches(self, batch_size: int = 500_000) -> Iterator[pd.DataFrame]:
        """The RFM summary in batches of customers, so memory stays bounded."""
        self._refuse_unusable()
        if self._pg is not None:
            yield from self._pg.rfm_batches(batch_size)
            return
        reader = arrow_reader(
            self.connection.sql(
                'SELECT customer_id, frequency, recency, "T", monetary_value FROM clv_rfm'
            ),
            batch_size,
        )
        for batch in reader:
            yield as_rfm_frame(batch.to_pandas(), self.time_unit, self.amount_col is not None)

    def distinct_histories(self) -> pd.DataFrame:
        """Distinct (frequency, recency, T) rows with the number of customers each stands for."""
        if self._pg is not None:
            return self._pg.distinct_histories()
        return self._fitting_inputs()[0].copy()

    def distinct_spends(self) -> pd.DataFrame:
        """Distinct (frequency, monetary_value) rows of repeat buyers, with customer counts."""
        if self._pg is not None:
            return self._pg.distinct_spends()
        return self._fitting_inputs()[1].copy()

    def naive_inputs(self) -> dict[str, float]:
        """Aggregates for the naive CLV formula: customers, orders (customer-days), revenue and
        the length of the observation period in years."""
        if self._pg is not None:
            return self._pg.naive_inputs()
        row = self._fitting_inputs()[2]
        return _rfm_sql.naive_inputs(row, observed_years(int(row[3]), day_number(self.end)))

    def _fitting_inputs(self):
        """Histories, spends and the naive totals, from one summary of the log (see
        :func:`clvmodel._rfm_sql.fitting_inputs_sql`)."""
        if self._inputs is None:
            frame = self.connection.execute(_rfm_sql.fitting_inputs_sql("clv_rfm")).df()
            self._inputs = _rfm_sql.split_fitting_inputs(frame, self.time_unit)
        return self._inputs


class ParquetLogSource(ClosingSource, CheckedParquetLog):
    """A Parquet log read without DuckDB: the methods of :class:`TransactionSource` with the same
    results (see :func:`open_transaction_log`)."""

    def naive_inputs(self) -> dict[str, float]:
        """As :meth:`TransactionSource.naive_inputs`."""
        customers, orders, revenue, first_day = self.naive_row()
        years = observed_years(first_day, day_number(self.end))
        return _rfm_sql.naive_inputs((customers, orders, revenue), years)


def open_transaction_log(path, connect_duckdb=connect, naive: bool = False, **options):
    """A transaction log read by the fastest route that gives the same results.

    A Parquet file (not a folder) with integer or text ids, dates or timestamps without a time
    zone, and integer or floating-point amounts, read without ``date_format``, ``table`` or the
    PostgreSQL options, is read by :class:`ParquetLogSource`: the three columns straight into
    numpy, each row checked by the rules of :class:`TransactionSource` (same reasons, same order
    of precedence) and summarised in numpy, several times faster. Anything else (CSV, text
    dates, folders, DuckDB tables, PostgreSQL, text ids the reading rules rewrite such as
    ``" 7"``, ``"7.0"`` or ``"NaN"``, no usable row) goes to :class:`TransactionSource`.

    Parameters
    ----------
    path : str or path-like
        As :class:`TransactionSource`.
    connect_duckdb : callable
        Makes the DuckDB connection when DuckDB reads the log.
    naive : bool
        Whether :meth:`~TransactionSource.naive_inputs` will be called (with
        ``drop_duplicates``, the fast route then totals the amounts without the copies).
    **options
        The other arguments of :class:`TransactionSource` (``connection`` excepted).

    Returns
    -------
    ParquetLogSource or TransactionSource
        Either closes in a ``with`` block (see :meth:`TransactionSource.close`).
    """
    plain = not any(options.get(k) for k in ("table", "query", "pushdown", "date_format"))
    location = Path("") if is_postgres_uri(path) else Path(path)
    if plain and location.suffix.lower() in (".parquet", ".pq") and location.is_file():
        fast = ParquetLogSource.open(
            location, options.get("customer_col", "customer_id"),
            options.get("date_col", "date"), options.get("amount_col", "amount"),
            options.get("observation_end"), options.get("time_unit", "W"),
            options.get("drop_duplicates", False), naive,
        )  # fmt: skip
        if fast is not None:
            return fast
    # The default makes a fresh connection, which the source then opens and closes itself;
    # another factory may hand out a connection its caller keeps using (the CLI's).
    connection = None if connect_duckdb is connect else connect_duckdb()
    return TransactionSource(path, connection=connection, **options)
