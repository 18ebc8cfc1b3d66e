"""A PostgreSQL source summarised in the server reads one snapshot in one transaction, which holds
a share lock on the table read: closing the source (its ``with`` block, or the command that
opened it) ends both at once, on success and on error alike.

Before sources could be closed, the lock lasted until the garbage collector freed the source; a
failed command whose error a test (or a notebook) kept referred to it for as long, and a later
``DROP TABLE`` of the table waited for ever: one failing test hung the suite.
"""

from __future__ import annotations

import gc
import sys
import warnings

import pytest
from cli_run import run_cli
from pg_server import run_sql

from clvmodel import InputError
from clvmodel.cli import _fit_command, _score_command
from clvmodel.engine import TransactionSource, open_transaction_log

END = "1997-09-30"


@pytest.fixture(autouse=True)
def _no_garbage_from_earlier_tests():
    """Earlier tests' garbage collected first: what is counted below is this test's only (no
    collection between a test's action and its checks, which must not rely on one)."""
    gc.collect()


def lockers(uri: str, table: str) -> int:
    """Sessions other than the asking one that hold a lock on ``table``."""
    return run_sql(
        uri,
        "SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        f"WHERE c.relname = '{table}' AND l.pid <> pg_backend_pid()",
    )[0][0]


def can_lock(uri: str, table: str) -> None:
    """Take the table's strongest lock, as DROP or ALTER would, giving up after 2 s."""
    run_sql(uri, "SET LOCAL lock_timeout = '2s'", f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")


def test_a_source_holds_its_snapshot_until_its_with_block_ends(pg_uri, cdnow_table):
    with open_transaction_log(pg_uri, table=cdnow_table, observation_end=END) as log:
        assert isinstance(log, TransactionSource)
        assert len(log.rfm()) == 2357
        assert lockers(pg_uri, cdnow_table) == 1  # the snapshot of every query: held meanwhile
    assert lockers(pg_uri, cdnow_table) == 0
    can_lock(pg_uri, cdnow_table)
    assert log.end is not None  # still referred to: closed, not collected
    log.close()  # a second close does nothing


def test_close_ends_the_transaction_of_a_source_still_referred_to(pg_uri, cdnow_table):
    source = TransactionSource(pg_uri, table=cdnow_table, observation_end=END)
    assert source.counts()["valid_customers"] == 2357
    source.close()
    assert lockers(pg_uri, cdnow_table) == 0


def test_a_spooled_source_removes_its_copy_of_the_rows_when_closed(
    pg_uri, cdnow_table, tmp_path, monkeypatch
):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the spool's folder goes here
    with TransactionSource(pg_uri, table=cdnow_table, observation_end=END, pushdown=False) as log:
        assert len(list(tmp_path.iterdir())) == 1  # the spool, read by DuckDB
        assert log.counts()["valid_customers"] == 2357
    assert list(tmp_path.iterdir()) == []
    assert log.end is not None  # still referred to: closed, not collected


def test_a_failed_fit_from_a_table_leaves_no_lock_behind(
    pg_uri, cdnow_table, tmp_path, monkeypatch
):
    def fail(*args, **kwargs):
        raise InputError("injected failure after the table was read")

    monkeypatch.setattr(_fit_command, "_fit_models", fail)
    output = tmp_path / "model.json"
    result = run_cli("fit", pg_uri, "--table", cdnow_table, "--observation-end", END, "-o", output)
    assert result.exit_code != 0 and "injected failure" in result.stderr
    assert result.exception is not None  # kept, with the traceback of the command's frames
    assert lockers(pg_uri, cdnow_table) == 0
    can_lock(pg_uri, cdnow_table)
    assert not output.exists()


def test_a_failed_score_from_a_table_leaves_no_lock_behind(
    pg_uri, cdnow_table, cdnow_file_model, tmp_path, monkeypatch
):
    def fail(read, *args, **kwargs):
        assert next(iter(read.batches)) is not None  # reading under way
        raise InputError("injected failure while scoring")

    monkeypatch.setattr(_score_command, "_write_scores", fail)
    output = tmp_path / "scores.parquet"
    arguments = ("--table", cdnow_table, "--observation-end", END, "-o", output)
    result = run_cli("score", cdnow_file_model, pg_uri, *arguments)
    assert result.exit_code != 0 and "injected failure" in result.stderr
    assert result.exception is not None
    assert lockers(pg_uri, cdnow_table) == 0
    can_lock(pg_uri, cdnow_table)


@pytest.mark.parametrize("pushdown", [[], ["--no-pushdown"]], ids=["in PostgreSQL", "spooled"])
def test_a_score_from_a_table_leaves_neither_lock_nor_spool(
    pushdown, pg_uri, cdnow_table, cdnow_file_model, tmp_path, monkeypatch
):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the spool's folder goes here
    output = tmp_path / "out" / "scores.parquet"
    output.parent.mkdir()
    arguments = ("--table", cdnow_table, "--observation-end", END, "-o", output, *pushdown)
    result = run_cli("score", cdnow_file_model, pg_uri, *arguments)
    assert result.exit_code == 0, result.output
    assert lockers(pg_uri, cdnow_table) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("reading", [False, True], ids=["idle", "reading"])
def test_a_source_whose_connection_the_server_cut_is_closed_all_the_same(
    reading, pg_uri, cdnow_table
):
    """The server ends the source's session (a restart, an administrator): closing the source
    cannot roll back, and closes the connection all the same, also while a batch is being read.
    Before, the connection stayed open until the garbage collector met it, which complained
    ("Exception ignored in Connection.__del__: Cannot close AdbcConnection with open
    AdbcStatement", or a ResourceWarning)."""
    source = TransactionSource(pg_uri, table=cdnow_table, observation_end=END)
    assert source.row_counts()["rows"] == 6919  # the snapshot's lock on the table is taken
    batches = source.rfm_batches(500)
    if reading:
        assert len(next(batches)) == 500
    (cut,) = run_sql(
        pg_uri,
        "SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l JOIN pg_class c "
        f"ON c.oid = l.relation WHERE c.relname = '{cdnow_table}' AND l.pid <> pg_backend_pid()",
    )
    assert cut == (1,)
    complaints = []
    hook, sys.unraisablehook = sys.unraisablehook, complaints.append
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            source.close()
            del source, batches
            gc.collect()
    finally:
        sys.unraisablehook = hook
    assert [str(c.exc_value) for c in complaints] == []
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []
