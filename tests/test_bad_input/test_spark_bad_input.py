"""Issue 13, item 8 and the Spark side of items 1-6: Spark reads bad input as the other routes do,
and scores the full CDNOW log.

``clvmodel.spark.score(rfm, models).toPandas()`` used to fail in the Python worker with
"Cannot convert pyarrow.lib.ChunkedArray to pyarrow.lib.Array" on full CDNOW (23,570 customers,
string ids), and a fitted model object gave a raw TypeError from pathlib.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.scoring import score_customers

pytestmark = pytest.mark.spark


def test_score_full_cdnow_with_string_ids(clvs, spark):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)  # CDNOW's 255 duplicate rows
        rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    assert len(rfm) == 23_570
    bg = clv.BetaGeoModel().fit(rfm)
    gg = clv.GammaGammaModel().fit(rfm)
    frame = spark.createDataFrame(
        rfm.rename_axis("customer_id").reset_index().astype({"customer_id": object})
    )
    # One partition, so the worker concatenates Arrow batches of text ids (the failing case).
    scores = clvs.score(frame.coalesce(1), (bg, gg)).toPandas().set_index("customer_id")
    assert len(scores) == 23_570
    expected = score_customers(bg, gg, rfm, horizon="12M")
    scores = scores.loc[expected.index]
    for column in ("expected_purchases", "probability_alive", "churn_risk", "predicted_clv"):
        np.testing.assert_allclose(scores[column], expected[column], rtol=1e-9)


def test_score_refuses_what_is_not_models(clvs, spark):
    frame = spark.createDataFrame(
        [("a", 1, 2.0, 5.0, 10.0)],
        "customer_id string, frequency long, recency double, T double, monetary_value double",
    )
    with pytest.raises(InputError, match="models must be a ModelBundle.*got int"):
        clvs.score(frame, 3)


def _frame(spark, rows):
    # From pandas through Arrow: Spark reads a list of tuples with Python workers, whose start
    # costs more than these small queries.
    columns = ["customer_id", "date", "amount"]
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    return spark.createDataFrame(frame, "customer_id string, date string, amount string")


def test_spark_reads_dates_as_the_other_routes(clvs, spark):
    rows = [("a", "05/01/2025", "1"), ("a", "13/02/2025", "2"), ("b", "03/02/2025", "3")]
    rfm = clvs.rfm_summary(_frame(spark, rows), observation_end="2025-06-30", time_unit="D")
    local = rfm.toPandas().set_index("customer_id").sort_index()
    expected = clv.rfm_summary(pd.DataFrame(rows, columns=["customer_id", "date", "amount"]),
                               observation_end="2025-06-30", time_unit="D")  # fmt: skip
    pd.testing.assert_frame_equal(
        local, expected.sort_index(), check_names=False, check_dtype=False, check_like=True
    )
    ambiguous = [("a", "05/01/2025", "1"), ("b", "03/02/2025", "3")]
    with pytest.raises(InputError, match="day first or month first"):
        clvs.rfm_summary(_frame(spark, ambiguous), observation_end="2025-06-30")
    with pytest.raises(InputError, match="mixes date formats"):
        clvs.rfm_summary(_frame(spark, [("a", "2025-01-05", "1"), ("b", "13/01/2025", "1")]),
                         observation_end="2025-06-30")  # fmt: skip
    with pytest.raises(InputError, match="ambiguous"):
        clvs.rfm_summary(_frame(spark, rows), observation_end="05/01/2025")
    read = clvs.rfm_summary(_frame(spark, ambiguous), observation_end="30/06/2025",
                            date_format="%d/%m/%Y", time_unit="D").toPandas()  # fmt: skip
    assert sorted(read["T"]) == [147.0, 176.0]  # 3 Feb and 5 Jan to 30 June


def test_spark_leaves_typed_dates_alone_under_a_date_format(clvs, spark):
    """date_format is for text dates: typed dates and timestamps read as they are (they were
    turned into text and parsed with the format, so every row failed)."""
    local = pd.DataFrame(
        {"customer_id": ["a", "a", "b"],
         "date": pd.to_datetime(["2025-01-05 00:00", "2025-02-13 18:30", "2025-02-03 00:00"]),
         "amount": [1.0, 2.0, 3.0]}
    )  # fmt: skip
    frame = spark.createDataFrame(local)
    expected = clv.rfm_summary(local, observation_end="2025-06-30", time_unit="D")
    for typed in (frame, frame.withColumn("date", frame["date"].cast("date"))):
        read = clvs.rfm_summary(typed, observation_end="2025-06-30", date_format="%d/%m/%Y",
                                time_unit="D").toPandas().set_index("customer_id")  # fmt: skip
        pd.testing.assert_frame_equal(read.sort_index(), expected.sort_index(), check_names=False,
                                      check_dtype=False, check_like=True)  # fmt: skip


def test_spark_ids_amounts_and_reasons_match_the_engine(clvs, spark, tmp_path):
    from clvmodel.engine import TransactionSource

    rows = [
        ("1", "2025-01-01", "10"), ("1.0", "2025-01-05", "5"), ("NaN", "2025-01-02", "3"),
        (" 2 ", "2025-01-03", "1e308"), ("2", "2025-01-04", "4"), ("3", "1066-10-14", "1"),
        ("3", "2025-01-09", "-2"), ("", "2025-01-09", "2"),
    ]  # fmt: skip
    frame = _frame(spark, rows)
    rfm = clvs.rfm_summary(frame, observation_end="2025-06-30", on_invalid="drop").toPandas()
    assert sorted(rfm["customer_id"]) == ["1", "2"]
    path = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).to_csv(path, index=False)
    duck = TransactionSource(path, observation_end="2025-06-30")
    key = ["reason", "date"]
    ours = clvs.rejects(frame, observation_end="2025-06-30").toPandas()
    theirs = duck.rejects()
    assert ours.sort_values(key)["reason"].tolist() == theirs.sort_values(key)["reason"].tolist()
    with pytest.raises(InputError, match="cannot be used"):
        clvs.rfm_summary(frame, observation_end="2025-06-30")


def test_spark_shows_a_fractional_float_id_in_the_rejects_as_the_engine(clvs, spark, tmp_path):
    from clvmodel.engine import TransactionSource

    tx = pd.DataFrame(
        {"customer_id": [1.0, 1.5, 2.0, 7.25, 9.0],
         "date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04",
                                 "2026-01-01"]),
         "amount": [1.0, 2.0, 3.0, 4.0, 5.0]}
    )  # fmt: skip
    path = tmp_path / "log.parquet"
    tx.to_parquet(path)
    ours = clvs.rejects(spark.createDataFrame(tx), observation_end="2025-06-30").toPandas()
    theirs = TransactionSource(path, observation_end="2025-06-30").rejects()
    key = ["reason", "customer_id"]
    assert (
        ours.sort_values(key)[key].values.tolist() == theirs.sort_values(key)[key].values.tolist()
    )
    assert sorted(ours["customer_id"]) == ["1.5", "7.25", "9", "9"]


def test_spark_names_the_amount_column_for_currency(clvs, spark):
    rows = [("a", "2025-01-05", "$12.50"), ("b", "2025-01-06", "$3.00")]
    with pytest.raises(InputError, match="column 'amount' holds amounts written with a currency"):
        clvs.rfm_summary(_frame(spark, rows), observation_end="2025-06-30")


def test_spark_counts_and_drops_duplicates_as_pandas(clvs, spark):
    from clvmodel.spark import SparkTransactions

    rows = [("a", "2025-01-01", "10"), ("a", "2025-01-05", "20"), ("a", "2025-01-05", "20"),
            ("a", "2025-01-05 10:00", "20"), ("b", "2025-01-02", "5")]  # fmt: skip
    frame = _frame(spark, rows)
    assert SparkTransactions(frame, observation_end="2025-01-31").duplicate_rows() == 1
    local = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    for drop in (False, True):
        ours = clvs.rfm_summary(frame, observation_end="2025-01-31", drop_duplicates=drop)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", clv.ClvWarning)
            expected = clv.rfm_summary(local, observation_end="2025-01-31", drop_duplicates=drop)
        got = ours.toPandas().set_index("customer_id").loc[expected.index]
        np.testing.assert_allclose(got["monetary_value"], expected["monetary_value"])


def test_a_missing_id_in_a_float_column_is_a_missing_id(clvs, spark):
    """Spark's isnan(NULL) is FALSE, so a NULL in a DOUBLE id column was rejected as "customer id
    is not a whole number" (pandas and DuckDB: "missing customer id"), in logs and RFM tables."""
    rows = [(1.0, "2020-01-01", 1.0), (None, "2020-01-02", 2.0), (2.0, "2020-01-03", 3.0)]
    log = spark.createDataFrame(rows, "customer_id double, date string, amount double")
    assert clvs.rejects(log).toPandas()["reason"].tolist() == ["missing customer id"]
    rfm = spark.createDataFrame(
        [(1.0, 1.0, 2.0, 5.0, 10.0), (None, 0.0, 0.0, 3.0, 0.0)],
        "customer_id double, frequency double, recency double, T double, monetary_value double",
    )
    assert clvs.rfm_rejects(rfm).toPandas()["reason"].tolist() == ["missing customer id"]
