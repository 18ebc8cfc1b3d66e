"""One vocabulary for time: units, durations ("12M", "39W") and rates, shared by the API and CLI.

Two different things carry a unit in clvmodel, and they are kept apart by name:

- the model's ``time_unit`` ("D" or "W"): the unit ``recency`` and ``T`` are measured in, fixed
  when an RFM table is built and recorded by the fitted model;
- a *duration* (a horizon, a window, a wait): a number of periods with its own unit, written
  ``"12M"``, ``"39W"``, ``"90D"`` or ``"2Y"`` in Python and on the command line alike. A month is a
  twelfth of a Julian year (365.25 / 12 days), a year 365.25 days.

Rates and shares (discount rates, margins, price increases, risk thresholds) are fractions
everywhere (0.05 = 5 %); text inputs may write them with a percent sign ("5%").
"""

from __future__ import annotations

import math
import re
import warnings
from typing import NamedTuple

from clvmodel.errors import InputError

__all__ = [
    "DAYS_PER_YEAR",
    "MAX_HORIZON_DAYS",
    "MAX_VALUE_STEPS",
    "PERIOD_DAYS",
    "Duration",
    "carries_unit",
    "check_discount_rate",
    "check_fraction",
    "check_margin",
    "check_number",
    "convert_periods",
    "deprecated_time_unit",
    "model_unit",
    "per_period_rate",
    "period_days",
    "parse_duration",
    "parse_fraction",
    "value_horizon",
]

DAYS_PER_YEAR = 365.25
#: Length in days of the periods a duration can be written in.
PERIOD_DAYS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": DAYS_PER_YEAR / 12.0, "Y": DAYS_PER_YEAR}
UNIT_NAMES = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}
#: The longest horizon accepted anywhere: 100 years.
MAX_HORIZON_DAYS = 100 * DAYS_PER_YEAR

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([DWMYdwmy])\s*$")


class Duration(NamedTuple):
    """A horizon, window or wait: a number of periods of a unit.

    Every argument that takes a duration also takes its text form, ``"12M"``, ``"39W"``,
    ``"90D"`` or ``"2Y"``; a month is a twelfth of 365.25 days, a year 365.25 days.

    Parameters
    ----------
    value : float
        How many periods.
    unit : {"D", "W", "M", "Y"}
        Days, weeks, months or years.

    Examples
    --------
    >>> import clvmodel as clv
    >>> twelve_months = clv.Duration(12, "M")
    >>> str(twelve_months), round(twelve_months.to("W"), 2)
    ('12M', 52.18)
    """

    value: float
    unit: str

    @property
    def days(self) -> float:
        """The duration in days."""
        return self.value * PERIOD_DAYS[self.unit]

    def to(self, unit: str) -> float:
        """The duration as a number of periods of ``unit``."""
        return self.days / PERIOD_DAYS[check_unit(unit)]

    def __str__(self) -> str:
        text = repr(float(self.value))  # the shortest that reads back the same ("%g": 6 digits)
        return f"{text.removesuffix('.0')}{self.unit}"

    @property
    def words(self) -> str:
        """The duration in words: "24 months", "1 year", "1.5 years"."""
        name = UNIT_NAMES[self.unit]
        return f"{self.value:g} {name.removesuffix('s') if self.value == 1 else name}"


def check_unit(unit, name: str = "unit") -> str:
    """``unit`` if it is one of "D", "W", "M", "Y" (upper-cased), else a clear error."""
    text = unit.upper() if isinstance(unit, str) else unit
    if text not in PERIOD_DAYS:
        raise InputError(
            f"{name}={unit!r} is not a period; use one of D, W, M, Y (days, weeks, months, years)."
        )
    return text


def parse_duration(
    value, *, name: str = "horizon", default_unit: str | None = None, allow_zero: bool = False
) -> Duration:
    """Read a duration written ``"12M"``, ``"39W"``, ``"90D"``, ``"2Y"`` (or a :class:`Duration`).

    Parameters
    ----------
    value : str, float or Duration
        The duration. A bare number is read in ``default_unit``.
    name : str
        The argument or option name used in error messages (``"horizon"``, ``"--horizon"``).
    default_unit : {"D", "W", "M", "Y"}, optional
        Unit of a bare number; without it a bare number is refused.
    allow_zero : bool
        Accept a zero duration (a wait); horizons must be above 0.

    Returns
    -------
    Duration

    Raises
    ------
    InputError
        For anything but a finite duration above 0 (or 0 with ``allow_zero``) and at most 100
        years, naming ``name`` and showing how to write one.

    Examples
    --------
    >>> parse_duration("12M")
    Duration(value=12.0, unit='M')
    >>> parse_duration(39, default_unit="W").to("M")  # doctest: +ELLIPSIS
    8.96...
    """
    if isinstance(value, Duration):
        duration = Duration(float(value.value), check_unit(value.unit, name))
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            try:
                number = float(value)
            except ValueError:
                number = None
            if number is None or default_unit is None:
                raise InputError(
                    f"{name}={value!r} is not a duration; write a number and a unit, e.g. "
                    "12M (months), 39W (weeks), 90D (days) or 2Y (years)."
                )
            duration = Duration(number, check_unit(default_unit))
        else:
            duration = Duration(float(match.group(1)), match.group(2).upper())
    elif isinstance(value, bool) or not hasattr(value, "__float__"):  # int and float have it
        raise InputError(
            f"{name}={value!r} is not a duration; write e.g. '12M', '39W', '90D' or '2Y'."
        )
    else:
        if default_unit is None:
            raise InputError(
                f"{name}={value!r} has no unit; write e.g. '{float(value):g}M' (months) or "
                f"'{float(value):g}W' (weeks)."
            )
        duration = Duration(float(value), check_unit(default_unit))
    low_ok = duration.value >= 0 if allow_zero else duration.value > 0
    if not (math.isfinite(duration.value) and low_ok and duration.days <= MAX_HORIZON_DAYS):
        bound = "at least 0" if allow_zero else "above 0"
        raise InputError(f"{name}={value!r} must be {bound} and at most 100 years.")
    return duration


def check_fraction(
    name: str, value, low: float = 0.0, high: float = 1.0, *, high_open=False, low_open=False
) -> float:
    """``value`` as a float if it is a finite fraction in [low, high] (``low_open``/``high_open``
    exclude an end).

    Examples
    --------
    >>> check_fraction("margin", 0.3)
    0.3
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}.") from None
    above_low = low < number if low_open else low <= number
    below_high = number < high if high_open else number <= high
    if not (math.isfinite(number) and above_low and below_high):
        lower = f"{low:g} (excluded)" if low_open else f"{low:g}"
        upper = f"{high:g} (excluded)" if high_open else f"{high:g}"
        raise InputError(
            f"{name} must be between {lower} and {upper}, a fraction (0.05 = 5 %); got {value!r}."
        )
    return number


def parse_fraction(text: str, name: str) -> float:
    """A fraction written ``"0.05"`` or ``"5%"`` (text inputs: CLI options, config files).

    Examples
    --------
    >>> parse_fraction("5%", "--increases"), parse_fraction("0.025", "--increases")
    (0.05, 0.025)
    """
    stripped = str(text).strip()
    percent = stripped.endswith("%")
    try:
        number = float(stripped[:-1] if percent else stripped)
    except ValueError:
        raise InputError(
            f"{name}: {text!r} is not a number; write a fraction (0.05) or a percentage (5%)."
        ) from None
    return number / 100.0 if percent else number


# --------------------------------------------------------------------------------------------------
# The value period of customer_lifetime_value, score_customers, churn_risk and the unit economics
#: The longest discounting schedule: one factor per period of the value.
MAX_VALUE_STEPS = 5000


def check_number(name: str, value, low: float = -math.inf, high: float = math.inf) -> float:
    """``value`` as a float if it is a finite number in [low, high] (an amount, a time), not text.

    Examples
    --------
    >>> check_number("acquisition_cost", 12)
    12.0
    """
    try:
        if isinstance(value, (str, bytes)) or type(value).__name__ in ("bool", "bool_"):
            raise TypeError  # "5" or True is a mistake, not the amount 5 or 1
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}.") from None
    if not math.isfinite(number):
        raise InputError(f"{name} must be finite, got {value!r}.")
    if not low <= number <= high:
        bound = f"≥ {low:g}" if high == math.inf else f"between {low:g} and {high:g}"
        raise InputError(f"{name} must be {bound}, got {value!r}.")
    return number


def check_discount_rate(value, name: str = "discount_rate") -> float:
    """An annual discount rate: a fraction 0 <= d < 1 (0.1 for 10 % a year)."""
    return check_fraction(name, value, 0.0, 1.0, high_open=True)


def check_margin(value, name: str = "margin") -> float:
    """A profit margin: a fraction 0 < m <= 1 (1 counts revenue)."""
    return check_fraction(name, value, 0.0, 1.0, low_open=True)


def period_days(unit, name: str = "time_unit") -> float:
    """Days in one period of ``unit`` ("D", "W", "M" or "Y"), or a clear error naming ``name``."""
    text = unit.upper() if isinstance(unit, str) else unit
    if text not in PERIOD_DAYS:
        raise InputError(
            f"{name}={unit!r} is not supported as a period; use one of D, W, M, Y (days, weeks, "
            "months, years), or give the horizon with its unit, e.g. horizon='12M'."
        )
    return PERIOD_DAYS[text]


def model_unit(model, fallback=None) -> str:
    """The time unit ("D" or "W") a purchase model measures recency and T in.

    ``fallback`` (the deprecated ``time_unit=`` of a value function) is used only for a model that
    does not record its unit, and only if it is "D" or "W".
    """
    unit = getattr(model, "time_unit_", None)
    if unit is not None:
        return unit
    if fallback not in ("D", "W"):
        raise InputError(
            "the model does not record its time unit (the unit of recency and T it was fitted "
            "on); fit it with one, model.fit(rfm, time_unit='W') (or 'D'), or build it with one, "
            f"{type(model).__name__}.from_params(params, time_unit='W')."
        )
    return fallback


def convert_periods(amount, period: str, unit: str):
    """``amount`` periods of ``period`` as periods of ``unit`` (numbers or arrays)."""
    return amount * PERIOD_DAYS[period] / PERIOD_DAYS[unit]


def per_period_rate(annual_rate: float, period: str) -> float:
    """The discount rate of one period of ``period`` equivalent to ``annual_rate`` a year."""
    return (1.0 + annual_rate) ** (PERIOD_DAYS[period] / DAYS_PER_YEAR) - 1.0


def carries_unit(value) -> bool:
    """Whether a horizon is written with its unit (``"12M"``, ``Duration(12, "M")``)."""
    if isinstance(value, Duration):
        return True
    return isinstance(value, str) and value.strip()[-1:].upper() in PERIOD_DAYS


def deprecated_time_unit(time_unit, horizon, *, name: str = "horizon", stacklevel: int = 3):
    """Check the deprecated value-period argument ``time_unit=`` and warn that it is deprecated.

    Returns the unit (upper-cased), or None when it was not given. ``stacklevel`` is counted from
    this function: 3 points at the caller of the public function that calls it.
    """
    if time_unit is None:
        return None
    period_days(time_unit)  # refuses anything but D, W, M, Y, naming time_unit
    unit = time_unit.upper()
    try:
        shown = f"{float(horizon):g}{unit}"
    except (TypeError, ValueError):
        shown = f"<number>{unit}"
    warnings.warn(
        f"time_unit= is deprecated for the value period; pass {name}='{shown}' (a duration with "
        "its unit) instead of time_unit=.",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
    return unit


def value_horizon(
    horizon,
    period: str | None = None,
    *,
    default_unit: str,
    name: str = "horizon",
    max_steps: int | None = None,
) -> Duration:
    """A value horizon as a :class:`Duration` whose unit is the value period.

    Parameters
    ----------
    horizon : str, float or Duration
        ``"12M"``/``Duration(12, "M")`` (the unit is the period), or a bare number of periods.
    period : {"D", "W", "M", "Y"}, optional
        The period of a bare number given by the deprecated ``time_unit=``; refused beside a
        horizon that carries its own unit.
    default_unit : {"D", "W", "M", "Y"}
        The period of a bare number otherwise (each function's documented default).
    name : str
        The argument name for error messages.
    max_steps : int, optional
        Refuse horizons of more periods (one discounting step each).

    Returns
    -------
    Duration

    Examples
    --------
    >>> value_horizon("12M", default_unit="W")
    Duration(value=12.0, unit='M')
    >>> value_horizon(39, default_unit="W")
    Duration(value=39.0, unit='W')
    """
    if carries_unit(horizon):
        if period is not None:
            raise InputError(
                f"{name}={str(horizon)!r} already carries its unit; drop time_unit={period!r}."
            )
        number, unit = parse_duration(horizon, name=name)
    else:
        unit = period or default_unit
        try:
            number = math.nan if isinstance(horizon, bool) else float(horizon)
        except (TypeError, ValueError):
            if isinstance(horizon, str):
                parse_duration(horizon, name=name)  # raises, showing how to write a duration
            number = None
        if number is None or isinstance(horizon, bool):
            shown = repr(horizon)  # but not a whole Series
            if len(shown) > 40 and hasattr(horizon, "__len__") and not isinstance(horizon, str):
                shown = f"a {type(horizon).__name__} of {len(horizon)}"
            raise InputError(
                f"{name}={shown} is not a number or a duration (one for every customer); write "
                f"e.g. 12 ({UNIT_NAMES.get(unit, unit)}) or a duration such as '12M' or '39W'."
            )
    if max_steps is not None and math.isfinite(number) and math.ceil(number - 1e-12) > max_steps:
        raise InputError(
            f"a {name} of {number:g} periods of {unit!r} means {math.ceil(number - 1e-12)} "
            f"discounting steps (at most {max_steps}); count in a longer period: months or "
            f"years, e.g. {name}='24M' or '2Y'."
        )
    if not (
        math.isfinite(number) and 0 < number and number * PERIOD_DAYS[unit] <= MAX_HORIZON_DAYS
    ):
        raise InputError(
            f"{name} must be > 0 and at most 100 years"
            + (f" ({MAX_HORIZON_DAYS / PERIOD_DAYS[unit]:g} {UNIT_NAMES[unit]})" * (unit != "Y"))
            + f", got {horizon!r}."
        )
    return Duration(number, unit)
