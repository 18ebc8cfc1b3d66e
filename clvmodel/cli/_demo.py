"""``clvmodel demo``: both models on the bundled CDNOW sample, beside the naive formula."""

from __future__ import annotations

import warnings

import click
import pandas as pd

import clvmodel as clv
from clvmodel._reading import DUPLICATES_WARNING
from clvmodel.cli import main
from clvmodel.cli._options import (
    DISCOUNT_RATE,
    DISCOUNT_RATE_HELP,
    DURATION_HELP,
    MARGIN,
    MARGIN_HELP,
    DurationParam,
    periods,
)

# Published estimates on the CDNOW sample, 39-week calibration (Fader, Hardie and Lee 2005).
_PUBLISHED = {
    "r": 0.2426,
    "alpha": 4.4137,
    "a": 0.7930,
    "b": 2.4262,
    "p": 6.25,
    "q": 3.74,
    "v": 15.44,
}


def _parameter_table(bg, gg) -> pd.DataFrame:
    table = pd.concat([bg.summary.assign(model="BG/NBD"), gg.summary.assign(model="Gamma-Gamma")])
    table["published"] = [_PUBLISHED[name] for name in table.index]
    return table[["model", "estimate", "std_error", "published"]]


@main.command()
@click.option(
    "--horizon",
    type=DurationParam("M", "--horizon"),
    default="12M",
    show_default=True,
    help=f"CLV horizon: {DURATION_HELP}, above 0 and at most 100 years (a bare number is read "
    "in months, deprecated).",
)
@click.option(
    "--discount-rate", type=DISCOUNT_RATE, default=0.10, show_default=True, help=DISCOUNT_RATE_HELP
)
@click.option("--margin", type=MARGIN, default=1.0, show_default=True, help=MARGIN_HELP)
@click.option(
    "--top", type=click.IntRange(min=1), default=10, show_default=True, help="Customers to list."
)
def demo(horizon, discount_rate, margin, top):
    """Fit both models on the bundled CDNOW sample; compare CLV with the naive formula.

    Calibration is the 39 weeks to 1997-09-30, as in the papers; customer value is predicted for the
    next HORIZON (12 months by default) and set beside the naive formula (average order value ×
    purchases per year × lifespan) computed from the same transactions.
    """
    duration, months = horizon, periods(horizon, "M")
    transactions = clv.datasets.load_cdnow_sample()
    calibration_end = "1997-09-30"
    with warnings.catch_warnings():
        # The sample's repeated rows are the papers' data: kept, and said once in demo's words.
        warnings.filterwarnings("ignore", message=DUPLICATES_WARNING, category=clv.ClvWarning)
        rfm = clv.rfm_summary(transactions, observation_end=calibration_end, time_unit="W")
        naive = clv.naive_clv(
            transactions, lifespan=months / 12.0, margin=margin, observation_end=calibration_end
        )
    repeated = f"{rfm.attrs['duplicate_rows']:,}"
    click.echo(
        f"CDNOW sample: {len(transactions):,} transactions, {len(rfm):,} customers; calibration "
        f"to {calibration_end} ({rfm['T'].max():.1f} weeks), "
        f"{int(rfm['frequency'].sum()):,} repeat purchases ({repeated} rows repeat another row "
        "exactly; kept as separate purchases, as in the published fits).\n"
    )
    bg = clv.BetaGeoModel().fit(rfm)
    gg = clv.GammaGammaModel().fit(rfm)
    click.echo("Fitted parameters (published values from Fader, Hardie & Lee 2005):")
    click.echo(_parameter_table(bg, gg).round(4).to_string())
    click.echo(
        f"log-likelihood: BG/NBD {bg.log_likelihood_:.2f} (published -9582.43), Gamma-Gamma "
        f"{gg.log_likelihood_:.2f} on {gg.n_customers_} repeat buyers (published -4055.92)\n"
    )
    table = clv.clv_table(
        bg, gg, rfm, horizon=duration, naive=naive, discount_rate=discount_rate, margin=margin
    )
    row = naive.iloc[0]
    click.echo(
        f"Naive formula: ${row['average_order_value']:.2f} per order × "
        f"{row['purchases_per_year']:.2f} orders a year × {clv.Duration(months / 12, 'Y').words}"
        + (f" × margin {margin:g}" if margin != 1 else "")
        + f" = ${row['naive_clv']:.2f} for every customer.\n"
    )
    shown = table.sort_values("predicted_clv", ascending=False).head(top)
    columns = {
        "frequency": "repeat buys",
        "recency": "recency (wk)",
        "T": "T (wk)",
        "probability_alive": "P(alive)",
        "expected_purchases": "E[buys]",  # over the horizon of the title line
        "expected_spend": "E[spend]",
        "naive_clv": "naive CLV",
        "predicted_clv": "predicted CLV",
    }
    click.echo(
        f"Top {top} customers by predicted CLV over {duration.words} "
        f"(discount {discount_rate * 100:g}% a year):"  # 0.125: 12.5%, not 12%
    )
    click.echo(shown[list(columns)].rename(columns=columns).round(2).to_string())
    quantiles = table["predicted_clv"].quantile([0.5, 0.9, 0.99])
    click.echo(
        f"\nPredicted CLV: total ${table['predicted_clv'].sum():,.0f} (naive formula: "
        f"${table['naive_clv'].sum():,.0f}); median ${quantiles[0.5]:.2f}, 90th percentile "
        f"${quantiles[0.9]:.2f}, 99th percentile ${quantiles[0.99]:.2f}."
    )
