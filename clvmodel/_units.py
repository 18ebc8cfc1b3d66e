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
from typing import NamedTuple

from clvmodel.errors import InputError

__all__ = [
    "DAYS_PER_YEAR",
    "MAX_HORIZON_DAYS",
    "PERIOD_DAYS",
    "Duration",
    "check_fraction",
    "parse_duration",
    "parse_fraction",
]

DAYS_PER_YEAR = 365.25
#: Length in days of the periods a duration can be written in.
PERIOD_DAYS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": DAYS_PER_YEAR / 12.0, "Y": DAYS_PER_YEAR}
UNIT_NAMES = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}
#: The longest horizon accepted anywhere: 100 years.
MAX_HORIZON_DAYS = 100 * DAYS_PER_YEAR

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([DWMYdwmy])\s*$")


class Duration(NamedTuple):
    """A number of periods of a unit ("D", "W", "M" or "Y")."""

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
        return f"{self.value:g}{self.unit}"


def check_unit(unit, name: str = "unit") -> str:
    """``unit`` if it is one of "D", "W", "M", "Y" (upper-cased), else a clear error."""
    text = unit.upper() if isinstance(unit, str) else unit
    if text not in PERIOD_DAYS:
        raise InputError(
            f"{name}={unit!r} is not a period; use one of D, W, M, Y (days, weeks, months, years)."
        )
    return text


def parse_duration(
    value,
    *,
    name: str = "horizon",
    default_unit: str | None = None,
    allow_zero: bool = False,
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
    elif (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        and not hasattr(value, "__float__")
    ):
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
    name: str, value, low: float = 0.0, high: float = 1.0, *, high_open: bool = False
) -> float:
    """``value`` as a float if it is a finite fraction in [low, high] (or [low, high)).

    Examples
    --------
    >>> check_fraction("margin", 0.3)
    0.3
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}.") from None
    in_range = low <= number < high if high_open else low <= number <= high
    if not (math.isfinite(number) and in_range):
        upper = f"below {high:g}" if high_open else f"at most {high:g}"
        raise InputError(
            f"{name} must be a fraction of at least {low:g} and {upper} (0.05 = 5 %), "
            f"got {value!r}."
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
