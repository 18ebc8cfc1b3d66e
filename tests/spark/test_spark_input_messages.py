"""clvmodel.spark refuses bad arguments and amounts in words when it is called: a discount rate or
margin out of range is an InputError at the call (was a Python worker's traceback when the result
was computed, or a TypeError), and a log whose amounts are all written with a decimal comma or a
currency, or true/false, says so (was "no row of the input can be used"; the DuckDB route names
the comma)."""

from __future__ import annotations

import pandas as pd
import pytest

from clvmodel.errors import InputError

pytestmark = pytest.mark.spark

ROWS = pd.DataFrame(
    {
        "customer_id": ["a", "b"],
        "frequency": [1.0, 0.0],
        "recency": [2.0, 0.0],
        "T": [5.0, 5.0],
        "monetary_value": [10.0, 0.0],
    }
)


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("discount_rate", -2, "discount_rate must be between 0 and 1"),
        ("discount_rate", float("nan"), "discount_rate must be between 0 and 1"),
        ("margin", -1, "margin must be between 0"),
        ("margin", "abc", "margin must be a number"),
    ],
)
def test_score_refuses_a_bad_rate_or_margin_at_the_call(
    clvs, spark, published_bg, published_gg, option, value, words
):
    rfm = spark.createDataFrame(ROWS)
    with pytest.raises(InputError, match=words):
        clvs.score(rfm, (published_bg, published_gg), **{option: value})  # no Spark job runs


@pytest.mark.parametrize(
    ("amount", "words"), [("12,50", "a comma"), ("$12.50", "a currency"), (True, "true/false")]
)
def test_amounts_with_a_comma_a_currency_or_true_false_are_named(clvs, spark, amount, words):
    # Every route names what is wrong with the amounts (the DuckDB route: "holds amounts with a
    # comma"); Spark said "no row of the input can be used (3 'missing or non-numeric amount')".
    log = spark.createDataFrame(
        pd.DataFrame(
            {"customer_id": ["a", "a", "b"], "date": ["1997-01-01", "1997-01-05", "1997-01-02"]}
        ).assign(amount=amount)
    )
    with pytest.raises(InputError, match=f"column 'amount' holds .*{words}"):
        clvs.rfm_summary(log)


def test_an_rfm_column_that_holds_no_numbers_is_refused_in_words(
    clvs, spark, published_bg, published_gg
):
    # An array frequency or a date T was Spark's AnalysisException ("cannot cast ARRAY<INT> to
    # DOUBLE"), raised from deep in the query.
    from pyspark.sql import functions as F

    rfm = spark.createDataFrame(ROWS)
    arrays = rfm.withColumn("frequency", F.array(F.col("frequency")))
    with pytest.raises(InputError, match=r"frequency \(array<double>\) should hold numbers"):
        clvs.score(arrays, (published_bg, published_gg))
    dates = rfm.withColumn("T", F.current_date())
    with pytest.raises(InputError, match=r"T \(date\) should hold numbers"):
        clvs.rfm_rejects(dates)


def test_rejects_lists_a_log_none_of_whose_rows_is_usable(clvs, spark):
    # The doc's way to see why rows cannot be used raised "no row of the input can be used"
    # instead, when no row was (the pandas clvmodel.rfm.transaction_rejects lists them).
    import clvmodel.rfm

    frame = pd.DataFrame(
        {"customer_id": ["a", "a", "b"], "date": ["1997-01-01", "bad", "1997-01-02"]}
    ).assign(amount=["x", "1", "y"])
    listed = clvs.rejects(spark.createDataFrame(frame)).toPandas()
    rows = listed[listed["reason"] != "no valid transaction"]
    expected = clvmodel.rfm.transaction_rejects(frame)
    assert sorted(rows["reason"]) == sorted(expected["reason"])
    assert len(rows) == 3
    assert sorted(listed.loc[listed["reason"] == "no valid transaction", "customer_id"]) == [
        "a",
        "b",
    ]


def test_a_streaming_log_is_refused_in_words(clvs, spark):
    # Was Spark's AnalysisException "Queries with streaming sources must be executed with
    # writeStream.start()" from the first collect.
    stream = spark.readStream.format("rate").load()  # columns timestamp and value
    with pytest.raises(InputError, match="streaming DataFrame .* spark.read"):
        clvs.rfm_summary(stream, customer_col="value", date_col="timestamp", amount_col=None)
