"""The calibration/holdout split of a Spark transaction log, in Spark SQL."""

from __future__ import annotations

import pandas as pd

from clvmodel.errors import InputError
from clvmodel.rfm import TIME_UNITS, day_number, parse_date
from clvmodel.spark._common import check_on_invalid, summarise
from clvmodel.spark._transactions import SparkTransactions

__all__ = ["calibration_holdout_split"]


def calibration_holdout_split(
    transactions,
    calibration_end,
    observation_end=None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str | None = "amount",
    time_unit: str = "W",
    date_format: str | None = None,
    on_invalid: str = "raise",
    drop_duplicates: bool = False,
):
    """Split a Spark transaction log into a calibration RFM summary and the holdout outcome.

    The Spark counterpart of :func:`clvmodel.calibration_holdout_split`, with the same numbers.

    Parameters
    ----------
    transactions : pyspark.sql.DataFrame
        One row per purchase.
    calibration_end : date-like
        Last day of the calibration period (inclusive).
    observation_end : date-like, optional
        Last day of the holdout period (inclusive); defaults to the last purchase date.
    customer_col, date_col, amount_col, time_unit, date_format, on_invalid, drop_duplicates
        As in :func:`rfm_summary`.

    Returns
    -------
    calibration : pyspark.sql.DataFrame
        :func:`rfm_summary` of the purchases up to ``calibration_end``: the customers whose first
        purchase is in the calibration period.
    holdout : pyspark.sql.DataFrame
        The same customers with ``frequency_holdout`` (purchase days in the holdout period),
        ``monetary_value_holdout`` (mean amount per holdout purchase day, 0 without one) and
        ``duration_holdout``.

    Raises
    ------
    InputError
        As :func:`rfm_summary`, and when ``calibration_end`` is not on or after the first purchase
        and before ``observation_end``.

    Notes
    -----
    Customers first buying in the holdout period are in neither table (a Spark DataFrame has no
    ``attrs`` for the pandas split's ``holdout.attrs["new_customers"]``): they are the customers of
    ``rfm_summary(transactions, observation_end=...)`` not in ``calibration`` (a ``left_anti``
    join); for :func:`clvmodel.evaluate_holdout`, set their ids there on ``holdout.toPandas()``.
    """
    from pyspark.sql import functions as F

    check_on_invalid(on_invalid)
    source = SparkTransactions(
        transactions, customer_col, date_col, amount_col, date_format, observation_end, time_unit,
        drop_duplicates,
    )  # fmt: skip
    if on_invalid == "raise":
        source.raise_on_invalid()
    cal_day = day_number(parse_date(calibration_end, "calibration_end", source.date_format))
    purchases = source.purchases()
    first_day = purchases.agg(F.min("purchase_day")).collect()[0][0]
    if first_day is None:
        source.raise_nothing_valid()
    if not first_day <= cal_day < source.end_day:
        day = pd.Timestamp("1970-01-01")
        raise InputError(
            f"calibration_end ({day + pd.Timedelta(days=cal_day):%Y-%m-%d}) must fall on or after "
            f"the first purchase ({day + pd.Timedelta(days=first_day):%Y-%m-%d}) and before the "
            f"end of observation ({source.end:%Y-%m-%d}), so that both periods have days in them."
        )
    calibration = summarise(
        source.session, purchases.where(F.col("purchase_day") <= cal_day), cal_day, time_unit
    )
    if amount_col is None:
        calibration = calibration.drop("monetary_value")
    duration = (source.end_day - cal_day) / TIME_UNITS[time_unit]
    holdout = _holdout_outcome(purchases, calibration, cal_day, duration, amount_col is not None)
    return calibration, holdout


def _holdout_outcome(purchases, calibration, cal_day: int, duration: float, with_amount: bool):
    """Purchase days, mean spend per purchase day and duration of the holdout period, for the
    customers of ``calibration``."""
    from pyspark.sql import functions as F

    holdout_days = (
        purchases.where(F.col("purchase_day") > cal_day)
        .groupBy("customer_id", "purchase_day")
        .agg(F.sum("amount").alias("amount"))
        .groupBy("customer_id")
        .agg(F.count("*").alias("days"), F.sum("amount").alias("spent"))
    )
    days = F.coalesce(F.col("days"), F.lit(0)).cast("long")
    columns = [F.col("customer_id"), days.alias("frequency_holdout")]
    if with_amount:
        mean = F.when(days > 0, F.col("spent") / days).otherwise(F.lit(0.0))
        columns.append(mean.cast("double").alias("monetary_value_holdout"))
    columns.append(F.lit(duration).cast("double").alias("duration_holdout"))
    holdout = calibration.select("customer_id").join(holdout_days, "customer_id", "left")
    return holdout.select(*columns)
