"""Intervals against point predictions: 1M simulated BG/NBD customers, one-year horizon.

Each contender runs in a fresh process on the same fitted parameters; the median and the spread of
``--repeats`` runs are printed (the machine is shared: look at the spread).

Usage: python benchmarks/bench_intervals.py [--customers 1000000] [--repeats 3]
"""

import argparse
import statistics

from _harness import BG_DAYS, measure

SETUP = """
import time, warnings
import numpy as np
import clvmodel as clv
warnings.simplefilter("ignore")
n = {n}
ages = np.random.default_rng(0).uniform(30, 730, n).round()
rfm = clv.simulate_customers(n, {params}, T=ages, seed=1)
model = clv.BetaGeoModel().fit(rfm)
model.predict(rfm.iloc[:1000], 365.0, interval=0.9)  # imports and first calls, not timed
"""

SNIPPETS = {
    "point predictions": "model.predict(rfm, 365.0)",
    "with 90 % intervals (delta method)": "model.predict(rfm, 365.0, interval=0.9)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    setup = SETUP.format(n=args.customers, params=dict(BG_DAYS))
    times = {}
    for label, call in SNIPPETS.items():
        code = (
            setup
            + f"\nstarted = time.process_time()\n{call}\nseconds = time.process_time() - started\n"
        )
        times[label] = [measure(code)["seconds"] for _ in range(args.repeats)]
        runs = ", ".join(f"{t:.2f}" for t in times[label])
        print(f"{label}: median {statistics.median(times[label]):.2f} CPU s ({runs})")
    ratio = statistics.median(times[list(SNIPPETS)[1]]) / statistics.median(
        times[list(SNIPPETS)[0]]
    )
    print(f"intervals / point predictions: {ratio:.1f}x (target <= 10x)")


if __name__ == "__main__":
    main()
