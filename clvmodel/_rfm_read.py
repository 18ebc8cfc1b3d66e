"""A transaction log (pandas DataFrame) read into validated rows and a table of rejected rows.

The rules are those of :mod:`clvmodel._reading`; this module applies them to the columns of a
DataFrame, gives each unusable row the first reason that applies, and either raises (listing the
first problem, as :func:`clvmodel.rfm_summary` always did) or drops those rows and keeps them in a
rejects table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clvmodel import _reading as rd
from clvmodel._rfm_rows import Customers, Rows, customer_codes
from clvmodel.errors import InputError

ON_INVALID = ("raise", "drop")


def check_on_invalid(on_invalid: str) -> None:
    """Refuse an ``on_invalid`` other than "raise" or "drop"."""
    if on_invalid not in ON_INVALID:
        raise InputError(f"on_invalid={on_invalid!r}: use 'raise' or 'drop'.")


@dataclass
class ReadLog:
    """Validated rows of a log, and the rows left out with their reasons."""

    rows: Rows
    rejects: pd.DataFrame  # customer_id, date, amount (as given), reason; indexed by row label
    ids: rd.Ids  # the ids of all rows, usable or not

    def count_customers(self) -> int:
        """Distinct customer ids among all rows (those of rejected rows too)."""
        ids = self.ids
        if ids.values is None:
            return len(ids.labels)
        return len(pd.unique(ids.values[~(ids.missing | ids.not_whole)]))


def _check_frame(transactions, customer_col, date_col, amount_col) -> None:
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
            "date_col= and amount_col=."
        )
    if len(transactions) == 0:
        raise InputError(
            "the transaction table is empty (a header but no rows?): there is nothing to summarise."
        )


def _raise_first(transactions, masks, customer_col, date_col, amount_col) -> None:
    """Raise for the first kind of unusable row, naming the column and a few values."""
    hint = (
        " Or pass on_invalid='drop' to leave such rows out (clvmodel.rfm.transaction_rejects "
        "lists them)."
    )
    for reason, mask in masks.items():
        n = int(mask.sum())
        if n == 0:
            continue
        rows = np.flatnonzero(mask)
        if reason in (rd.MISSING_ID, rd.ID_NOT_WHOLE):
            shown = transactions[customer_col].iloc[rows[:5]].tolist()
            what = "have no customer id" if reason == rd.MISSING_ID else "have a fractional id"
            message = (
                f"{n} transaction(s) {what} in column {customer_col!r} (rows "
                f"{rd.examples(rows)}, values {shown}); drop or fix them before summarising."
            )
        elif reason in (rd.BAD_DATE, rd.OLD_DATE):
            shown = transactions[date_col].iloc[rows[:5]].tolist()
            what = "are missing or not dates" if reason == rd.BAD_DATE else "are before 1900-01-01"
            message = (
                f"{n} value(s) in column {date_col!r} {what} (for example {shown}); fix them or "
                "drop those rows. Dates like '1997-01-31' or datetime values work."
            )
        else:
            shown = transactions[amount_col].iloc[rows[:5]].tolist()
            what = {
                rd.BAD_AMOUNT: "are missing, infinite or not numbers",
                rd.INFINITE_AMOUNT: "are missing, infinite or not numbers",
                rd.HUGE_AMOUNT: f"are beyond ±{rd.AMOUNT_BOUND:.0e}, not a purchase",
                rd.NEGATIVE_AMOUNT: "are negative",
            }[reason]
            fix = (
                "spend models need amounts ≥ 0. Net refunds against their purchases, or drop "
                "them, before summarising."
                if reason == rd.NEGATIVE_AMOUNT
                else "fix or drop those rows."
            )
            message = f"{n} value(s) in column {amount_col!r} {what} (for example {shown}); {fix}"
        raise InputError(message + hint)


def read_log(
    transactions: pd.DataFrame,
    customer_col: str,
    date_col: str,
    amount_col: str | None,
    date_format: str | None = None,
    on_invalid: str = "raise",
    allow_empty: bool = False,
) -> ReadLog:
    """Read and check a transaction log: the usable rows, and the others with a reason each."""
    check_on_invalid(on_invalid)
    _check_frame(transactions, customer_col, date_col, amount_col)
    ids = rd.read_ids(transactions[customer_col])
    dates = rd.read_dates(transactions[date_col], date_format, date_col)
    masks = {rd.MISSING_ID: ids.missing, rd.ID_NOT_WHOLE: ids.not_whole,
             rd.BAD_DATE: dates.missing, rd.OLD_DATE: dates.too_old}  # fmt: skip
    amount = None
    if amount_col is not None:
        amounts = rd.read_amounts(transactions[amount_col], amount_col)
        masks.update(amounts.reasons)
        amount = amounts.value
    bad = np.zeros(len(transactions), dtype=bool)
    for mask in masks.values():
        bad |= mask
    reason = None
    if bad.any():  # each row counts once, for its first reason
        reason = np.full(len(transactions), -1, dtype="int8")
        for position, mask in reversed(list(enumerate(masks.values()))):
            reason[mask] = position
        for position, name in enumerate(masks):
            masks[name] = reason == position
        if on_invalid == "raise":
            _raise_first(transactions, masks, customer_col, date_col, amount_col)
    rejects = _rejects(transactions, bad, reason, list(masks), customer_col, date_col, amount_col)
    keep = None if reason is None else ~bad
    day, tag = dates.day, dates.tag
    if keep is not None:
        day, tag = day[keep], tag[keep]
        amount = None if amount is None else amount[keep]
    if ids.values is not None:
        values = ids.values if keep is None else ids.values[keep]
        span = int(day.max()) - int(day.min()) + 1 if day.size else 1
        codes, customers = customer_codes(values, day_span=span)
    else:
        codes = ids.codes if keep is None else ids.codes[keep]
        customers = Customers(len(ids.labels), labels=ids.labels)
    if codes.size == 0 and not allow_empty:
        raise InputError(
            f"no row of the transactions can be used ({_reason_counts(rejects)}); see the "
            "rejected rows with clvmodel.rfm.transaction_rejects(...)."
        )
    return ReadLog(Rows(codes, customers, day, amount, tag), rejects, ids)


def _reason_counts(rejects: pd.DataFrame) -> str:
    counts = rejects["reason"].value_counts()
    return ", ".join(f"{n} {reason!r}" for reason, n in counts.items())


def _rejects(transactions, bad, reason, names, customer_col, date_col, amount_col):
    rows = np.flatnonzero(bad)
    if reason is None:
        reason = np.zeros(0, dtype="int8")
    frame = pd.DataFrame(
        {
            "customer_id": transactions[customer_col].iloc[rows].to_numpy(dtype=object),
            "date": transactions[date_col].iloc[rows].to_numpy(dtype=object),
            "amount": (
                transactions[amount_col].iloc[rows].to_numpy(dtype=object)
                if amount_col is not None
                else np.full(rows.size, None, dtype=object)
            ),
            "reason": np.asarray(names, dtype=object)[reason[rows]],
        },
        index=transactions.index[rows],
    )
    return frame
