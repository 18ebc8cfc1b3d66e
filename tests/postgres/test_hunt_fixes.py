"""PostgreSQL-route defects found in review: a --query's tables overwritten, passwords shown,
advice naming the wrong options, URIs refused late or not at all, numeric types misdescribed."""

from __future__ import annotations

import pytest
from cli_run import run_cli
from pg_server import run_sql

END = "1997-09-30"


def one_line_error(result, secret: str) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert secret not in result.output
    return lines[0]


def _content(uri, table):
    digest = f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {table} t"
    return tuple(run_sql(uri, digest)[0])


@pytest.fixture(scope="module")
def model(tmp_path_factory, pg_uri, cdnow_table):
    path = tmp_path_factory.mktemp("hunt") / "db.json"
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
# Passwords: masked in every form, refused where a command writes files only

WEIRD = "p@ss/wo rd"  # a password with "/", "@" and a space, none of them escaped


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://ann:a/b@db/shop", "postgresql://ann:***@db/shop"),
        ("postgresql://ann:p@ss/wo rd@db:5432/shop", "postgresql://ann:***@db:5432/shop"),
        ("postgresql:/ann:s3cr3t@db/shop", "postgresql:/ann:***@db/shop"),  # as pathlib shows it
        ("folder 'POSTGRES:/ann:x/y@db/shop' does not exist",
         "folder 'POSTGRES:/ann:***@db/shop' does not exist"),
        ("postgresql://a:b/c@h/d is postgresql://e:f@g/h",
         "postgresql://a:***@h/d is postgresql://e:***@g/h"),
        ("postgresql://a:***@h/d: bad host \"x@y\"", "postgresql://a:***@h/d: bad host \"x@y\""),
        ("postgresql://ann@db/shop", "postgresql://ann@db/shop"),
        # A later "@" in the message or the query string is not the host's (a review of the
        # first version, which masked up to the last "@" of the line).
        ("postgresql://db:5432/shop?user=ann@corp&sslmode=require",
         "postgresql://db:5432/shop?user=ann@corp&sslmode=require"),
        ("postgresql://ann:pw@db/shop (contact admin@example.com)",
         "postgresql://ann:***@db/shop (contact admin@example.com)"),
        ("cannot connect to postgresql://db:5432/shop for user ann@corp.com",
         "cannot connect to postgresql://db:5432/shop for user ann@corp.com"),
    ],
)  # fmt: skip
def test_mask_password_covers_slashes_ats_spaces_and_one_slash(text, expected):
    from clvmodel._postgres_connect import mask_password

    assert mask_password(text) == expected


def test_a_driver_message_repeating_the_password_is_cleaned():
    from clvmodel._postgres_connect import translate_error

    uri = f"postgresql://ann:{WEIRD}@db/shop"
    error = translate_error(
        RuntimeError(f'could not translate host name "wo rd@db" to address ({WEIRD})'),
        uri,
        "connect to",
    )
    for piece in (WEIRD, "wo rd", "p@ss"):
        assert piece not in str(error)


def test_connecting_with_a_password_holding_slash_at_and_space_shows_none_of_it(pg_server):
    import clvmodel as clv

    uri = pg_server.uri_for("clv", WEIRD)
    with pytest.raises(clv.InputError) as caught:
        clv.read_table(uri, table="cdnow")
    for piece in (WEIRD, "wo rd", "ss/wo"):
        assert piece not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


@pytest.mark.parametrize(
    "command",
    [
        ["fit", "tx.csv", "--observation-end", END, "-o"],
        ["evaluate", "tx.csv", "--calibration-end", END, "-o"],
        ["report", "tx.csv", "--calibration-end", END, "-o"],
        ["subscriptions", "fit", "subs.csv", "-o"],
    ],
)
def test_a_uri_as_the_output_of_a_file_command_is_refused(command, pg_server, tmp_path):
    (tmp_path / "tx.csv").write_text("customer_id,date,amount\n1,1997-01-01,1\n")
    (tmp_path / "subs.csv").write_text("customer_id,start,end\n1,2020-01-01,\n")
    uri = pg_server.uri_for("clv", WEIRD)
    result = run_cli(*command, uri, cwd=tmp_path)
    line = one_line_error(result, "wo rd")
    assert "p@ss" not in result.output
    assert "postgresql://clv:***@127.0.0.1" in line and "writes files only" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["subs.csv", "tx.csv"]


@pytest.mark.parametrize(
    "command",
    [
        ["report", "URI", "--calibration-end", END, "-o", "r.html"],
        ["report", "tx.csv", "--cac-file", "URI", "--segment-column", "s", "--calibration-end",
         END, "-o", "r.html"],
        ["subscriptions", "fit", "URI", "-o", "m.json"],
    ],
)  # fmt: skip
def test_a_uri_as_the_input_of_a_file_command_is_refused_up_front(command, pg_server, tmp_path):
    (tmp_path / "tx.csv").write_text("customer_id,date,amount,s\n1,1997-01-01,1,a\n")
    uri = pg_server.uri_for("clv", WEIRD)
    result = run_cli(*[uri if part == "URI" else part for part in command], cwd=tmp_path)
    line = one_line_error(result, "wo rd")
    assert "reads CSV or Parquet files only" in line and "--table" not in line.split(";")[-1]
    assert "needs exactly one of --table" not in line


@pytest.mark.parametrize(
    "arguments",
    [
        ["score", "m.json", "tx.csv", "-o", "s.csv", "--batch-size", "URI"],  # a bad value
        ["score", "m.json", "tx.csv", "-o", "s.csv", "URI"],  # an extra argument
        ["URI"],  # no such command
    ],
)
def test_click_usage_errors_do_not_show_the_password(arguments, pg_server, tmp_path):
    uri = pg_server.uri_for("clv", WEIRD)
    result = run_cli(*[uri if part == "URI" else part for part in arguments], cwd=tmp_path)
    assert result.exit_code == 2
    assert "wo rd" not in result.output and "p@ss" not in result.output
    assert "postgresql://clv:***@127.0.0.1" in result.output


def test_an_upper_case_scheme_is_read_as_the_lower_case_one(pg_uri, cdnow_table):
    import clvmodel as clv

    upper = "POSTGRESQL://" + pg_uri.split("://", 1)[1]
    frame = clv.read_table(upper, table=cdnow_table)
    assert len(frame) == len(clv.read_table(pg_uri, table=cdnow_table)) > 0


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
