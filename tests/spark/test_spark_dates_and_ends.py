"""clvmodel.spark on dates and ends of observation: floating-point dates beyond 64 bits, an end of
observation before every purchase, "today" in the session time zone, Spark date patterns with a
time, and the customers who first buy in the holdout period.

Marked ``spark`` (deselect with ``-m "not spark"``). The DuckDB route of the floating-point dates
is in ``tests/test_bad_input/test_float_dates.py``.
"""

from __future__ import annotations

import math
import os
import time

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel._reading import BAD_DATE
from clvmodel.errors import InputError
from clvmodel.spark._common import strftime_pattern
from clvmodel.spark._transactions import SparkTransactions

pytestmark = pytest.mark.spark


def _local(frame) -> pd.DataFrame:
    """A Spark result as pandas, indexed by customer id as text, in a fixed order."""
    table = frame.toPandas()
    table["customer_id"] = table["customer_id"].astype(str)
    return table.set_index("customer_id").sort_index()


def _same_as_pandas(spark_rfm: pd.DataFrame, expected: pd.DataFrame) -> None:
    expected = expected.set_axis(expected.index.astype(str)).sort_index()
    pd.testing.assert_frame_equal(spark_rfm, expected, check_dtype=False, check_names=False)


# --------------------------------------------------------------------------------------------------
# Floating-point dates beyond 64 bits: rejected as unreadable dates, as in pandas (the SQL turned
# whole floats into BIGINT, which overflowed in Spark's ANSI mode).
def test_float_dates_beyond_64_bits_are_rejected_as_unreadable_dates(clvs, spark):
    tx = pd.DataFrame(
        {"customer_id": [1, 1, 5, 2, 3, 4],
         "date": [20200101.0, 20200105.0, 20200103.0, 1e20, math.inf, -math.inf],
         "amount": [1.0, 2.0, 4.0, 3.0, 4.0, 5.0]}
    )  # fmt: skip
    frame = spark.createDataFrame(tx)
    rfm = _local(clvs.rfm_summary(frame, date_format="%Y%m%d", on_invalid="drop", time_unit="D"))
    expected = clv.rfm_summary(tx, date_format="%Y%m%d", on_invalid="drop", time_unit="D")
    assert list(rfm.index) == ["1", "5"]
    _same_as_pandas(rfm, expected)
    rejects = clvs.rejects(frame, date_format="%Y%m%d").toPandas()
    rows = rejects[rejects["reason"] != "no valid transaction"]
    assert sorted(rows["customer_id"].astype(int)) == [2, 3, 4]
    assert set(rows["reason"]) == {BAD_DATE}


# --------------------------------------------------------------------------------------------------
# An explicit end of observation before every purchase: the error of the other routes
# (clvmodel._reading_sql.nothing_usable_error), not an empty table or "no readable date".
BEFORE_FIRST = r"end of observation \(2020-01-01\) is before the first purchase \(2020-01-05\)"


def test_an_end_before_every_purchase_is_refused_as_on_the_other_routes(clvs, spark):
    tx = pd.DataFrame(
        {"customer_id": ["a", "b", "b"], "date": ["2020-01-05", "2020-01-06", "2020-01-09"],
         "amount": [1.0, 2.0, 3.0]}
    )  # fmt: skip
    frame = spark.createDataFrame(tx)
    with pytest.raises(InputError, match=BEFORE_FIRST):
        clvs.rfm_summary(frame, observation_end="2020-01-01")
    with pytest.raises(InputError, match=BEFORE_FIRST):
        clvs.rfm_summary(frame, observation_end="2020-01-01", on_invalid="drop")
    with pytest.raises(InputError, match=BEFORE_FIRST):
        clvs.fit(frame, observation_end="2020-01-01")
    with pytest.raises(InputError, match=BEFORE_FIRST):
        clvs.calibration_holdout_split(frame, "2019-12-20", "2020-01-01", on_invalid="drop")
    # The pandas route refuses it too (in its own words).
    with pytest.raises(InputError, match="before the first transaction"):
        clv.rfm_summary(tx, observation_end="2020-01-01")


def test_dropping_every_row_is_refused_with_the_reasons(clvs, spark):
    frame = spark.createDataFrame(
        pd.DataFrame({"customer_id": [None, None], "date": ["2020-01-05", "2020-01-06"],
                      "amount": [1.0, 2.0]}),
        "customer_id string, date string, amount double",
    )  # fmt: skip
    with pytest.raises(InputError, match=r"no row of the input can be used \(2 'missing custom"):
        clvs.rfm_summary(frame, observation_end="2020-02-01", on_invalid="drop")


# --------------------------------------------------------------------------------------------------
# "Today" is today in the session time zone, where Spark gives a timestamp its day.
def test_today_is_today_in_the_session_time_zone(spark):
    """The driver's clock at UTC-12 and the session at UTC+14 are 26 hours apart: a purchase an
    hour ago has, in the session's zone, a later day than the driver's today (25 hours later at
    least), whatever the time of day; it is not in the future."""
    zone, driver_zone = spark.conf.get("spark.sql.session.timeZone"), os.environ.get("TZ")
    now = pd.Timestamp.now(tz="UTC").floor("s")
    epochs = [int((now - pd.Timedelta(days=30)).timestamp()), int(now.timestamp()) - 3600]
    frame = spark.createDataFrame(
        pd.DataFrame({"customer_id": [1, 1, 2], "epoch": [*epochs, epochs[0]]})
    ).selectExpr("customer_id", "timestamp_seconds(epoch) AS date", "CAST(1 AS DOUBLE) AS amount")
    session_today = f"{pd.Timestamp.now(tz='Etc/GMT-14'):%Y-%m-%d}"
    os.environ["TZ"] = "Etc/GMT+12"  # POSIX signs: UTC-12
    time.tzset()
    spark.conf.set("spark.sql.session.timeZone", "Etc/GMT-14")  # UTC+14
    try:
        # the setting: the driver's today is before the session's
        assert pd.Timestamp.now().normalize() < pd.Timestamp(session_today)
        latest = SparkTransactions(frame, time_unit="D").end
        hour_ago = (now - pd.Timedelta(hours=1)).tz_convert("Etc/GMT-14").tz_localize(None)
        assert latest == hour_ago.normalize()
        SparkTransactions(frame, observation_end=session_today, time_unit="D")
        tomorrow = pd.Timestamp(session_today) + pd.Timedelta(days=1)
        with pytest.raises(InputError, match="is in the future"):
            SparkTransactions(frame, observation_end=tomorrow, time_unit="D")
    finally:
        spark.conf.set("spark.sql.session.timeZone", zone)
        if driver_zone is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = driver_zone
        time.tzset()


def test_a_zone_pandas_does_not_name_gives_spark_s_own_today(spark):
    """Spark accepts "GMT+09:00", pandas does not: today is then Spark's current_date()."""
    from clvmodel._rfm_common import today_day
    from clvmodel.spark._common import session_today

    zone = spark.conf.get("spark.sql.session.timeZone")
    with pytest.raises((KeyError, ValueError)):
        today_day("GMT+09:00")
    spark.conf.set("spark.sql.session.timeZone", "GMT+09:00")
    try:
        before, today, after = today_day("+09:00"), session_today(spark), today_day("+09:00")
    finally:
        spark.conf.set("spark.sql.session.timeZone", zone)
    assert today in (before, after)


# --------------------------------------------------------------------------------------------------
# Spark date patterns with a time: the trailing time is dropped (every route drops the time of a
# date text), other letters refused naming date_format.
@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("dd/MM/yyyy HH:mm:ss", "%d/%m/%Y"),
        ("yyyy-MM-dd HH:mm", "%Y-%m-%d"),
        ("yyyy-MM-dd'T'HH:mm:ss", "%Y-%m-%d"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "%Y-%m-%d"),
        ("d MMM yyyy", "%d %b %Y"),
        ("yyyyMMdd", "%Y%m%d"),
        ("%d/%m/%Y", "%d/%m/%Y"),
    ],
)
def test_spark_patterns_translate_their_date_part(pattern, expected):
    assert strftime_pattern(pattern) == expected


@pytest.mark.parametrize(
    "pattern", ["dd/MM/yyyy hh:mm a", "yyyy-MM-dd (EEE)", "HH:mm dd/MM/yyyy", "dd/MM/yyyy HH"]
)
def test_spark_patterns_with_untranslated_letters_are_refused(pattern):
    with pytest.raises(InputError, match=r"date_format=.*is not translated.*strftime"):
        strftime_pattern(pattern)


def test_a_spark_pattern_with_a_time_reads_the_dates(clvs, spark):
    tx = pd.DataFrame(
        {"customer_id": [1, 1, 2],
         "date": ["05/01/2020 10:00:00", "09/01/2020 11:30:00", "07/01/2020 23:59:59"],
         "amount": [1.0, 2.0, 3.0]}
    )  # fmt: skip
    rfm = _local(clvs.rfm_summary(spark.createDataFrame(tx), date_format="dd/MM/yyyy HH:mm:ss",
                                  time_unit="D"))  # fmt: skip
    _same_as_pandas(rfm, clv.rfm_summary(tx, date_format="%d/%m/%Y", time_unit="D"))
    assert rfm.loc["1", "recency"] == 4.0  # 5 to 9 January, day first


# --------------------------------------------------------------------------------------------------
# Customers first buying in the holdout: Spark DataFrames have no attrs; the split's docstring
# and the guide say how to get them, and that recipe gives the pandas split's list.
def test_the_documented_new_customers_are_those_of_the_pandas_split(clvs, spark):
    from pathlib import Path

    doc = clvs.calibration_holdout_split.__doc__
    assert 'attrs["new_customers"]' in doc and "left_anti" in doc
    guide = (Path(__file__).resolve().parents[2] / "docs" / "guide" / "spark.md").read_text()
    assert 'attrs["new_customers"]' in guide and "left_anti" in guide
    days = ["2020-01-02", "2020-01-20", "2020-01-05", "2020-02-10", "2020-02-15", "2020-02-20"]
    tx = pd.DataFrame({"customer_id": np.array([1, 1, 2, 3, 3, 4]), "date": days, "amount": 10.0})
    calibration, _ = clvs.calibration_holdout_split(spark.createDataFrame(tx), "2020-01-31")
    new = (
        clvs.rfm_summary(spark.createDataFrame(tx))
        .join(calibration, "customer_id", "left_anti")
        .select("customer_id")
    )
    _, holdout = clv.calibration_holdout_split(tx, "2020-01-31")
    assert sorted(row[0] for row in new.collect()) == holdout.attrs["new_customers"] == [3, 4]
