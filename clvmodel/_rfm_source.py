"""An RFM table (one row per customer) in a file, read by DuckDB in batches."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from clvmodel._duck import (
    arrow_reader,
    attach_database,
    column_types,
    connect,
    quote_name,
    relation_sql,
    settle_csv_dialect,
)
from clvmodel._duck_log import DUCKDB
from clvmodel._reading_sql import customer_id_kind
from clvmodel._reading_text import header_advice
from clvmodel._rfm_common import as_rfm_frame, time_unit_days
from clvmodel._rfm_sql import RFM_COLUMNS, rfm_id_sql, rfm_reject_reason, spend_sql
from clvmodel.errors import InputError

__all__ = [
    "RfmColumnsError",
    "RfmSource",
    "is_transaction_log",
    "nameless_first_column",
    "parquet_index_column",
    "require_rfm_columns",
]


def nameless_first_column(names, unnamed=()) -> str | None:
    """The first column when it has no name in the header, else None: where a CSV file written
    with its index (``clvmodel.rfm_summary(...).to_csv()``) holds the customer ids.

    Parameters
    ----------
    names : sequence of str
        The columns as read.
    unnamed : sequence of str
        The names a reader gave to columns with an empty header cell (DuckDB's ``column0``, see
        :class:`clvmodel._duck.Columns`); pandas' ``Unnamed: 0`` and an empty name count too.

    Returns
    -------
    str or None
    """
    names = list(names)
    if not names:
        return None
    first = names[0]
    nameless = first in unnamed or str(first).startswith("Unnamed") or str(first) == ""
    return first if nameless else None


def parquet_index_column(path) -> str | None:
    """The column in which pandas stored the index of a Parquet file, else None: where a table
    written with its index (``clvmodel.write_table(clvmodel.rfm_summary(...), "x.parquet")`` or
    ``DataFrame.to_parquet``) holds the customer ids.

    The column is the one the file's pandas metadata names in ``index_columns``:
    ``__index_level_0__`` for an unnamed index, else the index's name. A ``RangeIndex`` (stored
    as metadata, not as a column), an index of several levels, a file without pandas metadata
    and a file that is not Parquet give None. For a folder of Parquet files the first file's
    metadata counts.

    Parameters
    ----------
    path : str or path-like
        The input.

    Returns
    -------
    str or None
    """
    location = Path(path)
    if location.is_dir():
        location = next(iter(sorted(location.glob("*.parquet"))), location)
    if location.suffix.lower() not in (".parquet", ".pq") or not location.is_file():
        return None
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(location)
        pandas_metadata = json.loads((schema.metadata or {}).get(b"pandas", b"{}"))
    except (OSError, ValueError, TypeError):  # not readable as Parquet (pyarrow's errors)
        return None
    stored = [c for c in pandas_metadata.get("index_columns", []) if isinstance(c, str)]
    if len(stored) != 1 or stored[0] not in schema.names:
        return None
    return stored[0]


class RfmColumnsError(InputError):
    """An RFM table lacks its customer id column or an RFM column; ``missing`` names the absent
    columns and ``columns`` the table's columns as its file shows them, so that a caller can say
    what else the input may be (a transaction log whose date column was not found)."""

    def __init__(self, message: str, missing=(), columns=()):
        super().__init__(message)
        self.missing, self.columns = tuple(missing), tuple(columns)


def require_rfm_columns(columns, customer_col: str, values=(), label: str = "the RFM table"):
    """Refuse an RFM table without its customer id column or one of the RFM columns ``values``,
    naming only what an RFM table needs (not the date and amount columns of a log).

    Parameters
    ----------
    columns : sequence of str
        The table's columns; those of a :class:`clvmodel._duck.Columns` that have no name in a
        CSV file's header (``columns.unnamed``) are said to have none, and are not blamed when
        ``customer_col`` is one of them (the ids of a table written with its index).
    customer_col : str
        The customer id column (--customer-col).
    values : sequence of str
        The RFM columns needed (``frequency``, ``recency``, ``T`` [, ``monetary_value``]).
    label : str
        How the message names the table.

    Raises
    ------
    RfmColumnsError
        When a needed column is missing (an :class:`~clvmodel.errors.InputError`).
    """
    absent = [name for name in (customer_col, *values) if name not in columns]
    if not absent:
        return
    no_id = customer_col not in columns
    others = absent[no_id:]
    missing = [f"customer id column {customer_col!r}"] * no_id
    if others:
        missing.append(f"column{'s' * (len(others) > 1)} {', '.join(map(repr, others))}")
    advice = []
    if no_id:
        advice.append(
            "Name the customer id column with --customer-col (the ids are also found in a CSV "
            "file's first, nameless column and in the index pandas stores in a Parquet file)"
        )
    if others:
        advice.append(f"{'the' if advice else 'The'} RFM columns must be named {', '.join(values)}")
    unnamed = tuple(getattr(columns, "unnamed", ()))
    named = [str(name) for name in columns if name not in unnamed]
    shown = _columns_shown(columns, unnamed, customer_col)
    raise RfmColumnsError(
        f"{label} has no {' and no '.join(missing)}; {shown}. {'; '.join(advice)}."
        f"{header_advice(named)}",
        absent,
        named,
    )


def _columns_shown(columns, unnamed, customer_col: str) -> str:
    """The table's columns as its file shows them: those without a name in a CSV file's header
    by their position, not by the names DuckDB gives them (``column0``)."""
    named = [str(name) for name in columns if name not in unnamed]
    if not unnamed:
        return f"its columns are {named}"
    if customer_col in unnamed:  # the ids of a table written with its index
        return f"its columns are {named}, after the customer ids in a first, nameless column"
    positions = [str(list(columns).index(name) + 1) for name in unnamed]
    several = len(positions) > 1
    return (
        f"its named columns are {named}, and column{'s' * several} {' and '.join(positions)} "
        f"{'have' if several else 'has'} no name in the file's header"
    )


@dataclass
class RfmSource:
    """An RFM table (one row per customer) in a file, read by DuckDB in batches.

    Customer ids are read by the rules of transaction logs (:mod:`clvmodel._reading`): text
    trimmed, ``"7.0"`` as ``"7"``, whole-number floats as integers, so ``3`` and ``3.0`` are one
    customer (and, on two rows, a repeated id). Rows that cannot be scored get a reason (missing
    value, negative or fractional frequency, recency > T, a customer id on more than one row, a
    fractional id or a floating-point one too large to be exact, a repeat buyer with recency 0
    and, when ``time_unit`` gives the unit of recency as written, one with more repeat purchases
    than days in recency, ...) and go to :meth:`rejects`; the rest are yielded by
    :meth:`batches`. A ``monetary_value`` missing (empty, NULL, NaN) where frequency is 0 is read
    as 0, as :func:`clvmodel.rfm.validate_rfm` reads it (:func:`clvmodel._rfm_sql.spend_sql`).

    Without ``customer_col`` among the columns, a first column without a name holds the ids
    (:func:`nameless_first_column`), else the column in which pandas stored a Parquet file's
    index (:func:`parquet_index_column`). With ``monetary=False`` (models without a spend model)
    ``monetary_value`` is not read: the column may be absent or empty, and the batches and
    rejects have it empty.
    """

    path: str | os.PathLike
    customer_col: str = "customer_id"
    table: str | None = None
    connection: object = None
    #: The unit of recency and T in the file ("D" or "W"); None when unknown.
    time_unit: str | None = None
    #: Whether ``monetary_value`` is read (False for models without a spend model).
    monetary: bool = True

    def __post_init__(self):
        self.connection = self.connection or connect()
        attach_database(self.connection, self.path)
        relation = relation_sql(self.path, self.table)
        columns = column_types(self.connection, relation)
        if self.customer_col not in columns:
            unnamed = getattr(columns, "unnamed", ())
            found = nameless_first_column(columns, unnamed)
            if found is None and self.table is None:  # a Parquet file's index, as pandas reads it
                found = parquet_index_column(self.path)
            self.customer_col = found or self.customer_col
        values = RFM_COLUMNS if self.monetary else RFM_COLUMNS[:3]
        require_rfm_columns(columns, self.customer_col, values)
        casts = [f"TRY_CAST({quote_name(c)} AS DOUBLE) AS {quote_name(c)}" for c in values[:3]]
        if self.monetary:  # missing where frequency is 0 (no mean spend): 0, as validate_rfm
            spend, kind = quote_name("monetary_value"), customer_id_kind(columns["monetary_value"])
            frequency = f"TRY_CAST({quote_name('frequency')} AS DOUBLE)"
            casts.append(f"{spend_sql(spend, frequency, kind, DUCKDB)} AS monetary_value")
        else:  # 0 passes the checks of monetary_value; read back as NULL
            casts.append("CAST(0 AS DOUBLE) AS monetary_value")
        casts = ", ".join(casts)
        days = None if self.time_unit is None else time_unit_days(self.time_unit)
        reason = rfm_reject_reason(DUCKDB, "id_problem", days)
        kind = customer_id_kind(columns[self.customer_col])
        customer, shown, problem = rfm_id_sql(quote_name(self.customer_col), kind, DUCKDB)
        # shown_id: the id as the rejects list shows it (a fractional float as written).
        self.connection.execute(
            f"""
            CREATE OR REPLACE TEMP VIEW clv_rfm_input AS
            WITH typed AS (
                SELECT {customer} AS customer_id, {shown} AS shown_id,
                       {problem} AS id_problem, {casts}
                FROM {settle_csv_dialect(relation, columns)}
            ), repeated AS (
                SELECT customer_id, COUNT(*) AS id_rows FROM typed
                WHERE customer_id IS NOT NULL GROUP BY customer_id HAVING COUNT(*) > 1
            )
            SELECT typed.*,
                   CASE WHEN id_rows IS NOT NULL
                        THEN 'customer id appears on ' || id_rows || ' rows'
                        ELSE {reason} END AS reason
            FROM typed LEFT JOIN repeated USING (customer_id)
            """
        )

    def counts(self) -> dict[str, int]:
        """Rows (customers) read and rows rejected."""
        row = self.connection.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE reason IS NOT NULL) FROM clv_rfm_input"
        ).fetchall()[0]
        return {"rows": row[0], "rejected_rows": row[1]}

    def check_usable(self, label: str | None = None) -> dict[str, int]:
        """:meth:`counts`, or an error giving the reasons when no row can be scored.

        Parameters
        ----------
        label : str, optional
            How the message names the table (by default its path in quotes).

        Returns
        -------
        dict
            ``rows`` and ``rejected_rows``.
        """
        counts = self.counts()
        if counts["rows"] and counts["rejected_rows"] == counts["rows"]:
            reasons = self.connection.execute(
                "SELECT reason, COUNT(*) AS n, MIN(shown_id) FROM clv_rfm_input "
                "GROUP BY reason ORDER BY n DESC, reason"
            ).fetchall()
            listed = "; ".join(
                f"{n:,} {reason} (e.g. customer {first!r})" for reason, n, first in reasons[:5]
            )
            if len(reasons) > 5:  # the counts shown must add up to the rows
                others = sum(n for _, n, _ in reasons[5:])
                listed += f"; and {others:,} row(s) for {len(reasons) - 5:,} other reason(s)"
            raise InputError(
                f"none of the {counts['rows']:,} rows of {label or repr(os.fspath(self.path))} "
                f"can be scored: {listed}. Fix those values, or rebuild the table from the "
                "transaction log."
            )
        return counts

    def rejects(self) -> pd.DataFrame:
        """Rows that cannot be scored, with their values and the reason."""
        # Repeated ids: the values break the tie, so that every run lists them in one order.
        return self.connection.execute(
            f'SELECT shown_id AS customer_id, frequency, recency, "T", {self._monetary_sql}, '
            "reason FROM clv_rfm_input WHERE reason IS NOT NULL "
            'ORDER BY shown_id, reason, frequency, recency, "T", monetary_value'
        ).df()

    @property
    def _monetary_sql(self) -> str:
        return "monetary_value" if self.monetary else "CAST(NULL AS DOUBLE) AS monetary_value"

    def batches(self, batch_size: int = 500_000, time_unit: str | None = None, scale: float = 1.0):
        """The valid rows as RFM DataFrames of at most ``batch_size`` customers each, indexed by
        customer id; ``time_unit`` (the model's) is recorded in each frame's ``attrs``, and
        recency and T are multiplied by ``scale`` (7 for a table in weeks read in days)."""
        reader = arrow_reader(
            self.connection.sql(
                f"SELECT customer_id, frequency, recency * {float(scale)!r} AS recency, "
                f'"T" * {float(scale)!r} AS "T", {self._monetary_sql} '
                "FROM clv_rfm_input WHERE reason IS NULL"
            ),
            batch_size,
        )
        for batch in reader:
            # Without monetary_value the frames have none, as a log read without amounts.
            frame = as_rfm_frame(batch.to_pandas(), time_unit or "W", self.monetary)
            if time_unit is None:
                frame.attrs.pop("time_unit", None)
            yield frame


def is_transaction_log(path, date_col: str, table: str | None = None, connection=None) -> bool:
    """Whether a file looks like a transaction log (has the date column) rather than RFM rows.

    Parameters
    ----------
    path : str or path-like
        A CSV or Parquet file, a folder of them, or a DuckDB database file.
    date_col : str
        The transaction log's date column.
    table : str, optional
        The table to read in a DuckDB database file.
    connection : duckdb.DuckDBPyConnection, optional
        The connection to read with; the reader handed the same connection afterwards reuses
        what this learned of the file (a small CSV is sniffed once). Default: one of its own,
        closed on return.

    Returns
    -------
    bool
    """
    own = connection is None
    connection = connect() if own else connection
    try:
        attach_database(connection, path)
        columns = column_types(connection, relation_sql(path, table))
    finally:
        if own:
            connection.close()
    return date_col in columns and not set(RFM_COLUMNS) <= set(columns)
