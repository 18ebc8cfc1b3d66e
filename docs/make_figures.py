"""Make every figure of the docs from the CDNOW sample, with clvmodel's own plotting functions.

Run ``python docs/make_figures.py`` to (re)write ``docs/figures/*.png`` (or pass another folder).
The figures are the ones the walkthrough notebook (``notebooks/clv_walkthrough.ipynb``) draws:

- the holdout figures (``docs/figures_holdout.py``) and the churn-tier figures
  (``docs/figures_churn.py``);
- heat maps of expected purchases in the next 39 weeks and of P(alive) across frequency and
  recency (``heatmap_*.png``), from BG/NBD fitted on the 39 calibration weeks to 1997-09-30;
- predicted 12-month CLV per customer (10 % annual discount) beside the naive formula
  (``clv_vs_naive.png``, ``clv_concentration.png``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.figure import Figure

import clvmodel as clv
from clvmodel.plotting import plot_clv_vs_naive, plot_frequency_recency

sys.path.insert(0, str(Path(__file__).resolve().parent))

import figures_churn  # noqa: E402  (the sibling scripts, importable once docs/ is on the path)
import figures_holdout  # noqa: E402

CALIBRATION_END = "1997-09-30"
HORIZON_WEEKS = 39
CLV_MONTHS = 12
DISCOUNT_RATE = 0.10
MAX_FREQUENCY = 20
DPI = 110
HEATMAP_SIZE = (6.4, 4.4)
CLV_SIZE = (6.4, 4.2)


def cdnow_models():
    """RFM of the 39 calibration weeks, BG/NBD and Gamma-Gamma fitted on it, the naive formula."""
    transactions = clv.datasets.load_cdnow_sample()
    rfm = clv.rfm_summary(transactions, observation_end=CALIBRATION_END, time_unit="W")
    bg = clv.BetaGeoModel().fit(rfm)
    gg = clv.GammaGammaModel().fit(rfm)
    naive = clv.naive_clv(transactions, lifespan=1.0, observation_end=CALIBRATION_END)
    return rfm, bg, gg, naive


def _save(draw, path: Path, size) -> Path:
    figure = Figure(figsize=size, layout="constrained")
    draw(figure.add_subplot())
    figure.savefig(path, dpi=DPI)
    return path


def make(outdir: str | Path) -> list[Path]:
    """Write every figure of the docs as PNG into ``outdir`` (made if missing); return the paths."""
    folder = Path(outdir)
    folder.mkdir(parents=True, exist_ok=True)
    written = figures_holdout.make(folder) + figures_churn.make(folder)
    rfm, bg, gg, naive = cdnow_models()
    table = clv.clv_table(
        bg, gg, rfm, horizon=f"{CLV_MONTHS}M", naive=naive, discount_rate=DISCOUNT_RATE
    )
    label = f"predicted CLV, next {CLV_MONTHS} months"
    drawings = {
        "heatmap_expected_purchases.png": (
            lambda ax: plot_frequency_recency(
                bg,
                rfm,
                kind="expected_purchases",
                t=HORIZON_WEEKS,
                max_frequency=MAX_FREQUENCY,
                ax=ax,
            ),
            HEATMAP_SIZE,
        ),
        "heatmap_probability_alive.png": (
            lambda ax: plot_frequency_recency(
                bg, rfm, kind="probability_alive", max_frequency=MAX_FREQUENCY, ax=ax
            ),
            HEATMAP_SIZE,
        ),
        "clv_vs_naive.png": (
            lambda ax: plot_clv_vs_naive(table, ax=ax, value_label=label),
            CLV_SIZE,
        ),
        "clv_concentration.png": (
            lambda ax: plot_clv_vs_naive(table, ax=ax, kind="concentration", value_label=label),
            CLV_SIZE,
        ),
    }
    for name, (draw, size) in drawings.items():
        written.append(_save(draw, folder / name, size))
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "figures"
    for path in make(target):
        print(path)
