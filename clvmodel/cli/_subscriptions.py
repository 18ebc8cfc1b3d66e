"""``clvmodel subscriptions fit | score | plan``: subscription tables to a retention model,
per-subscriber scores and a staged price increase.

The input is a subscription table (CSV or Parquet): a subscriber id, a start date, an end
(cancellation) date that is empty while the subscription runs, and optionally a price per billing
period and attributes. Rows that cannot be used go to a rejects file with a reason each, so every
input row is either in the output or in the rejects file, and the counts printed add up. Outputs
are written atomically (together with the rejects file) and never over an input.

INPUT is read in batches of ``--batch-size`` rows (:mod:`clvmodel._subscription_stream`): a first
pass over the id and date columns finds ids repeated anywhere in the table and the default
observation end; then each batch is screened and its rejects spooled to a temporary file. ``fit``
keeps only the distinct (periods, cancelled, covariates) rows with counts, which it fits with
weights (the same fit as on the whole table); ``score`` appends each batch's scores to the
temporary output; ``plan`` keeps the active subscribers' rows (periods, price, covariates: a few
numbers and the id each), since its tiers and stage totals need the whole base.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
import numpy as np
import pandas as pd

from clvmodel._files import write_together
from clvmodel._subscription_stream import RejectsSpool
from clvmodel.churn import default_tier_labels
from clvmodel.cli import main
from clvmodel.cli._options import (
    FRACTION_HELP,
    INCREASES,
    INCREASES_HELP,
    INTERVAL,
    periods,
    stage_options,
)
from clvmodel.cli._plan import check_plan_options, parse_names
from clvmodel.cli._subscriptions_common import (
    PERIOD_CHOICE,
    PERIOD_NAMES,
    BatchWriter,
    table_options,
    table_writer,
)
from clvmodel.cli._subscriptions_fit import fit_subscription_table
from clvmodel.cli._subscriptions_score import prepare_scoring, scoring_options
from clvmodel.errors import InputError
from clvmodel.subscription_churn import subscriber_price_plan


# --------------------------------------------------------------------------------------------------
@main.group()
def subscriptions():
    """Subscriptions: fit a retention model (sBG or beta-discrete-Weibull) on a subscription
    table, score subscribers, and stage a price increase by churn risk."""


# --------------------------------------------------------------------------------------------------
@subscriptions.command("fit")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Model file to write (.json), loadable with clvmodel.load.",
)
@click.option(
    "--billing-period",
    type=PERIOD_CHOICE,
    default="M",
    show_default=True,
    help="Billing period: M months, W weeks, Y years.",
)
@click.option(
    "--model",
    "model_name",
    type=click.Choice(["sbg", "bdw", "auto"]),
    default="sbg",
    show_default=True,
    help="sBG, beta-discrete-Weibull, or auto: the better of the two by holdout "
    "log-likelihood (with --holdout-periods) or by BIC.",
)
@click.option(
    "--holdout-periods",
    type=int,
    default=None,
    help="With --model auto: fit on the data up to this many billing periods before "
    "--observation-end and judge the models on what the subscribers did next.",
)
@click.option(
    "--covariates",
    default=None,
    help="Attribute columns (comma-separated) that shift α and β, e.g. plan,channel. A column "
    "is numeric when most of its values (of rows otherwise accepted) are numbers, any finite "
    "number; rows where it is missing or not a number are rejected. Other columns are text: "
    "0/1 indicators of each level of the rows fitted but the first (sorted).",
)
@table_options
def fit_command(input_path, output, billing_period, model_name, holdout_periods, covariates,
                **options):  # fmt: skip
    """Fit a subscription retention model on a subscription table INPUT (CSV or Parquet).

    INPUT has one row per subscriber: --customer-col, --start-col, --end-col (empty while
    active) and any --covariates. Periods are whole billing periods from each start date;
    subscribers who started at different dates fit together.
    """
    fit_subscription_table(input_path, output, billing_period, model_name, holdout_periods,
                           covariates, **options)  # fmt: skip


@subscriptions.command("score")
@click.argument("model_path", metavar="MODEL", type=click.Path(dir_okay=False))
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Per-subscriber scores, .csv or .parquet.",
)
@click.option(
    "--interval",
    type=INTERVAL,
    default=None,
    metavar="LEVEL",
    help=f"Add confidence limits at this level, {FRACTION_HELP} (a 90 % interval is 0.9), from "
    "the uncertainty of the model's parameters: probability_cancel, derl and residual_value "
    "_lower/_upper (MODEL must come from `clvmodel subscriptions fit`).",
)
@scoring_options
@table_options
def score_command(model_path, input_path, output, interval, **options):
    """Score every subscriber of INPUT with a model from `clvmodel subscriptions fit`.

    Per subscriber: periods paid for, cancelled (0/1), price, probability_cancel within
    --horizon renewals, derl (discounted expected payments still to come, the next one
    undiscounted) and residual_value = price × margin × DERL; 0 for the cancelled. With
    --interval, each of the three gets _lower/_upper limits.
    """
    started = time.perf_counter()
    from clvmodel.cli._score_models import check_interval

    check_interval(interval)
    margin = options["margin"]
    job = prepare_scoring(model_path, input_path, output, options, (".csv", ".parquet", ".pq"))
    model, table = job.model, job.table
    totals = {"scored": 0, "active": 0, "value": 0.0}

    def write(temporary: Path) -> None:
        writer = BatchWriter(temporary, output)
        try:
            for rows in job.subscriber_batches(spool, options):
                scores = _scores(model, rows, job, margin, interval)
                writer.write(scores)
                totals["scored"] += len(scores)
                totals["active"] += int((scores["cancelled"] == 0).sum())
                totals["value"] += float(scores["residual_value"].sum())
            table.check_usable(spool)
        finally:
            writer.close()

    spool = RejectsSpool(job.rejects_path, options["customer_col"])
    try:
        write_together([(output, write), (job.rejects_path, spool.move_to)])
    finally:
        spool.discard()
    scored, active = totals["scored"], totals["active"]
    click.echo(
        f"subscribers: {table.survey.rows:,} read = {scored:,} scored + {spool.count:,} rejected "
        f"(reasons in {job.rejects_path}); {active:,} active, {scored - active:,} cancelled "
        f"(value 0), observed to {table.end.date()}"
    )
    click.echo(
        f"{model.label}, billing period {model.period_}: churn risk within {job.horizon} "
        f"{PERIOD_NAMES[model.period_]}, discount {100 * job.discount:.4g} % per period; total "
        f"residual value {totals['value']:,.2f}"
    )
    click.echo(f"wrote {output} in {time.perf_counter() - started:.1f} s")


def _scores(model, rows, job, margin, interval=None) -> pd.DataFrame:
    """The output columns of `score` for one batch of subscriber rows."""
    scores = rows[["periods", "cancelled"]].copy()
    scores["price"] = rows[job.price_col].to_numpy(dtype="float64")
    if interval is None:
        table = pd.DataFrame({
            "probability_cancel": model.probability_cancel(rows, job.horizon),
            "derl": model.discounted_expected_residual_lifetime(rows, job.discount),
        })  # fmt: skip
    else:
        which = ["probability_cancel", "derl"]  # not the undiscounted lifetime (BdW: costly)
        table = model.predict(rows, job.horizon, job.discount, which=which, interval=interval)
    scores["probability_cancel"] = table["probability_cancel"].to_numpy()
    scores["derl"] = table["derl"].to_numpy()
    if not np.isfinite(table["derl" if interval is None else "derl_upper"]).all():
        raise InputError(
            "--discount-rate 0 gives an infinite residual value with this model (its expected "
            "lifetime is infinite, or can be within the uncertainty of its parameters); give a "
            "discount rate above 0, e.g. --discount-rate 0.1."
        )
    scores["residual_value"] = scores["price"] * margin * scores["derl"]
    if interval is not None:
        for name in ("probability_cancel", "derl"):
            for side in ("lower", "upper"):
                scores[f"{name}_{side}"] = table[f"{name}_{side}"].to_numpy()
        for side in ("lower", "upper"):
            scores[f"residual_value_{side}"] = scores["price"] * margin * scores[f"derl_{side}"]
    return scores


@subscriptions.command("plan")
@click.argument("model_path", metavar="MODEL", type=click.Path(dir_okay=False))
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Per-subscriber assignments (active subscribers), .csv or .parquet.",
)
@click.option(
    "--increases", type=INCREASES, default="5%,2.5%,0", show_default=True, help=INCREASES_HELP
)
@stage_options("Tier labels from the lowest risk to the highest, comma-separated.", "4W")
@scoring_options
@table_options
def plan_command(model_path, input_path, output, increases, tiers, thresholds, quantiles,
                 stage_wait, start, **options):  # fmt: skip
    """Stage a price increase for the active subscribers of INPUT by churn-risk tier.

    Churn risk = P(cancel within --horizon renewals | tenure); the value at stake per stage is the
    residual CLV (price × margin × DERL); the lowest-risk tier gets the first and largest
    increase. Prints per stage the subscribers, mean risk, residual value, extra revenue if nobody
    extra cancels and the break-even extra churn i/(m+i).
    """
    started = time.perf_counter()
    steps, cut_points, shares = increases, thresholds, quantiles
    wait = None if stage_wait is None else periods(stage_wait, "W")
    labels = parse_names(tiers) or list(default_tier_labels(len(steps)))
    check_plan_options(steps, labels, cut_points, shares)
    margin = options["margin"]
    job = prepare_scoring(model_path, input_path, output, options, (".csv", ".parquet", ".pq"))
    table = job.table
    spool = RejectsSpool(job.rejects_path, options["customer_col"])
    try:
        # The tiers need the whole base: only the active subscribers' rows (periods, price,
        # covariates) are kept across batches; the cancelled ones are counted.
        active, cancelled = [], 0
        for rows in job.subscriber_batches(spool, options):
            gone = rows["cancelled"].to_numpy() == 1
            cancelled += int(gone.sum())
            active.append(rows.loc[~gone])
        table.check_usable(spool)
        rows = pd.concat(active)
        if rows.empty:
            raise InputError(
                f"no active subscriber in {input_path}: all {cancelled:,} usable subscriber(s) "
                f"had cancelled by {table.end.date()}, so there is no price to raise; check "
                "--end-col (empty while a subscription runs) and --observation-end."
            )
        rows.attrs["period"] = job.model.period_
        del active
        result = subscriber_price_plan(
            job.model, rows, job.horizon, steps, price=job.price_col, margin=margin,
            discount_rate=job.discount, tiers=labels, thresholds=cut_points, quantiles=shares,
            stage_wait=wait, start=start,
        )  # fmt: skip
        result.settings["cancelled_left_out"] = cancelled
        assignments = result.assignments
        write_together([(output, table_writer(assignments, output)),
                        (job.rejects_path, spool.move_to)])  # fmt: skip
    finally:
        spool.discard()
    click.echo(
        f"subscribers: {table.survey.rows:,} read = {len(assignments):,} planned + "
        f"{cancelled:,} already cancelled + {spool.count:,} rejected (reasons in "
        f"{job.rejects_path}); observed to {table.end.date()}"
    )
    click.echo(str(result))
    click.echo(f"\nwrote {output} in {time.perf_counter() - started:.1f} s")
