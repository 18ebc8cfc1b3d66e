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
    path = DATA / f"tx_{n_customers}.parquet"
    if not path.exists():
        log = clv.simulate_transactions(
            n_customers, BG_DAYS, GG, acquisition_days=365, observation_days=730, seed=seed
        )
        log.to_parquet(path, index=False, coerce_timestamps="us")  # Spark reads microseconds
    return path


def measure(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it must set ``seconds`` (float) and may set
    ``result`` (JSON-serialisable). Returns those plus the process's peak memory in MB."""
    wrapper = textwrap.dedent(
        """
        import json, resource, time
        result = None
        {code}
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("@@" + json.dumps({{"seconds": seconds, "peak_mb": peak, "result": result}}))
        """
    ).format(code=textwrap.indent(textwrap.dedent(code), "").strip())
    completed = subprocess.run(
        [sys.executable, "-c", wrapper], capture_output=True, text=True, check=False
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
