"""What ``clvmodel fit`` and ``clvmodel score`` share: the options that say how to read a
transaction log, the DuckDB connection, and the note on repeated rows."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import click

from clvmodel._duck import attach_database, csv_shape_error
from clvmodel._postgres_connect import is_postgres_uri
from clvmodel.cli import _guard
from clvmodel.engine import connect, open_transaction_log
from clvmodel.errors import InputError


def check_memory_limit(memory_limit: str) -> None:
    """Refuse a --memory-limit that is not a size."""
    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", memory_limit, re.I):
        raise InputError(f"--memory-limit {memory_limit!r} is not a size such as 512MB or 2GB.")


def connect_with_limit(memory_limit: str):
    check_memory_limit(memory_limit)
    return connect(memory_limit=memory_limit.strip())


def source_options(function):
    """Options that say how to read a transaction log; the command receives them as keyword
    arguments and hands them on to :func:`transaction_source` as they are."""
    options = [
        click.option("--customer-col", default="customer_id", show_default=True),
        click.option("--date-col", default="date", show_default=True),
        click.option(
            "--amount-col",
            default="amount",
            show_default=True,
            help="Amount column (see --no-amount for a log without amounts).",
        ),
        click.option(
            "--no-amount",
            is_flag=True,
            default=False,
            help="The log has no amounts: fit and score purchases and P(alive) only (no spend "
            "model, so no CLV).",
        ),
        click.option(
            "--date-format",
            default=None,
            help=_guard.DATE_FORMAT_HELP,
        ),
        click.option("--drop-duplicates", is_flag=True, help=_guard.DROP_DUPLICATES_HELP),
        click.option(
            "--observation-end",
            default=None,
            help="End of observation, YYYY-MM-DD (default: the last purchase date).",
        ),
        click.option(
            "--table",
            default=None,
            help="Table to read when the input is a .duckdb file (a table of its main schema) "
            "or a postgresql:// URI (schema.table allowed).",
        ),
        click.option(
            "--query",
            default=None,
            help="With a postgresql:// input: a SELECT query to read instead of --table.",
        ),
        click.option(
            "--pushdown/--no-pushdown",
            default=None,
            help="With a postgresql:// input: run the row checks and the RFM summary inside "
            "PostgreSQL so only aggregates cross the network (the default when the column "
            "types allow), or stream the rows and summarise them here in DuckDB (often faster "
            "with a nearby or busy server).",
        ),
        click.option(
            "--memory-limit",
            default="512MB",
            show_default=True,
            help="Memory DuckDB may use before it spills to disk (e.g. 256MB, 2GB).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


#: The engine's advice when pushdown=True cannot be honoured, and the command line's.
_PUSHDOWN_PYTHON = "Leave pushdown unset."
_PUSHDOWN_CLI = (
    "Leave out --pushdown (or pass --no-pushdown): the rows are then summarised here in DuckDB."
)


def transaction_source(
    path, time_unit: str, *, amount_col, memory_limit, naive: bool = False, connection=None,
    **source,
):  # fmt: skip
    """The log at ``path`` read with the options of :func:`source_options`: a Parquet file of
    typed columns without DuckDB, anything else in DuckDB (see
    :func:`clvmodel.engine.open_transaction_log`; both give the same results), on
    ``connection`` when one is given (opened with ``memory_limit``)."""
    check_memory_limit(memory_limit)
    try:
        return open_transaction_log(
            path,
            lambda: connection or connect_with_limit(memory_limit),
            naive=naive,
            amount_col=amount_col or None,
            time_unit=time_unit,
            **source,
        )
    except InputError as exc:
        if "pass observation_end= explicitly" in str(exc):  # the engine speaks Python
            raise InputError(
                str(exc).replace("observation_end= explicitly", "--observation-end explicitly")
            ) from None
        if str(exc).endswith(_PUSHDOWN_PYTHON):  # only --pushdown asks for it
            raise InputError(str(exc).replace(_PUSHDOWN_PYTHON, _PUSHDOWN_CLI)) from None
        if amount_col and "amount column" in str(exc):
            raise InputError(
                f"{exc} For a log without amounts pass --no-amount (purchases and P(alive) only)."
            ) from None
        raise


def amount_option(options: dict) -> None:
    """Fold --no-amount into --amount-col (an empty name means no amounts, as before)."""
    if options.pop("no_amount", False):
        options["amount_col"] = ""


def report_duplicates(count: int, dropped: bool) -> None:
    """Say how many valid rows repeat another exactly, and what was done with them."""
    if not count:
        return
    if dropped:
        click.echo(f"left out {count:,} row(s) that repeat another row exactly (--drop-duplicates)")
    else:
        click.echo(
            f"warning: {count:,} row(s) repeat another row exactly (same customer, date and "
            "amount); they count as separate purchases. If they are copies, pass "
            "--drop-duplicates.",
            err=True,
        )


@contextmanager
def csv_rows_checked(input_path, memory_limit: str | None = None):
    """Say in one line that a CSV INPUT has a row with more or fewer fields than its header
    when DuckDB finds it only while reading (beyond the rows it sniffs for the dialect), and,
    given the ``memory_limit`` of --memory-limit, that DuckDB ran out of the memory it allows."""
    try:
        yield
    except InputError as exc:
        if memory_limit is not None and _out_of_memory(exc.__context__):
            raise _memory_error(memory_limit) from None
        raise
    except Exception as exc:  # duckdb raises its own error types
        if memory_limit is not None and _out_of_memory(exc):
            raise _memory_error(memory_limit) from None
        csv = not is_postgres_uri(input_path) and Path(input_path).suffix.lower() == ".csv"
        error = csv_shape_error(exc, input_path) if csv else None
        if error is None:
            raise
        raise error from None


def _out_of_memory(exc) -> bool:
    return type(exc).__name__ == "OutOfMemoryException"  # duckdb's, without importing it here


def _memory_error(memory_limit: str) -> InputError:
    return InputError(
        f"DuckDB ran out of the memory --memory-limit {memory_limit.strip()} allows it; raise "
        "--memory-limit (the default 512MB suits most inputs); nothing was written."
    )


def check_source(path, options: dict) -> None:
    """Refuse, before any work, the options of :func:`source_options` that INPUT has no use for
    (--table of a CSV or Parquet file, --query or --pushdown/--no-pushdown of any file: read as
    if they had not been given), then what :func:`check_duckdb_table` refuses.

    Parameters
    ----------
    path : str or path-like
        INPUT (or TRANSACTIONS).
    options : dict
        The options of :func:`source_options`, by parameter name.
    """
    if not is_postgres_uri(path):
        if options.get("query") is not None:
            raise InputError(
                f"--query reads from a postgresql:// database, not from {str(path)!r}; for a "
                "file leave it out."
            )
        if options.get("pushdown") is not None:
            raise InputError(
                "--pushdown/--no-pushdown says where a postgresql:// input is summarised; "
                f"{str(path)!r} is a file: leave it out."
            )
        database = Path(path).suffix.lower() in (".duckdb", ".db")
        if options.get("table") is not None and not database:
            raise InputError(
                f"--table names a table of a .duckdb file or a postgresql:// database; "
                f"{str(path)!r} is read as a whole: leave out --table."
            )
    check_duckdb_table(path, options.get("table"))


def check_duckdb_table(path, table: str | None) -> None:
    """Refuse, before any work, a DuckDB database INPUT without --table or with a --table it does
    not hold, listing the tables of its main schema (those --table reads).

    Parameters
    ----------
    path : str or path-like
        INPUT; other inputs than a ``.duckdb``/``.db`` file are left to their readers.
    table : str or None
        --table.
    """
    if is_postgres_uri(path) or Path(path).suffix.lower() not in (".duckdb", ".db"):
        return
    if not Path(path).is_file():
        return  # the reader says that it does not exist
    tables = _duckdb_tables(path)
    if tables is None:  # cannot be listed here (locked by a writer?): the reader says why
        return
    listed = f"its tables are {', '.join(tables)}" if tables else "it holds no table"
    if not table:
        raise InputError(f"{path} is a DuckDB database: name the table to read with --table "
                         f"({listed}).")  # fmt: skip
    if table.lower() not in (name.lower() for name in tables):  # names are case-insensitive
        raise InputError(f"--table {table}: {path} has no such table ({listed}); name one of "
                         "them with --table.")  # fmt: skip


def _duckdb_tables(path) -> list[str] | None:
    """The tables and views of the main schema of the DuckDB database ``path``, or None when it
    cannot be read."""
    connection = connect()
    try:
        attach_database(connection, path)
        rows = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'source_db' "
            "AND table_schema = 'main' ORDER BY table_name"
        ).fetchall()
    except Exception:  # noqa: BLE001 - duckdb raises its own error types; the reader reports
        return None
    finally:
        connection.close()
    return [row[0] for row in rows]


def input_columns(path, table: str | None):
    """The columns (name → type) of a file or DuckDB table, or None when they cannot be read:
    for rewording a reader's refusal, whose own message then stands."""
    if is_postgres_uri(path):
        return None
    from clvmodel._duck import column_types, relation_sql

    connection = connect()
    try:
        attach_database(connection, path)
        return column_types(connection, relation_sql(path, table))
    except Exception:  # noqa: BLE001 - the reader's own message stands
        return None
    finally:
        connection.close()
