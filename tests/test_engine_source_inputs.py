"""Tests of ``clv.engine.TransactionSource`` (the DuckDB engine) on the inputs it reads: folders of
Parquet files, column names, timestamps, ids, amounts.

Each case is one where the engine's route from a transaction log to an RFM table gave other
numbers than the pandas route (or the fast Parquet reader), or an unclear error."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import clvmodel as clv
from clvmodel.engine import TransactionSource

END = "2024-03-01"


def _write(folder, name: str, frame: pd.DataFrame) -> None:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / name)


@pytest.mark.parametrize("first", ["naive", "date"])
def test_folder_of_local_and_zoned_timestamps_is_refused(tmp_path, first):
    # A folder whose first file holds local timestamps (or dates) and another zoned ones: DuckDB
    # cast the zoned instants to the first file's type at UTC, so a purchase at 23:30 in New York
    # fell on the next day (recency 5 instead of the 4 that file alone gives on every route).
    zoned = pd.DataFrame({
        "customer_id": [1, 1],
        "date": pd.to_datetime(["2024-01-01 12:00", "2024-01-05 23:30"]).tz_localize(
            "America/New_York"
        ),
        "amount": [1.0, 2.0],
    })  # fmt: skip
    alone = clv.rfm_summary(zoned, observation_end=END, time_unit="D")
    assert alone.loc[1, "recency"] == 4
    local = zoned.iloc[:1].assign(date=zoned["date"].iloc[:1].dt.tz_localize(None))
    if first == "date":
        local = local.assign(date=local["date"].dt.date)
    folder = tmp_path / "logs"
    folder.mkdir()
    _write(folder, "a.parquet", local)
    _write(folder, "b.parquet", zoned.iloc[1:])
    with pytest.raises(clv.InputError, match="time zone") as error:
        TransactionSource(folder, observation_end=END, time_unit="D").rfm()
    assert "'a.parquet'" in str(error.value) and "'b.parquet'" in str(error.value)


def test_folder_of_zoned_then_local_timestamps_names_the_kinds(tmp_path):
    # The other order was refused already, but as timestamps "in different time zones
    # (America/New_York, None)": the local file's zone shown as None.
    zoned = pd.DataFrame({
        "customer_id": [1],
        "date": pd.to_datetime(["2024-01-01 12:00"]).tz_localize("America/New_York"),
        "amount": [1.0],
    })  # fmt: skip
    local = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2024-01-05 23:30"]),
                          "amount": [2.0]})  # fmt: skip
    folder = tmp_path / "logs"
    folder.mkdir()
    _write(folder, "a.parquet", zoned)
    _write(folder, "b.parquet", local)
    with pytest.raises(clv.InputError, match="without a time zone") as error:
        TransactionSource(folder, observation_end=END, time_unit="D").rfm()
    assert "None" not in str(error.value)


def test_small_repeat_amounts_after_a_large_first_day_keep_their_cents(tmp_path):
    # The SQL summary (DuckDB, PostgreSQL, Spark) took the repeat days' mean as the total minus
    # the first day's amount: after a first day of 9.99e11 the repeat days 0.013 and 0.017 came
    # out as 0.01495 instead of 0.015 (and 1.1 as 1.09998), where pandas and numpy keep them.
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "test_bad_input"))
    from bad_input_routes import assert_same_tables, run_routes

    log = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 2],
        "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-06", "2024-01-01",
                                "2024-01-01", "2024-01-05"]),
        "amount": [9.99e11, 0.013, 0.017, 5e11, 4.99e11, 1.1],
    })  # fmt: skip
    results = run_routes(log, tmp_path, observation_end=END, time_unit="D")
    assert "duckdb" in results
    assert_same_tables(results)
    rfm = results["duckdb"]
    assert rfm.loc["1", "monetary_value"] == pytest.approx(0.015, rel=1e-12)
    assert rfm.loc["2", "monetary_value"] == pytest.approx(1.1, rel=1e-12)


@pytest.mark.parametrize("kind", ["csv", "parquet folder"])
def test_columns_differing_only_in_case_are_named_as_such(tmp_path, kind):
    # DuckDB reads "Amount" and "amount" as "Amount" and "amount_1"; the engine then said the
    # input had no column 'amount' and advised renaming 'Amount' to 'amount' (which it has).
    log = pd.DataFrame({
        "customer_id": [1, 1],
        "date": pd.to_datetime(["2024-01-01", "2024-01-05"]),
        "Amount": [100.0, 200.0],
        "amount": [1.0, 2.0],
    })  # fmt: skip
    if kind == "csv":
        path = tmp_path / "log.csv"
        log.to_csv(path, index=False)
    else:
        path = tmp_path / "logs"
        path.mkdir()
        _write(path, "part.parquet", log)
    with pytest.raises(clv.InputError, match="differ only in case") as error:
        TransactionSource(path, observation_end=END, time_unit="D").rfm()
    assert "'Amount' and 'amount'" in str(error.value)
    assert "amount_1" not in str(error.value)
    # The first of the two is read as it is.
    rfm = TransactionSource(path, amount_col="Amount", observation_end=END, time_unit="D").rfm()
    assert rfm["monetary_value"].tolist() == [200.0]


@pytest.mark.parametrize("lacking", ["part0.parquet", "part1.parquet"])
def test_folder_with_a_file_lacking_a_needed_column_says_which(tmp_path, lacking):
    # A later file without the amount column gave DuckDB's raw InvalidInputException ("schema
    # mismatch in glob", an "unexpected failure" on the CLI); a first file without it gave
    # "the input has no amount column", though the other files have one.
    folder = tmp_path / "logs"
    folder.mkdir()
    for number, day in enumerate(["2024-01-01", "2024-01-05"]):
        part = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime([day]), "amount": [2.0]})
        name = f"part{number}.parquet"
        _write(folder, name, part.drop(columns="amount") if name == lacking else part)
    with pytest.raises(clv.InputError, match="every file") as error:
        TransactionSource(folder, observation_end=END, time_unit="D").rfm()
    assert f"not in {lacking!r}" in str(error.value)
    # A column no file lacks, or one the summary does not read, is no problem.
    rfm = TransactionSource(folder, amount_col=None, observation_end=END, time_unit="D").rfm()
    assert rfm["frequency"].tolist() == [1]


def test_utc_timestamps_fall_on_utc_days_whatever_the_connection_time_zone(tmp_path):
    # With a connection passed in (connection=), whose time zone DuckDB sets to the computer's,
    # UTC timestamps fell on that zone's days: 2024-01-05 02:00 UTC on 4 January in New York,
    # recency 3 where pandas and the engine's own connection give 4.
    import duckdb

    log = pd.DataFrame({
        "customer_id": [1, 1],
        "date": pd.to_datetime(["2024-01-01 12:00", "2024-01-05 02:00"]).tz_localize("UTC"),
        "amount": [1.0, 2.0],
    })  # fmt: skip
    path = tmp_path / "log.parquet"
    _write(tmp_path, "log.parquet", log)
    expected = clv.rfm_summary(log, observation_end=END, time_unit="D")
    assert expected.loc[1, "recency"] == 4
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'America/New_York'")
    rfm = TransactionSource(path, observation_end=END, time_unit="D", connection=connection).rfm()
    assert rfm.loc[1, "recency"] == 4


def test_folder_of_partition_subfolders_says_they_are_not_read(tmp_path):
    # A Hive-style folder (year=2024/part.parquet) was "folder ... holds no .parquet file",
    # though it holds some, a level down.
    folder = tmp_path / "logs"
    (folder / "year=2024").mkdir(parents=True)
    log = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2024-01-01"]),
                        "amount": [1.0]})  # fmt: skip
    _write(folder / "year=2024", "part.parquet", log)
    with pytest.raises(clv.InputError, match="subfolders") as error:
        TransactionSource(folder, observation_end=END, time_unit="D")
    assert "'year=2024/part.parquet'" in str(error.value)


@pytest.mark.parametrize("zone", [None, "UTC", "America/New_York"])
def test_nanosecond_timestamps_just_before_midnight_stay_on_their_day(tmp_path, zone):
    # DuckDB reads Parquet nanoseconds as TIMESTAMP_NS and rounded them to the microsecond when
    # casting to DATE: a purchase at 23:59:59.999999999 fell on the next day (recency 3, T 30
    # where pandas gives 4 and 31).
    import numpy as np

    stamps = np.array(["2024-01-01T23:59:59.999999999", "2024-01-05T00:00:00"], "datetime64[ns]")
    dates = pd.DatetimeIndex(stamps)
    if zone is not None:  # the same wall clock, in the zone
        dates = dates.tz_localize(zone)
    log = pd.DataFrame({"customer_id": [1, 1], "date": dates, "amount": [1.0, 2.0]})
    pq.write_table(pa.Table.from_pandas(log, preserve_index=False), tmp_path / "log.parquet")
    expected = clv.rfm_summary(log, observation_end=END, time_unit="D")
    assert expected.loc[1, ["recency", "T"]].tolist() == [4.0, 60.0]
    rfm = TransactionSource(tmp_path / "log.parquet", observation_end=END, time_unit="D").rfm()
    assert rfm.loc[1, ["recency", "T"]].tolist() == [4.0, 60.0]


def test_hugeint_ids_beyond_2_53_stay_distinct(tmp_path):
    # A DuckDB table with HUGEINT ids came out with the ids as floats: 2**60 and 2**60 + 1
    # became the same id, on two rows of the summary (and of the scores).
    import duckdb

    database = tmp_path / "log.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute(
            "CREATE TABLE log AS SELECT * FROM (VALUES "
            "(1152921504606846976::HUGEINT, DATE '2024-01-01', 1.0), "
            "(1152921504606846977::HUGEINT, DATE '2024-01-05', 2.0), "
            "(1152921504606846977::HUGEINT, DATE '2024-01-09', 3.0)) t(customer_id, date, amount)"
        )
    rfm = TransactionSource(database, table="log", observation_end=END, time_unit="D").rfm()
    assert sorted(map(str, rfm.index)) == ["1152921504606846976", "1152921504606846977"]
    assert rfm["frequency"].sort_values().tolist() == [0, 1]


def _empty_part() -> pd.DataFrame:
    """What pandas writes for a day without sales: columns of Arrow type null."""
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in ("customer_id", "date", "amount")})


def test_folder_with_an_empty_part_file_is_read(tmp_path):
    # An empty file (pandas writes its object columns as Arrow type null) after typed ones was
    # refused as "different kinds of values (text in 'a.parquet', null in 'b.parquet')", though
    # DuckDB reads it as no rows; with zoned timestamps, as "different time zones (..., None)".
    folder = tmp_path / "logs"
    folder.mkdir()
    log = pd.DataFrame({
        "customer_id": ["007", "007"],
        "date": pd.to_datetime(["2024-01-01 12:00", "2024-01-05 23:30"]).tz_localize(
            "America/New_York"
        ),
        "amount": [1.0, 2.0],
    })  # fmt: skip
    _write(folder, "a.parquet", log)
    _write(folder, "b.parquet", _empty_part())
    rfm = TransactionSource(folder, observation_end=END, time_unit="D").rfm()
    expected = clv.rfm_summary(log, observation_end=END, time_unit="D")
    assert list(rfm.index) == ["007"]
    assert rfm.loc["007", ["frequency", "recency", "T"]].tolist() == (
        expected.loc["007", ["frequency", "recency", "T"]].tolist()
    )


def test_folder_whose_first_file_is_empty_says_so(tmp_path):
    # DuckDB takes the types of the first file: an empty first file made it fail on the others
    # ("failed to cast column ... from type VARCHAR to NULL"); the check said "different kinds
    # of values (null in ...)". Now the message says the first file holds no values.
    folder = tmp_path / "logs"
    folder.mkdir()
    _write(folder, "a.parquet", _empty_part())
    log = pd.DataFrame({"customer_id": ["7"], "date": pd.to_datetime(["2024-01-01"]),
                        "amount": [1.0]})  # fmt: skip
    _write(folder, "b.parquet", log)
    with pytest.raises(clv.InputError, match="holds no values") as error:
        TransactionSource(folder, observation_end=END, time_unit="D")
    assert "'a.parquet'" in str(error.value) and "first file" in str(error.value)


def test_the_summary_alone_refuses_what_the_counts_refuse(tmp_path):
    """Before: TransactionSource(...).rfm() on amounts written '$10' (every row rejected) was an
    empty table without a word; only counts() or check_usable() raised."""
    path = tmp_path / "log.csv"
    path.write_text(
        "customer_id,date,amount\n1,2024-01-01,$10\n1,2024-01-05,$20\n2,2024-01-03,$5\n"
    )
    with pytest.raises(clv.InputError, match="written with a currency"):
        TransactionSource(path, observation_end="2024-01-31").rfm()
    with pytest.raises(clv.InputError, match="written with a currency"):
        next(TransactionSource(path, observation_end="2024-01-31").rfm_batches())
    late = tmp_path / "late.csv"
    late.write_text("customer_id,date,amount\n1,2024-03-01,10\n2,2024-03-03,5\n")
    with pytest.raises(clv.InputError):
        TransactionSource(late, observation_end="2024-01-31").rfm()


def test_duration_amounts_are_named_durations(tmp_path):
    """Before: a DuckDB INTERVAL amount column was "written with a currency (for example
    '1 day')"; pandas timedelta text alike."""
    import duckdb

    db = tmp_path / "log.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE tx AS SELECT * FROM (VALUES (1, DATE '2024-01-01', INTERVAL 1 DAY), "
        "(1, DATE '2024-01-05', INTERVAL 2 DAY)) t(customer_id, date, amount)"
    )
    con.close()
    with pytest.raises(clv.InputError, match="holds durations"):
        TransactionSource(db, table="tx", observation_end="2024-01-31").rfm()
    log = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "date": pd.to_datetime(["2024-01-01", "2024-01-05"]),
            "amount": ["1 day", "2 days 03:00:00"],
        }
    )
    with pytest.raises(clv.InputError, match="holds durations"):
        clv.rfm_summary(log, observation_end="2024-01-31")


@pytest.mark.parametrize("expression", ["[customer_id, 2]", "{'x': customer_id}"])
def test_nested_customer_ids_are_refused_in_words(tmp_path, expression):
    """Before: each list or struct became a customer, shown as [1, 2] or {'x': 1} (the pandas
    and Spark routes refuse them)."""
    import duckdb

    path = tmp_path / "log.parquet"
    duckdb.sql(
        f"COPY (SELECT {expression} AS customer_id, date, amount FROM (VALUES "
        "(1, DATE '2024-01-01', 1.0), (1, DATE '2024-01-05', 2.0)) t(customer_id, date, amount)) "
        f"TO '{path}'"
    )
    with pytest.raises(clv.InputError, match="holds nested values"):
        TransactionSource(path, observation_end="2024-01-31").rfm()
