"""``clvmodel score``: score every customer of a log or RFM table, in bounded memory."""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import click

import clvmodel as clv
from clvmodel._postgres_connect import display, is_postgres_uri
from clvmodel._rfm_source import RfmColumnsError
from clvmodel._rfm_sql import RFM_COLUMNS
from clvmodel._units import convert_periods
from clvmodel.cli import _output_paths, main
from clvmodel.cli._batch_common import (
    amount_option,
    check_source,
    connect_with_limit,
    csv_rows_checked,
    report_duplicates,
    source_options,
    transaction_source,
)
from clvmodel.cli._options import (
    DISCOUNT_RATE,
    DISCOUNT_RATE_HELP,
    FRACTION_HELP,
    INTERVAL,
    MARGIN,
    MARGIN_HELP,
    horizon_options,
    with_unit_option,
)
from clvmodel.cli._plan_inputs import (
    RFM_TIME_UNIT_OPTION,
    log_time_unit_refusal,
    recorded_attrs,
    rfm_observation_end_refusal,
    rfm_unit,
)
from clvmodel.cli._rfm_input_checks import refuse_log_options, rfm_columns_refusal
from clvmodel.cli._score_models import check_interval, load_bundle
from clvmodel.cli._score_notes import observation_end_note, score_notes
from clvmodel.cli._score_stream import scored_tables, stream_scores, stream_scores_to_postgres
from clvmodel.engine import RfmSource, is_transaction_log
from clvmodel.errors import InputError


def _is_log(path, options: dict):
    """Whether the input is a transaction log (has the date column) rather than RFM rows, and
    the DuckDB connection opened to tell (None if none was), which then reads the input."""
    if is_postgres_uri(path):
        from clvmodel._postgres_read import describe_source

        columns = describe_source(path, options["table"], options["query"])
    elif Path(path).suffix.lower() in (".parquet", ".pq") and Path(path).is_file():
        # The file's schema, without starting DuckDB (which the fast route may not need).
        import pyarrow.parquet as pq

        columns = pq.read_schema(path).names
    else:
        connection = connect_with_limit(options["memory_limit"])
        return is_transaction_log(
            path, options["date_col"], options["table"], connection
        ), connection
    return options["date_col"] in columns and not set(RFM_COLUMNS) <= set(columns), None


def _rfm_spool(path, options: dict):
    """An RFM table of a PostgreSQL database, streamed into a local Parquet spool."""
    from clvmodel._postgres_read import PostgresSpool

    values = RFM_COLUMNS if options["amount_col"] else RFM_COLUMNS[:3]  # no spend model: no amounts
    needed = {"customer": options["customer_col"], **{c: c for c in values}}
    return PostgresSpool(
        path, options["table"], options["query"], columns=list(needed.values()), needed=needed
    )


def _rejects_path(output: str, rejects: str | None) -> Path:
    return Path(rejects) if rejects else Path(output).with_name(f"{Path(output).stem}.rejects.csv")


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
@horizon_options("Horizon for churn risk, expected purchases and CLV", "12M", "39W")
@click.option(
    "--discount-rate", type=DISCOUNT_RATE, default=0.0, show_default=True, help=DISCOUNT_RATE_HELP
)
@click.option("--margin", type=MARGIN, default=1.0, show_default=True, help=MARGIN_HELP)
@click.option("--rejects", default=None, help="Where to list rejected rows [OUTPUT.rejects.csv].")
@click.option(
    "--interval",
    type=INTERVAL,
    default=None,
    metavar="LEVEL",
    help=f"Add intervals at this level, {FRACTION_HELP} (a 90 % interval is 0.9): lower/upper "
    "bounds of P(alive), churn risk, expected purchases and CLV from parameter uncertainty, and "
    "the prediction interval of purchases with its probability (purchases_interval_mass).",
)
@RFM_TIME_UNIT_OPTION
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=500_000,
    show_default=True,
    help="Customers scored and written at a time: it bounds the memory scoring uses (with "
    "--interval too); a smaller batch uses less memory, and takes longer.",
)
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
    log (summarised in DuckDB with the options below; a Parquet file of typed columns is read
    straight into numpy, with the same results) or an RFM table with frequency, recency, T
    and monetary_value in the model's time unit (ids in --customer-col, a CSV file's nameless
    first column or the index pandas stored in a Parquet file). An RFM table records no
    observation end, so its T is scored as it is (--observation-end is for a log) and, unlike a
    log's, is not checked against the end MODEL was fitted to. The output has, per customer:
    frequency, recency, T, monetary_value, probability_alive, churn_risk (probability of no
    purchase within the horizon), expected_purchases, expected_spend, predicted_clv and
    naive_clv. Rows that cannot be scored go to the rejects file, with a reason each. Scores and
    rejects are written in batches to temporary files that replace the previous pair together,
    only when everything succeeded. With -o postgresql://... --output-table T the scores and
    their rejects are copied into staging tables and swapped in together inside one transaction:
    readers see the previous tables or the new ones, and a failure leaves the previous ones.

    A MODEL fitted without amounts (`clvmodel fit --no-amount`), or any with --no-amount, scores
    purchases, P(alive), churn risk: monetary_value, expected_spend, predicted_clv, naive_clv empty.
    With --interval eleven columns follow: the lower and upper limits (_lower, _upper) of
    probability_alive, churn_risk, expected_purchases and predicted_clv (clv_lower, clv_upper),
    the prediction interval of the number of purchases (purchases_lower, purchases_upper) and its
    probability (purchases_interval_mass). MODEL must then come from `clvmodel fit`, which stores
    the covariance of the parameters.
    """
    started = time.perf_counter()
    duration = with_unit_option("--horizon", horizon, horizon_unit, "M")
    check_interval(interval)
    target = _Target(output, output_table, rejects_table, rejects, if_exists)
    _check_target(target, model, input_path, options["table"], options["query"])
    check_source(input_path, options)
    amount_option(options)
    bundle, spend_dropped = load_bundle(model, interval, no_amount=not options["amount_col"])
    if bundle.gg is None:  # no spend to predict: purchases and P(alive); value columns empty
        options["amount_col"] = ""
    unit = bundle.bg.time_unit_
    settings = (bundle, duration, discount_rate, margin, interval)
    # What reads INPUT closes on leaving the block (on an error too): a database lock ends here.
    with csv_rows_checked(input_path, options["memory_limit"]), ExitStack() as opened:
        is_log, connection = _is_log(input_path, options)
        rfm_input = not is_log
        if not rfm_input and rfm_time_unit is not None:
            raise InputError(log_time_unit_refusal(display(input_path)))
        if rfm_input and options["observation_end"] is not None:  # else silently not used
            raise InputError(rfm_observation_end_refusal(display(input_path)))
        reading = (input_path, unit, batch_size, options, connection, opened)
        if rfm_input:
            read = _read_rfm(*reading, rfm_time_unit)
        else:
            read = _read_log(*reading)
            if options["observation_end"] is None and (
                note := observation_end_note(model, bundle, read.end)
            ):
                click.echo(note, err=True)
        read.rejected = _input_names(read.rejected, options)
        scored, where, written = _write_scores(read, target, settings)
    customers_read = scored + read.no_valid
    click.echo(
        f"customers: {customers_read:,} read = {scored:,} scored + {read.no_valid:,} "
        f"rejected; rows: {read.counts['rows']:,} read, {read.counts['rejected_rows']:,} rejected "
        f"(reasons in {where}); wrote {written} in {time.perf_counter() - started:.1f} s"
    )
    score_notes(model, bundle, unit, read.unit_assumed, spend_dropped)


@dataclass
class _Target:
    """Where the scores go: a file (with its rejects file) or PostgreSQL tables."""

    output: str
    output_table: str | None
    rejects_table: str | None
    rejects: str | None
    if_exists: str
    rejects_path: Path | None = None

    @property
    def to_database(self) -> bool:
        return is_postgres_uri(self.output)


def _check_target(target: _Target, model, input_path, input_table, query=None) -> None:
    """Refuse, before any work, outputs that cannot be written or would destroy an input."""
    if target.to_database:
        _check_tables(target, input_path, input_table, query)
        return
    if target.output_table or target.rejects_table:
        raise InputError(
            "--output-table and --rejects-table go with -o postgresql://...; for a file "
            "output use --rejects."
        )
    target.rejects_path = _rejects_path(target.output, target.rejects)
    outputs = {"-o/--output": target.output, "--rejects": target.rejects_path}
    _output_paths.refuse_overwrite(outputs, {"MODEL": model, "INPUT": input_path})
    _output_paths.check_output_folders(outputs)
    if Path(target.output).suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise InputError(
            f"cannot tell the output format of {target.output!r}; use .csv or .parquet, or a "
            "postgresql:// URI with --output-table."
        )
    _output_paths.check_rejects_file(target.rejects_path)


def _check_tables(target: _Target, input_path, input_table, query) -> None:
    output, output_table = target.output, target.output_table
    if not output_table:
        raise InputError(
            "-o postgresql://... needs --output-table NAME: the table to write the scores to."
        )
    if target.rejects:
        raise InputError(
            "--rejects names a file; with -o postgresql://... the rejected rows go to "
            "--rejects-table (default OUTPUT_TABLE_rejects)."
        )
    target.rejects_table = rejects_table = target.rejects_table or f"{output_table}_rejects"
    if rejects_table == output_table:
        raise InputError("--output-table and --rejects-table are the same; give two names.")
    from clvmodel._postgres_overwrite import refuse_input_target
    from clvmodel._postgres_write import check_targets

    targets = {"--output-table": output_table, "--rejects-table": rejects_table}
    refuse_input_target(output, targets, input_path, input_table, query)
    check_targets(output, [output_table, rejects_table], target.if_exists)


@dataclass
class _Read:
    """INPUT ready to score: RFM batches, the rejected rows and the counts to report."""

    batches: object
    rejected: object
    counts: dict
    total: int | None
    no_valid: int
    customer_type: object = None
    unit_assumed: bool = False  # an RFM table's unit, neither given nor recorded
    end: object = None  # a log's observation end (a Timestamp)


def _input_names(rejected, options):
    """The rejected rows under INPUT's own column names (--customer-col, --date-col,
    --amount-col), so they can be found in it; ``reason`` becomes ``reject_reason`` when INPUT
    has a column called reason."""
    names = {"customer_id": options["customer_col"], "date": options["date_col"]}
    if options["amount_col"]:
        names["amount"] = options["amount_col"]
    names = {old: new for old, new in names.items() if old in rejected.columns}
    if "reason" in names.values():
        names["reason"] = "reject_reason"
    return rejected.rename(columns=names)


def _read_log(input_path, unit, batch_size, options, connection, opened) -> _Read:
    source = opened.enter_context(
        transaction_source(input_path, unit, connection=connection, **options)
    )
    counts = source.row_counts()
    if counts["rejected_rows"] == counts["rows"]:  # none usable: say why (no rows, an early end...)
        source.check_usable()
    report_duplicates(source.duplicate_rows(), options["drop_duplicates"])
    batches = source.rfm_batches(batch_size)
    rejected = source.rejects(counts["rejected_rows"])
    # Progress needs the number of customers up front: a distinct count, so only on a terminal.
    total = source.counts()["valid_customers"] if sys.stderr.isatty() else None
    no_valid = int((rejected["reason"] == "no valid transaction").sum())
    return _Read(batches, rejected, counts, total, no_valid, source.customer_type, end=source.end)


def _read_rfm(input_path, unit, batch_size, options, connection, opened, rfm_time_unit) -> _Read:
    rfm_path, rfm_table = input_path, options["table"]
    shown = display(input_path)
    customer_type = None
    if is_postgres_uri(input_path):
        refuse_log_options(shown)  # before the table is streamed
        spool = _rfm_spool(input_path, options)
        opened.callback(spool.close)
        rfm_path, rfm_table = spool.path, None
        customer_type = spool.types[options["customer_col"]]
    recorded = recorded_attrs(rfm_path) if rfm_table is None else {}  # a Parquet file's unit
    given, assumed = rfm_unit(recorded, shown, unit, rfm_time_unit)
    connection = connection or connect_with_limit(options["memory_limit"])
    # In its own unit the table bounds repeat purchases by the days in recency, row by row.
    monetary = bool(options["amount_col"])  # without a spend model monetary_value is not read
    try:
        source = RfmSource(
            rfm_path, options["customer_col"], rfm_table, connection, given, monetary
        )
    except RfmColumnsError as exc:
        raise rfm_columns_refusal(exc, shown, options["date_col"]) from None
    refuse_log_options(shown)  # an RFM table indeed: the options of a log would be ignored
    counts = source.check_usable(f"INPUT {shown}")  # none to score: the reasons
    scale = convert_periods(1.0, given, unit)  # recency and T in the model's unit
    batches = source.batches(batch_size, time_unit=unit, scale=scale)
    total, no_valid = counts["rows"] - counts["rejected_rows"], counts["rejected_rows"]
    return _Read(batches, source.rejects(), counts, total, no_valid, customer_type, assumed)


def _write_scores(read: _Read, target: _Target, settings) -> tuple[int, str, str]:
    """Score and write; the number scored, where the rejects went and what was written."""
    bundle, duration, discount_rate, margin, interval = settings
    naive = bundle.naive_clv(clv.value.horizon_years(duration.value, duration.unit), margin=margin)
    # The CLV's period is the horizon's own unit (12M: discounted month by month), as before.
    value = (bundle, duration, discount_rate, margin, naive)
    output = target.output
    if target.to_database:
        tables = scored_tables(read.batches, read.total, *value, interval)
        scored = stream_scores_to_postgres(
            tables, output, target.output_table, target.rejects_table, read.rejected,
            read.customer_type, target.if_exists,
        )  # fmt: skip
        written = f"table {target.output_table} in {display(output)}"
        return scored, f"table {target.rejects_table}", written
    scored = stream_scores(
        read.batches, read.total, output, *value, target.rejects_path, read.rejected, interval
    )
    return scored, str(target.rejects_path), str(output)
