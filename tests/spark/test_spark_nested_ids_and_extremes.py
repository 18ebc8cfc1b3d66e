"""``clvmodel.spark`` against the pandas route on inputs other routes were fixed for: nested
customer ids (arrays, structs, maps) and interval amounts refused in words, an RFM table none of
whose rows can be scored an error with on_invalid="drop" (not an empty table), and the numbers of
a large first purchase and of timestamps at the last microsecond of a day.

Marked ``spark`` (deselect with ``-m "not spark"``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from rfm_rows import BG, GG

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.models.bundle import ModelBundle

pytestmark = pytest.mark.spark

NESTED_IDS = {"array": "array(1, 2)", "struct": "named_struct('x', 1)", "map": "map('x', 1)"}


@pytest.fixture(scope="module")
def models():
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    return ModelBundle(bg, clv.GammaGammaModel.from_params(GG))


def _log_with_id(spark, id_sql: str):
    return spark.sql(
        f"SELECT {id_sql} AS customer_id, DATE'2020-01-01' AS date, 1.0D AS amount UNION ALL "
        f"SELECT {id_sql}, DATE'2020-01-08', 2.0D"
    )


@pytest.mark.parametrize("kind", NESTED_IDS)
def test_nested_customer_ids_of_a_log_are_refused_in_words(clvs, spark, kind):
    log = _log_with_id(spark, NESTED_IDS[kind])
    for call in (clvs.rfm_summary, clvs.rejects):
        with pytest.raises(InputError, match=f"holds {kind} values.*not customer ids"):
            call(log)
    # pandas refuses a column of lists the same way
    frame = pd.DataFrame({"customer_id": [[1, 2]], "date": ["2020-01-01"], "amount": [1.0]})
    with pytest.raises(InputError, match="not customer ids"):
        clv.rfm_summary(frame)


@pytest.mark.parametrize("kind", NESTED_IDS)
def test_nested_customer_ids_of_an_rfm_table_are_refused_in_words(clvs, spark, models, kind):
    rfm = spark.sql(
        f"SELECT {NESTED_IDS[kind]} AS customer_id, 1.0D AS frequency, 2.0D AS recency, "
        "3.0D AS T, 5.0D AS monetary_value"
    )
    with pytest.raises(InputError, match=f"holds {kind} values.*not customer ids"):
        clvs.score(rfm, models)
    with pytest.raises(InputError, match=f"holds {kind} values.*not customer ids"):
        clvs.rfm_rejects(rfm)


@pytest.mark.parametrize("interval", ["INTERVAL 1 DAY", "INTERVAL '1' YEAR"])
def test_interval_amounts_are_refused_as_durations(clvs, spark, interval):
    log = spark.sql(f"SELECT 'a' AS customer_id, DATE'2020-01-01' AS date, {interval} AS amount")
    with pytest.raises(InputError, match="holds durations.*amounts must be numbers"):
        clvs.rfm_summary(log, on_invalid="drop")


def test_scoring_a_table_none_of_whose_rows_can_be_scored_is_an_error(clvs, spark, models):
    rfm = spark.createDataFrame(
        [("a", -1.0, 2.0, 3.0, 5.0), ("b", 1.0, 5.0, 3.0, 5.0)],
        "customer_id string, frequency double, recency double, T double, monetary_value double",
    )
    with pytest.raises(InputError, match="none of the 2 rows of the RFM DataFrame can be scored"):
        clvs.score(rfm, models, on_invalid="drop")
    # an empty table stays an empty result, and one valid row is scored
    assert clvs.score(rfm.limit(0), models, on_invalid="drop").count() == 0
    mixed = rfm.union(spark.createDataFrame([("c", 1.0, 2.0, 3.0, 5.0)], rfm.schema))
    assert [r[0] for r in clvs.score(mixed, models, on_invalid="drop").collect()] == ["c"]


def test_large_first_purchase_and_end_of_day_timestamps_as_pandas(clvs, spark):
    rows = [
        ("a", dt.datetime(2020, 1, 1, 23, 59, 59, 999999), 9.99e11),
        ("a", dt.datetime(2020, 1, 8, 23, 59, 59, 999999), 0.013),
        ("a", dt.datetime(2020, 1, 15), 0.017),
        ("b", dt.datetime(2020, 1, 2, 23, 59, 59, 999999), 4.0),
    ]
    log = spark.createDataFrame(rows, "customer_id string, date timestamp, amount double")
    spark_rfm = clvs.rfm_summary(log, time_unit="D").toPandas().set_index("customer_id")
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    expected = clv.rfm_summary(frame, time_unit="D")
    pd.testing.assert_frame_equal(
        spark_rfm.sort_index()[expected.columns], expected.sort_index(), check_names=False
    )
    assert spark_rfm.loc["a", "monetary_value"] == 0.015
    assert spark_rfm.loc["a", "recency"] == 14.0
