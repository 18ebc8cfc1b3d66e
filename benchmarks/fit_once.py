"""One BG/NBD fit of the cached 10M-customer table in this process, with the clvmodel found at
a given source tree: for A/B timings of two commits, alternating fresh processes.

Usage::

    git worktree add /tmp/before <commit>
    for i in 1 2 3 4; do
        python benchmarks/fit_once.py /tmp/before; python benchmarks/fit_once.py .
    done

Prints the fit's wall seconds, user and system CPU seconds (``getrusage``) and minor page
faults. The table is the one ``bench_fit.py --arrays --versus 10000000`` builds and caches.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

tree = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
sys.path.insert(0, str(tree))

import pyarrow.parquet as pq  # noqa: E402

import clvmodel  # noqa: E402

if not Path(clvmodel.__file__).resolve().is_relative_to(tree):
    raise SystemExit(f"clvmodel imported from {clvmodel.__file__}, not from {tree}")

table = Path(__file__).resolve().parent / "data" / "rfm_10000000.parquet"
if not table.exists():
    raise SystemExit(f"{table} is missing: run bench_fit.py --arrays --versus 10000000 once")
columns = pq.read_table(table, columns=["frequency", "recency", "T"])
rfm = {name: columns.column(name).to_numpy() for name in ("frequency", "recency", "T")}
del columns

before = resource.getrusage(resource.RUSAGE_SELF)
wall = time.perf_counter()
clvmodel.BetaGeoModel().fit(rfm)
wall = time.perf_counter() - wall
after = resource.getrusage(resource.RUSAGE_SELF)
print(
    f"{tree}: wall {wall:.3f} s, user {after.ru_utime - before.ru_utime:.3f} s, "
    f"system {after.ru_stime - before.ru_stime:.3f} s, "
    f"minor faults {after.ru_minflt - before.ru_minflt}"
)
