"""``clvmodel report``: one self-contained HTML report for marketers from a transaction log."""

from __future__ import annotations

import math
import re
import warnings
from contextlib import contextmanager

import click
import pandas as pd

import clvmodel as clv
from clvmodel._files import write_text_atomically
from clvmodel.churn import default_tier_labels
from clvmodel.cli import _guard, _output_paths, main
from clvmodel.cli._evaluate import check_columns, holdout_words
from clvmodel.cli._options import (
    DISCOUNT_RATE,
    DISCOUNT_RATE_HELP,
    DURATION_HELP,
    FRACTION_HELP,
    INCREASES,
    INCREASES_HELP,
    MARGIN,
    DurationParam,
)
from clvmodel.cli._plan import check_plan_options
from clvmodel.cli._report_segments import cac_table, segments_as_text
from clvmodel.io import read_table
from clvmodel.report._analysis import SinglePriceError


def _amount(flag: str, value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise clv.InputError(f"{flag} {value:g} is not an amount of money ≥ 0.")
    return value


@main.command()
@click.argument("transactions", type=click.Path(dir_okay=False))
@click.option(
    "--calibration-end",
    required=True,
    metavar="DATE",
    help="Last day of the calibration period (YYYY-MM-DD); the holdout check predicts the rest.",
)
@click.option(
    "--observation-end",
    default=None,
    metavar="DATE",
    help="Last day of the log to use; default: the last transaction date.",
)
@click.option("--customer-col", default="customer_id", show_default=True)
@click.option("--date-col", default="date", show_default=True)
@click.option("--amount-col", default="amount", show_default=True)
@_guard.date_options
@_guard.time_unit_option
@click.option(
    "--segment-column",
    default=None,
    metavar="COLUMN",
    help="Column of TRANSACTIONS fixed per customer (acquisition channel, cohort): the report "
    "shows the naive formula, CLV:CAC and payback per segment.",
)
@click.option(
    "--margin",
    type=MARGIN,
    default=1.0,
    show_default=True,
    help=f"Share of revenue that is gross profit: {FRACTION_HELP}, above 0 and at most 1.",
)
@click.option(
    "--cost-per-order",
    type=float,
    default=0.0,
    show_default=True,
    metavar="AMOUNT",
    help="Cost to serve one order (picking, shipping, payment fees).",
)
@click.option(
    "--cost-per-period",
    type=float,
    default=0.0,
    show_default=True,
    metavar="AMOUNT",
    help="Cost of each month a customer stays (support, accounts, mailings).",
)
@click.option(
    "--cac",
    type=float,
    default=None,
    metavar="AMOUNT",
    help="Acquisition cost per customer, for CLV:CAC and payback.",
)
@click.option(
    "--cac-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="CSV or Parquet with a CAC per segment: two columns, the segment and 'cac' (needs "
    "--segment-column).",
)
@click.option(
    "--horizon",
    type=DurationParam("M", "--horizon"),
    default="24M",
    show_default=True,
    help=f"How far the value, CLV:CAC and payback count: {DURATION_HELP} (a bare number is read "
    "in months, deprecated).",
)
@click.option(
    "--discount-rate", type=DISCOUNT_RATE, default=0.1, show_default=True, help=DISCOUNT_RATE_HELP
)
@click.option(
    "--churn-horizon",
    type=DurationParam("W", "--churn-horizon"),
    default="39W",
    show_default=True,
    help=f"Churn risk = probability of no purchase within this horizon: {DURATION_HELP} (a bare "
    "number is read in weeks, deprecated).",
)
@click.option(
    "--increases", type=INCREASES, default="5%,2.5%,0", show_default=True, help=INCREASES_HELP
)
@click.option("--title", default=None, help="Title of the report.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="The HTML file to write (replaced atomically).",
)
def report(
    transactions,
    calibration_end,
    observation_end,
    customer_col,
    date_col,
    amount_col,
    date_format,
    drop_duplicates,
    time_unit,
    segment_column,
    margin,
    cost_per_order,
    cost_per_period,
    cac,
    cac_file,
    horizon,
    discount_rate,
    churn_horizon,
    increases,
    title,
    output,
):
    """Write one self-contained HTML report of TRANSACTIONS for marketers: the naive formula
    against the model per segment, the value and its concentration, customers below, around and
    above average, net CLV, CLV:CAC and payback, the holdout check, churn tiers and a staged
    price increase.

    TRANSACTIONS is a CSV or Parquet file with one row per purchase. The report embeds its
    figures and styles: open it from disk or send it as an e-mail attachment.
    """
    from clvmodel.cli._no_database import refuse_database_inputs, refuse_database_outputs

    refuse_database_inputs({"TRANSACTIONS": transactions, "--cac-file": cac_file}, "report")
    refuse_database_outputs({"-o/--output": output}, "report")
    _output_paths.refuse_overwrite(
        {"-o/--output": output}, {"TRANSACTIONS": transactions, "--cac-file": cac_file}
    )
    _output_paths.check_output_folders({"-o/--output": output})
    _amount("--cost-per-order", cost_per_order)
    _amount("--cost-per-period", cost_per_period)
    _amount("--cac", cac)
    if len(increases) != 3:
        raise clv.InputError(
            f"--increases gives {len(increases)} increase(s), but the report has three churn "
            "tiers (low, medium, high): give three, e.g. --increases 5%,2.5%,0."
        )
    check_plan_options(increases, list(default_tier_labels(3)), None, None)
    if cac is not None and cac_file is not None:
        raise clv.InputError("give either --cac (one amount) or --cac-file (per segment).")
    acquisition_cost = cac if cac_file is None else cac_table(cac_file, segment_column)
    table = read_table(transactions)
    _check_report_columns(table, transactions, (customer_col, date_col, amount_col))
    if segment_column is not None:
        names = (transactions, segment_column, customer_col)
        dates = (date_col, date_format, observation_end)
        segments_as_text(table, names, dates, (cac_file, acquisition_cost))
    options = {"title": title} if title else {}
    arguments = dict(
        observation_end=observation_end,
        segments=segment_column,
        acquisition_cost=acquisition_cost,
        margin=margin,
        cost_per_order=cost_per_order,
        cost_per_period=cost_per_period,
        horizon=horizon,  # as given: its unit is the period the value is discounted over
        discount_rate=discount_rate,
        churn_horizon=churn_horizon,
        increases=increases,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        time_unit=time_unit,
        date_format=date_format,
        drop_duplicates=drop_duplicates,
        **options,
    )
    _write_report(output, table, calibration_end, arguments)


def _write_report(output: str, table: pd.DataFrame, calibration_end, arguments: dict) -> None:
    """Build the report, its warnings and notes in the command line's words, and write it."""
    with _report_warnings() as notes:
        try:
            html = clv.build_report(table, calibration_end, None, **arguments)
        except SinglePriceError as exc:
            raise clv.InputError(_single_price_message(exc)) from None
    write_text_atomically(output, _notes_in_cli_words(html, notes))
    click.echo(f"wrote {output}")


# ----------------------------------------------------------------------------------------------
# The checks and messages of the report in the command line's words

#: Arguments of build_report that only the report command spells as options.
_REPORT_FLAGS = {
    "churn_horizon": "--churn-horizon",
    "cost_per_order": "--cost-per-order",
    "cost_per_period": "--cost-per-period",
}
_REPORT_NAME = re.compile(r"(?<![\w'\"-])(" + "|".join(_REPORT_FLAGS) + r")(?![\w'\"])")


def _report_words(message: str) -> str:
    """A message of build_report in the command line's words."""
    return holdout_words(_REPORT_NAME.sub(lambda match: _REPORT_FLAGS[match.group(1)], message))


@contextmanager
def _report_warnings():
    """Show the warnings raised while the block runs, once each, as ``warning: ...`` lines in the
    command line's words (also when it fails); yields the list of their texts as raised."""
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", clv.ClvWarning)
        try:
            yield notes
        finally:
            notes.extend(dict.fromkeys(str(warning.message) for warning in caught))
            for text in dict.fromkeys(map(_report_words, notes)):
                click.echo(f"warning: {text}", err=True)


def _notes_in_cli_words(html: str, notes: list[str]) -> str:
    """The report with the notes it lists (the warnings raised) in the command line's words."""
    from markupsafe import escape

    for note in notes:
        html = html.replace(str(escape(note)), str(escape(_report_words(note))))
    return html


def _check_report_columns(table: pd.DataFrame, source: str, columns) -> None:
    """The customer, date and amount columns must exist; the report needs amounts."""
    customer_col, date_col, amount_col = columns
    check_columns(table, source, (customer_col, date_col, None))
    if amount_col not in table.columns:
        raise clv.InputError(
            f"TRANSACTIONS {source} has no amount column {amount_col!r} (--amount-col); its "
            f"columns are {list(map(str, table.columns))}. The report values customers by what "
            "they spend, so it needs one: name it with --amount-col. For purchases alone, "
            "`clvmodel evaluate` checks the purchase model on a holdout and `clvmodel fit "
            "--no-amount` fits it."
        )


def _single_price_message(exc: SinglePriceError) -> str:
    return (
        f"every one of the {exc.buyers:,} repeat buyers spent the same per purchase "
        f"({exc.price:.6g} in --amount-col {exc.amount_col!r}, a single price?): the report "
        "values customers with the spend model, which needs amounts that vary, so `clvmodel "
        "report` cannot value them. For purchases alone, `clvmodel evaluate` checks the purchase "
        "model on a holdout, and `clvmodel fit --no-amount` then `clvmodel score` predicts each "
        "customer's purchases, to value at the price."
    )
