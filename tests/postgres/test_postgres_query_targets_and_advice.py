"""PostgreSQL-route checks before any work and advice in the right words: an output or rejects
table that a --query reads is refused (it would destroy the input), advice for a missing column
names only the missing roles (and RFM-table advice for an RFM table), a numeric amount beyond
double precision is named, a numeric query column is described as numeric, bad rows of a table
are counted in the order read (not after a header), and timestamptz days are UTC days whatever
the session's time zone."""

from __future__ import annotations

import pytest
from cli_run import run_cli
from pg_checks import one_line_error
from pg_checks import table_content as _content
from pg_server import run_sql

END = "1997-09-30"


@pytest.fixture(scope="module")
def model(tmp_path_factory, pg_uri, cdnow_table):
    path = tmp_path_factory.mktemp("model") / "db.json"
    result = run_cli("fit", pg_uri, "--table", cdnow_table, "--observation-end", END, "-o", path)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def victims(pg_uri, cdnow_table):
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS victim",
        "DROP TABLE IF EXISTS victim_people",
        f"CREATE TABLE victim AS TABLE {cdnow_table}",
        "CREATE TABLE victim_people AS SELECT DISTINCT customer_id FROM victim",
    )
    before = {t: _content(pg_uri, t) for t in ("victim", "victim_people")}
    yield before
    run_sql(pg_uri, "DROP TABLE IF EXISTS victim", "DROP TABLE IF EXISTS victim_people")


@pytest.mark.parametrize("command", ["score", "plan"])
@pytest.mark.parametrize(
    ("query", "target"),
    [
        ("SELECT * FROM victim", "victim"),
        ("SELECT * FROM public.victim;", "public.victim"),
        (
            "SELECT v.* FROM victim v JOIN victim_people p USING (customer_id)",
            "victim_people",
        ),
        (
            "WITH p AS (SELECT customer_id FROM victim_people) "
            "SELECT * FROM victim WHERE customer_id IN (SELECT customer_id FROM p)",
            '"victim_people"',
        ),
    ],
)
def test_an_output_table_that_a_query_reads_is_refused(
    command, query, target, model, pg_uri, victims
):
    result = run_cli(
        command, model, pg_uri, "--query", query, "--observation-end", END,
        "-o", pg_uri, "--output-table", target, "--if-exists", "replace",
    )  # fmt: skip
    line = one_line_error(result, "clv-secret")
    assert f"--output-table {target} is the table" in line and "--query reads" in line
    assert "would destroy the input" in line
    assert {t: _content(pg_uri, t) for t in victims} == victims


def test_a_rejects_table_that_a_query_reads_is_refused(model, pg_uri, victims):
    result = run_cli(
        "score", model, pg_uri, "--query", "SELECT * FROM victim", "--observation-end", END,
        "-o", pg_uri, "--output-table", "victim_scores", "--rejects-table", "victim",
        "--if-exists", "replace",
    )  # fmt: skip
    line = one_line_error(result, "clv-secret")
    assert "--rejects-table victim is the table victim that --query reads" in line
    assert {t: _content(pg_uri, t) for t in victims} == victims
    assert run_sql(pg_uri, "SELECT to_regclass('victim_scores') IS NULL")[0][0]


def test_a_query_writing_another_table_still_works(model, pg_uri, victims):
    result = run_cli(
        "score", model, pg_uri, "--query", "SELECT * FROM victim", "--observation-end", END,
        "-o", pg_uri, "--output-table", "victim_scores", "--if-exists", "replace",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert run_sql(pg_uri, "SELECT count(*) FROM victim_scores")[0][0] > 0
    run_sql(pg_uri, "DROP TABLE victim_scores", "DROP TABLE victim_scores_rejects")


# ----------------------------------------------------------------------------------------------
# Advice for missing columns, numeric columns, database row order


@pytest.fixture(scope="module")
def odd_tables(pg_uri, cdnow_table):
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS rfm_lower_t",
        "CREATE TABLE rfm_lower_t (customer_id text, frequency int, recency float8, t float8, "
        "monetary_value float8)",
        "INSERT INTO rfm_lower_t VALUES ('a', 1, 2, 3, 4)",
        "DROP TABLE IF EXISTS huge_amount",
        f"CREATE TABLE huge_amount AS SELECT customer_id, date, amount::numeric AS amount "
        f"FROM {cdnow_table}",
        "UPDATE huge_amount SET amount = 1e400 WHERE ctid = (SELECT min(ctid) FROM huge_amount)",
        "DROP TABLE IF EXISTS no_ids",
        f"CREATE TABLE no_ids AS SELECT customer_id, date::text AS date, amount FROM {cdnow_table}",
        "UPDATE no_ids SET customer_id = NULL WHERE ctid IN (SELECT ctid FROM no_ids LIMIT 2)",
    )
    yield
    run_sql(pg_uri, *(f"DROP TABLE {t}" for t in ("rfm_lower_t", "huge_amount", "no_ids")))


@pytest.mark.parametrize("pushdown", ["--pushdown", "--no-pushdown"])
def test_missing_column_advice_names_only_the_missing_roles(
    pushdown, model, pg_uri, cdnow_table, tmp_path
):
    result = run_cli(
        "score", model, pg_uri, "--table", cdnow_table, "--customer-col", "cust",
        "-o", tmp_path / "s.csv", pushdown,
    )  # fmt: skip
    line = one_line_error(result, "clv-secret")
    assert "no customer column 'cust'" in line and "--customer-col" in line
    assert "--date-col" not in line and "--amount-col" not in line


def test_an_rfm_table_with_a_lower_case_t_gets_rfm_advice(model, pg_uri, odd_tables, tmp_path):
    result = run_cli("score", model, pg_uri, "--table", "rfm_lower_t", "-o", tmp_path / "s.csv")
    line = one_line_error(result, "clv-secret")
    assert "column 'T'" in line and "RFM table" in line and '"T"' in line
    assert "--customer-col" not in line and "--amount-col" not in line


def test_a_log_command_given_an_rfm_table_says_so(pg_uri, odd_tables, tmp_path):
    result = run_cli("fit", pg_uri, "--table", "rfm_lower_t", "-o", tmp_path / "m.json")
    line = one_line_error(result, "clv-secret")
    assert "looks like an RFM table" in line and '"T"' in line
    assert "--customer-col" not in line


def test_read_table_names_what_to_do_about_a_missing_column(pg_uri, odd_tables):
    import clvmodel as clv

    with pytest.raises(clv.InputError) as caught:
        clv.read_table(pg_uri, table="rfm_lower_t", columns=["customer_id", "T"])
    message = str(caught.value)
    assert "no column 'T'" in message and "columns=" in message and '"T"' in message
    assert "--" not in message  # Python's words, not the command line's


@pytest.mark.parametrize(
    "source", [["--table", "huge_amount"], ["--query", "SELECT * FROM huge_amount"]]
)
def test_a_numeric_amount_beyond_double_precision_is_named(source, pg_uri, odd_tables, tmp_path):
    result = run_cli("fit", pg_uri, *source, "--observation-end", END, "-o", tmp_path / "m.json")
    line = one_line_error(result, "clv-secret")
    assert "amount column 'amount'" in line and "double precision" in line
    assert "0" * 50 not in line  # not the 401-digit number


def test_a_numeric_query_column_is_described_as_numeric(pg_uri, odd_tables):
    from clvmodel._postgres_read import describe_source

    types = describe_source(
        pg_uri, query="SELECT amount, 1.5::numeric(10, 2) AS n FROM huge_amount"
    )
    assert types == {"amount": "numeric", "n": "numeric"}


def test_bad_rows_of_a_table_are_not_counted_after_a_header(pg_uri, odd_tables, tmp_path):
    result = run_cli(
        "evaluate", pg_uri, "--table", "no_ids", "--calibration-end", "1997-06-30",
        "-o", tmp_path / "ev",
    )  # fmt: skip
    line = one_line_error(result, "clv-secret")
    assert "no customer id" in line and "after the header" not in line
    assert "in the order read from the database" in line


@pytest.mark.parametrize("pushdown", [True, False], ids=["in PostgreSQL", "spooled"])
def test_timestamptz_days_are_utc_days_whatever_the_session_time_zone(
    pushdown, pg_uri, monkeypatch
):
    """docs/guide/database.md: a timestamptz is converted to UTC before its day is taken."""
    from clvmodel.engine import TransactionSource

    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS tz_log",
        "CREATE TABLE tz_log (customer_id text, date timestamptz, amount float8)",
        "INSERT INTO tz_log VALUES ('a', '1997-03-01 23:30 America/New_York', 10), "
        "('a', '1997-03-05 12:00 UTC', 10)",
    )
    monkeypatch.setenv("PGTZ", "America/New_York")  # the session's TimeZone
    source = TransactionSource(
        pg_uri, table="tz_log", observation_end="1997-03-10", time_unit="D", pushdown=pushdown
    )
    try:
        rfm = source.rfm()
    finally:
        if source._pg is not None:
            source._pg.close()  # its snapshot's lock would block the DROP below
    # 23:30 in New York on 1 March is 04:30 UTC on 2 March: first day 2 March.
    assert rfm.loc["a", "T"] == 8.0 and rfm.loc["a", "recency"] == 3.0
    run_sql(pg_uri, "DROP TABLE tz_log")
