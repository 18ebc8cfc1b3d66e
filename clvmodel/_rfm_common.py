"""Helpers shared by the RFM summary and the calibration/holdout split: time units, date options
and their checks, a validated log merged to one row per customer and day, and RFM rows read by
SQL (DuckDB, PostgreSQL) shaped as :func:`clvmodel.rfm_summary` returns them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clvmodel import _reading
from clvmodel._reading import date_option
from clvmodel._reading_text import header_advice
from clvmodel._rfm_rows import Rows
from clvmodel.errors import InputError

#: Length of each supported model time unit, in days.
TIME_UNITS: dict[str, float] = {"D": 1.0, "W": 7.0}


def time_unit_days(time_unit: str) -> float:
    """Days in one period of the model's ``time_unit`` ("D" or "W"); anything else is refused."""
    try:
        return TIME_UNITS[time_unit]
    except (KeyError, TypeError):
        raise InputError(
            f"time_unit={time_unit!r} is not supported; use 'D' (days) or 'W' (weeks of 7 days)."
        ) from None


def parse_date(value, name: str, date_format: str | None = None) -> pd.Timestamp:
    """A date option as a naive timestamp (see :func:`clvmodel._reading.date_option`)."""
    return date_option(value, name, date_format)


def today_day(time_zone: str | None = None) -> int:
    """Today's day number (days since 1970-01-01): on this machine's clock, or in ``time_zone``
    (an IANA name such as ``"Asia/Tokyo"`` or an offset such as ``"+09:00"``; a name pandas does
    not know raises ``KeyError`` or ``ValueError``)."""
    if time_zone is None:
        return day_number(pd.Timestamp.now())
    return day_number(pd.Timestamp.now(tz=time_zone).tz_localize(None))


def check_not_in_future(latest_day: int, option: str, today: int | None = None) -> None:
    """Raise if the latest purchase (a day number), the default end of observation, is after
    today (a day number; by default on this machine's clock): a sign of misread dates."""
    if latest_day > (today_day() if today is None else today):
        raise InputError(
            f"the latest purchase date ({np.datetime64(latest_day, 'D')}) is in the future; check "
            f"the date column's format (day and month swapped?) or pass {option} explicitly."
        )


def check_end_not_in_future(end_day: int, option: str, today: int | None = None) -> None:
    """Raise if an explicit end of observation is after today (a day number; by default on this
    machine's clock): nothing can be observed there."""
    if end_day > (today_day() if today is None else today):
        raise InputError(
            f"{option} ({np.datetime64(end_day, 'D')}) is in the future; purchases cannot have "
            "been observed up to it. Give the last day of data you have (today at the latest)."
        )


def observation_end_day(
    observation_end, date_format, option: str = "observation_end", today: int | None = None
) -> int:
    """Day number of an explicit end of observation, checked against ``today`` (a day number;
    by default on this machine's clock)."""
    end_day = day_number(parse_date(observation_end, option, date_format))
    check_end_not_in_future(end_day, option + "=", today)
    return end_day


@dataclass(frozen=True)
class CleanLog:
    """A validated transaction log reduced to one row per (customer, day)."""

    customers: pd.Index  # unique customer ids, in order of first appearance
    customer_code: np.ndarray  # int64 index into ``customers``, sorted ascending with ``day``
    day: np.ndarray  # int64 days since 1970-01-01
    amount: np.ndarray | None  # float64 total spent that day, or None without an amount column
    # days of the rows that repeat another row exactly (kept or dropped); None when not looked for
    duplicate_day: np.ndarray | None = None


def clean_log(
    transactions: pd.DataFrame,
    customer_col: str,
    date_col: str,
    amount_col: str | None,
    date_format: str | None = None,
    duplicates: str = "ignore",
    stacklevel: int = 3,
    offer_drop: bool = False,
) -> CleanLog:
    """Validate a transaction log (raising on any unusable row) and merge same-day purchases of
    each customer. Exact duplicate rows (which matter only through their amounts) are kept
    (``"ignore"``), kept with a warning (``"warn"``), kept and only counted (``"count"``, for a
    caller that warns about part of them) or dropped (``"drop"``). Their
    days are in ``duplicate_day``, which is None with ``"ignore"`` and without an amount column
    (where :func:`clvmodel.rfm_summary` counts none either). ``offer_drop``: the caller takes
    ``on_invalid=``, which the error for unusable rows then advises."""
    from clvmodel._rfm_read import read_log  # which uses this module's helpers

    rows = read_log(
        transactions, customer_col, date_col, amount_col, date_format, offer_drop=offer_drop
    ).rows
    if duplicates == "ignore" or rows.amount is None:
        return merge_days(*rows.customers.factorized(rows.codes), rows.day, rows.amount)
    duplicated = (
        pd.DataFrame(
            {"code": rows.codes, "day": rows.day, "tag": rows.tag}
            | ({} if rows.amount is None else {"amount": rows.amount})
        )
        .duplicated()
        .to_numpy()
    )
    duplicate_day = rows.day[duplicated]
    if duplicated.any():
        if duplicates == "drop":
            keep = ~duplicated
            rows = Rows(rows.codes[keep], rows.customers, rows.day[keep],
                         None if rows.amount is None else rows.amount[keep])  # fmt: skip
        elif duplicates == "warn":
            _reading.warn_duplicates(int(duplicated.sum()), stacklevel)
    log = merge_days(*rows.customers.factorized(rows.codes), rows.day, rows.amount)
    return dataclasses.replace(log, duplicate_day=duplicate_day)


def merge_days(codes, customers, day, amount) -> CleanLog:
    """One row per (customer, day), sorted by both, with the day's amounts added up."""
    order = np.lexsort((day, codes))
    codes, day = codes[order], day[order]
    new_run = np.empty(codes.size, dtype=bool)
    new_run[0] = True
    np.logical_or(codes[1:] != codes[:-1], day[1:] != day[:-1], out=new_run[1:])
    starts = np.flatnonzero(new_run)
    if amount is not None:
        amount = np.add.reduceat(amount[order], starts)
    return CleanLog(customers, codes[starts], day[starts], amount)


def count_customer_days(codes: np.ndarray, day: np.ndarray) -> int:
    """Number of distinct (customer, day) pairs."""
    if codes.size == 0:
        return 0
    low = int(day.min())
    return int(np.unique(codes * (int(day.max()) - low + 1) + (day - low)).size)


def day_number(stamp: pd.Timestamp) -> int:
    """The day of ``stamp`` as a whole number of days since 1970-01-01."""
    return int(np.datetime64(stamp.normalize().to_datetime64(), "D").astype("int64"))


def check_log_frame(transactions, customer_col, date_col, amount_col) -> None:
    """Refuse what is not a transaction log with the named columns and at least one row."""
    if not isinstance(transactions, pd.DataFrame):
        raise InputError(
            f"transactions must be a pandas DataFrame, got {type(transactions).__name__}; "
            "read your file with pandas.read_csv or pandas.read_parquet first."
        )
    needed = [customer_col, date_col] + ([amount_col] if amount_col is not None else [])
    missing = [c for c in needed if c not in transactions.columns]
    if missing:
        raise InputError(
            f"the transactions have no column {', '.join(map(repr, missing))}; the columns are "
            f"{list(map(str, transactions.columns))}. Name the right ones with customer_col=, "
            "date_col= and amount_col="
            + (
                " (amount_col=None for a log without amounts: purchases only)."
                if amount_col in missing
                else "."
            )
            + header_advice(transactions.columns)
        )
    if len(transactions) == 0:
        raise InputError(
            "the transaction table is empty (a header but no rows?): there is nothing to summarise."
        )


def as_rfm_frame(frame: pd.DataFrame, time_unit: str, with_amount: bool) -> pd.DataFrame:
    """RFM rows read from SQL as the DataFrame :func:`clvmodel.rfm_summary` returns: indexed by
    customer id, integer frequency, float times, ``time_unit`` in ``attrs``."""
    frame = frame.set_index("customer_id")
    frame.index.name = None
    frequency = frame["frequency"]
    # Checked before the cast, which would wrap these (and NaN) to -9.2e18, not refuse them.
    beyond = ~(np.abs(frequency.to_numpy(dtype="float64")) < 2.0**63)
    if beyond.any():
        where = np.flatnonzero(beyond)[0]
        raise InputError(
            f"customer {frame.index[where]!r} has frequency {float(frequency.iloc[where]):g}, "
            "which is no count of repeat purchases; fix or remove that row."
        )
    frame["frequency"] = frequency.astype("int64")
    for column in ("recency", "T", "monetary_value"):
        frame[column] = frame[column].astype("float64")
    if not with_amount:
        frame = frame.drop(columns="monetary_value")
    frame.attrs["time_unit"] = time_unit
    return frame
