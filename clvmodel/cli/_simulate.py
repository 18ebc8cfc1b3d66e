"""``clvmodel simulate``: a synthetic transaction log from known parameters."""

from __future__ import annotations

import math

import click

from clvmodel._units import MAX_HORIZON_DAYS
from clvmodel.cli import main
from clvmodel.errors import InputError

#: The range of --r, --a and --b (shapes) and of --alpha (a scale in days).
SHAPE_RANGE = (1e-4, 1e4)
ALPHA_RANGE = (1e-3, 1e6)
#: Expected purchases of the busiest customer, and transactions of the whole log, at most: a log
#: of 50 million rows takes about 4 GB of memory while it is drawn.
MOST_PURCHASES = 1_000_000
MOST_TRANSACTIONS = 50_000_000


class ParameterRange(click.FloatRange):
    """A finite number in a closed range, for the model parameters (``nan`` and ``inf`` refused
    with the option's name and the range)."""

    def convert(self, value, param, ctx):
        """The value as a float in the range, or a usage error naming the option.

        Parameters
        ----------
        value : str or float
            What the command line gave.
        param, ctx
            The click option and context.

        Returns
        -------
        float
        """
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number; give one from {self._describe_range()}.")
        return number


def _parameter(name: str, meaning: str, default: float, bounds: tuple[float, float]):
    return click.option(
        name,
        type=ParameterRange(*bounds),
        default=default,
        show_default=True,
        help=f"{meaning}.",
    )


def check_feasible(n_customers: int, r: float, alpha: float, days: int) -> None:
    """Refuse, before any draw, parameters that give customers more purchases than can be drawn,
    or a log too large to hold in memory, naming the options.

    Parameters
    ----------
    n_customers : int
        --customers.
    r, alpha : float
        --r and --alpha: the purchase rates per day are Gamma(r, scale 1/alpha).
    days : int
        --days.
    """
    from scipy.special import gammainccinv

    # The rate that about one run in a thousand sees a customer exceed.
    busiest = gammainccinv(r, min(0.5, 1e-3 / n_customers)) / alpha * days
    if not busiest <= MOST_PURCHASES:
        raise InputError(
            f"--r {r:g} and --alpha {alpha:g} give the busiest customers about {busiest:.3g} "
            f"purchases each over --days {days} (the purchase rates per day are gamma-distributed "
            f"with mean --r/--alpha = {r / alpha:.3g}); at most {MOST_PURCHASES:,} per customer "
            "can be simulated: lower --r or raise --alpha (the defaults, --r 0.5 --alpha 60, give "
            "about 3 purchases a year)."
        )
    expected = n_customers * (1.0 + r / alpha * days)
    if expected > MOST_TRANSACTIONS:
        raise InputError(
            f"--customers {n_customers:,} with --r {r:g}, --alpha {alpha:g} and --days {days} "
            f"would give up to about {expected:,.0f} transactions, more than the "
            f"{MOST_TRANSACTIONS:,} this command draws (about 4 GB of memory); give fewer "
            "--customers, a shorter --days, or a lower --r or higher --alpha."
        )


@main.command()
@click.option("--customers", "n_customers", type=click.IntRange(min=1), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Random seed (a whole number ≥ 0), for reproducible logs.",
)
@_parameter("--r", "BG/NBD r, the shape of the purchase rates per day", 0.5, SHAPE_RANGE)
@_parameter("--alpha", "BG/NBD alpha, the scale of the purchase rates in days", 60.0, ALPHA_RANGE)
@_parameter("--a", "BG/NBD a, of the dropout probabilities", 0.8, SHAPE_RANGE)
@_parameter("--b", "BG/NBD b, of the dropout probabilities", 2.5, SHAPE_RANGE)
@click.option(
    "--days",
    type=click.IntRange(min=1, max=int(MAX_HORIZON_DAYS)),
    default=730,
    show_default=True,
    help="Length of the observation period, in days (at most 100 years).",
)
def simulate(n_customers, output, seed, r, alpha, a, b, days):
    """Write a synthetic transaction log (CSV or Parquet, by extension) drawn from known
    BG/NBD and Gamma-Gamma parameters.

    Customers join on a uniformly drawn day of the first year (of the whole period when --days
    is under 365) and buy for the rest of it; amounts follow Gamma-Gamma p = 6, q = 3.8,
    v = 15. Purchase times are drawn in continuous time and written as days, so one customer's
    purchases on one day become one purchase in the RFM summary (about 1 % of repeat purchases
    at the defaults): a fit on the log comes out slightly off the parameters (alpha about 4 %
    high at 500,000 customers). To check that a fit recovers known parameters, draw the RFM
    table itself with clvmodel.simulate_customers.
    """
    from pathlib import Path

    import clvmodel as clv
    from clvmodel.cli import _output_paths
    from clvmodel.io import format_of, write_table

    format_of(Path(output))  # an unknown extension fails before the log is drawn
    _output_paths.check_output_folders({"-o/--output": output})
    check_feasible(n_customers, r, alpha, days)
    transactions = clv.simulate_transactions(
        n_customers,
        dict(r=r, alpha=alpha, a=a, b=b),
        gg_params=dict(p=6.0, q=3.8, v=15.0),
        acquisition_days=min(365, days),
        observation_days=days,
        seed=seed,
    )
    write_table(transactions, output, index=False)
    rows = len(transactions)
    click.echo(
        f"wrote {rows:,} transaction{'s' * (rows != 1)} of {n_customers:,} "
        f"customer{'s' * (n_customers != 1)} to {output}"
    )
