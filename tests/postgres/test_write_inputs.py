"""Frames that ``write_table`` cannot store (mixed-type columns, repeated column names, a
MultiIndex or a clashing index name with ``index=True``) raise one clear InputError on the
PostgreSQL and Parquet routes instead of Arrow's tracebacks; an empty PostgreSQL table read
through the spool is named in the error; ``read_table`` documents the types that arrive as text.
"""

from __future__ import annotations

import datetime

import pandas as pd
import pytest
from pg_server import run_sql

import clvmodel as clv
from clvmodel._postgres_connect import display
from clvmodel.engine import TransactionSource

SECRET = "clv-secret"  # the test server's password (pg_server.PostgresServer.password)


def _one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and SECRET not in message, message
    return message


def _absent(uri: str, table: str) -> bool:
    rows = run_sql(uri, f"SELECT to_regclass('{table}') IS NULL")
    return bool(rows[0][0])


MIXED = {
    "int and str": [1, "a"],
    "float and str": [1.5, "x"],
    "date and str": [datetime.date(2020, 1, 1), "x"],
}


# ---- PostgreSQL --------------------------------------------------------------------------------
@pytest.mark.parametrize("values", MIXED.values(), ids=MIXED.keys())
def test_postgres_mixed_type_column_is_named(pg_uri, values):
    frame = pd.DataFrame({"customer_id": [1, 2], "spend": values})
    with pytest.raises(clv.InputError) as error:
        clv.write_table(frame, pg_uri, index=False, table="w_mixed")
    message = _one_line(error)
    assert "column 'spend'" in message and "mixes" in message and "str" in message
    assert _absent(pg_uri, "w_mixed")


def test_postgres_mixed_type_index_is_named(pg_uri):
    frame = pd.DataFrame({"spend": [1.0, 2.0]}, index=pd.Index([1, "a"], dtype=object))
    with pytest.raises(clv.InputError, match="the index of frame mixes int and str") as error:
        clv.write_table(frame, pg_uri, index=True, table="w_mixed_index")
    _one_line(error)


def test_postgres_unstorable_column_is_named(pg_uri):
    frame = pd.DataFrame({"spend": [1 + 2j, 3 + 0j]})
    with pytest.raises(clv.InputError, match="column 'spend' of frame holds complex") as error:
        clv.write_table(frame, pg_uri, index=False, table="w_complex")
    _one_line(error)


def test_postgres_multiindex_with_index_true_says_what_to_do(pg_uri):
    index = pd.MultiIndex.from_tuples([(1, "a"), (2, "b")], names=["customer", "shop"])
    frame = pd.DataFrame({"spend": [1.0, 2.0]}, index=index)
    with pytest.raises(clv.InputError, match="MultiIndex") as error:
        clv.write_table(frame, pg_uri, index=True, table="w_multi")
    message = _one_line(error)
    assert "reset_index()" in message and "index=False" in message
    assert _absent(pg_uri, "w_multi")
    # The advice works: the levels become columns.
    clv.write_table(frame.reset_index(), pg_uri, index=False, table="w_multi")
    back = clv.read_table(pg_uri, table="w_multi")
    assert list(back.columns) == ["customer", "shop", "spend"]
    run_sql(pg_uri, "DROP TABLE w_multi")


@pytest.mark.parametrize("columns", [["a", "a"], [1, "1"]], ids=["same", "same-as-text"])
def test_postgres_repeated_column_names_are_refused(pg_uri, columns):
    frame = pd.DataFrame([[1, 2]], columns=columns)
    with pytest.raises(clv.InputError, match="more than one column named 'a?1?'") as error:
        clv.write_table(frame, pg_uri, index=False, table="w_dup")
    _one_line(error)
    assert _absent(pg_uri, "w_dup")


def test_postgres_unnamed_index_beside_a_customer_id_column(pg_uri):
    frame = pd.DataFrame({"customer_id": [7, 8], "clv": [1.0, 2.0]})  # e.g. after reset_index()
    with pytest.raises(clv.InputError, match="column 'customer_id'") as error:
        clv.write_table(frame, pg_uri, table="w_clash")  # index=True by default
    message = _one_line(error)
    assert "index=False" in message and "rename_axis" in message
    assert _absent(pg_uri, "w_clash")
    clv.write_table(frame, pg_uri, index=False, table="w_clash")  # the advice works
    assert clv.read_table(pg_uri, table="w_clash")["customer_id"].tolist() == [7, 8]
    run_sql(pg_uri, "DROP TABLE w_clash")


def test_postgres_named_index_beside_a_column_of_that_name(pg_uri):
    frame = pd.DataFrame({"shop": [1, 2]}, index=pd.Index([5, 6], name="shop"))
    with pytest.raises(clv.InputError, match="column 'shop', the name the index has") as error:
        clv.write_table(frame, pg_uri, index=True, table="w_clash_named")
    _one_line(error)


def test_postgres_series_is_written_as_its_column(pg_uri):
    series = pd.Series([1.5, 2.5], index=pd.Index(["a", "b"], name="customer_id"), name="clv")
    clv.write_table(series, pg_uri, table="w_series", if_exists="replace")
    back = clv.read_table(pg_uri, table="w_series")
    assert back.to_dict("list") == {"customer_id": ["a", "b"], "clv": [1.5, 2.5]}
    run_sql(pg_uri, "DROP TABLE w_series")


# ---- Parquet (same inputs, same errors; CSV stores them all as text) ---------------------------
@pytest.mark.parametrize("values", MIXED.values(), ids=MIXED.keys())
def test_parquet_mixed_type_column_is_named(tmp_path, values):
    target = tmp_path / "out.parquet"
    frame = pd.DataFrame({"customer_id": [1, 2], "spend": values})
    with pytest.raises(clv.InputError, match="column 'spend' of frame mixes") as error:
        clv.write_table(frame, target, index=False)
    _one_line(error)
    assert list(tmp_path.iterdir()) == []  # nothing left behind
    clv.write_table(frame, tmp_path / "out.csv", index=False)  # CSV: all text, fine


def test_parquet_mixed_type_index_is_named(tmp_path):
    frame = pd.DataFrame({"spend": [1.0, 2.0]}, index=pd.Index([1, "a"], dtype=object))
    with pytest.raises(clv.InputError, match="the index of frame mixes int and str") as error:
        clv.write_table(frame, tmp_path / "out.parquet", index=True)
    _one_line(error)
    clv.write_table(frame, tmp_path / "out.parquet", index=False)  # the index left out: fine


def test_parquet_mixed_type_index_level_is_named(tmp_path):
    index = pd.MultiIndex.from_arrays([[1, 2], pd.Index([1, "a"], dtype=object)], names=["k", "l"])
    frame = pd.DataFrame({"spend": [1.0, 2.0]}, index=index)
    with pytest.raises(clv.InputError, match="index level 'l' of frame mixes") as error:
        clv.write_table(frame, tmp_path / "out.parquet", index=True)
    _one_line(error)


@pytest.mark.parametrize("columns", [["a", "a"], [1, "1"]], ids=["same", "same-as-text"])
def test_parquet_repeated_column_names_are_refused(tmp_path, columns):
    # [1, "1"] used to be written, as a file read_table could not read back.
    frame = pd.DataFrame([[1, 2]], columns=columns)
    with pytest.raises(clv.InputError, match="more than one column named") as error:
        clv.write_table(frame, tmp_path / "out.parquet", index=False)
    _one_line(error)
    assert list(tmp_path.iterdir()) == []


def test_parquet_keeps_a_multiindex_and_a_clashing_index_name(tmp_path):
    """What Parquet can store is still written (its index levels are columns of their own)."""
    index = pd.MultiIndex.from_tuples([(1, "a"), (2, "b")], names=["customer", "shop"])
    frame = pd.DataFrame({"customer": [3, 4]}, index=index)
    clv.write_table(frame, tmp_path / "out.parquet", index=True)
    back = pd.read_parquet(tmp_path / "out.parquet")
    pd.testing.assert_frame_equal(back, frame)


def test_a_non_frame_is_refused(tmp_path):
    with pytest.raises(clv.InputError, match="frame must be a pandas DataFrame, not list"):
        clv.write_table([1, 2], tmp_path / "out.parquet")


# ---- An empty table read through the spool ----------------------------------------------------
@pytest.fixture(scope="module")
def empty_log(pg_uri):
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS w_empty_log",
        "CREATE TABLE w_empty_log (customer_id bigint, date date, amount double precision)",
    )
    yield "w_empty_log"
    run_sql(pg_uri, "DROP TABLE w_empty_log")


@pytest.mark.parametrize("pushdown", [False, None], ids=["spool", "pushdown"])
@pytest.mark.parametrize("source", ["table", "query"])
def test_empty_postgres_table_is_named_on_every_route(pg_uri, empty_log, pushdown, source):
    options = {"table": empty_log} if source == "table" else {"query": f"SELECT * FROM {empty_log}"}
    with pytest.raises(clv.InputError) as error:
        TransactionSource(pg_uri, pushdown=pushdown, **options)
    message = _one_line(error)
    named = f"table '{empty_log}'" if source == "table" else "the query"
    assert message == f"{named} at {display(pg_uri)} has no rows: there is nothing to read."
    assert "only a header" not in message


# ---- read_table: the types that arrive as text --------------------------------------------------
def test_read_table_gives_exotic_types_as_text_as_documented(pg_uri):
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS w_exotic",
        "CREATE TABLE w_exotic (n numeric(10, 2), m money, iv interval, ip inet, r int4range, "
        "ts tsvector, b bit(4))",
        "INSERT INTO w_exotic VALUES (1.50, 12.34, '1 day 2 hours', '10.0.0.1', '[1,5)', "
        "'a fat cat', B'1010')",
    )
    frame = clv.read_table(pg_uri, table="w_exotic")
    run_sql(pg_uri, "DROP TABLE w_exotic")
    row = frame.iloc[0]
    assert all(isinstance(row[name], str) for name in frame.columns), row.map(type)
    assert row["n"] == "1.50" and pd.to_numeric(frame["n"]).iloc[0] == 1.5
    assert pd.to_timedelta(row["iv"]) == pd.Timedelta(days=1, hours=2)
    doc = " ".join(clv.read_table.__doc__.split())
    for name in ("numeric", "money", "interval", "inet", "tsvector", "bit"):
        assert f"``{name}``" in doc, name
    assert "ranges" in doc and "as text" in doc and "as exact strings" in doc
