"""Strict checks of a subscription table for :func:`clvmodel.subscriptions.from_subscription_table`:
every problem is an error naming the column and showing the offending values (the lenient
row-by-row screen is :mod:`clvmodel._subscription_screen`); and of a cohort's survivor counts,
turned into subscriber rows for :func:`clvmodel.subscriptions.from_survival_counts`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._reading import EARLIEST_DATE, examples
from clvmodel._subscription_dates import (
    before_earliest,
    ends_before_start,
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
        ends_before_start(start, end), table[end_col], end_col,
        f"is before the start date in {start_col!r}", "check that the two columns are not swapped",
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


#: Most subscribers :func:`survival_rows` writes one row each for (16 bytes a row and the
#: fit's copies: about 0.5 GB); a larger cohort needs ``weighted=True``.
MAX_SUBSCRIBER_ROWS = 10_000_000


def checked_counts(survivors) -> np.ndarray:
    """``survivors`` as floats: at least two whole counts ≥ 0 that never increase, the first
    above 0; an :class:`~clvmodel.InputError` saying what is wrong otherwise."""
    try:
        counts = np.asarray(survivors, dtype="float64").reshape(-1)
    except (TypeError, ValueError):
        raise InputError(f"survivors must be numbers, got {survivors!r}.") from None
    if counts.size < 2:
        raise InputError(
            f"survivors needs the cohort size and at least one later count, got {survivors!r}; "
            "for example [1000, 631, 468]."
        )
    bad = ~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts))
    if bad.any():
        raise InputError(
            f"survivors must be whole numbers ≥ 0; got {counts[bad][:EXAMPLES].tolist()} "
            f"(positions {np.flatnonzero(bad)[:EXAMPLES].tolist()}). Shares in percent must be "
            "turned into counts first, e.g. [round(s * 10) for s in shares] for a cohort of 1,000."
        )
    rises = np.flatnonzero(np.diff(counts) > 0)
    if rises.size:
        k = int(rises[0])
        raise InputError(
            f"survivors must never increase, but survivors[{k + 1}] = {counts[k + 1]:g} is more "
            f"than survivors[{k}] = {counts[k]:g}; give the survivors of one cohort, in order."
        )
    if counts[0] == 0:
        raise InputError("survivors[0], the cohort size, is 0; there is no subscriber to model.")
    return counts


def survival_rows(survivors, weighted: bool = False) -> pd.DataFrame:
    """The subscriber rows of a cohort's survivor counts (see
    :func:`clvmodel.subscriptions.from_survival_counts`): one per subscriber, or with
    ``weighted`` one per distinct (periods, cancelled) with a ``subscribers`` column."""
    counts = checked_counts(survivors)
    last = counts.size - 1
    lost = -np.diff(counts)
    periods = np.append(np.arange(1, last + 1), last).astype("int64")
    cancelled = np.append(np.ones(last, "int64"), 0)
    number = np.append(lost, counts[-1])
    if weighted:
        kept = number > 0
        # Recorded for the functions that need one row per subscriber, which refuse these.
        return pd.DataFrame(
            {"periods": periods[kept], "cancelled": cancelled[kept], "subscribers": number[kept]},
            index=pd.RangeIndex(int(kept.sum()), name="row"),
        ).pipe(_weighted_by, "subscribers")
    if counts[0] > MAX_SUBSCRIBER_ROWS:
        raise InputError(
            f"survivors[0] = {counts[0]:,.0f} subscribers would make as many rows (one per "
            f"subscriber; at most {MAX_SUBSCRIBER_ROWS:,}); pass weighted=True for one row per "
            "(periods, cancelled) with a 'subscribers' column, and fit with "
            "weights=rows['subscribers']."
        )
    repeats = number.astype("int64")
    return pd.DataFrame(
        {"periods": np.repeat(periods, repeats), "cancelled": np.repeat(cancelled, repeats)},
        index=pd.RangeIndex(int(repeats.sum()), name="subscriber"),
    )


def _weighted_by(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    rows.attrs["weights"] = column
    return rows


def refuse_weighted_rows(data, function: str) -> None:
    """An :class:`~clvmodel.InputError` when ``data`` holds one row per group of subscribers
    (``from_survival_counts(..., weighted=True)``): ``function`` counts one row as one
    subscriber."""
    if getattr(data, "attrs", {}).get("weights"):
        raise InputError(
            f"data has one row per group of subscribers (from_survival_counts(..., weighted="
            f"True)), but {function} needs one row per subscriber; build data without "
            "weighted=True."
        )
