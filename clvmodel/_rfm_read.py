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
from clvmodel._reading_sql import no_rejects
from clvmodel._rfm_common import (
    check_log_frame,
    check_not_in_future,
    observation_end_day,
    time_unit_days,
)
from clvmodel._rfm_rows import Customers, Rows, customer_codes, summarise_rows
from clvmodel._rfm_validate import readable_examples
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


def _raise_first(transactions, masks, columns, date_format, offer_drop) -> None:
    """Raise for the first kind of unusable row, naming the column and a few values as the user
    wrote them (``missing``, ``inf``, ``$12``), each with its customer id (``columns``: customer,
    date, amount); ``offer_drop``: the caller takes ``on_invalid=``."""
    customer_col, date_col, amount_col = columns
    hint = (
        " Or pass on_invalid='drop' to leave such rows out (clvmodel.rfm.transaction_rejects "
        "lists them)."
        if offer_drop
        else " clvmodel.rfm.transaction_rejects lists every such row, to fix or drop first."
    )
    for reason, mask in masks.items():
        n = int(mask.sum())
        if n == 0:
            continue
        rows = np.flatnonzero(mask)
        first = rows[:6]  # five shown, and whether there are more
        ids = transactions[customer_col].iloc[first]
        if reason in (rd.MISSING_ID, rd.ID_NOT_WHOLE):
            what = "have no customer id" if reason == rd.MISSING_ID else "have a fractional id"
            message = (
                f"{n} transaction(s) {what} in column {customer_col!r} (row positions "
                f"{rd.examples(rows)} from 0, values {readable_examples(ids)}); drop or fix them "
                "before summarising."
            )
        elif reason in (rd.BAD_DATE, rd.OLD_DATE):
            shown = readable_examples(transactions[date_col].iloc[first], ids)
            what = "are missing or not dates"
            works = " Dates like '1997-01-31' (a day the calendar has) or datetime values work."
            if reason == rd.OLD_DATE:
                what, works = "are before 1900-01-01", ""
            elif date_format is not None:  # the values may be dates, written another way
                what, works = f"are missing or do not match date_format={date_format!r}", ""
            message = (
                f"{n} value(s) in column {date_col!r} {what} (for example {shown}); fix them or "
                f"drop those rows.{works}"
            )
        else:
            shown = readable_examples(transactions[amount_col].iloc[first], ids)
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
    offer_drop: bool = True,
) -> ReadLog:
    """Read and check a transaction log: the usable rows, and the others with a reason each.
    ``offer_drop``: an error for unusable rows may advise ``on_invalid='drop'`` (the caller
    takes it)."""
    check_on_invalid(on_invalid)
    check_log_frame(transactions, customer_col, date_col, amount_col)
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
            columns = (customer_col, date_col, amount_col)
            _raise_first(transactions, masks, columns, date_format, offer_drop)
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
    if rows.size == 0:  # the usual case: the same empty table without selecting from each column
        empty = np.empty(0, dtype=object)
        columns = ("customer_id", "date", "amount", "reason")
        return pd.DataFrame(dict.fromkeys(columns, empty), index=transactions.index[rows])
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


# --------------------------------------------------------------------------- Parquet, checked
class CheckedParquetLog:
    """A Parquet transaction log summarised in numpy, with a reason for each rejected row.

    What :class:`clvmodel.engine.TransactionSource` gives from DuckDB for the same file and
    options (counts, RFM rows, rejects table, distinct histories and spends), in one read of the
    three columns (:func:`clvmodel._parquet_log.read_checked_log`) and one summary
    (:func:`clvmodel._rfm_rows.summarise_rows`). Build it with :meth:`open`, which returns None
    for a log this route does not take.

    Parameters
    ----------
    log : clvmodel._parquet_log.CheckedLog
        The rows with their reason codes (consumed).
    end_day : int
        End of observation (day number).
    time_unit, drop_duplicates
        As :class:`clvmodel.engine.TransactionSource`.
    naive : bool
        Total the amounts without exact copies (with ``drop_duplicates``) for :meth:`naive_row`.
    """

    customer_type = None  # a file: no database column type

    def __init__(self, log, end_day: int, time_unit: str, drop_duplicates: bool,
                 naive: bool):  # fmt: skip
        usable = log.reason == 0
        self._rows = int(log.day.size)
        self._valid_rows = int(np.count_nonzero(usable))
        self._no_id_rows = int(np.count_nonzero(log.reason == 1))
        self.end = pd.Timestamp(np.datetime64(end_day, "D"))
        self._end_day, self._time_unit = end_day, time_unit
        self._with_amount = log.amount is not None
        everything = self._valid_rows == self._rows
        ids, day, amount, tag = (
            a if a is None or everything else a[usable]
            for a in (log.ids, log.day, log.amount, log.tag)
        )
        self._rejected, self._id_type = log.rejected, log.id_type
        log.ids = log.day = log.amount = log.tag = log.reason = None
        self.first_day = int(day.min())
        self.revenue = None if amount is None else float(amount.sum())
        if naive and drop_duplicates and amount is not None:
            self.revenue = _revenue_without_copies(ids, tag if tag is not None else day, amount)
        span = int(day.max()) - self.first_day + 1
        codes, customers = customer_codes(ids, day_span=span, overwrite=True)
        del ids
        rows = Rows(codes, customers, day, amount, tag)
        del codes, day, amount, tag
        self.summary = summarise_rows(rows, end_day, time_unit_days(time_unit), drop_duplicates)
        self.summary.attrs["time_unit"] = time_unit
        self._lost = self._customers_without_valid_row()

    @classmethod
    def open(cls, path, customer_col: str, date_col: str, amount_col: str | None,
             observation_end=None, time_unit: str = "W", drop_duplicates: bool = False,
             naive: bool = False) -> CheckedParquetLog | None:  # fmt: skip
        """The log at ``path`` summarised, or None when this route does not take it (a column
        type it does not read, a text id to normalise, no usable row): DuckDB then reads it.

        ``observation_end`` is read as DuckDB's route reads it (an explicit end is checked; by
        default the last usable day, not in the future); ``naive`` computes the revenue
        :meth:`naive_row` needs when ``drop_duplicates`` leaves copies out.
        """
        from clvmodel._parquet_log import read_checked_log

        try:  # an unreadable file or end date: DuckDB's route says what is wrong, in its order
            end_day = None
            if observation_end is not None:
                end_day = observation_end_day(observation_end, None)
            log = read_checked_log(path, customer_col, date_col, amount_col, end_day)
        except Exception:
            return None
        if log is None or not (log.reason == 0).any():
            return None
        if end_day is None:
            end_day = int(log.day[log.reason == 0].max())
            check_not_in_future(end_day, "observation_end=")
        return cls(log, end_day, time_unit, drop_duplicates, naive)

    def _customers_without_valid_row(self):
        """Ids (Arrow) of the customers all of whose rows were rejected."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if self._rejected is None:
            return pa.array([], self._id_type)
        ids = pc.unique(self._rejected.column(0).combine_chunks().drop_null())
        seen = pd.Index(ids.to_pandas()).isin(self.summary.index)
        return ids.filter(pa.array(~seen))

    def row_counts(self) -> dict[str, int]:
        """Rows read and rejected."""
        return {"rows": self._rows, "rejected_rows": self._rows - self._valid_rows}

    def duplicate_rows(self) -> int:
        """Usable rows that repeat another usable row exactly (customer, date, amount)."""
        return int(self.summary.attrs["duplicate_rows"]) if self._with_amount else 0

    def counts(self) -> dict[str, int]:
        """As :meth:`clvmodel.engine.TransactionSource.counts`."""
        valid = len(self.summary)
        return {**self.row_counts(), "customers": valid + len(self._lost),
                "valid_customers": valid, "rows_without_customer": self._no_id_rows,
                "duplicate_rows": self.duplicate_rows()}  # fmt: skip

    def check_usable(self) -> dict[str, int]:
        """:meth:`counts` (:meth:`open` already refused a log without a usable row)."""
        return self.counts()

    def rejects(self, rejected_rows: int | None = None) -> pd.DataFrame:
        """Rejected rows and customers with no usable row, as DuckDB's route lists them: the
        same SQL (texts of the raw values, order by reason and id) over the few rows kept."""
        if self._rejected is None:
            return no_rejects()
        import duckdb
        import pyarrow as pa

        from clvmodel._parquet_log import CHECKED_REASONS

        table = self._rejected
        reasons = np.asarray(CHECKED_REASONS, dtype=object)[table.column("code").to_numpy()]
        raw_amount = table.column(2) if self._with_amount else pa.nulls(table.num_rows)
        rejected = pa.table(
            {
                "customer_id": table.column(0),
                "raw_date": table.column(1),
                "raw_amount": raw_amount,
                "reason": pa.array(reasons, pa.string()),
            }
        )
        lost = pa.table({"customer_id": self._lost})  # noqa: F841 (read by DuckDB)
        amount = "CAST(raw_amount AS VARCHAR)" if self._with_amount else "NULL"
        with duckdb.connect() as con:
            con.register("clv_rejected", rejected)
            con.register("clv_lost", lost)
            return con.execute(
                f"""
                SELECT customer_id, CAST(raw_date AS VARCHAR) AS date, {amount} AS amount, reason
                FROM clv_rejected
                UNION ALL
                SELECT customer_id, NULL, NULL, 'no valid transaction' FROM clv_lost
                ORDER BY reason, customer_id, date, amount
                """
            ).df()

    def rfm(self) -> pd.DataFrame:
        """The RFM summary, indexed by customer id (in order of first usable row)."""
        return self.summary

    def rfm_batches(self, batch_size: int = 500_000):
        """The RFM summary in batches of ``batch_size`` customers."""
        for start in range(0, len(self.summary), batch_size):
            batch = self.summary.iloc[start : start + batch_size]
            batch.attrs = {"time_unit": self._time_unit}
            yield batch

    def distinct_histories(self) -> pd.DataFrame:
        """Distinct (frequency, recency, T) rows with the number of customers of each."""
        return self._distinct(self.summary, ["frequency", "recency", "T"], self._time_unit)

    def distinct_spends(self) -> pd.DataFrame:
        """Distinct (frequency, monetary_value) rows of repeat buyers, with customer counts."""
        repeat = self.summary[self.summary["frequency"].to_numpy() > 0]
        return self._distinct(repeat, ["frequency", "monetary_value"], None)

    @staticmethod
    def _distinct(frame: pd.DataFrame, columns: list[str], time_unit) -> pd.DataFrame:
        counts = frame.groupby(columns, sort=False).size()
        result = counts.rename("customers").reset_index()
        result["frequency"] = result["frequency"].astype("int64")
        if time_unit is not None:
            result.attrs["time_unit"] = time_unit
        return result

    def naive_row(self) -> tuple[int, int, float, int]:
        """Customers, orders (customer-days), revenue and the first purchase day."""
        frequency = self.summary["frequency"].to_numpy()
        orders = int(frequency.sum()) + frequency.size
        return len(self.summary), orders, self.revenue, self.first_day


def _revenue_without_copies(ids, when: np.ndarray, amount: np.ndarray) -> float:
    """Total amount of the rows, each exact copy (same id, day or timestamp, amount) once."""
    frame = pd.DataFrame({"id": np.asarray(ids), "when": when, "amount": amount}, copy=False)
    return float(amount[~frame.duplicated().to_numpy()].sum())


def check_file_columns(location, header, customer_col, date_col, amount_col) -> None:
    """Refuse a log file (:func:`clvmodel.rfm_from_file`) without a named column:
    ``read_table``'s sentence, then :func:`clvmodel.rfm_summary`'s advice (with its hint for a
    log without amounts). ``header`` is the file's columns, None when it cannot be read (left
    to ``read_table`` to report)."""
    needed = [customer_col, date_col] + ([amount_col] if amount_col is not None else [])
    if header is None or all(column in header for column in needed):
        return
    try:
        check_log_frame(pd.DataFrame(columns=header), customer_col, date_col, amount_col)
    except InputError as exc:
        missing = ", ".join(repr(c) for c in needed if c not in header)
        advice = str(exc)[str(exc).index(" Name the right ones") :]
        raise InputError(
            f"{str(location)!r} has no column {missing}; its columns are {header}.{advice}"
        ) from None
