"""DuckDB plumbing shared by the transaction and RFM readers: connections, relations, columns."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from clvmodel.errors import InputError


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


def quote_name(name: str) -> str:
    """A column or table name quoted for DuckDB SQL."""
    return '"' + str(name).replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """A text quoted as a DuckDB SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def relation_sql(path: str | os.PathLike, table: str | None = None) -> str:
    """SQL for reading a CSV or Parquet file, or a table of a DuckDB database file."""
    location = Path(path)
    suffix = location.suffix.lower()
    if suffix in (".duckdb", ".db"):
        if not location.is_file():
            raise InputError(f"database file {str(location)!r} does not exist.")
        if not table:
            raise InputError(f"{str(location)!r} is a DuckDB database: name the table to read.")
        return f"source_db.{quote_name(table)}"
    if not location.exists():
        raise InputError(f"input {str(location)!r} does not exist.")
    if suffix == ".csv":
        return f"read_csv({sql_literal(str(location))}, all_varchar = true, header = true)"
    if suffix in (".parquet", ".pq") or location.is_dir():
        target = str(location / "*.parquet") if location.is_dir() else str(location)
        return f"read_parquet({sql_literal(target)})"
    raise InputError(
        f"cannot tell the format of {str(location)!r}: use .csv, .parquet (or a folder of them), "
        "or a .duckdb database with a table name."
    )


def attach_database(connection, path) -> None:
    """Attach a DuckDB database file read-only as ``source_db`` (other paths: nothing to do)."""
    location = Path(path)
    if location.suffix.lower() in (".duckdb", ".db"):
        connection.execute(f"ATTACH {sql_literal(str(location))} AS source_db (READ_ONLY)")


def column_types(connection, relation: str) -> dict[str, str]:
    """Column name → DuckDB type of ``relation``; an unreadable input is an InputError."""
    try:
        described = connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    except Exception as exc:  # duckdb raises its own error types for unreadable files
        raise InputError(f"cannot read the input: {str(exc).splitlines()[0]}") from None
    return {row[0]: row[1] for row in described}


def require_roles(columns: dict[str, str], needed: dict[str, str]) -> None:
    """Refuse an input without the columns ``needed`` (role → column name), listing its own."""
    missing = [f"{role} column {name!r}" for role, name in needed.items() if name not in columns]
    if missing:
        raise InputError(
            f"the input has no {', '.join(missing)}; its columns are {list(columns)}. Name the "
            "right ones with --customer-col, --date-col and --amount-col."
        )


def arrow_reader(relation, batch_size: int):
    """A record-batch reader of a DuckDB relation: ``to_arrow_reader`` (DuckDB ≥ 1.1) or
    ``fetch_arrow_reader`` (DuckDB 1.0, the supported floor)."""
    reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
    return reader(batch_size)


def as_rfm_frame(frame: pd.DataFrame, time_unit: str, with_amount: bool) -> pd.DataFrame:
    """RFM rows read from SQL as the DataFrame :func:`clvmodel.rfm_summary` returns: indexed by
    customer id, integer frequency, float times, ``time_unit`` in ``attrs``."""
    frame = frame.set_index("customer_id")
    frame.index.name = None
    frame["frequency"] = frame["frequency"].astype("int64")
    for column in ("recency", "T", "monetary_value"):
        frame[column] = frame[column].astype("float64")
    if not with_amount:
        frame = frame.drop(columns="monetary_value")
    frame.attrs["time_unit"] = time_unit
    return frame
