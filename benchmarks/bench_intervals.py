"""Intervals against point predictions: 1M simulated BG/NBD customers, one-year horizon.

Each contender runs in a fresh process on the same fitted parameters, the contenders taking turns
(point, delta, draws, point, delta, draws, …) so that a change in the machine's load hits them
alike. CPU seconds are the measure (the machine is shared); the median and the spread of
``--repeats`` runs are printed, with wall seconds beside them. The untimed warm-up calls the
default (delta) method only, so the timed run with parameter draws includes importing numba and
loading its cached compiled loops (about 1 CPU s: the import, then numba's typing registries and
scipy.linalg on the first call); the very first run on a machine also compiles them (see
benchmarks/RESULTS.md). A fourth contender warms the draws path up on 1,000 customers first: a
later call in the same session, numba loaded.

``--model mbgnbd`` (or ``pnbd``) measures another purchase model on the same customers (simulated
by BG/NBD); MBG/NBD takes BG/NBD's draws path, Pareto/NBD its own (the death integral's tail
interpolated per distinct x and draw, see clvmodel/models/_pareto_draws.py).

``--clv`` measures customer_lifetime_value instead (the customers simulated with Gamma-Gamma spend
too, a 12-month horizon at 10 % a year): 200 joint parameter draws of both models against the
point CLV.

Usage: python benchmarks/bench_intervals.py [--customers 1000000] [--repeats 3] [--model bgnbd]
    [--clv]
"""

import argparse
import statistics

from _harness import BG_DAYS, GG, measure

SETUP = """
import time, warnings
import numpy as np
import clvmodel as clv
from clvmodel.models import PURCHASE_MODELS
warnings.simplefilter("ignore")
n = {n}
ages = np.random.default_rng(0).uniform(30, 730, n).round()
rfm = clv.simulate_customers(n, {params}, T=ages, seed=1{spend})
model = PURCHASE_MODELS["{model}"]().fit(rfm{unit})
model.predict(rfm.iloc[:1000], 365.0, interval=0.9)  # imports and first calls, not timed
"""
CLV_SETUP = """
gg = clv.GammaGammaModel().fit(rfm)
clv.customer_lifetime_value(model, gg, rfm.iloc[:1000], "12M", 0.1, interval=0.9)
"""

DRAWS = "model.predict({rows}, 365.0, interval=0.9, method='draws', n_draws=200)"
# (untimed warm-up, timed call) per contender. The last is the draws once numba is loaded (a
# later call in the same session): the one-time cost shows as the difference from the one above.
SNIPPETS = {
    "point predictions": ("", "model.predict(rfm, 365.0)"),
    "with 90 % intervals (delta method, the default)": (
        "",
        "model.predict(rfm, 365.0, interval=0.9)",
    ),
    "with 90 % intervals (200 parameter draws)": ("", DRAWS.format(rows="rfm")),
    "the same, numba already loaded in the session": (
        DRAWS.format(rows="rfm.iloc[:1000]"),
        DRAWS.format(rows="rfm"),
    ),
}
CLV = "clv.customer_lifetime_value(model, gg, {rows}, '12M', 0.1{interval})"
CLV_DRAWS = ", interval=0.9, method='draws', n_draws=200"
CLV_SNIPPETS = {
    "point CLV": ("", CLV.format(rows="rfm", interval="")),
    "CLV with 90 % intervals (delta method, the default)": (
        "",
        CLV.format(rows="rfm", interval=", interval=0.9"),
    ),
    "CLV with 90 % intervals (200 parameter draws)": (
        "",
        CLV.format(rows="rfm", interval=CLV_DRAWS),
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", choices=["bgnbd", "mbgnbd", "pnbd"], default="bgnbd")
    parser.add_argument("--clv", action="store_true", help="measure customer_lifetime_value")
    args = parser.parse_args()
    spend = f", gg_params={dict(GG)}" if args.clv else ""
    unit = ', time_unit="D"' if args.clv else ""  # the days of BG_DAYS, for the CLV's horizon
    setup = SETUP.format(
        n=args.customers, params=dict(BG_DAYS), model=args.model, spend=spend, unit=unit
    )
    snippets = CLV_SNIPPETS if args.clv else SNIPPETS
    if args.clv:
        setup += CLV_SETUP
    baseline = next(iter(snippets))
    cpu = {label: [] for label in snippets}
    wall = {label: [] for label in snippets}
    for _ in range(args.repeats):
        for label, (warm_up, call) in snippets.items():
            code = (
                setup
                + f"\n{warm_up}\n"
                + "\nstarted, clock = time.process_time(), time.perf_counter()\n"
                + f"{call}\n"
                + "seconds = time.process_time() - started\n"
                + "result = time.perf_counter() - clock\n"
            )
            run = measure(code)
            cpu[label].append(run["seconds"])
            wall[label].append(run["result"])
    point = statistics.median(cpu[baseline])
    for label in snippets:
        runs = ", ".join(f"{t:.2f}" for t in cpu[label])
        walls = ", ".join(f"{t:.2f}" for t in wall[label])
        ratio = statistics.median(cpu[label]) / point
        ratios = [t / p for t, p in zip(cpu[label], cpu[baseline], strict=True)]
        print(
            f"{label}: median {statistics.median(cpu[label]):.2f} CPU s ({runs}; wall {walls}); "
            f"{ratio:.1f}x the {baseline} (same-round ratios "
            f"{min(ratios):.1f}-{max(ratios):.1f}x; target <= 10x)"
        )


if __name__ == "__main__":
    main()
