"""RFM summary of ~10M transactions read from Parquet: clvmodel vs lifetimes.

Usage: python benchmarks/bench_rfm.py [--customers 3000000] [--memory-limit 512MB] [--shuffled]
(3M customers ≈ 10M transactions; --shuffled runs every contender on a copy of the log with its
rows in random order, instead of the simulator's order by customer and date)
"""

import argparse

import numpy as np
import pyarrow.parquet as pq
from _harness import measure, report, transactions_file


def shuffled_file(path):
    """A copy of the Parquet log at ``path`` with its rows in random order (cached)."""
    target = path.with_name(path.stem + "_shuffled.parquet")
    if not target.exists():
        table = pq.read_table(path)
        order = np.random.default_rng(2).permutation(table.num_rows)
        pq.write_table(table.take(order), target, row_group_size=1 << 20)
    return target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=3_000_000)
    parser.add_argument("--memory-limit", default="512MB", help="DuckDB memory limit")
    parser.add_argument("--shuffled", action="store_true", help="rows in random order")
    args = parser.parse_args()
    path = transactions_file(args.customers)
    log = str(shuffled_file(path) if args.shuffled else path)
    from_file = measure(
        f"""
import clvmodel as clv
start = time.perf_counter()
rfm = clv.rfm_from_file({log!r}, time_unit="D")
seconds = time.perf_counter() - start
result = len(rfm)
"""
    )
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
    order = "rows in random order" if args.shuffled else "rows by customer and date"
    print(
        report(
            f"RFM summary, {n_tx:,} transactions of {n_customers:,} customers "
            f"(Parquet in, DataFrame out; {order})",
            [
                ("lifetimes 0.11.3 (read_parquet + summary)", theirs),
                ("clvmodel, rfm_from_file", from_file),
                ("clvmodel, pandas path (read_parquet + rfm_summary)", pandas_path),
                (f"clvmodel, DuckDB engine (memory limit {args.memory_limit})", duck),
            ],
            "lifetimes 0.11.3 (read_parquet + summary)",
        )
    )


if __name__ == "__main__":
    main()
