"""End to end: ~10M-transaction Parquet log → per-customer scores Parquet; clvmodel vs lifetimes.

Both compute, per customer, the RFM summary, P(alive), expected purchases over 12 months,
expected spend and 12-month CLV (10 % a year), and write Parquet. The models are fitted beforehand
(on the same data) and not timed. Each run is a fresh process; wall seconds, CPU seconds (user +
system, all threads; for the CLI those of its child process) and peak resident memory are
reported, median and range over ``--runs``. ``--duckdb-route`` adds a row for the CLI with the
log summarised by DuckDB (the route CSV files, folders and databases take) instead of the
Parquet fast route.

Usage: python benchmarks/bench_score.py [--customers 3000000] [--runs 3] [--duckdb-route]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _harness import measure, transactions_file

# Runs the CLI with the fast route switched off, for the --duckdb-route row.
_DUCKDB_ONLY = (
    "import sys; from clvmodel import engine; "
    "engine.ParquetLogSource.open = classmethod(lambda cls, *a, **k: None); "
    "from clvmodel.cli import main; sys.exit(main(sys.argv[1:]))"
)


def _cli_snippet(model: Path, log: str, output: Path, duckdb_only: bool) -> str:
    launcher = ["-c", _DUCKDB_ONLY] if duckdb_only else ["-m", "clvmodel.cli"]
    return f"""
import resource, subprocess, sys
start = time.perf_counter()
subprocess.run([sys.executable, *{launcher!r}, "score", {str(model)!r}, {log!r},
                "-o", {str(output)!r}, "--horizon", "12M", "--discount-rate", "0.1"],
               check=True, capture_output=True)
seconds = time.perf_counter() - start
child = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = child.ru_utime + child.ru_stime
result = child.ru_maxrss / 1024
"""


def _lifetimes_snippet(model: Path, log: str, output: Path) -> str:
    return f"""
import json
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data
bundle = json.load(open({str(model)!r}))
start, start_cpu = time.perf_counter(), time.process_time()
tx = pd.read_parquet({log!r})
rfm = summary_data_from_transaction_data(tx, "customer_id", "date", "amount", freq="D")
del tx
bg = BetaGeoFitter(); bg.params_ = pd.Series(bundle["models"]["bg"]["params"])
gg = GammaGammaFitter(); gg.params_ = pd.Series(bundle["models"]["gg"]["params"])
x, t_x, T, m = rfm["frequency"], rfm["recency"], rfm["T"], rfm["monetary_value"]
out = pd.DataFrame(index=rfm.index)
out["probability_alive"] = bg.conditional_probability_alive(x, t_x, T)
out["expected_purchases"] = bg.conditional_expected_number_of_purchases_up_to_time(365.25, x, t_x, T)
out["expected_spend"] = gg.conditional_expected_average_profit(x, m)
bg.predict = bg.conditional_expected_number_of_purchases_up_to_time
out["predicted_clv"] = gg.customer_lifetime_value(bg, x, t_x, T, m, time=12, discount_rate=1.1 ** (1 / 12) - 1, freq="D")
out.to_parquet({str(output)!r})
seconds = time.perf_counter() - start
cpu = time.process_time() - start_cpu
"""


def _summary(runs: list[dict]) -> dict:
    def stats(key):
        values = [r[key] for r in runs]
        return statistics.median(values), min(values), max(values)

    return {key: stats(key) for key in ("seconds", "cpu", "peak_mb")}


def _table(title: str, rows: list[tuple[str, dict]], baseline: str) -> str:
    base = dict(rows)[baseline]
    lines = [
        f"## {title}",
        "",
        "| run | wall s (median, range) | CPU s (median, range) | peak MB | wall ratio | CPU ratio |",
        "|---|---|---|---|---|---|",
    ]
    for name, s in rows:
        wall, cpu, peak = s["seconds"], s["cpu"], s["peak_mb"]
        lines.append(
            f"| {name} | {wall[0]:.2f} ({wall[1]:.2f}–{wall[2]:.2f}) | "
            f"{cpu[0]:.2f} ({cpu[1]:.2f}–{cpu[2]:.2f}) | {peak[2]:.0f} | "
            f"{base['seconds'][0] / wall[0]:.1f}× | {base['cpu'][0] / cpu[0]:.1f}× |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=3_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duckdb-route", action="store_true")
    args = parser.parse_args()
    log = str(transactions_file(args.customers))
    work = Path(tempfile.mkdtemp())
    model = work / "model.json"
    subprocess.run(
        [sys.executable, "-m", "clvmodel.cli", "fit", log, "--time-unit", "D", "-o", str(model)],
        check=True,
        capture_output=True,
    )
    contenders = {
        "lifetimes 0.11.3": lambda i: _lifetimes_snippet(model, log, work / f"theirs{i}.parquet"),
        "clvmodel score (CLI)": lambda i: _cli_snippet(
            model, log, work / f"ours{i}.parquet", False
        ),
    }
    if args.duckdb_route:
        contenders["clvmodel score (CLI, DuckDB route)"] = lambda i: _cli_snippet(
            model, log, work / f"duck{i}.parquet", True
        )
    runs = {name: [] for name in contenders}
    for i in range(args.runs):  # interleaved, so the machine's load falls on every contender
        for name, snippet in contenders.items():
            numbers = measure(snippet(i))
            if numbers["result"] is not None:  # the CLI's peak is its child process's
                numbers["peak_mb"] = numbers["result"]
            runs[name].append(numbers)
            print(f"run {i + 1} {name}: {numbers['seconds']:.2f} s wall, "
                  f"{numbers['cpu']:.2f} s CPU, {numbers['peak_mb']:.0f} MB", file=sys.stderr)  # fmt: skip
            for path in work.glob(f"*{i}*.parquet"):
                path.unlink()
    load = os.getloadavg()
    print(
        _table(
            f"End to end, {args.customers:,} customers: Parquet log → scores Parquet "
            f"({args.runs} runs; load average at the end {load[0]:.1f})",
            [(name, _summary(r)) for name, r in runs.items()],
            "lifetimes 0.11.3",
        )
    )


if __name__ == "__main__":
    main()
