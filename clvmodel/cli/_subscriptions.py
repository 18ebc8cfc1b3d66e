"""``clvmodel subscriptions fit | score | plan``: subscription tables to a retention model,
per-subscriber scores and a staged price increase.

The input is a subscription table (CSV or Parquet): a subscriber id, a start date, an end
(cancellation) date that is empty while the subscription runs, and optionally a price per billing
period and attributes. Rows that cannot be used go to a rejects file with a reason each, so every
input row is either in the output or in the rejects file, and the counts printed add up. Outputs
are written atomically (together with the rejects file) and never over an input.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd

import clvmodel as clv
from clvmodel._files import write_together
from clvmodel.cli import _guard, main
from clvmodel.cli._plan import _check_plan_options, _names, _percentages
from clvmodel.errors import InputError
from clvmodel.io import _format_of, read_table
from clvmodel.models._contractual import ContractualModel
from clvmodel.subscription_churn import (
    _labels_for,
    annual_to_period_rate,
    subscriber_price_plan,
)
from clvmodel.subscription_value import compare_retention_models, holdout_log_likelihood
from clvmodel.subscriptions import from_subscription_table, screen_subscription_table

_PERIOD_CHOICE = click.Choice(["M", "W", "Y"])
_PERIOD_NAMES = {"M": "months", "W": "weeks", "Y": "years"}
_PERIODS_PER_YEAR = {"M": 12, "W": 52, "Y": 1}
_MODELS = {"sbg": clv.ShiftedBetaGeoModel, "bdw": clv.BetaDiscreteWeibullModel}


# --------------------------------------------------------------------------------------------------
# Shared pieces
def _table_options(function):
    """--customer-col, --start-col, --end-col, --observation-end and --rejects."""
    options = [
        click.option("--customer-col", default="customer_id", show_default=True,
                     help="Subscriber-id column of INPUT."),
        click.option("--start-col", default="start", show_default=True,
                     help="Start-date column."),
        click.option("--end-col", default="end", show_default=True,
                     help="Cancellation-date column, empty while the subscription runs."),
        click.option("--observation-end", default=None,
                     help="Date up to which cancellations are known, YYYY-MM-DD [default: the "
                     "latest start or end date in INPUT]."),
        click.option("--rejects", default=None,
                     help="Where to list rejected rows with a reason each [OUTPUT.rejects.csv]."),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


def _rejects_path(output: str, rejects: str | None) -> Path:
    if rejects:
        return Path(rejects)
    target = Path(output)
    return target.with_name(target.stem + ".rejects.csv")


def _check_outputs(output: str, rejects_path: Path, inputs: dict, suffixes) -> None:
    if Path(output).suffix.lower() not in suffixes:
        raise InputError(f"-o/--output {output}: give a file ending in {' or '.join(suffixes)}.")
    if rejects_path.suffix.lower() != ".csv":
        raise InputError(f"--rejects {rejects_path}: the rejects file is a CSV; end it in .csv.")
    outputs = {"-o/--output": output, "--rejects": str(rejects_path)}
    _guard.check_output_folders(outputs)
    _guard.refuse_overwrite(outputs, inputs)


def _has_columns(frame: pd.DataFrame, path: str, wanted: dict) -> None:
    """Every column named in ``wanted`` (flag → column) exists, else one line naming the flag."""
    for flag, column in wanted.items():
        if column not in frame.columns:
            raise InputError(
                f"{path} has no column {column!r} ({flag}); its columns are "
                f"{list(map(str, frame.columns))}. Name the right column with {flag}."
            )


def _is_numeric(raw: pd.Series) -> bool:
    given = raw.notna() & (raw.astype(str).str.strip() != "")
    return bool(pd.to_numeric(raw[given], errors="coerce").notna().all())


def _reject_levels(accepted, rejects, levels, customer_col, positions):
    """Move rows of ``accepted`` whose value in a categorical column is empty, or not one of the
    levels the model was fitted on (``levels``: column → list, or None for any), to ``rejects``."""
    for column, known in levels.items():
        text = accepted[column].astype(str).str.strip()
        blank = (accepted[column].isna() | (text == "")).to_numpy()
        unknown = ~blank & (~text.isin(known).to_numpy() if known is not None else False)
        for mask, reason in (
            (blank, f"{column} is missing"),
            (unknown, f"{column} is not one of the fitted levels {known}"),
        ):
            if np.any(mask):
                extra = pd.DataFrame(
                    {
                        "row": positions[accepted.index[mask]].to_numpy() + 1,
                        customer_col: accepted[customer_col].to_numpy()[mask],
                        "reason": reason,
                    }
                )
                rejects = pd.concat([rejects, extra], ignore_index=True)
        accepted = accepted.loc[~(blank | unknown)]
    return accepted, rejects.sort_values("row", kind="stable").reset_index(drop=True)


def _read_subscribers(frame, path, options, *, numeric=(), levels=None, indicators=None):
    """Screen INPUT (read into ``frame``): (accepted table, rejects, observation end, rows read).

    ``numeric`` columns must hold numbers (the first, a price, ≥ 0); categorical columns (the keys
    of ``levels``) must hold one of their levels (any when None); ``indicators`` maps indicator
    names ("plan=premium") to (column, level) and adds them as 0/1 columns.
    """
    customer_col, start_col, end_col = (options["customer_col"], options["start_col"],
                                        options["end_col"])  # fmt: skip
    wanted = {"--customer-col": customer_col, "--start-col": start_col, "--end-col": end_col}
    _has_columns(frame, path, wanted)
    frame = frame.reset_index(drop=True)
    accepted, rejects, end = screen_subscription_table(
        frame, customer_col, start_col, end_col, options["observation_end"], numeric_cols=numeric
    )
    positions = pd.Series(np.arange(len(frame)), index=frame.index)
    accepted, rejects = _reject_levels(accepted, rejects, levels or {}, customer_col, positions)
    for name, (column, level) in (indicators or {}).items():
        accepted = accepted.assign(**{name: (accepted[column].astype(str).str.strip() == level)
                                      .astype("float64")})  # fmt: skip
    if accepted.empty:
        common = rejects["reason"].value_counts().head(3)
        shown = "; ".join(f"{n:,} × {reason}" for reason, n in common.items())
        raise InputError(
            f"no usable subscriber in {path}: all {len(frame):,} row(s) rejected ({shown}). "
            "Check --customer-col, --start-col, --end-col and --observation-end."
        )
    return accepted, rejects, end, len(frame)


def _subscriber_rows(accepted, options, end, period, keep):
    rows = from_subscription_table(
        accepted, customer_col=options["customer_col"], start_col=options["start_col"],
        end_col=options["end_col"], observation_end=end, period=period, keep=keep,
    )  # fmt: skip
    return rows


def _table_writer(frame: pd.DataFrame, path) -> callable:
    if _format_of(Path(path)) == "csv":
        return lambda tmp: frame.to_csv(tmp, index=True)
    return lambda tmp: frame.to_parquet(
        tmp, index=True, coerce_timestamps="us", allow_truncated_timestamps=True
    )


def _rejects_writer(rejects: pd.DataFrame):
    return lambda tmp: rejects.to_csv(tmp, index=False)


def _load_contractual(path: str, billing_period: str | None) -> ContractualModel:
    model = clv.load(path)
    if not isinstance(model, ContractualModel):
        raise InputError(
            f"MODEL {path} holds a {type(model).__name__}, not a subscription model; fit one with "
            "`clvmodel subscriptions fit`."
        )
    recorded = getattr(model, "period_", None)
    if recorded is None and billing_period is None:
        raise InputError(
            f"MODEL {path} does not record its billing period; pass --billing-period M, W or Y "
            "(the period it was fitted in)."
        )
    if recorded is not None and billing_period is not None and billing_period != recorded:
        raise InputError(
            f"--billing-period {billing_period} contradicts MODEL {path}, fitted in "
            f"{_PERIOD_NAMES[recorded]} ({recorded}); leave --billing-period out."
        )
    model.period_ = model.time_unit_ = recorded or billing_period
    return model


def _model_columns(model: ContractualModel, frame_columns) -> tuple[list, list, dict]:
    """The model's covariates as INPUT columns: numeric columns, categorical columns and the
    indicators ("plan=premium" → ("plan", "premium")) to rebuild."""
    names = list(dict.fromkeys([*model.alpha_covariates, *model.beta_covariates]))
    numeric, categorical, indicators = [], [], {}
    for name in names:
        if name in frame_columns:
            numeric.append(name)
        elif "=" in name and name.split("=", 1)[0] in frame_columns:
            column, level = name.split("=", 1)
            indicators[name] = (column, level)
            categorical.append(column)
        else:
            raise InputError(
                f"INPUT has no column {name.split('=', 1)[0]!r}, which the model's covariate "
                f"{name!r} needs; its columns are {list(map(str, frame_columns))}."
            )
    return numeric, list(dict.fromkeys(categorical)), indicators


def _horizon(value: int | None, period: str) -> int:
    if value is None:
        return _PERIODS_PER_YEAR[period]
    if value < 1:
        raise InputError(
            f"--horizon {value} is not a number of renewals ≥ 1 (billing periods); for a year of "
            f"{_PERIOD_NAMES[period]} use --horizon {_PERIODS_PER_YEAR[period]}."
        )
    return value


def _rates(discount_rate: float, margin: float, period: str) -> float:
    _guard.check_fraction("--discount-rate", discount_rate)
    _guard.check_fraction("--margin", margin, positive=True)
    return annual_to_period_rate(discount_rate, period)


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
    type=_PERIOD_CHOICE,
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
    help="Attribute columns (comma-separated) that shift α and β, e.g. plan,channel; "
    "text columns become 0/1 indicators of each level but the first.",
)
@_table_options
def fit_command(input_path, output, billing_period, model_name, holdout_periods, covariates,
                **options):  # fmt: skip
    """Fit a subscription retention model on a subscription table INPUT (CSV or Parquet).

    INPUT has one row per subscriber: --customer-col, --start-col, --end-col (empty while
    active) and any --covariates. Periods are whole billing periods from each start date;
    subscribers who started at different dates fit together.
    """
    started = time.perf_counter()
    rejects_path = _rejects_path(output, options.pop("rejects"))
    _check_outputs(output, rejects_path, {"INPUT": input_path}, (".json",))
    if holdout_periods is not None and model_name != "auto":
        raise InputError("--holdout-periods only applies to --model auto; leave it out.")
    if holdout_periods is not None and holdout_periods < 1:
        raise InputError(f"--holdout-periods {holdout_periods} must be a whole number ≥ 1.")
    names = _names(covariates) or []
    raw = read_table(input_path)
    for name in names:
        _has_columns(raw, input_path, {"--covariates": name})
    numeric = [n for n in names if _is_numeric(raw[n])]
    categorical = [n for n in names if n not in numeric]
    indicators, levels = {}, {}
    for column in categorical:
        levels[column] = sorted(set(raw[column].dropna().astype(str).str.strip()) - {""})
        if len(levels[column]) < 2:
            raise InputError(f"--covariates {column}: the column has {len(levels[column])} "
                             "level(s); a covariate needs at least two.")  # fmt: skip
        first, *others = levels[column]
        indicators.update({f"{column}={level}": (column, level) for level in others})
    accepted, rejects, end, n_read = _read_subscribers(
        raw,
        input_path,
        options,
        numeric=numeric,
        levels=dict.fromkeys(categorical),
        indicators=indicators,
    )
    keep = [*numeric, *indicators]
    rows = _subscriber_rows(accepted, options, end, billing_period, keep)

    def make(name):
        return _MODELS[name](alpha_covariates=keep, beta_covariates=keep)

    if model_name == "auto":
        model = _choose(accepted, rows, options, end, billing_period, holdout_periods, keep, make)
    else:
        model = make(model_name).fit(rows)
    document = model.to_dict()
    if levels:
        # The levels of text covariates (the first is the baseline), so that `score` and `plan`
        # can refuse levels the model never saw instead of treating them as the baseline.
        document["covariate_levels"] = levels
    write_together([
        (output, lambda tmp: tmp.write_text(json.dumps(document, indent=2) + "\n", "utf-8")),
        (rejects_path, _rejects_writer(rejects)),
    ])  # fmt: skip
    cancelled = int(rows["cancelled"].sum())
    click.echo(
        f"subscribers: {n_read:,} read = {len(rows):,} fitted + {len(rejects):,} rejected "
        f"(reasons in {rejects_path}); of those fitted {len(rows) - cancelled:,} active, "
        f"{cancelled:,} cancelled, observed to {end.date()} in {_PERIOD_NAMES[billing_period]}"
    )
    click.echo(f"\n{model.label} ({type(model).__name__}), log-likelihood "
               f"{model.log_likelihood_:,.2f}:")  # fmt: skip
    click.echo(model.summary.round(6).to_string())
    click.echo(f"\nwrote {output} in {time.perf_counter() - started:.1f} s")


def _choose(accepted, rows, options, end, period, holdout_periods, keep, make):
    """Fit sBG and BdW; rank by holdout log-likelihood (with ``holdout_periods``) or BIC, print
    the table and return the winner fitted on all rows."""
    if holdout_periods is None:
        result = compare_retention_models(rows, models=(make("sbg"), make("bdw")))
        table = result.table[["model", "n_params", "log_likelihood", "bic"]]
        click.echo("model chosen by BIC (lower is better):")
        click.echo(table.round(2).to_string(index=False))
        return result.best
    step = {"M": pd.DateOffset(months=holdout_periods), "Y": pd.DateOffset(years=holdout_periods),
            "W": pd.Timedelta(weeks=holdout_periods)}[period]  # fmt: skip
    calibration_end = end - step
    early = accepted[accepted[options["start_col"]] <= calibration_end]
    if early.empty:
        raise InputError(
            f"--holdout-periods {holdout_periods}: no subscriber started by "
            f"{calibration_end.date()}, the end of calibration; use fewer holdout periods."
        )
    calibration = _subscriber_rows(early, options, calibration_end, period, keep)
    later = rows.loc[calibration.index]
    records = {}
    for name in ("sbg", "bdw"):
        model = make(name).fit(calibration)
        score, n = holdout_log_likelihood(model, calibration, later)
        k = len(model.param_names)
        records[name] = {"model": model.label, "n_params": k,
                         "log_likelihood": model.log_likelihood_,
                         "bic": k * math.log(len(calibration)) - 2 * model.log_likelihood_,
                         "holdout_log_likelihood": score, "holdout_subscribers": n}  # fmt: skip
    table = pd.DataFrame(records.values(), index=list(records)).sort_values(
        "holdout_log_likelihood", ascending=False, kind="stable"
    )
    click.echo(
        f"model chosen by holdout log-likelihood (higher is better): fitted to "
        f"{calibration_end.date()}, judged on {holdout_periods} later {_PERIOD_NAMES[period]}:"
    )
    click.echo(table.round(2).to_string(index=False))
    return make(table.index[0]).fit(rows)


# --------------------------------------------------------------------------------------------------
def _scoring_options(function):
    options = [
        click.option("--billing-period", type=_PERIOD_CHOICE, default=None,
                     help="Billing period, if MODEL does not record one."),
        click.option("--price-col", default="price", show_default=True,
                     help="Price-per-billing-period column of INPUT."),
        click.option("--horizon", type=int, default=None,
                     help="Churn risk = P(cancel within the next HORIZON renewals), in billing "
                     "periods [default: one year: 12, 52 or 1]."),
        click.option("--discount-rate", type=float, default=0.1, show_default=True,
                     help="ANNUAL discount rate as a FRACTION (0.1 = 10 %), converted to the "
                     "billing period."),
        click.option("--margin", type=float, default=1.0, show_default=True,
                     help="Share of the price kept as profit, a FRACTION above 0 and at most 1."),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


def _prepare_scoring(model_path, input_path, output, options, suffixes):
    rejects_path = _rejects_path(output, options.pop("rejects"))
    inputs = {"MODEL": model_path, "INPUT": input_path}
    _check_outputs(output, rejects_path, inputs, suffixes)
    model = _load_contractual(model_path, options.pop("billing_period"))
    period = model.period_
    horizon = _horizon(options.pop("horizon"), period)
    d = _rates(options.pop("discount_rate"), options["margin"], period)
    price_col = options.pop("price_col")
    frame = read_table(input_path)
    _has_columns(frame, input_path, {"--price-col": price_col})
    numeric, categorical, indicators = _model_columns(model, frame.columns)
    recorded = json.loads(Path(model_path).read_text(encoding="utf-8")).get("covariate_levels")
    levels = {c: (recorded or {}).get(c) for c in categorical}
    accepted, rejects, end, n_read = _read_subscribers(
        frame, input_path, options, numeric=[price_col, *numeric], levels=levels,
        indicators=indicators,
    )  # fmt: skip
    keep = list(dict.fromkeys([price_col, *numeric, *indicators]))
    rows = _subscriber_rows(accepted, options, end, period, keep)
    return model, rows, rejects, rejects_path, n_read, end, horizon, d, price_col


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
@_scoring_options
@_table_options
def score_command(model_path, input_path, output, **options):
    """Score every subscriber of INPUT with a model from `clvmodel subscriptions fit`.

    Per subscriber: periods paid for, cancelled (0/1), price, probability_cancel within
    --horizon renewals, derl (discounted expected payments still to come, the next one
    undiscounted) and residual_value = price × margin × DERL; 0 for the cancelled.
    """
    started = time.perf_counter()
    margin = options["margin"]
    model, rows, rejects, rejects_path, n_read, end, horizon, d, price_col = _prepare_scoring(
        model_path, input_path, output, options, (".csv", ".parquet", ".pq")
    )
    scores = rows[["periods", "cancelled"]].copy()
    scores["price"] = rows[price_col].to_numpy(dtype="float64")
    scores["probability_cancel"] = model.probability_cancel(rows, horizon).to_numpy()
    scores["derl"] = model.discounted_expected_residual_lifetime(rows, d).to_numpy()
    if not np.isfinite(scores["derl"]).all():
        raise InputError(
            "--discount-rate 0 gives an infinite residual value with this model (its expected "
            "lifetime is infinite); give a discount rate above 0, e.g. --discount-rate 0.1."
        )
    scores["residual_value"] = scores["price"] * margin * scores["derl"]
    write_together([(output, _table_writer(scores, output)),
                    (rejects_path, _rejects_writer(rejects))])  # fmt: skip
    active = int((scores["cancelled"] == 0).sum())
    click.echo(
        f"subscribers: {n_read:,} read = {len(scores):,} scored + {len(rejects):,} rejected "
        f"(reasons in {rejects_path}); {active:,} active, {len(scores) - active:,} cancelled "
        f"(value 0), observed to {end.date()}"
    )
    click.echo(
        f"{model.label}, billing period {model.period_}: churn risk within {horizon} "
        f"{_PERIOD_NAMES[model.period_]}, discount {100 * d:.4g} % per period; total residual "
        f"value {scores['residual_value'].sum():,.2f}"
    )
    click.echo(f"wrote {output} in {time.perf_counter() - started:.1f} s")


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
    "--increases",
    default="5,2.5,0",
    show_default=True,
    help="Price increases in PERCENT, one per tier from the lowest risk to the highest.",
)
@click.option(
    "--tiers",
    default=None,
    help="Tier labels from the lowest risk to the highest, comma-separated.",
)
@click.option(
    "--thresholds",
    default=None,
    help="Churn-risk cut points in PERCENT [default: 50,80 for three tiers].",
)
@click.option(
    "--quantiles",
    default=None,
    help="Cut tiers at these percentiles of churn risk instead, in PERCENT.",
)
@click.option(
    "--stage-wait",
    type=click.FloatRange(min=0),
    default=None,
    help="Weeks between the starts of consecutive stages.",
)
@click.option("--start", default=None, help="Start date of stage 1, YYYY-MM-DD.")
@_scoring_options
@_table_options
def plan_command(model_path, input_path, output, increases, tiers, thresholds, quantiles,
                 stage_wait, start, **options):  # fmt: skip
    """Stage a price increase for the active subscribers of INPUT by churn-risk tier.

    Churn risk = P(cancel within --horizon renewals | tenure); the value at stake per stage is the
    residual CLV (price × margin × DERL); the lowest-risk tier gets the first and largest
    increase. Prints per stage the subscribers, mean risk, residual value, extra revenue if nobody
    extra cancels and the break-even extra churn i/(m+i).
    """
    started = time.perf_counter()
    steps = _percentages("--increases", increases, "5,2.5,0", low_open=False)
    cut_points = _percentages("--thresholds", thresholds, "50,80", low_open=True)
    shares = _percentages("--quantiles", quantiles, "33.3,66.7", low_open=True)
    labels = _names(tiers) or list(_labels_for(len(steps)))
    _check_plan_options(steps, labels, cut_points, shares)
    margin = options["margin"]
    model, rows, rejects, rejects_path, n_read, end, horizon, d, price_col = _prepare_scoring(
        model_path, input_path, output, options, (".csv", ".parquet", ".pq")
    )
    result = subscriber_price_plan(
        model, rows, horizon, steps, price=price_col, margin=margin, discount_rate=d,
        tiers=labels, thresholds=cut_points, quantiles=shares, stage_wait=stage_wait,
        start=start,
    )  # fmt: skip
    assignments = result.assignments
    write_together([(output, _table_writer(assignments, output)),
                    (rejects_path, _rejects_writer(rejects))])  # fmt: skip
    cancelled = len(rows) - len(assignments)
    click.echo(
        f"subscribers: {n_read:,} read = {len(assignments):,} planned + {cancelled:,} already "
        f"cancelled + {len(rejects):,} rejected (reasons in {rejects_path}); observed to "
        f"{end.date()}"
    )
    click.echo(str(result))
    click.echo(f"\nwrote {output} in {time.perf_counter() - started:.1f} s")
