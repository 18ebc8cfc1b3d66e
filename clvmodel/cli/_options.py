"""Option types every command shares, on top of :mod:`clvmodel._units`: durations ("12M", "39W"),
fractions ("0.1", "10%") and lists of them, with one deprecation line for the old bare forms.

A bare number where a duration is expected keeps the command's old unit for one release; a bare
list of increases or cut points with a value of 1 or more keeps its old meaning (percentages).
Each prints one ``clvmodel: ...`` line on stderr saying how to write it instead, once the command
has succeeded (a failed command prints only its error line).
"""

from __future__ import annotations

import math

import click

from clvmodel._units import MAX_HORIZON_DAYS, PERIOD_DAYS, UNIT_NAMES, Duration, parse_fraction
from clvmodel.errors import InputError

#: How every --help says what a duration and a fraction look like.
DURATION_HELP = "a duration such as 12M or 39W"
FRACTION_HELP = "a fraction (0.1 = 10 %) or a percentage (10%)"
FRACTIONS_HELP = "fractions (0.05 = 5 %) or percentages (5%), comma-separated"
_DURATION_FORMS = (
    "write a number and a unit, e.g. 12M (months), 39W (weeks), 90D (days) or 2Y (years)"
)


_PENDING = "clvmodel.deprecations"


def deprecation(message: str) -> None:
    """One ``clvmodel: ...`` line on stderr about a form that a future release will refuse.

    Inside a command the line waits for the command to succeed (:func:`flush_deprecations`): a
    command that fails prints its one error line and nothing else.
    """
    _after_success(f"clvmodel: {message}")


def note(message: str) -> None:
    """One ``note: ...`` line on stderr, printed as :func:`deprecation` prints its lines."""
    _after_success(f"note: {message}")


def _after_success(line: str) -> None:
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        click.echo(line, err=True)
        return
    pending = ctx.find_root().meta.setdefault(_PENDING, [])
    if line not in pending:
        pending.append(line)


def flush_deprecations(ctx: click.Context) -> None:
    """Print the deprecation and note lines the command gathered, once each."""
    for line in ctx.find_root().meta.pop(_PENDING, []):
        click.echo(line, err=True)


def periods(duration: Duration, unit: str) -> float:
    """``duration`` as a number of ``unit`` periods, a whole number when it is one up to rounding
    (1Y is exactly 12 months, not 12.000000000000002)."""
    value = duration.to(unit)
    nearest = round(value)
    return float(nearest) if abs(value - nearest) <= 1e-9 * max(1.0, abs(value)) else value


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def check_duration(flag: str, shown: str, duration: Duration, *, allow_zero: bool = False):
    """``duration`` if it is above 0 (or 0 with ``allow_zero``) and at most 100 years, else an
    :class:`InputError` naming ``flag`` as typed (``shown``)."""
    value = duration.value
    low_ok = value >= 0 if allow_zero else value > 0
    if math.isfinite(value) and low_ok and duration.days <= MAX_HORIZON_DAYS:
        return duration
    name = UNIT_NAMES[duration.unit]
    longest = MAX_HORIZON_DAYS / PERIOD_DAYS[duration.unit]
    what = "a wait of at least 0" if allow_zero else "a horizon above 0"
    raise InputError(f"{flag} {shown} is not {what} and at most 100 years ({longest:g} {name}).")


def read_duration(flag: str, text: str, unit: str | None):
    """``text`` as a :class:`Duration` when it has a unit; a bare number as a float (``unit``
    None) or a :class:`Duration` in ``unit``, and whether it was bare."""
    stripped = str(text).strip()
    number = _number(stripped)
    if number is not None:
        return (number if unit is None else Duration(number, unit)), True
    suffix = stripped[-1:].upper()
    value = _number(stripped[:-1].strip()) if suffix in PERIOD_DAYS else None
    if value is None:
        raise InputError(f"{flag} {stripped} is not a duration; {_DURATION_FORMS}.")
    return Duration(value, suffix), False


class DurationParam(click.ParamType):
    """A duration option: "12M", "39W", "90D", "2Y"; a bare number is read in ``default_unit``
    (deprecated, one line on stderr). With ``unit_option`` (the old --horizon-unit) a bare number
    is returned as a float for :func:`with_unit_option` to read."""

    name = "duration"

    def __init__(self, default_unit, option_name, *, allow_zero=False, unit_option=None):
        self.default_unit = default_unit
        self.option_name = option_name
        self.allow_zero = allow_zero
        self.unit_option = unit_option

    def get_metavar(self, param, ctx=None):
        return "DURATION"

    def convert(self, value, param, ctx):
        if isinstance(value, Duration) or value is None:
            return value
        flag, text = self.option_name, str(value).strip()
        if self.unit_option is not None:
            duration, bare = read_duration(flag, text, None)
            if bare:
                return duration
        else:
            duration, bare = read_duration(flag, text, self.default_unit)
        shown = f"{duration.value:g} ({UNIT_NAMES[duration.unit]})" if bare else text
        check_duration(flag, shown, duration, allow_zero=self.allow_zero)
        if bare:
            bare_line(flag, duration)
        return duration


def bare_line(flag: str, duration: Duration) -> None:
    written = f"{duration.value:g}{duration.unit}"
    deprecation(
        f"{flag} {duration.value:g} has no unit; read as {written} as before. Write {flag} "
        f"{written} (bare numbers will be refused in a future release)."
    )


def with_unit_option(flag, horizon, unit, default_unit, *, unit_flag="--horizon-unit"):
    """The duration of ``flag`` given with the deprecated ``unit_flag`` (one line on stderr).

    ``horizon`` comes from a :class:`DurationParam` with ``unit_option``: a Duration, a bare
    float, or None (not given and no default). A bare number with neither unit reads in
    ``default_unit``.
    """
    if unit is None:
        if isinstance(horizon, float):
            duration = Duration(horizon, default_unit)
            check_duration(flag, f"{horizon:g} ({UNIT_NAMES[default_unit]})", duration)
            bare_line(flag, duration)
            return duration
        return horizon
    if horizon is None:
        return None
    ctx = click.get_current_context()
    source = ctx.get_parameter_source(flag.lstrip("-").replace("-", "_"))
    if isinstance(horizon, Duration) and source is not click.core.ParameterSource.DEFAULT:
        if horizon.unit != unit:
            raise InputError(
                f"{flag} {horizon} already has its unit; {unit_flag} {unit} contradicts it. "
                f"Leave out {unit_flag}."
            )
        deprecation(
            f"{unit_flag} is deprecated; {flag} {horizon} says its unit. Leave out {unit_flag} "
            "(it will be refused in a future release)."
        )
        return horizon
    value = horizon.value if isinstance(horizon, Duration) else horizon
    duration = Duration(value, unit)
    check_duration(flag, f"{value:g} ({UNIT_NAMES[unit]})", duration)
    deprecation(
        f"{unit_flag} is deprecated; read {flag} {value:g} {unit_flag} {unit} as {flag} "
        f"{duration} as before. Write {flag} {duration} (it will be refused in a future release)."
    )
    return duration


# ----------------------------------------------------------------------------------------------
# Fractions: discount rates, margins, increases, risk cut points


def horizon_options(what: str, default: str | None, example: str, *, model_unit: bool = False):
    """``--horizon`` (a duration; ``what`` opens its help) and the deprecated ``--horizon-unit``
    as one decorator; with ``model_unit`` a bare number is read in the model's unit, not months."""
    bare, shown = ("the model's unit", " [the model's]") if model_unit else ("months", "")
    horizon = click.option(
        "--horizon",
        type=DurationParam(None if model_unit else "M", "--horizon", unit_option="--horizon-unit"),
        default=default,
        show_default=default is not None,
        help=f"{what}: {DURATION_HELP}, above 0 and at most 100 years{shown} (a bare number is "
        f"read in {bare}, deprecated).",
    )
    deprecated = f"Deprecated: write the unit in --horizon (--horizon {example})."
    unit = click.option("--horizon-unit", type=click.Choice(list("DWMY")), help=deprecated)
    return lambda command: horizon(unit(command))


class FractionParam(click.ParamType):
    """One fraction, "0.1" or "10%", in [low, high] with open ends as asked."""

    name = "fraction"

    def __init__(self, option_name, *, low_open=False, high_open=False, example="10 % is 0.1"):
        self.option_name = option_name
        self.low_open = low_open
        self.high_open = high_open
        self.example = example

    def get_metavar(self, param, ctx=None):
        return "FRACTION"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, float) and in_range(value, self):
            return value
        text = str(value).strip()
        number = parse_fraction(text, self.option_name)
        if not in_range(number, self):
            raise InputError(
                f"{self.option_name} {text} is not a fraction {bounds(self)}; {self.example}."
            )
        return number


def in_range(number: float, kind) -> bool:
    low_ok = number > 0 if kind.low_open else number >= 0
    high_ok = number < 1 if kind.high_open else number <= 1
    return math.isfinite(number) and low_ok and high_ok


def bounds(kind) -> str:
    """The range of a fraction in words, the same for the same quantity everywhere."""
    if kind.low_open and kind.high_open:
        return "strictly between 0 and 1"
    if kind.low_open:
        return "above 0 and at most 1"
    if kind.high_open:
        return "between 0 and 1 (1 excluded)"
    return "between 0 and 1"


#: The option types every command shares: 0 <= d < 1, 0 < m <= 1, 0 < interval level < 1.
DISCOUNT_RATE = FractionParam("--discount-rate", high_open=True, example="10 % a year is 0.1")
MARGIN = FractionParam("--margin", low_open=True, example="a 30 % margin is 0.3")
INTERVAL = FractionParam("--interval", low_open=True, high_open=True,
                         example="a 90 % interval is --interval 0.9")  # fmt: skip
DISCOUNT_RATE_HELP = f"Annual discount rate, {FRACTION_HELP}, at least 0 and below 1."
MARGIN_HELP = f"Profit margin, {FRACTION_HELP}, above 0 and at most 1 (1 = revenue)."


class FractionListParam(click.ParamType):
    """Comma-separated fractions ("0.05,0.025,0") or percentages ("5%,2.5%,0"). A list without a
    percent sign and with a value of 1 or more is the old percentage form: read so for one
    release, with one deprecation line."""

    name = "fractions"

    def __init__(self, option_name, example, *, low_open=False, high_open=True):
        self.option_name = option_name
        self.example = example
        self.low_open = low_open
        self.high_open = high_open

    def get_metavar(self, param, ctx=None):
        return "LIST"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, list):
            return value
        flag, text = self.option_name, str(value)
        tokens = [token.strip() for token in text.split(",")]
        numbers = [parse_fraction(token, flag) for token in tokens]
        old = not any(token.endswith("%") for token in tokens) and any(n >= 1 for n in numbers)
        if old:
            numbers = [n / 100.0 for n in numbers]
        for token, number in zip(tokens, numbers, strict=True):
            if not in_range(number, self):
                read = f" (read as {token} %)" if old else ""
                raise InputError(
                    f"{flag}: {token}{read} is out of range; each must be a fraction "
                    f"{bounds(self)} or a percentage, e.g. {flag} {self.example}."
                )
        if old:
            written = shown_fractions(numbers)
            fractions = ",".join(f"{n:g}" for n in numbers)
            deprecation(
                f"{flag} {text} has no % sign; read as percentages as before; write {written} "
                f"or {fractions} (bare percentages will be refused in a future release)."
            )
        elif not any(token.endswith("%") for token in tokens) and any(numbers):
            # Bare numbers below 1 were percentages before this release (0.5 meant 0.5 %): say
            # how they are read now, so that an old command is not silently reinterpreted.
            note(
                f"{flag} {text} is read as fractions: {shown_fractions(numbers)} (bare numbers "
                "were percentages before this release; write the % sign to silence this line)."
            )
        return numbers


def shown_fractions(values) -> str:
    """Fractions as the command line writes them: 5%,2.5%,0."""
    return ",".join(f"{100 * value:g}%" if value else "0" for value in values)


# ----------------------------------------------------------------------------------------------
# The value functions' period


# ----------------------------------------------------------------------------------------------
# The options of a staged price increase (plan, report, subscriptions plan)

INCREASES = FractionListParam("--increases", "5%,2.5%,0")
THRESHOLDS = FractionListParam("--thresholds", "50%,80%", low_open=True)
QUANTILES = FractionListParam("--quantiles", "33.3%,66.7%", low_open=True)
INCREASES_HELP = (
    f"Price increases, {FRACTIONS_HELP}: one per tier from the lowest risk to the highest, never "
    "larger for a higher-risk tier; each at least 0 and below 1 (a bare list with a value of 1 or "
    "more is read as percentages, deprecated)."
)
THRESHOLDS_HELP = (
    f"Churn-risk cut points between tiers, {FRACTIONS_HELP}, strictly between 0 and 1 "
    "[default: 50%,80% for three tiers]."
)
QUANTILES_HELP = (
    f"Cut tiers at these quantiles of churn risk instead, {FRACTIONS_HELP} (33.3%,66.7%)."
)


def stage_options(tiers_help: str, wait_example: str):
    """The options that draw the risk tiers and time the stages of a price plan (``plan`` and
    ``subscriptions plan``): --tiers, --thresholds, --quantiles, --stage-wait, --start."""
    options = [
        click.option("--tiers", default=None, help=tiers_help),
        click.option("--thresholds", type=THRESHOLDS, default=None, help=THRESHOLDS_HELP),
        click.option("--quantiles", type=QUANTILES, default=None, help=QUANTILES_HELP),
        click.option(
            "--stage-wait",
            type=DurationParam("W", "--stage-wait", allow_zero=True),
            default=None,
            help=f"Time between the starts of consecutive stages: {DURATION_HELP} (e.g. "
            f"{wait_example}; a bare number is read in weeks, deprecated).",
        ),
        click.option("--start", default=None, help="Start date of stage 1, YYYY-MM-DD."),
    ]

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


# ----------------------------------------------------------------------------------------------
# Subscriptions: a horizon counts renewals


class RenewalsParam(click.ParamType):
    """A number of renewals (billing periods), "12", or a duration, "1Y" or "12M", that
    :func:`renewals` turns into whole billing periods once the billing period is known."""

    name = "renewals"

    def get_metavar(self, param, ctx=None):
        return "RENEWALS"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, int | Duration):
            return value
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            pass
        duration, bare = read_duration("--horizon", text, None)
        if bare:
            raise InputError(
                f"--horizon {text} is not a whole number of renewals; write a whole number of "
                "billing periods (12) or a duration such as 1Y or 12M."
            )
        return check_duration("--horizon", text, duration)


def renewals(value, period: str, period_name: str) -> int:
    """``value`` (from :class:`RenewalsParam`) as a whole number of ``period`` billing periods."""
    if not isinstance(value, Duration):
        return value
    count = periods(value, period)
    if count != round(count) or count < 1:
        raise InputError(
            f"--horizon {value} is {count:.4g} billing periods ({period_name}), not a whole "
            f"number; write a whole number of renewals or a duration that is one (e.g. "
            f"{max(1, round(count))} or {max(1, round(count))}{period})."
        )
    return int(count)
