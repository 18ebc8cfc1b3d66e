"""Writing tables into PostgreSQL atomically: staged, then swapped in inside one transaction.

Everything happens in ONE transaction: each new table is created under a staging name with
explicit column types, filled batch by batch with binary ``COPY`` (ADBC), and only then renamed
onto its target (the previous table dropped in the same transaction, with ``--if-exists
replace``). Until the commit, other sessions see the previous tables; after it, the new ones; never
a mix, and several tables (scores and their rejects) change together. A failure, an interruption
or a lost connection before the commit rolls everything back on the server, so the previous
tables are untouched and no staging table is left behind. Appended rows go straight into the
target. A column type binary ``COPY`` cannot fill from Arrow (``numeric``, ``uuid``, an enum,
...) is copied as text into a temporary table first, and cast by the server.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from clvmodel._postgres_connect import connect, display, rollback_quietly, translate_error
from clvmodel._postgres_read import base_type, quote_name_part
from clvmodel._postgres_types import COPY_TYPES, cast_for_copy, postgres_type
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
_TOKEN = re.compile(r'"((?:[^"]|"")*)"|([^".]+)|(\.)')  # a quoted part, an unquoted one, a dot


@dataclass
class TableSpec:
    """A table to write: its name, its columns as (name, PostgreSQL type), and its rows as an
    iterable of Arrow tables or record batches (consumed once, inside the transaction)."""

    name: str
    columns: list[tuple[str, str]]
    batches: Iterable = field(default_factory=list)


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
        # A standby, or a role whose sessions are read-only, would refuse the write at the end.
        cursor.execute("SELECT current_setting('transaction_read_only')")
        if cursor.fetchall()[0][0] == "on":
            raise InputError(
                f"cannot write to {display(uri)}: its sessions are read-only (a standby server, "
                "or default_transaction_read_only set for the user); nothing was read or "
                "written. Give a server and user that may write."
            )
        _refuse_one_table_twice(cursor, names)
        for name in names:
            exists = _exists(cursor, name)
            if exists and if_exists == "fail":
                raise _exists_error(name, uri)
            if exists and if_exists == "append":
                continue  # rows go into the table itself: no new table to create
            where = "current_schema()" if (s := _split(name)[0]) is None else sql_literal(s)
            cursor.execute(f"SELECT {where}, current_user, has_schema_privilege({where}, 'CREATE')")
            schema_name, user, allowed = cursor.fetchall()[0]
            if schema_name is None:
                raise InputError(
                    f"cannot write table {name!r} to {display(uri)}: no schema of the "
                    "search_path exists there to create it in; name it as schema.table."
                )
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


def _refuse_one_table_twice(cursor, names: list[str]) -> None:
    """Refuse two names of one table (``scores`` and ``public.scores``): its rows would be
    written twice into one staging table, refused only at the end of the work."""
    seen = {}
    for name in names:
        where = "current_schema()" if (s := _split(name)[0]) is None else sql_literal(s)
        cursor.execute(f"SELECT to_regclass({sql_literal(quote_name(name))})::oid::bigint, {where}")
        oid, schema_name = cursor.fetchall()[0]
        key = oid if oid is not None else (schema_name, _split(name)[1])
        if key in seen:
            raise InputError(
                f"{seen[key]!r} and {name!r} name the same table; give two different names."
            )
        seen[key] = name


def _exists_error(name: str, uri: str) -> InputError:
    return InputError(
        f"table {name!r} already exists in {display(uri)}; pass --if-exists replace to swap in "
        "the new table atomically, or --if-exists append to add the rows (if_exists= in Python)."
    )


@dataclass
class _Plan:
    """How one table is written: its rows COPYed into the target (an append), or into a new
    staging table put in its place at the end (``staging``; ``exists``: the target exists,
    "refill" for a plain table with the same columns, see :func:`_swap_in`). With ``via_text``
    a column type binary COPY cannot fill from Arrow (numeric, uuid, an enum, ...) is first
    copied as text into a temporary table, and the server casts it to ``columns``' type."""

    spec: TableSpec
    columns: list[tuple[str, str]]
    staging: str | None = None
    exists: object = False
    via_text: bool = False


def _plans(cursor, tables: list[TableSpec], if_exists: str, uri: str) -> list[_Plan]:
    """A :class:`_Plan` for each table: new and replaced tables staged, appends straight in."""
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
            plan = _Plan(spec, [(c, present[c]) for c, _ in spec.columns])
        else:
            refill = exists and _same_table(cursor, spec.name, spec.columns)
            staging = _staging_name(spec.name)
            plan = _Plan(spec, spec.columns, staging, "refill" if refill else exists)
        plan.via_text = not all(_copyable(t) for _, t in plan.columns)
        plans.append(plan)
    return plans


def _copyable(pg_type: str) -> bool:
    """Whether binary COPY fills a column of ``pg_type`` from Arrow (an interval from a
    duration)."""
    return base_type(pg_type) in (*COPY_TYPES, "interval")


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
        for plan in plans:
            spec = plan.spec
            into = _qualified(spec.name, plan.staging) if plan.staging else quote_name(spec.name)
            if plan.staging:
                definition = ", ".join(f"{quote_name_part(c)} {t}" for c, t in plan.columns)
                cursor.execute(f"CREATE TABLE {into} ({definition})")
            if plan.via_text:
                counts[spec.name] = _copy_as_text(cursor, spec, into, plan.columns)
            else:
                table = plan.staging or _split(spec.name)[1]
                counts[spec.name] = _copy_in(cursor, spec, table, plan.columns)
        doing = "replace tables in" if if_exists == "replace" else doing
        for plan in plans:
            if plan.staging:
                staging = _qualified(plan.spec.name, plan.staging)
                _swap_in(cursor, plan.spec, staging, plan.columns, plan.exists)
        connection.commit()
        return counts
    except Exception as exc:  # noqa: BLE001 - driver errors become one InputError
        rollback_quietly(connection)
        driver = type(exc).__module__.startswith(("adbc", "pyarrow")) or "SQLSTATE" in str(exc)
        if driver and not isinstance(exc, InputError):
            raise translate_error(exc, uri, doing) from None
        raise
    except BaseException:
        rollback_quietly(connection)
        raise
    finally:
        try:
            cursor.close()
        finally:
            connection.close()


def _copy_as_text(cursor, spec: TableSpec, into: str, columns: list[tuple[str, str]]) -> int:
    """COPY the rows of ``spec`` into a temporary table (text where binary COPY cannot fill the
    column's type), then insert them into ``into`` (SQL), cast by the server; rows written.
    A temporary table: an append needs no CREATE privilege on the target's schema."""
    temporary = _staging_name(spec.name).replace("__clv_staging_", "__clv_rows_")
    copied = [(c, t if _copyable(t) else "text") for c, t in columns]
    definition = ", ".join(f"{quote_name_part(c)} {t}" for c, t in copied)
    where = f"pg_temp.{quote_name_part(temporary)}"
    cursor.execute(f"CREATE TEMPORARY TABLE {quote_name_part(temporary)} ({definition})")
    rows = _copy_in(cursor, spec, temporary, copied, temporary=True)
    names = ", ".join(quote_name_part(c) for c, _ in columns)
    casts = ", ".join(f"CAST({quote_name_part(c)} AS {t})" for c, t in columns)
    cursor.execute(f"INSERT INTO {into} ({names}) SELECT {casts} FROM {where}")
    cursor.execute(f"DROP TABLE {where}")
    return rows


def _copy_in(cursor, spec: TableSpec, target: str, columns, temporary: bool = False) -> int:
    """COPY every batch of ``spec`` into ``target`` (in the schema of ``spec.name``, or a
    temporary table), cast to the columns' types; rows written."""
    import pyarrow as pa

    schema_name = "pg_temp" if temporary else _split(spec.name)[0]
    rows = 0
    # A cursor of its own: the driver keeps an ingest's schema for the cursor's next ingest
    # (db_schema_name=None does not reset it), which would send an unqualified table's rows to
    # the schema of the table written before it.
    with cursor.connection.cursor() as ingest:
        for batch in spec.batches:
            table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
            table = cast_for_copy(table.select([name for name, _ in columns]), columns)
            if table.num_rows:
                ingest.adbc_ingest(target, table, mode="append", db_schema_name=schema_name)
            rows += table.num_rows
    return rows
