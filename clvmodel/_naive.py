"""The naive CLV formula of the marketing literature (:func:`clvmodel.naive_clv`).

    CLV = average order value × purchases per year × expected lifespan (years) × margin − CAC,

one number for everybody, or one per segment.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from clvmodel._reading import check_date_format, warn_duplicates
from clvmodel._reading_text import missing_texts_as_nan
from clvmodel._rfm_common import check_not_in_future, observation_end_day
from clvmodel._rfm_read import check_on_invalid
from clvmodel._table_ids import table_ids
from clvmodel._units import DAYS_PER_YEAR, check_margin, check_number
from clvmodel.errors import ClvWarning, InputError
from clvmodel.rfm import clean_log, transaction_rejects

__all__ = [
    "SHORT_WINDOW_DAYS",
    "check_lifespan",
    "customer_segments",
    "naive_clv",
    "observed_years",
]

#: Below this many days observed, naive_clv warns that the yearly rate is an extrapolation.
SHORT_WINDOW_DAYS = 28


def observed_years(first_day: int, end_day: int) -> float:
    """Years observed from the first purchase day to the end day, both included (day numbers):
    the naive formula's denominator of purchases per customer per year."""
    return (end_day - first_day + 1) / DAYS_PER_YEAR


def check_lifespan(value, name: str = "lifespan") -> float:
    """A lifespan in years as a float: a number above 0 and at most 100 (the longest horizon)."""
    years = check_number(name, value)
    if not 0.0 < years <= 100.0:
        raise InputError(f"{name} must be above 0 and at most 100 years, got {value!r}.")
    return years


def naive_clv(
    transactions: pd.DataFrame,
    lifespan: float,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    margin: float = 1.0,
    acquisition_cost: float = 0.0,
    segment_col: str | None = None,
    observation_end=None,
    *,
    date_format: str | None = None,
    on_invalid: str = "raise",
    drop_duplicates: bool = False,
) -> pd.DataFrame:
    """The naive CLV formula, overall or per segment.

    CLV = average order value × purchases per customer per year × lifespan × margin, and the same
    minus the acquisition cost, with CLV:CAC. Orders are customer-days, as in the RFM summary.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase, read as :func:`clvmodel.rfm_summary` reads it.
    lifespan : float
        Expected customer lifespan in years: above 0 and at most 100.
    customer_col, date_col, amount_col : str
        Column names.
    margin : float
        Share of revenue that is profit: a fraction, 0 < margin ≤ 1.
    acquisition_cost : float
        Cost of acquiring one customer (CAC), finite and ≥ 0; 0 leaves CLV:CAC undefined (NaN).
    segment_col : str, optional
        A column constant within each customer (for example the acquisition channel); one row per
        segment is returned. Without it, one row ``"all"``. Only customers with a purchase up to
        ``observation_end`` need a value.
    observation_end : date-like, optional
        End of the period the rates are measured over (inclusive), not after today; defaults to
        the last transaction date. Purchases after it are left out, and so are customers whose
        purchases all come after it: they are not part of the naive computation.
    date_format : str, optional, keyword-only
        strftime pattern of text dates (and of a text ``observation_end``), as in
        :func:`clvmodel.rfm_summary`.
    on_invalid : {"raise", "drop"}, keyword-only
        Rows that cannot be used (missing id, unreadable date, missing or negative amount …):
        raise an :class:`~clvmodel.InputError` (default) or leave them out, as in
        :func:`clvmodel.rfm_summary` (:func:`clvmodel.rfm.transaction_rejects` lists them).
    drop_duplicates : bool, keyword-only
        Rows that repeat another row exactly (same customer, date and amount) up to
        ``observation_end`` are kept with a :class:`~clvmodel.errors.ClvWarning` (default), or
        dropped (``True``).

    Returns
    -------
    pandas.DataFrame
        Indexed by segment: ``customers``, ``orders``, ``average_order_value``,
        ``purchases_per_year``, ``lifespan_years``, ``naive_clv``, ``acquisition_cost``,
        ``naive_net_clv`` and ``clv_to_cac``.

    Notes
    -----
    ``purchases_per_year`` is orders per customer per year over the whole observed window, from
    the first purchase in the log (of any customer) to ``observation_end``, and every segment is
    divided by that same window. A segment whose customers arrived late (a new channel, a recent
    cohort) is therefore understated; to measure it over its own window, call ``naive_clv`` on its
    rows alone. A window shorter than ``SHORT_WINDOW_DAYS`` (28) days is extrapolated to a year
    with a :class:`~clvmodel.errors.ClvWarning`.

    Examples
    --------
    >>> import clvmodel as clv
    >>> table = clv.naive_clv(clv.datasets.load_cdnow_sample(), lifespan=1.0)
    >>> int(table.loc["all", "customers"])
    2357
    """
    # Over 80 lines for its docstring only; the log is read in _period_log.
    if amount_col is None:  # the log would be read as purchases only, each worth 0
        raise InputError(
            "naive_clv needs the purchase amounts (its formula starts from the average order "
            "value), but amount_col=None; name the amount column with amount_col=."
        )
    lifespan = check_lifespan(lifespan)
    margin = check_margin(margin)
    acquisition_cost = check_number("acquisition_cost", acquisition_cost, 0.0, math.inf)
    columns = (customer_col, date_col, amount_col)
    transactions = _usable_rows(transactions, columns, date_format, on_invalid)
    log, end_day = _period_log(transactions, columns, observation_end, date_format, drop_duplicates)
    years = observed_years(int(log.day.min()), end_day)
    segment = _segments(transactions, customer_col, segment_col, log)
    frame = pd.DataFrame({"segment": segment, "customer": log.customer_code, "amount": log.amount})
    grouped = frame.groupby("segment", sort=True)
    table = pd.DataFrame(
        {
            "customers": grouped["customer"].nunique(),
            "orders": grouped.size(),
            "revenue": grouped["amount"].sum(),
        }
    )
    table["average_order_value"] = table["revenue"] / table["orders"]
    table["purchases_per_year"] = table["orders"] / table["customers"] / years
    table["lifespan_years"] = lifespan
    table["naive_clv"] = (
        table["average_order_value"] * table["purchases_per_year"] * lifespan * margin
    )
    table["acquisition_cost"] = acquisition_cost
    table["naive_net_clv"] = table["naive_clv"] - acquisition_cost
    table["clv_to_cac"] = table["naive_clv"] / acquisition_cost if acquisition_cost > 0 else np.nan
    table.index.name = segment_col or "segment"
    return table.drop(columns="revenue")


def _usable_rows(transactions, columns, date_format, on_invalid):
    """``transactions`` without the rows :func:`clvmodel.rfm_summary` cannot use when
    ``on_invalid="drop"`` (with ``"raise"``, reading the log raises for them)."""
    check_on_invalid(on_invalid)
    check_date_format(date_format)
    if on_invalid == "raise" or not isinstance(transactions, pd.DataFrame):
        return transactions
    by_position = transactions.reset_index(drop=True)  # row labels may repeat
    rejected = transaction_rejects(by_position, *columns, date_format).index.to_numpy()
    if rejected.size == len(transactions):
        raise InputError(
            f"no row of the transactions can be used ({rejected.size} rejected); see them with "
            "clvmodel.rfm.transaction_rejects(...)."
        )
    keep = np.ones(len(transactions), dtype=bool)
    keep[rejected] = False
    return transactions[keep] if rejected.size else transactions


def _period_log(transactions, columns, observation_end, date_format, drop_duplicates):
    """The cleaned log up to the end of observation, and that end's day number; warns (for the
    caller of naive_clv) about exact duplicate rows kept and about a window too short to give
    a yearly rate."""
    # Duplicates are counted here, and warned about below up to the end of observation.
    duplicates = "drop" if drop_duplicates else "count"
    log = clean_log(transactions, *columns, date_format, duplicates, offer_drop=True)
    if observation_end is None:
        end_day = int(log.day.max())
        check_not_in_future(end_day, "observation_end=")
    else:
        end_day = observation_end_day(observation_end, date_format)
        keep = log.day <= end_day
        if not keep.any():
            raise InputError("observation_end is before every transaction.")
        log = type(log)(log.customers, log.customer_code[keep], log.day[keep], log.amount[keep],
                        log.duplicate_day)  # fmt: skip
    if not drop_duplicates and log.duplicate_day is not None:
        warn_duplicates(int(np.count_nonzero(log.duplicate_day <= end_day)), 4)
    days = end_day - int(log.day.min()) + 1
    if days < SHORT_WINDOW_DAYS:
        warnings.warn(
            f"the purchases observed span only {days} day(s), from the first one to the end of "
            f"observation: the yearly rate (purchases_per_year) is extrapolated from {days} "
            f"day(s) (× {DAYS_PER_YEAR / days:.1f}). Measure it over a longer period.",
            ClvWarning,
            stacklevel=3,
        )
    return log, end_day


def _segments(transactions, customer_col, segment_col, log) -> np.ndarray:
    """The segment of each order of the cleaned ``log`` ("all" without ``segment_col``); only
    the customers with an order in ``log`` need one."""
    if segment_col is None:
        segment_of_customer = pd.Series("all", index=log.customers)
    else:
        if segment_col not in transactions.columns:
            raise InputError(
                f"segment_col={segment_col!r} is not a column; the columns are "
                f"{list(map(str, transactions.columns))}."
            )
        segment_of_customer = customer_segments(
            transactions, customer_col, segment_col, "segment_col"
        )
        segment_of_customer = segment_of_customer.reindex(log.customers)
        in_period = np.zeros(len(log.customers), dtype=bool)
        in_period[log.customer_code] = True
        unlabelled = segment_of_customer.isna().to_numpy() & in_period
        if unlabelled.any():
            raise InputError(
                f"segment_col={segment_col!r} has no value for {int(unlabelled.sum())} "
                f"customer(s) (for example {list(segment_of_customer.index[unlabelled][:5])}); "
                "give every customer with a purchase in the observation period a segment."
            )
    return segment_of_customer.to_numpy()[log.customer_code]


def customer_segments(
    transactions, customer_col: str, column: str, argument: str | None = None
) -> pd.Series:
    """Each customer's value of ``column`` (fixed per customer), indexed by the customer ids as
    the RFM summary reads them (trimmed: a padded id ``"0004  "`` is customer ``"0004"``); a
    missing-value text (``NA``, ``n/a``) is missing, as in a CSV file.

    Parameters
    ----------
    transactions : pandas.DataFrame
        The log, one row per purchase.
    customer_col : str
        Its customer-id column.
    column : str
        The segment column.
    argument : str, optional
        The keyword argument that named ``column`` (``"segment_col"``), for the message.

    Returns
    -------
    pandas.Series
    """
    ids = table_ids(transactions[customer_col])[0]
    values = missing_texts_as_nan(transactions[column])  # "NA" is no segment: missing
    per_customer = values.groupby(ids.to_numpy(), sort=False)
    changing = per_customer.nunique(dropna=False) > 1
    if changing.any():
        named = f"{argument}={column!r}" if argument else f"the segment column {column!r}"
        use = f"Pass as {argument}= a column" if argument else "Use a column"
        gaps = changing & (per_customer.nunique() <= 1)  # one segment, missing on some rows
        if gaps[changing].all():
            raise InputError(
                f"{named} is missing on some rows of {int(gaps.sum())} customer(s) whose other "
                f"rows give their segment (for example {list(gaps.index[gaps][:3])}); fill those "
                "rows with the customer's segment (or name the missing value, such as 'unknown')."
            )
        raise InputError(
            f"{named} changes within {int(changing.sum())} customer(s) (for example "
            f"{list(changing.index[changing][:3])}), but each customer belongs to one segment. "
            f"{use} that is fixed per customer, such as the acquisition channel, or first give "
            "each customer one value (that of their first purchase, say)."
        )
    return per_customer.first()
