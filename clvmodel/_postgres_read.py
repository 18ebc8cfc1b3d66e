"""Reading a PostgreSQL table or query: its columns, and its rows streamed as Arrow batches.

When the summary cannot (or should not) run inside PostgreSQL (:mod:`clvmodel._postgres_rfm`),
the rows of the columns a command needs are streamed from the server in Arrow record batches
(ADBC, binary ``COPY`` underneath) and written batch by batch into a Parquet file in a temporary
folder (a *spool*), so memory stays bounded whatever the table's size. DuckDB then reads the spool
by exactly the rules it applies to a Parquet file: the same row checks, the same reject reasons,
the same RFM SQL (see :mod:`clvmodel.engine`). The spool is removed when the object that owns it
is closed or collected, and at exit.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from clvmodel._column_advice import ROLE_OPTIONS, missing_columns_advice
from clvmodel._postgres_connect import connect, display, quote_name, translate_error
from clvmodel.errors import InputError

__all__ = [
    "PostgresSpool",
    "describe",
    "describe_source",
    "read_frame",
    "relation_sql",
    "source_name",
]


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def relation_sql(table: str | None, query: str | None) -> str:
    """The FROM item of a table name or of a query (as a sub-query)."""
    if (table is None) == (query is None):
        raise InputError(
            "a postgresql:// input needs exactly one of --table NAME or --query 'SELECT ...' "
            "(table= or query= in Python)."
        )
    if table is not None:
        return quote_name(table)
    # The newline ends a trailing "-- comment" before the closing parenthesis.
    return f"({query.strip().rstrip(';')}\n) AS clv_query"


def source_name(table: str | None) -> str:
    """How messages name what is read: ``table 'sales'``, or ``the query`` (no table)."""
    return f"table {table!r}" if table is not None else "the query"


def describe(connection, uri: str, table: str | None, query: str | None) -> dict[str, str]:
    """Column name → PostgreSQL type (``format_type`` spelling, e.g. ``character varying(20)``)
    of a table or query; a missing table raises an error naming the tables that exist."""
    cursor = connection.cursor()
    try:
        if table is not None:
            cursor.execute(f"SELECT to_regclass({_literal(quote_name(table))})::oid")
            oid = cursor.fetchall()[0][0]
            if oid is None:
                cursor.execute(
                    "SELECT table_schema, table_name FROM information_schema.tables "
                    "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                    "ORDER BY 1, 2 LIMIT 30"
                )
                names = [n if s == "public" else f"{s}.{n}" for s, n in cursor.fetchall()]
                raise InputError(
                    f"{display(uri)} has no table {table!r}; the tables you can see there are "
                    f"{names}. Name one with --table (schema.table for another schema)."
                )
            cursor.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                f"WHERE attrelid = {int(oid)} AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
            )
            columns = dict(cursor.fetchall())
            # Reading the table is checked now, so a missing privilege fails before any work;
            # SELECT granted on some columns only (the others hidden) is enough for those.
            cursor.execute(f"SELECT has_any_column_privilege({int(oid)}, 'SELECT')")
            if not cursor.fetchall()[0][0]:
                cursor.execute(f"SELECT * FROM {relation_sql(table, None)} LIMIT 0")
                cursor.fetchall()
            return columns
        cursor.execute(f"SELECT * FROM {relation_sql(None, query)} LIMIT 0")
        schema = cursor.fetch_arrow_table().schema
        return {field.name: _postgres_type(field) for field in schema}
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - driver errors become one InputError
        raise translate_error(exc, uri, f"read {source_name(table)} from") from None
    finally:
        cursor.close()


def _postgres_type(field) -> str:
    """The PostgreSQL type a query column (an Arrow field) came from (near enough)."""
    import pyarrow as pa

    declared = (field.metadata or {}).get(b"POSTGRESQL:type")
    if declared in (b"money", b"_money"):
        # read as whole cents: cast to numeric when read (_read_sql)
        return "money" if declared == b"money" else "money[]"
    arrow_type = field.type
    # The driver hands numeric over as text in an "opaque" extension type, or as a decimal.
    if declared == b"numeric" or getattr(arrow_type, "type_name", None) == "numeric":
        return "numeric"
    if pa.types.is_decimal(arrow_type):
        return "numeric"
    for check, name in (
        (pa.types.is_int16, "smallint"),
        (pa.types.is_int32, "integer"),
        (pa.types.is_int64, "bigint"),
        (pa.types.is_float32, "real"),
        (pa.types.is_float64, "double precision"),
        (pa.types.is_string, "text"),
        (pa.types.is_large_string, "text"),
        (pa.types.is_date, "date"),
        (pa.types.is_boolean, "boolean"),
    ):
        if check(arrow_type):
            return name
    if pa.types.is_timestamp(arrow_type):
        return "timestamp with time zone" if arrow_type.tz else "timestamp without time zone"
    return "text"


def require_columns(
    columns: dict[str, str], needed: dict[str, str], where: str, advice: str | None = None
) -> None:
    """Raise when a needed column (role → name) is missing, listing the columns that exist and
    what to do: ``advice``, or the options of the missing roles only."""
    absent = {role: name for role, name in needed.items() if name not in columns}
    if absent:
        missing = ", ".join(
            f"{role} column {name!r}"
            if role in ROLE_OPTIONS or role != name
            else f"column {name!r}"
            for role, name in absent.items()
        )
        advice = missing_columns_advice(absent, columns, postgres=True, advice=advice)
        raise InputError(
            f"{where} has no {missing}; its columns are {list(columns)}. {advice}".rstrip()
        )


class PostgresSpool:
    """The chosen columns of a PostgreSQL table or query, streamed into a Parquet file.

    Parameters
    ----------
    uri : str
        ``postgresql://`` connection URI (credentials may come from ``PG*`` variables or
        ``~/.pgpass`` instead).
    table, query : str, optional
        Exactly one: a table name (``schema.table`` allowed) or a ``SELECT`` query.
    columns : sequence of str, optional
        Columns to read (default: all); checked against the table first.
    needed : dict, optional
        Role → column name, checked with :func:`require_columns` before anything is read.
    advice : str, optional
        What to do when a needed column is missing (default: the options naming its role).

    Attributes
    ----------
    path : pathlib.Path
        The Parquet file, valid until :meth:`close`.
    types : dict
        Column → PostgreSQL type of every column of the table or query.
    """

    def __init__(
        self,
        uri: str,
        table: str | None = None,
        query: str | None = None,
        columns: Sequence[str] | None = None,
        needed: dict[str, str] | None = None,
        batch_rows: int = 250_000,
        advice: str | None = None,
    ):
        self.uri, self.table, self.query = uri, table, query
        relation = relation_sql(table, query)
        connection = connect(uri)
        try:
            self.types = describe(connection, uri, table, query)
            where = f"{source_name(table)} at {display(uri)}"
            if needed:
                require_columns(self.types, needed, where, advice)
            chosen = list(dict.fromkeys(columns)) if columns else list(self.types)
            folder = tempfile.mkdtemp(prefix="clvmodel-pg-")
            self._finalizer = weakref.finalize(self, shutil.rmtree, folder, True)
            self.path = Path(folder) / "rows.parquet"
            self._stream(connection, relation, chosen, batch_rows)
        finally:
            connection.close()

    def _stream(self, connection, relation: str, chosen: list[str], batch_rows: int) -> None:
        import pyarrow.parquet as pq

        cursor = connection.cursor()
        writer = None
        try:
            select = [_read_sql(c, self.types.get(c, "")) for c in chosen]
            cursor.execute(f"SELECT {', '.join(select)} FROM {relation} LIMIT 0")
            probe = cursor.fetch_arrow_table().schema
            select = [_as_text(field, sql) for field, sql in zip(probe, select, strict=True)]
            cursor.execute(f"SELECT {', '.join(select)} FROM {relation}")
            reader = cursor.fetch_record_batch()
            for batch in reader:
                if writer is None:
                    writer = pq.ParquetWriter(self.path, batch.schema, compression="snappy")
                writer.write_batch(batch, row_group_size=batch_rows)
            if writer is None:
                writer = pq.ParquetWriter(self.path, reader.schema)
        except Exception as exc:  # noqa: BLE001 - driver errors become one InputError
            self.close()
            raise translate_error(exc, self.uri, f"read {source_name(self.table)} from") from None
        except BaseException:
            self.close()
            raise
        finally:
            if writer is not None:
                writer.close()
            cursor.close()

    def close(self) -> None:
        """Remove the spool."""
        self._finalizer()


def quote_name_part(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def base_type(pg_type: str) -> str:
    """A PostgreSQL type name without its modifiers, lower case (``numeric(10,2)`` → numeric,
    ``timestamp(3) with time zone`` → timestamp with time zone)."""
    return " ".join(re.sub(r"\([^)]*\)", " ", pg_type).split()).lower()


def _read_sql(column: str, pg_type: str) -> str:
    """How a column is read into the spool: ``money`` as numeric (its binary form is whole
    cents), an infinite date or timestamp as NULL (an unparseable date, as in a CSV file)."""
    name, base = quote_name_part(column), base_type(pg_type)
    if base in ("money", "money[]"):
        return f"CAST({name} AS NUMERIC{base[5:]}) AS {name}"
    if base == "date" or (base.startswith("timestamp") and not base.endswith("[]")):
        return f"CASE WHEN isfinite({name}) THEN {name} END AS {name}"
    return name


def _as_text(field, sql: str) -> str:
    """``sql``, the expression a column is read by, cast to text (an array to text[]) when the
    driver hands its values over as raw binary wire bytes (inet, timetz, ranges, ...) or as an
    interval, which a Parquet file cannot hold."""
    import pyarrow as pa

    arrow_type, array = field.type, ""
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        arrow_type, array = arrow_type.value_type, "[]"
    storage = getattr(arrow_type, "storage_type", None)
    opaque = storage is not None and (
        pa.types.is_binary(storage) or pa.types.is_large_binary(storage)
    )
    if not (opaque or pa.types.is_interval(arrow_type)):
        return sql
    name = quote_name_part(field.name)
    return f"CAST({name} AS TEXT{array}) AS {name}"


def read_frame(
    uri: str,
    table: str | None = None,
    query: str | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A whole table or query as a DataFrame (for the commands that read into memory)."""
    import pyarrow.parquet as pq

    needed = {c: c for c in columns} if columns else None
    advice = "Give columns= names from that list."
    spool = PostgresSpool(uri, table, query, columns=columns, needed=needed, advice=advice)
    try:
        arrow = pq.read_table(spool.path)
    finally:
        spool.close()
    frame = arrow.to_pandas()
    # An integer column holding a NULL as nullable integers, as read from a Parquet file:
    # pandas' float64 would round ids above 2**53 and show every id as 7.0.
    for name in arrow.column_names:
        dtype = nullable_integer(arrow.schema.field(name).type)
        if dtype is not None and arrow.column(name).null_count:
            frame[name] = arrow.column(name).to_pandas(types_mapper=nullable_integer).array
    return frame


def nullable_integer(arrow_type):
    """pandas' nullable integer dtype for an Arrow integer type, None for other types (a
    ``types_mapper`` for Arrow's ``to_pandas``)."""
    import pyarrow as pa

    if not pa.types.is_integer(arrow_type):
        return None
    return pd.api.types.pandas_dtype(str(arrow_type).replace("int", "Int").replace("uInt", "UInt"))


def describe_source(uri: str, table: str | None = None, query: str | None = None) -> dict:
    """Column name → PostgreSQL type of a table or query, on a connection of its own."""
    relation_sql(table, query)  # exactly one of them
    connection = connect(uri)
    try:
        return describe(connection, uri, table, query)
    finally:
        connection.close()
