"""The naive CLV formula of the marketing literature (:func:`clvmodel.naive_clv`).

    CLV = average order value × purchases per year × expected lifespan (years) × margin − CAC,

one number for everybody, or one per segment.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from clvmodel._table_ids import table_ids
from clvmodel._units import DAYS_PER_YEAR, check_margin, check_number
from clvmodel.errors import InputError
from clvmodel.rfm import clean_log, day_number, parse_date

__all__ = ["customer_segments", "naive_clv", "observed_years"]


def observed_years(first_day: int, end_day: int) -> float:
    """Years observed from the first purchase day to the end day, both included (day numbers):
    the naive formula's denominator of purchases per customer per year."""
    return (end_day - first_day + 1) / DAYS_PER_YEAR


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
) -> pd.DataFrame:
    """The naive CLV formula, overall or per segment.

    CLV = average order value × purchases per customer per year × lifespan × margin, and the same
    minus the acquisition cost, with CLV:CAC. Orders are customer-days, as in the RFM summary.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase.
    lifespan : float
        Expected customer lifespan in years.
    customer_col, date_col, amount_col : str
        Column names.
    margin : float
        Share of revenue that is profit: a fraction, 0 < margin ≤ 1.
    acquisition_cost : float
        Cost of acquiring one customer (CAC); 0 leaves CLV:CAC undefined (NaN).
    segment_col : str, optional
        A column constant within each customer (for example the acquisition channel); one row per
        segment is returned. Without it, one row ``"all"``.
    observation_end : date-like, optional
        End of the period the rates are measured over; defaults to the last transaction date.

    Returns
    -------
    pandas.DataFrame
        Indexed by segment: ``customers``, ``orders``, ``average_order_value``,
        ``purchases_per_year``, ``lifespan_years``, ``naive_clv``, ``acquisition_cost``,
        ``naive_net_clv`` and ``clv_to_cac``.

    Examples
    --------
    >>> import clvmodel as clv
    >>> table = clv.naive_clv(clv.datasets.load_cdnow_sample(), lifespan=1.0)
    >>> int(table.loc["all", "customers"])
    2357
    """
    # Over 80 lines for its docstring only; the segment lookup is in _segments.
    lifespan = check_number("lifespan", lifespan, 0.0, 1000.0)
    margin = check_margin(margin)
    acquisition_cost = check_number("acquisition_cost", acquisition_cost, 0.0, math.inf)
    log = clean_log(transactions, customer_col, date_col, amount_col)
    if observation_end is None:
        end_day = int(log.day.max())
    else:
        end_day = day_number(parse_date(observation_end, "observation_end"))
        keep = log.day <= end_day
        if not keep.any():
            raise InputError("observation_end is before every transaction.")
        log = type(log)(log.customers, log.customer_code[keep], log.day[keep], log.amount[keep])
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


def _segments(transactions, customer_col, segment_col, log) -> np.ndarray:
    """The segment of each order of the cleaned ``log`` ("all" without ``segment_col``)."""
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
        unlabelled = segment_of_customer.isna()
        if unlabelled.any():
            raise InputError(
                f"segment_col={segment_col!r} has no value for {int(unlabelled.sum())} "
                f"customer(s) (for example {list(segment_of_customer.index[unlabelled][:5])}); "
                "give every customer a segment."
            )
    return segment_of_customer.to_numpy()[log.customer_code]


def customer_segments(
    transactions, customer_col: str, column: str, argument: str | None = None
) -> pd.Series:
    """Each customer's value of ``column`` (fixed per customer), indexed by the customer ids as
    the RFM summary reads them (trimmed: a padded id ``"0004  "`` is customer ``"0004"``).

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
    per_customer = transactions[column].groupby(ids.to_numpy(), sort=False)
    changing = per_customer.nunique(dropna=False) > 1
    if changing.any():
        named = f"{argument}={column!r}" if argument else f"the segment column {column!r}"
        use = f"Pass as {argument}= a column" if argument else "Use a column"
        raise InputError(
            f"{named} changes within {int(changing.sum())} customer(s) (for example "
            f"{list(changing.index[changing][:3])}), but each customer belongs to one segment. "
            f"{use} that is fixed per customer, such as the acquisition channel, or first give "
            "each customer one value (that of their first purchase, say)."
        )
    return per_customer.first()
