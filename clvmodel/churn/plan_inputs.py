"""Checks of a price-increase plan's inputs: the increases per tier and the stage timing."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from clvmodel._reading import lacks_a_date_part, refuse_ambiguous_date
from clvmodel._units import carries_unit, parse_duration
from clvmodel.errors import InputError


def _increase_values(increases):
    """A numpy array of increases as a list (one-dimensional only); a pandas Series as a mapping
    tier → increase when its index names the tiers (texts), else as a list; anything else as
    given."""
    if isinstance(increases, pd.Series):
        named = len(increases) and all(isinstance(k, str) for k in increases.index)
        return increases.to_dict() if named else increases.tolist()
    if not isinstance(increases, np.ndarray):
        return increases
    if increases.ndim != 1:
        raise InputError(
            f"increases must be one-dimensional, one fraction per tier from the lowest risk to "
            f"the highest; got an array of shape {increases.shape}."
        )
    return increases.tolist()


def _check_increases(increases, labels: tuple[str, ...]) -> tuple[float, ...]:
    if isinstance(increases, Mapping):
        unknown = [k for k in increases if k not in labels]
        if unknown:
            raise InputError(
                f"increases names unknown tier(s) {unknown}; the tiers are {list(labels)}."
            )
        missing = [t for t in labels if t not in increases]
        if missing:
            raise InputError(
                f"increases has no entry for tier(s) {missing}; give one increase per tier "
                f"{list(labels)} (0.0 to leave a tier's prices alone)."
            )
        values = [increases[t] for t in labels]
    elif isinstance(increases, str) or not isinstance(increases, Sequence | np.ndarray):
        raise InputError(
            f"increases must be a sequence of fractions from the lowest-risk tier to the highest, "
            f"such as (0.05, 0.025, 0.0), or a mapping tier → fraction; got {increases!r}."
        )
    else:
        values = list(increases)
        if len(values) != len(labels):
            raise InputError(
                f"{len(values)} increase(s) {values} for {len(labels)} tiers {list(labels)}; "
                "give one increase per tier, from the lowest risk to the highest (or pass tiers= "
                "/ thresholds= with as many tiers as increases)."
            )
    try:
        numbers = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise InputError(f"increases must be numbers, got {values!r}.") from None
    for label, value in zip(labels, numbers, strict=True):
        if math.isnan(value):
            raise InputError(f"the increase for tier {label!r} is missing (NaN); give a number.")
        if not math.isfinite(value) or value < 0:
            raise InputError(
                f"the increase for tier {label!r} is {value!r}; increases must be ≥ 0 (a price "
                "cut is not a price increase)."
            )
        if value >= 1:
            raise InputError(
                f"the increase for tier {label!r} is {value:g}, i.e. {100 * value:g} %; increases "
                "are fractions below 1 (0.05 for 5 %)."
            )
    for k in range(1, len(numbers)):
        if numbers[k] > numbers[k - 1]:
            raise InputError(
                f"increases must not grow with risk: tier {labels[k]!r} would get "
                f"{100 * numbers[k]:g} % but the lower-risk tier {labels[k - 1]!r} only "
                f"{100 * numbers[k - 1]:g} %. List increases from the lowest-risk tier to the "
                "highest, largest first, e.g. (0.05, 0.025, 0.0)."
            )
    return numbers


def _timing(start, stage_wait, n_stages: int) -> tuple[np.ndarray | None, list | None]:
    """Weeks after the first stage's start, and start dates, per stage (None when not timed).
    Waits fall on whole days: a month's (30.44 days) is rounded to the nearest day in the dates,
    which keep the first start's time of day; the weeks stay as given."""
    dates = None
    if isinstance(start, np.ndarray | pd.Index | pd.Series):
        if start.ndim != 1:
            raise InputError(f"start must be a date or one per stage, not shape {start.shape}.")
        start = list(start)
    if start is not None and not isinstance(start, str) and isinstance(start, Sequence):
        if stage_wait is not None:
            raise InputError(
                "give one start date per stage (start=[...]) or a first start date and "
                "stage_wait=, not both."
            )
        if len(start) != n_stages:
            raise InputError(f"start has {len(start)} dates for {n_stages} stages; give one each.")
        dates = [_date(d, "start") for d in start]
        if len({d.tz is None for d in dates}) > 1:  # pandas cannot order them
            raise InputError(
                "start mixes dates with and without a time zone; give every stage's start date "
                "in the same form (all with a time zone, or none)."
            )
        if any(b < a for a, b in zip(dates, dates[1:], strict=False)):
            raise InputError(
                "the stage start dates must not go backwards: stage 1 (lowest risk) starts first."
            )
        weeks = np.array([(d - dates[0]).total_seconds() / (7 * 86400.0) for d in dates])
        return weeks, dates
    if stage_wait is None and start is None:
        return None, None
    if stage_wait is None:
        waits = np.zeros(n_stages - 1)
    else:
        waits = (
            np.atleast_1d(np.asarray(stage_wait, dtype="float64")) if _numeric(stage_wait) else None
        )
        if waits is None or waits.ndim != 1 or waits.size not in (1, n_stages - 1):
            raise InputError(
                f"stage_wait must be a number of weeks between stages, or one per gap "
                f"({n_stages - 1}); got {stage_wait!r}."
            )
        if not np.all(np.isfinite(waits)) or (waits < 0).any():
            raise InputError(f"stage_wait must be finite and ≥ 0 weeks, got {stage_wait!r}.")
        waits = np.broadcast_to(waits, (n_stages - 1,))
    weeks = np.concatenate([[0.0], np.cumsum(waits)])
    if start is not None:
        first = _date(start, "start")
        dates = [first + pd.Timedelta(days=float(np.round(7.0 * w))) for w in weeks]
    return weeks, dates


def _numeric(value) -> bool:
    try:
        np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        return False
    return True


def _date(value, name: str) -> pd.Timestamp:
    if isinstance(value, int | float | np.number):  # pandas reads 20250106 as nanoseconds
        raise InputError(f"{name}={value!r} is a number, not a date; give it as 'YYYY-MM-DD'.")
    refuse_ambiguous_date(value, name)
    try:
        if lacks_a_date_part(value):
            raise ValueError(value)
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}={value!r} is not a date; give it as 'YYYY-MM-DD'.") from None
    if stamp is pd.NaT:
        raise InputError(f"{name} is missing; give it as 'YYYY-MM-DD'.")
    return stamp


def _wait_weeks(stage_wait):
    """``stage_wait`` in weeks: durations (``"8W"``, ``"2M"``, ``Duration``) converted, bare
    numbers (weeks) and ``None`` passed on as given."""
    many = isinstance(stage_wait, Sequence | np.ndarray) and not isinstance(stage_wait, str)
    values = list(stage_wait) if many else [stage_wait]
    if any(isinstance(v, bool | np.bool_) for v in values):
        raise InputError(
            f"stage_wait must be a number of weeks or a duration such as '8W', got {stage_wait!r}."
        )
    written = [isinstance(v, str) or carries_unit(v) for v in values]
    if not any(written):
        return stage_wait
    weeks = [
        parse_duration(v, name="stage_wait", default_unit="W", allow_zero=True).to("W") if w else v
        for v, w in zip(values, written, strict=True)
    ]
    return weeks if many else weeks[0]
