"""BG/NBD (or ``--model mbgnbd``: MBG/NBD) fit on simulated BG/NBD customers (daily data over two
years): clvmodel vs lifetimes and PyMC-Marketing, each timed as the FIRST call in a FRESH process.

Every run is its own subprocess: it reads the RFM table (not timed), imports the library (timed
apart), then fits once (timed: wall and CPU seconds). Runs of the contenders are interleaved
(clvmodel, lifetimes, PyMC-Marketing, clvmodel, ...) so that they share the machine's load, and
the table gives the median and the spread (min–max) of ``--runs`` runs with the ratio of medians.

PyMC-Marketing needs Python ≥ 3.12: the script creates (or reuses) a virtual environment at
``~/.cache/clvmodel-bench/pymc312`` with ``<python3.12> -m venv`` and ``pip install
pymc-marketing pyarrow`` (the interpreter is ``$CLVMODEL_BENCH_PYTHON312``, by default
``~/.pyenv/versions/3.12.1/bin/python``). Its ``BetaGeoModel`` is fitted with
``fit(rfm, method="map")`` and flat (HalfFlat) priors on r, α, a, b, so that its MAP is the
maximum-likelihood estimate; note that ``fit(fit_method="map")`` silently samples with NUTS.

Usage: python benchmarks/bench_fit.py [--model bgnbd] [--customers 1000000] [--runs 3] [--no-pymc]
       [--no-lifetimes] [--tracemalloc] [--arrays [--weeks]] [--versus N]
(10M: ``--customers 10000000 --arrays --tracemalloc``; the table is built from ten simulated
1M-customer logs, see ``_harness.rfm_file``; ``--arrays --versus 10000000`` times the 1M and
10M fits interleaved in one run, for the ratio.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
from pathlib import Path

from _harness import measure, rfm_file

NAMES = ("r", "alpha", "a", "b")
#: --model: (clvmodel class, lifetimes class, label).
MODELS = {
    "bgnbd": ("BetaGeoModel", "BetaGeoFitter", "BG/NBD"),
    "mbgnbd": ("ModifiedBetaGeoModel", "ModifiedBetaGeoFitter", "MBG/NBD"),
}
VENV = Path.home() / ".cache" / "clvmodel-bench" / "pymc312"
PYTHON312 = os.environ.get(
    "CLVMODEL_BENCH_PYTHON312", str(Path.home() / ".pyenv/versions/3.12.1/bin/python")
)

LOAD = """
import pandas as pd
rfm = pd.read_parquet({path!r}, columns=["frequency", "recency", "T"])
"""

# For peak memory at 10M: the three columns as numpy arrays (no DataFrame, whose conversion
# from Arrow alone peaks near 1 GB at 10M rows); fit accepts a mapping of arrays.
LOAD_ARRAYS = """
import pandas as pd
import pyarrow.parquet as pq
table = pq.read_table({path!r}, columns=["frequency", "recency", "T"])
rfm = {{name: table.column(name).to_numpy() for name in ("frequency", "recency", "T")}}
del table
"""

# --weeks: the same customers in whole weeks (recency and T rounded down, repeat buyers kept at
# least one week and at most 7 purchases a week), a table whose distinct histories are few and
# dense (for the counted, unsorted compression of models/_compress.py).
IN_WEEKS = """
import numpy as np
T = np.floor(rfm["T"] / 7)
recency = np.minimum(np.floor(rfm["recency"] / 7), T)
recency[(rfm["frequency"] > 0) & (recency == 0)] = 1
T = np.maximum(T, recency)
frequency = np.minimum(rfm["frequency"], recency * 7).astype("int64")
rfm = {{"frequency": frequency, "recency": recency, "T": T}}
"""

OURS = """
wall, cpu = time.perf_counter(), time.process_time()
# clvmodel imports lazily: naming the class is what loads the model code, as lifetimes' import does.
from clvmodel import {ours} as Model
import_seconds = time.perf_counter() - wall
wall, cpu = time.perf_counter(), time.process_time()
model = Model().fit(rfm)
seconds, cpu = time.perf_counter() - wall, time.process_time() - cpu
result = {{"params": {{k: float(v) for k, v in model.params_.items()}},
          "distinct": model.n_distinct_rows_, "iterations": model.n_iterations_}}
"""

OURS_TRACEMALLOC = """
import tracemalloc
from clvmodel import {ours} as Model
tracemalloc.start()
wall, cpu = time.perf_counter(), time.process_time()
model = Model().fit(rfm)
seconds, cpu = time.perf_counter() - wall, time.process_time() - cpu
result = {{"fit_peak_mb": tracemalloc.get_traced_memory()[1] / 2**20,
          "params": {{k: float(v) for k, v in model.params_.items()}}}}
"""

LIFETIMES = """
wall = time.perf_counter()
from lifetimes import {theirs} as Fitter
import_seconds = time.perf_counter() - wall
wall, cpu = time.perf_counter(), time.process_time()
model = Fitter().fit(rfm["frequency"], rfm["recency"], rfm["T"])
seconds, cpu = time.perf_counter() - wall, time.process_time() - cpu
result = {{"params": {{k: float(v) for k, v in model.params_.items()}}}}
"""

PYMC = """
import warnings
warnings.simplefilter("ignore")
data = pd.DataFrame({{"customer_id": range(len(rfm)), "frequency": rfm["frequency"].to_numpy(),
                     "recency": rfm["recency"].to_numpy(), "T": rfm["T"].to_numpy()}})
wall = time.perf_counter()
from pymc_extras.prior import Prior
from pymc_marketing.clv import BetaGeoModel
import_seconds = time.perf_counter() - wall
flat = {{name: Prior("HalfFlat") for name in ("r", "alpha", "a", "b")}}
wall, cpu = time.perf_counter(), time.process_time()
model = BetaGeoModel(model_config=flat)
model.fit(data, method="map", progressbar=False)
seconds, cpu = time.perf_counter() - wall, time.process_time() - cpu
summary = model.fit_summary()
result = {{"params": {{k: float(summary[k]) for k in ("r", "alpha", "a", "b")}}}}
"""


def pymc_python() -> str:
    """The Python 3.12 interpreter of the PyMC-Marketing environment, created on first use."""
    python = VENV / "bin" / "python"
    if not python.exists():
        VENV.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([PYTHON312, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "pymc-marketing", "pyarrow"], check=True
        )
    return str(python)


def _import_line(runs: list[dict]) -> str:
    values = [r["import_seconds"] for r in runs if r.get("import_seconds") is not None]
    return f"{statistics.median(values):.2f}" if values else "–"


def _row(name: str, runs: list[dict], base: list[dict] | None) -> str:
    wall = [r["seconds"] for r in runs]
    cpu = [r["cpu"] for r in runs]
    cells = [
        name,
        f"{statistics.median(wall):.2f} ({min(wall):.2f}–{max(wall):.2f})",
        f"{statistics.median(cpu):.2f} ({min(cpu):.2f}–{max(cpu):.2f})",
        f"{statistics.median(r['peak_mb'] for r in runs):.0f}",
        _import_line(runs),
    ]
    if base is None:
        cells += ["–", "–"]
    else:
        ours_wall = statistics.median(r["seconds"] for r in base)
        ours_cpu = statistics.median(r["cpu"] for r in base)
        cells += [
            f"**{statistics.median(wall) / ours_wall:.1f}×**",
            f"{statistics.median(cpu) / ours_cpu:.1f}×",
        ]
    return "| " + " | ".join(cells) + " |"


def _largest_difference(ours: dict, theirs: dict) -> float:
    return max(abs(ours[k] - theirs[k]) / abs(theirs[k]) for k in NAMES)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--model", choices=sorted(MODELS), default="bgnbd", help="MBG/NBD: without PyMC-Marketing"
    )
    parser.add_argument("--no-pymc", action="store_true")
    parser.add_argument("--no-lifetimes", action="store_true")
    parser.add_argument("--tracemalloc", action="store_true", help="also the fit's own peak")
    parser.add_argument(
        "--arrays", action="store_true", help="clvmodel only: load numpy arrays, not a DataFrame"
    )
    parser.add_argument(
        "--versus",
        type=int,
        metavar="N",
        help="clvmodel only: also fit N customers, interleaved (same loader), and print the "
        "ratio of the medians (issue 18: 10M ≤ 2× 1M)",
    )
    parser.add_argument(
        "--weeks", action="store_true", help="with --arrays: the table rounded to whole weeks"
    )
    args = parser.parse_args()
    ours_class, their_class, label = MODELS[args.model]
    if args.model != "bgnbd":
        args.no_pymc = True
    if args.weeks and not args.arrays:
        parser.error("--weeks needs --arrays")
    weeks = IN_WEEKS.format() if args.weeks else ""
    load = (LOAD_ARRAYS if args.arrays else LOAD).format(path=str(rfm_file(args.customers)))
    load += weeks
    if args.arrays or args.versus:
        args.no_pymc = args.no_lifetimes = True
    contenders = {"clvmodel": (load + OURS.format(ours=ours_class), None)}
    if args.versus:
        other = (LOAD_ARRAYS if args.arrays else LOAD).format(path=str(rfm_file(args.versus)))
        other += weeks
        contenders[f"clvmodel, {args.versus:,} customers"] = (
            other + OURS.format(ours=ours_class),
            None,
        )
    if not args.no_lifetimes:
        contenders["lifetimes 0.11.3"] = (load + LIFETIMES.format(theirs=their_class), None)
    if not args.no_pymc:
        contenders["PyMC-Marketing (MAP)"] = (load + PYMC.format(), pymc_python())
    runs: dict[str, list[dict]] = {name: [] for name in contenders}
    for i in range(args.runs):
        for name, (code, python) in contenders.items():
            numbers = measure(code, python=python) if python else measure(code)
            runs[name].append(numbers)
            print(
                f"run {i + 1} {name}: {numbers['seconds']:.2f} s wall, {numbers['cpu']:.2f} s CPU"
            )

    ours = runs["clvmodel"]
    lines = [
        f"## {label} fit, {args.customers:,} customers "
        f"({ours[0]['result']['distinct']:,} distinct histories)",
        "",
        f"Each a first call in a fresh process; median (min–max) of {args.runs} runs.",
        "",
        "| run | wall s | CPU s | peak MB | import s | wall ÷ clvmodel | CPU ÷ clvmodel |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in runs:
        lines.append(_row(name, runs[name], None if name == "clvmodel" else ours))
    if args.versus:
        # The ratio columns then read: N customers ÷ the --customers fit.
        lines.append("")
        lines.append(
            f"(last row: {args.versus:,} customers, "
            f"{runs[name][0]['result']['distinct']:,} distinct histories)"
        )
    print("\n" + "\n".join(lines) + "\n")
    params = ours[0]["result"]["params"]
    print(f"clvmodel params: {json.dumps(params)}")
    for name in runs:
        if name != "clvmodel" and not name.startswith("clvmodel,"):
            theirs = runs[name][0]["result"]["params"]
            print(f"{name} params: {json.dumps(theirs)}")
            print(f"  largest relative difference: {_largest_difference(params, theirs):.2e}")
    if args.tracemalloc:
        traced = measure(load + OURS_TRACEMALLOC.format(ours=ours_class))
        print(f"fit's own peak allocation (tracemalloc): {traced['result']['fit_peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
