"""PostgreSQL column types and output names that went wrong: integer ids beyond 2**53 beside a
NULL id, ``money`` amounts, infinite dates and amounts, a query ending in a comment, long and
quoted output table names. Each result is compared with the file route or with the server."""

from __future__ import annotations

import pandas as pd
import pytest
from cli_run import run_cli
from pg_server import run_sql

from clvmodel import _reading

END = "1997-09-30"
BIG = 2**53 + 1  # 9007199254740993: the first integer a float64 cannot hold


@pytest.fixture(scope="module")
def model(cdnow_file_model):
    return cdnow_file_model


def _score(model, uri, source: list, *extra):
    return run_cli("score", model, uri, *source, "--observation-end", END, *extra)


def _log_table(uri, name, id_type, amount_type, rows):
    values = ", ".join(f"({c}, '{d}', '{a}')" for c, d, a in rows)
    run_sql(
        uri,
        f"DROP TABLE IF EXISTS {name}",
        f"CREATE TABLE {name} (customer_id {id_type}, date timestamp, amount {amount_type})",
        f"INSERT INTO {name} VALUES {values}",
    )


@pytest.mark.parametrize("big_id", [BIG, 9006])
def test_integer_ids_beside_a_null_id_stay_exact_in_the_rejects(model, pg_uri, tmp_path, big_id):
    rows = [(big_id, "1997-01-01", -5), (big_id, "1997-02-01", 5), (1, "1997-01-01", 3),
            (1, "1997-03-01", 3), ("NULL", "1997-01-01", 1)]  # fmt: skip
    _log_table(pg_uri, "big_ids", "bigint", "double precision", rows)
    rejects = tmp_path / "rejects.csv"
    result = _score(model, pg_uri, ["--table", "big_ids"], "-o", tmp_path / "s.csv",
                    "--rejects", rejects)  # fmt: skip
    assert result.exit_code == 0, result.output
    ids = pd.read_csv(rejects, dtype=str, keep_default_na=False)["customer_id"].tolist()
    assert ids == ["", str(big_id)]  # missing id first (reasons sorted), then the negative amount
    result = _score(model, pg_uri, ["--table", "big_ids"], "-o", pg_uri,
                    "--output-table", "big_scores", "--if-exists", "replace")  # fmt: skip
    assert result.exit_code == 0, result.output
    table = run_sql(pg_uri, "SELECT customer_id, reason FROM big_scores_rejects ORDER BY 2")
    assert table == [(None, _reading.MISSING_ID), (big_id, _reading.NEGATIVE_AMOUNT)]
    types = run_sql(
        pg_uri, "SELECT data_type FROM information_schema.columns WHERE "
        "table_name = 'big_scores_rejects' AND column_name = 'customer_id'"
    )  # fmt: skip
    assert types == [("bigint",)]


@pytest.mark.parametrize("route", [["--table", "money_log"], ["--table", "money_log",
                         "--no-pushdown"], ["--query", "SELECT * FROM money_log"]])  # fmt: skip
def test_a_money_amount_is_read_in_units_not_cents(model, pg_uri, tmp_path, route):
    rows = [(c, f"1997-0{m}-0{c}", f"{c * 4.25 + m:.2f}") for c in (1, 2, 3) for m in (1, 3, 5)]
    _log_table(pg_uri, "money_log", "integer", "money", rows)
    _log_table(pg_uri, "numeric_log", "integer", "numeric(10, 2)", rows)
    result = _score(model, pg_uri, route, "-o", tmp_path / "money.csv")
    assert result.exit_code == 0, result.output
    result = _score(model, pg_uri, ["--table", "numeric_log"], "-o", tmp_path / "numeric.csv")
    assert result.exit_code == 0, result.output
    money = pd.read_csv(tmp_path / "money.csv").sort_values("customer_id")
    numeric = pd.read_csv(tmp_path / "numeric.csv").sort_values("customer_id")
    # Customer 1 spent 7.25 and 9.25 on repeat purchases: mean 8.25 (not 825 cents).
    assert money["monetary_value"].iloc[0] == pytest.approx(8.25)
    pd.testing.assert_series_equal(
        money["monetary_value"].reset_index(drop=True),
        numeric["monetary_value"].reset_index(drop=True),
    )


@pytest.mark.parametrize("route", [[], ["--no-pushdown"]])
def test_infinite_dates_and_amounts_have_the_reasons_of_a_csv_file(model, pg_uri, tmp_path, route):
    rows = [(1, "1997-01-01", 10), (1, "1997-03-01", 10), (3, "infinity", 7),
            (3, "1997-02-01", 7), (4, "-infinity", 3), (4, "1997-02-01", 4),
            (5, "1997-02-01", "Infinity"), (5, "1997-02-02", 1)]  # fmt: skip
    _log_table(pg_uri, "inf_log", "integer", "numeric", rows)
    csv = tmp_path / "inf.csv"
    pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).to_csv(csv, index=False)
    reasons = {}
    for name, source in (("csv", [csv]), ("pg", [pg_uri, "--table", "inf_log", *route])):
        rejects = tmp_path / f"{name}_rejects.csv"
        result = run_cli("score", model, *source, "--observation-end", END,
                         "-o", tmp_path / f"{name}.csv", "--rejects", rejects)  # fmt: skip
        assert result.exit_code == 0, result.output
        frame = pd.read_csv(rejects)
        reasons[name] = sorted(zip(frame["customer_id"], frame["reason"], strict=True))
    assert reasons["csv"] == [(3, _reading.BAD_DATE), (4, _reading.BAD_DATE),
                              (5, _reading.BAD_AMOUNT)]  # fmt: skip
    assert reasons["pg"] == reasons["csv"]


def test_a_query_ending_in_a_line_comment_is_read(model, pg_uri, tmp_path):
    rows = [(1, "1997-01-01", 10), (1, "1997-03-01", 12), (2, "1997-02-01", 5)]
    _log_table(pg_uri, "comment_log", "integer", "double precision", rows)
    query = "SELECT customer_id, date, amount FROM comment_log -- all regions"
    result = _score(model, pg_uri, ["--query", query], "-o", tmp_path / "s.csv")
    assert result.exit_code == 0, result.output
    assert sorted(pd.read_csv(tmp_path / "s.csv")["customer_id"]) == [1, 2]


@pytest.fixture(scope="module")
def names_log(pg_uri):
    rows = [(1, "1997-01-01", 10), (1, "1997-03-01", 12), (2, "1997-02-01", 5)]
    _log_table(pg_uri, "names_log", "integer", "double precision", rows)
    run_sql(pg_uri, 'CREATE SCHEMA IF NOT EXISTS "Mixed Schema"',
            "CREATE SCHEMA IF NOT EXISTS analytics")  # fmt: skip
    return "names_log"


@pytest.mark.parametrize(
    ("name", "relations"),
    [
        ("customer_lifetime_value_scores_for_q3_2024_eu",
         ["customer_lifetime_value_scores_for_q3_2024_eu",
          "customer_lifetime_value_scores_for_q3_2024_eu_rejects"]),
        ('"Mixed Schema"."Scores X"', ['"Mixed Schema"."Scores X"',
                                       '"Mixed Schema"."Scores X_rejects"']),
        ('analytics."Quoted"', ['analytics."Quoted"', 'analytics."Quoted_rejects"']),
        ('"Mixed Schema"."a.b ""c"""', ['"Mixed Schema"."a.b ""c"""',
                                        '"Mixed Schema"."a.b ""c""_rejects"']),
    ],
)  # fmt: skip
def test_long_and_quoted_output_names_are_written(model, pg_uri, names_log, name, relations):
    result = _score(model, pg_uri, ["--table", names_log], "-o", pg_uri, "--output-table", name,
                    "--if-exists", "replace")  # fmt: skip
    assert result.exit_code == 0, result.output
    counts = [run_sql(pg_uri, f"SELECT count(*) FROM {r}")[0][0] for r in relations]
    assert counts == [2, 0]
    assert run_sql(pg_uri, "SELECT relname FROM pg_class WHERE relname LIKE '%clv_staging%'") == []


def test_an_output_name_over_63_bytes_is_refused_before_any_work(model, pg_uri, names_log):
    name = "t" * 64
    result = _score(model, pg_uri, ["--table", names_log], "-o", pg_uri, "--output-table", name)
    assert result.exit_code == 2, result.output
    assert "63-byte" in result.stderr and "Traceback" not in result.output
    assert run_sql(pg_uri, f"SELECT to_regclass('{name[:63]}') IS NULL") == [(True,)]
