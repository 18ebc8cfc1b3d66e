"""End to end: ~10M-transaction Parquet log → per-customer scores Parquet; clvmodel vs lifetimes.

Both compute, per customer, the RFM summary, P(alive), expected purchases over 12 months,
expected spend and 12-month CLV (10 % a year), and write Parquet. The models are fitted beforehand
(on the same data) and not timed.

Usage: python benchmarks/bench_score.py [--customers 3000000]
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _harness import measure, report, transactions_file


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=3_000_000)
    args = parser.parse_args()
    log = str(transactions_file(args.customers))
    work = Path(tempfile.mkdtemp())
    model = work / "model.json"
    subprocess.run(
        [sys.executable, "-m", "clvmodel.cli", "fit", log, "--time-unit", "D", "-o", str(model)],
        check=True,
        capture_output=True,
    )
    ours = measure(
        f"""
import subprocess, sys
start = time.perf_counter()
subprocess.run([sys.executable, "-m", "clvmodel.cli", "score", {str(model)!r}, {log!r},
                "-o", {str(work / "ours.parquet")!r}, "--horizon", "12", "--discount-rate", "0.1"],
               check=True, capture_output=True)
seconds = time.perf_counter() - start
import resource
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
result = child
"""
    )
    # The CLI runs in a child process: its peak memory is the child's.
    ours["peak_mb"] = ours["result"]
    theirs = measure(
        f"""
import json
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data
bundle = json.load(open({str(model)!r}))
start = time.perf_counter()
tx = pd.read_parquet({log!r})
rfm = summary_data_from_transaction_data(tx, "customer_id", "date", "amount", freq="D")
del tx
bg = BetaGeoFitter(); bg.params_ = pd.Series(bundle["models"]["bg"]["params"])
gg = GammaGammaFitter(); gg.params_ = pd.Series(bundle["models"]["gg"]["params"])
bg.predict = bg.conditional_expected_number_of_purchases_up_to_time
x, t_x, T, m = rfm["frequency"], rfm["recency"], rfm["T"], rfm["monetary_value"]
out = pd.DataFrame(index=rfm.index)
out["probability_alive"] = bg.conditional_probability_alive(x, t_x, T)
out["expected_purchases"] = bg.conditional_expected_number_of_purchases_up_to_time(365.25, x, t_x, T)
out["expected_spend"] = gg.conditional_expected_average_profit(x, m)
out["predicted_clv"] = gg.customer_lifetime_value(bg, x, t_x, T, m, time=12, discount_rate=1.1 ** (1 / 12) - 1, freq="D")
out.to_parquet({str(work / "theirs.parquet")!r})
seconds = time.perf_counter() - start
"""
    )
    print(
        report(
            f"End to end, {args.customers:,} customers: Parquet log → scores Parquet",
            [("lifetimes 0.11.3", theirs), ("clvmodel score (CLI)", ours)],
            "lifetimes 0.11.3",
        )
    )


if __name__ == "__main__":
    main()
