"""Small helpers shared by the evaluation modules (internal)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.errors import InputError

#: How many offending customers an error message lists.
EXAMPLES = 5
#: Largest distance, in days, between a computed calendar day and a whole day.
DAY_TOLERANCE = 1e-6

_UNIT_NAMES = {"W": ("week", "weeks"), "D": ("day", "days")}


def examples(values) -> str:
    """The first few values, comma-separated, with "..." when there are more."""
    values = list(values)
    shown = ", ".join(map(str, values[:EXAMPLES]))
    return shown + (" ..." if len(values) > EXAMPLES else "")


def unit_words(time_unit: str | None) -> tuple[str, str]:
    """Singular and plural name of a time unit ("week", "weeks")."""
    return _UNIT_NAMES.get(time_unit, ("time unit", "time units"))


def date(day: int | None) -> pd.Timestamp | None:
    """Day number (days since 1970-01-01) → Timestamp; ``None`` stays ``None``."""
    return None if day is None else pd.Timestamp(np.datetime64(int(day), "D"))


def first_and_repeat_days(log) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First purchase day of each customer (by code), and the code and day of every later one."""
    codes, days = log.customer_code, log.day
    first_row = np.ones(codes.size, dtype=bool)
    first_row[1:] = codes[1:] != codes[:-1]
    first_day = np.full(len(log.customers), np.iinfo("int64").max, dtype="int64")
    first_day[codes[first_row]] = days[first_row]
    return first_day, codes[~first_row], days[~first_row]


def whole_days(value: np.ndarray | float, what: str) -> np.ndarray:
    """``value`` rounded to whole days; an :class:`~clvmodel.InputError` when it is not one."""
    rounded = np.round(value)
    if np.any(np.abs(np.asarray(value) - rounded) > DAY_TOLERANCE):
        raise InputError(
            f"{what} is not a whole number of days; calibration and holdout must come from "
            "calibration_holdout_split on these transactions (with the model's time unit)."
        )
    return rounded.astype("int64")


def id_kind_advice(first: pd.Index, second: pd.Index, names: tuple[str, str]) -> str:
    """A sentence saying that the ids are numbers in one of two tables (named by ``names``) and
    text in the other, which share no id for that reason; empty when that is not the case."""
    kind_of = {"integer": "numbers", "floating": "numbers", "string": "text"}
    kinds = [kind_of.get(ids.inferred_type) for ids in (first, second)]
    if None in kinds or kinds[0] == kinds[1]:
        return ""
    return (
        f" The customer ids are {kinds[0]} in {names[0]} and {kinds[1]} in {names[1]}, so none "
        "match: read them the same way (e.g. convert the text ids with .astype('int64'), or the "
        "numbers with .astype(str) if the text keeps leading zeros)."
    )
