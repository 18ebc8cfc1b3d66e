"""PostgreSQL output tables of score and plan, checked before any work and written with the right
types: a partition or view table of the input (or the partitioned table holding an input
partition) is not replaced, scores append to a table with numeric columns and to tables in two
schemas, a read-only server or user, a search_path naming no schema and two spellings of one
output table are refused before the input is read, and uuid ids are written back as uuid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli
from pg_checks import column_types as _column_types
from pg_checks import one_line_error as _one_line_error
from pg_checks import table_content as _content
from pg_server import run_sql

import clvmodel as clv

END = "1997-09-30"


@pytest.fixture(scope="module")
def model(cdnow_file_model):
    return cdnow_file_model


# -- the output replacing part of the input --------------------------------------------------
@pytest.fixture
def partitioned(pg_uri, cdnow_table):
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS log_parts CASCADE",
        "CREATE TABLE log_parts (customer_id text, date timestamp, amount float8) "
        "PARTITION BY RANGE (date)",
        "CREATE TABLE log_parts_a PARTITION OF log_parts "
        "FOR VALUES FROM ('1990-01-01') TO ('1997-04-01')",
        "CREATE TABLE log_parts_b PARTITION OF log_parts "
        "FOR VALUES FROM ('1997-04-01') TO ('2000-01-01')",
        f"INSERT INTO log_parts SELECT customer_id, date, amount FROM {cdnow_table}",
        "CREATE VIEW log_parts_view AS SELECT * FROM log_parts_b",
    )
    before = _content(pg_uri, "log_parts")
    yield before
    run_sql(pg_uri, "DROP TABLE IF EXISTS log_parts CASCADE", "DROP TABLE IF EXISTS log_parts_a")


@pytest.mark.parametrize("command", ["plan", "score"])
@pytest.mark.parametrize(
    ("source", "target", "refused"),
    [
        ("log_parts", "log_parts_a", "is the table log_parts_a that the input table log_parts"),
        ("log_parts", "public.log_parts_b", "is the table log_parts_b that the input table"),
        ("log_parts_a", "log_parts", "has a partition that is the input table log_parts_a"),
        ("log_parts_view", "log_parts_b", "that the input table log_parts_view reads"),
    ],
)
def test_a_partition_or_view_table_of_the_input_is_not_replaced(
    command, source, target, refused, model, pg_uri, partitioned
):
    """Replacing a partition (or the partitioned table holding the input partition) dropped
    part of the input: the plan command lost every row of log_parts_a."""
    result = run_cli(
        command, model, pg_uri, "--table", source, "--observation-end", END,
        "-o", pg_uri, "--output-table", target, "--if-exists", "replace",
    )  # fmt: skip
    line = _one_line_error(result)
    assert refused in line and "would destroy the input" in line, line
    assert _content(pg_uri, "log_parts") == partitioned


def test_a_partitioned_table_that_a_query_reads_is_not_replaced(model, pg_uri, partitioned):
    """The plan of a query names the partitions it scans, not their parent: replacing the
    parent dropped them."""
    result = run_cli(
        "plan", model, pg_uri, "--query", "SELECT * FROM log_parts", "--observation-end", END,
        "-o", pg_uri, "--output-table", "log_parts", "--if-exists", "replace",
    )  # fmt: skip
    line = _one_line_error(result)
    assert "has a partition that is the table log_parts_" in line and "--query reads" in line
    assert _content(pg_uri, "log_parts") == partitioned


# -- appending -------------------------------------------------------------------------------
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
        "DROP TABLE IF EXISTS numeric_scores",
        "DROP TABLE IF EXISTS numeric_scores_rejects",
        f"CREATE TABLE numeric_scores (customer_id varchar(10), frequency integer, {definition}, "
        "scored_at timestamptz NOT NULL DEFAULT now())",
    )
    for _ in range(2):
        result = run_cli(
            "score", model, pg_uri, *source, "-o", pg_uri, "--output-table", "numeric_scores",
            "--if-exists", "append",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    rows = run_sql(pg_uri, "SELECT * FROM numeric_scores")
    assert len(rows) == 2 * len(expected)
    table = pd.DataFrame(rows, columns=["customer_id", "frequency", *numbers, "scored_at"])
    first = table.drop_duplicates("customer_id").set_index("customer_id").sort_index()
    assert list(first.index) == list(expected.index)
    assert first["scored_at"].notna().all()
    np.testing.assert_array_equal(first["frequency"], expected["frequency"])
    got = first[numbers].apply(lambda column: column.map(float))
    np.testing.assert_allclose(got.to_numpy(), expected[numbers].to_numpy(), rtol=0, atol=5.1e-5)
    assert run_sql(pg_uri, "SELECT relname FROM pg_class WHERE relname LIKE '%clv_staging%'") == []
    run_sql(pg_uri, "DROP TABLE numeric_scores", "DROP TABLE numeric_scores_rejects")


def test_an_append_to_a_schema_table_then_a_plain_one_writes_both(pg_uri):
    """The driver kept the first table's schema for the next COPY: the rows of ``plain_scores`` were
    sent to ``score_schema.plain_scores``, which does not exist."""
    import pyarrow as pa

    from clvmodel._postgres_write import TableSpec, write_tables

    run_sql(
        pg_uri,
        "CREATE SCHEMA IF NOT EXISTS score_schema",
        "DROP TABLE IF EXISTS score_schema.scores",
        "DROP TABLE IF EXISTS plain_scores",
        "CREATE TABLE score_schema.scores (x float8)",
        "CREATE TABLE plain_scores (x float8)",
    )
    rows = pa.table({"x": [1.0, 2.0]})
    specs = [TableSpec(name, [("x", "double precision")], [rows])
             for name in ("score_schema.scores", "plain_scores")]  # fmt: skip
    assert write_tables(pg_uri, specs, "append") == {"score_schema.scores": 2, "plain_scores": 2}
    counts = (
        "SELECT (SELECT count(*) FROM score_schema.scores), (SELECT count(*) FROM plain_scores)"
    )
    assert run_sql(pg_uri, counts) == [(2, 2)]
    run_sql(pg_uri, "DROP SCHEMA score_schema CASCADE", "DROP TABLE plain_scores")


# -- refused before any work -----------------------------------------------------------------
def test_a_read_only_output_is_refused_before_any_work(pg_uri, monkeypatch):
    """A standby or a read-only user: the targets were checked and the whole input scored
    before the server refused the CREATE TABLE."""
    from clvmodel._postgres_write import check_targets

    monkeypatch.setenv("PGOPTIONS", "-c default_transaction_read_only=on")
    with pytest.raises(clv.InputError, match="read-only") as caught:
        check_targets(pg_uri, ["never_written"], "replace")
    assert "clv-secret" not in str(caught.value)


def test_an_unqualified_output_with_no_schema_to_create_it_in_says_so(pg_uri, monkeypatch):
    """A search_path naming no existing schema: the message blamed a permission on schema
    None, for a superuser."""
    from clvmodel._postgres_write import check_targets

    monkeypatch.setenv("PGOPTIONS", "-c search_path=no_such_schema")
    with pytest.raises(clv.InputError) as caught:
        check_targets(pg_uri, ["never_written"], "fail")
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
    run_sql(pg_uri, "DROP TABLE IF EXISTS twice_named")
    result = run_cli(
        "score", model, pg_uri, "--table", cdnow_table, "--observation-end", END,
        "-o", pg_uri, "--output-table", "twice_named", "--rejects-table", "public.twice_named",
    )  # fmt: skip
    line = _one_line_error(result)
    assert "'twice_named' and 'public.twice_named' name the same table" in line
    assert run_sql(pg_uri, "SELECT to_regclass('twice_named') IS NULL") == [(True,)]


# -- column types of the output --------------------------------------------------------------
def test_uuid_ids_are_written_back_as_uuid(model, pg_uri, cdnow_table):
    """Scores of a uuid-keyed log were written with text ids: joining them back to the
    customers failed ("operator does not exist: uuid = text")."""
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS uuid_log",
        f"CREATE TABLE uuid_log AS SELECT md5(customer_id)::uuid AS customer_id, date, amount "
        f"FROM {cdnow_table}",
        "INSERT INTO uuid_log VALUES (md5('late')::uuid, '1998-01-01', 3)",
    )
    result = run_cli(
        "score", model, pg_uri, "--table", "uuid_log", "--observation-end", END,
        "-o", pg_uri, "--output-table", "uuid_scores", "--if-exists", "replace",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for table in ("uuid_scores", "uuid_scores_rejects"):
        assert _column_types(pg_uri, table)["customer_id"] == "uuid"
    joined = run_sql(
        pg_uri,
        "SELECT (SELECT count(*) FROM uuid_scores s JOIN (SELECT DISTINCT customer_id "
        "FROM uuid_log) c USING (customer_id)), (SELECT count(*) FROM uuid_scores), "
        "(SELECT count(*) FROM uuid_scores_rejects r WHERE r.customer_id = md5('late')::uuid)",
    )
    assert joined == [(2357, 2357, 2)]  # the late customer: its row, then no valid transaction
    run_sql(
        pg_uri,
        "DROP TABLE uuid_log",
        "DROP TABLE uuid_scores",
        "DROP TABLE uuid_scores_rejects",
    )
