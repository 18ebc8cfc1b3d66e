"""Zoned timestamps in a Parquet log: every route takes the wall-clock day of the zone the file
records, as pandas reads it ("a zoned pandas timestamp keeps its wall-clock day"). DuckDB keeps
only the instants of a TIMESTAMPTZ column, so its route took the UTC day: a purchase at 23:30 in
New York fell on the next day for `clvmodel fit`/`score` and on its own day for
`clv.rfm_from_file`."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bad_input_routes import assert_same_tables
from cli_run import run_cli

import clvmodel as clv
from clvmodel.engine import TransactionSource

END = "2020-06-30"

# Wall-clock times, each customer with a purchase on either side of local midnight, and one
# (c) on the days New York and Berlin move their clocks.
TIMES = {
    "a": ["2020-01-05 23:30", "2020-01-10 10:00", "2020-02-01 00:15"],
    "b": ["2020-01-05 12:00", "2020-03-01 23:59", "2020-03-02 00:01"],
    "c": ["2020-03-08 01:30", "2020-03-08 23:45", "2020-03-29 00:30", "2020-10-25 23:00"],
}


def _log(zone: str) -> pd.DataFrame:
    ids = [customer for customer, times in TIMES.items() for _ in times]
    stamps = pd.to_datetime([t for times in TIMES.values() for t in times])
    return pd.DataFrame(
        {"customer_id": ids, "date": stamps.tz_localize(zone), "amount": range(1, len(ids) + 1)}
    ).astype({"amount": "float64"})


def _same(results: dict, reference: pd.DataFrame) -> None:
    """Each route's table equals ``reference``, customers in the same order."""
    assert_same_tables({route: r.sort_index() for route, r in results.items()}, reference)


def _wall_clock_rfm(log: pd.DataFrame) -> pd.DataFrame:
    """The reference: the same log with its zone dropped, each purchase on its local day."""
    naive = log.assign(date=log["date"].dt.tz_localize(None))
    return clv.rfm_summary(naive, observation_end=END, time_unit="D")


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Asia/Tokyo", "Europe/Berlin", "Australia/Lord_Howe", "+05:30"]
)
def test_every_route_takes_the_wall_clock_day_of_a_zoned_parquet_log(tmp_path, zone):
    log = _log(zone if not zone.startswith("+") else "Asia/Kolkata")
    path = tmp_path / "log.parquet"
    if zone.startswith("+"):  # a fixed offset, as Arrow writes one ("+05:30")
        table = pa.Table.from_pandas(log, preserve_index=False)
        date = table.column("date").cast(pa.timestamp("us", tz=zone))
        pq.write_table(table.set_column(1, "date", date), path)
        assert pq.read_schema(path).field("date").type.tz == "+05:30"
    else:
        log.to_parquet(path, index=False)
    results = {
        "frame": clv.rfm_summary(pd.read_parquet(path), observation_end=END, time_unit="D"),
        "parquet": clv.rfm_from_file(path, observation_end=END, time_unit="D"),
        "duckdb": TransactionSource(path, observation_end=END, time_unit="D").rfm(),
    }
    # The UTC days differ from the wall-clock ones here, so the check can fail.
    utc = log.assign(date=log["date"].dt.tz_convert("UTC"))
    assert not _wall_clock_rfm(log).equals(clv.rfm_summary(utc, observation_end=END, time_unit="D"))
    _same(results, _wall_clock_rfm(log))


@pytest.fixture(scope="module")
def model_in_days(tmp_path_factory, cdnow_log_files):
    path = tmp_path_factory.mktemp("zoned") / "model.json"
    fitted = run_cli(
        "fit", cdnow_log_files[0], "--observation-end", "1997-09-30", "--time-unit", "D",
        "-o", path,
    )  # fmt: skip
    assert fitted.returncode == 0, fitted.output
    return path


def test_clvmodel_score_reads_a_zoned_log_as_the_python_api(tmp_path, model_in_days):
    log = _log("America/New_York")
    path = tmp_path / "log.parquet"
    log.to_parquet(path, index=False)
    output = tmp_path / "scores.csv"
    result = run_cli("score", model_in_days, path, "-o", output, "--observation-end", END)
    assert result.returncode == 0, result.output
    scores = pd.read_csv(output).set_index("customer_id")
    expected = clv.rfm_from_file(path, observation_end=END, time_unit="D")
    columns = ["frequency", "recency", "T", "monetary_value"]
    pd.testing.assert_frame_equal(
        scores.loc[expected.index, columns], expected[columns], check_dtype=False, check_names=False
    )
    assert expected.loc["a", "recency"] == 27.0  # 5 January 23:30 to 1 February 00:15, locally
    assert expected.loc["b", "frequency"] == 2  # 1 and 2 March are two days on the wall clock


def test_a_folder_of_files_in_one_zone_is_read_on_its_wall_clock(tmp_path):
    log = _log("Asia/Tokyo")
    folder = tmp_path / "log"
    folder.mkdir()
    log.iloc[:4].to_parquet(folder / "part-0.parquet", index=False)
    log.iloc[4:].to_parquet(folder / "part-1.parquet", index=False)
    rfm = TransactionSource(folder, observation_end=END, time_unit="D").rfm()
    _same({"duckdb": rfm}, _wall_clock_rfm(log))


def test_a_folder_of_files_in_different_zones_is_refused(tmp_path):
    folder = tmp_path / "log"
    folder.mkdir()
    _log("Asia/Tokyo").to_parquet(folder / "part-0.parquet", index=False)
    _log("Europe/Berlin").to_parquet(folder / "part-1.parquet", index=False)
    with pytest.raises(clv.InputError, match="different time zones"):
        TransactionSource(folder, observation_end=END, time_unit="D")


def test_a_zone_duckdb_does_not_know_is_refused_in_one_line(tmp_path):
    table = pa.table(
        {
            "customer_id": ["a", "a"],
            "date": pa.array([0, 86_400_000_000], pa.timestamp("us", tz="Mars/Olympus_Mons")),
            "amount": [1.0, 2.0],
        }
    )
    pq.write_table(table, tmp_path / "log.parquet")
    with pytest.raises(clv.InputError, match="time zone 'Mars/Olympus_Mons'"):
        TransactionSource(tmp_path / "log.parquet", observation_end=END, time_unit="D")


def test_a_timestamptz_column_that_records_no_zone_keeps_utc_days(tmp_path):
    # A DuckDB table keeps the instants only: their days stay UTC's (documented).
    log = _log("America/New_York")
    database = tmp_path / "log.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("SET TimeZone = 'UTC'")
        connection.register("frame", log)
        connection.execute("CREATE TABLE purchases AS SELECT * FROM frame")
        kind = connection.execute("SELECT typeof(date) FROM purchases LIMIT 1").fetchall()[0][0]
    assert kind == "TIMESTAMP WITH TIME ZONE"
    rfm = TransactionSource(database, table="purchases", observation_end=END, time_unit="D").rfm()
    utc = log.assign(date=log["date"].dt.tz_convert("UTC"))
    _same({"duckdb": rfm}, clv.rfm_summary(utc, observation_end=END, time_unit="D"))
