"""What a transaction log tells about each customer on their signup day."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._reading import read_dates
from clvmodel._table_ids import table_ids
from clvmodel.dayone._checks import require_columns
from clvmodel.errors import InputError
from clvmodel.rfm import clean_log


def first_purchase_attributes(
    transactions: pd.DataFrame,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    quantity_col: str | None = None,
    date_format: str | None = None,
) -> pd.DataFrame:
    """What a transaction log tells about each customer on their signup day.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase.
    customer_col, date_col, amount_col : str
        Column names.
    quantity_col : str, optional
        Column with the number of items per purchase (CDNOW's ``quantity``: CDs bought).
    date_format : str, optional
        strftime pattern of text dates, e.g. ``"%d/%m/%Y"``; needed when the dates read both
        ways, day first or month first (they are then refused), as in
        :func:`clvmodel.rfm_summary`.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id: ``signup_date`` (day of the first purchase),
        ``first_purchase_amount`` (sum of that day's amounts), ``first_purchase_quantity`` (sum of
        that day's quantities, with ``quantity_col``) and ``signup_week`` (whole weeks from the
        earliest signup in the log to this one).

    Examples
    --------
    >>> import clvmodel as clv
    >>> signup = clv.dayone.first_purchase_attributes(
    ...     clv.datasets.load_cdnow_sample(), quantity_col="quantity")
    >>> signup.loc["00004", ["first_purchase_amount", "first_purchase_quantity"]].tolist()
    [29.33, 2.0]
    """
    log = clean_log(transactions, customer_col, date_col, amount_col, date_format)
    starts = np.flatnonzero(np.r_[True, log.customer_code[1:] != log.customer_code[:-1]])
    first_day = log.day[starts]
    customers = log.customers[log.customer_code[starts]]
    table = pd.DataFrame(
        {
            "signup_date": first_day.astype("datetime64[D]").astype("datetime64[ns]"),
            "first_purchase_amount": log.amount[starts],
        },
        index=customers,
    )
    if quantity_col is not None:
        table["first_purchase_quantity"] = _first_day_quantity(
            transactions, customer_col, date_col, quantity_col, first_day, customers, date_format
        )
    table["signup_week"] = ((first_day - first_day.min()) // 7).astype("float64")
    table.index.name = customer_col
    return table


def _first_day_quantity(
    transactions, customer_col, date_col, quantity_col, first_day, customers, date_format
) -> np.ndarray:
    """Items bought on each customer's first purchase day, in the order of ``customers``."""
    require_columns(transactions, [quantity_col], "the transactions")
    quantity = pd.to_numeric(transactions[quantity_col], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    if not np.all(np.isfinite(quantity)):
        raise InputError(
            f"{int((~np.isfinite(quantity)).sum())} value(s) of {quantity_col!r} are missing "
            "or not numbers; fix or drop those rows."
        )
    # the days as the log reader read them (clean_log has refused unreadable dates already)
    day = read_dates(transactions[date_col], date_format, date_col).day
    # the ids as the log reader reads them ("00004 " is "00004", "4.0" is "4"), as in customers
    row_ids = table_ids(transactions[customer_col])[0].to_numpy(dtype=object)
    first_of_row = pd.Series(first_day, index=customers).reindex(row_ids)
    on_first_day = first_of_row.to_numpy() == day
    ids = row_ids[on_first_day]
    summed = pd.Series(quantity[on_first_day]).groupby(ids, sort=False).sum()
    return summed.reindex(customers).to_numpy()
