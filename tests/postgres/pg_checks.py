"""Checks shared by the PostgreSQL test files: the one error line of a refused command (with the
server's password nowhere in its output), a table's column types and a digest of its content.
A plain module, imported by name (``tests/postgres/conftest.py`` puts this folder on the path)."""

from __future__ import annotations

from pg_server import PostgresServer, run_sql


def one_line_error(result, secret: str = PostgresServer.password) -> str:
    """The one ``error: ...`` line (warnings aside) of a CLI run that exited with status 2,
    checked free of ``secret`` (by default the test server's password) in all its output."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert secret not in result.output
    return lines[0]


def column_types(uri, table) -> dict[str, str]:
    """Each column of ``table`` and its PostgreSQL type, as ``format_type`` writes it."""
    rows = run_sql(
        uri,
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
        f"'{table}'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
    )
    return dict(rows)


def table_content(uri, table):
    """Row count and a digest of every row: equal only when the table is unchanged."""
    digest = f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {table} t"
    return tuple(run_sql(uri, digest)[0])
