"""``clvmodel fit`` and ``clvmodel score``: batch work on files of any size, in bounded memory."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import click

import clvmodel as clv
from clvmodel._files import write_together
from clvmodel._postgres_connect import display, is_postgres_uri
from clvmodel.cli import _guard, main
from clvmodel.engine import RfmSource, TransactionSource, connect, is_transaction_log
from clvmodel.errors import InputError
from clvmodel.models import PURCHASE_MODELS
from clvmodel.models.bundle import fit_bundle
from clvmodel.scoring import score_customers


def _connect(memory_limit: str):
    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", memory_limit, re.I):
        raise InputError(f"--memory-limit {memory_limit!r} is not a size such as 512MB or 2GB.")
    return connect(memory_limit=memory_limit.strip())


def _source_options(function):
    """Options that say how to read a transaction log; the command receives them as keyword
    arguments and hands them on to :func:`_transactions` as they are."""
    options = [
        click.option("--customer-col", default="customer_id", show_default=True),
        click.option("--date-col", default="date", show_default=True),
        click.option(
            "--amount-col",
            default="amount",
            show_default=True,
            help="Amount column (see --no-amount for a log without amounts).",
        ),
        click.option(
            "--no-amount",
            is_flag=True,
            default=False,
            help="The log has no amounts: fit and score purchases and P(alive) only (no spend "
            "model, so no CLV).",
        ),
        click.option(
            "--date-format",
            default=None,
            help=_guard.DATE_FORMAT_HELP,
        ),
        click.option("--drop-duplicates", is_flag=True, help=_guard.DROP_DUPLICATES_HELP),
        click.option(
            "--observation-end",
            default=None,
            help="End of observation, YYYY-MM-DD (default: the last purchase date).",
        ),
        click.option(
            "--table",
            default=None,
            help="Table to read when the input is a .duckdb file or a postgresql:// URI "
            "(schema.table allowed).",
        ),
        click.option(
            "--query",
            default=None,
            help="With a postgresql:// input: a SELECT query to read instead of --table.",
        ),
        click.option(
            "--pushdown/--no-pushdown",
            default=None,
            help="With a postgresql:// input: run the row checks and the RFM summary inside "
            "PostgreSQL so only aggregates cross the network (the default when the column "
            "types allow), or stream the rows and summarise them here in DuckDB (often faster "
            "with a nearby or busy server).",
        ),
        click.option(
            "--memory-limit",
            default="512MB",
            show_default=True,
            help="Memory DuckDB may use before it spills to disk (e.g. 256MB, 2GB).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _transactions(path, time_unit: str, *, amount_col, memory_limit, **source):
    """The log at ``path`` read with the options of :func:`_source_options`."""
    try:
        return TransactionSource(
            path,
            amount_col=amount_col or None,
            time_unit=time_unit,
            connection=_connect(memory_limit),
            **source,
        )
    except InputError as exc:
        if amount_col and "amount column" in str(exc):
            raise InputError(
                f"{exc} For a log without amounts pass --no-amount (purchases and P(alive) only)."
            ) from None
        raise


def _amount_option(options: dict) -> None:
    """Fold --no-amount into --amount-col (an empty name means no amounts, as before)."""
    if options.pop("no_amount", False):
        options["amount_col"] = ""


@main.command()
@click.argument("transactions", type=click.Path())
@_source_options
@click.option("--time-unit", type=click.Choice(["D", "W"]), default="W", show_default=True)
@click.option(
    "--attributes",
    type=click.Path(),
    default=None,
    help="Signup attributes (CSV/Parquet, one row per customer): with --covariates, fit a Day "
    "One model instead (see `clvmodel dayone-fit --help` for all its options).",
)
@click.option("--covariates", default=None, help="Comma-separated covariate columns.")
@click.option("--categorical", default=None, help="Covariates to treat as categorical.")
@click.option("--log", "log_cols", default=None, help="Numeric covariates entered as log(1 + x).")
@click.option("--first-purchase-col", default=None, help="Covariate holding the first purchase.")
@click.option(
    "--model",
    "model_name",
    type=click.Choice([*PURCHASE_MODELS, "auto"]),
    default="bgnbd",
    show_default=True,
    help="Purchase model: BG/NBD, MBG/NBD, Pareto/NBD, or auto: the best by holdout error with "
    "--calibration-end, by BIC otherwise (the choice is printed and stored in the model file).",
)
@click.option(
    "--calibration-end",
    default=None,
    metavar="DATE",
    help="With --model auto: fit each model on the purchases up to DATE, keep the one that "
    "predicts the rest best (reads the log into memory), then refit it on all the data.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@click.pass_context
def fit(
    ctx,
    transactions,
    time_unit,
    attributes,
    covariates,
    categorical,
    log_cols,
    first_purchase_col,
    model_name,
    calibration_end,
    output,
    **options,
):
    """Fit BG/NBD and Gamma-Gamma on a transaction log and write them to one JSON file.

    TRANSACTIONS is a CSV or Parquet file (or folder of Parquet files), a DuckDB database with
    --table, or a PostgreSQL database (postgresql://user@host:5432/db with --table or --query;
    the password from PGPASSWORD or ~/.pgpass). The RFM summary and the distinct histories are
    computed in DuckDB, so the log never has to fit in memory. Rows that cannot be used are
    counted and left out.

    With --attributes and --covariates, fits the covariate models of a Day One model instead
    (score new signups with `clvmodel dayone MODEL SIGNUPS`).
    """
    if (attributes is None) != (covariates is None):
        raise InputError("--attributes and --covariates go together: give both or neither.")
    _guard.refuse_overwrite(
        {"-o/--output": output}, {"TRANSACTIONS": transactions, "--attributes": attributes}
    )
    _guard.check_output_folders({"-o/--output": output})
    _amount_option(options)
    if attributes is not None:
        from clvmodel.cli._dayone import dayone_fit

        return ctx.invoke(
            dayone_fit,
            transactions=transactions,
            attributes=attributes,
            covariates=covariates,
            categorical=categorical,
            log_cols=log_cols,
            first_purchase_col=first_purchase_col,
            customer_col=options["customer_col"],
            date_col=options["date_col"],
            amount_col=options["amount_col"],
            observation_end=options["observation_end"],
            time_unit=time_unit,
            date_format=options["date_format"],
            drop_duplicates=options.get("drop_duplicates", False),
            output=output,
        )
    if calibration_end is not None and model_name != "auto":
        raise InputError("--calibration-end chooses the model: use it with --model auto.")
    started = time.perf_counter()
    choice = None
    if calibration_end is not None:
        model_name, choice = _choose_by_holdout(transactions, calibration_end, time_unit, options)
    source = _transactions(transactions, time_unit, **options)
    counts = source.check_usable()
    _report_duplicates(counts.get("duplicate_rows", 0), options["drop_duplicates"])
    histories = source.distinct_histories()
    _guard.check_fittable(
        int(histories["customers"].sum()),
        int(histories.loc[histories["frequency"] > 0, "customers"].sum()),
    )
    spends = naive_inputs = None
    if options["amount_col"]:
        spends, naive_inputs = source.distinct_spends(), source.naive_inputs()
    bundle = _guard.fitted(
        fit_bundle,
        histories,
        spends,
        naive_inputs,
        model=model_name,
        metadata={
            "source": _source_label(transactions, options),
            "customer_col": options["customer_col"],
            "date_col": options["date_col"],
            "amount_col": options["amount_col"] or None,
            "date_format": options["date_format"],
            "drop_duplicates": options["drop_duplicates"],
            "time_unit": time_unit,
            "observation_end": source.end.strftime("%Y-%m-%d"),
            "rows": counts["rows"],
            "rejected_rows": counts["rejected_rows"],
            "customers": counts["valid_customers"],
        },
    )
    bg, gg = bundle.bg, bundle.gg
    if choice is not None:
        bundle.metadata["model_choice"] = choice
    bundle.save(output)
    click.echo(
        f"read {counts['rows']:,} rows of {counts['customers']:,} customers; "
        f"{counts['rejected_rows']:,} rows left out (run `clvmodel score` to get them listed); "
        f"observation end {source.end:%Y-%m-%d}, time unit {time_unit}"
    )
    if "model_choice" in bundle.metadata:
        _echo_choice(bundle.metadata["model_choice"])
    click.echo(
        f"\n{bg.label} on {bg.n_customers_:,} customers ({len(histories):,} distinct histories):"
    )
    click.echo(bg.summary.round(6).to_string())
    if gg is not None:
        click.echo(f"\nGamma-Gamma on {gg.n_customers_:,} repeat buyers:")
        click.echo(gg.summary.round(6).to_string())
    click.echo(f"\nwrote {output} in {time.perf_counter() - started:.1f} s")


def _choose_by_holdout(transactions, calibration_end, time_unit, options):
    """The purchase model with the lowest holdout error when fitted up to ``calibration_end``."""
    from clvmodel.compare import compare_models
    from clvmodel.io import read_table

    calibration, holdout = clv.calibration_holdout_split(
        read_table(transactions, table=options.get("table"), query=options.get("query"))
        if is_postgres_uri(transactions)
        else read_table(transactions),
        calibration_end=calibration_end,
        observation_end=options.get("observation_end"),
        customer_col=options["customer_col"],
        date_col=options["date_col"],
        amount_col=options["amount_col"] or None,
        time_unit=time_unit,
        date_format=options.get("date_format"),
        drop_duplicates=options.get("drop_duplicates", False),
    )
    table = compare_models(calibration, holdout).table
    chosen = {cls.label: name for name, cls in PURCHASE_MODELS.items()}[table["model"].iloc[0]]
    candidates = [
        {
            "label": row["model"],
            "holdout_mae": _number(row.get("holdout_mae")),
            "bic": _number(row.get("bic")),
            "note": row["note"],
        }
        for _, row in table.iterrows()
    ]
    rule = f"lowest holdout MAE (calibration end {calibration_end})"
    return chosen, {"rule": rule, "chosen": chosen, "candidates": candidates}


def _source_label(path, options: dict) -> str:
    """What a model file records as its source: never a password."""
    if not is_postgres_uri(path):
        return str(path)
    what = f"table {options['table']}" if options.get("table") else "query"
    return f"{display(path)} ({what})"


def _number(value) -> float | None:
    """A finite float, or None (for JSON) when missing."""
    return float(value) if value is not None and value == value else None


def _echo_choice(choice: dict) -> None:
    click.echo(f"\nmodel chosen by {choice['rule']}: {choice['chosen']}")
    for row in choice["candidates"]:
        numbers = ", ".join(
            f"{key} {row[key]:.4f}"
            for key in ("holdout_mae", "bic")
            if isinstance(row.get(key), float)
        )
        note = f" ({row['note']})" if row.get("note") else ""
        click.echo(f"  {row['label']}: {numbers}{note}")


def _report_duplicates(count: int, dropped: bool) -> None:
    """Say how many valid rows repeat another exactly, and what was done with them."""
    if not count:
        return
    if dropped:
        click.echo(f"left out {count:,} row(s) that repeat another row exactly (--drop-duplicates)")
    else:
        click.echo(
            f"warning: {count:,} row(s) repeat another row exactly (same customer, date and "
            "amount); they count as separate purchases. If they are copies, pass "
            "--drop-duplicates.",
            err=True,
        )


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


def _scored_tables(
    batches, total, bundle, horizon, time_unit, discount, margin, naive, interval=None
):
    """Score batch after batch: Arrow tables with ``customer_id`` first, a progress bar on a
    terminal when ``total`` is known."""
    import pyarrow as pa

    show_progress = total is not None and sys.stderr.isatty()
    bar = None
    if show_progress:
        bar = click.progressbar(
            length=total, label="scoring", file=sys.stderr, show_pos=True, show_eta=True
        )
        bar.__enter__()
    try:
        for rfm in batches:
            no_amounts = "monetary_value" not in rfm.columns  # a log read without amounts
            if no_amounts:
                rfm = rfm.assign(monetary_value=0.0)
            table = score_customers(
                bundle.bg,
                bundle.gg,
                rfm,
                horizon=horizon,
                time_unit=time_unit,
                discount_rate=discount,
                margin=margin,
                naive_clv=naive,
                interval=interval,
            )
            if no_amounts:
                table["monetary_value"] = float("nan")
            table.index.name = "customer_id"
            yield pa.Table.from_pandas(table.reset_index(), preserve_index=False)
            if show_progress:
                bar.update(len(table))
    finally:
        if show_progress:
            bar.__exit__(None, None, None)


def _stream_scores(
    batches,
    total,
    output,
    bundle,
    horizon,
    time_unit,
    discount,
    margin,
    naive,
    rejects_path=None,
    rejected=None,
    interval=None,
):
    """Score batch after batch into ``output`` and write ``rejected`` to ``rejects_path``: both
    files replace the previous pair together, or neither does; returns the number scored."""
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    suffix = Path(output).suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise InputError(f"cannot tell the output format of {output!r}; use .csv or .parquet.")
    scored = 0

    def write(temporary: Path) -> None:
        nonlocal scored
        writer = None
        try:
            tables = _scored_tables(
                batches, total, bundle, horizon, time_unit, discount, margin, naive, interval
            )
            for arrow in tables:
                if writer is None:
                    writer = (
                        pa_csv.CSVWriter(temporary, arrow.schema)
                        if suffix == ".csv"
                        # Dictionary encoding buys nothing on float columns and costs time.
                        else pq.ParquetWriter(temporary, arrow.schema, use_dictionary=False)
                    )
                writer.write_table(arrow)
                scored += arrow.num_rows
            if writer is None:
                raise InputError("there is no valid customer to score.")
        finally:
            if writer is not None:
                writer.close()

    items = [(output, write)]
    if rejects_path is not None:
        items.append((rejects_path, lambda tmp: rejected.to_csv(tmp, index=False)))
    write_together(items)
    return scored


def _stream_scores_to_postgres(
    tables, uri, output_table, rejects_table, rejected, customer_type, if_exists
):
    """Write the scored ``tables`` and the ``rejected`` rows as two PostgreSQL tables, swapped
    in together inside one transaction; returns the number scored."""
    import itertools

    import pyarrow as pa

    from clvmodel._postgres_write import TableSpec, postgres_type, write_tables

    first = next(tables, None)
    if first is None:
        raise InputError("there is no valid customer to score.")
    id_type = postgres_type(first.schema.field("customer_id").type, customer_type)
    columns = [
        (name, id_type if name == "customer_id" else postgres_type(first.schema.field(name).type))
        for name in first.column_names
    ]
    rejects = pa.Table.from_pandas(rejected.reset_index(drop=True), preserve_index=False)
    reject_columns = [
        (name, id_type if name == "customer_id" else postgres_type(rejects.schema.field(name).type))
        for name in rejects.column_names
    ]
    counts = write_tables(
        uri,
        [
            TableSpec(output_table, columns, itertools.chain([first], tables)),
            TableSpec(rejects_table, reject_columns, [rejects]),
        ],
        if_exists,
    )
    return counts[output_table]


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
@_source_options
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
    _amount_option(options)
    bundle = clv.load_models(model)
    if bundle.gg is None:
        # Spend cannot be predicted: score purchases and P(alive); value columns stay empty.
        options["amount_col"] = ""
    unit = bundle.bg.time_unit_ or "W"
    rfm_input = not _is_log(input_path, options)
    customer_type = spool = None
    if not rfm_input:
        source = _transactions(input_path, unit, **options)
        customer_type = source.customer_type
        counts = source.row_counts()
        _report_duplicates(source.duplicate_rows(), options["drop_duplicates"])
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
            connection=_connect(options["memory_limit"]),
        )
        counts = source.counts()
        batches = source.batches(batch_size, time_unit=unit)
        rejected = source.rejects()
        total = counts["rows"] - counts["rejected_rows"]
        no_valid = counts["rejected_rows"]
    years = clv.value.horizon_years(horizon, horizon_unit)
    naive = bundle.naive_clv(years, margin=margin)
    if to_database:
        tables = _scored_tables(
            batches, total, bundle, horizon, horizon_unit, discount_rate, margin, naive, interval
        )
        scored = _stream_scores_to_postgres(
            tables, output, output_table, rejects_table, rejected, customer_type, if_exists
        )
        where, written = f"table {rejects_table}", f"table {output_table} in {display(output)}"
    else:
        scored = _stream_scores(
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
