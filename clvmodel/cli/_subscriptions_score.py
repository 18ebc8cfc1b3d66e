"""The work shared by ``clvmodel subscriptions score`` and ``plan``: the model loaded and checked,
its covariates matched to INPUT, the horizon and discount rate, INPUT ready to stream."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

import clvmodel as clv
from clvmodel._subscription_stream import table_columns
from clvmodel.cli import _guard
from clvmodel.cli._options import (
    DISCOUNT_RATE,
    DISCOUNT_RATE_HELP,
    FRACTION_HELP,
    MARGIN,
    RenewalsParam,
    renewals,
)
from clvmodel.cli._subscriptions_common import (
    PERIOD_CHOICE,
    PERIOD_NAMES,
    PERIODS_PER_YEAR,
    SubscriptionTable,
    check_outputs,
    has_columns,
    rejects_file_path,
    subscriber_rows,
)
from clvmodel.errors import InputError
from clvmodel.models._contractual import ContractualModel
from clvmodel.models._interval_draws import COVARIANCE_PROBLEMS, covariance_problem
from clvmodel.models._persistence import describe_model_file
from clvmodel.subscription_churn import annual_to_period_rate


def _load_contractual(path: str, billing_period: str | None) -> ContractualModel:
    described = describe_model_file(path)
    if described is not None and not described[0].startswith("a subscription model"):
        raise InputError(
            f"MODEL {path} is {described[0]}, not a subscription model: "
            f"{_guard.command_taking(described[0])}; fit a subscription model with `clvmodel "
            "subscriptions fit`."
        )
    model = clv.load(path)
    if not isinstance(model, ContractualModel):  # not reached: described above
        raise InputError(f"MODEL {path} is not a subscription model; fit one with `clvmodel "
                         "subscriptions fit`.")  # fmt: skip
    _check_interval(path, model)
    recorded = getattr(model, "period_", None)
    if recorded is None and billing_period is None:
        raise InputError(
            f"MODEL {path} does not record its billing period; pass --billing-period M, W or Y "
            "(the period it was fitted in)."
        )
    if recorded is not None and billing_period is not None and billing_period != recorded:
        raise InputError(
            f"--billing-period {billing_period} contradicts MODEL {path}, fitted in "
            f"{PERIOD_NAMES[recorded]} ({recorded}); leave --billing-period out."
        )
    model.period_ = model.time_unit_ = recorded or billing_period
    return model


def _check_interval(path: str, model: ContractualModel) -> None:
    """Refuse, before any work, an --interval (of `subscriptions score`) that MODEL cannot give."""
    interval = click.get_current_context().params.get("interval")
    problem = None if interval is None else covariance_problem(model)
    if problem is not None:
        advice = (
            ", whose file stores the covariance"
            if problem == "missing"
            else " on more subscribers or periods, or with the other --model (sbg or bdw)"
        )
        raise InputError(
            f"--interval needs the uncertainty of the parameters, which MODEL {path} cannot "
            f"give: it {COVARIANCE_PROBLEMS[problem]}. Refit it with `clvmodel subscriptions "
            f"fit`{advice}, or leave --interval out."
        )


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


def _recorded_levels(model, path, categorical) -> dict[str, list[str]]:
    """The fitted levels of each text column behind the model's indicator covariates: without
    them a level the model never saw would be scored as the baseline, so a file that does not
    record them is refused."""
    recorded = getattr(model, "covariate_levels_", None) or {}
    missing = [column for column in categorical if column not in recorded]
    if missing:
        raise InputError(
            f"MODEL {path} has covariates of the text column(s) {missing} (e.g. "
            f"'{missing[0]}=...') but does not record their levels, so a level it never saw "
            "cannot be told from its baseline; refit it with `clvmodel subscriptions fit "
            "--covariates`, which records them."
        )
    return {column: recorded[column] for column in categorical}


def _horizon(value, period: str) -> int:
    if value is None:
        return PERIODS_PER_YEAR[period]
    value = renewals(value, period, PERIOD_NAMES[period])
    if value < 1:
        raise InputError(
            f"--horizon {value} is not a number of renewals ≥ 1 (billing periods); for a year of "
            f"{PERIOD_NAMES[period]} use --horizon {PERIODS_PER_YEAR[period]}."
        )
    return value


def _rates(discount_rate: float, margin: float, period: str) -> float:
    # Both were checked by their option types (0 <= rate < 1, 0 < margin <= 1).
    return annual_to_period_rate(discount_rate, period)


def scoring_options(function):
    options = [
        click.option("--billing-period", type=PERIOD_CHOICE, default=None,
                     help="Billing period, if MODEL does not record one."),
        click.option("--price-col", default="price", show_default=True,
                     help="Price-per-billing-period column of INPUT."),
        click.option("--horizon", type=RenewalsParam(), default=None,
                     help="Churn risk = P(cancel within the next HORIZON renewals): a whole "
                     "number of billing periods, or a duration that is one, such as 1Y or 12M "
                     "[default: one year: 12, 52 or 1]."),
        click.option("--discount-rate", type=DISCOUNT_RATE, default=0.1, show_default=True,
                     help=f"{DISCOUNT_RATE_HELP} Converted to the billing period."),
        click.option("--margin", type=MARGIN, default=1.0, show_default=True,
                     help=f"Share of the price kept as profit: {FRACTION_HELP}, above 0 and at "
                     "most 1."),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


@dataclass
class Scoring:
    """What `score` and `plan` share: the model, its settings and INPUT ready to stream."""

    model: ContractualModel
    table: SubscriptionTable
    rejects_path: Path
    horizon: int
    discount: float
    price_col: str
    screen: dict
    keep: list

    def subscriber_batches(self, spool, options):
        """Per-subscriber rows (periods, cancelled, price, covariates) batch by batch."""
        for accepted in self.table.screened(spool, **self.screen):
            yield subscriber_rows(accepted, options, self.table.end, self.model.period_,
                                   self.keep)  # fmt: skip


def prepare_scoring(model_path, input_path, output, options, suffixes) -> Scoring:
    batch_size = options.pop("batch_size")
    rejects_path = rejects_file_path(output, options.pop("rejects"))
    inputs = {"MODEL": model_path, "INPUT": input_path}
    check_outputs(output, rejects_path, inputs, suffixes)
    model = _load_contractual(model_path, options.pop("billing_period"))
    period = model.period_
    horizon = _horizon(options.pop("horizon"), period)
    d = _rates(options.pop("discount_rate"), options["margin"], period)
    price_col = options.pop("price_col")
    columns = table_columns(input_path)
    has_columns(columns, input_path, {"--price-col": price_col})
    numeric, categorical, indicators = _model_columns(model, columns)
    levels = _recorded_levels(model, model_path, categorical)
    # Prices and numeric covariates written "$9.99" or "1,234", and prices that are true/false,
    # are refused for the whole column (as amounts of transaction logs are), not rejected row by
    # row or read as the prices 1 and 0.
    covariates = {c: f"column {c!r} (a covariate of MODEL)" for c in [*numeric, *categorical]}
    amounts = {price_col: f"--price-col {price_col}"}
    amounts.update({c: covariates[c] for c in numeric if c != price_col})
    table = SubscriptionTable(input_path, options, batch_size, amounts=amounts,
                              prices=(price_col,))  # fmt: skip
    table.column_flags.update({**covariates, price_col: "--price-col"})
    # The price must be ≥ 0; numeric covariates may be any finite number.
    screen = {"numeric": list(dict.fromkeys([price_col, *numeric])), "nonnegative": [price_col],
              "levels": levels, "indicators": indicators}  # fmt: skip
    keep = list(dict.fromkeys([price_col, *numeric, *indicators]))
    return Scoring(model, table, rejects_path, horizon, d, price_col, screen, keep)
