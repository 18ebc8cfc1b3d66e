"""The work of ``clvmodel subscriptions fit``: a subscription table screened batch by batch into
distinct rows with counts; the model (sBG, BdW, or the better by BIC or by holdout) fitted and
written."""

from __future__ import annotations

import json
import math
import time

import click
import numpy as np
import pandas as pd

from clvmodel._files import write_together
from clvmodel._subscription_stream import (
    DistinctRows,
    RejectsSpool,
    table_columns,
)
from clvmodel.cli._plan import parse_names
from clvmodel.cli._subscriptions_common import (
    MODELS,
    PERIOD_NAMES,
    SubscriptionTable,
    check_outputs,
    has_columns,
    rejects_file_path,
    subscriber_rows,
)
from clvmodel.errors import InputError
from clvmodel.subscription_value import holdout_log_likelihood


def fit_subscription_table(input_path, output, billing_period, model_name, holdout_periods,
                           covariates, **options):  # fmt: skip
    """Fit the model ``clvmodel subscriptions fit`` asks for and write it (see that command)."""
    started = time.perf_counter()
    batch_size = options.pop("batch_size")
    rejects_path = rejects_file_path(output, options.pop("rejects"))
    check_outputs(output, rejects_path, {"INPUT": input_path}, (".json",))
    if holdout_periods is not None and model_name != "auto":
        raise InputError("--holdout-periods only applies to --model auto; leave it out.")
    if holdout_periods is not None and holdout_periods < 1:
        raise InputError(f"--holdout-periods {holdout_periods} must be a whole number ≥ 1.")
    names = parse_names(covariates) or []
    columns = table_columns(input_path) if names else []
    for name in names:
        has_columns(columns, input_path, {"--covariates": name})
    table = SubscriptionTable(input_path, options, batch_size, extra=names)
    numeric, categorical, indicators, levels = _covariate_columns(table, names)
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
        screen = {"numeric": numeric, "levels": dict.fromkeys(categorical),
                  "indicators": indicators}  # fmt: skip
        ends = (end, calibration_end, billing_period)
        distinct, paired, early = _distinct_rows(table, spool, screen, options, ends, keep)
        table.check_usable(spool)
        subscribers, counts = distinct.table()
        subscribers.attrs["period"] = billing_period

        def make(name):
            return MODELS[name](alpha_covariates=keep, beta_covariates=keep)

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
        _write_model(model, levels, output, rejects_path, spool)
    finally:
        spool.discard()
    fitted = int(counts.sum())
    cancelled = int(counts[subscribers["cancelled"].to_numpy() == 1].sum())
    click.echo(
        f"subscribers: {table.survey.rows:,} read = {fitted:,} fitted + {spool.count:,} rejected "
        f"(reasons in {rejects_path}); of those fitted {fitted - cancelled:,} active, "
        f"{cancelled:,} cancelled, observed to {end.date()} in {PERIOD_NAMES[billing_period]}"
    )
    click.echo(f"\n{model.label} ({type(model).__name__}), log-likelihood "
               f"{model.log_likelihood_:,.2f}:")  # fmt: skip
    click.echo(model.summary.round(6).to_string())
    click.echo(f"\nwrote {output} in {time.perf_counter() - started:.1f} s")


def _covariate_columns(table, names):
    """The --covariates as numeric columns, categorical columns, their indicators
    ("plan=premium" → ("plan", "premium"), the first level the baseline) and their levels."""
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
    return numeric, categorical, indicators, levels


def _distinct_rows(table, spool, screen, options, ends, keep):
    """INPUT screened batch by batch into distinct subscriber rows with counts; with a
    calibration end also the distinct (calibration, later) pairs of those who started by then,
    and how many did."""
    end, calibration_end, billing_period = ends
    distinct, paired, early = DistinctRows(), DistinctRows(), 0
    for accepted in table.screened(spool, **screen):
        rows = subscriber_rows(accepted, options, end, billing_period, keep)
        distinct.add(rows[["periods", "cancelled", *keep]].reset_index(drop=True))
        if calibration_end is None:
            continue
        started_early = accepted[accepted[options["start_col"]] <= calibration_end]
        early += len(started_early)
        calibration = subscriber_rows(started_early, options, calibration_end,
                                       billing_period, keep)  # fmt: skip
        later = rows.loc[calibration.index]
        pairs = calibration[["periods", "cancelled", *keep]].assign(
            later_periods=later["periods"].to_numpy(),
            later_cancelled=later["cancelled"].to_numpy(),
        )
        paired.add(pairs.reset_index(drop=True))
    return distinct, paired, early


def _write_model(model, levels, output, rejects_path, spool) -> None:
    """The model file and the rejects file, together."""
    if levels:
        # The levels of text covariates (the first is the baseline), so that `score` and
        # `plan` can refuse levels the model never saw instead of treating them as the
        # baseline; saved in the file and kept by load and save.
        model.covariate_levels_ = levels
    document = model.to_dict()
    write_together([
        (output, lambda tmp: tmp.write_text(json.dumps(document, indent=2) + "\n", "utf-8")),
        (rejects_path, spool.move_to),
    ])  # fmt: skip


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
        f"{calibration_end.date()}, judged on {holdout_periods} later {PERIOD_NAMES[period]}:"
    )
    click.echo(table.round(2).to_string(index=False))
    return table.index[0]
