"""``clvmodel score``: score every customer of a log or RFM table, in bounded memory."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

import clvmodel as clv
from clvmodel._postgres_connect import display, is_postgres_uri
from clvmodel.cli import _guard, main
from clvmodel.cli._batch_common import (
    amount_option,
    connect_with_limit,
    report_duplicates,
    source_options,
    transaction_source,
)
from clvmodel.cli._score_stream import scored_tables, stream_scores, stream_scores_to_postgres
from clvmodel.engine import RfmSource, is_transaction_log
from clvmodel.errors import InputError


def _is_log(path, options: dict) -> bool:
    """Whether the input is a transaction log (has the date column) rather than RFM rows."""
    if not is_postgres_uri(path):
        return is_transaction_log(path, options["date_col"], options["table"])
    from clvmodel._postgres_read import describe_source
    from clvmodel._rfm_sql import RFM_COLUMNS

    columns = describe_source(path, options["table"], options["query"])
    return options["date_col"] in columns and not set(RFM_COLUMNS) <= set(columns)


def _rfm_spool(path, options: dict):
    """An RFM table of a PostgreSQL database, streamed into a local Parquet spool."""
    from clvmodel._postgres_read import PostgresSpool
    from clvmodel._rfm_sql import RFM_COLUMNS

    needed = {"customer": options["customer_col"], **{c: c for c in RFM_COLUMNS}}
    return PostgresSpool(
        path, options["table"], options["query"], columns=list(needed.values()), needed=needed
    )


def _rejects_path(output: str, rejects: str | None) -> Path:
    if rejects:
        return Path(rejects)
    target = Path(output)
    return target.with_name(target.stem + ".rejects.csv")


@main.command()
@click.argument("model", type=click.Path())
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    help="A .csv or .parquet file, or a postgresql:// database (with --output-table).",
)
@click.option(
    "--output-table",
    default=None,
    help="With -o postgresql://...: the scores table (schema.table allowed).",
)
@click.option(
    "--rejects-table",
    default=None,
    help="With -o postgresql://...: the table of rejected rows [OUTPUT_TABLE_rejects].",
)
@click.option(
    "--if-exists",
    type=click.Choice(["fail", "replace", "append"]),
    default="fail",
    show_default=True,
    help="With -o postgresql://...: when the tables exist, stop before any work, swap in the "
    "new tables in one transaction, or add the rows.",
)
@click.option(
    "--horizon",
    type=float,
    default=12.0,
    show_default=True,
    help="Horizon for churn risk, expected purchases and CLV, in --horizon-unit (above 0, at "
    "most 100 years).",
)
@click.option(
    "--horizon-unit", type=click.Choice(["D", "W", "M", "Y"]), default="M", show_default=True
)
@click.option(
    "--discount-rate",
    type=float,
    default=0.0,
    show_default=True,
    help="Annual discount rate for CLV as a FRACTION between 0 and 1 (0.1 = 10 % a year).",
)
@click.option(
    "--margin",
    type=float,
    default=1.0,
    show_default=True,
    help="Profit margin as a FRACTION between 0 and 1 (1 = CLV is revenue).",
)
@click.option("--rejects", default=None, help="Where to list rejected rows [OUTPUT.rejects.csv].")
@click.option(
    "--interval",
    type=float,
    default=None,
    metavar="LEVEL",
    help="Add intervals at this level, a FRACTION between 0 and 1 (e.g. 0.9): lower/upper bounds "
    "of P(alive), churn risk, expected purchases and CLV from parameter uncertainty, and the "
    "prediction interval of purchases with its probability (purchases_interval_mass).",
)
@click.option(
    "--rfm-time-unit",
    type=click.Choice(["D", "W"]),
    default=None,
    help="For an RFM table INPUT: the time unit of its recency and T, checked against the "
    "model's (an RFM file does not record it; without this option it is taken to be the "
    "model's).",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=500_000, show_default=True)
@source_options
def score(
    model,
    input_path,
    output,
    output_table,
    rejects_table,
    if_exists,
    horizon,
    horizon_unit,
    discount_rate,
    margin,
    rejects,
    interval,
    rfm_time_unit,
    batch_size,
    **options,
):
    """Score every customer of INPUT with the models in MODEL; write CSV, Parquet or tables.

    INPUT is a file or a postgresql:// database with --table or --query, holding a transaction
    log (summarised in DuckDB with the options below) or an RFM table with frequency, recency, T
    and monetary_value in the model's time unit. The output has, per customer: frequency,
    recency, T, monetary_value, probability_alive, churn_risk (probability of no purchase within
    the horizon), expected_purchases, expected_spend, predicted_clv and naive_clv. Rows that
    cannot be scored go to the rejects file, with a reason each. Scores and rejects are written
    in batches to temporary files that replace the previous pair together, only when everything
    succeeded. With -o postgresql://... --output-table T the scores and their rejects are copied
    into staging tables and swapped in together inside one transaction: readers see the previous
    tables or the new ones, and a failure leaves the previous ones.

    A MODEL fitted without amounts (`clvmodel fit --no-amount`) scores purchases, P(alive) and
    churn risk; monetary_value, expected_spend, predicted_clv and naive_clv are then empty.
    With --interval the columns of clvmodel.scoring.INTERVAL_COLUMNS follow (the model file must
    come from a fit, which stores the parameters' covariance).
    """
    started = time.perf_counter()
    _guard.check_horizon("--horizon", horizon, horizon_unit)
    _guard.check_fraction("--discount-rate", discount_rate)
    _guard.check_fraction("--margin", margin)
    if interval is not None and not 0.0 < interval < 1.0:
        raise InputError(
            f"--interval {interval:g} is not a level strictly between 0 and 1; a 90 % interval "
            "is --interval 0.9."
        )
    to_database = is_postgres_uri(output)
    if to_database:
        if not output_table:
            raise InputError(
                "-o postgresql://... needs --output-table NAME: the table to write the scores to."
            )
        if rejects:
            raise InputError(
                "--rejects names a file; with -o postgresql://... the rejected rows go to "
                "--rejects-table (default OUTPUT_TABLE_rejects)."
            )
        rejects_table = rejects_table or f"{output_table}_rejects"
        if rejects_table == output_table:
            raise InputError("--output-table and --rejects-table are the same; give two names.")
        rejects_path = None
        if (
            is_postgres_uri(input_path)
            and display(input_path) == display(output)
            and options["table"] in (output_table, rejects_table)
        ):
            raise InputError(
                f"--output-table {output_table} (or its rejects table) is the input table "
                f"{options['table']}; writing it would destroy the input. Give another name."
            )
        from clvmodel._postgres_write import check_targets

        check_targets(output, [output_table, rejects_table], if_exists)
    else:
        if output_table or rejects_table:
            raise InputError(
                "--output-table and --rejects-table go with -o postgresql://...; for a file "
                "output use --rejects."
            )
        rejects_path = _rejects_path(output, rejects)
        outputs = {"-o/--output": output, "--rejects": rejects_path}
        _guard.refuse_overwrite(outputs, {"MODEL": model, "INPUT": input_path})
        _guard.check_output_folders(outputs)
        if Path(output).suffix.lower() not in (".csv", ".parquet", ".pq"):
            raise InputError(
                f"cannot tell the output format of {output!r}; use .csv or .parquet, or a "
                "postgresql:// URI with --output-table."
            )
    amount_option(options)
    bundle = clv.load_models(model)
    if bundle.gg is None:
        # Spend cannot be predicted: score purchases and P(alive); value columns stay empty.
        options["amount_col"] = ""
    unit = bundle.bg.time_unit_ or "W"
    rfm_input = not _is_log(input_path, options)
    customer_type = spool = None
    if not rfm_input:
        source = transaction_source(input_path, unit, **options)
        customer_type = source.customer_type
        counts = source.row_counts()
        report_duplicates(source.duplicate_rows(), options["drop_duplicates"])
        batches = source.rfm_batches(batch_size)
        rejected = source.rejects(counts["rejected_rows"])
        # Progress needs the number of customers up front: a distinct count, so only on a terminal.
        total = source.counts()["valid_customers"] if sys.stderr.isatty() else None
        no_valid = int((rejected["reason"] == "no valid transaction").sum())
    else:
        if rfm_time_unit is not None and rfm_time_unit != unit:
            words = {"D": "days", "W": "weeks"}
            raise InputError(
                f"--rfm-time-unit {rfm_time_unit}: the RFM table is in {words[rfm_time_unit]} but "
                f"the model {model} was fitted in {words[unit]}; rebuild the table in "
                f"{words[unit]}, or score the transaction log instead."
            )
        rfm_path, rfm_table = input_path, options["table"]
        if is_postgres_uri(input_path):
            spool = _rfm_spool(input_path, options)
            rfm_path, rfm_table = spool.path, None
            customer_type = spool.types[options["customer_col"]]
        source = RfmSource(
            rfm_path,
            customer_col=options["customer_col"],
            table=rfm_table,
            connection=connect_with_limit(options["memory_limit"]),
        )
        counts = source.counts()
        batches = source.batches(batch_size, time_unit=unit)
        rejected = source.rejects()
        total = counts["rows"] - counts["rejected_rows"]
        no_valid = counts["rejected_rows"]
    years = clv.value.horizon_years(horizon, horizon_unit)
    naive = bundle.naive_clv(years, margin=margin)
    if to_database:
        tables = scored_tables(
            batches, total, bundle, horizon, horizon_unit, discount_rate, margin, naive, interval
        )
        scored = stream_scores_to_postgres(
            tables, output, output_table, rejects_table, rejected, customer_type, if_exists
        )
        where, written = f"table {rejects_table}", f"table {output_table} in {display(output)}"
    else:
        scored = stream_scores(
            batches,
            total,
            output,
            bundle,
            horizon,
            horizon_unit,
            discount_rate,
            margin,
            naive,
            rejects_path,
            rejected,
            interval,
        )
        where, written = str(rejects_path), str(output)
    if spool is not None:
        spool.close()
    rejected_customers = no_valid
    customers_read = scored + rejected_customers
    click.echo(
        f"customers: {customers_read:,} read = {scored:,} scored + {rejected_customers:,} "
        f"rejected; rows: {counts['rows']:,} read, {counts['rejected_rows']:,} rejected "
        f"(reasons in {where}); wrote {written} in {time.perf_counter() - started:.1f} s"
    )
    if rfm_input and rfm_time_unit is None:
        click.echo(
            f"note: the RFM table's recency and T were taken to be in the model's time unit "
            f"({ {'D': 'days', 'W': 'weeks'}[unit] }); pass --rfm-time-unit to have that checked."
        )
    if bundle.gg is None:
        click.echo(
            f"note: {model} has no spend model (fitted without amounts), so monetary_value, "
            "expected_spend, predicted_clv and naive_clv are empty."
        )
