"""Transaction logs to RFM summaries, calibration/holdout splits, and the checks on both.

An RFM summary describes each customer by

* ``frequency`` (x): the number of *repeat* purchase days, i.e. distinct days with a purchase after
  the first one;
* ``recency`` (t_x): the time from the first purchase to the last one;
* ``T``: the time from the first purchase to the end of observation;
* ``monetary_value``: the mean amount spent on the repeat purchase days (0 when x = 0).

These are the conventions of Fader, Hardie and Lee (2005) and of the ``lifetimes`` package, whose
``summary_data_from_transaction_data(..., freq="D", freq_multiplier=7)`` gives the same numbers as
``rfm_summary(..., time_unit="W")``. Purchases on the same day are merged into one, with their
amounts added up.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clvmodel.errors import InputError

__all__ = [
    "TIME_UNITS",
    "RfmArrays",
    "calibration_holdout_split",
    "rfm_from_file",
    "rfm_summary",
    "validate_rfm",
]

#: Length of each supported model time unit, in days.
TIME_UNITS: dict[str, float] = {"D": 1.0, "W": 7.0}

_EXAMPLES = 5


def _unit_days(time_unit: str) -> float:
    try:
        return TIME_UNITS[time_unit]
    except (KeyError, TypeError):
        raise InputError(
            f"time_unit={time_unit!r} is not supported; use 'D' (days) or 'W' (weeks of 7 days)."
        ) from None


def _examples(values) -> str:
    shown = [str(v) for v in list(values)[:_EXAMPLES]]
    return ", ".join(shown) + (" ..." if len(values) > _EXAMPLES else "")


def _parse_date(value, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"{name}={value!r} is not a date; give it as 'YYYY-MM-DD' or a datetime."
        ) from exc
    if stamp is pd.NaT:
        raise InputError(f"{name} is missing (NaT); give it as 'YYYY-MM-DD' or a datetime.")
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


@dataclass(frozen=True)
class _CleanLog:
    """A validated transaction log reduced to one row per (customer, day)."""

    customers: pd.Index  # unique customer ids, in order of first appearance
    customer_code: np.ndarray  # int64 index into ``customers``, sorted ascending with ``day``
    day: np.ndarray  # int64 days since 1970-01-01
    amount: np.ndarray | None  # float64 total spent that day, or None without an amount column


def _clean_log(
    transactions: pd.DataFrame,
    customer_col: str,
    date_col: str,
    amount_col: str | None,
) -> _CleanLog:
    """Validate a transaction log and merge same-day purchases of each customer."""
    codes, customers, day, amount = _validated_rows(
        transactions, customer_col, date_col, amount_col
    )
    return _merge_days(*customers.factorized(codes), day, amount)


def _validated_rows(transactions, customer_col, date_col, amount_col):
    """Validate a transaction log; return customer codes, customer ids, days and amounts."""
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
        raise InputError("the transaction table is empty: there is nothing to summarise.")

    ids = transactions[customer_col]
    missing_ids = ids.isna().to_numpy()
    if missing_ids.any():
        rows = np.flatnonzero(missing_ids)
        raise InputError(
            f"{rows.size} transaction(s) have no customer id in column {customer_col!r} "
            f"(rows {_examples(rows)}); drop or fill them before summarising."
        )

    raw_dates = transactions[date_col]
    if pd.api.types.is_numeric_dtype(raw_dates) and not pd.api.types.is_bool_dtype(raw_dates):
        raise InputError(
            f"column {date_col!r} holds numbers ({raw_dates.head(3).tolist()} ...), which are "
            "ambiguous as dates; convert it first, e.g. pd.to_datetime(df[col].astype(str), "
            "format='%Y%m%d') for values like 19970101."
        )
    if pd.api.types.is_datetime64_any_dtype(raw_dates):
        dates = raw_dates
    else:
        try:
            dates = pd.to_datetime(raw_dates, errors="coerce", format="mixed")
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"the dates in column {date_col!r} mix time zones or offsets ({exc}); convert "
                "them to one time zone first, e.g. pd.to_datetime(df[col], utc=True)"
                ".dt.tz_convert('Europe/Berlin')."
            ) from None
    # A purchase's day is its local calendar day: drop the zone, keep the wall-clock time.
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    bad_dates = dates.isna().to_numpy()
    if bad_dates.any():
        examples = raw_dates[bad_dates].head(_EXAMPLES).tolist()
        raise InputError(
            f"{int(bad_dates.sum())} value(s) in column {date_col!r} are missing or not dates "
            f"(for example {examples}); fix them or drop those rows. Dates like '1997-01-31' or "
            "datetime values work."
        )

    amount = None
    if amount_col is not None:
        amount_series = pd.to_numeric(transactions[amount_col], errors="coerce")
        amount = amount_series.to_numpy(dtype="float64", na_value=np.nan)
        bad_amount = ~np.isfinite(amount)
        if bad_amount.any():
            examples = transactions[amount_col][bad_amount].head(_EXAMPLES).tolist()
            raise InputError(
                f"{int(bad_amount.sum())} value(s) in column {amount_col!r} are missing, infinite "
                f"or not numbers (for example {examples}); fix or drop those rows."
            )
        negative = amount < 0
        if negative.any():
            raise InputError(
                f"{int(negative.sum())} value(s) in column {amount_col!r} are negative (for "
                f"example {amount[negative][:_EXAMPLES].tolist()}); spend models need amounts "
                "≥ 0. Net refunds against their purchases, or drop them, before summarising."
            )

    day = dates.to_numpy().astype("datetime64[D]").astype("int64")
    codes, customers = _customer_codes(ids, day_span=int(day.max()) - int(day.min()) + 1)
    return codes, customers, day, amount


def _merge_days(codes, customers, day, amount) -> _CleanLog:
    """One row per (customer, day), sorted by both, with the day's amounts added up."""
    order = np.lexsort((day, codes))
    codes, day = codes[order], day[order]
    new_run = np.empty(codes.size, dtype=bool)
    new_run[0] = True
    np.logical_or(codes[1:] != codes[:-1], day[1:] != day[:-1], out=new_run[1:])
    starts = np.flatnonzero(new_run)
    if amount is not None:
        amount = np.add.reduceat(amount[order], starts)
    return _CleanLog(customers, codes[starts], day[starts], amount)


@dataclass(frozen=True)
class _Customers:
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


def _customer_codes(ids, day_span: int, overwrite: bool = False) -> tuple[np.ndarray, _Customers]:
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
            customers = _Customers(n_codes, offset=low, dtype=values.dtype)
            if overwrite and values.dtype == np.int64:
                values -= low
                return values, customers
            if values.dtype.kind == "u":  # no overflow below the smallest id
                return (values - values.dtype.type(low)).astype("int64"), customers
            return np.subtract(values, low, dtype="int64"), customers
    codes, uniques = pd.factorize(ids, sort=False)
    return codes.astype("int64", copy=False), _Customers(len(uniques), labels=pd.Index(uniques))


@dataclass
class _Rows:
    """Validated rows handed over to be summarised, and consumed on the way: each array is dropped
    (or overwritten) as soon as it is no longer needed, which bounds the peak memory."""

    codes: np.ndarray | None  # int64 customer codes
    customers: _Customers
    day: np.ndarray | None  # integer days since 1970-01-01
    amount: np.ndarray | None


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

    @property
    def late(self) -> bool:
        """Whether some rows fall after the last day to summarise."""
        return self.span - 1 > self.last

    @property
    def was_sorted(self) -> bool:
        """Whether the rows came in this order (no original positions are kept)."""
        return self.row_bits == 0 and self.order is None

    def piece(self, part: slice):
        """``key, order, amount`` of rows ``part``: plain keys, original positions (None when
        the rows came sorted) and amounts in sorted order."""
        key = self.key[part]
        order = self.order[part] if self.order is not None else None
        if self.row_bits:
            order = key & ((1 << self.row_bits) - 1)
            key = key >> self.row_bits
        if self.amount is None:
            return key, order, None
        return key, order, self.amount[part] if order is None else self.amount[order]


def _sort_by_customer_day(rows: _Rows, end_day: int) -> _SortedLog:
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
    if key.size < 2 or bool((key[1:] >= key[:-1]).all()):
        return _SortedLog(key, low, shift, span, end_day - low, amount=amount)
    if _fits_key(rows.customers.count, span, key.size):
        row_bits = (key.size - 1).bit_length()
        key <<= row_bits
        key |= np.arange(key.size)
        key.sort()
        return _SortedLog(key, low, shift, span, end_day - low, row_bits=row_bits, amount=amount)
    order = np.argsort(key, kind="stable")
    return _SortedLog(key[order], low, shift, span, end_day - low, order=order, amount=amount)


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

    @classmethod
    def empty(cls, n: int, amount: bool, first_row: bool) -> _PerCustomer:
        return cls(
            np.zeros(n, dtype=bool),
            np.empty(n, dtype="int64"),
            np.empty(n),
            np.empty(n),
            np.empty(n) if amount else None,
            np.empty(n, dtype="int64") if first_row else None,
        )


def _summarise_piece(key, amount, shift: int, low: int, end_day, unit_days, out) -> None:
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
        key, order, amount = log.piece(part)
        order = order if out.first_row is not None else None
        if order is not None:  # each customer's first original row, late rows included
            customer = key >> log.shift
            starts = np.flatnonzero(_run_starts(customer))
            out.first_row[_target(customer[starts])] = np.minimum.reduceat(order, starts)
        if log.late:
            keep = (key & ((1 << log.shift) - 1)) <= log.last
            key, amount = key[keep], None if amount is None else amount[keep]
        if key.size:
            _summarise_piece(key, amount, log.shift, log.low, end_day, unit_days, out)

    with ThreadPoolExecutor(_THREADS) as pool:
        list(pool.map(run, _pieces(log.key, log.shift + log.row_bits)))


def _summarise_rows(rows: _Rows, end_day: int, unit_days: float) -> pd.DataFrame:
    """RFM columns straight from validated rows, consuming them; rows after ``end_day`` are
    skipped (they only count for the order of first appearance).

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
        return empty.astype({"frequency": "int64"})
    log = _sort_by_customer_day(rows, end_day)
    first_rows = not log.was_sorted and not customers.by_appearance
    out = _PerCustomer.empty(customers.count, "monetary_value" in columns, first_rows)
    _summarise_pieces(log, out, end_day, unit_days)
    del log
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
    return pd.DataFrame(values, index=index, columns=columns, copy=False)


def _count_customer_days(codes: np.ndarray, day: np.ndarray) -> int:
    """Number of distinct (customer, day) pairs."""
    if codes.size == 0:
        return 0
    low = int(day.min())
    return int(np.unique(codes * (int(day.max()) - low + 1) + (day - low)).size)


def _day_number(stamp: pd.Timestamp) -> int:
    return int(np.datetime64(stamp.normalize().to_datetime64(), "D").astype("int64"))


def _summary_of_rows(rows: _Rows, observation_end, time_unit: str, truncate: bool) -> pd.DataFrame:
    """:func:`rfm_summary` of validated rows (consumed): the end of observation, truncation, the
    summary."""
    unit_days = _unit_days(time_unit)
    day = rows.day
    last_day = int(day.max())
    if observation_end is None:
        end_day = last_day
        today = _day_number(pd.Timestamp.now())
        if end_day > today:
            raise InputError(
                f"the latest transaction date ({np.datetime64(end_day, 'D')}) is in the future; "
                "check the date column's format (day and month swapped?) or pass "
                "observation_end= explicitly."
            )
    else:
        end_day = _day_number(_parse_date(observation_end, "observation_end"))
    first_day = int(day.min())
    if end_day < first_day:
        raise InputError(
            f"observation_end ({np.datetime64(end_day, 'D')}) is before the first transaction "
            f"({np.datetime64(first_day, 'D')}); choose an end date within or after the data."
        )
    dropped = 0
    if last_day > end_day:
        late = day > end_day
        late_days = _count_customer_days(rows.codes[late], day[late])
        if not truncate:
            raise InputError(
                f"{late_days} customer-day(s) of purchases fall after observation_end "
                f"({np.datetime64(end_day, 'D')}), up to {np.datetime64(last_day, 'D')}; pass "
                "a later observation_end, or truncate=True to ignore them."
            )
        dropped = late_days
        del late  # the late rows stay: they count for the order of first appearance
    del day
    summary = _summarise_rows(rows, end_day, unit_days)
    summary.attrs["time_unit"] = time_unit
    summary.attrs["purchase_days_after_end"] = dropped
    return summary


def rfm_summary(
    transactions: pd.DataFrame,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str | None = "amount",
    observation_end=None,
    time_unit: str = "W",
    truncate: bool = True,
) -> pd.DataFrame:
    """Summarise a transaction log into one RFM row per customer.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase, with a customer id, a date and (optionally) an amount.
    customer_col, date_col : str
        Names of the customer-id and date columns.
    amount_col : str or None
        Name of the amount column; ``None`` leaves out ``monetary_value``.
    observation_end : date-like, optional
        End of the observation period (inclusive). Defaults to the last transaction date.
    time_unit : {"W", "D"}
        Unit of ``recency`` and ``T``: days, or weeks of 7 days (fractional, as in the papers).
    truncate : bool
        What to do with transactions after ``observation_end``: ignore them (``True``, the default,
        as when summarising a calibration period; the number of customer-days so ignored is kept in
        ``result.attrs["purchase_days_after_end"]``) or raise an :class:`~clvmodel.InputError`
        (``False``, for logs that should end by ``observation_end``).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (in order of first appearance), with columns ``frequency`` (int),
        ``recency``, ``T`` and, with an amount column, ``monetary_value``.

    Raises
    ------
    InputError
        Missing columns, an empty table, missing ids, unparseable dates, negative or missing
        amounts,
        transactions after ``observation_end``, or an unknown ``time_unit``.

    Notes
    -----
    Definitions follow Fader, Hardie and Lee (2005), "Counting your customers the easy way":
    frequency counts repeat purchase days, recency is the time of the last purchase measured from
    the first, and ``T`` the customer's age at ``observation_end``.

    Examples
    --------
    >>> import clvmodel as clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30")
    >>> rfm.loc["00004", ["frequency", "recency", "T"]].round(2).tolist()
    [2.0, 30.43, 38.86]
    """
    _unit_days(time_unit)
    rows = _Rows(*_validated_rows(transactions, customer_col, date_col, amount_col))
    return _summary_of_rows(rows, observation_end, time_unit, truncate)


def _rows_of_log(log) -> _Rows:
    """Rows of a :class:`clvmodel._parquet_log.LogArrays`, whose arrays move out of ``log``."""
    span = int(log.day.max()) - int(log.day.min()) + 1
    codes, customers = _customer_codes(log.ids, day_span=span, overwrite=True)
    rows = _Rows(codes, customers, log.day, log.amount)
    log.ids = log.day = log.amount = None
    return rows


def rfm_from_file(
    path,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str | None = "amount",
    observation_end=None,
    time_unit: str = "W",
    truncate: bool = True,
) -> pd.DataFrame:
    """Summarise a transaction log file (Parquet or CSV) into one RFM row per customer.

    The result, its errors and its ``attrs`` are those of
    ``rfm_summary(clvmodel.io.read_table(path, columns), ...)``, but a Parquet log never becomes a
    DataFrame: only the three columns are read, row groups are decoded in two threads straight
    into numpy arrays, integer customer ids are used as they are (no hashing) and rows already
    sorted by customer and date are not sorted again. On 9.9M transactions of 3M customers this
    is about 20× faster than ``lifetimes`` with a fifth of its peak memory (10× with the rows in
    random order; ``benchmarks/RESULTS.md``).

    Parameters
    ----------
    path : str or path-like
        A ``.parquet`` (or ``.pq``) or ``.csv`` file with one row per purchase.
    customer_col, date_col, amount_col, observation_end, time_unit, truncate
        As in :func:`rfm_summary`; ``amount_col=None`` leaves out ``monetary_value``.

    Returns
    -------
    pandas.DataFrame
        As :func:`rfm_summary`: indexed by customer id in order of first appearance, with
        ``frequency``, ``recency``, ``T`` and (with amounts) ``monetary_value``.

    Raises
    ------
    InputError
        Those of :func:`clvmodel.io.read_table` (missing file, unknown extension, missing column)
        and of :func:`rfm_summary` (missing ids, bad dates or amounts, ...).

    Notes
    -----
    The fast route takes Parquet columns of integer or text ids, timestamps without a time zone
    or dates, and integer or floating-point amounts. Other types (text dates, zoned timestamps,
    ...), CSV files, and logs with an invalid value are read with pandas and summarised by
    :func:`rfm_summary`, which reports what is wrong.

    Examples
    --------
    >>> import tempfile, pathlib, clvmodel as clv
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "log.parquet"
    >>> clv.datasets.load_cdnow_sample().to_parquet(log)
    >>> rfm = clv.rfm_from_file(log, observation_end="1997-09-30")
    >>> rfm.loc["00004", ["frequency", "recency", "T"]].round(2).tolist()
    [2.0, 30.43, 38.86]
    """
    from clvmodel.io import _format_of, read_table

    _unit_days(time_unit)
    columns = [customer_col, date_col] + ([amount_col] if amount_col is not None else [])
    location = Path(path)
    if _format_of(location) == "parquet" and location.is_file():
        from clvmodel._parquet_log import read_parquet_log

        try:
            log = read_parquet_log(location, customer_col, date_col, amount_col)
        except Exception:  # an unreadable file: read_table below says what is wrong with it
            log = None
        if log is not None:
            return _summary_of_rows(_rows_of_log(log), observation_end, time_unit, truncate)
    frame = read_table(location, columns=columns)
    return rfm_summary(
        frame, customer_col, date_col, amount_col, observation_end, time_unit, truncate
    )


def calibration_holdout_split(
    transactions: pd.DataFrame,
    calibration_end,
    observation_end=None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str | None = "amount",
    time_unit: str = "W",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a transaction log into a calibration RFM summary and the holdout outcome.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase.
    calibration_end : date-like
        Last day of the calibration period (inclusive).
    observation_end : date-like, optional
        Last day of the holdout period (inclusive); defaults to the last transaction date.
    customer_col, date_col, amount_col : str
        Column names, as in :func:`rfm_summary`.
    time_unit : {"W", "D"}
        Unit of recency, ``T`` and the holdout duration.

    Returns
    -------
    calibration : pandas.DataFrame
        :func:`rfm_summary` of the purchases up to ``calibration_end``, for every customer whose
        first purchase is in the calibration period.
    holdout : pandas.DataFrame
        Same index, with ``frequency_holdout`` (purchase days in the holdout period),
        ``monetary_value_holdout`` (mean amount per holdout purchase day, 0 without one) and
        ``duration_holdout``. Customers whose first purchase falls in the holdout period are not
        part of the calibration cohort; their ids are listed in ``holdout.attrs["new_customers"]``.

    Raises
    ------
    InputError
        As :func:`rfm_summary`, and when ``calibration_end`` is not strictly between the first
        transaction and ``observation_end``.

    Examples
    --------
    >>> import clvmodel as clv
    >>> cal, hold = clv.calibration_holdout_split(
    ...     clv.datasets.load_cdnow_sample(), calibration_end="1997-09-30",
    ...     observation_end="1998-06-30")
    >>> len(cal), round(float(hold["duration_holdout"].iloc[0]), 2)
    (2357, 39.0)
    """
    unit_days = _unit_days(time_unit)
    log = _clean_log(transactions, customer_col, date_col, amount_col)
    cal_day = _day_number(_parse_date(calibration_end, "calibration_end"))
    first_day, last_day = int(log.day.min()), int(log.day.max())
    end_day = (
        last_day
        if observation_end is None
        else _day_number(_parse_date(observation_end, "observation_end"))
    )
    if not first_day <= cal_day < end_day:
        raise InputError(
            f"calibration_end ({np.datetime64(cal_day, 'D')}) must fall on or after the first "
            f"transaction ({np.datetime64(first_day, 'D')}) and before the end of observation "
            f"({np.datetime64(end_day, 'D')}), so that both periods have days in them."
        )
    in_calibration = log.day <= cal_day
    in_holdout = (log.day > cal_day) & (log.day <= end_day)

    calibration_rows = _Rows(
        log.customer_code[in_calibration],
        _Customers(len(log.customers), labels=log.customers),
        log.day[in_calibration],
        None if log.amount is None else log.amount[in_calibration],
    )
    calibration = _summarise_rows(calibration_rows, cal_day, unit_days)
    cohort = np.zeros(len(log.customers), dtype=bool)
    cohort[log.customer_code[in_calibration]] = True

    holdout_code = log.customer_code[in_holdout]
    n = len(log.customers)
    frequency = np.bincount(holdout_code, minlength=n)
    holdout_columns = {"frequency_holdout": frequency.astype("int64")}
    if log.amount is not None:
        spent = np.bincount(holdout_code, weights=log.amount[in_holdout], minlength=n)
        holdout_columns["monetary_value_holdout"] = np.where(
            frequency > 0, spent / np.maximum(frequency, 1), 0.0
        )
    holdout_columns["duration_holdout"] = np.full(n, (end_day - cal_day) / unit_days)
    holdout = pd.DataFrame(holdout_columns, index=log.customers)

    new_customers = log.customers[~cohort & (frequency > 0)]
    holdout = holdout[cohort]  # the calibration summary holds exactly the cohort, in this order
    holdout.attrs["new_customers"] = list(new_customers)
    calibration.attrs["time_unit"] = holdout.attrs["time_unit"] = time_unit
    return calibration, holdout


@dataclass(frozen=True)
class RfmArrays:
    """Validated RFM columns as float arrays (``monetary_value`` may be ``None``)."""

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


def _column(data, name: str):
    for alias in _ALIASES[name]:
        if alias in data:
            return data[alias]
    return None


def validate_rfm(
    data,
    require: tuple[str, ...] = ("frequency", "recency", "T"),
) -> RfmArrays:
    """Check an RFM table and return its columns as float arrays.

    Parameters
    ----------
    data : pandas.DataFrame or mapping of array-likes
        Must contain the columns in ``require``; ``frequency_cal``-style names from
        ``lifetimes`` and the paper's ``x`` and ``t_x`` are accepted too.
    require : tuple of str
        Which of ``frequency``, ``recency``, ``T`` and ``monetary_value`` must be present.

    Returns
    -------
    RfmArrays

    Raises
    ------
    InputError
        A required column is missing, a value is missing or not finite, frequency is negative or
        not a whole number, recency is negative or larger than ``T``, a customer without repeat
        purchases has a recency other than 0, or a repeat buyer has a negative spend.
    """
    if not isinstance(data, pd.DataFrame | Mapping):
        raise InputError(
            f"expected a DataFrame with columns {list(require)}, got {type(data).__name__}."
        )
    missing = [name for name in require if _column(data, name) is None]
    if missing:
        have = list(map(str, data.columns if isinstance(data, pd.DataFrame) else data.keys()))
        raise InputError(
            f"the RFM table has no column {', '.join(map(repr, missing))}; it has {have}. "
            "Build one with clvmodel.rfm_summary(transactions, ...), or rename your columns to "
            "frequency, recency, T and monetary_value."
        )
    arrays = {}
    for name in ("frequency", "recency", "T", "monetary_value"):
        column = _column(data, name)
        if column is None:
            continue
        try:
            values = np.asarray(column, dtype="float64")
        except (TypeError, ValueError) as exc:
            raise InputError(f"column {name!r} must hold numbers: {exc}") from None
        values = np.atleast_1d(values)
        bad = ~np.isfinite(values)
        if bad.any():
            raise InputError(
                f"{int(bad.sum())} value(s) of {name!r} are missing or infinite (positions "
                f"{_examples(np.flatnonzero(bad))}); drop or fix those customers."
            )
        arrays[name] = values
    lengths = {name: v.size for name, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise InputError(f"the RFM columns have different lengths: {lengths}.")
    n = next(iter(lengths.values()))
    if n == 0:
        raise InputError("the RFM table is empty: there are no customers to use.")
    x = arrays.get("frequency")
    if x is not None:
        wrong = (x < 0) | (x != np.round(x))
        if wrong.any():
            raise InputError(
                f"{int(wrong.sum())} frequency value(s) are negative or not whole numbers (for "
                f"example {x[wrong][:_EXAMPLES].tolist()}); frequency counts repeat purchases."
            )
    t_x, age = arrays.get("recency"), arrays.get("T")
    if t_x is not None and (t_x < 0).any():
        raise InputError(
            f"{int((t_x < 0).sum())} recency value(s) are negative; recency is the time from the "
            "first to the last purchase."
        )
    if age is not None and (age < 0).any():
        raise InputError(
            f"{int((age < 0).sum())} T value(s) are negative; T is the time from the first "
            "purchase to the end of observation."
        )
    if t_x is not None and age is not None:
        # A tolerance for recency and T computed separately in floating point.
        over = t_x > age * (1 + 1e-12) + 1e-12
        if over.any():
            rows = np.flatnonzero(over)
            raise InputError(
                f"{rows.size} customer(s) have recency > T (positions {_examples(rows)}); the "
                "last purchase cannot come after the end of observation. Recompute the summary "
                "with the right observation_end."
            )
        if x is not None:
            odd = (x == 0) & (t_x != 0)
            if odd.any():
                raise InputError(
                    f"{int(odd.sum())} customer(s) have frequency 0 but recency > 0 (positions "
                    f"{_examples(np.flatnonzero(odd))}); recency must be 0 without a repeat "
                    "purchase."
                )
    m = arrays.get("monetary_value")
    if m is not None and x is not None:
        negative = (x > 0) & (m < 0)
        if negative.any():
            raise InputError(
                f"{int(negative.sum())} repeat buyer(s) have a negative monetary_value; spend "
                "must be ≥ 0."
            )
    index = data.index if isinstance(data, pd.DataFrame) else pd.RangeIndex(n)
    return RfmArrays(frequency=x, recency=t_x, T=age, monetary_value=m, index=index)
