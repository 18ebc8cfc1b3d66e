"""Screening a subscription table: the rows :func:`clvmodel.subscriptions.from_subscription_table`
accepts, and the rejected ones with a reason each."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from clvmodel._reading import AMOUNT_BOUND, EARLIEST_DATE
from clvmodel._subscription_dates import (
    before_earliest,
    default_observation_end,
    ends_before_start,
    observation_end_date,
    observed_until,
    parse_dates,
)
from clvmodel._table_ids import table_ids
from clvmodel.errors import InputError


# Over 80 lines only by its numpydoc docstring (with an example): the body is 30 lines.
def screen_subscription_table(
    table: pd.DataFrame,
    customer_col: str = "customer_id",
    start_col: str = "start",
    end_col: str = "end",
    observation_end=None,
    numeric_cols: Sequence[str] = (),
    *,
    nonnegative_cols: Sequence[str] | None = None,
    id_counts: pd.Series | None = None,
    day_first: dict | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Split a subscription table into the rows :func:`from_subscription_table` accepts and the
    rejected ones, each with a reason (for batch work, where one bad row must not stop the rest).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per subscription, as for :func:`from_subscription_table`.
    customer_col, start_col, end_col : str
        Column names; a missing column is an error for the whole table.
    observation_end : date-like, optional
        End of observation; by default the latest readable start or end date.
    numeric_cols : sequence of str
        Further columns that must hold numbers (a price, covariates): rows where one is missing,
        not a number or infinite are rejected.
    nonnegative_cols : sequence of str, optional
        Those of ``numeric_cols`` that must also be ≥ 0 (a price), rejected otherwise as
        "... is missing or not a number ≥ 0"; the others may be any finite number (a standardised
        covariate is negative on half the rows). By default the first of ``numeric_cols`` (a
        price first, then covariates, as before this argument existed); pass ``()`` for none.
    id_counts : pandas.Series, optional
        For a table read in batches: the number of rows of the whole table for each id that
        appears more than once (indexed by id). By default ids are counted within ``table``.
    day_first : dict, optional
        For a table read in batches: per date column, whether its ``NN/NN/YYYY`` dates are day
        first, as settled over the whole table (True, False or None when it does not matter). By
        default each column's order is settled within ``table``: day first when a value's first
        number is above 12, month first when a second number is; dates that read both ways with
        nothing to settle them are an error for the whole table.

    Returns
    -------
    accepted : pandas.DataFrame
        The valid rows, their dates parsed (naive timestamps) and numeric columns as floats.
    rejects : pandas.DataFrame
        ``row`` (1-based position in ``table``), the customer id and ``reason``, one row per
        rejected row; every row of ``table`` is in exactly one of the two.
    observation_end : pandas.Timestamp

    Examples
    --------
    >>> import pandas as pd
    >>> from clvmodel import subscriptions
    >>> table = pd.DataFrame({"customer_id": ["a", "b", "b", None, "c"],
    ...                       "start": ["2024-01-05", "2024-02-01", "2024-02-01", "2024-03-01",
    ...                                 "2024-04-01"],
    ...                       "end": [None, None, None, None, "2024-03-01"]})
    >>> ok, rejects, end = subscriptions.screen_subscription_table(table)
    >>> ok.index.tolist(), end.date().isoformat()
    ([0], '2024-04-01')
    >>> rejects["reason"].tolist()
    ['customer id appears on 2 rows', 'customer id appears on 2 rows', 'missing customer id', \
'end date before start date']
    """
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"expected a DataFrame of subscriptions, got {type(table).__name__}.")
    numeric_cols = list(numeric_cols)
    nonnegative = set(numeric_cols[:1] if nonnegative_cols is None else nonnegative_cols)
    if not nonnegative <= set(numeric_cols):
        raise InputError(f"nonnegative_cols {sorted(nonnegative - set(numeric_cols))} are not "
                         f"among numeric_cols {numeric_cols}.")  # fmt: skip
    _require_columns(table, (customer_col, start_col, end_col, *numeric_cols))
    reasons = _Reasons(table.index)
    flag = reasons.flag
    ids = _flag_ids(table[customer_col], id_counts, flag)
    orders = day_first or {}
    start, no_start = parse_dates(table[start_col], start_col, orders.get(start_col))
    end, no_end = parse_dates(table[end_col], end_col, orders.get(end_col))
    flag(no_start, "no start date")
    flag(start.isna(), "start date is not a readable date")
    flag(~no_end & end.isna(), "end date is not a readable date")
    flag(before_earliest(start) | before_earliest(end), f"date before {EARLIEST_DATE}")
    flag(ends_before_start(start, end), "end date before start date")
    converted = _numeric_columns(table, numeric_cols, nonnegative, flag)
    end_of_data = _end_of_data(observation_end, start, end)
    flag(
        start > observed_until(end_of_data),
        f"starts after the observation end ({end_of_data.date()})",
    )
    reason = reasons.reason
    bad = reason.notna().to_numpy()
    converted.update({start_col: start, end_col: end})
    accepted = table.loc[~bad].assign(**{c: v[~bad] for c, v in converted.items()})
    kept_ids = ids[~bad]
    accepted[customer_col] = kept_ids.astype("int64") if kept_ids.dtype == "Int64" else kept_ids
    rejects = pd.DataFrame(
        {"row": np.flatnonzero(bad) + 1, customer_col: table[customer_col][bad].to_numpy(),
         "reason": reason[bad].to_numpy()}
    )  # fmt: skip
    return accepted, rejects, end_of_data


def _require_columns(table: pd.DataFrame, columns) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(
            f"the subscription table has no column {', '.join(map(repr, missing))}; it has "
            f"{list(map(str, table.columns))}."
        )


class _Reasons:
    """The first reason each row of a table is rejected for (``None`` while accepted)."""

    def __init__(self, index: pd.Index):
        self.reason = pd.Series(None, index=index, dtype=object)

    def flag(self, mask, text) -> None:
        """Reject the rows in ``mask`` not rejected yet, for ``text`` (a string or per row)."""
        reason = self.reason
        mask = pd.Series(np.asarray(mask, dtype=bool), index=reason.index) & reason.isna()
        if isinstance(text, pd.Series):
            reason[mask] = text[mask]
        else:
            reason[mask] = text


def _flag_ids(raw: pd.Series, id_counts, flag) -> pd.Series:
    """The normalised ids (:func:`clvmodel._table_ids.table_ids`); rejects rows without an id,
    with a fractional one, or with an id on more than one row (of the whole table when
    ``id_counts`` counts it)."""
    ids, missing, not_whole = table_ids(raw)
    flag(missing, "missing customer id")
    flag(not_whole, "customer id is not a whole number")
    given = ~(missing | not_whole)
    repeats = ids.map(ids[given].value_counts() if id_counts is None else id_counts)
    flag(given & (repeats > 1).to_numpy(dtype=bool, na_value=False),
         "customer id appears on " + repeats.astype("Int64").astype(str) + " rows")  # fmt: skip
    return ids


def _numeric_columns(table: pd.DataFrame, numeric_cols: list[str], nonnegative: set,
                     flag) -> dict[str, pd.Series]:  # fmt: skip
    """The numeric columns as floats, flagging rows where one is missing or not a finite number
    (or, in a ``nonnegative`` column, a number below 0)."""
    converted = {}
    for column in numeric_cols:
        values = pd.to_numeric(table[column], errors="coerce")
        floats = values.to_numpy(dtype="float64", na_value=np.nan)
        bad = ~np.isfinite(floats)
        wanted = "a number"
        if column in nonnegative:
            bad |= floats < 0
            wanted = "a number ≥ 0"
            # A price, bounded as transaction amounts are (1e300 would give an absurd value).
            flag(~bad & (floats > AMOUNT_BOUND), f"{column} beyond 1e12")
        flag(bad, f"{column} is missing or not {wanted}")
        converted[column] = values.astype("float64")
    return converted


def _end_of_data(observation_end, start: pd.Series, end: pd.Series) -> pd.Timestamp:
    """``observation_end``, or by default the latest readable start or end date."""
    if observation_end is not None:
        return observation_end_date(observation_end)
    return default_observation_end(pd.concat([start, end]).max())
