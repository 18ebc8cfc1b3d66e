"""``clvmodel fit`` and ``clvmodel score``: batch work on files of any size, in bounded memory."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import click

import clvmodel as clv
from clvmodel._files import write_atomically
from clvmodel.cli import main
from clvmodel.engine import RfmSource, TransactionSource, connect, is_transaction_log
from clvmodel.errors import InputError
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
            help="Amount column; pass an empty string for a log without amounts.",
        ),
        click.option(
            "--date-format",
            default=None,
            help="strptime format of text or whole-number dates, e.g. %Y%m%d (default: ISO).",
        ),
        click.option(
            "--observation-end",
            default=None,
            help="End of observation, YYYY-MM-DD (default: the last purchase date).",
        ),
        click.option("--table", default=None, help="Table to read when INPUT is a .duckdb file."),
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
    return TransactionSource(
        path,
        amount_col=amount_col or None,
        time_unit=time_unit,
        connection=_connect(memory_limit),
        **source,
    )


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
    output,
    **options,
):
    """Fit BG/NBD and Gamma-Gamma on a transaction log and write them to one JSON file.

    TRANSACTIONS is a CSV or Parquet file (or folder of Parquet files), or a DuckDB database with
    --table. The RFM summary and the distinct histories are computed in DuckDB, so the log never
    has to fit in memory. Rows that cannot be used are counted and left out.

    With --attributes and --covariates, fits the covariate models of a Day One model instead
    (score new signups with `clvmodel dayone MODEL SIGNUPS`).
    """
    if (attributes is None) != (covariates is None):
        raise InputError("--attributes and --covariates go together: give both or neither.")
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
            output=output,
        )
    started = time.perf_counter()
    source = _transactions(transactions, time_unit, **options)
    counts = source.check_usable()
    histories = source.distinct_histories()
    spends = naive_inputs = None
    if options["amount_col"]:
        spends, naive_inputs = source.distinct_spends(), source.naive_inputs()
    bundle = fit_bundle(
        histories,
        spends,
        naive_inputs,
        metadata={
            "source": str(transactions),
            "customer_col": options["customer_col"],
            "date_col": options["date_col"],
            "amount_col": options["amount_col"] or None,
            "date_format": options["date_format"],
            "time_unit": time_unit,
            "observation_end": source.end.strftime("%Y-%m-%d"),
            "rows": counts["rows"],
            "rejected_rows": counts["rejected_rows"],
            "customers": counts["valid_customers"],
        },
    )
    bg, gg = bundle.bg, bundle.gg
    bundle.save(output)
    click.echo(
        f"read {counts['rows']:,} rows of {counts['customers']:,} customers; "
        f"{counts['rejected_rows']:,} rows left out (run `clvmodel score` to get them listed); "
        f"observation end {source.end:%Y-%m-%d}, time unit {time_unit}"
    )
    click.echo(
        f"\nBG/NBD on {bg.n_customers_:,} customers ({len(histories):,} distinct histories):"
    )
    click.echo(bg.summary.round(6).to_string())
    if gg is not None:
        click.echo(f"\nGamma-Gamma on {gg.n_customers_:,} repeat buyers:")
        click.echo(gg.summary.round(6).to_string())
    click.echo(f"\nwrote {output} in {time.perf_counter() - started:.1f} s")


def _rejects_path(output: str, rejects: str | None) -> Path:
    if rejects:
        return Path(rejects)
    target = Path(output)
    return target.with_name(target.stem + ".rejects.csv")


def _stream_scores(batches, total, output, bundle, horizon, time_unit, discount, margin, naive):
    """Score batch after batch into ``output`` (written whole or not at all); returns the count."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    suffix = Path(output).suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise InputError(f"cannot tell the output format of {output!r}; use .csv or .parquet.")
    scored = 0
    show_progress = total is not None and sys.stderr.isatty()

    def write(temporary: Path) -> None:
        nonlocal scored
        writer = None
        bar = None
        if show_progress:
            bar = click.progressbar(
                length=total, label="scoring", file=sys.stderr, show_pos=True, show_eta=True
            )
        try:
            if show_progress:
                bar.__enter__()
            for rfm in batches:
                table = score_customers(
                    bundle.bg,
                    bundle.gg,
                    rfm,
                    horizon=horizon,
                    time_unit=time_unit,
                    discount_rate=discount,
                    margin=margin,
                    naive_clv=naive,
                )
                table.index.name = "customer_id"
                arrow = pa.Table.from_pandas(table.reset_index(), preserve_index=False)
                if writer is None:
                    writer = (
                        pa_csv.CSVWriter(temporary, arrow.schema)
                        if suffix == ".csv"
                        # Dictionary encoding buys nothing on float columns and costs time.
                        else pq.ParquetWriter(temporary, arrow.schema, use_dictionary=False)
                    )
                writer.write_table(arrow)
                scored += len(table)
                if show_progress:
                    bar.update(len(table))
            if writer is None:
                raise InputError("there is no valid customer to score.")
        finally:
            if writer is not None:
                writer.close()
            if show_progress:
                bar.__exit__(None, None, None)

    write_atomically(output, write)
    return scored


@main.command()
@click.argument("model", type=click.Path())
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@click.option(
    "--horizon",
    type=click.FloatRange(min=0, min_open=True),
    default=12.0,
    show_default=True,
    help="Horizon for churn risk, expected purchases and CLV, in --horizon-unit.",
)
@click.option(
    "--horizon-unit", type=click.Choice(["D", "W", "M", "Y"]), default="M", show_default=True
)
@click.option(
    "--discount-rate", type=click.FloatRange(min=0, max=10), default=0.0, show_default=True
)
@click.option("--margin", type=click.FloatRange(min=0, max=1), default=1.0, show_default=True)
@click.option("--rejects", default=None, help="Where to list rejected rows [OUTPUT.rejects.csv].")
@click.option("--batch-size", type=click.IntRange(min=1), default=500_000, show_default=True)
@_source_options
def score(
    model,
    input_path,
    output,
    horizon,
    horizon_unit,
    discount_rate,
    margin,
    rejects,
    batch_size,
    **options,
):
    """Score every customer of INPUT with the models in MODEL; write CSV or Parquet.

    INPUT is a transaction log (summarised in DuckDB with the options below) or an RFM table
    with frequency, recency, T and monetary_value in the model's time unit. The output has, per
    customer: frequency, recency, T, monetary_value, probability_alive, churn_risk (probability of
    no purchase within the horizon), expected_purchases, expected_spend, predicted_clv and
    naive_clv. It is written in batches to a temporary file that replaces OUTPUT only when
    everything succeeded. Rows that cannot be scored go to the rejects file, with a reason each.
    """
    started = time.perf_counter()
    bundle = clv.load_models(model)
    if bundle.gg is None:
        raise InputError(
            f"{model} has no spend model; fit it on a log with amounts (`clvmodel fit "
            "--amount-col ...`) to score value."
        )
    unit = bundle.bg.time_unit_ or "W"
    rejects_path = _rejects_path(output, rejects)
    if is_transaction_log(input_path, options["date_col"], options["table"]):
        source = _transactions(input_path, unit, **options)
        counts = source.row_counts()
        batches = source.rfm_batches(batch_size)
        rejected = source.rejects(counts["rejected_rows"])
        # Progress needs the number of customers up front: a distinct count, so only on a terminal.
        total = source.counts()["valid_customers"] if sys.stderr.isatty() else None
        no_valid = int((rejected["reason"] == "no valid transaction").sum())
    else:
        source = RfmSource(
            input_path,
            customer_col=options["customer_col"],
            table=options["table"],
            connection=_connect(options["memory_limit"]),
        )
        counts = source.counts()
        batches = source.batches(batch_size, time_unit=unit)
        rejected = source.rejects()
        total = counts["rows"] - counts["rejected_rows"]
        no_valid = counts["rejected_rows"]
    years = clv.value.horizon_years(horizon, horizon_unit)
    naive = bundle.naive_clv(years, margin=margin)
    scored = _stream_scores(
        batches, total, output, bundle, horizon, horizon_unit, discount_rate, margin, naive
    )
    write_atomically(rejects_path, lambda tmp: rejected.to_csv(tmp, index=False))
    rejected_customers = no_valid
    customers_read = scored + rejected_customers
    click.echo(
        f"customers: {customers_read:,} read = {scored:,} scored + {rejected_customers:,} "
        f"rejected; rows: {counts['rows']:,} read, {counts['rejected_rows']:,} rejected "
        f"(reasons in {rejects_path}); wrote {output} in {time.perf_counter() - started:.1f} s"
    )
