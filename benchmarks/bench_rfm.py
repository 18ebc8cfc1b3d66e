"""RFM summary of ~10M transactions read from Parquet: clvmodel vs lifetimes.

Usage: python benchmarks/bench_rfm.py [--customers 3000000] [--memory-limit 512MB]
(3M customers ≈ 10M transactions)
"""

import argparse

from _harness import measure, report, transactions_file


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=3_000_000)
    parser.add_argument("--memory-limit", default="512MB", help="DuckDB memory limit")
    args = parser.parse_args()
    log = str(transactions_file(args.customers))
    duck = measure(
        f"""
from clvmodel.engine import TransactionSource, connect
start = time.perf_counter()
connection = connect(memory_limit={args.memory_limit!r})
rfm = TransactionSource({log!r}, time_unit="D", connection=connection).rfm()
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
                (f"clvmodel, DuckDB engine (memory limit {args.memory_limit})", duck),
                ("clvmodel, pandas path (read_parquet + rfm_summary)", pandas_path),
            ],
            "lifetimes 0.11.3 (read_parquet + summary)",
        )
    )


if __name__ == "__main__":
    main()
