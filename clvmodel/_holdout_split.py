"""Calibration/holdout split of a transaction log: :func:`clvmodel.calibration_holdout_split`."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from clvmodel import _reading
from clvmodel._rfm_common import (
    CleanLog,
    check_not_in_future,
    clean_log,
    day_number,
    observation_end_day,
    parse_date,
    time_unit_days,
)
from clvmodel._rfm_rows import Customers, Rows, summarise_rows
from clvmodel.errors import InputError, StatisticalWarning

__all__ = ["calibration_holdout_split"]

#: The key of ``holdout.attrs`` that records that the split warned of a holdout period running on
#: past the transactions (so that :func:`clvmodel.evaluate_holdout` does not warn again).
QUIET_END_WARNED = "quiet_end_warned"
#: What to do when the holdout period runs on past the transactions, where ``observation_end``
#: sets its end (the split and :func:`clvmodel.tracking_table`).
QUIET_END_ADVICE = (
    "Pass an observation_end no later than the last transaction, or leave it out to end the "
    "holdout there."
)


# Over 80 lines only by its numpydoc docstring (with an example): the body is 30 lines.
def calibration_holdout_split(
    transactions: pd.DataFrame,
    calibration_end,
    observation_end=None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str | None = "amount",
    time_unit: str = "W",
    date_format: str | None = None,
    drop_duplicates: bool = False,
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
    date_format : str, optional
        strftime pattern of text dates and date options, as in :func:`rfm_summary`.
    drop_duplicates : bool
        Drop rows that repeat another row exactly (by default they are kept, with a warning).

    Returns
    -------
    calibration : pandas.DataFrame
        :func:`rfm_summary` of the purchases up to ``calibration_end``, for every customer whose
        first purchase is in the calibration period, with the ``attrs`` it gives (exact duplicate
        rows up to ``calibration_end``, customer-days after it, and customers without a purchase
        up to it in ``rejected_customers``).
    holdout : pandas.DataFrame
        Same index, with ``frequency_holdout`` (purchase days in the holdout period),
        ``monetary_value_holdout`` (mean amount per holdout purchase day, 0 without one) and
        ``duration_holdout``. Customers whose first purchase falls in the holdout period are not
        part of the calibration cohort; their ids are listed in ``holdout.attrs["new_customers"]``,
        and ``holdout.attrs["customers_after_end"]`` counts those whose first purchase is after
        ``observation_end`` (in neither period).

    Raises
    ------
    InputError
        As :func:`rfm_summary`, and when ``calibration_end`` is before the first transaction's
        day, or not before ``observation_end``.

    Examples
    --------
    >>> import clvmodel as clv
    >>> cal, hold = clv.calibration_holdout_split(
    ...     clv.datasets.load_cdnow_sample(), calibration_end="1997-09-30",
    ...     observation_end="1998-06-30")
    >>> len(cal), round(float(hold["duration_holdout"].iloc[0]), 2)
    (2357, 39.0)
    """
    unit_days = time_unit_days(time_unit)
    _reading.check_date_format(date_format)
    duplicates = "drop" if drop_duplicates else "warn"
    log = clean_log(
        transactions, customer_col, date_col, amount_col, date_format, duplicates, stacklevel=4
    )
    cal_day, end_day = _period_ends(log, calibration_end, observation_end, date_format)
    # A holdout mostly after the data would show any model overpredicting.
    quiet = warn_of_quiet_end(
        int(log.day.max()), (cal_day, end_day), "(observation_end)", QUIET_END_ADVICE, 2
    )
    in_calibration = log.day <= cal_day
    in_holdout = (log.day > cal_day) & (log.day <= end_day)

    calibration_rows = Rows(
        log.customer_code[in_calibration],
        Customers(len(log.customers), labels=log.customers),
        log.day[in_calibration],
        None if log.amount is None else log.amount[in_calibration],
    )
    calibration = summarise_rows(calibration_rows, cal_day, unit_days)
    cohort = np.zeros(len(log.customers), dtype=bool)
    cohort[log.customer_code[in_calibration]] = True

    holdout, frequency = _holdout_outcome(log, in_holdout, (end_day - cal_day) / unit_days)
    new_customers = log.customers[~cohort & (frequency > 0)]
    holdout = holdout[cohort]  # the calibration summary holds exactly the cohort, in this order
    holdout.attrs["new_customers"] = list(new_customers)
    holdout.attrs["customers_after_end"] = int(np.count_nonzero(~cohort & (frequency == 0)))
    holdout.attrs["time_unit"] = time_unit
    if quiet:
        holdout.attrs[QUIET_END_WARNED] = True
    _calibration_attrs(calibration, log, cal_day, time_unit)
    return calibration, holdout


def warn_of_quiet_end(last_day: int, days, source: str, advice: str, stacklevel: int) -> bool:
    """Warn when the transactions (ending on ``last_day``) stop more than half-way through the
    holdout period (``days``: its calibration day and end day, set by ``source``): the days
    after count as days without purchases.

    Parameters
    ----------
    last_day : int
        Day number of the last transaction.
    days : tuple of int
        Day numbers of the calibration end and of the end of the holdout period.
    source, advice : str
        Where the end comes from (in parentheses) and what to do, in the caller's words.
    stacklevel : int
        The warning's stack level, counted from the function that calls this one.

    Returns
    -------
    bool
        Whether it warned.
    """
    calibration_day, end_day = days
    quiet = end_day - last_day
    warned = quiet > (end_day - calibration_day) / 2
    if warned:
        warnings.warn(
            f"no transaction in the last {quiet} days of the holdout period, which ends on "
            f"{np.datetime64(end_day, 'D')} {source}; the transactions end on "
            f"{np.datetime64(last_day, 'D')}, and the days after count as days without purchases. "
            + advice,
            StatisticalWarning,
            stacklevel=stacklevel + 1,
        )
    return warned


def _calibration_attrs(calibration: pd.DataFrame, log: CleanLog, cal_day: int, time_unit) -> None:
    """The ``attrs`` :func:`clvmodel.rfm_summary` gives the calibration period: exact duplicate
    rows up to its end, customer-days after it, no rejected rows (any raises), and the customers
    without a purchase in it."""
    late = int(np.count_nonzero(log.day > cal_day))
    duplicates = log.duplicate_day
    calibration.attrs["duplicate_rows"] = (
        0 if duplicates is None else int(np.count_nonzero(duplicates <= cal_day))
    )
    calibration.attrs["time_unit"] = time_unit
    calibration.attrs["purchase_days_after_end"] = late
    calibration.attrs["rejected_rows"] = {}
    calibration.attrs["rejected_customers"] = len(log.customers) - len(calibration) if late else 0


def _holdout_outcome(log: CleanLog, in_holdout: np.ndarray, duration: float):
    """Holdout purchase days, mean spend per purchase day and duration of every customer of
    ``log`` (a DataFrame indexed like ``log.customers``), and the purchase days as an array."""
    holdout_code = log.customer_code[in_holdout]
    n = len(log.customers)
    frequency = np.bincount(holdout_code, minlength=n)
    holdout_columns = {"frequency_holdout": frequency.astype("int64")}
    if log.amount is not None:
        spent = np.bincount(holdout_code, weights=log.amount[in_holdout], minlength=n)
        holdout_columns["monetary_value_holdout"] = np.where(
            frequency > 0, spent / np.maximum(frequency, 1), 0.0
        )
    holdout_columns["duration_holdout"] = np.full(n, duration)
    holdout = pd.DataFrame(holdout_columns, index=log.customers)
    return holdout, frequency


def _period_ends(log: CleanLog, calibration_end, observation_end, date_format) -> tuple[int, int]:
    """Day numbers of the calibration end and the observation end, checked against the log."""
    cal_day = day_number(parse_date(calibration_end, "calibration_end", date_format))
    first_day, last_day = int(log.day.min()), int(log.day.max())
    if observation_end is None:
        end_day = last_day
        check_not_in_future(end_day, "observation_end=")
    else:
        end_day = observation_end_day(observation_end, date_format)
    if not first_day <= cal_day < end_day:
        raise InputError(
            f"calibration_end ({np.datetime64(cal_day, 'D')}) must fall on or after the first "
            f"transaction ({np.datetime64(first_day, 'D')}) and before the end of observation "
            f"({np.datetime64(end_day, 'D')}), so that both periods have days in them."
        )
    return cal_day, end_day
