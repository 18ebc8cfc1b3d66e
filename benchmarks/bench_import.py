"""Start-up cost: `import clvmodel`, `clvmodel --help`, and the first model a user touches.

Each command runs in a fresh process (wall and CPU seconds of the whole process, as a shell user
sees them), alternating between the commands for ``--repeats`` rounds; the table gives the median
and the range. Beside them, `python -c pass` (the interpreter alone) and `import pandas` (what any
pandas-based tool pays first).

    python benchmarks/bench_import.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

PYTHON = sys.executable
CLI = shutil.which("clvmodel") or "clvmodel"
COMMANDS = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "import pandas": [PYTHON, "-c", "import pandas"],
    "import clvmodel": [PYTHON, "-c", "import clvmodel"],
    "clvmodel --help": [CLI, "--help"],
    "clvmodel fit --help": [CLI, "fit", "--help"],
    "import clvmodel; clv.BetaGeoModel": [
        PYTHON,
        "-c",
        "import clvmodel as clv; clv.BetaGeoModel",
    ],
}


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh process running ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env={**os.environ})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for argv in COMMANDS.values():  # warm the file cache once
        run_once(argv)
    for _ in range(args.repeats):
        for name, argv in COMMANDS.items():
            times[name].append(run_once(argv))
    print("| command | wall s, median | wall range | CPU s, median | CPU range |")
    print("|---|---|---|---|---|")
    for name, runs in times.items():
        wall = [w for w, _ in runs]
        cpu = [c for _, c in runs]
        print(
            f"| `{name}` | {statistics.median(wall):.3f} | {min(wall):.3f}–{max(wall):.3f} | "
            f"{statistics.median(cpu):.3f} | {min(cpu):.3f}–{max(cpu):.3f} |"
        )


if __name__ == "__main__":
    main()
