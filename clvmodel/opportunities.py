"""Transaction logs to BG/BB's table: per customer, the occasions (calendar years, months, weeks or
days) after the first in which they were active.

BG/BB (Fader, Hardie and Shang 2010, "Customer-base analysis in a discrete-time noncontractual
setting", Marketing Science 29(6), §2) describes a customer by

* ``frequency`` (x): the number of occasions after the first with at least one transaction;
* ``recency`` (t_x): the last such occasion, counted from the first (0 when x = 0);
* ``n_periods`` (n): the number of whole occasions after the first up to the end of observation.

The first occasion is the acquisition, not a repeat opportunity: transactions in it beyond the
first do not count. The log is read by the rules :func:`clvmodel.rfm_summary` applies (ids, dates,
invalid rows, ``observation_end`` not in the future).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel import _reading
from clvmodel._rfm_common import (
    check_not_in_future,
    count_customer_days,
    observation_end_day,
    today_day,
)
from clvmodel._rfm_read import check_on_invalid, read_log
from clvmodel.errors import InputError

__all__ = ["OCCASIONS", "opportunity_summary"]

#: The occasions a log can be counted in: calendar years, months, weeks (Monday to Sunday), days.
OCCASIONS = {"Y": "calendar years", "M": "calendar months", "W": "weeks", "D": "days"}


def _occasion_of(day: np.ndarray, occasion: str) -> np.ndarray:
    """The occasion number of each day number (days since 1970-01-01, a Thursday)."""
    if occasion == "D":
        return day
    if occasion == "W":
        return (day + 3) // 7  # weeks from Monday: day −3 is Monday 1969-12-29
    return day.astype("datetime64[D]").astype(f"datetime64[{occasion}]").astype("int64")


def _last_day_of(number: int, occasion: str) -> int:
    """The last day number of occasion ``number``."""
    if occasion == "D":
        return number
    if occasion == "W":
        return 7 * (number + 1) - 4
    start = np.datetime64(number + 1, occasion).astype("datetime64[D]").astype("int64")
    return int(start) - 1


def _check_options(occasion, on_invalid, date_format, truncate) -> None:
    if not isinstance(truncate, bool | np.bool_):
        raise InputError(f"truncate must be True or False, got {truncate!r}.")
    if not isinstance(occasion, str) or occasion not in OCCASIONS:
        raise InputError(
            f"occasion={occasion!r} is not supported; use 'Y' (calendar years), 'M' (calendar "
            "months), 'W' (weeks, Monday to Sunday) or 'D' (days)."
        )
    check_on_invalid(on_invalid)
    _reading.check_date_format(date_format)


def _end_of_observation(day, occasion, observation_end, date_format) -> tuple[int, int]:
    """The last day observed and the last whole occasion observed (its number)."""
    if observation_end is None:  # the occasion of the last transaction, observed to its end
        last_day = int(day.max())
        check_not_in_future(last_day, "observation_end=")
        last = int(_occasion_of(np.array([last_day]), occasion)[0])
        if _last_day_of(last, occasion) > today_day():
            raise InputError(
                f"the occasion of the last transaction ({np.datetime64(last_day, 'D')}) has not "
                "ended yet, so it is not a whole occasion; pass observation_end (the last day of "
                "the last whole occasion, or today)."
            )
        return _last_day_of(last, occasion), last
    end_day = observation_end_day(observation_end, date_format)
    if end_day < int(day.min()):
        raise InputError(
            f"observation_end ({np.datetime64(end_day, 'D')}) is before the first transaction "
            f"({np.datetime64(int(day.min()), 'D')}); choose an end date within or after the data."
        )
    return end_day, int(_occasion_of(np.array([end_day + 1]), occasion)[0]) - 1


# Over 80 lines only by its numpydoc docstring: the body is some thirty lines.
def opportunity_summary(
    transactions: pd.DataFrame,
    occasion: str = "Y",
    observation_end=None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    truncate: bool = True,
    date_format: str | None = None,
    on_invalid: str = "raise",
) -> pd.DataFrame:
    """Summarise a transaction log into BG/BB's (frequency, recency, n_periods) table.

    Each customer's first occasion (calendar year, month, week or day with a transaction) is
    their acquisition; the occasions after it are their opportunities (Fader, Hardie and Shang
    2010, §2).

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per transaction, with a customer id and a date.
    occasion : {"Y", "M", "W", "D"}
        The opportunity: calendar years (the default, as for yearly donation drives), calendar
        months, weeks (Monday to Sunday) or days.
    observation_end : date-like, optional
        Last day observed (inclusive), not after today. Only whole occasions count: one that
        ends after ``observation_end`` is left out, with its transactions (their customer-days are
        counted in ``attrs["days_in_partial_occasion"]``). Defaults to the last day of the
        occasion of the last transaction: pass it when the log stops before that occasion ends.
        A text must be ``YYYY-MM-DD`` unless ``date_format`` says how to read it.
    customer_col, date_col : str
        Names of the customer-id and date columns.
    truncate : bool
        Transactions after ``observation_end``: ignore them (``True``; their customer-days are in
        ``attrs["purchase_days_after_end"]``) or raise an :class:`~clvmodel.InputError`.
    date_format : str, optional
        strftime pattern of text dates (and of a text ``observation_end``), as in
        :func:`clvmodel.rfm_summary`.
    on_invalid : {"raise", "drop"}
        Rows with a missing id or an unreadable date: raise (default) or leave them out; their
        counts by reason are in ``attrs["rejected_rows"]``.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (in order of first appearance), with whole-number columns
        ``frequency``, ``recency`` and ``n_periods``, ready for
        :class:`clvmodel.BetaGeoBetaBinomModel`. Customers first active in the last whole
        occasion or later have no opportunity yet and are left out; ``attrs`` holds their number
        (``customers_without_opportunity``), ``rejected_customers`` (customers without a usable
        transaction up to ``observation_end``: all after it, or all rejected rows), ``occasion``,
        ``observation_end`` (the last day of the last whole occasion, ``YYYY-MM-DD``) and the
        counts above. The rows, ``customers_without_opportunity`` and ``rejected_customers`` add
        up to the customers of the log.

    Raises
    ------
    InputError
        As :func:`clvmodel.rfm_summary` for the log and the dates, an unknown ``occasion``, or no
        customer with an opportunity.

    Examples
    --------
    A donor first active in 1995 who gave again in 1996 and 1999, observed through 2001:

    >>> import pandas as pd, clvmodel as clv
    >>> log = pd.DataFrame({"customer_id": [7, 7, 7, 7],
    ...                     "date": ["1995-03-01", "1995-11-20", "1996-04-02", "1999-05-17"]})
    >>> clv.opportunity_summary(log, "Y", observation_end="2001-12-31").loc[7].tolist()
    [2, 4, 6]
    """
    _check_options(occasion, on_invalid, date_format, truncate)
    read = read_log(transactions, customer_col, date_col, None, date_format, on_invalid)
    codes, ids = read.rows.customers.factorized(read.rows.codes)
    day = read.rows.day
    end_day, last = _end_of_observation(day, occasion, observation_end, date_format)
    late = day > end_day
    if late.any() and not truncate:
        raise InputError(
            f"{count_customer_days(codes[late], day[late])} customer-day(s) of transactions fall "
            f"after observation_end ({np.datetime64(end_day, 'D')}), up to "
            f"{np.datetime64(int(day.max()), 'D')}; pass a later observation_end, or "
            "truncate=True to ignore them."
        )
    number = _occasion_of(day, occasion)
    partial = ~late & (number > last)
    summary = _per_customer(codes[~late], number[~late], last, ids)
    observed = int(np.unique(codes[~late]).size)  # customers with a transaction up to the end
    summary.attrs.update(
        occasion=occasion,
        observation_end=str(np.datetime64(_last_day_of(last, occasion), "D")),
        customers_without_opportunity=observed - len(summary),
        rejected_customers=read.count_customers() - observed,
        days_in_partial_occasion=count_customer_days(codes[partial], day[partial]),
        purchase_days_after_end=count_customer_days(codes[late], day[late]),
        rejected_rows={str(k): int(v) for k, v in read.rejects["reason"].value_counts().items()},
    )
    return summary


def _per_customer(codes, number, last: int, ids: pd.Index) -> pd.DataFrame:
    """frequency, recency and n_periods of the customers with an opportunity by occasion
    ``last``, from each transaction's customer code (in order of first appearance) and
    occasion."""
    order = np.lexsort((number, codes))
    codes, number = codes[order], number[order]
    distinct = np.ones(codes.size, dtype=bool)  # one row per (customer, active occasion)
    distinct[1:] = (codes[1:] != codes[:-1]) | (number[1:] != number[:-1])
    codes, number = codes[distinct], number[distinct]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    customer, first = codes[starts], number[starts]
    whole = number <= last
    active = np.bincount(codes[whole], minlength=ids.size)[customer]  # the first one included
    latest = np.full(ids.size, np.iinfo("int64").min)
    np.maximum.at(latest, codes[whole], number[whole])
    keep = first < last
    if not keep.any():
        raise InputError(
            "no customer has an occasion after their first one by the end of observation; "
            "observe longer, or count shorter occasions."
        )
    frequency = active[keep] - 1
    recency = np.where(frequency > 0, latest[customer[keep]] - first[keep], 0)
    return pd.DataFrame(
        {"frequency": frequency, "recency": recency, "n_periods": last - first[keep]},
        index=ids.take(customer[keep]),
    ).astype("int64")
