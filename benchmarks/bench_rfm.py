"""RFM summary of ~10M transactions read from Parquet: clvmodel vs lifetimes.

Usage: python benchmarks/bench_rfm.py [--customers 3000000]  (3M customers ≈ 10M transactions)
"""

import argparse

from _harness import measure, report, transactions_file


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=3_000_000)
    args = parser.parse_args()
    log = str(transactions_file(args.customers))
    duck = measure(
        f"""
from clvmodel.engine import TransactionSource
start = time.perf_counter()
rfm = TransactionSource({log!r}, time_unit="D").rfm()
seconds = time.perf_counter() - start
result = len(rfm)
"""
    )
    pandas_path = measure(
        f"""
import pandas as pd, clvmodel as clv
start = time.perf_counter()
tx = pd.read_parquet({log!r})
rfm = clv.rfm_summary(tx, time_unit="D")
seconds = time.perf_counter() - start
result = [len(tx), len(rfm)]
"""
    )
    theirs = measure(
        f"""
import pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
start = time.perf_counter()
tx = pd.read_parquet({log!r})
rfm = summary_data_from_transaction_data(tx, "customer_id", "date", "amount", freq="D")
seconds = time.perf_counter() - start
result = len(rfm)
"""
    )
    n_tx, n_customers = pandas_path["result"]
    print(
        report(
            f"RFM summary, {n_tx:,} transactions of {n_customers:,} customers (Parquet in, DataFrame out)",
            [
                ("lifetimes 0.11.3 (read_parquet + summary)", theirs),
                ("clvmodel, DuckDB engine", duck),
                ("clvmodel, pandas path (read_parquet + rfm_summary)", pandas_path),
            ],
            "lifetimes 0.11.3 (read_parquet + summary)",
        )
    )


if __name__ == "__main__":
    main()
