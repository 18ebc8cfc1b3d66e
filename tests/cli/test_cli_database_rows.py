"""Rows and tables of a database on the command line: bad rows of a database table are not counted
"under the header" (plan's RFM-table route), the commands that read tables by batches (fit,
score) name no row positions at all, a DuckDB table that is not there is named with the tables
the file has, and a --pushdown that cannot be honoured is explained in options.

The two tests marked ``postgres`` find the session's server themselves (they are not in
tests/postgres/, whose conftest.py gives ``pg_uri``)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from cli_run import error_line, run_cli
from published import PUBLISHED_BG

import clvmodel as clv
from clvmodel.cli._database_rows import database_row_words
from clvmodel.cli._plan_inputs import customer_table

POSTGRES = "postgresql://clv@127.0.0.1:5432/shop"
COLUMNS = {"customer_col": "customer_id", "date_col": "date", "amount_col": "amount"}
READING = {"observation_end": None, "date_format": None}
BG = PUBLISHED_BG


def _rfm_rows(ids) -> pd.DataFrame:
    """Three customers' RFM rows (weeks) with the ids ``ids``, as a table read from a database."""
    return pd.DataFrame(
        {
            "customer_id": ids,
            "frequency": [0.0, 2.0, 1.0],
            "recency": [0.0, 30.4, 10.0],
            "T": [38.9, 38.9, 20.0],
            "monetary_value": [0.0, 20.0, 12.5],
        }
    )


@pytest.mark.parametrize(
    "ids, problem",
    [
        (["a", None, "c"], "have no customer id"),
        (["a", "b", "a"], "appear on more than one row"),
        ([1.0, 2.5, 3.0], "are not whole numbers"),
    ],
)
def test_bad_rows_of_a_database_rfm_table_are_counted_in_the_order_read(ids, problem):
    # Found in review: `plan` on an RFM table read with --table said "row(s) 2, counting from 1
    # under the header", though a table has no header (its log route said it right).
    with pytest.raises(clv.InputError) as caught, database_row_words(POSTGRES):
        customer_table(_rfm_rows(ids), POSTGRES, None, "W", COLUMNS, READING, False)
    message = str(caught.value)
    assert problem in message
    assert "header" not in message, message
    assert "in the order read from the database" in message, message


def test_bad_rows_of_an_rfm_file_still_count_after_its_header():
    with pytest.raises(clv.InputError, match="counting from 1 under the header"):
        with database_row_words("rfm.csv"):
            customer_table(
                _rfm_rows(["a", None, "c"]), "rfm.csv", None, "W", COLUMNS, READING, False
            )


@pytest.fixture(scope="module")
def duckdb_tables(tmp_path_factory):
    """A DuckDB database whose log has rows without a customer id and an unreadable date."""
    import duckdb

    folder = tmp_path_factory.mktemp("database_rows")
    log = clv.datasets.load_cdnow_sample()
    log = log[log["customer_id"].isin(log["customer_id"].unique()[:300])].reset_index(drop=True)
    bad = log.astype({"customer_id": object, "date": str})
    bad.loc[[3, 10], "customer_id"] = None
    bad.loc[5, "date"] = "not a date"
    path = folder / "shop.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.register("bad_frame", bad)
        connection.execute("CREATE TABLE log AS SELECT * FROM bad_frame")
    model = folder / "models.json"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        result = run_cli("fit", path, "--table", "log", "-o", model)
    assert result.returncode == 0, result.output
    return folder, path, model


def test_fit_and_score_of_a_database_table_name_no_rows_after_a_header(duckdb_tables):
    # fit counts a table's unusable rows, score lists them in its rejects file: neither names
    # rows "after the header" (checked in review: only evaluate and plan name row positions).
    folder, path, model = duckdb_tables
    fitted = run_cli("fit", path, "--table", "log", "-o", folder / "again.json")
    assert fitted.returncode == 0 and "3 rows left out" in fitted.stdout, fitted.output
    scores = folder / "scores.csv"
    scored = run_cli("score", model, path, "--table", "log", "-o", scores)
    assert scored.returncode == 0, scored.output
    for result in (fitted, scored):
        assert "header" not in result.output, result.output
    rejects = pd.read_csv(folder / "scores.rejects.csv")
    assert sorted(rejects["reason"]) == [
        "missing customer id",
        "missing customer id",
        "missing or unparseable date",
    ]


def _shared_postgres():
    """The test session's PostgreSQL server (tests/postgres/pg_server.py), or None."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "postgres"))
    try:
        from pg_server import shared_server
    finally:
        sys.path.pop(0)
    return shared_server()


@pytest.mark.postgres
def test_plan_names_a_bad_row_of_a_postgres_rfm_table_in_the_order_read(tmp_path):
    server = _shared_postgres()
    if server is None:
        pytest.skip("PostgreSQL (initdb/pg_ctl) or adbc-driver-postgresql is not installed")
    from pg_server import load_frame

    load_frame(server.uri, "review_rfm_no_id", _rfm_rows(["a", None, "c"]))
    model = tmp_path / "bg.json"
    clv.BetaGeoModel.from_params(BG, time_unit="W").save(model)
    result = run_cli(
        "plan", model, server.uri, "--table", "review_rfm_no_id", "-o", tmp_path / "plan.csv"
    )
    assert result.returncode == 2
    line = error_line(result)
    assert "no customer id" in line and "header" not in line, line
    assert "in the order read from the database" in line, line


@pytest.mark.postgres
@pytest.mark.parametrize("command", ["fit", "score"])
def test_pushdown_that_cannot_be_honoured_is_explained_in_options(command, tmp_path):
    # Found in review: the advice was the Python API's "Leave pushdown unset."
    server = _shared_postgres()
    if server is None:
        pytest.skip("PostgreSQL (initdb/pg_ctl) or adbc-driver-postgresql is not installed")
    from pg_server import load_frame

    log = clv.datasets.load_cdnow_sample().head(50)
    load_frame(
        server.uri, "review_float_ids", log.assign(customer_id=log["customer_id"].astype(float))
    )
    model = tmp_path / "bg.json"
    clv.BetaGeoModel.from_params(BG, time_unit="W").save(model)
    source = [server.uri, "--table", "review_float_ids", "--pushdown"]
    arguments = {"fit": [*source], "score": [model, *source]}[command]
    result = run_cli(
        command, *arguments, "-o", tmp_path / ("m.json" if command == "fit" else "out.csv")
    )
    assert result.returncode == 2
    line = error_line(result)
    assert "inside PostgreSQL" in line and "--no-pushdown" in line, line
    assert "pushdown unset" not in line, line


@pytest.mark.parametrize("command", ["fit", "score"])
@pytest.mark.parametrize(
    "table, expected",
    [(None, "name the table to read with --table"), ("nope", "--table nope: "), ("main.log", "")],
)
def test_a_duckdb_table_that_is_not_there_is_named_with_the_tables_it_has(
    duckdb_tables, tmp_path, command, table, expected
):
    # Found in review: "name the table to read" (no option named) and DuckDB's "Catalog Error:
    # Table with name nope does not exist!", after the model was loaded.
    folder, path, model = duckdb_tables
    source = [path] if table is None else [path, "--table", table]
    arguments = {"fit": source, "score": [model, *source]}[command]
    result = run_cli(
        command, *arguments, "-o", tmp_path / ("m.json" if command == "fit" else "out.csv")
    )
    assert result.returncode == 2
    line = error_line(result)
    assert expected in line and "its tables are log" in line, line
    assert "Catalog Error" not in line, line
    assert not (tmp_path / "out.csv").exists()


def test_a_duckdb_table_is_found_whatever_its_case(duckdb_tables, tmp_path):
    folder, path, model = duckdb_tables
    result = run_cli("score", model, path, "--table", "LOG", "-o", tmp_path / "out.csv")
    assert result.returncode == 0, result.output


def test_the_python_list_of_rejects_is_the_command_lines_in_cli_words():
    # The reading modules now end an error of a function without on_invalid= by naming the Python
    # function that lists the rows; on the command line, fit and score list them.
    from clvmodel.cli._guard import cli_words

    message = cli_words(
        "1 value(s) in column 'date' are missing or not dates (for example customer 7: x); fix "
        "them or drop those rows. clvmodel.rfm.transaction_rejects lists every such row, to fix "
        "or drop first."
    )
    assert "clvmodel.rfm" not in message, message
    assert message.endswith(
        "`clvmodel fit` and `clvmodel score` leave such rows out and list them."
    )
