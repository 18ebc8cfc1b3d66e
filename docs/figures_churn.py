"""Make the churn-risk figures and numbers of docs/guide/price_plans.md from the CDNOW sample.

Run ``python docs/figures_churn.py`` to (re)write ``docs/figures/churn_*.png`` and print the numbers
quoted in the guide: BG/NBD and Gamma-Gamma are fitted on the 39 calibration weeks (to
1997-09-30); churn risk is the probability of no purchase in the next 39 weeks, checked against the
39 holdout weeks (to 1998-06-30); the plan is the default 5 % / 2.5 % / 0 % by tiers cut at 50 % and
80 % churn risk, with stages 8 weeks apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.figure import Figure

import clvmodel as clv
from clvmodel.metrics import roc_auc
from clvmodel.plotting import plot_churn_risk_vs_value, plot_churn_tiers

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"
HORIZON_WEEKS = 39
DPI = 110
SIZE = (7.2, 4.4)

FIGURES = {
    "churn_tiers.png": plot_churn_tiers,
    "churn_risk_vs_value.png": plot_churn_risk_vs_value,
}


def cdnow_plan():
    """Scores, plan and holdout outcome on CDNOW, as in the guide."""
    transactions = clv.datasets.load_cdnow_sample()
    calibration, holdout = clv.calibration_holdout_split(
        transactions,
        calibration_end=CALIBRATION_END,
        observation_end=OBSERVATION_END,
        time_unit="W",
    )
    bg = clv.BetaGeoModel().fit(calibration)
    gg = clv.GammaGammaModel().fit(calibration)
    scores = clv.churn_risk(bg, calibration, horizon=HORIZON_WEEKS, gg=gg)
    plan = clv.price_increase_plan(scores, increases=(0.05, 0.025, 0.0), stage_wait=8)
    no_purchase = (holdout["frequency_holdout"] == 0).to_numpy()
    return scores, plan, no_purchase


def numbers(scores, plan, no_purchase) -> str:
    """The guide's figures: AUCs, calibration and the per-stage table."""
    auc = roc_auc(scores["churn_risk"], no_purchase)
    auc_alive = roc_auc(1 - scores["probability_alive"], no_purchase)
    observed_by_tier = (
        scores.assign(no_purchase=no_purchase).groupby("tier", observed=False)["no_purchase"].mean()
    )
    lines = [
        f"customers: {len(scores):,}",
        f"ROC AUC, P(no purchase in 39 weeks): {auc:.3f}",
        f"ROC AUC, 1 - P(alive): {auc_alive:.3f}",
        f"mean predicted no-purchase probability: {scores['churn_risk'].mean():.3f}",
        f"observed share without a holdout purchase: {no_purchase.mean():.3f}",
        "observed no-purchase share by tier: "
        + ", ".join(f"{tier} {share:.3f}" for tier, share in observed_by_tier.items()),
        "",
        str(plan),
    ]
    return "\n".join(lines)


def make(outdir: str | Path) -> list[Path]:
    """Write the churn figures as PNG into ``outdir`` (created if missing); return their paths."""
    folder = Path(outdir)
    folder.mkdir(parents=True, exist_ok=True)
    _, plan, _ = cdnow_plan()
    written = []
    for name, draw in FIGURES.items():
        figure = Figure(figsize=SIZE, layout="constrained")
        draw(plan, ax=figure.add_subplot())
        path = folder / name
        figure.savefig(path, dpi=DPI)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "figures"
    for path in make(target):
        print(path)
    print(numbers(*cdnow_plan()))
