"""The work of ``clvmodel subscriptions fit``: a subscription table screened batch by batch into
distinct rows with counts; the model (sBG, BdW, or the better by BIC or by holdout) fitted and
written."""

from __future__ import annotations

import ast
import json
import math
import re
import time

import click
import numpy as np
import pandas as pd

from clvmodel._files import write_together
from clvmodel._subscription_dates import observed_until
from clvmodel._subscription_stream import (
    LEVEL_LIMIT,
    DistinctRows,
    RejectsSpool,
    number_cells,
    table_columns,
    too_many_levels,
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
    names = _covariate_names(covariates, input_path, options)
    table = SubscriptionTable(input_path, options, batch_size, extra=names)
    table.column_flags.update(dict.fromkeys(names, "--covariates"))
    numeric, categorical = _covariate_kinds(table, names)
    end = table.end
    calibration_end = None
    if holdout_periods is not None:
        step = {"M": pd.DateOffset(months=holdout_periods),
                "Y": pd.DateOffset(years=holdout_periods),
                "W": pd.Timedelta(weeks=holdout_periods)}[billing_period]  # fmt: skip
        calibration_end = end - step
    spool = RejectsSpool(rejects_path, options["customer_col"])
    try:
        # Text covariates are kept as codes of their values until every batch is screened: the
        # levels (and the baseline, the first) are those of the rows fitted, not of every row.
        screen = {"numeric": numeric, "levels": dict.fromkeys(categorical)}
        ends = (end, calibration_end, billing_period)
        codes = {column: {} for column in categorical}
        distinct, paired, early = _distinct_rows(table, spool, screen, options, ends, codes)
        table.check_usable(spool)
        levels, indicators = _levels(codes)
        keep = [*numeric, *indicators]
        subscribers, counts = distinct.table()
        _warn_of_rare_levels(subscribers, counts, codes)
        subscribers = _with_indicators(subscribers, codes, indicators)
        subscribers.attrs["period"] = billing_period

        def make(name):
            return MODELS[name](alpha_covariates=keep, beta_covariates=keep)

        def fit(name, rows, weights, context=""):
            try:
                return make(name).fit(rows, weights=weights)
            except InputError as exc:
                raise _in_cli_words(exc, indicators, context) from None

        if model_name != "auto":
            model = fit(model_name, subscribers, counts)
        elif calibration_end is None:
            model = _choose_by_bic(subscribers, counts, fit)
        else:
            if not early:
                raise InputError(
                    f"--holdout-periods {holdout_periods}: no subscriber started by "
                    f"{calibration_end.date()}, the end of calibration; use fewer holdout periods."
                )
            pairs, pair_counts = paired.table()
            best = _choose_by_holdout(_with_indicators(pairs, codes, indicators), pair_counts,
                                      keep, fit, holdout_periods, calibration_end,
                                      billing_period)  # fmt: skip
            model = fit(best, subscribers, counts)
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


def _covariate_names(covariates, input_path, options) -> list[str]:
    """The --covariates, each a column of INPUT other than the id and date columns."""
    names = parse_names(covariates) or []
    columns = table_columns(input_path) if names else []
    roles = {options["customer_col"]: "--customer-col", options["start_col"]: "--start-col",
             options["end_col"]: "--end-col"}  # fmt: skip
    for name in names:
        has_columns(columns, input_path, {"--covariates": name})
        if name in roles:
            raise InputError(
                f"--covariates {name}: {name!r} is the {roles[name]} column, not an attribute of "
                "the subscribers; name other columns in --covariates."
            )
    return names


def _covariate_kinds(table, names) -> tuple[list, list]:
    """The --covariates split into numeric and text columns.

    A column is numeric when most of its filled values are numbers, among the rows whose id and
    dates are accepted (the screening then rejects a row whose value is not a number, as it does
    a missing one); otherwise it is a text column, each value a level. Columns whose values are
    all numbers, or none is, are told by the survey; only a mixed one takes a pass over the
    accepted rows.
    """
    kinds = {name: table.survey.numeric[name] for name in names}
    mixed = [name for name in names if kinds[name] is None]
    if mixed:
        counts = {name: [0, 0] for name in mixed}  # numbers, filled values
        for values in table.accepted_values(mixed):
            for name in mixed:
                filled, numbers = number_cells(values[name])
                counts[name][0] += int(numbers.sum())
                counts[name][1] += int(filled.sum())
        kinds.update({name: 2 * n > filled for name, (n, filled) in counts.items()})
    for name in names:
        if not kinds[name] and table.survey.levels[name] is None:
            raise too_many_levels(name)
    return [n for n in names if kinds[n]], [n for n in names if not kinds[n]]


def _levels(codes) -> tuple[dict, dict]:
    """The sorted levels of each text covariate among the rows fitted, and the indicators
    ("plan=premium" → ("plan", "premium"), the first level the baseline)."""
    levels, indicators = {}, {}
    for column, seen in codes.items():
        levels[column] = sorted(seen)
        if len(levels[column]) < 2:
            raise InputError(
                f"--covariates {column}: every subscriber fitted has the same {column} "
                f"({', '.join(map(repr, levels[column]))}); a text covariate needs at least two "
                "levels among them, so leave it out of --covariates."
            )
        first, *others = levels[column]
        indicators.update({f"{column}={level}": (column, level) for level in others})
    return levels, indicators


#: Fewest subscribers a level of a text covariate needs for its effects not to be warned about.
MIN_LEVEL_SUBSCRIBERS = 10


def _warn_of_rare_levels(subscribers, counts, codes) -> None:
    """A ``warning:`` line per text covariate with levels of fewer than
    :data:`MIN_LEVEL_SUBSCRIBERS` subscribers fitted: their coefficients rest on a handful of
    subscribers (standard errors in the thousands, or a fit that does not converge)."""
    for column, seen in codes.items():
        per_code = np.bincount(subscribers[column].to_numpy().astype("int64"), weights=counts,
                               minlength=len(seen))  # fmt: skip
        level_of = {code: level for level, code in seen.items()}
        rare = [
            (level_of[c], int(n)) for c, n in enumerate(per_code) if 0 < n < MIN_LEVEL_SUBSCRIBERS
        ]
        if rare:
            shown = ", ".join(f"{level!r} ({n})" for level, n in sorted(rare)[:5])
            shown += ", ..." if len(rare) > 5 else ""
            click.echo(
                f"warning: --covariates {column} has {len(rare)} of {len(seen)} levels with fewer "
                f"than {MIN_LEVEL_SUBSCRIBERS} subscribers fitted ({shown}"
                "): their effects rest on so few subscribers that the fit may not converge or "
                "give them standard errors in the thousands; group rare levels (as 'other', say).",
                err=True,
            )


def _encode(accepted, codes):
    """``accepted`` with each text covariate's values replaced by their codes (numbered in order
    of first appearance, ``codes`` grown with the new ones)."""
    encoded = {}
    for column, seen in codes.items():
        text = accepted[column].astype(str).str.strip()
        for value in text.unique().tolist():
            seen.setdefault(value, len(seen))
        if len(seen) > LEVEL_LIMIT:
            raise too_many_levels(column)
        encoded[column] = text.map(seen).astype("float64")
    return accepted.assign(**encoded)


def _with_indicators(frame, codes, indicators):
    """Distinct rows with their text covariates' codes replaced by the 0/1 indicators."""
    added = {name: (frame[column].to_numpy() == codes[column][level]).astype("float64")
             for name, (column, level) in indicators.items()}  # fmt: skip
    # At once, not by assign: a column at a time fragments the frame (a pandas warning).
    added = pd.DataFrame(added, index=frame.index, columns=list(indicators))
    return pd.concat([frame.drop(columns=list(codes)), added], axis=1)


_DEPENDENT = re.compile(r"^\w+_covariates (\[.*?\]) are linearly dependent")
_CONSTANT = re.compile(r"^(?:\w+_covariates (\[.*?\]) take one value|covariate ('.*?'|\".*?\") "
                       r"is constant)")  # fmt: skip


def _in_cli_words(exc: InputError, indicators: dict, context: str) -> InputError:
    """A model's refusal of constant or linearly dependent covariates, worded for --covariates
    (the indicator columns it names are not something a command-line user can drop)."""
    message = str(exc)
    dependent, constant = _DEPENDENT.match(message), _CONSTANT.match(message)
    if not (dependent or constant):
        return exc
    if dependent:
        names = ast.literal_eval(dependent.group(1))
    else:
        names = ast.literal_eval(constant.group(1) or f"[{constant.group(2)}]")
    columns = list(dict.fromkeys(indicators.get(name, (name,))[0] for name in names))
    shown = ", ".join(columns)
    fitted = f"every subscriber fitted{context}"
    if dependent:
        return InputError(
            f"--covariates {shown}: a combination of these columns is the same for {fitted} "
            "(one repeats another, say, or the levels of one follow those of another), so their "
            "effects cannot be told apart; leave one of them out of --covariates."
        )
    levels = [indicators[name][1] for name in names if name in indicators]
    which = f" (its level {', '.join(map(repr, levels))}: all or none of them)" if levels else ""
    return InputError(
        f"--covariates {shown}: the column takes one value for {fitted}{which}, so its effect "
        "cannot be told apart from the base parameters; leave it out of --covariates."
    )


def _distinct_rows(table, spool, screen, options, ends, codes):
    """INPUT screened batch by batch into distinct subscriber rows with counts (text covariates
    as codes, see :func:`_encode`); with a calibration end also the distinct (calibration,
    later) pairs of those who started by then, and how many did."""
    end, calibration_end, billing_period = ends
    # observed_periods censors a cancellation in a period still running (ContractualModel.fit);
    # clipped to periods, which keeps that and as few distinct rows as without it.
    keep = ["observed_periods", *screen["numeric"], *codes]
    distinct, paired, early = DistinctRows(), DistinctRows(), 0
    for accepted in table.screened(spool, **screen):
        accepted = _encode(accepted, codes)
        rows = _clipped(subscriber_rows(accepted, options, end, billing_period, keep[1:]))
        distinct.add(rows[["periods", "cancelled", *keep]].reset_index(drop=True))
        if calibration_end is None:
            continue
        # Started by the end of calibration's last day (a start at 15:00 that day is observed
        # there, as from_subscription_table counts it).
        started_early = accepted[accepted[options["start_col"]] <= observed_until(calibration_end)]
        early += len(started_early)
        calibration = _clipped(subscriber_rows(started_early, options, calibration_end,
                                               billing_period, keep[1:]))  # fmt: skip
        later = rows.loc[calibration.index]
        pairs = calibration[["periods", "cancelled", *keep]].assign(
            later_periods=later["periods"].to_numpy(),
            later_cancelled=later["cancelled"].to_numpy(),
            later_observed_periods=later["observed_periods"].to_numpy(),
        )
        paired.add(pairs.reset_index(drop=True))
    return distinct, paired, early


def _clipped(rows):
    """``rows`` with ``observed_periods`` no larger than ``periods``: all the fit reads of it."""
    return rows.assign(observed_periods=np.minimum(rows["observed_periods"], rows["periods"]))


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


def _choose_by_bic(subscribers, counts, fit):
    """Fit sBG and BdW on the distinct rows, print the BIC table and return the better."""
    records, fitted = [], {}
    for name in ("sbg", "bdw"):
        model = fitted[name] = fit(name, subscribers, counts)
        k, ll = len(model.param_names), model.log_likelihood_
        records.append({"model": model.label, "n_params": k, "log_likelihood": ll,
                        "bic": k * math.log(counts.sum()) - 2.0 * ll, "name": name})  # fmt: skip
    table = pd.DataFrame(records).sort_values("bic", kind="stable").reset_index(drop=True)
    click.echo("model chosen by BIC (lower is better):")
    click.echo(
        table[["model", "n_params", "log_likelihood", "bic"]].round(2).to_string(index=False)
    )
    return fitted[table["name"].iloc[0]]


def _choose_by_holdout(paired, counts, keep, fit, holdout_periods, calibration_end, period):
    """Fit sBG and BdW on the calibration rows of ``paired`` (distinct calibration and later
    rows with counts), rank them by holdout log-likelihood and return the better one's name."""
    calibration = paired[["periods", "cancelled", "observed_periods", *keep]]
    later = paired[["later_periods", "later_cancelled", "later_observed_periods"]].set_axis(
        ["periods", "cancelled", "observed_periods"], axis=1
    )
    # Active at the end of calibration: not cancelled, or cancelled in a period still running
    # then (censored there, as the fit and holdout_log_likelihood count them).
    active = (calibration["cancelled"] == 0) | (
        calibration["periods"] > calibration["observed_periods"]
    )
    n = counts.sum()
    records, context = {}, f" to {calibration_end.date()} (the calibration of --holdout-periods)"
    for name in ("sbg", "bdw"):
        model = fit(name, calibration, counts, context)
        score, subscribers = 0.0, 0
        # holdout_log_likelihood sums over rows: one call per distinct count, scaled by it.
        for count in np.unique(counts):
            pick = counts == count
            if active.to_numpy()[pick].any():
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
