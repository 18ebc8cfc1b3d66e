"""Store the mpmath references of the DERL tests of test_shifted_beta_geo.py and
test_beta_discrete_weibull.py (about 2 s of mpmath).

Run from the repository root after changing a grid below:

    python tests/models/make_derl_reference.py

Each value is Σ_{k≥0} S(t+1+k)/S(t) (1+d)^−k at 30 digits by mpmath's nsum, with the survival
function S of the test module (sBG: B(α, β + t) / B(α, β); BdW: B(α, β + t^c) / B(α, β)); it is
written at 30 significant digits to tests/models/reference/derl_mpmath.csv. The tests read the
table and recompute one cell of each model live.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import mpmath as mp

HERE = Path(__file__).resolve().parent
TABLE = HERE / "reference" / "derl_mpmath.csv"

# (model, c, d, t): sBG at the [FH07] "regular" estimates α = 0.704, β = 1.182 (c is 1); BdW at
# α = 2, β = 3.
SBG_CELLS = [("sbg", "1", "0.1", t) for t in (0, 5, 250)]
BDW_CELLS = [("bdw", c, d, t) for c, d in (("0.6", "0.05"), ("1.4", "0.1")) for t in (0, 10)]


def derl(model: str, c: str, d: str, t: int):
    """The discounted expected residual lifetime at 30 digits."""
    sys.path.insert(0, str(HERE))
    if model == "sbg":
        from test_shifted_beta_geo import _survival as sbg_survival

        alpha, beta = mp.mpf("0.704"), mp.mpf("1.182")

        def survival(u):
            return sbg_survival(alpha, beta, u)
    else:
        from test_beta_discrete_weibull import _survival as bdw_survival

        def survival(u):
            return bdw_survival(2.0, 3.0, float(c), u)

    with mp.workdps(30):
        # As the tests write it: 1/1.1 from the decimal string for sBG, and the binary value of
        # the float d for BdW.
        z = 1 / mp.mpf("1.1") if model == "sbg" else 1 / (1 + mp.mpf(float(d)))
        base = survival(t)
        return mp.nsum(lambda k: survival(t + 1 + k) / base * z**k, [0, mp.inf])


def load() -> dict:
    """{(model, c, d, t): value as an mpf string} from the stored table."""
    with TABLE.open(newline="") as handle:
        return {
            (row["model"], row["c"], row["d"], int(row["t"])): row["derl"]
            for row in csv.DictReader(handle)
        }


if __name__ == "__main__":
    TABLE.parent.mkdir(exist_ok=True)
    with TABLE.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["model", "c", "d", "t", "derl"])
        for cell in SBG_CELLS + BDW_CELLS:
            writer.writerow([*cell, mp.nstr(derl(*cell), 30)])
    print(f"wrote {TABLE}")
