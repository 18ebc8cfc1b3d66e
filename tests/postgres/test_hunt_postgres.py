"""PostgreSQL-route defects found in a second hunt: a partition of the input table replaced by the
output, appends to tables with numeric columns or in two schemas, timestamp(n) columns kept out of
PostgreSQL, the server's DateStyle in the rejects, columns read as raw wire bytes (or not read at
all), and DataFrames written with the wrong column types or refused."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli
from pg_server import run_sql

import clvmodel as clv
from clvmodel import _reading

END = "1997-09-30"


@pytest.fixture(scope="module")
def model(cdnow_file_model):
    return cdnow_file_model


def _content(uri, table):
    digest = f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {table} t"
    return tuple(run_sql(uri, digest)[0])


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "clv-secret" not in result.output
    return lines[0]


def _column_types(uri, table) -> dict[str, str]:
    rows = run_sql(
        uri,
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
        f"'{table}'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
    )
    return dict(rows)


# -- the output replacing part of the input ---------------------------------------------------
@pytest.fixture
def partitioned(pg_uri, cdnow_table):
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS hunt_parts CASCADE",
        "CREATE TABLE hunt_parts (customer_id text, date timestamp, amount float8) "
        "PARTITION BY RANGE (date)",
        "CREATE TABLE hunt_parts_a PARTITION OF hunt_parts "
        "FOR VALUES FROM ('1990-01-01') TO ('1997-04-01')",
        "CREATE TABLE hunt_parts_b PARTITION OF hunt_parts "
        "FOR VALUES FROM ('1997-04-01') TO ('2000-01-01')",
        f"INSERT INTO hunt_parts SELECT customer_id, date, amount FROM {cdnow_table}",
        "CREATE VIEW hunt_parts_view AS SELECT * FROM hunt_parts_b",
    )
    before = _content(pg_uri, "hunt_parts")
    yield before
    run_sql(pg_uri, "DROP TABLE IF EXISTS hunt_parts CASCADE", "DROP TABLE IF EXISTS hunt_parts_a")


@pytest.mark.parametrize("command", ["plan", "score"])
@pytest.mark.parametrize(
    ("source", "target", "refused"),
    [
        ("hunt_parts", "hunt_parts_a", "is the table hunt_parts_a that the input table hunt_parts"),
        ("hunt_parts", "public.hunt_parts_b", "is the table hunt_parts_b that the input table"),
        ("hunt_parts_a", "hunt_parts", "has a partition that is the input table hunt_parts_a"),
        ("hunt_parts_view", "hunt_parts_b", "that the input table hunt_parts_view reads"),
    ],
)
def test_a_partition_or_view_table_of_the_input_is_not_replaced(
    command, source, target, refused, model, pg_uri, partitioned
):
    """Replacing a partition (or the partitioned table holding the input partition) dropped
    part of the input: the plan command lost every row of hunt_parts_a."""
    result = run_cli(
        command, model, pg_uri, "--table", source, "--observation-end", END,
        "-o", pg_uri, "--output-table", target, "--if-exists", "replace",
    )  # fmt: skip
    line = _one_line_error(result)
    assert refused in line and "would destroy the input" in line, line
    assert _content(pg_uri, "hunt_parts") == partitioned


def test_a_partitioned_table_that_a_query_reads_is_not_replaced(model, pg_uri, partitioned):
    """The plan of a query names the partitions it scans, not their parent: replacing the
    parent dropped them."""
    result = run_cli(
        "plan", model, pg_uri, "--query", "SELECT * FROM hunt_parts", "--observation-end", END,
        "-o", pg_uri, "--output-table", "hunt_parts", "--if-exists", "replace",
    )  # fmt: skip
    line = _one_line_error(result)
    assert "has a partition that is the table hunt_parts_" in line and "--query reads" in line
    assert _content(pg_uri, "hunt_parts") == partitioned


# -- appending ---------------------------------------------------------------------------------
def test_scores_append_to_a_table_with_numeric_columns(model, pg_uri, cdnow_table, tmp_path):
    """Binary COPY cannot write a double into numeric: the append failed with the driver's
    "COPY Writer from Arrow type 'double' to PostgreSQL numeric is not implemented"."""
    scores = tmp_path / "scores.parquet"
    source = ["--table", cdnow_table, "--observation-end", END]
    result = run_cli("score", model, pg_uri, *source, "-o", scores)
    assert result.exit_code == 0, result.output
    expected = pd.read_parquet(scores).set_index("customer_id").sort_index()
    numbers = [c for c in expected.columns if c != "frequency"]
    definition = ", ".join(f'"{c}" numeric(14,4)' for c in numbers)
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS hunt_numeric",
        "DROP TABLE IF EXISTS hunt_numeric_rejects",
        f"CREATE TABLE hunt_numeric (customer_id varchar(10), frequency integer, {definition}, "
        "scored_at timestamptz NOT NULL DEFAULT now())",
    )
    for _ in range(2):
        result = run_cli(
            "score", model, pg_uri, *source, "-o", pg_uri, "--output-table", "hunt_numeric",
            "--if-exists", "append",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    rows = run_sql(pg_uri, "SELECT * FROM hunt_numeric")
    assert len(rows) == 2 * len(expected)
    table = pd.DataFrame(rows, columns=["customer_id", "frequency", *numbers, "scored_at"])
    first = table.drop_duplicates("customer_id").set_index("customer_id").sort_index()
    assert list(first.index) == list(expected.index)
    assert first["scored_at"].notna().all()
    np.testing.assert_array_equal(first["frequency"], expected["frequency"])
    got = first[numbers].apply(lambda column: column.map(float))
    np.testing.assert_allclose(got.to_numpy(), expected[numbers].to_numpy(), rtol=0, atol=5.1e-5)
    assert run_sql(pg_uri, "SELECT relname FROM pg_class WHERE relname LIKE '%clv_staging%'") == []
    run_sql(pg_uri, "DROP TABLE hunt_numeric", "DROP TABLE hunt_numeric_rejects")


def test_an_append_to_a_schema_table_then_a_plain_one_writes_both(pg_uri):
    """The driver kept the first table's schema for the next COPY: the rows of ``plain`` were
    sent to ``hunt_schema.plain``, which does not exist."""
    import pyarrow as pa

    from clvmodel._postgres_write import TableSpec, write_tables

    run_sql(
        pg_uri,
        "CREATE SCHEMA IF NOT EXISTS hunt_schema",
        "DROP TABLE IF EXISTS hunt_schema.scores",
        "DROP TABLE IF EXISTS hunt_plain",
        "CREATE TABLE hunt_schema.scores (x float8)",
        "CREATE TABLE hunt_plain (x float8)",
    )
    rows = pa.table({"x": [1.0, 2.0]})
    specs = [TableSpec(name, [("x", "double precision")], [rows])
             for name in ("hunt_schema.scores", "hunt_plain")]  # fmt: skip
    assert write_tables(pg_uri, specs, "append") == {"hunt_schema.scores": 2, "hunt_plain": 2}
    counts = "SELECT (SELECT count(*) FROM hunt_schema.scores), (SELECT count(*) FROM hunt_plain)"
    assert run_sql(pg_uri, counts) == [(2, 2)]
    run_sql(pg_uri, "DROP SCHEMA hunt_schema CASCADE", "DROP TABLE hunt_plain")


# -- reading a log -----------------------------------------------------------------------------
@pytest.mark.parametrize("date_type", ["timestamp(3)", "timestamptz(0)"])
def test_timestamp_columns_with_a_precision_are_summarised_in_postgresql(pg_uri, date_type):
    """``timestamp(3) without time zone`` was taken for an unknown type: never pushed down, and
    pushdown=True refused it although the message says timestamps are taken."""
    from clvmodel.engine import TransactionSource

    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS hunt_ts",
        f"CREATE TABLE hunt_ts (customer_id integer, date {date_type}, amount float8)",
        "INSERT INTO hunt_ts VALUES (1, '1997-03-01 10:00', 10), (1, '1997-03-04', 12), "
        "(2, '1997-03-02', 3)",
    )
    source = TransactionSource(
        pg_uri, table="hunt_ts", observation_end="1997-03-10", time_unit="D", pushdown=True
    )
    try:
        rfm = source.rfm()
    finally:
        source._pg.close()
    assert rfm.loc[1, ["frequency", "recency", "T", "monetary_value"]].tolist() == [1, 3, 9, 12]
    assert rfm.loc[2, ["frequency", "T"]].tolist() == [0, 8]
    run_sql(pg_uri, "DROP TABLE hunt_ts")


@pytest.mark.parametrize("pushdown", [True, False], ids=["in PostgreSQL", "spooled"])
def test_rejected_dates_are_shown_iso_whatever_the_datestyle(pg_uri, monkeypatch, pushdown):
    """With DateStyle 'SQL, DMY' the rejects showed 04/03/1997 for 4 March (read as 3 April
    in the US) on one route and 1997-03-04 on the other."""
    from clvmodel.engine import TransactionSource

    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS hunt_style",
        "CREATE TABLE hunt_style (customer_id integer, date date, amount numeric(10,2))",
        "INSERT INTO hunt_style VALUES (1, '1997-03-01', 10), (1, '1997-03-04', -12), "
        "(2, '1997-03-02', 3)",
    )
    monkeypatch.setenv("PGDATESTYLE", "SQL, DMY")
    source = TransactionSource(
        pg_uri, table="hunt_style", observation_end="1997-03-10", pushdown=pushdown
    )
    try:
        rejects = source.rejects()
    finally:
        if source._pg is not None:
            source._pg.close()
    assert rejects["date"].tolist() == ["1997-03-04"]
    assert rejects["reason"].tolist() == [_reading.NEGATIVE_AMOUNT]
    run_sql(pg_uri, "DROP TABLE hunt_style")


# -- reading a table into a DataFrame ----------------------------------------------------------
def test_read_table_reads_columns_the_driver_sends_as_wire_bytes_or_intervals(pg_uri):
    """An interval column made read_table fail ("Unhandled type for Arrow to Parquet schema
    conversion: month_day_nano_interval"); inet, timetz, ranges, ... came as the server's binary
    wire format (b'\\x02 \\x00\\x04...'); a money[] query column came in cents."""
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS hunt_odd",
        "CREATE TABLE hunt_odd (customer_id integer, period interval, ip inet, at timetz, "
        "span int4range, periods interval[], stamps timestamp[], prices money[])",
        "INSERT INTO hunt_odd VALUES (1, '1 day', '10.0.0.1', '10:00+02', '[1,5)', "
        "'{1 day,2 days}', '{2020-01-02 03:04:05}', '{1.25,2.50}'), "
        "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
    )
    for frame in (
        clv.read_table(pg_uri, table="hunt_odd"),
        clv.read_table(pg_uri, query="SELECT * FROM hunt_odd ORDER BY customer_id"),
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
    run_sql(pg_uri, "DROP TABLE hunt_odd")


# -- writing a DataFrame -----------------------------------------------------------------------
def test_write_table_gives_decimals_durations_and_large_unsigned_ints_their_types(pg_uri):
    """Decimals were written as a text column, durations as the text of their microseconds
    ('86400000000'), unsigned ints from 2**63 and nanosecond times were refused."""
    frame = pd.DataFrame(
        {
            "spend": [Decimal("1.10"), Decimal("2.25")],
            "gap": pd.to_timedelta(["1 day", "2 hours"]),
            "big": np.array([2**63 + 5, 7], dtype="uint64"),
            "at": pd.to_datetime(
                ["2020-01-01 10:00:00.123456789", "2020-01-02 00:00:00.000000000"]
            ),
        },
        index=pd.Index(["a", "b"], name="customer_id"),
    )
    clv.write_table(frame, pg_uri, table="hunt_types", if_exists="replace")
    types = _column_types(pg_uri, "hunt_types")
    assert types["spend"].startswith("numeric(") and types["spend"].endswith(",2)")
    assert types["gap"] == "interval" and types["big"].startswith("numeric")
    rows = run_sql(
        pg_uri,
        "SELECT customer_id, spend::text, extract(epoch FROM gap)::bigint, big::text, at "
        "FROM hunt_types ORDER BY 1",
    )
    assert rows == [
        ("a", "1.10", 86400, str(2**63 + 5), datetime.datetime(2020, 1, 1, 10, 0, 0, 123456)),
        ("b", "2.25", 7200, "7", datetime.datetime(2020, 1, 2)),
    ]
    # The column holds wider amounts than the first ones written (pandas inferred numeric(3,2)).
    more = pd.DataFrame({"spend": [Decimal("100.5")]}, index=pd.Index(["c"], name="customer_id"))
    clv.write_table(more, pg_uri, table="hunt_types", if_exists="append")
    assert run_sql(pg_uri, "SELECT spend::text FROM hunt_types WHERE customer_id = 'c'") == [
        ("100.50",)
    ]
    run_sql(pg_uri, "DROP TABLE hunt_types")


# -- privileges and read-only servers ------------------------------------------------------------
@pytest.fixture
def column_reader(pg_server, cdnow_table):
    """A user granted SELECT on the log's three columns of a table, not on its email column."""
    uri = pg_server.uri
    run_sql(
        uri,
        "DROP TABLE IF EXISTS hunt_pii",
        f"CREATE TABLE hunt_pii AS SELECT customer_id, date, amount, 'a@b.c'::text AS email "
        f"FROM {cdnow_table}",
        "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hunt_analyst') THEN "
        "CREATE ROLE hunt_analyst LOGIN PASSWORD 'hunt-secret'; END IF; END$$",
        "GRANT SELECT (customer_id, date, amount) ON hunt_pii TO hunt_analyst",
    )
    yield pg_server.uri_for("hunt_analyst", "hunt-secret")
    run_sql(uri, "DROP TABLE hunt_pii")


@pytest.mark.parametrize("pushdown", [[], ["--no-pushdown"]], ids=["in PostgreSQL", "spooled"])
def test_a_table_readable_in_the_needed_columns_only_is_read(
    pushdown, column_reader, tmp_path, cdnow_sample
):
    """SELECT granted on some columns (the others hidden): the check read every column
    ("permission denied for table hunt_pii") though the commands read three."""
    path = tmp_path / "model.json"
    result = run_cli(
        "fit", column_reader, "--table", "hunt_pii", "--observation-end", END, "-o", path,
        *pushdown,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2,357 customers" in result.output
    frame = clv.read_table(column_reader, table="hunt_pii", columns=["customer_id", "amount"])
    assert len(frame) == len(cdnow_sample)


def test_a_table_not_readable_at_all_is_refused_before_any_work(pg_server, cdnow_table, tmp_path):
    run_sql(
        pg_server.uri,
        "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hunt_nobody') THEN "
        "CREATE ROLE hunt_nobody LOGIN PASSWORD 'hunt-secret'; END IF; END$$",
    )
    uri = pg_server.uri_for("hunt_nobody", "hunt-secret")
    result = run_cli("fit", uri, "--table", cdnow_table, "-o", tmp_path / "m.json")
    line = _one_line_error(result)
    assert f"permission denied for table {cdnow_table}" in line and "privilege" in line


def test_a_read_only_output_is_refused_before_any_work(pg_uri, monkeypatch):
    """A standby or a read-only user: the targets were checked and the whole input scored
    before the server refused the CREATE TABLE."""
    from clvmodel._postgres_write import check_targets

    monkeypatch.setenv("PGOPTIONS", "-c default_transaction_read_only=on")
    with pytest.raises(clv.InputError, match="read-only") as caught:
        check_targets(pg_uri, ["hunt_never_written"], "replace")
    assert "clv-secret" not in str(caught.value)


def test_read_table_keeps_integer_ids_beside_a_null_exact(pg_uri):
    """A bigint column holding a NULL came as float64: id 2**53 + 1 read as 2**53, every id as
    7.0 (a Parquet file of the same column reads as nullable Int64)."""
    big = 2**53 + 1
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS hunt_null_ids",
        "CREATE TABLE hunt_null_ids (customer_id bigint, visits integer, amount float8)",
        f"INSERT INTO hunt_null_ids VALUES ({big}, 1, 1.5), (NULL, 2, 2.5), (7, 3, NULL)",
    )
    frame = clv.read_table(pg_uri, query="SELECT * FROM hunt_null_ids ORDER BY visits")
    assert frame["customer_id"].tolist()[0] == big and frame["customer_id"].tolist()[2] == 7
    assert frame["customer_id"].isna().tolist() == [False, True, False]
    assert str(frame["customer_id"].dtype) == "Int64"
    assert frame["visits"].tolist() == [1, 2, 3]  # no NULL: numpy integers, as from Parquet
    assert frame["amount"].dtype == "float64"
    run_sql(pg_uri, "DROP TABLE hunt_null_ids")


def test_an_unqualified_output_with_no_schema_to_create_it_in_says_so(pg_uri, monkeypatch):
    """A search_path naming no existing schema: the message blamed a permission on schema
    None, for a superuser."""
    from clvmodel._postgres_write import check_targets

    monkeypatch.setenv("PGOPTIONS", "-c search_path=hunt_no_such_schema")
    with pytest.raises(clv.InputError) as caught:
        check_targets(pg_uri, ["hunt_never_written"], "fail")
    message = str(caught.value)
    assert "search_path" in message and "schema.table" in message
    assert "None" not in message and "permission" not in message


def test_two_spellings_of_one_output_table_are_refused_before_any_work(
    model, pg_uri, cdnow_table, monkeypatch
):
    """--output-table t --rejects-table public.t: the input was read and scored, then the write
    failed with 'relation "t__clv_staging_..." already exists'."""
    import clvmodel.cli._score_command as score_command

    def never(*args, **kwargs):
        raise AssertionError("scored before the targets were checked")

    monkeypatch.setattr(score_command, "scored_tables", never)
    run_sql(pg_uri, "DROP TABLE IF EXISTS hunt_twice")
    result = run_cli(
        "score", model, pg_uri, "--table", cdnow_table, "--observation-end", END,
        "-o", pg_uri, "--output-table", "hunt_twice", "--rejects-table", "public.hunt_twice",
    )  # fmt: skip
    line = _one_line_error(result)
    assert "'hunt_twice' and 'public.hunt_twice' name the same table" in line
    assert run_sql(pg_uri, "SELECT to_regclass('hunt_twice') IS NULL") == [(True,)]


def test_an_empty_table_is_not_called_a_file_with_only_a_header(pg_uri, tmp_path):
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS hunt_empty",
        "CREATE TABLE hunt_empty (customer_id text, date date, amount float8)",
    )
    result = run_cli("fit", pg_uri, "--table", "hunt_empty", "-o", tmp_path / "m.json")
    line = _one_line_error(result)
    assert "table 'hunt_empty' at postgresql://clv:***@" in line and "has no rows" in line
    assert "header" not in line
    run_sql(pg_uri, "DROP TABLE hunt_empty")


def test_a_log_that_fails_to_open_holds_no_lock_on_its_table(pg_uri):
    """An error kept alive (a notebook keeps the last traceback) kept the source's snapshot
    open, 'idle in transaction' with a lock on the table: ALTER or DROP TABLE waited forever."""
    from clvmodel.engine import TransactionSource

    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS hunt_unusable",
        "CREATE TABLE hunt_unusable (customer_id text, date date, amount float8)",
        "INSERT INTO hunt_unusable VALUES (NULL, '1997-01-01', 1), ('a', NULL, 2)",
    )
    with pytest.raises(clv.InputError, match="no row of the input can be used") as caught:
        TransactionSource(pg_uri, table="hunt_unusable", pushdown=True)
    kept = caught.value.__traceback__  # what sys.last_traceback holds in a notebook
    run_sql(pg_uri, "SET LOCAL lock_timeout = '5s'", "DROP TABLE hunt_unusable")
    assert kept is not None


def test_uuid_ids_are_written_back_as_uuid(model, pg_uri, cdnow_table):
    """Scores of a uuid-keyed log were written with text ids: joining them back to the
    customers failed ("operator does not exist: uuid = text")."""
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS hunt_uuid",
        f"CREATE TABLE hunt_uuid AS SELECT md5(customer_id)::uuid AS customer_id, date, amount "
        f"FROM {cdnow_table}",
        "INSERT INTO hunt_uuid VALUES (md5('late')::uuid, '1998-01-01', 3)",
    )
    result = run_cli(
        "score", model, pg_uri, "--table", "hunt_uuid", "--observation-end", END,
        "-o", pg_uri, "--output-table", "hunt_uuid_scores", "--if-exists", "replace",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for table in ("hunt_uuid_scores", "hunt_uuid_scores_rejects"):
        assert _column_types(pg_uri, table)["customer_id"] == "uuid"
    joined = run_sql(
        pg_uri,
        "SELECT (SELECT count(*) FROM hunt_uuid_scores s JOIN (SELECT DISTINCT customer_id "
        "FROM hunt_uuid) c USING (customer_id)), (SELECT count(*) FROM hunt_uuid_scores), "
        "(SELECT count(*) FROM hunt_uuid_scores_rejects r WHERE r.customer_id = md5('late')::uuid)",
    )
    assert joined == [(2357, 2357, 2)]  # the late customer: its row, then no valid transaction
    run_sql(
        pg_uri,
        "DROP TABLE hunt_uuid",
        "DROP TABLE hunt_uuid_scores",
        "DROP TABLE hunt_uuid_scores_rejects",
    )


def test_write_table_honours_column_types_beyond_integers_and_text(pg_uri):
    """column_types={"clv": "numeric(12,2)"} was silently ignored: a double precision column."""
    frame = pd.DataFrame(
        {"clv": [1.234567, 2.0, np.nan], "status": ["active", "lapsed", "active"]},
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS hunt_typed",
        "DROP TYPE IF EXISTS hunt_status",
        "CREATE TYPE hunt_status AS ENUM ('active', 'lapsed')",
    )
    types = {"clv": "numeric(12,2)", "status": "hunt_status", "customer_id": "varchar(5)"}
    clv.write_table(frame, pg_uri, table="hunt_typed", if_exists="replace", column_types=types)
    assert _column_types(pg_uri, "hunt_typed") == {
        "customer_id": "character varying(5)",
        "clv": "numeric(12,2)",
        "status": "hunt_status",
    }
    rows = run_sql(pg_uri, "SELECT customer_id, clv::text, status::text FROM hunt_typed ORDER BY 1")
    assert rows == [("a", "1.23", "active"), ("b", "2.00", "lapsed"), ("c", None, "active")]
    clv.write_table(frame, pg_uri, table="hunt_typed", if_exists="append")  # cast on the way in
    assert run_sql(pg_uri, "SELECT count(*), sum(clv)::text FROM hunt_typed") == [(6, "6.46")]
    run_sql(pg_uri, "DROP TABLE hunt_typed", "DROP TYPE hunt_status")


def test_a_uuid_column_read_with_read_table_is_written_back(pg_uri):
    """read_table gives uuid.UUID objects; write_table refused them ("Invalid UTF8 payload")."""
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS hunt_uuid_in",
        "DROP TABLE IF EXISTS hunt_uuid_back",
        "CREATE TABLE hunt_uuid_in (customer_id uuid, amount float8)",
        "INSERT INTO hunt_uuid_in VALUES (md5('a')::uuid, 1.5), (NULL, 2.5)",
    )
    frame = clv.read_table(pg_uri, table="hunt_uuid_in")
    clv.write_table(frame, pg_uri, table="hunt_uuid_back", index=False)
    assert _column_types(pg_uri, "hunt_uuid_back")["customer_id"] == "uuid"
    same = "SELECT count(*) FROM hunt_uuid_in i JOIN hunt_uuid_back b USING (customer_id, amount)"
    assert run_sql(pg_uri, same) == [(1,)]
    assert run_sql(pg_uri, "SELECT count(*) FROM hunt_uuid_back") == [(2,)]
    run_sql(pg_uri, "DROP TABLE hunt_uuid_in", "DROP TABLE hunt_uuid_back")
