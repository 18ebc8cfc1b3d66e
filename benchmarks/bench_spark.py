"""How cost grows with data on Spark (local mode) beside the DuckDB path: fit, then score.

For each size, one Parquet log (simulated, cached in benchmarks/data/) goes through
- the DuckDB path: ``clvmodel fit`` and ``clvmodel score`` (the CLI, each in a subprocess);
- the Spark path: ``clvmodel.spark.fit`` and ``score(rfm_summary(log), models)`` written as Parquet,
  in a fresh process with a ``local[2]`` session (session start-up timed apart).
Both fit the same parameters (printed as the largest relative difference).

Usage: python benchmarks/bench_spark.py [--transactions 1000000 5000000 20000000]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from _harness import measure, transactions_file

TRANSACTIONS_PER_CUSTOMER = 3.3  # of the simulated logs (9.9M transactions for 3M customers)


def duckdb_path(log: str, work: Path) -> dict:
    model, scores = work / "duck.json", work / "duck.parquet"
    started = time.perf_counter()
    cli = [sys.executable, "-m", "clvmodel.cli"]
    subprocess.run([*cli, "fit", log, "--time-unit", "D", "-o", str(model)], check=True,
                   capture_output=True)  # fmt: skip
    fitted = time.perf_counter()
    subprocess.run([*cli, "score", str(model), log, "-o", str(scores)], check=True,
                   capture_output=True)  # fmt: skip
    done = time.perf_counter()
    params = json.loads(model.read_text())["models"]["bg"]["params"]
    return {"fit": fitted - started, "score": done - fitted, "params": params}


def spark_path(log: str, work: Path) -> dict:
    code = f"""
import os, sys, warnings
warnings.filterwarnings("ignore")
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
start = time.perf_counter()
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.driver.memory", "6g").config("spark.sql.shuffle.partitions", "8")
         .config("spark.sql.session.timeZone", "UTC").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
import clvmodel.spark as clvs
session = time.perf_counter()
log = spark.read.parquet({log!r})
models = clvs.fit(log, time_unit="D")
fitted = time.perf_counter()
rfm = clvs.rfm_summary(log, time_unit="D", on_invalid="drop")
clvs.score(rfm, models).write.mode("overwrite").parquet({str(work / "spark_scores")!r})
done = time.perf_counter()
seconds = done - session
result = {{"session": session - start, "fit": fitted - session, "score": done - fitted,
          "params": models.bg.to_dict()["params"]}}
spark.stop()
"""
    return measure(code)["result"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--transactions", type=int, nargs="+", default=[1_000_000, 5_000_000, 20_000_000]
    )
    args = parser.parse_args()
    rows = [
        "| transactions | customers | DuckDB fit | DuckDB score | Spark fit | Spark score "
        "| Spark ÷ DuckDB (fit + score) | largest parameter difference |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for target in args.transactions:
        path = transactions_file(round(target / TRANSACTIONS_PER_CUSTOMER))
        n_rows = pq.ParquetFile(path).metadata.num_rows
        customers = round(target / TRANSACTIONS_PER_CUSTOMER)
        work = Path(tempfile.mkdtemp())
        duck = duckdb_path(str(path), work)
        spark = spark_path(str(path), work)
        gap = max(
            abs(spark["params"][k] - duck["params"][k]) / abs(duck["params"][k])
            for k in duck["params"]
        )
        ratio = (spark["fit"] + spark["score"]) / (duck["fit"] + duck["score"])
        rows.append(
            f"| {n_rows:,} | {customers:,} | {duck['fit']:.1f} s | {duck['score']:.1f} s | "
            f"{spark['fit']:.1f} s | {spark['score']:.1f} s | {ratio:.1f}× | {gap:.1e} |"
        )
        print(rows[-1], f"(Spark session start-up {spark['session']:.1f} s)", flush=True)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
