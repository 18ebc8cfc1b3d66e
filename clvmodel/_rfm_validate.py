"""Validated RFM tables: the columns every model reads, checked once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clvmodel._reading import examples
from clvmodel._units import PERIOD_DAYS, UNIT_NAMES
from clvmodel.errors import InputError

__all__ = [
    "RfmArrays",
    "readable",
    "readable_examples",
    "RECENCY_RTOL",
    "WHOLE_DAY_FLOOR",
    "WHOLE_DAY_TOLERANCE",
    "repeats_without_time",
    "rfm_column",
    "validate_rfm",
]

_EXAMPLES = 5

#: The advice when the last purchase comes after the end of observation, in the Python API's words
#: (a command reading an RFM file gives its own).
RECOMPUTE_ADVICE = "Recompute the summary with the right observation_end."

#: No customer makes more than 10^12 repeat purchases or spends more than 10^12 on average; the
#: command line's RFM route refuses the same rows (``clvmodel._rfm_sql``).
RFM_BOUND = 1e12


@dataclass(frozen=True)
class RfmArrays:
    """Validated RFM columns as float arrays (``monetary_value`` may be ``None``; 0 where it was
    missing for a customer without repeat purchases)."""

    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary_value: np.ndarray | None
    index: pd.Index


_ALIASES = {
    "frequency": ("frequency", "frequency_cal", "x"),
    "recency": ("recency", "recency_cal", "t_x"),
    "T": ("T", "T_cal"),
    "monetary_value": ("monetary_value", "monetary_value_cal"),
}


_UNITS = ("D", "W")  # of recency and T

#: Relative slack of "repeat purchases ≤ days in recency" for a recency that need not be a whole
#: number of days (the heat maps' grid, computed in floating point); tables of dated purchases
#: are bounded by their whole number of days instead (:func:`repeats_without_time`).
RECENCY_RTOL = 1e-9
#: A recency within this relative distance (of at least ten days: 10⁻⁵ day, under a second) of a
#: whole number of days is one (a summary of dated purchases, perhaps stored rounded: weeks to 6
#: decimals are within 3.5·10⁻⁶ day of it); farther, it comes from continuous times and bounds
#: nothing. A whole one bounds frequency by that whole number of days.
WHOLE_DAY_TOLERANCE = 1e-6
#: The least number of days :data:`WHOLE_DAY_TOLERANCE` is taken of.
WHOLE_DAY_FLOOR = 10.0

#: Why frequency is bounded by recency, and what to do about a table that breaks the bound.
_REPEAT_DAYS = (
    "frequency counts repeat purchase days, the distinct days with a purchase after the first, "
    "so the last repeat purchase comes at least one day after the first purchase for each of "
    "them. Build the table with clv.rfm_summary(transactions, ...); the usual cause is a "
    "frequency that counts transactions, several on the same day."
)


def readable(value) -> str:
    """One value as an error message shows it to a user: text as written (in quotes when it is
    blank or padded with spaces), a missing value as ``missing``, a number plainly (``inf``,
    ``2.5``, ``3`` for 3.0), a date as ``1997-01-31``; never numpy's or pandas' reprs.

    Parameters
    ----------
    value : object
        A value as read (a cell of a column).

    Returns
    -------
    str
    """
    if isinstance(value, str):
        return value if value and value == value.strip() else f'"{value}"'
    try:
        if pd.isna(value):
            return "missing"
    except (TypeError, ValueError):  # a list or an array in a cell: shown as text below
        return str(value)
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        return str(value.date()) if value == value.normalize() else str(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        whole = value.is_integer() and abs(value) < 2.0**53
        return str(int(value)) if whole else repr(value)  # "inf", "-inf", "2.5", "1e+300"
    return str(value)


def readable_examples(values, customers=None) -> str:
    """The first few ``values`` for an error message, each :func:`readable`, with the customer of
    each (``customer 00004: missing, customer 21: inf``) when ``customers`` is given; " ..." ends
    the list when there are more.

    Parameters
    ----------
    values : array-like
        The offending values, as read.
    customers : array-like, optional
        The customer id of each value, as read.

    Returns
    -------
    str
    """
    values = list(values)
    shown = [readable(v) for v in values[:_EXAMPLES]]
    if customers is not None:
        ids = list(customers)[:_EXAMPLES]
        shown = [f"customer {readable(c)}: {v}" for c, v in zip(ids, shown, strict=True)]
    return ", ".join(shown) + (" ..." if len(values) > _EXAMPLES else "")


def table_time_unit(data, time_unit=None, name: str = "time_unit") -> str | None:
    """The unit of an RFM table's ``recency`` and ``T``: ``time_unit`` if given ("D" or "W"),
    else the one :func:`clvmodel.rfm_summary` recorded in ``data.attrs`` (lost by join, merge
    and concat), else None. A given unit that contradicts the recorded one is an error; ``name``
    is the argument's name in the messages."""
    recorded = getattr(data, "attrs", {}).get("time_unit")
    if time_unit is not None and time_unit not in _UNITS:
        raise InputError(f"{name}={time_unit!r} is not supported; use 'D' or 'W'.")
    if time_unit is not None and recorded and recorded != time_unit:
        raise InputError(
            f"{name}={time_unit!r} contradicts the table's own time unit {recorded!r} "
            f"(recorded by rfm_summary); leave {name} out or rebuild the table."
        )
    return time_unit or recorded


def rfm_column(data, name: str):
    """The column ``name`` ("frequency", "recency", "T" or "monetary_value") of an RFM table
    under any name :func:`validate_rfm` accepts, unconverted and unchecked; None when absent."""
    for alias in _ALIASES[name]:
        if alias in data:
            return data[alias]
    return None


def validate_rfm(
    data,
    require: tuple[str, ...] = ("frequency", "recency", "T"),
    *,
    rows: Callable[[np.ndarray], str] | None = None,
    time_unit: str | None = None,
) -> RfmArrays:
    """Check an RFM table and return its columns as float arrays.

    Parameters
    ----------
    data : pandas.DataFrame or mapping of array-likes
        Must contain the columns in ``require``; ``frequency_cal``-style names from
        ``lifetimes`` and the paper's ``x`` and ``t_x`` are accepted too.
    require : tuple of str
        Which of ``frequency``, ``recency``, ``T`` and ``monetary_value`` must be present.
    rows : callable, optional
        How the messages name the offending rows, from their positions (0-based, an integer
        array): a command reading a file names its lines. Default: the index labels of a
        DataFrame (``index label(s) 'c'``), else the positions (``row(s) 3, counting from 0``).
    time_unit : {"D", "W"}, optional
        The unit of ``recency`` and ``T`` when the table does not record it in ``attrs``
        (:func:`clvmodel.rfm_summary` does). Only with a unit is frequency bounded by the days
        in recency: a table without one may come from continuous purchase times (a simulation),
        where several purchases fall within a day.

    Returns
    -------
    RfmArrays

    Raises
    ------
    InputError
        A required column is missing, a value is missing (but monetary_value where frequency is
        0: it is then 0) or not finite, frequency is negative, not a whole number or beyond
        10^12, monetary_value is beyond ±10^12, recency is negative or larger than ``T``, a
        customer without repeat purchases has a recency other than 0, a repeat buyer has recency
        0 or (in a table of known unit) more repeat purchases than days in recency, or a repeat
        buyer has a negative spend; or ``time_unit`` contradicts the unit the table records.
    """
    if not isinstance(data, pd.DataFrame | Mapping):
        raise InputError(
            f"expected a DataFrame with columns {list(require)}, got {type(data).__name__}."
        )
    missing = [name for name in require if rfm_column(data, name) is None]
    if missing:
        have = list(map(str, data.columns if isinstance(data, pd.DataFrame) else data.keys()))
        raise InputError(
            f"the RFM table has no column {', '.join(map(repr, missing))}; it has {have}. "
            "Build one with clvmodel.rfm_summary(transactions, ...), or rename your columns to "
            "frequency, recency, T and monetary_value."
        )
    where = rows or (lambda positions: _rows(data, positions))
    arrays = _float_columns(data, where)
    n = next(iter(arrays.values())).size
    x, t_x, age, m = (arrays.get(name) for name in ("frequency", "recency", "T", "monetary_value"))
    _check_values(x, t_x, age, m, where)
    unit = table_time_unit(data, time_unit)
    if x is not None and t_x is not None:
        customers = data.index if isinstance(data, pd.DataFrame) else None
        _check_repeat_days(x, t_x, unit, where, customers)
    index = data.index if isinstance(data, pd.DataFrame) else pd.RangeIndex(n)
    return RfmArrays(frequency=x, recency=t_x, T=age, monetary_value=m, index=index)


def _rows(data, positions: np.ndarray) -> str:
    """Rows of ``data`` as the Python API names them: index labels, else positions from 0."""
    if isinstance(data, pd.DataFrame):
        return f"index label(s) {examples(data.index[positions])}"
    return f"row(s) {examples(positions)}, counting from 0"


def _float_columns(data, where) -> dict[str, np.ndarray]:
    """The RFM columns present in ``data`` as finite float arrays of one non-zero length."""
    arrays = {}
    for name in ("frequency", "recency", "T", "monetary_value"):
        column = rfm_column(data, name)
        if column is None:
            continue
        try:
            values = np.asarray(column, dtype="float64")
        except (TypeError, ValueError) as exc:
            texts = pd.Series(np.asarray(column, dtype=object).ravel())
            odd = texts.notna() & pd.to_numeric(texts, errors="coerce").isna()
            rows = np.flatnonzero(odd.to_numpy())
            if rows.size == 0:  # (nothing to point at: numpy's own words)
                raise InputError(f"column {name!r} must hold numbers: {exc}") from None
            raise InputError(
                f"{rows.size} value(s) of {name!r} are not numbers ({where(rows)}, for example "
                f"{readable_examples(texts[odd])}); drop or fix those customers."
            ) from None
        values = np.atleast_1d(values)
        x = arrays.get("frequency")
        spend = name == "monetary_value" and x is not None and x.size == values.size
        if spend and np.isnan(values).any():  # no repeat purchase, no mean spend: m = 0 there
            values = np.where(np.isnan(values) & (x == 0), 0.0, values)
        bad = ~np.isfinite(values)
        if bad.any():
            advice = "fix them: a mean spend may be missing only where frequency is 0"
            advice = advice if spend else "drop or fix those customers"
            raise InputError(
                f"{int(bad.sum())} value(s) of {name!r} are missing or infinite "
                f"({where(np.flatnonzero(bad))}); {advice}."
            )
        arrays[name] = values
    lengths = {name: v.size for name, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise InputError(f"the RFM columns have different lengths: {lengths}.")
    n = next(iter(lengths.values()))
    if n == 0:
        raise InputError("the RFM table is empty: there are no customers to use.")
    return arrays


def _check_values(x, t_x, age, m, where) -> None:
    """Refuse RFM values no customer can have (each column may be None when absent); ``where``
    names rows from their positions."""
    if x is not None:
        wrong = (x < 0) | (x != np.round(x))
        if wrong.any():
            raise InputError(
                f"{int(wrong.sum())} frequency value(s) are negative or not whole numbers (for "
                f"example {readable_examples(x[wrong])}; {where(np.flatnonzero(wrong))}); "
                "frequency counts repeat purchases."
            )
        huge = x > RFM_BOUND
        if huge.any():
            rows = np.flatnonzero(huge)
            raise InputError(
                f"{rows.size} frequency value(s) are beyond 1e12 ({where(rows)}, for "
                f"example {readable_examples(x[rows])}); no customer makes that many repeat "
                "purchases: a unit or a join went wrong."
            )
    if t_x is not None and (t_x < 0).any():
        raise InputError(
            f"{int((t_x < 0).sum())} recency value(s) are negative "
            f"({where(np.flatnonzero(t_x < 0))}); recency is the time from the first to the last "
            "purchase."
        )
    if age is not None and (age < 0).any():
        raise InputError(
            f"{int((age < 0).sum())} T value(s) are negative ({where(np.flatnonzero(age < 0))}); "
            "T is the time from the first purchase to the end of observation."
        )
    if t_x is not None and age is not None:
        # A tolerance for recency and T computed separately in floating point.
        over = t_x > age * (1 + 1e-12) + 1e-12
        if over.any():
            rows = np.flatnonzero(over)
            raise InputError(
                f"{rows.size} customer(s) have recency > T ({where(rows)}); the last purchase "
                f"cannot come after the end of observation. {RECOMPUTE_ADVICE}"
            )
        if x is not None:
            odd = (x == 0) & (t_x != 0)
            if odd.any():
                raise InputError(
                    f"{int(odd.sum())} customer(s) have frequency 0 but recency > 0 "
                    f"({where(np.flatnonzero(odd))}); recency must be 0 without a repeat "
                    "purchase."
                )
    if m is not None and (np.abs(m) > RFM_BOUND).any():
        rows = np.flatnonzero(np.abs(m) > RFM_BOUND)
        raise InputError(
            f"{rows.size} monetary_value value(s) are beyond ±1e12 ({where(rows)}, "
            f"for example {readable_examples(m[rows])}); that is not a mean spend per purchase: "
            "check the amounts' unit."
        )
    if m is not None and x is not None:
        negative = (x > 0) & (m < 0)
        if negative.any():
            raise InputError(
                f"{int(negative.sum())} repeat buyer(s) have a negative monetary_value "
                f"({where(np.flatnonzero(negative))}); spend must be ≥ 0."
            )


def repeats_without_time(x, t_x, unit: str | None = None):
    """Which rows have more repeat purchases than their recency leaves room for: a repeat buyer
    with recency 0, or, when the unit of recency is known and the row's recency is a whole
    number of days (as a summary of dated purchases gives it, within
    :data:`WHOLE_DAY_TOLERANCE`: computed in floating point, or stored to 6 decimals), more
    repeat purchase days than that whole number of days. A recency that is no whole number of
    days comes from continuous purchase times (a simulation) or from coarser rounding (0.14
    weeks for one day): it bounds nothing, since several
    purchases may then fall within a day.

    Parameters
    ----------
    x, t_x : numpy.ndarray
        Frequency and recency, valid otherwise (finite, not negative).
    unit : {"D", "W"} or None
        The unit of recency; None (or any other value) when unknown: then only recency 0 counts,
        since continuous purchase times (a simulation) may put several purchases in one day.

    Returns
    -------
    without_time, too_many : numpy.ndarray
        Boolean masks: repeat buyers with recency 0, and (the others) with more repeat purchases
        than days in recency.
    """
    without_time = (x > 0) & (t_x == 0)
    days = PERIOD_DAYS.get(unit) if unit in _UNITS else None
    if days is None:
        return without_time, np.zeros_like(without_time)
    in_days = t_x * days
    day_count = np.round(in_days)
    whole_days = np.abs(in_days - day_count) <= WHOLE_DAY_TOLERANCE * np.maximum(
        WHOLE_DAY_FLOOR, in_days
    )
    # Against the whole number of days, not the recency as stored: 1.428571 weeks (10 days
    # rounded) leaves room for 10 repeat purchase days, though 1.428571 × 7 = 9.999997.
    too_many = ~without_time & whole_days & (x > day_count)
    return without_time, too_many


def _check_repeat_days(x, t_x, unit, where, customers) -> None:
    """Refuse repeat buyers whose repeat purchases do not fit in their recency (see
    :func:`repeats_without_time`), naming the rows and each one's values."""
    without_time, too_many = repeats_without_time(x, t_x, unit)
    for bad, what in ((without_time, "recency 0"), (too_many, "more of them than days in recency")):
        if not bad.any():
            continue
        rows = np.flatnonzero(bad)
        shown = rows[: _EXAMPLES + 1]
        values = [f"frequency {readable(x[i])}, recency {readable(t_x[i])}" for i in shown]
        if what != "recency 0":  # recency in its unit, and in days when that is weeks
            values = [
                f"{v} {UNIT_NAMES[unit]}"
                + (f" = {readable(round(t_x[i] * 7, 9))} day(s)" if unit == "W" else "")
                for v, i in zip(values, shown, strict=True)
            ]
        named = readable_examples(values, None if customers is None else customers[shown])
        raise InputError(
            f"{rows.size} customer(s) have repeat purchases but {what} ({where(rows)}; "
            f"{named}); {_REPEAT_DAYS}"
        )
