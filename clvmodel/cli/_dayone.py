"""``clvmodel dayone-fit`` and ``clvmodel dayone``: Day One value of new signups from the CLI."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import click
import pandas as pd

import clvmodel as clv
from clvmodel._reading_text import missing_text_mask
from clvmodel._table_ids import table_ids
from clvmodel.cli import _guard, _output_paths, main
from clvmodel.cli._options import horizon_options, with_unit_option
from clvmodel.dayone._checks import check_frame, date_examples, examples
from clvmodel.dayone._checks import names as column_names
from clvmodel.dayone.prediction import single_price
from clvmodel.errors import InputError
from clvmodel.io import format_of, read_table, write_table
from clvmodel.models import PURCHASE_MODELS

#: Key of ``click.Context.meta`` under which ``clvmodel fit`` says how the user named the
#: attributes file (``--attributes``); ``dayone-fit`` calls it ATTRIBUTES.
ATTRIBUTES_NAME = "clvmodel.dayone.attributes_name"


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _indexed(frame: pd.DataFrame, customer_col: str, what: str) -> pd.DataFrame:
    """The table indexed by customer id (as text, so CSV and Parquet ids match)."""
    if customer_col not in frame.columns:
        raise InputError(
            f"{what} has no customer id column {customer_col!r}; its columns are "
            f"{list(map(str, frame.columns))}. Name it with --customer-col."
        )
    # Ids read as in transaction logs: "00018 " is "00018", "7.0" is "7".
    ids, missing, not_whole = table_ids(frame[customer_col])
    if missing.any():
        raise InputError(f"{int(missing.sum())} row(s) of {what} have no customer id.")
    if not_whole.any():
        shown = examples(frame[customer_col][not_whole])
        raise InputError(
            f"{int(not_whole.sum())} customer id(s) of {what} are fractional: {shown}."
        )
    table = frame.drop(columns=customer_col)
    table.index = pd.Index(ids.astype(str).to_numpy(), name=customer_col)
    return check_frame(table, what)


def _listed(text: str | None, flag: str) -> list[str]:
    """The names of a comma-separated option, refused when it names none."""
    parts = _split(text)
    if not parts:
        raise InputError(
            f"{flag} {text!r} names nothing; give at least one name, separated by commas."
        )
    return parts


def _looks_numeric(column: pd.Series) -> bool:
    """Whether every value present is a number ("NA" and the other missing-value texts of a
    Parquet file are missing, as in a CSV file, not text)."""
    present = column[~missing_text_mask(column)]
    return len(present) > 0 and pd.to_numeric(present, errors="coerce").notna().all()


def _baselines(pairs) -> dict[str, str]:
    baselines = {}
    for pair in pairs:
        name, sep, level = pair.partition("=")
        if not sep or not name:
            raise InputError(f"--baseline {pair!r} must look like COLUMN=LEVEL, e.g. channel=web.")
        baselines[name] = level
    return baselines


def _echo_warnings(caught) -> None:
    for warning in caught:
        click.echo(f"warning: {_guard.cli_words(str(warning.message))}", err=True)


@main.command("dayone-fit")
@click.argument("transactions", type=click.Path())
@click.argument("attributes", type=click.Path())
@click.option(
    "--covariates",
    required=True,
    help="Comma-separated signup attributes; numeric when every value is a number, else "
    "categorical.",
)
@click.option("--categorical", default=None, help="Attributes to treat as categorical anyway.")
@click.option("--log", "log_cols", default=None, help="Numeric attributes entered as log(1 + x).")
@click.option(
    "--baseline",
    "baselines",
    multiple=True,
    help="Baseline level of a categorical attribute, COLUMN=LEVEL (default: most frequent).",
)
@click.option(
    "--first-purchase-col",
    default=None,
    help="Attribute holding the first purchase amount, counted in the Day One value.",
)
@horizon_options("Horizon of the Day One value", "13M", "26W")
@click.option(
    "--covariates-on",
    default="purchase,dropout,spend",
    show_default=True,
    help="Processes the attributes act on.",
)
@click.option(
    "--segment-band", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.2
)
@click.option("--customer-col", default="customer_id", show_default=True)
@click.option("--date-col", default="date", show_default=True)
@click.option("--amount-col", default="amount", show_default=True)
@click.option("--observation-end", default=None, help="End of the histories, YYYY-MM-DD.")
@click.option("--time-unit", type=click.Choice(["D", "W"]), default="W", show_default=True)
@_guard.date_options
@click.option(
    "--model",
    "purchase_model",
    type=click.Choice(list(PURCHASE_MODELS)),
    default="bgnbd",
    show_default=True,
    help="Purchase model, with the attributes as covariates: BG/NBD, MBG/NBD or Pareto/NBD.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
def dayone_fit(
    transactions,
    attributes,
    covariates,
    categorical,
    log_cols,
    baselines,
    first_purchase_col,
    horizon,
    horizon_unit,
    covariates_on,
    segment_band,
    customer_col,
    date_col,
    amount_col,
    observation_end,
    time_unit,
    date_format,
    drop_duplicates,
    purchase_model,
    output,
):
    """Fit a Day One model on existing customers and write it to a JSON file.

    TRANSACTIONS is a CSV or Parquet log of the existing customers' purchases; ATTRIBUTES a CSV or
    Parquet table with one row per customer (customer id column plus signup attributes). The
    model predicts, for a new signup, the first purchase (with --first-purchase-col) plus expected
    repeat purchases × expected spend over the horizon (13 months of 365.25/12 days by default).
    """
    started = time.perf_counter()
    source = click.get_current_context().meta.get(ATTRIBUTES_NAME, "ATTRIBUTES")
    duration = with_unit_option("--horizon", horizon, horizon_unit, "M")
    names = _listed(covariates, "--covariates")
    processes = _listed(covariates_on, "--covariates-on")
    forced = _split(categorical)
    stray = sorted(set(forced) - set(names))
    if stray:
        raise InputError(f"--categorical names {stray}, which are not in --covariates.")
    baseline_levels = _baselines(baselines)
    _check_paths({"TRANSACTIONS": transactions, source: attributes}, output, source)
    log = read_table(transactions)
    _require_amounts(log, customer_col, date_col, amount_col)
    table = _indexed(read_table(attributes), customer_col, source)
    _check_attribute_names(table, names, forced, _split(log_cols), customer_col, source)
    rfm = clv.rfm_summary(
        log,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        observation_end=observation_end,
        time_unit=time_unit,
        date_format=date_format,
        drop_duplicates=drop_duplicates,
    )
    rfm.index = pd.Index(rfm.index.astype(str), name=customer_col)
    _guard.check_fittable(len(rfm), int((rfm["frequency"] > 0).sum()))
    table = _matched(rfm, table, source, lambda: _ids_in_log(log, customer_col), observation_end)
    # Kinds from the matched rows: a non-buyer's text must not make an attribute categorical.
    numeric, kinds = _attribute_kinds(table, names, forced, _split(log_cols))
    model = clv.DayOneModel(
        numeric,
        kinds,
        log=_split(log_cols),
        baselines=baseline_levels,
        first_purchase_col=first_purchase_col,
        horizon=duration,
        covariates_on=processes,
        segment_band=segment_band,
        purchase_model=purchase_model,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(rfm, table, time_unit=time_unit)
    _echo_warnings(caught)
    model.save(output)
    _describe_fit(model, len(rfm), time_unit, numeric, duration, segment_band)
    click.echo(f"\nwrote {output} in {time.perf_counter() - started:.1f} s")


def _require_amounts(log: pd.DataFrame, customer_col, date_col, amount_col) -> None:
    """Refuse a log without its amount column: a Day One model predicts spend."""
    if amount_col not in log.columns and {customer_col, date_col} <= set(log.columns):
        raise InputError(
            f"TRANSACTIONS has no amount column {amount_col!r}; its columns are "
            f"{list(map(str, log.columns))}. A Day One model predicts spend, so it needs the "
            "amount of each purchase: name its column with --amount-col."
        )


def _ids_in_log(log: pd.DataFrame, customer_col: str) -> pd.Index:
    """The customer ids of the log's rows as :func:`_indexed` reads ids (missing ones left out)."""
    if customer_col not in log.columns:
        return pd.Index([])
    ids, missing, _ = table_ids(log[customer_col])
    return pd.Index(ids[~missing].astype(str).unique())


def _matched(
    rfm: pd.DataFrame, table: pd.DataFrame, source: str, in_log, observation_end
) -> pd.DataFrame:
    """The attributes of the customers of the log, in its order: refused when a customer of the
    log has no row, with a warning for the rows of customers left out (who bought nothing, or
    only after --observation-end: ``in_log()`` gives the log's ids), and refused when the amounts
    hold a single price (nothing for the spend model to learn)."""
    missing = rfm.index.difference(table.index)
    if len(missing):
        raise InputError(
            f"{source} has no row for {len(missing):,} of the {len(rfm):,} customers who bought "
            f"in TRANSACTIONS (for example {examples(missing)}); add a row for each of them "
            f"to {source} (same ids, in --customer-col), or leave their purchases out of "
            "TRANSACTIONS."
        )
    extra = table.index.difference(rfm.index)
    # in_log() reads every id of the log again: only when the warning may need it.
    later = extra[:0]
    if observation_end is not None and len(extra):
        later = extra.intersection(in_log())
    never = extra.difference(later)
    if len(never):
        click.echo(
            f"warning: {len(never):,} of the {len(table):,} customers in {source} have no "
            f"purchase in TRANSACTIONS (for example {examples(never)}); they are left out of "
            "the fit, which learns from what customers bought.",
            err=True,
        )
    if len(later):
        click.echo(
            f"warning: {len(later):,} of the {len(table):,} customers in {source} made their "
            f"first purchase after --observation-end {observation_end} (for example "
            f"{examples(later)}): the histories were taken to end on that day, and purchases "
            "after it left out, so these customers are left out of the fit; give a later "
            "--observation-end (or leave it out: the last purchase date in TRANSACTIONS) to "
            "fit on them too.",
            err=True,
        )
    price = single_price(rfm)
    if price is not None:
        raise InputError(
            f"cannot fit a Day One model: every one of the {price[0]:,} repeat buyers spent the "
            f"same per purchase ({price[1]:.6g}, a single price?), so its spend model has no "
            "spread in spend for the attributes to explain. Check that --amount-col names the "
            "amount paid per purchase; if every purchase costs the same, fit purchases alone "
            "with `clvmodel fit TRANSACTIONS --no-amount` (no attributes) and value each "
            "purchase at the price."
        )
    return table.loc[rfm.index]


def _check_attribute_names(table, names, forced, log_cols, customer_col, source) -> None:
    """Refuse the mistakes in the names of --covariates, --categorical and --log."""
    for flag, listed in (("--covariates", names), ("--categorical", forced), ("--log", log_cols)):
        column_names(listed, flag)  # each column once
    missing = [n for n in names if n not in table.columns]
    if missing:
        raise InputError(
            f"{source} has no column {', '.join(map(repr, missing))}; its columns are "
            f"{[customer_col, *map(str, table.columns)]}."
        )


def _attribute_kinds(table, names, forced, log_cols) -> tuple[list, list]:
    """The --covariates split into numeric and categorical attributes (by the rows of
    ``table``), with a --log that names a categorical attribute refused."""
    numeric = [n for n in names if n not in forced and _looks_numeric(table[n])]
    kinds = [n for n in names if n not in numeric]
    for name in kinds:
        dates = None if name in forced else date_examples(table[name])
        if dates is not None:  # each date would silently become a level of its own
            raise InputError(
                f"attribute {name!r} holds dates (for example {', '.join(dates)}), which are "
                "not numbers, so each date would be a categorical level of its own; enter it "
                "as a number instead, such as whole weeks since the first signup, or as a "
                "coarse category such as the signup month (or list it under --categorical to "
                "take each date as a level)."
            )
    not_numeric = [n for n in log_cols if n not in numeric]
    if not_numeric:
        raise InputError(
            f"--log names {not_numeric}, which are not numeric attributes (numbers in every row "
            "and not in --categorical); take them out of --log."
        )
    return numeric, kinds


def _describe_fit(model, customers, time_unit, numeric, duration, segment_band) -> None:
    click.echo(f"fitted on {customers:,} customers; time unit {time_unit}")
    click.echo(f"numeric attributes: {', '.join(numeric) or '(none)'}")
    for entry in model.encoding_["categorical"]:
        click.echo(
            f"categorical {entry['name']!r}: {len(entry['levels'])} levels, baseline "
            f"{entry['baseline']!r}"
        )
    click.echo("")
    click.echo(model.summary[["model", "estimate", "std_error"]].round(4).to_string())
    click.echo("")
    click.echo(
        f"segments of predicted Day One value over {duration.value:g} {duration.unit} "
        f"(mean {model.segment_cuts_['mean']:.2f}; average = ±{segment_band:.0%} of it):"
    )
    click.echo(model.segment_profiles_.round(3).to_string())


@main.command("dayone")
@click.argument("model_path", metavar="MODEL", type=click.Path())
@click.argument("signups", type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@click.option("--customer-col", default="customer_id", show_default=True)
@horizon_options("Horizon of the Day One value", None, "26W", model_unit=True)
@click.option(
    "--unknown",
    type=click.Choice(["error", "baseline"]),
    default="error",
    show_default=True,
    help="Categorical levels the model never saw: stop, or score them as the baseline level.",
)
def dayone(model_path, signups, output, customer_col, horizon, horizon_unit, unknown):
    """Predict the Day One value of new signups with a model from `clvmodel dayone-fit`.

    SIGNUPS is a CSV or Parquet table with a customer id column and the model's attributes. OUTPUT
    (CSV or Parquet, written atomically) has per customer: first_purchase, expected repeat
    purchases, expected purchases, expected spend, expected repeat value, day_one_value and
    segment (below average, average, above average).
    """
    started = time.perf_counter()
    _check_paths({"MODEL": model_path, "SIGNUPS": signups}, output, "SIGNUPS")
    model = clv.DayOneModel.load(model_path)
    if horizon_unit is not None and horizon is None:  # the model's horizon in another unit
        horizon = model.horizon
    duration = with_unit_option("--horizon", horizon, horizon_unit, model.horizon_unit)
    table = _indexed(read_table(signups), customer_col, "SIGNUPS")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        predictions = model.predict(table, horizon=duration, unknown=unknown)
    _echo_warnings(caught)
    counts = predictions["segment"].value_counts().reindex(clv.dayone.SEGMENTS, fill_value=0)
    predictions["segment"] = predictions["segment"].astype(str)
    write_table(predictions, output)
    shown = ", ".join(f"{name} {count:,}" for name, count in counts.items())
    click.echo(
        f"scored {len(predictions):,} signups (mean Day One value "
        f"{predictions['day_one_value'].mean():.2f}; {shown}); wrote {output} in "
        f"{time.perf_counter() - started:.1f} s"
    )


def _check_paths(inputs: dict[str, str], output, source: str) -> None:
    """Refuse up front a ``postgresql://`` input or -o (these commands read and write files
    only), an -o that would replace an input or that cannot be written (its folder), and one
    whose name does not say its format: a model file ends in .json, predictions in .csv or
    .parquet. ``source`` is how the command line named the attributes (``ATTRIBUTES``;
    ``--attributes`` through ``clvmodel fit``), or ``SIGNUPS`` for ``clvmodel dayone``."""
    from clvmodel.cli._no_database import refuse_database_inputs, refuse_database_outputs

    command = {"ATTRIBUTES": "dayone-fit", "SIGNUPS": "dayone"}.get(source, f"fit {source}")
    refuse_database_outputs({"-o/--output": output}, command)
    refuse_database_inputs(inputs, command)
    _output_paths.refuse_overwrite({"-o/--output": output}, inputs)
    _output_paths.check_output_folders({"-o/--output": output})
    if source == "SIGNUPS":
        format_of(Path(output))  # an unknown extension fails before the model is read
    else:
        _output_paths.check_model_output(output)
