"""``clvmodel fit``: fit a purchase model and Gamma-Gamma on a log of any size."""

from __future__ import annotations

import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import click

import clvmodel as clv
from clvmodel._postgres_connect import display, is_postgres_uri
from clvmodel._reading import DUPLICATES_WARNING
from clvmodel.cli import _guard, _output_paths, main
from clvmodel.cli._batch_common import (
    amount_option,
    check_source,
    csv_rows_checked,
    input_columns,
    report_duplicates,
    source_options,
    transaction_source,
)
from clvmodel.errors import InputError
from clvmodel.models import PURCHASE_MODELS
from clvmodel.models.bundle import fit_bundle


@contextmanager
def _rfm_table_refused(path, options):
    """Say that an RFM table is not a log, when one given as TRANSACTIONS is refused (the log
    reader would ask for the log's columns, or blame the nameless column of the ids)."""
    try:
        yield
    except InputError:
        if _is_rfm_table(path, options):
            raise InputError(
                f"TRANSACTIONS {display(path)} is an RFM table (frequency, recency, T), not a "
                "transaction log: `clvmodel fit` reads one row per purchase (--customer-col, "
                "--date-col, --amount-col); fit an RFM table in Python "
                "(clvmodel.BetaGeoModel().fit(rfm)), or `clvmodel score` it with a fitted MODEL."
            ) from None
        raise


def _is_rfm_table(path, options) -> bool:
    columns = input_columns(path, options["table"])
    if columns is None:
        return False
    # Two RFM columns are enough: the message must not ask a table that lacks one for a log's.
    rfm = len({"frequency", "recency", "T", "monetary_value"} & set(columns)) >= 2
    return rfm and options["date_col"] not in columns


@main.command()
@click.argument("transactions", type=click.Path())
@source_options
@click.option("--time-unit", type=click.Choice(["D", "W"]), default="W", show_default=True)
@click.option(
    "--attributes",
    type=click.Path(),
    default=None,
    help="Signup attributes (CSV/Parquet, one row per customer): with --covariates, fit a Day "
    "One model instead, with --model bgnbd, mbgnbd or pnbd (see `clvmodel dayone-fit --help` "
    "for all its options); TRANSACTIONS is then a CSV or Parquet file with amounts.",
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
    computed in DuckDB, so the log never has to fit in memory; a Parquet file of typed columns
    (integer or text ids, dates or timestamps, numeric amounts) is read faster without it, with
    the same results. Rows that cannot be used are
    counted and left out.

    With --attributes and --covariates, fits the covariate models of a Day One model instead
    (score new signups with `clvmodel dayone MODEL SIGNUPS`).
    """
    if (attributes is None) != (covariates is None):
        raise InputError("--attributes and --covariates go together: give both or neither.")
    _refuse_mixed_options(ctx, attributes is not None, model_name)
    from clvmodel.cli._no_database import refuse_database_outputs

    refuse_database_outputs({"-o/--output": output}, "fit")
    _output_paths.refuse_overwrite(
        {"-o/--output": output}, {"TRANSACTIONS": transactions, "--attributes": attributes}
    )
    _output_paths.check_output_folders({"-o/--output": output})
    _output_paths.check_model_output(output)
    amount_option(options)
    if attributes is not None:
        day_one = {"covariates": covariates, "categorical": categorical, "log_cols": log_cols}
        day_one.update(first_purchase_col=first_purchase_col, purchase_model=model_name)
        return _fit_day_one(ctx, transactions, attributes, time_unit, output, day_one, options)
    if calibration_end is not None and model_name != "auto":
        raise InputError("--calibration-end chooses the model: use it with --model auto.")
    check_source(transactions, options)
    started = time.perf_counter()
    choice = None
    if calibration_end is not None:
        model_name, choice = _choose_by_holdout(transactions, calibration_end, time_unit, options)
    with (
        csv_rows_checked(transactions, options["memory_limit"]),
        _rfm_table_refused(transactions, options),
        transaction_source(
            transactions, time_unit, naive=bool(options["amount_col"]), **options
        ) as source,  # closed at the end of the block: a database transaction ends there
    ):
        counts = source.check_usable()
        report_duplicates(counts.get("duplicate_rows", 0), options["drop_duplicates"])
        histories = source.distinct_histories()
        _guard.check_fittable(
            int(histories["customers"].sum()),
            int(histories.loc[histories["frequency"] > 0, "customers"].sum()),
        )
        metadata = _metadata(transactions, source, counts, time_unit, options)
        bundle = _fit_models(source, histories, model_name, metadata, options)
    if choice is not None:
        bundle.metadata["model_choice"] = choice
    bundle.save(output)
    _describe(bundle, counts, source.end, time_unit, len(histories))
    click.echo(f"\nwrote {output} in {time.perf_counter() - started:.1f} s")


#: Options of a Day One fit (--attributes), with what they do; without --attributes they would
#: be ignored.
_DAY_ONE_ONLY = {
    "categorical": "--categorical",
    "log_cols": "--log",
    "first_purchase_col": "--first-purchase-col",
}
#: Options of the DuckDB route that a Day One fit (read with pandas) cannot honour, with why.
_NOT_DAY_ONE = {
    "calibration_end": ("--calibration-end", "it chooses among models with --model auto"),
    "no_amount": ("--no-amount", "a Day One model predicts spend, which needs the amounts"),
    "table": ("--table", "a Day One fit reads TRANSACTIONS as a CSV or Parquet file"),
    "query": ("--query", "a Day One fit reads TRANSACTIONS as a CSV or Parquet file"),
    "pushdown": ("--pushdown/--no-pushdown", "a Day One fit does not read a database"),
    "memory_limit": ("--memory-limit", "a Day One fit runs in pandas, not in DuckDB"),
}


def _refuse_mixed_options(ctx: click.Context, day_one: bool, model_name: str) -> None:
    """Raise a usage error naming both options when the command line mixes the options of a Day
    One fit (--attributes) with those of a plain fit that it would otherwise silently ignore."""

    def given(name: str) -> bool:
        source = ctx.get_parameter_source(name)
        return source is not None and source is not click.core.ParameterSource.DEFAULT

    if not day_one:
        for name, flag in _DAY_ONE_ONLY.items():
            if given(name):
                raise click.UsageError(
                    f"{flag} describes the attributes of a Day One model: give it with "
                    "--attributes and --covariates, or leave it out.",
                    ctx=ctx,
                )
        return
    for name, (flag, reason) in _NOT_DAY_ONE.items():
        if given(name):
            raise click.UsageError(
                f"{flag} cannot go with --attributes: {reason}. Leave out {flag} or --attributes.",
                ctx=ctx,
            )
    if model_name == "auto":
        raise click.UsageError(
            "--model auto cannot go with --attributes: a Day One model is fitted with one "
            "purchase model; choose --model bgnbd, mbgnbd or pnbd.",
            ctx=ctx,
        )


def _fit_day_one(ctx, transactions, attributes, time_unit, output, day_one, options):
    """``clvmodel dayone-fit`` with the options of ``clvmodel fit`` that it shares."""
    from clvmodel.cli._dayone import ATTRIBUTES_NAME, dayone_fit

    ctx.meta[ATTRIBUTES_NAME] = "--attributes"
    return ctx.invoke(
        dayone_fit,
        transactions=transactions,
        attributes=attributes,
        **day_one,
        customer_col=options["customer_col"],
        date_col=options["date_col"],
        amount_col=options["amount_col"],
        observation_end=options["observation_end"],
        time_unit=time_unit,
        date_format=options["date_format"],
        drop_duplicates=options.get("drop_duplicates", False),
        output=output,
    )


def _metadata(transactions, source, counts, time_unit, options) -> dict:
    """What the model file records about how it was fitted."""
    return {
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
    }


def _fit_models(source, histories, model_name, metadata, options):
    spends = naive_inputs = None
    if options["amount_col"]:
        spends, naive_inputs = source.distinct_spends(), source.naive_inputs()
    return _guard.fitted(
        fit_bundle, histories, spends, naive_inputs, model=model_name, metadata=metadata
    )


def _describe(bundle, counts, end, time_unit, n_histories: int) -> None:
    bg, gg = bundle.bg, bundle.gg
    click.echo(
        f"read {counts['rows']:,} rows of {counts['customers']:,} customers; "
        f"{counts['rejected_rows']:,} rows left out (run `clvmodel score` to get them listed); "
        f"observation end {end:%Y-%m-%d}, time unit {time_unit}"
    )
    if "model_choice" in bundle.metadata:
        _echo_choice(bundle.metadata["model_choice"])
    click.echo(
        f"\n{bg.label} on {bg.n_customers_:,} customers ({n_histories:,} distinct histories):"
    )
    click.echo(bg.summary.round(6).to_string())
    if gg is not None:
        click.echo(f"\nGamma-Gamma on {gg.n_customers_:,} repeat buyers:")
        click.echo(gg.summary.round(6).to_string())


def _choose_by_holdout(transactions, calibration_end, time_unit, options):
    """The purchase model with the lowest holdout error when fitted up to ``calibration_end``."""
    from clvmodel.compare import compare_models
    from clvmodel.rfm import transaction_rejects

    columns = {
        "customer_col": options["customer_col"],
        "date_col": options["date_col"],
        "amount_col": options["amount_col"] or None,
    }
    log = _log_in_memory(transactions, options)
    # Rows that cannot be used are left out, as the fit leaves them out (it lists them).
    rejected = transaction_rejects(log, **columns, date_format=options.get("date_format"))
    with warnings.catch_warnings():  # the fit on all the data counts them, once
        warnings.filterwarnings("ignore", message=DUPLICATES_WARNING, category=clv.ClvWarning)
        calibration, holdout = clv.calibration_holdout_split(
            log.drop(index=rejected.index),
            calibration_end=calibration_end,
            observation_end=options.get("observation_end"),
            **columns,
            time_unit=time_unit,
            date_format=options.get("date_format"),
            drop_duplicates=options.get("drop_duplicates", False),
        )
    # Too early a calibration end is refused in its own words, not as a failed fit of each model.
    _guard.check_fittable(
        len(calibration), int((calibration["frequency"] > 0).sum()), "--calibration-end"
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
    choice = {"rule": rule, "chosen": chosen, "candidates": candidates}
    # Customers first seen in the holdout are in the final fit but not in the choice.
    choice["customers"] = len(calibration)
    choice["new_customers"] = len(holdout.attrs.get("new_customers", ()))
    return chosen, choice


def _log_in_memory(transactions, options: dict):
    """The whole log as a DataFrame, from any input ``fit`` reads: a CSV or Parquet file, a
    folder of Parquet files or a DuckDB table (through DuckDB), or PostgreSQL."""
    from clvmodel.io import read_table

    if is_postgres_uri(transactions):
        return read_table(transactions, table=options.get("table"), query=options.get("query"))
    path = Path(transactions)
    if not (path.is_dir() or path.suffix.lower() in (".duckdb", ".db")):
        return read_table(transactions)
    from clvmodel._duck import attach_database, connect, relation_sql

    relation = relation_sql(path, options.get("table"))  # refuses what it cannot read
    connection = connect()
    try:
        attach_database(connection, path)
        return connection.execute(f"SELECT * FROM {relation}").df()
    finally:
        connection.close()


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
    if choice.get("new_customers"):
        click.echo(
            f"  (chosen on the {choice['customers']:,} customers of the calibration period; the "
            f"{choice['new_customers']:,} who first bought after it are not in the choice)"
        )
    for row in choice["candidates"]:
        numbers = ", ".join(
            f"{key} {row[key]:.4f}"
            for key in ("holdout_mae", "bic")
            if isinstance(row.get(key), float)
        )
        note = f" ({row['note']})" if row.get("note") else ""
        click.echo(f"  {row['label']}: {numbers}{note}")
