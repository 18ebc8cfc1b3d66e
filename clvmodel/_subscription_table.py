"""Strict checks of a subscription table for :func:`clvmodel.subscriptions.from_subscription_table`:
every problem is an error naming the column and showing the offending values (the lenient
row-by-row screen is :mod:`clvmodel._subscription_screen`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._reading import EARLIEST_DATE, examples
from clvmodel._subscription_dates import (
    before_earliest,
    observation_end_date,
    observed_until,
    parse_dates,
)
from clvmodel._table_ids import table_ids
from clvmodel.errors import InputError

#: How many offending values an error message shows.
EXAMPLES = 5


def checked_subscriptions(
    table: pd.DataFrame, customer_col: str, start_col: str, end_col: str, observation_end, keep
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Timestamp]:
    """The ids, start and end dates (naive timestamps) and the end of observation of a
    subscription table, after checking the columns, ids and dates."""
    missing = [c for c in (customer_col, start_col, end_col, *keep) if c not in table.columns]
    if missing:
        raise InputError(
            f"the subscription table has no column {', '.join(map(repr, missing))}; it has "
            f"{list(map(str, table.columns))}. Name the columns with customer_col=, start_col=, "
            "end_col= (and keep=)."
        )
    taken = [c for c in keep if c in ("periods", "cancelled", "observed_periods")]
    if taken:
        raise InputError(
            f"keep names {', '.join(map(repr, taken))}, a column the subscriber rows compute "
            "from the dates (it would replace them); rename that column of the table first."
        )
    if observation_end is None:
        raise InputError(
            "observation_end is required: the date up to which cancellations are known, e.g. "
            "observation_end='2024-12-31'."
        )
    end_of_data = observation_end_date(observation_end)
    raw = table[customer_col]
    ids, missing, not_whole = table_ids(raw)
    fail_where(missing, raw, customer_col, "is missing", "give every subscription an id")
    fail_where(not_whole, raw, customer_col, "is not a whole number", "give whole-number ids")
    repeated = ids.duplicated(keep=False)
    fail_where(
        repeated, raw, customer_col, "appears more than once",
        "keep one row per subscriber (e.g. their latest subscription) or give each its own id",
    )  # fmt: skip
    start = read_dates(table[start_col], start_col)
    end = read_dates(table[end_col], end_col)
    fail_where(start.isna(), table[customer_col], start_col, "has no start date",
               "fill the start dates or drop those rows")  # fmt: skip
    fail_where(
        start > observed_until(end_of_data), table[start_col], start_col,
        f"is after observation_end ({end_of_data.date()})",
        "drop subscriptions that start later, or choose a later observation_end",
    )  # fmt: skip
    fail_where(
        end < start, table[end_col], end_col, f"is before the start date in {start_col!r}",
        "check that the two columns are not swapped",
    )  # fmt: skip
    return ids, start, end, end_of_data


def read_dates(column: pd.Series, name: str) -> pd.Series:
    """A date column as naive timestamps; unreadable (non-empty) values are an error."""
    parsed, empty = parse_dates(column, name)
    unreadable = parsed.isna() & ~empty
    fail_where(unreadable, column, name, "is not a readable date",
               "write dates as YYYY-MM-DD")  # fmt: skip
    fail_where(before_earliest(parsed), column, name, f"is before {EARLIEST_DATE}",
               "check the year")  # fmt: skip
    return parsed


def fail_where(mask, values: pd.Series, column: str, problem: str, fix: str) -> None:
    """An :class:`~clvmodel.InputError` counting the rows in ``mask`` and showing a few values."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        shown = pd.Series(values).to_numpy()[mask][:EXAMPLES].tolist()
        raise InputError(
            f"{int(mask.sum())} row(s) where {column!r} {problem} (for example {shown}); {fix}."
        )


def refuse_repeated_subscribers(index: pd.Index, name: str = "data") -> None:
    """Raise an :class:`~clvmodel.InputError` naming ``name`` when a subscriber id appears more
    than once in ``index`` (scores and comparisons are per subscriber: one row each)."""
    repeated = index[index.duplicated()].unique()
    if len(repeated):
        raise InputError(
            f"{len(repeated)} subscriber id(s) appear more than once in {name} (for example "
            f"{repeated[:5].tolist()}); give one row per subscriber."
        )


def subscriber_numbers(column, name: str, n: int) -> np.ndarray:
    """Column ``name`` of subscriber rows (``periods`` or ``cancelled``) as ``n`` finite floats,
    or an :class:`~clvmodel.InputError` that says what is wrong with it."""
    values = np.asarray(column)
    if values.ndim > 1:
        raise InputError(f"the subscriber rows have more than one column {name!r}; keep one.")
    if values.dtype.kind in "mM":  # pd.to_numeric reads a duration as nanoseconds
        raise InputError(
            f"column {name!r} holds dates or durations ({examples(pd.Series(values[:3]))}); it "
            "must hold numbers: whole billing periods for 'periods', 0/1 for 'cancelled' "
            "(from_subscription_table counts the periods from start and end dates)."
        )
    try:
        values = np.asarray(pd.to_numeric(pd.Series(values.reshape(-1)), errors="raise"),
                            dtype="float64")  # fmt: skip
    except (TypeError, ValueError):
        raise InputError(f"column {name!r} must hold numbers.") from None
    if values.size != n:
        raise InputError(
            f"the subscriber rows' columns have different lengths: {values.size} values in "
            f"{name!r} for {n} subscribers; give every column one value per subscriber."
        )
    bad = ~np.isfinite(values)
    if bad.any():
        raise InputError(
            f"column {name!r} has {int(bad.sum())} missing or infinite value(s) (rows "
            f"{np.flatnonzero(bad)[:EXAMPLES].tolist()}); fill them or drop those subscribers."
        )
    return values
