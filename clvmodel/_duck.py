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


def _arrow_reader(relation, batch_size: int):
    """A record-batch reader of a DuckDB relation: ``to_arrow_reader`` (DuckDB ≥ 1.1) or
    ``fetch_arrow_reader`` (DuckDB 1.0, the supported floor)."""
    reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
    return reader(batch_size)


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
