"""``clv.write_table`` to PostgreSQL gives each column its type: decimals, durations, unsigned ints
from 2**63 and nanosecond times (not text, or refused), the types asked for with column_types=
(not silently double precision), and uuid values read with ``clv.read_table``."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pandas as pd
from pg_checks import column_types as _column_types
from pg_server import run_sql

import clvmodel as clv


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
    clv.write_table(frame, pg_uri, table="written_types", if_exists="replace")
    types = _column_types(pg_uri, "written_types")
    assert types["spend"].startswith("numeric(") and types["spend"].endswith(",2)")
    assert types["gap"] == "interval" and types["big"].startswith("numeric")
    rows = run_sql(
        pg_uri,
        "SELECT customer_id, spend::text, extract(epoch FROM gap)::bigint, big::text, at "
        "FROM written_types ORDER BY 1",
    )
    assert rows == [
        ("a", "1.10", 86400, str(2**63 + 5), datetime.datetime(2020, 1, 1, 10, 0, 0, 123456)),
        ("b", "2.25", 7200, "7", datetime.datetime(2020, 1, 2)),
    ]
    # The column holds wider amounts than the first ones written (pandas inferred numeric(3,2)).
    more = pd.DataFrame({"spend": [Decimal("100.5")]}, index=pd.Index(["c"], name="customer_id"))
    clv.write_table(more, pg_uri, table="written_types", if_exists="append")
    assert run_sql(pg_uri, "SELECT spend::text FROM written_types WHERE customer_id = 'c'") == [
        ("100.50",)
    ]
    run_sql(pg_uri, "DROP TABLE written_types")


def test_write_table_honours_column_types_beyond_integers_and_text(pg_uri):
    """column_types={"clv": "numeric(12,2)"} was silently ignored: a double precision column."""
    frame = pd.DataFrame(
        {"clv": [1.234567, 2.0, np.nan], "status": ["active", "lapsed", "active"]},
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS typed_output",
        "DROP TYPE IF EXISTS customer_status",
        "CREATE TYPE customer_status AS ENUM ('active', 'lapsed')",
    )
    types = {"clv": "numeric(12,2)", "status": "customer_status", "customer_id": "varchar(5)"}
    clv.write_table(frame, pg_uri, table="typed_output", if_exists="replace", column_types=types)
    assert _column_types(pg_uri, "typed_output") == {
        "customer_id": "character varying(5)",
        "clv": "numeric(12,2)",
        "status": "customer_status",
    }
    rows = run_sql(
        pg_uri, "SELECT customer_id, clv::text, status::text FROM typed_output ORDER BY 1"
    )
    assert rows == [("a", "1.23", "active"), ("b", "2.00", "lapsed"), ("c", None, "active")]
    clv.write_table(frame, pg_uri, table="typed_output", if_exists="append")  # cast on the way in
    assert run_sql(pg_uri, "SELECT count(*), sum(clv)::text FROM typed_output") == [(6, "6.46")]
    run_sql(pg_uri, "DROP TABLE typed_output", "DROP TYPE customer_status")


def test_a_uuid_column_read_with_read_table_is_written_back(pg_uri):
    """read_table gives uuid.UUID objects; write_table refused them ("Invalid UTF8 payload")."""
    run_sql(
        pg_uri,
        "DROP TABLE IF EXISTS uuid_input",
        "DROP TABLE IF EXISTS uuid_output",
        "CREATE TABLE uuid_input (customer_id uuid, amount float8)",
        "INSERT INTO uuid_input VALUES (md5('a')::uuid, 1.5), (NULL, 2.5)",
    )
    frame = clv.read_table(pg_uri, table="uuid_input")
    clv.write_table(frame, pg_uri, table="uuid_output", index=False)
    assert _column_types(pg_uri, "uuid_output")["customer_id"] == "uuid"
    same = "SELECT count(*) FROM uuid_input i JOIN uuid_output b USING (customer_id, amount)"
    assert run_sql(pg_uri, same) == [(1,)]
    assert run_sql(pg_uri, "SELECT count(*) FROM uuid_output") == [(2,)]
    run_sql(pg_uri, "DROP TABLE uuid_input", "DROP TABLE uuid_output")
