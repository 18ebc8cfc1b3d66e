"""Reading a PostgreSQL table or query (a transaction log or a DataFrame): timestamp(n) columns are
summarised in PostgreSQL, rejected dates are ISO whatever the server's DateStyle, columns the
driver sends as wire bytes or intervals are read as text, integer ids beside a NULL keep their
exact values, a table readable only in the needed columns is read while one not readable at all
is refused before any work, an empty table is not called a file with only a header, and a log
that fails to open holds no lock on its table."""

from __future__ import annotations

import numpy as np
import pytest
from cli_run import run_cli
from pg_checks import one_line_error as _one_line_error
from pg_server import run_sql

import clvmodel as clv
from clvmodel import _reading

END = "1997-09-30"


# -- reading a log ---------------------------------------------------------------------------
@pytest.mark.parametrize("date_type", ["timestamp(3)", "timestamptz(0)"])
def test_timestamp_columns_with_a_precision_are_summarised_in_postgresql(pg_uri, date_type):
    """``timestamp(3) without time zone`` was taken for an unknown type: never pushed down, and
    pushdown=True refused it although the message says timestamps are taken."""
    from clvmodel.engine import TransactionSource

    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS precise_ts_log",
        f"CREATE TABLE precise_ts_log (customer_id integer, date {date_type}, amount float8)",
        "INSERT INTO precise_ts_log VALUES (1, '1997-03-01 10:00', 10), (1, '1997-03-04', 12), "
        "(2, '1997-03-02', 3)",
    )
    source = TransactionSource(
        pg_uri, table="precise_ts_log", observation_end="1997-03-10", time_unit="D", pushdown=True
    )
    try:
        rfm = source.rfm()
    finally:
        source._pg.close()
    assert rfm.loc[1, ["frequency", "recency", "T", "monetary_value"]].tolist() == [1, 3, 9, 12]
    assert rfm.loc[2, ["frequency", "T"]].tolist() == [0, 8]
    run_sql(pg_uri, "DROP TABLE precise_ts_log")


def _rejects_of(pg_uri, table, observation_end, pushdown):
    """The rejects of a log table, read in PostgreSQL (``pushdown``) or spooled to DuckDB."""
    from clvmodel.engine import TransactionSource

    source = TransactionSource(
        pg_uri, table=table, observation_end=observation_end, pushdown=pushdown
    )
    try:
        return source.rejects()
    finally:
        if source._pg is not None:
            source._pg.close()


@pytest.mark.parametrize("pushdown", [True, False], ids=["in PostgreSQL", "spooled"])
def test_rejected_dates_are_shown_iso_whatever_the_datestyle(pg_uri, monkeypatch, pushdown):
    """With DateStyle 'SQL, DMY' the rejects showed 04/03/1997 for 4 March (read as 3 April
    in the US) on one route and 1997-03-04 on the other."""
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS datestyle_log",
        "CREATE TABLE datestyle_log (customer_id integer, date date, amount numeric(10,2))",
        "INSERT INTO datestyle_log VALUES (1, '1997-03-01', 10), (1, '1997-03-04', -12), "
        "(2, '1997-03-02', 3)",
    )
    monkeypatch.setenv("PGDATESTYLE", "SQL, DMY")
    rejects = _rejects_of(pg_uri, "datestyle_log", "1997-03-10", pushdown)
    assert rejects["date"].tolist() == ["1997-03-04"]
    assert rejects["reason"].tolist() == [_reading.NEGATIVE_AMOUNT]
    run_sql(pg_uri, "DROP TABLE datestyle_log")


@pytest.mark.parametrize("pushdown", [True, False], ids=["in PostgreSQL", "spooled"])
def test_rejects_of_one_customer_are_in_date_order(pg_uri, pushdown):
    """Rows of one customer with one reason came in the order the table was read."""
    rows = ", ".join(f"(1, '1997-03-{day:02d}', -{day})" for day in range(20, 0, -1))
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS reject_order",
        "CREATE TABLE reject_order (customer_id integer, date date, amount numeric(10,2))",
        f"INSERT INTO reject_order VALUES {rows}, (2, '1997-03-02', 3)",
    )
    rejects = _rejects_of(pg_uri, "reject_order", "1997-03-30", pushdown)
    shown = rejects.loc[rejects["reason"] == _reading.NEGATIVE_AMOUNT, "date"].tolist()
    assert shown == [f"1997-03-{day:02d}" for day in range(1, 21)]
    run_sql(pg_uri, "DROP TABLE reject_order")


def test_an_empty_table_is_not_called_a_file_with_only_a_header(pg_uri, tmp_path):
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS no_rows_log",
        "CREATE TABLE no_rows_log (customer_id text, date date, amount float8)",
    )
    result = run_cli("fit", pg_uri, "--table", "no_rows_log", "-o", tmp_path / "m.json")
    line = _one_line_error(result)
    assert "table 'no_rows_log' at postgresql://clv:***@" in line and "has no rows" in line
    assert "header" not in line
    run_sql(pg_uri, "DROP TABLE no_rows_log")


def test_a_log_that_fails_to_open_holds_no_lock_on_its_table(pg_uri):
    """An error kept alive (a notebook keeps the last traceback) kept the source's snapshot
    open, 'idle in transaction' with a lock on the table: ALTER or DROP TABLE waited forever."""
    from clvmodel.engine import TransactionSource

    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS unusable_log",
        "CREATE TABLE unusable_log (customer_id text, date date, amount float8)",
        "INSERT INTO unusable_log VALUES (NULL, '1997-01-01', 1), ('a', NULL, 2)",
    )
    with pytest.raises(clv.InputError, match="no row of the input can be used") as caught:
        TransactionSource(pg_uri, table="unusable_log", pushdown=True)
    kept = caught.value.__traceback__  # what sys.last_traceback holds in a notebook
    run_sql(pg_uri, "SET LOCAL lock_timeout = '5s'", "DROP TABLE unusable_log")
    assert kept is not None


# -- reading a table into a DataFrame --------------------------------------------------------
def test_read_table_reads_columns_the_driver_sends_as_wire_bytes_or_intervals(pg_uri):
    """An interval column made read_table fail ("Unhandled type for Arrow to Parquet schema
    conversion: month_day_nano_interval"); inet, timetz, ranges, ... came as the server's binary
    wire format (b'\\x02 \\x00\\x04...'); a money[] query column came in cents."""
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS wire_types",
        "CREATE TABLE wire_types (customer_id integer, period interval, ip inet, at timetz, "
        "span int4range, periods interval[], stamps timestamp[], prices money[])",
        "INSERT INTO wire_types VALUES (1, '1 day', '10.0.0.1', '10:00+02', '[1,5)', "
        "'{1 day,2 days}', '{2020-01-02 03:04:05}', '{1.25,2.50}'), "
        "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
    )
    for frame in (
        clv.read_table(pg_uri, table="wire_types"),
        clv.read_table(pg_uri, query="SELECT * FROM wire_types ORDER BY customer_id"),
    ):
        first = frame.sort_values("customer_id").iloc[0]
        assert first["period"] == "1 day"
        assert first["ip"] == "10.0.0.1/32"
        assert first["at"] == "10:00:00+02"
        assert first["span"] == "[1,5)"
        assert list(first["periods"]) == ["1 day", "2 days"]
        assert list(first["stamps"]) == [np.datetime64("2020-01-02T03:04:05")]
        assert [float(p) for p in first["prices"]] == [1.25, 2.5]
        assert frame.sort_values("customer_id").iloc[1][["period", "ip", "span"]].isna().all()
    run_sql(pg_uri, "DROP TABLE wire_types")


def test_read_table_keeps_integer_ids_beside_a_null_exact(pg_uri):
    """A bigint column holding a NULL came as float64: id 2**53 + 1 read as 2**53, every id as
    7.0 (a Parquet file of the same column reads as nullable Int64)."""
    big = 2**53 + 1
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS null_bigint_ids",
        "CREATE TABLE null_bigint_ids (customer_id bigint, visits integer, amount float8)",
        f"INSERT INTO null_bigint_ids VALUES ({big}, 1, 1.5), (NULL, 2, 2.5), (7, 3, NULL)",
    )
    frame = clv.read_table(pg_uri, query="SELECT * FROM null_bigint_ids ORDER BY visits")
    assert frame["customer_id"].tolist()[0] == big and frame["customer_id"].tolist()[2] == 7
    assert frame["customer_id"].isna().tolist() == [False, True, False]
    assert str(frame["customer_id"].dtype) == "Int64"
    assert frame["visits"].tolist() == [1, 2, 3]  # no NULL: numpy integers, as from Parquet
    assert frame["amount"].dtype == "float64"
    run_sql(pg_uri, "DROP TABLE null_bigint_ids")


# -- privileges ------------------------------------------------------------------------------
@pytest.fixture
def column_reader(pg_server, cdnow_table):
    """A user granted SELECT on the log's three columns of a table, not on its email column."""
    uri = pg_server.uri
    run_sql(
        uri,
        "DROP TABLE IF EXISTS pii_log",
        f"CREATE TABLE pii_log AS SELECT customer_id, date, amount, 'a@b.c'::text AS email "
        f"FROM {cdnow_table}",
        "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'column_analyst') THEN "
        "CREATE ROLE column_analyst LOGIN PASSWORD 'reader-secret'; END IF; END$$",
        "GRANT SELECT (customer_id, date, amount) ON pii_log TO column_analyst",
    )
    yield pg_server.uri_for("column_analyst", "reader-secret")
    run_sql(uri, "DROP TABLE pii_log")


@pytest.mark.parametrize("pushdown", [[], ["--no-pushdown"]], ids=["in PostgreSQL", "spooled"])
def test_a_table_readable_in_the_needed_columns_only_is_read(
    pushdown, column_reader, tmp_path, cdnow_sample
):
    """SELECT granted on some columns (the others hidden): the check read every column
    ("permission denied for table pii_log") though the commands read three."""
    path = tmp_path / "model.json"
    result = run_cli(
        "fit", column_reader, "--table", "pii_log", "--observation-end", END, "-o", path,
        *pushdown,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2,357 customers" in result.output
    frame = clv.read_table(column_reader, table="pii_log", columns=["customer_id", "amount"])
    assert len(frame) == len(cdnow_sample)


def test_a_table_not_readable_at_all_is_refused_before_any_work(pg_server, cdnow_table, tmp_path):
    run_sql(
        pg_server.uri,
        "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'no_grants_user') THEN "
        "CREATE ROLE no_grants_user LOGIN PASSWORD 'reader-secret'; END IF; END$$",
    )
    uri = pg_server.uri_for("no_grants_user", "reader-secret")
    result = run_cli("fit", uri, "--table", cdnow_table, "-o", tmp_path / "m.json")
    line = _one_line_error(result)
    assert f"permission denied for table {cdnow_table}" in line and "privilege" in line
