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

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
import pandas as pd

import clvmodel as clv
from clvmodel._files import write_together
from clvmodel._subscription_stream import (
    BATCH_ROWS,
    DistinctRows,
    RejectsSpool,
    read_batches,
    survey,
    table_columns,
)
from clvmodel.churn import default_tier_labels
from clvmodel.cli import _guard, main
from clvmodel.cli._plan import check_plan_options, parse_names, parse_percentages
from clvmodel.errors import InputError
from clvmodel.io import format_of
from clvmodel.models._contractual import ContractualModel
from clvmodel.subscription_churn import (
    annual_to_period_rate,
    subscriber_price_plan,
)
from clvmodel.subscription_value import holdout_log_likelihood
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
        click.option("--batch-size", type=click.IntRange(min=1), default=None,
                     help=f"Rows of INPUT read at a time [{BATCH_ROWS:,}]; memory grows with it."),
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


def _has_columns(columns, path: str, wanted: dict) -> None:
    """Every column named in ``wanted`` (flag → column) exists, else one line naming the flag."""
    for flag, column in wanted.items():
        if column not in columns:
            raise InputError(
                f"{path} has no column {column!r} ({flag}); its columns are "
                f"{list(map(str, columns))}. Name the right column with {flag}."
            )


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


class _Table:
    """INPUT read in batches (see :mod:`clvmodel._subscription_stream`): a first pass over the id,
    date and ``extra`` columns, then :meth:`screened` yields the accepted rows of each batch while
    the rejects go to the spool beside the rejects file."""

    def __init__(self, path, options, batch_size, *, extra=()):
        self.path, self.batch_size = path, batch_size
        self.customer_col, self.start_col, self.end_col = (
            options["customer_col"], options["start_col"], options["end_col"])  # fmt: skip
        self.columns = table_columns(path)
        wanted = {"--customer-col": self.customer_col, "--start-col": self.start_col,
                  "--end-col": self.end_col}  # fmt: skip
        _has_columns(self.columns, path, wanted)
        given = options["observation_end"]
        if given is not None:  # checked (and read) as the screening reads it
            blank = pd.DataFrame(columns=[self.customer_col, self.start_col, self.end_col])
            given = screen_subscription_table(blank, self.customer_col, self.start_col,
                                              self.end_col, given)[2]  # fmt: skip
        dates = (self.start_col, self.end_col) if given is None else ()
        self.survey = survey(path, self.customer_col, dates, extra, batch_size)
        if given is None:
            given = self.survey.latest
            given = pd.Timestamp("1970-01-01") if pd.isna(given) else given
        self.end = given
        self.accepted = 0

    def screened(self, spool, *, numeric=(), levels=None, indicators=None):
        """Per batch, the accepted rows (dates parsed, ``numeric`` columns as floats, the
        ``indicators`` added as 0/1 columns); rejects go to ``spool`` numbered in the table."""
        columns = [self.customer_col, self.start_col, self.end_col, *numeric, *(levels or {})]
        offset = 0
        for frame in read_batches(self.path, columns, self.batch_size):
            frame = frame.reset_index(drop=True)
            accepted, rejects, _ = screen_subscription_table(
                frame, self.customer_col, self.start_col, self.end_col, self.end,
                numeric_cols=numeric, id_counts=self.survey.id_counts,
            )  # fmt: skip
            positions = pd.Series(np.arange(len(frame)), index=frame.index)
            accepted, rejects = _reject_levels(accepted, rejects, levels or {}, self.customer_col,
                                               positions)  # fmt: skip
            for name, (column, level) in (indicators or {}).items():
                accepted = accepted.assign(**{name: (accepted[column].astype(str).str.strip()
                                                     == level).astype("float64")})  # fmt: skip
            spool.add(rejects, offset)
            offset += len(frame)
            self.accepted += len(accepted)
            if len(accepted):
                yield accepted

    def check_usable(self, spool) -> None:
        """One line when every row was rejected."""
        if self.accepted:
            return
        shown = "; ".join(f"{n:,} × {reason}" for reason, n in spool.reasons.most_common(3))
        raise InputError(
            f"no usable subscriber in {self.path}: all {self.survey.rows:,} row(s) rejected "
            f"({shown}). Check --customer-col, --start-col, --end-col and --observation-end."
        )


def _subscriber_rows(accepted, options, end, period, keep):
    rows = from_subscription_table(
        accepted, customer_col=options["customer_col"], start_col=options["start_col"],
        end_col=options["end_col"], observation_end=end, period=period, keep=keep,
    )  # fmt: skip
    return rows


def _table_writer(frame: pd.DataFrame, path) -> callable:
    if format_of(Path(path)) == "csv":
        return lambda tmp: frame.to_csv(tmp, index=True)
    return lambda tmp: frame.to_parquet(
        tmp, index=True, coerce_timestamps="us", allow_truncated_timestamps=True
    )


class _BatchWriter:
    """Scores appended batch by batch to a CSV (pandas, header once) or Parquet file (Arrow)."""

    def __init__(self, path: Path, output):
        self.path, self.csv = path, format_of(Path(output)) == "csv"
        self._handle = self._parquet = None

    def write(self, frame: pd.DataFrame) -> None:
        if self.csv:
            first = self._handle is None
            if first:
                self._handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            frame.to_csv(self._handle, index=True, header=first)
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=True)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.path, table.schema)
        self._parquet.write_table(table)

    def close(self) -> None:
        for handle in (self._handle, self._parquet):
            if handle is not None:
                handle.close()


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
    batch_size = options.pop("batch_size")
    rejects_path = _rejects_path(output, options.pop("rejects"))
    _check_outputs(output, rejects_path, {"INPUT": input_path}, (".json",))
    if holdout_periods is not None and model_name != "auto":
        raise InputError("--holdout-periods only applies to --model auto; leave it out.")
    if holdout_periods is not None and holdout_periods < 1:
        raise InputError(f"--holdout-periods {holdout_periods} must be a whole number ≥ 1.")
    names = parse_names(covariates) or []
    columns = table_columns(input_path) if names else []
    for name in names:
        _has_columns(columns, input_path, {"--covariates": name})
    table = _Table(input_path, options, batch_size, extra=names)
    numeric = [n for n in names if table.survey.numeric[n]]
    categorical = [n for n in names if n not in numeric]
    indicators, levels = {}, {}
    for column in categorical:
        levels[column] = table.survey.levels[column]
        if len(levels[column]) < 2:
            raise InputError(f"--covariates {column}: the column has {len(levels[column])} "
                             "level(s); a covariate needs at least two.")  # fmt: skip
        first, *others = levels[column]
        indicators.update({f"{column}={level}": (column, level) for level in others})
    keep = [*numeric, *indicators]
    end = table.end
    calibration_end = None
    if holdout_periods is not None:
        step = {"M": pd.DateOffset(months=holdout_periods),
                "Y": pd.DateOffset(years=holdout_periods),
                "W": pd.Timedelta(weeks=holdout_periods)}[billing_period]  # fmt: skip
        calibration_end = end - step
    spool = RejectsSpool(rejects_path, options["customer_col"])
    try:
        distinct, paired, early = DistinctRows(), DistinctRows(), 0
        screen = {"numeric": numeric, "levels": dict.fromkeys(categorical),
                  "indicators": indicators}  # fmt: skip
        for accepted in table.screened(spool, **screen):
            rows = _subscriber_rows(accepted, options, end, billing_period, keep)
            distinct.add(rows[["periods", "cancelled", *keep]].reset_index(drop=True))
            if calibration_end is not None:
                started_early = accepted[accepted[options["start_col"]] <= calibration_end]
                early += len(started_early)
                calibration = _subscriber_rows(started_early, options, calibration_end,
                                               billing_period, keep)  # fmt: skip
                later = rows.loc[calibration.index]
                pairs = calibration[["periods", "cancelled", *keep]].assign(
                    later_periods=later["periods"].to_numpy(),
                    later_cancelled=later["cancelled"].to_numpy(),
                )
                paired.add(pairs.reset_index(drop=True))
        table.check_usable(spool)
        subscribers, counts = distinct.table()
        subscribers.attrs["period"] = billing_period

        def make(name):
            return _MODELS[name](alpha_covariates=keep, beta_covariates=keep)

        if model_name != "auto":
            model = make(model_name).fit(subscribers, weights=counts)
        elif calibration_end is None:
            model = _choose_by_bic(subscribers, counts, make)
        else:
            if not early:
                raise InputError(
                    f"--holdout-periods {holdout_periods}: no subscriber started by "
                    f"{calibration_end.date()}, the end of calibration; use fewer holdout periods."
                )
            best = _choose_by_holdout(*paired.table(), keep, make, holdout_periods,
                                      calibration_end, billing_period)  # fmt: skip
            model = make(best).fit(subscribers, weights=counts)
        document = model.to_dict()
        if levels:
            # The levels of text covariates (the first is the baseline), so that `score` and
            # `plan` can refuse levels the model never saw instead of treating them as the
            # baseline.
            document["covariate_levels"] = levels
        write_together([
            (output, lambda tmp: tmp.write_text(json.dumps(document, indent=2) + "\n", "utf-8")),
            (rejects_path, spool.move_to),
        ])  # fmt: skip
    finally:
        spool.discard()
    fitted = int(counts.sum())
    cancelled = int(counts[subscribers["cancelled"].to_numpy() == 1].sum())
    click.echo(
        f"subscribers: {table.survey.rows:,} read = {fitted:,} fitted + {spool.count:,} rejected "
        f"(reasons in {rejects_path}); of those fitted {fitted - cancelled:,} active, "
        f"{cancelled:,} cancelled, observed to {end.date()} in {_PERIOD_NAMES[billing_period]}"
    )
    click.echo(f"\n{model.label} ({type(model).__name__}), log-likelihood "
               f"{model.log_likelihood_:,.2f}:")  # fmt: skip
    click.echo(model.summary.round(6).to_string())
    click.echo(f"\nwrote {output} in {time.perf_counter() - started:.1f} s")


def _choose_by_bic(subscribers, counts, make):
    """Fit sBG and BdW on the distinct rows, print the BIC table and return the better."""
    records, fitted = [], {}
    for name in ("sbg", "bdw"):
        model = fitted[name] = make(name).fit(subscribers, weights=counts)
        k, ll = len(model.param_names), model.log_likelihood_
        records.append({"model": model.label, "n_params": k, "log_likelihood": ll,
                        "bic": k * math.log(counts.sum()) - 2.0 * ll, "name": name})  # fmt: skip
    table = pd.DataFrame(records).sort_values("bic", kind="stable").reset_index(drop=True)
    click.echo("model chosen by BIC (lower is better):")
    click.echo(
        table[["model", "n_params", "log_likelihood", "bic"]].round(2).to_string(index=False)
    )
    return fitted[table["name"].iloc[0]]


def _choose_by_holdout(paired, counts, keep, make, holdout_periods, calibration_end, period):
    """Fit sBG and BdW on the calibration rows of ``paired`` (distinct calibration and later
    rows with counts), rank them by holdout log-likelihood and return the better one's name."""
    calibration = paired[["periods", "cancelled", *keep]]
    later = paired[["later_periods", "later_cancelled"]].set_axis(["periods", "cancelled"], axis=1)
    n = counts.sum()
    records = {}
    for name in ("sbg", "bdw"):
        model = make(name).fit(calibration, weights=counts)
        score, subscribers = 0.0, 0
        # holdout_log_likelihood sums over rows: one call per distinct count, scaled by it.
        for count in np.unique(counts):
            pick = counts == count
            if (calibration["cancelled"].to_numpy()[pick] == 0).any():
                ll, m = holdout_log_likelihood(model, calibration[pick], later[pick])
                score, subscribers = score + count * ll, subscribers + int(count) * m
        k = len(model.param_names)
        records[name] = {"model": model.label, "n_params": k,
                         "log_likelihood": model.log_likelihood_,
                         "bic": k * math.log(n) - 2 * model.log_likelihood_,
                         "holdout_log_likelihood": score,
                         "holdout_subscribers": subscribers}  # fmt: skip
    table = pd.DataFrame(records.values(), index=list(records)).sort_values(
        "holdout_log_likelihood", ascending=False, kind="stable"
    )
    click.echo(
        f"model chosen by holdout log-likelihood (higher is better): fitted to "
        f"{calibration_end.date()}, judged on {holdout_periods} later {_PERIOD_NAMES[period]}:"
    )
    click.echo(table.round(2).to_string(index=False))
    return table.index[0]


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


@dataclass
class _Scoring:
    """What `score` and `plan` share: the model, its settings and INPUT ready to stream."""

    model: ContractualModel
    table: _Table
    rejects_path: Path
    horizon: int
    discount: float
    price_col: str
    screen: dict
    keep: list

    def subscriber_batches(self, spool, options):
        """Per-subscriber rows (periods, cancelled, price, covariates) batch by batch."""
        for accepted in self.table.screened(spool, **self.screen):
            yield _subscriber_rows(accepted, options, self.table.end, self.model.period_,
                                   self.keep)  # fmt: skip


def _prepare_scoring(model_path, input_path, output, options, suffixes) -> _Scoring:
    batch_size = options.pop("batch_size")
    rejects_path = _rejects_path(output, options.pop("rejects"))
    inputs = {"MODEL": model_path, "INPUT": input_path}
    _check_outputs(output, rejects_path, inputs, suffixes)
    model = _load_contractual(model_path, options.pop("billing_period"))
    period = model.period_
    horizon = _horizon(options.pop("horizon"), period)
    d = _rates(options.pop("discount_rate"), options["margin"], period)
    price_col = options.pop("price_col")
    columns = table_columns(input_path)
    _has_columns(columns, input_path, {"--price-col": price_col})
    numeric, categorical, indicators = _model_columns(model, columns)
    recorded = json.loads(Path(model_path).read_text(encoding="utf-8")).get("covariate_levels")
    levels = {c: (recorded or {}).get(c) for c in categorical}
    table = _Table(input_path, options, batch_size)
    screen = {"numeric": [price_col, *numeric], "levels": levels, "indicators": indicators}
    keep = list(dict.fromkeys([price_col, *numeric, *indicators]))
    return _Scoring(model, table, rejects_path, horizon, d, price_col, screen, keep)


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
    job = _prepare_scoring(model_path, input_path, output, options, (".csv", ".parquet", ".pq"))
    model, table = job.model, job.table
    totals = {"scored": 0, "active": 0, "value": 0.0}

    def write(temporary: Path) -> None:
        writer = _BatchWriter(temporary, output)
        try:
            for rows in job.subscriber_batches(spool, options):
                scores = _scores(model, rows, job, margin)
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
        f"{_PERIOD_NAMES[model.period_]}, discount {100 * job.discount:.4g} % per period; total "
        f"residual value {totals['value']:,.2f}"
    )
    click.echo(f"wrote {output} in {time.perf_counter() - started:.1f} s")


def _scores(model, rows, job, margin) -> pd.DataFrame:
    """The output columns of `score` for one batch of subscriber rows."""
    scores = rows[["periods", "cancelled"]].copy()
    scores["price"] = rows[job.price_col].to_numpy(dtype="float64")
    scores["probability_cancel"] = model.probability_cancel(rows, job.horizon).to_numpy()
    scores["derl"] = model.discounted_expected_residual_lifetime(rows, job.discount).to_numpy()
    if not np.isfinite(scores["derl"]).all():
        raise InputError(
            "--discount-rate 0 gives an infinite residual value with this model (its expected "
            "lifetime is infinite); give a discount rate above 0, e.g. --discount-rate 0.1."
        )
    scores["residual_value"] = scores["price"] * margin * scores["derl"]
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
    steps = parse_percentages("--increases", increases, "5,2.5,0", low_open=False)
    cut_points = parse_percentages("--thresholds", thresholds, "50,80", low_open=True)
    shares = parse_percentages("--quantiles", quantiles, "33.3,66.7", low_open=True)
    labels = parse_names(tiers) or list(default_tier_labels(len(steps)))
    check_plan_options(steps, labels, cut_points, shares)
    margin = options["margin"]
    job = _prepare_scoring(model_path, input_path, output, options, (".csv", ".parquet", ".pq"))
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
        rows.attrs["period"] = job.model.period_
        del active
        result = subscriber_price_plan(
            job.model, rows, job.horizon, steps, price=job.price_col, margin=margin,
            discount_rate=job.discount, tiers=labels, thresholds=cut_points, quantiles=shares,
            stage_wait=stage_wait, start=start,
        )  # fmt: skip
        result.settings["cancelled_left_out"] = cancelled
        assignments = result.assignments
        write_together([(output, _table_writer(assignments, output)),
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
