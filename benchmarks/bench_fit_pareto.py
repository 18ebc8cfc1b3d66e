"""Pareto/NBD fit on 1M simulated customers (daily data over two years): clvmodel vs lifetimes.

lifetimes' ``ParetoNBDFitter`` (Nelder-Mead over every customer, a ₂F₁ per customer per step) needs
a quarter of an hour or more on 1M customers, so by default it is timed on a random subsample and
its time scaled up linearly in customers: its cost per step is linear in the rows it is given (it
does not merge identical histories) and the number of Nelder-Mead steps does not grow with n (the
script times two subsample sizes so that the scaling can be checked). Pass
``--lifetimes-customers 0`` to run it on every customer instead. Parameters are compared on the
subsample, where both fitted the same data.

Usage: python benchmarks/bench_fit_pareto.py [--customers 1000000] [--lifetimes-customers 50000]
"""

import argparse
import json

from _harness import DATA, measure

# Daily Pareto/NBD parameters: a purchase every ~4 months while alive, mean lifetime ~1 year.
PNBD_DAYS = {"r": 0.5, "alpha": 60.0, "s": 0.6, "beta": 200.0}
NAMES = ("r", "alpha", "s", "beta")


def rfm_file(n_customers: int, seed: int = 1):
    """RFM table (days) of ``n_customers`` simulated by clvmodel's Pareto/NBD generator (cached)."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"pnbd_rfm_{n_customers}.parquet"
    if not path.exists():
        import warnings

        import clvmodel as clv

        log = clv.simulate_transactions(
            n_customers,
            PNBD_DAYS,
            acquisition_days=365,
            observation_days=730,
            seed=seed,
            model="pnbd",
        )
        with warnings.catch_warnings():  # same-day purchases of one customer are merged
            warnings.simplefilter("ignore")
            rfm = clv.rfm_summary(log, observation_end=log["date"].max(), time_unit="D")
        rfm[["frequency", "recency", "T"]].to_parquet(path)
    return path


def _load(path, n):
    sample = "" if not n else f"rfm = rfm.sample({n}, random_state=0)\n"
    return f"import pandas as pd\nrfm = pd.read_parquet({str(path)!r})\n{sample}"


OURS = """
from clvmodel import ParetoNBDModel  # loads the model code (clvmodel imports lazily)
wall, cpu = time.perf_counter(), time.process_time()
model = ParetoNBDModel().fit(rfm)
seconds = time.perf_counter() - wall
result = {"cpu": time.process_time() - cpu, "rows": len(rfm),
          "params": {k: float(v) for k, v in model.params_.items()}}
"""

THEIRS = """
import warnings
warnings.simplefilter("ignore")
from lifetimes import ParetoNBDFitter
wall, cpu = time.perf_counter(), time.process_time()
model = ParetoNBDFitter().fit(rfm["frequency"], rfm["recency"], rfm["T"])
seconds = time.perf_counter() - wall
result = {"cpu": time.process_time() - cpu, "rows": len(rfm),
          "params": {k: float(v) for k, v in model.params_.items()}}
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lifetimes-customers", type=int, default=50_000)
    args = parser.parse_args()
    path = rfm_file(args.customers)
    n_sub = args.lifetimes_customers

    ours_full = measure(_load(path, 0) + OURS)
    sizes = [n_sub] if not n_sub else [n_sub // 2, n_sub]
    theirs = {n: measure(_load(path, n) + THEIRS) for n in sizes}
    ours_sub = measure(_load(path, n_sub) + OURS)

    largest = theirs[sizes[-1]]
    scale = args.customers / largest["result"]["rows"]
    their_wall = largest["seconds"] * scale
    their_cpu = largest["result"]["cpu"] * scale
    lines = [
        f"## Pareto/NBD fit, {args.customers:,} customers (daily data, two years)",
        "",
        "| run | customers | wall s | CPU s | peak MB |",
        "|---|---|---|---|---|",
    ]
    for numbers in theirs.values():
        lines.append(
            f"| lifetimes 0.11.3 | {numbers['result']['rows']:,} | {numbers['seconds']:.1f} | "
            f"{numbers['result']['cpu']:.1f} | {numbers['peak_mb']:.0f} |"
        )
    if scale != 1:
        lines.append(
            f"| lifetimes 0.11.3, scaled ×{scale:.0f} | {args.customers:,} | {their_wall:.0f} | "
            f"{their_cpu:.0f} | – |"
        )
    lines.append(
        f"| clvmodel | {args.customers:,} | {ours_full['seconds']:.1f} | "
        f"{ours_full['result']['cpu']:.1f} | {ours_full['peak_mb']:.0f} |"
    )
    print("\n".join(lines))
    print(
        f"\nspeed-up: {their_wall / ours_full['seconds']:.0f}× wall, "
        f"{their_cpu / ours_full['result']['cpu']:.0f}× CPU"
        + (" (lifetimes scaled linearly from the subsample)" if scale != 1 else "")
    )
    ours_p, their_p = ours_sub["result"]["params"], largest["result"]["params"]
    worst = max(abs(ours_p[k] - their_p[k]) / abs(their_p[k]) for k in NAMES)
    print(f"\nclvmodel on {largest['result']['rows']:,}: {json.dumps(ours_p)}")
    print(f"lifetimes on {largest['result']['rows']:,}: {json.dumps(their_p)}")
    print(f"largest relative parameter difference: {worst:.2e}")
    print(f"clvmodel on all {args.customers:,}: {json.dumps(ours_full['result']['params'])}")


if __name__ == "__main__":
    main()
