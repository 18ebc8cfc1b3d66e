"""What a transaction log tells about each customer on their signup day."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._rfm_common import merge_days
from clvmodel._rfm_read import read_log
from clvmodel.errors import InputError


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
    # clean_log's reading (any unusable row refused), keeping each row's customer code and day
    # for the quantities: their ids and dates are read once.
    # (offer_drop=False: this function takes no on_invalid=, so the error does not advise it).
    rows = read_log(
        transactions, customer_col, date_col, amount_col, date_format, offer_drop=False
    ).rows
    row_code, ids = rows.customers.factorized(rows.codes)
    row_day = rows.day
    log = merge_days(row_code, ids, row_day, rows.amount)
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
        first_of_code = np.empty(len(ids), dtype=row_day.dtype)
        first_of_code[log.customer_code[starts]] = first_day
        on_first_day = row_day == first_of_code[row_code]
        quantity = _quantities(transactions, quantity_col)
        summed = np.bincount(
            row_code[on_first_day], weights=quantity[on_first_day], minlength=len(ids)
        )
        table["first_purchase_quantity"] = summed[log.customer_code[starts]]
    table["signup_week"] = ((first_day - first_day.min()) // 7).astype("float64")
    table.index.name = customer_col
    return table


def _quantities(transactions, quantity_col) -> np.ndarray:
    """The quantities of every row as float64; a missing column or a value that is missing or not
    a number is refused."""
    if quantity_col not in transactions.columns:
        raise InputError(
            f"there is no column {quantity_col!r} in the transactions; its columns are "
            f"{list(map(str, transactions.columns))}. Name the quantity column with "
            "quantity_col=, or leave quantity_col out."
        )
    quantity = pd.to_numeric(transactions[quantity_col], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    if not np.all(np.isfinite(quantity)):
        raise InputError(
            f"{int((~np.isfinite(quantity)).sum())} value(s) of {quantity_col!r} are missing "
            "or not numbers; fix or drop those rows."
        )
    return quantity
