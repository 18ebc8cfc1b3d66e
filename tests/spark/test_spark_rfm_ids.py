"""Customer ids on Spark as on the DuckDB route: a floating-point id beyond 2**53 is rejected as
too large to hold an exact id (not as "not a whole number"), in a transaction log and in an RFM
table; and Spark scoring reads the ids of an RFM table by the rules of transaction logs, so
``3`` and ``3.0`` are one customer, whose two rows are a repeated id (as
``tests/cli/test_cli_score_rfm_ids.py`` expects of ``clvmodel score``).

Marked ``spark`` (deselect with ``-m "not spark"``).
"""

from __future__ import annotations

import pandas as pd
import pytest
from rfm_rows import BG, GG, REPEATED, ROWS

import clvmodel as clv
from clvmodel._reading import ID_NOT_WHOLE, ID_TOO_LARGE
from clvmodel._rfm_source import RfmSource
from clvmodel.engine import TransactionSource
from clvmodel.models.bundle import ModelBundle

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def models():
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    return ModelBundle(bg, clv.GammaGammaModel.from_params(GG))


def test_a_log_s_float_id_beyond_2_53_is_rejected_as_too_large_as_in_duckdb(clvs, spark, tmp_path):
    tx = pd.DataFrame(
        {"customer_id": [3.0, 2.0**60, 5977.0, 3.0, -(2.0**61), 1.5],
         "date": ["2025-01-01", "2025-01-02", "2025-01-03", "2025-02-01", "2025-01-05",
                  "2025-01-06"],
         "amount": [10.0, 5.0, 6.0, 7.0, 8.0, 9.0]}
    )  # fmt: skip
    frame = spark.createDataFrame(tx, "customer_id double, date string, amount double")
    ours = clvs.rejects(frame, observation_end="2025-06-30").toPandas().sort_values("date")
    assert ours["reason"].tolist() == [ID_TOO_LARGE, ID_TOO_LARGE, ID_NOT_WHOLE]
    assert [float(i) for i in ours["customer_id"]] == [2.0**60, -(2.0**61), 1.5]  # as written
    path = tmp_path / "log.parquet"
    tx.to_parquet(path, index=False)
    theirs = TransactionSource(path, observation_end="2025-06-30").rejects().sort_values("date")
    assert ours["reason"].tolist() == theirs["reason"].tolist()
    rfm = clvs.rfm_summary(frame, observation_end="2025-06-30", on_invalid="drop").toPandas()
    assert sorted(rfm["customer_id"]) == [3, 5977]  # 3.0 as the integer id 3
    assert rfm.set_index("customer_id").loc[3, "frequency"] == 1


def test_rfm_scoring_reads_3_and_3_0_as_one_repeated_id(clvs, spark, models, tmp_path):
    ids = pd.Series(["3", "3.0 ", "5977"], dtype=object)  # text ids, as every CSV column is
    table = pd.DataFrame({"customer_id": ids, **ROWS})
    frame = spark.createDataFrame(table)
    rejects = clvs.rfm_rejects(frame).toPandas()
    assert rejects[["customer_id", "reason"]].values.tolist() == [["3", REPEATED]] * 2
    scores = clvs.score(frame, models, on_invalid="drop").toPandas()
    assert scores["customer_id"].tolist() == ["5977"]
    table.to_parquet(tmp_path / "rfm.parquet", index=False)
    duck = RfmSource(tmp_path / "rfm.parquet").rejects()
    assert duck[["customer_id", "reason"]].values.tolist() == [["3", REPEATED]] * 2


def test_rfm_scoring_rejects_fractional_and_too_large_float_ids(clvs, spark, models, tmp_path):
    table = pd.DataFrame({"customer_id": [3.0, 2.0**60, 12.0, 3.5], **{
        name: [*values, values[0]] for name, values in ROWS.items()}})  # fmt: skip
    frame = spark.createDataFrame(table)
    rejects = clvs.rfm_rejects(frame).toPandas().sort_values("reason")
    assert rejects["reason"].tolist() == [ID_TOO_LARGE, ID_NOT_WHOLE]
    assert float(rejects["customer_id"].iloc[0]) == 2.0**60
    assert rejects["customer_id"].iloc[1] == "3.5"  # shown as written
    table.to_parquet(tmp_path / "rfm.parquet", index=False)
    duck = RfmSource(tmp_path / "rfm.parquet").rejects().sort_values("reason")
    assert duck["reason"].tolist() == rejects["reason"].tolist()
    scores = clvs.score(frame, models, on_invalid="drop").toPandas()
    assert sorted(scores["customer_id"]) == [3, 12]  # whole floats as integer ids
    from pyspark.errors import PySparkException

    # The job stops at the too-large id, named as written, with its reason.
    with pytest.raises(PySparkException) as caught:
        clvs.score(frame.where("customer_id <> 3.5"), models).collect()
    said = str(caught.value)
    assert "cannot be scored (customer 1.15" in said and "too large to hold an exact id" in said
    assert "customer NULL" not in said and ID_NOT_WHOLE not in said


def test_decimal_ids_are_exact_and_huge_float_ids_do_not_overflow(clvs, spark, models, tmp_path):
    # A DECIMAL(38,0) column (Snowflake NUMBER, Spark DecimalType) holds exact ids at any size:
    # 2**53 and 2**53 + 1 stay two customers. A float id beyond 64 bits (1e19) is too large, and
    # must not stop the job with Spark's ANSI overflow of floor() (both went wrong before).
    from decimal import Decimal

    big = [Decimal(2**53), Decimal(2**53 + 1), Decimal(10**30)]
    table = pd.DataFrame({"customer_id": big, **ROWS})
    frame = spark.createDataFrame(
        table, "customer_id decimal(38,0), frequency double, recency double, T double, "
        "monetary_value double",
    )  # fmt: skip
    assert clvs.rfm_rejects(frame).count() == 0
    scores = clvs.score(frame, models).toPandas()
    assert sorted(scores["customer_id"]) == sorted(str(i) for i in big)
    floats = pd.DataFrame({"customer_id": [3.0, 1e19, -1e20], **ROWS})
    rejects = clvs.rfm_rejects(spark.createDataFrame(floats)).toPandas()
    assert rejects["reason"].tolist() == [ID_TOO_LARGE, ID_TOO_LARGE]
    tx = pd.DataFrame({"customer_id": [3.0, 1e19], "date": ["2025-01-01", "2025-01-02"],
                       "amount": [1.0, 2.0]})  # fmt: skip
    logged = clvs.rejects(spark.createDataFrame(tx), observation_end="2025-06-30").toPandas()
    assert logged["reason"].tolist() == [ID_TOO_LARGE]
