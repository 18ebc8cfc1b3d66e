"""Make the holdout figures (docs/guide/holdout.md) from the bundled CDNOW sample.

Run ``python docs/figures_holdout.py`` to (re)write ``docs/figures/holdout_*.png``: BG/NBD is fitted
on the 39 calibration weeks (to 1997-09-30) and checked on the 39 holdout weeks (to 1998-06-30), as
in Fader, Hardie and Lee (2005), "Counting your customers the easy way".
"""

from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.figure import Figure

import clvmodel as clv
from clvmodel.plotting import (
    plot_conditional_expectation,
    plot_period_transactions,
    plot_reliability,
    plot_tracking,
)

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"
DPI = 110
SIZE = (6.4, 3.9)

FIGURES = {
    "holdout_tracking_cumulative.png": lambda report, ax: plot_tracking(report, ax=ax),
    "holdout_tracking_incremental.png": lambda report, ax: plot_tracking(
        report, ax=ax, kind="incremental"
    ),
    "holdout_conditional_expectation.png": lambda report, ax: plot_conditional_expectation(
        report, ax=ax
    ),
    "holdout_period_transactions.png": lambda report, ax: plot_period_transactions(report, ax=ax),
    "holdout_reliability.png": lambda report, ax: plot_reliability(report, ax=ax),
}


def cdnow_report() -> clv.HoldoutReport:
    """The CDNOW calibration/holdout evaluation shown in the guide."""
    transactions = clv.datasets.load_cdnow_sample()
    calibration, holdout = clv.calibration_holdout_split(
        transactions, calibration_end=CALIBRATION_END, observation_end=OBSERVATION_END
    )
    bg = clv.BetaGeoModel().fit(calibration)
    gg = clv.GammaGammaModel().fit(calibration)
    return clv.evaluate_holdout(bg, calibration, holdout, gg, transactions=transactions)


def make(outdir: str | Path) -> list[Path]:
    """Write the holdout figures as PNG into ``outdir`` (created if missing); return their paths."""
    folder = Path(outdir)
    folder.mkdir(parents=True, exist_ok=True)
    report = cdnow_report()
    written = []
    for name, draw in FIGURES.items():
        figure = Figure(figsize=SIZE, layout="constrained")
        draw(report, figure.add_subplot())
        path = folder / name
        figure.savefig(path, dpi=DPI)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "figures"
    for path in make(target):
        print(path)
