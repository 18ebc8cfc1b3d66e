"""Writing tables into PostgreSQL atomically: staged, then swapped in inside one transaction.

Everything happens in ONE transaction: each new table is created under a staging name with
explicit column types, filled batch by batch with binary ``COPY`` (ADBC), and only then renamed
onto its target (the previous table dropped in the same transaction, with ``--if-exists
replace``). Until the commit, other sessions see the previous tables; after it, the new ones; never
a mix, and several tables (scores and their rejects) change together. A failure, an interruption
or a lost connection before the commit rolls everything back on the server, so the previous
tables are untouched and no staging table is left behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from clvmodel._postgres_connect import (
    connect,
    display,
    is_postgres_uri,
    quote_name,
    translate_error,
)
from clvmodel.errors import InputError

__all__ = [
    "IF_EXISTS",
    "TableSpec",
    "check_targets",
    "postgres_type",
    "refuse_input_target",
    "write_tables",
]

#: What to do when a target table exists: refuse (the default), swap in the new one, add rows.
IF_EXISTS = ("fail", "replace", "append")

#: How long the swap may wait for other sessions' locks on the targets before giving up.
LOCK_TIMEOUT_SECONDS = 120
_INTEGERS = {"smallint": "int16", "integer": "int32", "bigint": "int64"}
_TEXTS = ("text", "character varying", "character", "varchar", "char", "bpchar")


@dataclass
class TableSpec:
    """A table to write: its name, its columns as (name, PostgreSQL type), and its rows as an
    iterable of Arrow tables or record batches (consumed once, inside the transaction)."""

    name: str
    columns: list[tuple[str, str]]
    batches: Iterable = field(default_factory=list)


def postgres_type(arrow_type, declared: str | None = None) -> str:
    """The column type for an Arrow type: ``declared`` (e.g. the source's customer-id type) when
    the values fit it, otherwise the natural PostgreSQL type."""
    import pyarrow as pa

    if declared is not None:
        base = declared.split("(")[0].strip().lower()
        if pa.types.is_integer(arrow_type) and base in _INTEGERS:
            return declared
        if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
            if base in _TEXTS:
                return declared
    if pa.types.is_int16(arrow_type) or pa.types.is_int8(arrow_type):
        return "smallint"
    if pa.types.is_int32(arrow_type):
        return "integer"
    if pa.types.is_integer(arrow_type):
        return "bigint"
    if pa.types.is_floating(arrow_type):
        return "double precision"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp with time zone" if arrow_type.tz else "timestamp without time zone"
    return "text"


def _arrow_type(pg_type: str):
    """The Arrow type whose binary COPY form a column of ``pg_type`` accepts."""
    import pyarrow as pa

    base = pg_type.split("(")[0].strip().lower()
    if base in _INTEGERS:
        return getattr(pa, _INTEGERS[base])()
    if base in ("double precision", "real", "numeric"):
        return pa.float64() if base != "real" else pa.float32()
    if base == "boolean":
        return pa.bool_()
    if base == "date":
        return pa.date32()
    if base.startswith("timestamp"):
        return pa.timestamp("us", tz="UTC" if "with time zone" in base else None)
    return pa.string()


def _split(name: str) -> tuple[str | None, str]:
    if '"' in name or "." not in name:
        return None, name.strip('"')
    schema, _, table = name.rpartition(".")
    return schema, table


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _staging_name(target: str) -> str:
    # A name no other run uses at the same time; identifiers are at most 63 bytes.
    return f"{target[:40]}__clv_staging_{os.getpid()}"


def _exists(cursor, name: str) -> bool:
    literal = quote_name(name).replace("'", "''")
    cursor.execute(f"SELECT to_regclass('{literal}') IS NOT NULL")
    return bool(cursor.fetchall()[0][0])


def _existing_columns(cursor, name: str) -> dict[str, str]:
    literal = quote_name(name).replace("'", "''")
    cursor.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        f"WHERE attrelid = '{literal}'::regclass AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum"
    )
    return dict(cursor.fetchall())


def check_targets(uri: str, names: list[str], if_exists: str = "fail") -> None:
    """Before any work: reach the server and, with ``if_exists="fail"``, refuse targets that
    exist (:func:`write_tables` checks again inside its transaction)."""
    if if_exists not in IF_EXISTS:
        raise InputError(f"--if-exists {if_exists!r} is not one of {', '.join(IF_EXISTS)}.")
    connection = connect(uri)
    cursor = connection.cursor()
    try:
        for name in names:
            exists = _exists(cursor, name)
            if exists and if_exists == "fail":
                raise _exists_error(name, uri)
            if exists and if_exists == "append":
                continue  # rows go into the table itself: no new table to create
            schema, _ = _split(name)
            where = "current_schema()" if schema is None else _literal(schema)
            cursor.execute(f"SELECT {where}, current_user, has_schema_privilege({where}, 'CREATE')")
            schema_name, user, allowed = cursor.fetchall()[0]
            if not allowed:
                raise InputError(
                    f"cannot write to {display(uri)}: permission denied for schema {schema_name} "
                    f"(user {user} may not create tables there). Ask the database owner for "
                    "CREATE on it, or name a table in a schema you own (schema.table)."
                )
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - driver errors become one InputError
        raise translate_error(exc, uri, "write to") from None
    finally:
        cursor.close()
        connection.close()


def refuse_input_target(uri: str, targets: dict[str, str], input_uri, input_table) -> None:
    """Before any work: refuse a target table that is the input table.

    Parameters
    ----------
    uri : str
        ``postgresql://`` URI of the output.
    targets : dict
        Option (e.g. ``"--output-table"``) → table name, as the command will write it.
    input_uri : str
        The input (a path or a ``postgresql://`` URI).
    input_table : str or None
        The input table (None for a query or a file).

    Raises
    ------
    InputError
        A target is the input table: spelled the same, or resolved by the server (its
        ``search_path``, quoting, schema) to the same relation of the same database.
    """
    if not (input_table and is_postgres_uri(input_uri)):
        return
    for option, name in targets.items():
        if name == input_table and display(input_uri) == display(uri):
            raise _input_error(option, name, input_table)
    database, (source,) = _resolve(input_uri, [input_table], "read from")
    if source is None:
        return  # no such input table: reading it says so
    target_database, oids = _resolve(uri, list(targets.values()), "write to")
    if target_database != database:
        return
    for (option, name), oid in zip(targets.items(), oids, strict=True):
        if oid == source:
            raise _input_error(option, name, input_table)


def _input_error(option: str, name: str, input_table: str) -> InputError:
    return InputError(
        f"{option} {name} is the input table {input_table}; writing it would destroy the "
        "input. Give another name."
    )


def _resolve(uri: str, names: list[str], doing: str) -> tuple[tuple, list]:
    """(server and database identity, the oid each name resolves to there or None), as the
    server reads the names the commands write (quoted part by part, its search_path)."""
    connection = connect(uri)
    cursor = connection.cursor()
    try:
        cursor.execute(
            "SELECT pg_postmaster_start_time()::text, current_setting('port'), "
            "(SELECT oid FROM pg_database WHERE datname = current_database())::bigint"
        )
        database = tuple(cursor.fetchall()[0])
        oids = []
        for name in names:
            cursor.execute(f"SELECT to_regclass({_literal(quote_name(name))})::oid::bigint")
            oids.append(cursor.fetchall()[0][0])
        return database, oids
    except Exception as exc:  # noqa: BLE001 - driver errors become one InputError
        raise translate_error(exc, uri, doing) from None
    finally:
        cursor.close()
        connection.close()


def _exists_error(name: str, uri: str) -> InputError:
    return InputError(
        f"table {name!r} already exists in {display(uri)}; pass --if-exists replace to swap in "
        "the new table atomically, or --if-exists append to add the rows (if_exists= in Python)."
    )


def _plans(cursor, tables: list[TableSpec], if_exists: str, uri: str) -> list[tuple]:
    """For each table: (spec, table to copy into, columns, staged?, target exists? — "refill"
    for a plain table with the same columns). Appends go straight into the target; new and
    replaced tables into a staging table put in place later (:func:`_swap_in`)."""
    plans = []
    for spec in tables:
        exists = _exists(cursor, spec.name)
        if exists and if_exists == "fail":
            raise _exists_error(spec.name, uri)
        if exists and if_exists == "append":
            present = _existing_columns(cursor, spec.name)
            missing = [c for c, _ in spec.columns if c not in present]
            if missing:
                raise InputError(
                    f"cannot append to table {spec.name!r} in {display(uri)}: it has no column "
                    f"{', '.join(map(repr, missing))}; its columns are {list(present)}. "
                    "Use --if-exists replace, or another --output-table."
                )
            columns = [(c, present[c]) for c, _ in spec.columns]
            plans.append((spec, _split(spec.name)[1], columns, False, False))
        else:
            staging = _staging_name(_split(spec.name)[1])
            refill = exists and _same_table(cursor, spec.name, spec.columns)
            plans.append((spec, staging, spec.columns, True, "refill" if refill else exists))
    return plans


def _same_table(cursor, name: str, columns: list[tuple[str, str]]) -> bool:
    """Whether ``name`` is a plain table with exactly these columns and types."""
    literal = quote_name(name).replace("'", "''")
    cursor.execute(f"SELECT relkind FROM pg_class WHERE oid = '{literal}'::regclass")
    if cursor.fetchall()[0][0] != "r":
        return False
    present = {c: t.lower() for c, t in _existing_columns(cursor, name).items()}
    return present == {c: t.lower() for c, t in columns}


def _swap_in(cursor, spec: TableSpec, staging: str, columns, exists) -> None:
    """Put the staged rows in place of ``spec.name``, inside the caller's transaction.

    A table with the same columns is emptied and refilled (DELETE + INSERT): that is MVCC-safe, so
    a reader whose statement began before the commit still sees the old rows. Dropping it and
    renaming the staging table in its place would let such a reader, which took its snapshot
    before waiting for the lock, find the new table with none of its rows visible: an empty
    table. Renaming is kept for a new table or one whose columns change.
    """
    if exists == "refill":
        names = ", ".join(quote_name_part(c) for c, _ in columns)
        cursor.execute(f"DELETE FROM {quote_name(spec.name)}")
        target, source = quote_name(spec.name), quote_name(staging)
        cursor.execute(f"INSERT INTO {target} ({names}) SELECT {names} FROM {source}")
        cursor.execute(f"DROP TABLE {quote_name(staging)}")
        return
    if exists:
        cursor.execute(f"DROP TABLE {quote_name(spec.name)}")
    _, base = _split(spec.name)
    cursor.execute(f"ALTER TABLE {quote_name(staging)} RENAME TO {quote_name_part(base)}")


def write_tables(uri: str, tables: list[TableSpec], if_exists: str = "fail") -> dict[str, int]:
    """Write ``tables`` into the database at ``uri`` as one unit.

    Parameters
    ----------
    uri : str
        ``postgresql://`` connection URI.
    tables : list of TableSpec
        The tables, each with explicit column types.
    if_exists : {"fail", "replace", "append"}
        When a target exists: raise before any work (the default); replace it atomically; or
        add the rows to it (its columns must have the same names).

    Returns
    -------
    dict
        Table name → rows written.

    Raises
    ------
    InputError
        A target exists (``fail``), an appended table lacks a column, or the server refused or
        lost the connection; then no table was changed.
    """
    if if_exists not in IF_EXISTS:
        raise InputError(f"--if-exists {if_exists!r} is not one of {', '.join(IF_EXISTS)}.")
    connection = connect(uri)
    cursor = connection.cursor()
    doing = "write to"
    try:
        plans = _plans(cursor, tables, if_exists, uri)
        # A reader holding a target (a long query) delays the swap; give up rather than hang.
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_SECONDS}s'")
        counts = {}
        for spec, target, columns, staged, _ in plans:
            if staged:
                schema, _ = _split(spec.name)
                staging = target if schema is None else f"{schema}.{target}"
                definition = ", ".join(f"{quote_name_part(c)} {t}" for c, t in columns)
                cursor.execute(f"CREATE TABLE {quote_name(staging)} ({definition})")
            counts[spec.name] = _copy_in(cursor, spec, target, columns)
        doing = "replace tables in"
        for spec, target, columns, staged, exists in plans:
            if staged:
                schema, _ = _split(spec.name)
                staging = target if schema is None else f"{schema}.{target}"
                _swap_in(cursor, spec, staging, columns, exists)
        connection.commit()
        return counts
    except InputError:
        _rollback(connection)
        raise
    except Exception as exc:  # noqa: BLE001 - driver errors become one InputError
        _rollback(connection)
        if type(exc).__module__.startswith(("adbc", "pyarrow")) or "SQLSTATE" in str(exc):
            raise translate_error(exc, uri, doing) from None
        raise
    except BaseException:
        _rollback(connection)
        raise
    finally:
        try:
            cursor.close()
        finally:
            connection.close()


def quote_name_part(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _copy_in(cursor, spec: TableSpec, target: str, columns: list[tuple[str, str]]) -> int:
    """COPY every batch of ``spec`` into ``target``, cast to the columns' types; rows written."""
    import pyarrow as pa

    schema_name, _ = _split(spec.name)
    schema = pa.schema([(name, _arrow_type(pg)) for name, pg in columns])
    rows = 0
    for batch in spec.batches:
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        table = table.select([name for name, _ in columns]).cast(schema)
        if table.num_rows:
            cursor.adbc_ingest(target, table, mode="append", db_schema_name=schema_name)
        rows += table.num_rows
    return rows


def _rollback(connection) -> None:
    try:
        connection.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone; the server rolls back then
        pass
