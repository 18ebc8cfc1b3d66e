"""Refusing, before any work, a PostgreSQL output table that is one of the tables the input reads.

``--table`` names the input table; the server's plan (``EXPLAIN (FORMAT JSON)``) of reading it, or
of the ``--query``, names every table scanned, views expanded, partitions and inherited tables
included. The names are compared as the server resolves
them (schema, quoting, ``search_path``), on the same server and database: writing such a target
with ``--if-exists replace`` would destroy the input.
"""

from __future__ import annotations

import json

from clvmodel._postgres_connect import connect, display, is_postgres_uri, translate_error
from clvmodel._postgres_connect import quote_name as quote_input
from clvmodel._postgres_read import quote_name_part, relation_sql
from clvmodel._postgres_write import quote_name, sql_literal
from clvmodel.errors import InputError

__all__ = ["refuse_input_target"]


def refuse_input_target(
    uri: str, targets: dict[str, str], input_uri, input_table, query: str | None = None
) -> None:
    """Before any work: refuse a target table that is the input table or a table ``query`` reads.

    ``uri`` is the output's; ``targets`` maps an option (e.g. ``"--output-table"``) to the table
    the command will write; ``input_uri`` is a path or a URI, ``input_table`` None for a query.

    Raises
    ------
    InputError
        A target is the input table (or one the query reads): spelled the same, or resolved by
        the server (its ``search_path``, quoting, schema) to the same relation of the same
        database.
    """
    if not is_postgres_uri(input_uri) or not (input_table or query):
        return
    if input_table:
        for option, name in targets.items():
            if name == input_table and display(input_uri) == display(uri):
                raise _input_error(option, name, f"the input table {input_table}")
        database, (source,) = _resolve(input_uri, [quote_input(input_table)], "read from")
        if source is None:
            return  # no such input table: reading it says what is wrong
        # A partition, an inherited child or a view's table is read with it: dropping one of
        # those (a partition may be dropped) would destroy part of the input.
        _, sources = _query_tables(
            input_uri, f"SELECT * FROM {quote_input(input_table)}", f"the input table {input_table}"
        )
        sources[source] = f"the input table {input_table}"
    else:
        database, sources = _query_tables(input_uri, query, "--query")
    if not sources:
        return  # no such input table, or a query that reads none: reading says what is wrong
    names = [quote_name(t) for t in targets.values()]
    target_database, trees = _resolve(uri, names, "write to", partitions=True)
    if target_database != database:
        return
    for (option, name), (oid, *parts) in zip(targets.items(), trees, strict=True):
        if oid in sources:
            raise _input_error(option, name, sources[oid])
        # Replacing a partitioned table drops its partitions with it.
        for part in parts:
            if part in sources:
                raise _input_error(option, name, sources[part], "has a partition that is")


def _input_error(option: str, name: str, what: str, relation: str = "is") -> InputError:
    return InputError(
        f"{option} {name} {relation} {what}; writing it would destroy the input. Give another name."
    )


def _relations(plan) -> set[tuple[str, str]]:
    """Every (schema, relation) a JSON plan scans, at any depth (subplans, CTEs, joins)."""
    found = set()
    if isinstance(plan, dict):
        if "Relation Name" in plan:
            found.add((plan.get("Schema"), plan["Relation Name"]))
        for value in plan.values():
            found |= _relations(value)
    elif isinstance(plan, list):
        for value in plan:
            found |= _relations(value)
    return found


def _query_tables(uri: str, query: str, reader: str) -> tuple[tuple | None, dict]:
    """(database identity, {oid: "the table schema.name that READER reads"}) from the server's
    plan of ``query`` (``reader``: ``--query``, or the input table whose partitions, inherited
    tables or view tables the plan scans); nothing when the server cannot plan the query
    (reading it then reports why)."""
    connection = connect(uri)
    cursor = connection.cursor()
    try:
        # EXPLAIN cannot run inside the COPY the driver wraps queries in by default.
        cursor.adbc_statement.set_options(**{"adbc.postgresql.use_copy": "false"})
        try:
            # The query as it is read (wrapped as a subquery): what fails here fails there.
            cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT * FROM {relation_sql(None, query)}")
            (text,) = cursor.fetchall()[0]
        except Exception:  # noqa: BLE001 - a query the server refuses: reading it says why
            return None, {}
        plan = json.loads(text) if isinstance(text, str) else text
        names = sorted(_relations(plan), key=lambda pair: (pair[0] or "", pair[1]))
        connection.rollback()  # the failed or finished EXPLAIN's transaction
        database, oids = _identify(cursor, [_sql_name(schema, rel) for schema, rel in names])
        found = {
            oid: f"the table {_shown(schema, rel)} that {reader} reads"
            for (schema, rel), oid in zip(names, oids, strict=True)
            if oid is not None
        }
        return database, found
    except Exception as exc:  # noqa: BLE001 - driver errors become one InputError
        raise translate_error(exc, uri, "read from") from None
    finally:
        cursor.close()
        connection.close()


def _sql_name(schema: str | None, relation: str) -> str:
    return ".".join(quote_name_part(p) for p in (schema, relation) if p is not None)


def _shown(schema: str | None, relation: str) -> str:
    return relation if schema in (None, "public") else f"{schema}.{relation}"


def _identify(cursor, names: list[str], partitions: bool = False) -> tuple[tuple, list]:
    cursor.execute(
        "SELECT pg_postmaster_start_time()::text, current_setting('port'), "
        "(SELECT oid FROM pg_database WHERE datname = current_database())::bigint"
    )
    database = tuple(cursor.fetchall()[0])
    oids = []
    for name in names:
        cursor.execute(f"SELECT to_regclass({sql_literal(name)})::oid::bigint")
        oid = cursor.fetchall()[0][0]
        if partitions:
            found = []
            if oid is not None:
                cursor.execute(
                    f"SELECT relid::oid::bigint FROM pg_partition_tree({int(oid)}) "
                    f"WHERE relid <> {int(oid)}"
                )
                found = [row[0] for row in cursor.fetchall()]
            oid = (oid, *found)
        oids.append(oid)
    return database, oids


def _resolve(uri: str, names: list[str], doing: str, partitions: bool = False):
    """(server and database identity, the oid each name resolves to there or None), as the
    server reads the names the commands write (quoted part by part, its search_path); with
    ``partitions``, each a tuple: the oid, then those of the partitions dropped with it."""
    connection = connect(uri)
    cursor = connection.cursor()
    try:
        return _identify(cursor, names, partitions)
    except Exception as exc:  # noqa: BLE001 - driver errors become one InputError
        raise translate_error(exc, uri, doing) from None
    finally:
        cursor.close()
        connection.close()
