"""A transaction log's columns read from Parquet straight into numpy arrays.

This is the fast route of :func:`clvmodel.rfm_from_file`: row groups are decoded in two threads
(each with its own file handle), in batches of ``_BATCH_ROWS`` rows, into preallocated arrays;
dates become day numbers on the way, so only one batch per thread is ever held as Arrow data. It
handles the column types that need no parsing (integer or text ids, timestamps without a time
zone or dates, integer or floating-point amounts) and logs without a single invalid value;
anything else returns ``None`` and the caller takes the general route, which gives the usual
error messages. :func:`read_checked_log` reads the same columns for the CLI, with a reason for
each row that cannot be used instead of giving up (DuckDB route's reasons, in its order of
precedence), and keeps the rejected rows as read for the rejects file.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from clvmodel import _reading as rd
from clvmodel._reading import AMOUNT_BOUND, EARLIEST_DAY, MISSING_TEXTS, WHOLE_WITH_ZEROS

_THREADS = 2
_BATCH_ROWS = 1 << 17  # rows decoded at a time per thread
_DAY_RANGE = (EARLIEST_DAY, np.iinfo("int32").max)
# Text ids the reading rules would change or reject (see clvmodel._reading): those logs go the
# general route.
_ODD_ID = f"^{WHOLE_WITH_ZEROS}$"
_MISSING_IDS = pa.array(MISSING_TEXTS)


@dataclass
class LogArrays:
    """Validated columns of a transaction log, one element per row."""

    ids: np.ndarray | pd.Series  # integer ids as numpy, text ids as a pandas Series
    day: np.ndarray  # int32 days since 1970-01-01 (the calendar day of naive timestamps)
    amount: np.ndarray | None  # float64, finite and >= 0
    tag: np.ndarray | None = None  # int64 ticks of timestamp columns (None for dates)


#: Reasons of :func:`read_checked_log`, by code (0: usable), in the order they are checked: the
#: order of :func:`clvmodel._reading_sql.reject_reason_sql` for integer and text ids.
CHECKED_REASONS = (None, rd.MISSING_ID, rd.BAD_DATE, rd.OLD_DATE, rd.BAD_AMOUNT,
                   rd.INFINITE_AMOUNT, rd.HUGE_AMOUNT, rd.NEGATIVE_AMOUNT,
                   rd.AFTER_END)  # fmt: skip


@dataclass
class CheckedLog(LogArrays):
    """Every row of a log with the code of its reject reason (``CHECKED_REASONS``; 0 when usable).

    ``ids``, ``day`` and ``amount`` of rejected rows hold placeholders (0, a clipped day, NaN);
    ``rejected`` keeps those rows as read (the three columns, their position ``row`` and ``code``)
    in file order, for the rejects table.
    """

    reason: np.ndarray | None = None  # int8
    rejected: pa.Table | None = None
    id_type: pa.DataType | None = None


def _is_integer(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind)


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _is_date(kind: pa.DataType) -> bool:
    """Naive timestamps and dates: types whose values are days or ticks since 1970-01-01."""
    return (pa.types.is_timestamp(kind) and kind.tz is None) or pa.types.is_date(kind)


def _is_amount(kind: pa.DataType) -> bool:
    return (pa.types.is_floating(kind) and not pa.types.is_float16(kind)) or _is_integer(kind)


def _write_days(column: pa.Array, out: np.ndarray, ticks: np.ndarray | None) -> bool:
    """Day numbers of timestamps or dates into ``out`` (int32), rounded down like
    ``astype("datetime64[D]")``, and the timestamps' ticks into ``ticks``; False if a day is
    before 1900-01-01 or out of int32's range."""
    values = column.to_numpy(zero_copy_only=False)  # datetime64, in the column's unit
    unit, count = np.datetime_data(values.dtype)
    per_day = np.timedelta64(1, "D") // np.timedelta64(count, unit)
    days = values.view("int64") // per_day
    if days.min() < _DAY_RANGE[0] or days.max() > _DAY_RANGE[1]:
        return False
    out[:] = days
    if ticks is not None:
        ticks[:] = values.view("int64")
    return True


def _valid_amounts(values: np.ndarray) -> bool:
    """All finite, ≥ 0 and at most the bound (NaN fails the first test, inf the second)."""
    return bool(values.min() >= 0 and values.max() <= AMOUNT_BOUND)


def _normal_text_ids(ids: pa.Array) -> bool:
    """Whether no text id would be trimmed, rewritten or rejected by the reading rules (cheap
    tests first: a regular expression over every id would double the cost of reading them)."""
    if pc.any(pc.starts_with(ids, " ")).as_py() or pc.any(pc.ends_with(ids, " ")).as_py():
        return False
    if pc.any(pc.is_in(pc.ascii_lower(ids), value_set=_MISSING_IDS)).as_py():
        return False
    zeros = pc.filter(ids, pc.ends_with(ids, "0"))  # "1.0", "42.00"
    return not (len(zeros) and pc.any(pc.match_substring_regex(zeros, _ODD_ID)).as_py())


def _supported(schema: pa.Schema, customer_col: str, date_col: str, amount_col) -> bool:
    """Whether the columns exist and have types this reader takes."""
    needed = [customer_col, date_col] + ([amount_col] if amount_col is not None else [])
    if len(set(needed)) < len(needed) or any(schema.get_field_index(c) < 0 for c in needed):
        return False
    id_type = schema.field(customer_col).type
    if not (_is_integer(id_type) or _is_text(id_type)) or not _is_date(schema.field(date_col).type):
        return False
    return amount_col is None or _is_amount(schema.field(amount_col).type)


@dataclass
class _Target:
    """Where batches go: the column names and the preallocated arrays (``text_ids`` collects the
    Arrow arrays of text ids by row group instead)."""

    customer_col: str
    date_col: str
    amount_col: str | None
    ids: np.ndarray | None
    text_ids: list[list[pa.Array]]
    day: np.ndarray
    amount: np.ndarray | None
    tag: np.ndarray | None = None
    reason: np.ndarray | None = None  # checked reading: reason codes, and rejected rows by group
    end_day: int | None = None
    rejected: list[list[pa.Table]] | None = None

    def copy(self, batch: pa.RecordBatch, group: int, part: slice) -> bool:
        """Copy one batch into rows ``part``; False if a value is missing or invalid."""
        if self.reason is not None:
            return self.copy_checked(batch, group, part)
        if any(column.null_count for column in batch.columns):
            return False
        ids = batch.column(self.customer_col)
        if self.ids is not None:
            self.ids[part] = ids.to_numpy(zero_copy_only=False)
        else:
            if not _normal_text_ids(ids):
                return False
            self.text_ids[group].append(ids)
        tag = None if self.tag is None else self.tag[part]
        if not _write_days(batch.column(self.date_col), self.day[part], tag):
            return False
        if self.amount is None:
            return True
        self.amount[part] = batch.column(self.amount_col).to_numpy(zero_copy_only=False)
        return _valid_amounts(self.amount[part])

    def copy_checked(self, batch: pa.RecordBatch, group: int, part: slice) -> bool:
        """Copy one batch into rows ``part`` with each row's reason code; False only for text
        ids the reading rules would rewrite and days beyond int32 (left to DuckDB)."""
        ids = batch.column(self.customer_col)
        if self.ids is not None:
            filled = ids.fill_null(0) if ids.null_count else ids
            self.ids[part] = filled.to_numpy(zero_copy_only=False)
        elif not _normal_text_ids(ids):
            return False
        else:
            self.text_ids[group].append(ids)
        dates = batch.column(self.date_col)
        values = (dates.fill_null(0) if dates.null_count else dates).to_numpy(zero_copy_only=False)
        unit, count = np.datetime_data(values.dtype)
        days = values.view("int64") // (np.timedelta64(1, "D") // np.timedelta64(count, unit))
        if days.max() > _DAY_RANGE[1]:
            return False
        np.maximum(days, np.iinfo("int32").min, out=days)
        self.day[part] = days
        if self.tag is not None:
            self.tag[part] = values.view("int64")
        amount = None
        if self.amount is not None:
            self.amount[part] = batch.column(self.amount_col).to_numpy(zero_copy_only=False)
            amount = self.amount[part]
        code = _reason_codes(ids, dates, days, amount, self.end_day)
        if code is None:
            return True
        self.reason[part] = code
        rows = np.flatnonzero(code)
        columns = [self.customer_col, self.date_col] + (
            [self.amount_col] if amount is not None else []
        )
        table = pa.Table.from_batches([batch.select(columns)]).take(rows)
        table = table.append_column("row", pa.array(rows + part.start, pa.int64()))
        self.rejected[group].append(table.append_column("code", pa.array(code[rows])))
        return True


def _reason_codes(ids, dates, days, amount, end_day) -> np.ndarray | None:
    """Each row's reason code (:data:`CHECKED_REASONS`), or None when every row is usable; cheap
    whole-batch tests first, the masks only for a batch with a rejected row."""
    amounts_ok = amount is None or bool(amount.min() >= 0 and amount.max() <= AMOUNT_BOUND)
    late = end_day is not None and int(days.max()) > end_day
    if not (ids.null_count or dates.null_count or days.min() < EARLIEST_DAY or late) and amounts_ok:
        return None
    masks = [
        (1, ids.is_null().to_numpy(zero_copy_only=False)),
        (2, dates.is_null().to_numpy(zero_copy_only=False)),
        (3, days < EARLIEST_DAY),
    ]
    if amount is not None:
        size = np.abs(amount)
        masks += [(4, np.isnan(amount)), (5, np.isinf(amount)), (6, size > AMOUNT_BOUND)]
        masks.append((7, amount < 0))
    if end_day is not None:
        masks.append((8, days > end_day))
    code = np.zeros(days.size, dtype="int8")
    for value, mask in reversed(masks):  # the first reason that applies wins
        code[mask] = value
    return code


def _load(path, groups: list[int], offsets: list[int], columns: list[str], target) -> bool:
    """Read row groups ``groups`` (whose first rows are at ``offsets``) into ``target``."""
    with pq.ParquetFile(path) as reader:  # one handle per thread
        for group in groups:
            start = offsets[group]
            for batch in reader.iter_batches(_BATCH_ROWS, [group], columns, use_threads=False):
                part = slice(start, start + batch.num_rows)
                start = part.stop
                if not target.copy(batch, group, part):
                    return False
    return True


def read_parquet_log(
    path: str | os.PathLike, customer_col: str, date_col: str, amount_col: str | None
) -> LogArrays | None:
    """Read the id, date and amount columns of a Parquet log as numpy arrays.

    Returns
    -------
    LogArrays or None
        None when a column is missing or of a type this reader leaves to pandas (text dates,
        zoned timestamps, decimal amounts, ...), when the file has no rows, or when a value is
        invalid or to be normalised by the reading rules (:mod:`clvmodel._reading`): a missing
        id or date, a text id with surrounding spaces or written like ``1.0`` or ``NaN``, a date
        before 1900, or an amount that is missing, not finite, negative or beyond ±1e12.
    """
    return _read(path, customer_col, date_col, amount_col, checked=False, end_day=None)


def read_checked_log(
    path: str | os.PathLike,
    customer_col: str,
    date_col: str,
    amount_col: str | None,
    end_day: int | None = None,
) -> CheckedLog | None:
    """Read the columns of a Parquet log as numpy arrays, with each row's reject reason.

    Parameters
    ----------
    path : str or path-like
        A Parquet file.
    customer_col, date_col, amount_col : str
        Column names; ``amount_col=None`` for a log without amounts.
    end_day : int, optional
        End of observation as a day number: later rows get the reason ``after observation end``.

    Returns
    -------
    CheckedLog or None
        None when a column is missing or of a type this reader does not take (as
        :func:`read_parquet_log`), when the file has no rows, or when a text id would be rewritten
        by the reading rules (surrounding spaces, ``1.0``, ``NaN``) or a day is beyond int32.
        Missing ids and dates, dates before 1900 and bad amounts are rows with a reason.
    """
    return _read(path, customer_col, date_col, amount_col, checked=True, end_day=end_day)


def _read(path, customer_col, date_col, amount_col, checked: bool, end_day):
    with pq.ParquetFile(path) as handle:
        schema, metadata = handle.schema_arrow, handle.metadata
    if not _supported(schema, customer_col, date_col, amount_col):
        return None
    sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    rows = sum(sizes)
    if rows == 0:
        return None
    id_type = schema.field(customer_col).type
    target = _Target(
        customer_col,
        date_col,
        amount_col,
        np.empty(rows, dtype=id_type.to_pandas_dtype()) if _is_integer(id_type) else None,
        [[] for _ in sizes],
        np.empty(rows, dtype="int32"),
        None if amount_col is None else np.empty(rows, dtype="float64"),
        np.empty(rows, dtype="int64")
        if pa.types.is_timestamp(schema.field(date_col).type)
        else None,
    )
    if checked:
        target.reason = np.zeros(rows, dtype="int8")
        target.end_day = end_day
        target.rejected = [[] for _ in sizes]
    columns = [customer_col, date_col] + ([amount_col] if amount_col is not None else [])
    offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    groups = list(range(len(sizes)))
    with ThreadPoolExecutor(_THREADS) as pool:
        shares = [groups[i::_THREADS] for i in range(_THREADS)]
        done = pool.map(lambda share: _load(path, share, offsets, columns, target), shares)
        if not all(list(done)):
            return None
    ids = target.ids
    if ids is None:
        parts = [array for arrays in target.text_ids for array in arrays]
        ids = pa.chunked_array(parts, type=id_type).to_pandas()
    if not checked:
        return LogArrays(ids, target.day, target.amount, target.tag)
    tables = [table for group in target.rejected for table in group]
    rejected = pa.concat_tables(tables) if tables else None
    return CheckedLog(ids, target.day, target.amount, target.tag, target.reason, rejected, id_type)
