"""Issue 16: a PostgreSQL table or query read as a transaction log gives what the file does.

Bitwise equality with the Parquet route holds by construction (the rows are streamed into a
Parquet spool that DuckDB reads by the same rules); these tests check that it does on CDNOW, for a
query as well as a table, with integer ids, and that the password never shows.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest
from pg_server import count_catalog_reads, load_frame, run_sql

import clvmodel as clv
from clvmodel._postgres_connect import display, mask_password
from clvmodel.engine import TransactionSource

END = "1997-09-30"


@pytest.mark.parametrize("pushdown", [True, False], ids=["in PostgreSQL", "spooled"])
def test_cdnow_table_gives_the_file_route_rfm_bitwise(
    pg_uri, cdnow_table, cdnow_sample, tmp_path, pushdown
):
    parquet = tmp_path / "cdnow.parquet"
    cdnow_sample.to_parquet(parquet, index=False)
    file_source = TransactionSource(parquet, observation_end=END)
    from_file = file_source.rfm().sort_index()
    source = TransactionSource(pg_uri, table=cdnow_table, observation_end=END, pushdown=pushdown)
    assert (source._pg is not None) == pushdown
    from_db = source.rfm().sort_index()
    assert list(from_db.index) == list(from_file.index)
    for column in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(from_db[column].to_numpy(), from_file[column].to_numpy())
    # DuckDB adds amounts in parallel, in an order that depends on the file's row groups.
    np.testing.assert_allclose(from_db["monetary_value"], from_file["monetary_value"], rtol=1e-12)
    assert source.customer_type == "text"
    # And the pandas reference (the papers' 2,357 customers): frequency, recency, T bitwise.
    reference = clv.rfm_summary(cdnow_sample, observation_end=END).sort_index()
    assert len(from_db) == 2357
    for column in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(from_db[column].to_numpy(), reference[column].to_numpy())
    counts = source.check_usable()
    assert counts["rows"] == len(cdnow_sample)
    assert counts["rejected_rows"] == int((cdnow_sample["date"] > END).sum())
    assert counts == file_source.check_usable()
    # Rejects show amounts as written by each engine ("38" in PostgreSQL, "38.0" in DuckDB).
    keys = ["reason", "customer_id", "date", "amount"]
    rejects, expected = (
        r.astype({"amount": float}).sort_values(keys, ignore_index=True)
        for r in (source.rejects(), file_source.rejects())
    )
    pd.testing.assert_frame_equal(rejects, expected, check_dtype=False)
    pd.testing.assert_frame_equal(
        source.distinct_histories().sort_values(["frequency", "recency", "T"], ignore_index=True),
        file_source.distinct_histories().sort_values(["frequency", "recency", "T"],
                                                     ignore_index=True),
        check_exact=True, check_dtype=False,
    )  # fmt: skip
    naive, expected = source.naive_inputs(), file_source.naive_inputs()
    assert naive["customers"] == expected["customers"] and naive["orders"] == expected["orders"]
    assert naive["revenue"] == pytest.approx(expected["revenue"], rel=1e-12)
    batches = list(source.rfm_batches(1000))
    assert max(len(b) for b in batches) <= 1000 and sum(len(b) for b in batches) == 2357
    pd.testing.assert_frame_equal(pd.concat(batches).sort_index(), from_db, rtol=1e-12)
    # The observation end defaults to the last purchase, as for the file.
    assert TransactionSource(pg_uri, table=cdnow_table, pushdown=pushdown).end == pd.Timestamp(
        "1998-06-30"
    )


def test_a_fit_summarises_the_table_once_in_postgresql(pg_uri, cdnow_table, monkeypatch):
    """Histories, spends and the naive totals each ran the whole summary in the server."""
    from clvmodel._postgres_rfm import PostgresLog

    source = TransactionSource(pg_uri, table=cdnow_table, observation_end=END, pushdown=True)
    file_source = TransactionSource(pg_uri, table=cdnow_table, observation_end=END, pushdown=False)
    queries = []
    for name in ("_frame", "_run"):
        original = getattr(PostgresLog, name)

        def recorded(self, sql, *args, _original=original, **kwargs):
            queries.append(sql)
            return _original(self, sql, *args, **kwargs)

        monkeypatch.setattr(PostgresLog, name, recorded)
    inputs = source.distinct_histories(), source.distinct_spends(), source.naive_inputs()
    assert sum(source._pg.rfm_sql in sql for sql in queries) == 1
    order = ["frequency", "monetary_value"]
    pd.testing.assert_frame_equal(
        inputs[1].sort_values(order, ignore_index=True),
        file_source.distinct_spends().sort_values(order, ignore_index=True),
        check_exact=False, rtol=1e-12, check_dtype=False,
    )  # fmt: skip
    assert inputs[2]["orders"] == file_source.naive_inputs()["orders"]


def test_pushdown_needs_typed_columns(pg_uri, cdnow_sample):
    load_frame(pg_uri, "text_dates", cdnow_sample.assign(date=cdnow_sample["date"].astype(str)))
    with pytest.raises(clv.InputError, match="cannot summarise table 'text_dates' inside"):
        TransactionSource(pg_uri, table="text_dates", pushdown=True)
    spooled = TransactionSource(pg_uri, table="text_dates", observation_end=END)
    assert spooled._pg is None and len(spooled.rfm()) == 2357


def test_query_and_schema_qualified_table_read_the_same(pg_uri, cdnow_table):
    run_sql(
        pg_uri,
        "CREATE SCHEMA IF NOT EXISTS sales",
        "DROP TABLE IF EXISTS sales.orders",
        f"CREATE TABLE sales.orders AS SELECT * FROM {cdnow_table}",
    )
    expected = TransactionSource(pg_uri, table=cdnow_table, observation_end=END).rfm()
    by_query = TransactionSource(
        pg_uri, query=f"SELECT customer_id, date, amount FROM {cdnow_table};", observation_end=END
    ).rfm()
    by_schema = TransactionSource(pg_uri, table="sales.orders", observation_end=END).rfm()
    for other in (by_query, by_schema):
        pd.testing.assert_frame_equal(other.sort_index(), expected.sort_index(), rtol=1e-12)


def test_integer_ids_numeric_amounts_and_dates(pg_uri, cdnow_sample):
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS typed_log",
        "CREATE TABLE typed_log (customer_id integer, date date, amount numeric(10, 2))",
    )
    frame = cdnow_sample.assign(customer_id=cdnow_sample["customer_id"].astype(int))
    load_frame(pg_uri, "typed_staging", frame[["customer_id", "date", "amount"]])
    run_sql(
        pg_uri,
        "INSERT INTO typed_log SELECT customer_id, date::date, amount FROM typed_staging",
    )
    source = TransactionSource(pg_uri, table="typed_log", observation_end=END)
    assert source.customer_type == "integer"
    rfm = source.rfm().sort_index()
    reference = clv.rfm_summary(frame, observation_end=END).sort_index()
    assert list(rfm.index) == list(reference.index)
    for column in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(rfm[column].to_numpy(), reference[column].to_numpy())
    np.testing.assert_allclose(rfm["monetary_value"], reference["monetary_value"], rtol=1e-12)


def test_read_table_and_write_table_round_trip(pg_uri, cdnow_table, cdnow_sample):
    frame = clv.read_table(pg_uri, table=cdnow_table)
    assert list(frame.columns) == list(cdnow_sample.columns)
    assert len(frame) == len(cdnow_sample)
    picked = clv.read_table(pg_uri, query=f"SELECT amount FROM {cdnow_table} WHERE amount > 100")
    assert len(picked) == int((cdnow_sample["amount"] > 100).sum())
    rfm = clv.rfm_summary(frame, observation_end=END)
    rfm.index.name = "customer_id"
    clv.write_table(
        rfm, pg_uri, table="rfm_out", if_exists="replace",
        column_types={"customer_id": "varchar(5)"},
    )  # fmt: skip
    back = clv.read_table(pg_uri, table="rfm_out").set_index("customer_id")
    pd.testing.assert_frame_equal(
        back.sort_index(), rfm.sort_index(), check_exact=True, check_names=False,
        check_index_type=False, check_dtype=False,
    )  # fmt: skip
    types = dict(run_sql(
        pg_uri,
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
        "'rfm_out'::regclass AND attnum > 0",
    ))  # fmt: skip
    assert types["customer_id"] == "character varying(5)"
    assert types["frequency"] == "bigint" and types["T"] == "double precision"
    with pytest.raises(clv.InputError, match="already exists"):
        clv.write_table(rfm, pg_uri, table="rfm_out")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://ann:s3cr3t@db:5432/shop", "postgresql://ann:***@db:5432/shop"),
        ("postgres://ann:p%40ss:w0rd@db/shop", "postgres://ann:***@db/shop"),
        ("postgresql://ann@db/shop", "postgresql://ann@db/shop"),
        ("postgresql://db/shop?password=s3cr3t&sslmode=require",
         "postgresql://db/shop?password=***&sslmode=require"),
        ("host=db password=s3cr3t user=ann", "host=db password=*** user=ann"),
        ("host=db password = 'with space' user=ann", "host=db password = *** user=ann"),
        ("at postgresql://a:b@h/d: refused", "at postgresql://a:***@h/d: refused"),
    ],
)  # fmt: skip
def test_mask_password(text, expected):
    assert mask_password(text) == expected
    assert "s3cr3t" not in display(text) and "with space" not in mask_password(text)


def test_display_masks_a_password_holding_a_question_mark():
    """display() cut the URI at its first "?" before masking: of `ann:topsecret?42@host`, the
    part `postgresql://ann:topsecret` was shown, and saved as a model file's source."""
    shown = display("postgresql://ann:topsecret?42@127.0.0.1:5433/postgres?sslmode=disable")
    assert shown == "postgresql://ann:***@127.0.0.1:5433/postgres"


def _sessions(uri: str, expected: int | None = None) -> int:
    """Sessions open under this URI's application name (other test processes share the server).

    A server process ends a moment after its client closes the connection: with ``expected``,
    wait up to 5 s for the count to reach it before returning the count.
    """
    deadline = time.monotonic() + 5
    while True:
        ((count,),) = run_sql(
            uri, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
            "AND application_name = current_setting('application_name')",
        )  # fmt: skip
        if expected is None or count == expected or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


def test_one_source_reads_the_type_catalog_once_and_closes_its_sessions(
    pg_uri, cdnow_table, monkeypatch
):
    from clvmodel._postgres_connect import connect, one_catalog

    separator = "&" if "?" in pg_uri else "?"
    pg_uri = f"{pg_uri}{separator}application_name=catalog-test-{os.getpid()}"
    before = _sessions(pg_uri)
    made = count_catalog_reads(monkeypatch)
    for pushdown in (True, False):  # describe + summarise in SQL; describe + spool
        made.clear()
        source = TransactionSource(pg_uri, table=cdnow_table, observation_end=END,
                                   pushdown=pushdown)  # fmt: skip
        assert len(source.rfm()) == 2357
        assert len(made) == 1, made
        del source  # closes the connection the summary in SQL keeps
    assert (
        _sessions(pg_uri, expected=before) == before
    )  # the shared connection closed with its block
    # Outside a block every connection has its own; inside, the block's connections share one
    # and work apart (a transaction of one is not another's).
    made.clear()
    for _ in range(2):
        connect(pg_uri).close()
    assert len(made) == 2
    made.clear()
    with one_catalog():
        first, second = connect(pg_uri), connect(pg_uri)
        with one_catalog():  # nested: the outer block serves
            third = connect(pg_uri)
        cursor = first.cursor()
        cursor.execute("CREATE TEMPORARY TABLE only_here (x int)")
        other = second.cursor()
        other.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'")
        assert other.fetchone() == (0,)
        for connection in (first, second, third):
            connection.close()
    assert len(made) == 1
    assert _sessions(pg_uri, expected=before) == before


def test_a_type_created_after_a_block_is_read_by_the_next(pg_uri):
    """The catalog is shared within one operation only: an enum created after one is text in
    the next, not the driver's opaque bytes for a type it did not know."""
    from clvmodel._postgres_connect import one_catalog

    run_sql(pg_uri, "DROP TABLE IF EXISTS moods", "DROP TYPE IF EXISTS mood")
    run_sql(pg_uri, "CREATE TABLE moods (id int)", "INSERT INTO moods VALUES (1)")
    with one_catalog():
        assert clv.read_table(pg_uri, table="moods")["id"].tolist() == [1]
    run_sql(
        pg_uri, "CREATE TYPE mood AS ENUM ('sad', 'glad')", "ALTER TABLE moods ADD COLUMN m mood",
        "UPDATE moods SET m = 'glad'",
    )  # fmt: skip
    with one_catalog():
        assert clv.read_table(pg_uri, table="moods")["m"].tolist() == ["glad"]
    run_sql(pg_uri, "DROP TABLE moods", "DROP TYPE mood")
