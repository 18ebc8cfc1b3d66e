"""``clvmodel plan``: churn-risk tiers and a staged price-increase plan for a customer table."""

from __future__ import annotations

import warnings
from pathlib import Path

import click

import clvmodel as clv
from clvmodel._postgres_connect import display, is_postgres_uri
from clvmodel.churn import default_tier_labels
from clvmodel.cli import _guard, _output_paths, main
from clvmodel.cli._options import (
    DISCOUNT_RATE,
    DISCOUNT_RATE_HELP,
    DURATION_HELP,
    INCREASES,
    INCREASES_HELP,
    MARGIN,
    MARGIN_HELP,
    DurationParam,
    periods,
    shown_fractions,
    stage_options,
)
from clvmodel.cli._plan_inputs import (
    RFM_TIME_UNIT_OPTION,
    assumed_unit_note,
    customer_table,
    spend_model_file,
)
from clvmodel.cli._score_notes import observation_end_note
from clvmodel.io import format_of, write_table


def check_plan_options(steps, labels, cut_points, shares) -> None:
    """The option-level mistakes, reported in the command line's own terms (5% for 0.05)."""
    _check_tier_names(labels)
    if len(labels) != len(steps):
        raise clv.InputError(
            f"--tiers names {len(labels)} tier(s) ({','.join(labels)}) but --increases gives "
            f"{len(steps)}; give one increase per tier, from the lowest risk to the highest."
        )
    for k in range(1, len(steps)):
        if steps[k] > steps[k - 1]:
            raise clv.InputError(
                f"--increases must not grow with risk: tier {labels[k]!r} would get "
                f"{100 * steps[k]:g} % but the lower-risk tier {labels[k - 1]!r} only "
                f"{100 * steps[k - 1]:g} %; list them largest first, e.g. --increases 5%,2.5%,0."
            )
    if cut_points is not None and shares is not None:
        raise clv.InputError("give --thresholds or --quantiles, not both.")
    cuts = cut_points if cut_points is not None else shares
    if cuts is None and len(labels) != 3:
        raise clv.InputError(
            f"{len(labels)} tiers need {len(labels) - 1} cut point(s): pass --thresholds "
            "(churn risks, e.g. --thresholds 60% for two tiers) or --quantiles."
        )
    option = "--thresholds" if cut_points is not None else "--quantiles"
    if cuts is not None and len(cuts) != len(labels) - 1:
        raise clv.InputError(
            f"{option} gives {len(cuts)} cut point(s) for {len(labels)} tiers; give "
            f"{len(labels) - 1} (one fewer than the tiers)."
        )
    if cuts is not None and any(b <= a for a, b in zip(cuts, cuts[1:], strict=False)):
        example = "50%,80%" if option == "--thresholds" else "33.3%,66.7%"
        raise clv.InputError(
            f"{option} {shown_fractions(cuts)}: the cut points must increase strictly, from the "
            f"lowest risk to the highest, e.g. {option} {example}."
        )


def _check_tier_names(labels) -> None:
    """--tiers: a name for every tier, each once (the library's message names tiers=)."""
    if any(not label for label in labels):
        raise clv.InputError(
            f"--tiers {','.join(labels)} leaves a tier without a name; give one name per tier, "
            "comma-separated, e.g. --tiers low,medium,high."
        )
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise clv.InputError(
            f"--tiers {','.join(labels)} names {', '.join(map(repr, repeated))} more than once; "
            "give each tier its own name."
        )


def parse_names(text: str | None) -> list | None:
    """Comma-separated names (``--tiers``), stripped; None when the option is not given."""
    if text is None:
        return None
    return [name.strip() for name in text.split(",")]


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    help="Per-customer assignments, written atomically; .csv or .parquet by extension.",
)
@click.option(
    "--increases", type=INCREASES, default="5%,2.5%,0", show_default=True, help=INCREASES_HELP
)
@click.option(
    "--horizon",
    type=DurationParam("W", "--horizon"),
    default="52W",
    show_default=True,
    help=f"Churn risk = probability of no purchase within this horizon: {DURATION_HELP}, above "
    "0 and at most 100 years (a bare number is read in weeks, deprecated).",
)
@stage_options(
    "Tier labels from the lowest risk to the highest, comma-separated "
    "[default: low,medium,high for three increases].",
    "8W",
)
@click.option(
    "--spend-model",
    type=click.Path(dir_okay=False),
    default=None,
    help="Gamma-Gamma model file (overrides one in MODEL); adds predicted CLV, extra revenue "
    "and value per stage (INPUT then needs monetary_value, or an amount column).",
)
@click.option(
    "--clv-horizon",
    type=DurationParam("W", "--clv-horizon"),
    default=None,
    help=f"Horizon of the predicted CLV: {DURATION_HELP}, above 0 and at most 100 years "
    "[default: the churn horizon] (a bare number is read in weeks, deprecated).",
)
@click.option(
    "--discount-rate", type=DISCOUNT_RATE, default=0.0, show_default=True, help=DISCOUNT_RATE_HELP
)
@click.option(
    "--margin",
    type=MARGIN,
    default=1.0,
    show_default=True,
    help=f"{MARGIN_HELP} Sets the break-even churn i/(m+i).",
)
@click.option(
    "--time-unit",
    type=click.Choice(["D", "W"]),
    default=None,
    help="Time unit of the model's recency and T, if the model file does not record one.",
)
@RFM_TIME_UNIT_OPTION
@click.option(
    "--customer-col",
    default="customer_id",
    show_default=True,
    help="Customer-id column of INPUT.",
)
@click.option(
    "--date-col",
    default="date",
    show_default=True,
    help="Date column, when INPUT is a transaction log.",
)
@click.option(
    "--amount-col",
    default="amount",
    show_default=True,
    help="Amount column, when INPUT is a transaction log.",
)
@click.option(
    "--observation-end",
    default=None,
    help="Last day of a transaction log to summarise (YYYY-MM-DD) [default: its last date].",
)
@_guard.date_options
@_guard.database_input_options
@_guard.database_output_options
def plan(
    model,
    input_path,
    output,
    increases,
    horizon,
    tiers,
    thresholds,
    quantiles,
    stage_wait,
    start,
    spend_model,
    clv_horizon,
    discount_rate,
    margin,
    time_unit,
    rfm_time_unit,
    customer_col,
    date_col,
    amount_col,
    observation_end,
    date_format,
    drop_duplicates,
    table,
    query,
    output_table,
    if_exists,
):
    """Score churn risk per customer and stage a price increase by risk tier.

    MODEL is a models file from `clvmodel fit` (its spend model, if any, adds CLV) or a BG/NBD
    model file (from BetaGeoModel.save). INPUT is a CSV or Parquet file with an RFM table
    (frequency, recency, T [, monetary_value], one row per customer, ids in --customer-col or the
    first, nameless column; recency and T in the model's time unit or in --rfm-time-unit; it
    records no observation end to check against MODEL's: T is used as it is) or a transaction log
    (--customer-col, --date-col [, --amount-col]), summarised up to --observation-end in the
    model's time unit. INPUT may also be a postgresql:// database with --table or --query, and -o
    one with --output-table (written in one transaction; see --if-exists).

    The lowest-risk tier gets the first and largest increase, the highest-risk tier the last (0 %
    by default). Increases and cut points are fractions (0.05) or percentages (5%); the output
    file holds fractions (increase 0.05), as the Python API. Prints the per-stage table:
    customers, mean churn risk, predicted CLV, extra revenue if nobody extra leaves, and the
    break-even extra churn.
    """
    _check_output(output, output_table, if_exists, (input_path, table, query))
    _output_paths.refuse_overwrite(
        {"-o/--output": output},
        {"MODEL": model, "INPUT": input_path, "--spend-model": spend_model},
    )
    labels = parse_names(tiers) or list(default_tier_labels(len(increases)))
    check_plan_options(increases, labels, thresholds, quantiles)
    bundle, gg = _plan_models(model, spend_model, time_unit)
    horizons = (horizon, _clv_horizon(gg, model, (horizon, clv_horizon), discount_rate))
    bg = bundle.bg
    shown = display(input_path) if is_postgres_uri(input_path) else input_path
    frame = _guard.read_input(input_path, table, query)
    columns = {"customer_col": customer_col, "date_col": date_col, "amount_col": amount_col}
    reading = {"observation_end": observation_end, "date_format": date_format}
    from clvmodel.cli._database_rows import database_row_words

    with database_row_words(input_path):  # bad rows of a table: no header to count after
        read = customer_table(
            frame, shown, gg, bg.time_unit_, columns, reading, drop_duplicates, rfm_time_unit
        )
    rfm = read.rfm
    _note_observation_end(model, bundle, read, observation_end)
    tiering = {"tiers": labels, "thresholds": thresholds, "quantiles": quantiles}
    value = {"discount_rate": discount_rate, "margin": margin}
    result = _staged_plan(bg, gg, rfm, horizons, tiering, value, increases, stage_wait, start)
    if is_postgres_uri(output):
        write_table(result.assignments, output, index=True, table=output_table, if_exists=if_exists)
        written = f"table {output_table} in {display(output)}"
    else:
        written = write_table(result.assignments, output, index=True)
    click.echo(f"Scored {len(rfm):,} customers from the {read.source} {shown}{_left_out(read)}.")
    click.echo(str(result))
    click.echo(f"\nWrote {len(result.assignments):,} customer assignments to {written}.")
    if read.assumed:
        click.echo(assumed_unit_note(bg.time_unit_))


def _clv_horizon(gg, model, horizons, discount_rate):
    """The horizon of the predicted CLV (--clv-horizon, else --horizon); None without a spend
    model, which refuses --clv-horizon and --discount-rate (they set the CLV only) rather than
    ignoring them."""
    horizon, clv_horizon = horizons
    given = [
        f for f, v in (("--clv-horizon", clv_horizon), ("--discount-rate", discount_rate)) if v
    ]
    if gg is None and given:
        raise clv.InputError(
            f"{' and '.join(given)} {'set' if len(given) > 1 else 'sets'} the predicted CLV, which "
            f"needs a spend model, and {model} holds none (fitted without amounts, or a purchase "
            f"model alone): pass --spend-model FILE (a Gamma-Gamma model file), or leave "
            f"{' and '.join(given)} out (the plan then stages by churn risk and purchases only)."
        )
    return None if gg is None else clv_horizon or horizon


def _note_observation_end(model, bundle, read, observation_end) -> None:
    """As `score`: a log without --observation-end has T measured to its last purchase date;
    say so on stderr when MODEL records another observation end."""
    if read.end is not None and observation_end is None:
        if note := observation_end_note(model, bundle, read.end):
            click.echo(note, err=True)


def _left_out(read) -> str:
    """The customers of a log that the plan leaves out (first purchase after its end), in words
    that end the "Scored ..." line; empty when there are none."""
    if not read.left_out:
        return ""
    return (
        f"; {read.left_out:,} more customer(s) are left out: their first purchase is after "
        f"--observation-end {read.end:%Y-%m-%d}"
    )


def _check_output(output, output_table, if_exists, source) -> None:
    """Refuse, before any work, an output that cannot be written or is the input table
    (``source``: the input, its table and its query)."""
    if is_postgres_uri(output):
        if not output_table:
            raise clv.InputError(
                "-o postgresql://... needs --output-table NAME: the table to write."
            )
        from clvmodel._postgres_overwrite import refuse_input_target
        from clvmodel._postgres_write import check_targets

        refuse_input_target(output, {"--output-table": output_table}, *source)
        check_targets(output, [output_table], if_exists)
        return
    if output_table:
        raise clv.InputError("--output-table goes with -o postgresql://...")
    format_of(Path(output))  # an unknown extension fails before any work is done
    _output_paths.check_output_folders({"-o/--output": output})


def _plan_models(model, spend_model, time_unit):
    """The models of MODEL (the purchase model's time unit settled) and the spend model, if
    any."""
    from clvmodel.cli._score_models import check_model_file

    check_model_file(model, "plan")  # another kind of model file: the command that takes it
    bundle = clv.load_models(model)  # a `clvmodel fit` file, or a single BG/NBD model file
    bg = bundle.bg
    gg = spend_model_file(spend_model) if spend_model else bundle.gg
    recorded_unit = bg.time_unit_ or bundle.metadata.get("time_unit")
    unit = recorded_unit or time_unit
    if unit is None:
        raise clv.InputError(
            f"the model file {model!r} does not record its time unit; pass --time-unit D or W "
            "(the unit of recency and T it was fitted on)."
        )
    if recorded_unit is not None and time_unit is not None and time_unit != recorded_unit:
        raise clv.InputError(
            f"--time-unit {time_unit} contradicts the model file, which was fitted in "
            f"{recorded_unit!r}; leave --time-unit out."
        )
    bg.time_unit_ = unit
    return bundle, gg


def _staged_plan(bg, gg, rfm, horizons, tiering, value, increases, stage_wait, start):
    """Churn risk in tiers, then the staged plan; the library's warnings as ``warning:`` lines.

    The churn horizon goes to the model as written (its unit kept for the printed plan); the CLV
    counts periods of the CLV horizon's own unit (52W: discounted week by week, as before).
    """
    churn, clv_horizon = horizons
    wait = None if stage_wait is None else periods(stage_wait, "W")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", clv.ClvWarning)
        scores = clv.churn_risk(
            bg,
            rfm,
            churn,
            gg,
            clv_horizon=clv_horizon,
            **tiering,
            **value,
        )
        result = clv.price_increase_plan(scores, increases, stage_wait=wait, start=start)
    for warning in caught:
        click.echo(f"warning: {_guard.cli_words(str(warning.message))}", err=True)
    return result
