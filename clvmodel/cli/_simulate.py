"""``clvmodel simulate``: a synthetic transaction log from known parameters."""

from __future__ import annotations

import click

import clvmodel as clv
from clvmodel._units import MAX_HORIZON_DAYS
from clvmodel.cli import main
from clvmodel.io import write_table


@main.command()
@click.option("--customers", "n_customers", type=click.IntRange(min=1), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Random seed (a whole number ≥ 0), for reproducible logs.",
)
@click.option("--r", default=0.5, show_default=True, help="BG/NBD r (per day).")
@click.option("--alpha", default=60.0, show_default=True, help="BG/NBD alpha (days).")
@click.option("--a", default=0.8, show_default=True, help="BG/NBD a.")
@click.option("--b", default=2.5, show_default=True, help="BG/NBD b.")
@click.option(
    "--days",
    type=click.IntRange(min=1, max=int(MAX_HORIZON_DAYS)),
    default=730,
    show_default=True,
    help="Length of the observation period, in days (at most 100 years).",
)
def simulate(n_customers, output, seed, r, alpha, a, b, days):
    """Write a synthetic transaction log (CSV or Parquet, by extension) drawn from known
    BG/NBD and Gamma-Gamma parameters."""
    transactions = clv.simulate_transactions(
        n_customers,
        dict(r=r, alpha=alpha, a=a, b=b),
        gg_params=dict(p=6.0, q=3.8, v=15.0),
        acquisition_days=min(365, days),
        observation_days=days,
        seed=seed,
    )
    write_table(transactions, output, index=False)
    click.echo(f"wrote {len(transactions):,} transactions of {n_customers:,} customers to {output}")
