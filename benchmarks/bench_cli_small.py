"""Fixed costs of the command line on small logs: `clvmodel fit` and `clvmodel score` invoked in
one process (click's test runner, as a notebook or a test would), after one warm-up, so that
imports are not counted and what remains is the per-invocation work: opening DuckDB, reading
the CSV, fitting, writing.

    python benchmarks/bench_cli_small.py LOG.csv [LOG.csv ...] [--repeats 10] [--tree DIR ...]

``--tree`` measures another checkout of clvmodel (e.g. ``git worktree add /tmp/before <commit>``)
in a fresh process of its own; several trees alternate, for before/after comparisons on a noisy
machine. Prints mean CPU and wall milliseconds per invocation.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

_ONE_TREE = """
import sys, time, warnings
tree, log, repeats, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if tree:
    sys.path.insert(0, tree)
warnings.simplefilter("ignore")
import clvmodel
from click.testing import CliRunner
from clvmodel.cli import main

model, scores = f"{folder}/model.json", f"{folder}/scores.parquet"
commands = {"fit": ["fit", log, "-o", model], "score": ["score", model, log, "-o", scores]}
runner = CliRunner()
for name, args in commands.items():
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(repeats):
        runner.invoke(main, args)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{name}\\t{cpu / repeats * 1000:.1f}\\t{wall / repeats * 1000:.1f}\\t{clvmodel.__file__}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logs", nargs="+", type=Path)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--tree", action="append", default=[], help="another clvmodel checkout")
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    trees = options.tree or [""]
    print("| log | tree | command | CPU ms | wall ms |\n|---|---|---|---|---|")
    for log in options.logs:
        for _ in range(options.rounds):
            for tree in trees:
                with tempfile.TemporaryDirectory() as folder:
                    argv = [str(log), str(options.repeats), folder]
                    out = subprocess.run(
                        [sys.executable, "-c", _ONE_TREE, tree, *argv],
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout
                for line in out.splitlines():
                    command, cpu, wall, where = line.split("\t")
                    shown = tree or str(Path(where).parents[1])
                    print(f"| {log.name} | {shown} | {command} | {cpu} | {wall} |")


if __name__ == "__main__":
    main()
