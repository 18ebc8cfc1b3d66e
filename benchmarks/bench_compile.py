"""First-call cost of the interval kernels: what a user pays once per machine (numba compiles the
loops of the draws path and caches them in ``clvmodel/models/__pycache__``).

Each round removes the cached compiled loops, then runs a fresh process that fits BG/NBD and
Pareto/NBD on 3,000 simulated customers and times, in CPU seconds, the first and the second
``predict(..., interval=0.9, method="draws", n_draws=50)`` of each. Pareto/NBD's first call comes
after BG/NBD's, so it pays only for the loops the two do not share. The cache is left warm at the
end (the next run of the tests or of the other benchmarks does not pay again).

Usage: python benchmarks/bench_compile.py [--rounds 2]
"""

import argparse
import subprocess
import sys
from pathlib import Path

import clvmodel.models

CACHE = Path(clvmodel.models.__file__).parent / "__pycache__"

PROGRAM = """
import time, warnings
import numpy as np
import clvmodel as clv
warnings.simplefilter("ignore")
params = {"r": 0.5, "alpha": 60.0, "a": 0.8, "b": 2.5}
ages = np.random.default_rng(0).uniform(30, 730, 3000).round()
rfm = clv.simulate_customers(3000, params, T=ages, seed=1)
for model in (clv.BetaGeoModel().fit(rfm), clv.ParetoNBDModel().fit(rfm)):
    for call in ("first", "second"):
        start = time.process_time()
        model.predict(rfm, 365.0, interval=0.9, method="draws", n_draws=50, seed=1)
        print(type(model).__name__, call, f"{time.process_time() - start:.2f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    rounds = parser.parse_args().rounds
    for round_ in range(1, rounds + 1):
        for stale in CACHE.glob("*.nb[ic]"):
            stale.unlink()
        result = subprocess.run(
            [sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True
        )
        for line in result.stdout.splitlines():
            model, call, seconds = line.split()
            print(f"round {round_}: {model:<16} {call:<6} call {seconds:>6} CPU s")


if __name__ == "__main__":
    main()
