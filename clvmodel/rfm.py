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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clvmodel._rfm_rows import _customer_codes, _Customers, _Rows, _summarise_rows
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


def _check_not_in_future(latest_day: int, option: str) -> None:
    """Raise if the latest purchase (a day number), the default end of observation, is after
    today: a sign of misread dates."""
    if latest_day > _day_number(pd.Timestamp.now()):
        raise InputError(
            f"the latest purchase date ({np.datetime64(latest_day, 'D')}) is in the future; check "
            f"the date column's format (day and month swapped?) or pass {option} explicitly."
        )


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
        _check_not_in_future(end_day, "observation_end=")
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
