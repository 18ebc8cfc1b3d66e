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

import contextlib
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from clvmodel._postgres_connect import connect, display, translate_error
from clvmodel._postgres_read import quote_name_part
from clvmodel.errors import InputError

__all__ = [
    "IF_EXISTS",
    "TableSpec",
    "check_targets",
    "name_parts",
    "postgres_type",
    "sql_literal",
    "write_tables",
]

#: What to do when a target table exists: refuse (the default), swap in the new one, add rows.
IF_EXISTS = ("fail", "replace", "append")

#: How long the swap may wait for other sessions' locks on the targets before giving up.
LOCK_TIMEOUT_SECONDS = 120
_INTEGERS = {"smallint": "int16", "integer": "int32", "bigint": "int64"}
_TEXTS = ("text", "character varying", "character", "varchar", "char", "bpchar")
_TOKEN = re.compile(r'"((?:[^"]|"")*)"|([^".]+)|(\.)')  # a quoted part, an unquoted one, a dot


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


def name_parts(name: str) -> list[str]:
    """A table name's ``[table]`` or ``[schema, table]`` as PostgreSQL reads them: split at dots
    outside double quotes; a quoted part keeps its case, dots and spaces (``""`` is a quote),
    unquoted parts of such a name fold to lower case; a name without quotes is taken as written.
    ``"T"_rejects`` (a default rejects name) reads ``T_rejects``.

    Raises
    ------
    InputError
        A misplaced quote, an empty part, more than two parts, a part over 63 bytes.
    """
    parts, pos = [""], 0
    for match in _TOKEN.finditer(name) if '"' in name else ():
        if match.start() != pos:
            break
        quoted, plain, dot = match.groups()
        pos = match.end()
        if dot:
            parts.append("")
        else:
            parts[-1] += plain.lower() if plain is not None else quoted.replace('""', '"')
    if '"' not in name:
        parts = name.split(".")
    elif pos != len(name):
        raise InputError(f"table name {name!r} has an unclosed or misplaced double quote.")
    if len(parts) > 2 or not all(p.strip() for p in parts):
        raise InputError(f"table name {name!r} is not table or schema.table.")
    if any(len(part.encode()) > 63 for part in parts):
        raise InputError(
            f"table name {name!r} is longer than PostgreSQL's 63-byte limit for a name (the "
            "server would silently shorten it); give a shorter name."
        )
    return parts


def quote_name(name: str) -> str:
    """A table name as SQL, quoted part by part (see :func:`name_parts`)."""
    return ".".join(quote_name_part(p) for p in name_parts(name))


def _split(name: str) -> tuple[str | None, str]:
    return tuple([None, *name_parts(name)][-2:])


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal (quotes doubled)."""
    return "'" + str(text).replace("'", "''") + "'"


def _staging_name(target: str) -> str:
    # Unique per target (a hash of its full name) and run, within the 63-byte identifiers.
    suffix = f"__clv_staging_{hashlib.sha1(target.encode()).hexdigest()[:10]}_{os.getpid()}"
    return _split(target)[1].encode()[: 63 - len(suffix)].decode(errors="ignore") + suffix


def _qualified(name: str, table: str) -> str:
    """SQL for ``table`` in the schema of ``name``."""
    return ".".join(quote_name_part(p) for p in (_split(name)[0], table) if p is not None)


def _exists(cursor, name: str) -> bool:
    cursor.execute(f"SELECT to_regclass({sql_literal(quote_name(name))}) IS NOT NULL")
    return bool(cursor.fetchall()[0][0])


def _existing_columns(cursor, name: str) -> dict[str, str]:
    cursor.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
        f"{sql_literal(quote_name(name))}::regclass AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum"
    )
    return dict(cursor.fetchall())


def check_targets(uri: str, names: list[str], if_exists: str = "fail") -> None:
    """Before any work: reach the server and, with ``if_exists="fail"``, refuse targets that
    exist (:func:`write_tables` checks again inside its transaction)."""
    if if_exists not in IF_EXISTS:
        raise InputError(f"--if-exists {if_exists!r} is not one of {', '.join(IF_EXISTS)}.")
    [name_parts(name) for name in names]  # a malformed or too long name: refused before work
    connection = connect(uri)
    cursor = connection.cursor()
    try:
        for name in names:
            exists = _exists(cursor, name)
            if exists and if_exists == "fail":
                raise _exists_error(name, uri)
            if exists and if_exists == "append":
                continue  # rows go into the table itself: no new table to create
            where = "current_schema()" if (s := _split(name)[0]) is None else sql_literal(s)
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
            staging = _staging_name(spec.name)
            refill = exists and _same_table(cursor, spec.name, spec.columns)
            plans.append((spec, staging, spec.columns, True, "refill" if refill else exists))
    return plans


def _same_table(cursor, name: str, columns: list[tuple[str, str]]) -> bool:
    """Whether ``name`` is a plain table with exactly these columns and types."""
    cursor.execute(
        f"SELECT relkind FROM pg_class WHERE oid = {sql_literal(quote_name(name))}::regclass"
    )
    if cursor.fetchall()[0][0] != "r":
        return False
    present = {c: t.lower() for c, t in _existing_columns(cursor, name).items()}
    return present == {c: t.lower() for c, t in columns}


def _swap_in(cursor, spec: TableSpec, staging: str, columns, exists) -> None:
    """Put the staged rows in place of ``spec.name``, inside the caller's transaction.

    A table with the same columns is emptied and refilled (DELETE + INSERT), MVCC-safe: a reader
    whose statement began before the commit still sees the old rows (after a drop and rename it
    would find the new table with none of its rows visible). Renaming is kept for a new table
    or one whose columns change.
    """
    if exists == "refill":
        names = ", ".join(quote_name_part(c) for c, _ in columns)
        target = quote_name(spec.name)
        cursor.execute(f"DELETE FROM {target}")
        cursor.execute(f"INSERT INTO {target} ({names}) SELECT {names} FROM {staging}")
        cursor.execute(f"DROP TABLE {staging}")
        return
    if exists:
        cursor.execute(f"DROP TABLE {quote_name(spec.name)}")
    cursor.execute(f"ALTER TABLE {staging} RENAME TO {quote_name_part(_split(spec.name)[1])}")


def write_tables(uri: str, tables: list[TableSpec], if_exists: str = "fail") -> dict[str, int]:
    """Write ``tables`` (each with explicit column types) into the database at ``uri`` as one unit.

    Parameters
    ----------
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
                definition = ", ".join(f"{quote_name_part(c)} {t}" for c, t in columns)
                cursor.execute(f"CREATE TABLE {_qualified(spec.name, target)} ({definition})")
            counts[spec.name] = _copy_in(cursor, spec, target, columns)
        doing = "replace tables in"
        for spec, target, columns, staged, exists in plans:
            if staged:
                _swap_in(cursor, spec, _qualified(spec.name, target), columns, exists)
        connection.commit()
        return counts
    except Exception as exc:  # noqa: BLE001 - driver errors become one InputError
        _rollback(connection)
        driver = type(exc).__module__.startswith(("adbc", "pyarrow")) or "SQLSTATE" in str(exc)
        if driver and not isinstance(exc, InputError):
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
    with contextlib.suppress(Exception):  # the connection may be gone; the server rolls back
        connection.rollback()
