"""Spark reads a missing mean spend of a customer without repeat purchases as 0, as the other
routes do (see tests/test_scoring_missing_spend_routes.py): such customers are scored as with
``monetary_value`` 0; a repeat buyer's missing spend, text that is no number and an infinite
spend are still rejected, with the reasons they had."""

from __future__ import annotations

from test_scoring_missing_spend_routes import MISSING, NOT_FINITE, SCORES

from clvmodel.models.bundle import ModelBundle


def test_spark_scores_one_time_buyers_without_spend_as_with_spend_0(
    clvs, spark, published_bg, published_gg
):
    models = ModelBundle(published_bg, published_gg)
    nan = float("nan")
    rows = [  # NULL and NaN spends of one-time buyers, next to one of 0
        ("once_null", 0.0, 0.0, 10.0, None),
        ("once_nan", 0.0, 0.0, 10.0, nan),
        ("once_zero", 0.0, 0.0, 10.0, 0.0),
        ("once_inf", 0.0, 0.0, 10.0, float("inf")),
        ("repeat_null", 2.0, 5.0, 10.0, None),
        ("repeat_nan", 2.0, 5.0, 10.0, nan),
        ("repeat_ok", 2.0, 5.0, 10.0, 7.0),
    ]
    schema = "customer_id string, frequency double, recency double, T double, "
    frame = spark.createDataFrame(rows, schema + "monetary_value double")
    rejects = clvs.rfm_rejects(frame).toPandas().set_index("customer_id")["reason"].to_dict()
    assert rejects == {"once_inf": NOT_FINITE, "repeat_null": MISSING, "repeat_nan": NOT_FINITE}
    scores = clvs.score(frame, models, on_invalid="drop").toPandas().set_index("customer_id")
    assert sorted([*scores.index, *rejects]) == sorted(row[0] for row in rows)
    once = scores.loc[["once_null", "once_nan"]]
    for column in ["monetary_value", *SCORES]:
        assert (once[column] == scores.loc["once_zero", column]).all(), column
    # A text column, as a CSV read without a schema gives: empty and "NA" are missing too.
    texts = [
        ("once_empty", 0.0, 0.0, 10.0, ""),
        ("once_na", 0.0, 0.0, 10.0, " NA "),
        ("once_text", 0.0, 0.0, 10.0, "abc"),
        ("repeat_empty", 2.0, 5.0, 10.0, ""),
    ]
    frame = spark.createDataFrame(texts, schema + "monetary_value string")
    rejects = clvs.rfm_rejects(frame).toPandas().set_index("customer_id")["reason"].to_dict()
    assert rejects == {"once_text": MISSING, "repeat_empty": MISSING}
    scored = clvs.score(frame, models, on_invalid="drop").toPandas().set_index("customer_id")
    assert sorted(scored.index) == ["once_empty", "once_na"]
    assert (scored[SCORES] == scores.loc[["once_zero", "once_zero"], SCORES].values).all().all()
