"""PostgreSQL table → scores table, beside the Parquet file → scores file route (issue 16).

Loads the simulated log of ``_harness.transactions_file`` (3M customers ≈ 9.9M transactions by
default) into a PostgreSQL table, fits the models once (not timed), then times in fresh processes:

* ``clvmodel score`` Parquet file → Parquet file (the file route);
* ``clvmodel score`` table → table (``-o postgresql://... --output-table``), with the summary
  inside PostgreSQL (the default) and with ``--no-pushdown`` (rows streamed, summarised locally);
* the table route's phases apart: the checks and RFM summary inside PostgreSQL (the default for
  typed columns), or instead streaming the log into the local spool and DuckDB's RFM and scoring
  from it; and the atomic COPY of the scores into a table.

With ``--drivers`` it also times the two candidate drivers on the raw log: ADBC (Arrow batches
out, binary COPY in) and psycopg 3 (text COPY out parsed by pyarrow, CSV COPY in).

A server is started for the run with initdb/pg_ctl (as for the tests) unless ``--uri`` names one.

Usage: python benchmarks/bench_postgres.py [--customers 3000000] [--drivers] [--uri URI]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _harness import measure, transactions_file

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "postgres"))


def _cli_snippet(args: list[str]) -> str:
    return f"""
import subprocess, sys, resource
start = time.perf_counter()
done = subprocess.run([sys.executable, "-m", "clvmodel.cli", *{args!r}], capture_output=True,
                      text=True)
seconds = time.perf_counter() - start
if done.returncode:
    raise SystemExit(done.stderr)
result = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
"""


def _child_peak(numbers: dict) -> dict:
    numbers["peak_mb"] = numbers["result"]  # the CLI runs in a child process
    return numbers


def load_table(uri: str, log: Path, table: str) -> float:
    """Load the Parquet log into ``table`` (replaced); seconds taken."""
    import time

    import adbc_driver_postgresql.dbapi as dbapi
    import pyarrow.parquet as pq

    start = time.perf_counter()
    with dbapi.connect(uri) as connection, connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE TABLE {table} (customer_id bigint, date timestamp, amount double precision)"
        )
        for batch in pq.ParquetFile(log).iter_batches(1_000_000, columns=["customer_id", "date",
                                                                          "amount"]):  # fmt: skip
            cursor.adbc_ingest(table, batch, mode="append")
        connection.commit()
    return time.perf_counter() - start


def compare_drivers(uri: str, table: str) -> list[tuple[str, dict]]:
    """Read the log table and write it back with each driver (fresh process each)."""
    rows = []
    rows.append(("read, ADBC (Arrow batches)", measure(f"""
import adbc_driver_postgresql.dbapi as dbapi
start = time.perf_counter()
with dbapi.connect({uri!r}) as c, c.cursor() as cur:
    cur.execute("SELECT customer_id, date, amount FROM {table}")
    result = sum(b.num_rows for b in cur.fetch_record_batch())
seconds = time.perf_counter() - start
""")))  # fmt: skip
    rows.append(("read, psycopg 3 (COPY csv → pyarrow)", measure(f"""
import io, psycopg, pyarrow as pa, pyarrow.csv as pacsv

class Chunks(io.RawIOBase):
    def __init__(self, copy):
        self.chunks, self.rest = iter(copy), memoryview(b"")
    def readable(self):
        return True
    def readinto(self, buffer):
        while not len(self.rest):
            try:
                self.rest = memoryview(bytes(next(self.chunks)))
            except StopIteration:
                return 0
        n = min(len(buffer), len(self.rest))
        buffer[:n], self.rest = self.rest[:n], self.rest[n:]
        return n

start = time.perf_counter()
with psycopg.connect({uri!r}) as c, c.cursor().copy(
        "COPY (SELECT customer_id, date, amount FROM {table}) TO STDOUT (FORMAT csv)") as copy:
    reader = pacsv.open_csv(
        io.BufferedReader(Chunks(copy), 1 << 20),
        read_options=pacsv.ReadOptions(column_names=["customer_id", "date", "amount"]),
        convert_options=pacsv.ConvertOptions(column_types={{"customer_id": pa.int64(),
            "date": pa.timestamp("us"), "amount": pa.float64()}}))
    result = sum(b.num_rows for b in reader)
seconds = time.perf_counter() - start
""")))  # fmt: skip
    rows.append(("write, ADBC (binary COPY)", measure(f"""
import adbc_driver_postgresql.dbapi as dbapi
with dbapi.connect({uri!r}) as c, c.cursor() as cur:
    cur.execute("SELECT customer_id, date, amount FROM {table}")
    data = cur.fetch_arrow_table()
    cur.execute("DROP TABLE IF EXISTS bench_copy_adbc")
    cur.execute("CREATE TABLE bench_copy_adbc (customer_id bigint, date timestamp, amount float8)")
    start = time.perf_counter()
    cur.adbc_ingest("bench_copy_adbc", data, mode="append")
    c.commit()
    seconds = time.perf_counter() - start
""")))  # fmt: skip
    rows.append(("write, psycopg 3 (COPY csv from pyarrow)", measure(f"""
import io, psycopg, pyarrow.csv as pacsv
import adbc_driver_postgresql.dbapi as dbapi
with dbapi.connect({uri!r}) as c, c.cursor() as cur:
    cur.execute("SELECT customer_id, date, amount FROM {table}")
    data = cur.fetch_arrow_table()
with psycopg.connect({uri!r}) as c:
    c.execute("DROP TABLE IF EXISTS bench_copy_pg")
    c.execute("CREATE TABLE bench_copy_pg (customer_id bigint, date timestamp, amount float8)")
    start = time.perf_counter()
    with c.cursor().copy("COPY bench_copy_pg FROM STDIN (FORMAT csv)") as copy:
        for batch in data.to_batches(500_000):
            sink = io.BytesIO()
            pacsv.write_csv(batch, sink, pacsv.WriteOptions(include_header=False))
            copy.write(sink.getbuffer())
    c.commit()
    seconds = time.perf_counter() - start
""")))  # fmt: skip
    return rows


def phases(uri: str, table: str, model: Path, work: Path) -> list[tuple[str, dict]]:
    """The table route's phases, each in a fresh process."""
    spool = work / "spool.parquet"
    scores = work / "phase_scores.parquet"
    rows = [("0. checks + RFM inside PostgreSQL, aggregates streamed out (the default)", measure(f"""
from clvmodel.engine import TransactionSource
start = time.perf_counter()
source = TransactionSource({uri!r}, table={table!r}, time_unit="D", pushdown=True)
counts = source.row_counts()
result = sum(len(batch) for batch in source.rfm_batches(500_000))
seconds = time.perf_counter() - start
"""))]  # fmt: skip
    rows += [("1. or: stream the log into a local spool (ADBC → Parquet)", measure(f"""
import shutil
from clvmodel._postgres_read import PostgresSpool
start = time.perf_counter()
s = PostgresSpool({uri!r}, {table!r}, columns=["customer_id", "date", "amount"])
seconds = time.perf_counter() - start
shutil.copy(s.path, {str(spool)!r})
s.close()
"""))]  # fmt: skip
    rows.append(("2. then: RFM in DuckDB + scoring, spool → Parquet", _child_peak(measure(
        _cli_snippet(["score", str(model), str(spool), "-o", str(scores)])))))  # fmt: skip
    rows.append(("3. atomic COPY of the scores into a table", measure(f"""
import pyarrow.parquet as pq
from clvmodel._postgres_write import TableSpec, postgres_type, write_tables
file = pq.ParquetFile({str(scores)!r})
columns = [(f.name, postgres_type(f.type)) for f in file.schema_arrow]
start = time.perf_counter()
result = write_tables({uri!r}, [TableSpec("phase_scores", columns, file.iter_batches(500_000))],
                      "replace")["phase_scores"]
seconds = time.perf_counter() - start
""")))  # fmt: skip
    return rows


def table(title: str, rows: list[tuple[str, dict]]) -> str:
    lines = [f"### {title}", "", "| run | seconds | peak MB |", "|---|---|---|"]
    lines += [f"| {name} | {n['seconds']:.2f} | {n['peak_mb']:.0f} |" for name, n in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=3_000_000)
    parser.add_argument("--drivers", action="store_true", help="also compare ADBC and psycopg")
    parser.add_argument("--uri", default=None, help="an existing server (default: start one)")
    args = parser.parse_args()
    log = transactions_file(args.customers)
    server = None
    if args.uri is None:
        from pg_server import PostgresServer

        server = PostgresServer().start()
    uri = args.uri or server.uri
    try:
        import pyarrow.parquet as pq

        n_rows = pq.ParquetFile(log).metadata.num_rows
        loaded = load_table(uri, log, "bench_tx")
        work = Path(tempfile.mkdtemp())
        model = work / "model.json"
        subprocess.run(
            [sys.executable, "-m", "clvmodel.cli", "fit", str(log), "--time-unit", "D", "-o",
             str(model)], check=True, capture_output=True,
        )  # fmt: skip
        print(f"{n_rows:,} transactions of {args.customers:,} customers; loaded into "
              f"PostgreSQL in {loaded:.1f} s (not timed below)\n")  # fmt: skip
        end_to_end = [
            ("Parquet file → scores Parquet", _child_peak(measure(_cli_snippet(
                ["score", str(model), str(log), "-o", str(work / "scores.parquet")]))),),
            ("PostgreSQL table → scores table", _child_peak(measure(_cli_snippet(
                ["score", str(model), uri, "--table", "bench_tx", "-o", uri,
                 "--output-table", "bench_scores", "--if-exists", "replace"]))),),
            ("PostgreSQL table → scores table, --no-pushdown", _child_peak(measure(_cli_snippet(
                ["score", str(model), uri, "--table", "bench_tx", "-o", uri, "--no-pushdown",
                 "--output-table", "bench_scores", "--if-exists", "replace"]))),),
        ]  # fmt: skip
        print(table("End to end (clvmodel score, fresh process)", end_to_end), "\n")
        print(table("Where the table route's time goes", phases(uri, "bench_tx", model, work)))
        if args.drivers:
            print("\n" + table("Drivers on the raw log", compare_drivers(uri, "bench_tx")))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
