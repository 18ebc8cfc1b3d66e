"""Shared benchmark machinery: synthetic data, and timing a snippet in a fresh process.

Each measurement runs in its own Python process, so its peak resident memory (ru_maxrss) belongs
to that tool alone and imports are not shared between contenders.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import clvmodel as clv

# Daily BG/NBD parameters close to what daily retail data gives (mean inter-purchase ~4 months).
BG_DAYS = {"r": 0.5, "alpha": 60.0, "a": 0.8, "b": 2.5}
GG = {"p": 6.0, "q": 3.8, "v": 15.0}
DATA = Path(__file__).resolve().parent / "data"


def transactions_file(n_customers: int, seed: int = 1) -> Path:
    """A Parquet log of ``n_customers`` simulated over two years of daily data (cached)."""
    DATA.mkdir(exist_ok=True)
    path = DATA / (f"tx_{n_customers}.parquet" if seed == 1 else f"tx_{n_customers}_{seed}.parquet")
    if not path.exists():
        log = clv.simulate_transactions(
            n_customers, BG_DAYS, GG, acquisition_days=365, observation_days=730, seed=seed
        )
        log.to_parquet(path, index=False, coerce_timestamps="us")  # Spark reads microseconds
    return path


def rfm_file(n_customers: int) -> Path:
    """The RFM table (days) of ``n_customers`` simulated customers (cached). Up to 1M customers it
    summarises :func:`transactions_file`; beyond, it stacks the summaries of 1M-customer logs
    drawn with seeds 1, 2, … (customer ids offset so that they stay distinct), which keeps the
    simulation's memory bounded."""
    path = DATA / f"rfm_{n_customers}.parquet"
    if path.exists():
        return path
    import pandas as pd

    chunk = 1_000_000
    parts = []
    for i, start in enumerate(range(0, n_customers, chunk)):
        size = min(chunk, n_customers - start)
        log_path = transactions_file(size, seed=1 + i)
        log = pd.read_parquet(log_path)
        rfm = clv.rfm_summary(log, observation_end=log["date"].max(), time_unit="D")
        rfm.index = rfm.index + start
        parts.append(rfm)
        if i > 0:
            log_path.unlink()  # only the first chunk's log is kept
    pd.concat(parts).to_parquet(path)
    return path


def measure(code: str, python: str | None = None) -> dict:
    """Run ``code`` in a fresh interpreter (``python``, by default this one); it must set
    ``seconds`` (float) and may set ``cpu``, ``import_seconds`` and ``result``
    (JSON-serialisable). Returns those plus the process's peak memory in MB."""
    wrapper = textwrap.dedent(
        """
        import json, resource, time
        result = cpu = import_seconds = None
        {code}
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("@@" + json.dumps({{"seconds": seconds, "cpu": cpu, "peak_mb": peak,
                                 "import_seconds": import_seconds, "result": result}}))
        """
    ).format(code=textwrap.indent(textwrap.dedent(code), "").strip())
    completed = subprocess.run(
        [python or sys.executable, "-c", wrapper], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0 or "@@" not in completed.stdout:
        raise RuntimeError(f"benchmark snippet failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.rsplit("@@", 1)[1].splitlines()[0])


def report(title: str, rows: list[tuple[str, dict]], baseline: str) -> str:
    """A small table: seconds, peak memory and speed-up against ``baseline``."""
    base = dict(rows)[baseline]["seconds"]
    lines = [
        f"## {title}",
        "",
        "| run | seconds | peak MB | speed-up vs lifetimes |",
        "|---|---|---|---|",
    ]
    for name, numbers in rows:
        lines.append(
            f"| {name} | {numbers['seconds']:.2f} | {numbers['peak_mb']:.0f} | "
            f"{base / numbers['seconds']:.1f}× |"
        )
    return "\n".join(lines)
