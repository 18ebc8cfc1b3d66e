"""Issue 16: ``clvmodel fit|score|plan|evaluate`` with PostgreSQL tables in and out.

Covered: the same model and scores as the file route; rejects in a table; the customer id's type
kept; ``--if-exists``; an atomic replace under an injected failure, under a concurrent reader and
when the connection is cut mid-write; a connection cut mid-read; and every error case, each one
line without the password and leaving no table behind.
"""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli
from pg_checks import one_line_error
from pg_checks import table_content as _content
from pg_server import count_catalog_reads, load_frame, run_sql

import clvmodel as clv
from clvmodel import _reading
from clvmodel.cli import _batch

END = "1997-09-30"
SECRET = "clv-secret"


def cli(*args):
    return run_cli(*args)


def staging_tables(uri) -> list:
    return run_sql(uri, "SELECT relname FROM pg_class WHERE relname LIKE '%clv_staging%'")


def checksum(uri, table):
    return tuple(run_sql(uri, f"SELECT count(*), sum(expected_purchases) FROM {table}")[0])


@pytest.fixture(scope="module")
def model(tmp_path_factory, pg_uri, cdnow_table, cdnow_sample):
    """Models fitted from the file and from the table, and the file route's scores."""
    folder = tmp_path_factory.mktemp("pg_cli")
    parquet = folder / "cdnow.parquet"
    cdnow_sample.to_parquet(parquet, index=False)
    from_file, from_db = folder / "file.json", folder / "db.json"
    assert cli("fit", parquet, "--observation-end", END, "-o", from_file).exit_code == 0
    result = cli("fit", pg_uri, "--table", cdnow_table, "--observation-end", END, "-o", from_db)
    assert result.exit_code == 0, result.output
    scores = folder / "scores.parquet"
    result = cli("score", from_file, parquet, "--observation-end", END, "-o", scores)
    assert result.exit_code == 0, result.output
    return {"file": from_file, "db": from_db, "scores": scores, "parquet": parquet}


def test_fit_from_a_table_is_the_file_fit_and_stores_no_password(model):
    file_params = json.loads(model["file"].read_text())["models"]
    db_text = model["db"].read_text()
    assert SECRET not in db_text
    db_params = json.loads(db_text)["models"]
    # BG/NBD sees the same (frequency, recency, T) bitwise, so the same fit; the spend model's
    # inputs are sums that DuckDB adds in parallel, equal to the last bits.
    assert db_params["bg"] == file_params["bg"]
    for name, value in file_params["gg"]["params"].items():
        assert db_params["gg"]["params"][name] == pytest.approx(value, rel=1e-8)
    assert "(table cdnow)" in json.loads(db_text)["metadata"]["source"]


@pytest.mark.parametrize("pushdown", ["--pushdown", "--no-pushdown"])
def test_score_table_to_table_matches_the_file_route(model, pg_uri, cdnow_table, pushdown):
    result = cli(
        "score", model["db"], pg_uri, "--table", cdnow_table, "--observation-end", END,
        "-o", pg_uri, "--output-table", "cdnow_scores", "--if-exists", "replace", pushdown,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert "2,357 scored" in result.output
    ours = clv.read_table(pg_uri, table="cdnow_scores").set_index("customer_id").sort_index()
    expected = pd.read_parquet(model["scores"]).set_index("customer_id").sort_index()
    assert list(ours.columns) == list(expected.columns)
    assert list(ours.index) == list(expected.index)
    for column in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(ours[column].to_numpy(), expected[column].to_numpy())
    np.testing.assert_allclose(ours.to_numpy(float), expected.to_numpy(float), rtol=1e-10)
    types = dict(run_sql(
        pg_uri, "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'cdnow_scores'",
    ))  # fmt: skip
    assert types["customer_id"] == "text" and types["frequency"] == "bigint"
    assert types["probability_alive"] == "double precision"
    rejects = clv.read_table(pg_uri, table="cdnow_scores_rejects")
    assert set(rejects["reason"]) == {"after observation end"}
    assert len(rejects) == 1959  # purchases after the 39 weeks of calibration
    assert staging_tables(pg_uri) == []


def test_a_command_reads_the_type_catalog_once(model, pg_uri, cdnow_table, monkeypatch):
    """Checking the targets, describing and reading the table, writing the scores: four
    connections of one command, one driver database (its type catalog read once, ~0.1 s)."""
    made = count_catalog_reads(monkeypatch)
    result = cli(
        "score", model["db"], pg_uri, "--table", cdnow_table, "--observation-end", END,
        "-o", pg_uri, "--output-table", "cdnow_scores_once", "--if-exists", "replace",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(made) == 1, made
    run_sql(pg_uri, "DROP TABLE cdnow_scores_once", "DROP TABLE cdnow_scores_once_rejects")


def test_integer_ids_keep_their_type_and_rejects_have_reasons(model, pg_uri):
    log = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3, 3, 4],
            "date": ["1997-01-02", "1997-02-10", "1997-01-05", "not a date", "1997-03-01",
                     "1997-03-09", "1997-04-01"],
            "amount": [10.0, 12.0, 5.0, 7.0, -1.0, 8.0, 9.0],
        }
    )  # fmt: skip
    load_frame(pg_uri, "int_log_staging", log)
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS int_log",
        "CREATE TABLE int_log AS SELECT customer_id::integer AS customer_id, date, "
        "amount::numeric(8, 2) AS amount FROM int_log_staging",
    )
    result = cli(
        "score", model["db"], pg_uri, "--table", "int_log", "--observation-end", END,
        "-o", pg_uri, "--output-table", "int_scores", "--if-exists", "replace",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    types = dict(run_sql(
        pg_uri, "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name IN ('int_scores', 'int_scores_rejects') AND column_name = "
        "'customer_id'",
    ))  # fmt: skip
    assert types == {"customer_id": "integer"}
    rejects = run_sql(
        pg_uri, "SELECT customer_id, reason FROM int_scores_rejects ORDER BY customer_id"
    )
    assert rejects == [(2, _reading.BAD_DATE), (3, _reading.NEGATIVE_AMOUNT)]
    scored = run_sql(pg_uri, "SELECT customer_id FROM int_scores ORDER BY 1")
    assert scored == [(1,), (2,), (3,), (4,)]


def _score_into(model, uri, table, *extra):
    return cli(
        "score", model["db"], uri, "--table", "cdnow", "--observation-end", END,
        "-o", uri, "--output-table", table, *extra,
    )  # fmt: skip


@pytest.fixture(scope="module")
def previous(model, pg_uri, cdnow_table):
    """``previous(t)``: tables ``t`` and ``t_rejects`` as ``score --horizon 6`` writes them, scored
    once and copied for each atomic-replace test (the scoring run was most of such a test)."""
    both = ("", "_rejects")
    run_sql(pg_uri, *(f"DROP TABLE IF EXISTS previous_h6{s}" for s in both))
    assert _score_into(model, pg_uri, "previous_h6", "--horizon", "6").exit_code == 0
    return lambda t: run_sql(
        pg_uri, *(f"DROP TABLE IF EXISTS {t}{s}" for s in both),
        *(f"CREATE TABLE {t}{s} AS SELECT * FROM previous_h6{s}" for s in both),
    )  # fmt: skip


def test_if_exists_fail_is_the_default_then_replace_and_append(model, pg_uri, cdnow_table):
    run_sql(pg_uri, "DROP TABLE IF EXISTS ie", "DROP TABLE IF EXISTS ie_rejects")
    assert _score_into(model, pg_uri, "ie").exit_code == 0
    before = checksum(pg_uri, "ie")
    line = one_line_error(_score_into(model, pg_uri, "ie"))
    assert "already exists" in line and "--if-exists replace" in line
    assert checksum(pg_uri, "ie") == before
    assert _score_into(model, pg_uri, "ie", "--if-exists", "replace").exit_code == 0
    assert checksum(pg_uri, "ie") == before
    assert _score_into(model, pg_uri, "ie", "--if-exists", "append").exit_code == 0
    assert checksum(pg_uri, "ie")[0] == 2 * before[0]


def _failing_after(batches: int, action):
    real = _batch.score_customers
    calls = {"n": 0}

    def score_customers(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > batches:
            action()
        return real(*args, **kwargs)

    return score_customers


def test_a_failure_mid_write_leaves_the_previous_tables(model, pg_uri, previous, monkeypatch):
    previous("atomic")
    before = checksum(pg_uri, "atomic"), checksum_rejects(pg_uri, "atomic_rejects")

    def fail():
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(_batch, "score_customers", _failing_after(2, fail))
    result = cli(
        "score", model["db"], pg_uri, "--table", "cdnow", "--observation-end", END,
        "-o", pg_uri, "--output-table", "atomic", "--if-exists", "replace", "--batch-size", "500",
    )  # fmt: skip
    assert result.exit_code == 1 and "disk on fire" in result.output
    assert (checksum(pg_uri, "atomic"), checksum_rejects(pg_uri, "atomic_rejects")) == before
    assert staging_tables(pg_uri) == []


def checksum_rejects(uri, table):
    return run_sql(uri, f"SELECT count(*) FROM {table}")[0][0]


def test_a_reader_whose_snapshot_predates_the_replace_still_sees_the_old_rows(model, pg_uri):
    # A statement takes its snapshot before it waits for a lock; a table dropped and replaced by
    # a renamed one would show such a reader the new table with none of its rows visible (an
    # empty table: seen once by the concurrent-reader test below). A REPEATABLE READ transaction
    # makes that reader deterministic: its snapshot is taken before the replace commits.
    import adbc_driver_postgresql.dbapi as dbapi

    run_sql(pg_uri, "DROP TABLE IF EXISTS snap", "DROP TABLE IF EXISTS snap_rejects")
    assert _score_into(model, pg_uri, "snap", "--horizon", "6M").exit_code == 0
    old = checksum(pg_uri, "snap")
    with dbapi.connect(pg_uri, autocommit=True) as connection:
        cursor = connection.cursor()
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT count(*) FROM pg_class")  # the transaction's snapshot
        cursor.fetchall()
        result = _score_into(model, pg_uri, "snap", "--horizon", "12M", "--if-exists", "replace")
        cursor.execute("SELECT count(*), sum(expected_purchases) FROM snap")
        seen = tuple(cursor.fetchall()[0])
        cursor.execute("COMMIT")
        cursor.close()
    assert result.exit_code == 0, result.output
    new = checksum(pg_uri, "snap")
    assert new != old
    assert seen == old


def test_a_concurrent_reader_sees_the_old_table_or_the_new_one(
    model, pg_uri, previous, monkeypatch
):
    import adbc_driver_postgresql.dbapi as dbapi

    previous("shared")
    old = checksum(pg_uri, "shared")
    seen, errors, done = [], [], threading.Event()

    def reader():
        with dbapi.connect(pg_uri, autocommit=True) as connection:
            cursor = connection.cursor()
            while not done.is_set():
                try:
                    cursor.execute("SELECT count(*), sum(expected_purchases) FROM shared")
                    seen.append(tuple(cursor.fetchall()[0]))
                except Exception as exc:  # noqa: BLE001 - any error fails the test below
                    errors.append(exc)
                    return

    thread = threading.Thread(target=reader)
    thread.start()
    while not seen:
        time.sleep(0.01)
    monkeypatch.setattr(_batch, "score_customers", _failing_after(0, lambda: time.sleep(0.05)))
    result = _score_into(model, pg_uri, "shared", "--horizon", "12", "--if-exists", "replace",
                         "--batch-size", "400")  # fmt: skip
    new = checksum(pg_uri, "shared")
    deadline = time.monotonic() + 20.0  # a loaded machine may starve the reader thread a while
    while not errors and seen[-1] != new and time.monotonic() < deadline:
        time.sleep(0.05)
    done.set()
    thread.join()
    assert result.exit_code == 0, result.output
    assert new != old and not errors
    assert set(seen) <= {old, new}
    assert seen[0] == old and seen[-1] == new


def _terminate(uri, like: str):
    """Cut the server side of every other connection whose query starts like ``like``."""
    return run_sql(
        uri,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
        f"AND backend_type = 'client backend' AND query LIKE '{like}%'",
    )


def test_a_connection_lost_mid_write_leaves_the_previous_tables(
    model, pg_uri, previous, monkeypatch
):
    previous("cut")
    before = checksum(pg_uri, "cut")
    # Between two COPYs the writer's last statement is its staging table's creation or a COPY.
    cut = _failing_after(2, lambda: _terminate(pg_uri, "COPY"))
    monkeypatch.setattr(_batch, "score_customers", cut)
    line = one_line_error(
        _score_into(model, pg_uri, "cut", "--if-exists", "replace", "--batch-size", "500")
    )
    assert "connection to the server was lost" in line
    assert checksum(pg_uri, "cut") == before
    assert staging_tables(pg_uri) == []


@pytest.mark.parametrize("date_type", ["date", "text"], ids=["in PostgreSQL", "spooled"])
def test_a_connection_lost_mid_read_is_one_line_and_writes_nothing(pg_uri, tmp_path, date_type):
    # A date column of type date is summarised inside PostgreSQL; text dates are streamed into
    # the local spool. Either way the server end of the connection is cut while it works.
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS big_log",
        "CREATE TABLE big_log AS SELECT (i % 50000)::bigint AS customer_id, "
        f"(DATE '1997-01-01' + (i % 300))::{date_type} AS date, (i % 97)::float8 AS amount "
        "FROM generate_series(1, 1500000) AS i",
    )
    cut, done = [], threading.Event()

    def cutter():
        while not done.is_set() and not cut:
            cut.extend(run_sql(
                pg_uri,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%big_log%' "
                "AND query NOT LIKE '%LIMIT 0%' AND query NOT LIKE '%regclass%'",
            ))  # fmt: skip
            time.sleep(0.02)

    thread = threading.Thread(target=cutter)
    thread.start()
    output = tmp_path / "model.json"
    try:
        result = cli("fit", pg_uri, "--table", "big_log", "-o", output)
    finally:
        done.set()
        thread.join()
    assert cut, "the read ended before the connection could be cut"
    line = one_line_error(result)
    assert "connection to the server was lost" in line
    assert not output.exists()


# ----------------------------------------------------------------------------------------------
# Errors: one line, exit 2, no password, nothing written


@pytest.fixture(scope="module")
def roles(pg_uri, cdnow_table):
    run_sql(
        pg_uri,
        "DROP ROLE IF EXISTS nobody_reads",
        "CREATE ROLE nobody_reads LOGIN PASSWORD 'clv-secret'",
        "DROP ROLE IF EXISTS reads_only",
        "CREATE ROLE reads_only LOGIN PASSWORD 'clv-secret'",
        f"GRANT SELECT ON {cdnow_table} TO reads_only",
    )
    return pg_uri


@pytest.mark.parametrize(
    ("case", "phrases"),
    [
        ("unreachable", ["connection to the server was lost or refused"]),
        ("bad password", ["refused the user name or password", "PGPASSWORD"]),
        ("missing table", ["has no table 'nope'", "'cdnow'"]),
        ("missing column", ["no customer column 'cust'", "['customer_id', 'date'"]),
        ("bad query", ['column "nope" does not exist']),
        ("no read privilege", ["permission denied for table cdnow"]),
        ("no write privilege", ["permission denied for schema public"]),
        ("no table option", ["exactly one of --table NAME or --query"]),
        ("no output table", ["needs --output-table"]),
        ("output is the input", ["would destroy the input"]),
    ],
)
def test_errors_are_one_line_without_password(case, phrases, model, roles, pg_server, tmp_path):
    in_uri = out_uri = pg_server.uri
    source = ["--table", "cdnow"]
    if case == "unreachable":
        in_uri = pg_server.uri.replace(f":{pg_server.port}/", ":1/")
    elif case == "bad password":
        in_uri = pg_server.uri_for("clv", "wrong-" + SECRET)
    elif case == "missing table":
        source = ["--table", "nope"]
    elif case == "missing column":
        source += ["--customer-col", "cust"]
    elif case == "bad query":
        source = ["--query", "SELECT nope FROM cdnow"]
    elif case == "no read privilege":
        in_uri = pg_server.uri_for("nobody_reads", SECRET)
    elif case == "no write privilege":
        out_uri = pg_server.uri_for("reads_only", SECRET)
    elif case == "no table option":
        source = []
    output = ["-o", out_uri] + ([] if case == "no output table" else ["--output-table", "err_out"])
    if case == "output is the input":
        output = ["-o", out_uri, "--output-table", "cdnow", "--if-exists", "replace"]
    result = cli("score", model["db"], in_uri, *source, "--observation-end", END, *output)
    line = one_line_error(result)
    for phrase in phrases:
        assert phrase in line
    assert "wrong-" not in result.output
    assert run_sql(pg_server.uri, "SELECT to_regclass('err_out') IS NULL")[0][0]
    assert staging_tables(pg_server.uri) == []


def test_a_missing_driver_says_how_to_install_it(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "adbc_driver_postgresql", None)
    monkeypatch.setitem(sys.modules, "adbc_driver_postgresql.dbapi", None)
    output = tmp_path / "m.json"
    result = cli("fit", "postgresql://someone@localhost/db", "--table", "t", "-o", output)
    assert "pip install 'clvmodel[postgres]'" in one_line_error(result)


def test_sigterm_mid_write_leaves_the_previous_tables(model, pg_uri, previous):
    import os
    import signal
    import subprocess
    import sys

    previous("term")
    before = checksum(pg_uri, "term")
    # Slow the scoring down so that the signal arrives while the staging table is being filled.
    slow = (
        "import sys, time, clvmodel.cli._batch as b; real = b.score_customers; "
        "b.score_customers = lambda *a, **k: (time.sleep(0.3), real(*a, **k))[1]; "
        "from clvmodel.cli import main; sys.exit(main())"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", slow, "score", str(model["db"]), pg_uri, "--table", "cdnow",
         "--observation-end", END, "-o", pg_uri, "--output-table", "term", "--if-exists",
         "replace", "--batch-size", "100"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
    )  # fmt: skip

    def writing() -> bool:
        # The staging table is invisible to others until the commit, and a COPY into it shows in
        # pg_stat_activity only while it runs (missed once under load, the run then ending with
        # exit 0); the writer's transaction has an id from its CREATE TABLE until the commit.
        return bool(run_sql(
            pg_uri, "SELECT 1 FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
            "(backend_xid IS NOT NULL OR query LIKE '%term__clv_staging%')",
        ))  # fmt: skip

    deadline = time.time() + 60
    while not writing() and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "interrupted by SIGTERM" in stderr and SECRET not in stderr
    assert checksum(pg_uri, "term") == before
    assert staging_tables(pg_uri) == []


def test_an_rfm_table_in_the_database_scores_like_the_file(model, pg_uri, tmp_path):
    rfm = clv.rfm_from_file(model["parquet"], observation_end=END)
    rfm.index.name = "customer_id"
    clv.write_table(rfm, pg_uri, table="cdnow_rfm", if_exists="replace")
    output = tmp_path / "from_rfm.parquet"
    result = cli("score", model["db"], pg_uri, "--table", "cdnow_rfm", "-o", output)
    assert result.exit_code == 0, result.output
    ours = pd.read_parquet(output).set_index("customer_id").sort_index()
    expected = pd.read_parquet(model["scores"]).set_index("customer_id").sort_index()
    assert list(ours.index) == list(expected.index)
    np.testing.assert_allclose(ours.to_numpy(float), expected.to_numpy(float), rtol=1e-10)


@pytest.fixture
def guarded_input(pg_uri, cdnow_table):
    run_sql(
        pg_uri, "DROP TABLE IF EXISTS guard_in", f"CREATE TABLE guard_in AS TABLE {cdnow_table}"
    )
    before = _content(pg_uri, "guard_in")
    assert before[0] > 0
    yield before
    run_sql(pg_uri, "DROP TABLE IF EXISTS guard_in")


@pytest.mark.parametrize(
    ("command", "target", "refused"),
    [
        ("score", ["--output-table", "public.guard_in"], "--output-table public.guard_in"),
        (
            "score",
            ["--output-table", '"guard_in"', "--rejects-table", "guard_rejects"],
            '--output-table "guard_in"',
        ),
        (
            "score",
            ["--output-table", "guard_out", "--rejects-table", "public.guard_in"],
            "--rejects-table public.guard_in",
        ),
        ("plan", ["--output-table", "guard_in"], "--output-table guard_in"),
        ("plan", ["--output-table", "public.guard_in"], "--output-table public.guard_in"),
    ],
)
def test_an_output_that_is_the_input_table_on_the_server_is_refused(
    command, target, refused, model, pg_server, guarded_input
):
    """The server resolves the names (schema, quotes, search_path): another spelling of the input
    table, or another URI to the same database, is refused before anything is written."""
    out_uri = pg_server.uri.replace("127.0.0.1", "localhost")
    assert out_uri != pg_server.uri
    result = cli(
        command, model["db"], pg_server.uri, "--table", "guard_in", "--observation-end", END,
        "-o", out_uri, *target, "--if-exists", "replace",
    )  # fmt: skip
    line = one_line_error(result)
    assert refused in line and "is the input table guard_in" in line
    assert "would destroy the input" in line
    assert _content(pg_server.uri, "guard_in") == guarded_input
    for table in ("guard_out", "guard_rejects"):
        assert run_sql(pg_server.uri, f"SELECT to_regclass('{table}') IS NULL")[0][0]
    assert staging_tables(pg_server.uri) == []


@pytest.mark.parametrize("command", ["score", "plan"])
def test_an_output_in_another_schema_with_the_input_name_is_written(
    command, model, pg_uri, guarded_input
):
    rejects = ["--rejects-table", "guard_other.guard_rejects"] if command == "score" else []
    run_sql(pg_uri, "CREATE SCHEMA IF NOT EXISTS guard_other")
    try:
        result = cli(
            command, model["db"], pg_uri, "--table", "public.guard_in", "--observation-end", END,
            "-o", pg_uri, "--output-table", "guard_other.guard_in", *rejects,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert _content(pg_uri, "guard_in") == guarded_input
        written = run_sql(pg_uri, "SELECT count(*) FROM guard_other.guard_in")[0][0]
        assert 0 < written < guarded_input[0]  # one row a customer, not the log's rows
    finally:
        run_sql(pg_uri, "DROP SCHEMA guard_other CASCADE")
