"""Validated transaction rows to one RFM row per customer, fast: the engine of the pandas path.

:func:`clvmodel.rfm_summary`, :func:`clvmodel.rfm_from_file` and the calibration/holdout split
hand over rows that are already checked (customer codes, day numbers, amounts); this module merges
purchases of one customer on one day and computes frequency, recency, T and mean spend. Each row
gets one int64 key, customer code shifted left plus day; logs already in (customer, day) order are
not sorted again, others are sorted once by value; the sorted keys are cut at customer boundaries
into pieces summarised two at a time in threads (numpy releases the GIL).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Customers:
    """Customer ids by integer code: ``labels[code]``, or ``offset + code`` for integer ids coded
    by value (``labels`` is None then, and codes need not follow first appearance)."""

    count: int  # number of codes
    labels: pd.Index | None = None
    offset: int = 0
    dtype: object = None  # dtype of integer ids coded by value

    @property
    def by_appearance(self) -> bool:
        """Whether code order is the order of first appearance in the log."""
        return self.labels is not None

    def take(self, codes: np.ndarray | None = None) -> pd.Index:
        """The ids of the given codes (of all codes without ``codes``)."""
        if self.labels is not None:
            return self.labels if codes is None else self.labels.take(codes)
        if codes is None:
            values = np.arange(self.count, dtype=self.dtype)
        else:
            values = codes.astype(self.dtype)
        values += self.dtype.type(self.offset)
        return pd.Index(values, copy=False)

    def factorized(self, codes: np.ndarray) -> tuple[np.ndarray, pd.Index]:
        """Codes in order of first appearance and the matching index of ids."""
        if self.labels is not None:
            return codes, self.labels
        new_codes, uniques = pd.factorize(codes)
        return new_codes.astype("int64"), self.take(uniques)


# Integer ids are coded by value (id − smallest id) when a (code, day, row) key fits in 63 bits,
# so that sorting by it is one radix-free SIMD sort of int64 values and no hash table is built.
_KEY_BITS = 63


def _day_bits(day_span: int) -> int:
    """Bits of the key that hold the day (``day − first day``)."""
    return max(day_span - 1, 1).bit_length()


def _fits_key(n_codes: int, day_span: int, rows: int) -> bool:
    """Whether (code, day, row position) packs into one non-negative int64."""
    bits = max(n_codes - 1, 1).bit_length() + _day_bits(day_span) + max(rows - 1, 1).bit_length()
    return bits <= _KEY_BITS


def customer_codes(ids, day_span: int, overwrite: bool = False) -> tuple[np.ndarray, Customers]:
    """Integer codes (a new int64 array, or ``ids`` itself with ``overwrite``) of customer ids.

    Integer ids in a range no longer than the log (and with :func:`_fits_key`) are coded as
    ``id − min(id)`` without hashing; anything else goes through :func:`pandas.factorize`, whose
    codes follow the order of first appearance.
    """
    values = ids.to_numpy() if isinstance(ids, pd.Series) else np.asarray(ids)
    if values.dtype.kind in "iu" and values.size:
        low, high = int(values.min()), int(values.max())
        n_codes = high - low + 1
        if n_codes <= values.size and _fits_key(n_codes, day_span, values.size):
            customers = Customers(n_codes, offset=low, dtype=values.dtype)
            if overwrite and values.dtype == np.int64:
                values -= low
                return values, customers
            if values.dtype.kind == "u":  # no overflow below the smallest id
                return (values - values.dtype.type(low)).astype("int64"), customers
            return np.subtract(values, low, dtype="int64"), customers
    codes, uniques = pd.factorize(ids, sort=False)
    return codes.astype("int64", copy=False), Customers(len(uniques), labels=pd.Index(uniques))


@dataclass
class Rows:
    """Validated rows handed over to be summarised, and consumed on the way: each array is dropped
    (or overwritten) as soon as it is no longer needed, which bounds the peak memory."""

    codes: np.ndarray | None  # int64 customer codes
    customers: Customers
    day: np.ndarray | None  # integer days since 1970-01-01
    amount: np.ndarray | None
    tag: np.ndarray | None = None  # int64: rows with equal day and tag have equal dates as written


@dataclass(frozen=True)
class _SortedLog:
    """Rows in (customer, day) order, as ascending int64 keys.

    Each key is ``code << shift | (day − low)``, followed by ``row_bits`` bits of the row's
    original position when the rows had to be sorted (with ``order`` instead when those bits do
    not fit); amounts stay in the original order and are gathered piece by piece.
    """

    key: np.ndarray
    low: int
    shift: int
    span: int  # days from the first to the last row's, both included
    last: int  # the last day (relative to ``low``) to summarise; later rows are skipped
    row_bits: int = 0
    order: np.ndarray | None = None
    amount: np.ndarray | None = None
    tag: np.ndarray | None = None

    @property
    def late(self) -> bool:
        """Whether some rows fall after the last day to summarise."""
        return self.span - 1 > self.last

    @property
    def was_sorted(self) -> bool:
        """Whether the rows came in this order (no original positions are kept)."""
        return self.row_bits == 0 and self.order is None

    def piece(self, part: slice):
        """``key, order, amount, tag`` of rows ``part``: plain keys, original positions (None
        when the rows came sorted), amounts and tags in sorted order."""
        key = self.key[part]
        order = self.order[part] if self.order is not None else None
        if self.row_bits:
            order = key & ((1 << self.row_bits) - 1)
            key = key >> self.row_bits

        def gather(values):
            if values is None:
                return None
            return values[part] if order is None else values[order]

        return key, order, gather(self.amount), gather(self.tag)


def sort_by_customer_day(rows: Rows, end_day: int) -> _SortedLog:
    """The rows as keys in (customer, day) order, consuming ``rows`` (the codes become the keys).

    Rows already in that order (checked in one pass) are not sorted. Otherwise the row position
    is packed into the key's low bits, so numpy sorts int64 values (SIMD) rather than arguments.
    """
    low = int(rows.day.min())
    span = int(rows.day.max()) - low + 1
    shift = _day_bits(span)
    key = rows.codes
    key <<= shift
    key += rows.day
    key -= low
    rows.codes = rows.day = None
    amount, rows.amount = rows.amount, None
    tag, rows.tag = rows.tag, None
    if key.size < 2 or bool((key[1:] >= key[:-1]).all()):
        return _SortedLog(key, low, shift, span, end_day - low, amount=amount, tag=tag)
    if _fits_key(rows.customers.count, span, key.size):
        row_bits = (key.size - 1).bit_length()
        key <<= row_bits
        key |= np.arange(key.size)
        key.sort()
        return _SortedLog(
            key, low, shift, span, end_day - low, row_bits=row_bits, amount=amount, tag=tag
        )
    order = np.argsort(key, kind="stable")
    return _SortedLog(
        key[order], low, shift, span, end_day - low, order=order, amount=amount, tag=tag
    )


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows where a run of equal values starts (sorted or grouped)."""
    change = np.empty(values.size, dtype=bool)
    change[:1] = True
    np.not_equal(values[1:], values[:-1], out=change[1:])
    return change


#: Rows per piece of the sorted log summarised at a time (bounds temporary memory).
_PIECE_ROWS = 1 << 16
_THREADS = 2


def _pieces(key: np.ndarray, shift: int) -> list[slice]:
    """Cut the sorted key into pieces of about ``_PIECE_ROWS`` rows at customer boundaries."""
    marks = np.arange(_PIECE_ROWS, key.size, _PIECE_ROWS)
    next_customer = ((key[marks] >> shift) + 1) << shift
    cuts = np.unique(np.searchsorted(key, next_customer))
    bounds = [0, *cuts[cuts < key.size].tolist(), key.size]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


@dataclass(frozen=True)
class _PerCustomer:
    """Output columns by customer code, filled piece by piece."""

    present: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary_value: np.ndarray | None
    first_row: np.ndarray | None
    drop_duplicates: bool = False
    duplicates: list = field(default_factory=list)  # exact duplicate rows, by piece

    @classmethod
    def empty(cls, n: int, amount: bool, first_row: bool, drop: bool = False) -> _PerCustomer:
        return cls(
            np.zeros(n, dtype=bool),
            np.empty(n, dtype="int64"),
            np.empty(n),
            np.empty(n),
            np.empty(n) if amount else None,
            np.empty(n, dtype="int64") if first_row else None,
            drop,
        )


def duplicate_positions(key: np.ndarray, amount, tag, repeats: np.ndarray) -> np.ndarray:
    """Positions of rows that repeat an earlier row exactly (same customer, day, tag and amount).

    Only rows on a day with several rows can be duplicates, and those are few: they are sorted
    (stably, so the first of equal rows stays first) and compared with their neighbours.
    """
    if repeats.size == 0 or amount is None:  # without amounts, copies change nothing
        return repeats[:0]
    before = repeats - 1
    longer = np.searchsorted(repeats, before)  # a repeat row right before: a run of 3 or more
    if not (repeats[np.minimum(longer, repeats.size - 1)] == before).any():
        # Runs of two rows (the usual case): a duplicate equals the row before it.
        same = amount[repeats] == amount[before]
        if tag is not None:
            same &= tag[repeats] == tag[before]
        return repeats[same]
    candidates = np.union1d(repeats, before)
    columns = [amount[candidates]] + ([] if tag is None else [tag[candidates]])
    columns.append(key[candidates])
    order = np.lexsort(columns)  # by key, then tag, then amount; stable
    same = np.ones(order.size - 1, dtype=bool)
    for column in columns:
        ordered = column[order]
        same &= ordered[1:] == ordered[:-1]
    return np.sort(candidates[order[1:][same]])


def _summarise_piece(key, amount, shift: int, low: int, end_day, unit_days, out, tag=None):
    """Fill ``out`` for the customers of a run of sorted rows that holds whole customers.

    Customers are runs of equal ``key >> shift``, purchase days runs of equal keys. Same-day
    repeats are rare, so they are handled as a short list of positions: they reduce the number
    of days, and those on a customer's first day are left out of the spend, which is a weighted
    count over each customer's rows with the first day's zeroed. First and last day come from the
    ends of the runs.
    """
    customer = key >> shift
    new_customer = _run_starts(customer)
    starts = np.flatnonzero(new_customer)
    ends = np.append(starts[1:], key.size)
    code = customer[starts]
    days = ends - starts
    repeats = np.flatnonzero(key[1:] == key[:-1]) + 1  # rows on the same day as the row before
    owner = np.searchsorted(starts, repeats, side="right") - 1  # their customers (positions)
    if repeats.size:
        days -= np.bincount(owner, minlength=starts.size)
    duplicates = duplicate_positions(key, amount, tag, repeats)
    out.duplicates.append(duplicates.size)
    mask = (1 << shift) - 1
    first = key[starts] & mask
    target = _target(code)
    out.present[target] = True
    days -= 1
    out.frequency[target] = days
    out.recency[target] = ((key[ends - 1] & mask) - first) / unit_days
    first += low
    out.T[target] = (end_day - first) / unit_days
    if amount is not None:  # nothing spent after the first day without a repeat purchase
        repeat = amount.copy()
        repeat[starts] = 0.0
        repeat[repeats[key[repeats] == key[starts[owner]]]] = 0.0
        if out.drop_duplicates:
            repeat[duplicates] = 0.0
        position = np.cumsum(new_customer, dtype="int64")
        position -= 1
        spent = np.bincount(position, weights=repeat, minlength=starts.size)
        np.maximum(days, 1, out=days)
        out.monetary_value[target] = spent / days


def _target(code: np.ndarray) -> slice | np.ndarray:
    """Where sorted customer codes go in a by-code column: a slice when they are consecutive."""
    if code[-1] - code[0] + 1 == code.size:
        return slice(int(code[0]), int(code[-1]) + 1)
    return code


def _appearance_order(first_row: np.ndarray) -> np.ndarray:
    """Positions of customers in order of their first row (distinct) in the original log: one
    SIMD sort of (first row, position) packed into int64 values when they fit."""
    bits = max(first_row.size - 1, 1).bit_length()
    if int(first_row.max()).bit_length() + bits > _KEY_BITS:
        return np.argsort(first_row, kind="stable")
    packed = first_row << bits
    packed |= np.arange(first_row.size)
    packed.sort()
    packed &= (1 << bits) - 1
    return packed


def _summarise_pieces(log: _SortedLog, out: _PerCustomer, end_day: int, unit_days: float) -> None:
    """:func:`_summarise_piece` over the whole log, two pieces at a time (numpy releases the GIL
    on these arrays)."""

    def run(part: slice) -> None:
        key, order, amount, tag = log.piece(part)
        order = order if out.first_row is not None else None
        if order is not None:  # each customer's first original row, late rows included
            customer = key >> log.shift
            starts = np.flatnonzero(_run_starts(customer))
            out.first_row[_target(customer[starts])] = np.minimum.reduceat(order, starts)
        if log.late:
            keep = (key & ((1 << log.shift) - 1)) <= log.last
            key, amount = key[keep], None if amount is None else amount[keep]
            tag = None if tag is None else tag[keep]
        if key.size:
            _summarise_piece(key, amount, log.shift, log.low, end_day, unit_days, out, tag)

    pieces = _pieces(log.key, log.shift + log.row_bits)
    if len(pieces) == 1:  # a small log: starting threads would cost more than the summary
        run(pieces[0])
        return
    with ThreadPoolExecutor(_THREADS) as pool:
        list(pool.map(run, pieces))


def summarise_rows(
    rows: Rows, end_day: int, unit_days: float, drop_duplicates: bool = False
) -> pd.DataFrame:
    """RFM columns straight from validated rows, consuming them; rows after ``end_day`` are
    skipped (they only count for the order of first appearance). The number of exact duplicate
    rows up to ``end_day`` is in ``attrs["duplicate_rows"]``; ``drop_duplicates`` leaves their
    amounts out (their day counts once anyway).

    The rows are put in (customer, day) order unless they already are in it (logs exported by
    customer are), then summarised piece by piece (see :func:`_summarise_piece`), two pieces at a
    time, into columns by customer code.
    """
    customers = rows.customers
    columns = ["frequency", "recency", "T"] + ([] if rows.amount is None else ["monetary_value"])
    n_rows = rows.codes.size
    if n_rows == 0:
        index = customers.take(rows.codes)
        empty = pd.DataFrame({c: np.zeros(0) for c in columns}, index=index)
        empty = empty.astype({"frequency": "int64"})
        empty.attrs["duplicate_rows"] = 0
        return empty
    log = sort_by_customer_day(rows, end_day)
    first_rows = not log.was_sorted and not customers.by_appearance
    out = _PerCustomer.empty(
        customers.count, "monetary_value" in columns, first_rows, drop_duplicates
    )
    _summarise_pieces(log, out, end_day, unit_days)
    del log
    duplicates = int(sum(out.duplicates))
    present, first_row = out.present, out.first_row
    values = {name: getattr(out, name) for name in columns}
    del out  # each column below is replaced in turn, so only one copy is held at a time
    index = customers.take()
    positions = None if present.all() else np.flatnonzero(present)
    if first_rows:  # codes by value: back to the order of first appearance
        chosen = _appearance_order(first_row if positions is None else first_row[positions])
        positions = chosen if positions is None else positions[chosen]
    if positions is not None:
        index = index[positions]
        for name in columns:
            values[name] = values[name][positions]
    summary = pd.DataFrame(values, index=index, columns=columns, copy=False)
    summary.attrs["duplicate_rows"] = duplicates
    return summary
