"""Day One value on CDNOW: covariate model vs the no-covariate baseline, over several random splits.

Each run fits :class:`clvmodel.DayOneModel` on a random half of the 23,570 CDNOW customers (their
histories to 1998-06-30, weeks) with the signup attributes first purchase amount and number of CDs
(both as log(1 + x)) and signup week, and compares the predicted value of the other half's first
52 weeks with what they actually spent (see :func:`clvmodel.dayone.evaluate_day_one`).

Usage: python benchmarks/dayone_cdnow.py [--seeds 5] [--covariates-on purchase,dropout,spend]
"""

import argparse
import time
import warnings

import pandas as pd

import clvmodel as clv
from clvmodel.dayone import evaluate_day_one


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--covariates-on", default="purchase,dropout,spend")
    args = parser.parse_args()
    transactions = clv.datasets.load_cdnow()
    processes = tuple(args.covariates_on.split(","))
    repeat, total = [], []
    for seed in range(args.seeds):
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", clv.StatisticalWarning)
            result = evaluate_day_one(transactions, seed=seed, covariates_on=processes)
        elapsed = time.perf_counter() - started
        if seed == 0:
            print(result)
            print("\nCoefficients (seed 0):")
            print(result.model.summary[["model", "estimate", "std_error"]].round(4).to_string())
            print("\nSegments (seed 0):")
            print(result.model.segment_profiles_.round(2).T.to_string())
            print()
        print(f"seed {seed}: {elapsed:.1f} s")
        repeat.append(result.metrics.assign(seed=seed))
        total.append(result.metrics_total.assign(seed=seed))
    for title, tables in (("repeat purchases' value", repeat), ("including first purchase", total)):
        frame = pd.concat(tables).reset_index()
        columns = ["spearman", "mae", "top_decile_share"]
        summary = frame.groupby("model")[columns].agg(["mean", "std", "min"])
        print(f"\nOver {args.seeds} seeds, {title}:")
        print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
