"""clvmodel.spark.score and the time unit of an RFM table: ``clvmodel.spark.rfm_summary`` records
the unit of recency and T in the columns' metadata, a recorded unit other than the model's is
refused (not scored as if it were the model's: a table in days scored by a weekly model gave 82 %
too few expected purchases), and ``time_unit=`` converts a table's recency and T to the model's
unit, as ``clvmodel score --rfm-time-unit`` does.

Marked ``spark`` (deselect with ``-m "not spark"``).
"""

from __future__ import annotations

import numpy as np
import pytest

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.models.bundle import ModelBundle
from clvmodel.scoring import SCORE_COLUMNS

pytestmark = pytest.mark.spark

END = "2024-12-31"


@pytest.fixture(scope="module")
def log(spark):
    tx = clv.simulate_transactions(
        150, {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 3.0}, {"p": 6.0, "q": 4.0, "v": 15.0},
        start="2024-01-01", acquisition_days=200, observation_days=365, seed=5,
    )  # fmt: skip
    return spark.createDataFrame(tx)


@pytest.fixture(scope="module")
def tables(clvs, log):
    """The Spark RFM summaries of one log in days and in weeks (cached for the module)."""
    days = clvs.rfm_summary(log, observation_end=END, time_unit="D").cache()
    weeks = clvs.rfm_summary(log, observation_end=END, time_unit="W").cache()
    yield days, weeks
    days.unpersist()
    weeks.unpersist()


@pytest.fixture(scope="module")
def weekly(published_bg, published_gg):
    return ModelBundle(bg=published_bg, gg=published_gg)  # the published CDNOW models, in weeks


def _local(frame):
    return frame.toPandas().set_index("customer_id").sort_index()


def test_rfm_summary_records_its_time_unit_in_the_column_metadata(clvs, tables, log):
    days, weeks = tables
    for table, unit in ((days, "D"), (weeks, "W")):
        for column in ("recency", "T"):
            assert table.schema[column].metadata == {"clvmodel.time_unit": unit}
    calibration, _ = clvs.calibration_holdout_split(log, "2024-09-30", END, time_unit="D")
    assert calibration.schema["T"].metadata == {"clvmodel.time_unit": "D"}


def test_a_days_table_scored_by_a_weeks_model_with_time_unit_d_equals_the_weeks_table(
    clvs, spark, tables, weekly
):
    days, weeks = tables
    expected = _local(clvs.score(weeks, weekly, horizon="12M"))
    assert expected["expected_purchases"].sum() > 0
    converted = _local(clvs.score(days, weekly, horizon="12M", time_unit="D"))
    # A table that records nothing (rebuilt from pandas): time_unit= says its unit.
    unrecorded = spark.createDataFrame(days.toPandas())
    assert unrecorded.schema["T"].metadata == {}
    rebuilt = _local(clvs.score(unrecorded, weekly, horizon="12M", time_unit="D"))
    for scores in (converted, rebuilt):
        assert list(scores.index) == list(expected.index)
        for column in SCORE_COLUMNS:
            np.testing.assert_allclose(scores[column], expected[column], rtol=1e-12, err_msg=column)
    # The weeks table given as weeks: nothing converted.
    same = _local(clvs.score(weeks, weekly, horizon="12M", time_unit="W"))
    np.testing.assert_array_equal(same["expected_purchases"], expected["expected_purchases"])


def test_a_recorded_unit_other_than_the_model_s_is_refused_at_the_call(
    clvs, spark, tables, weekly, tmp_path
):
    days, _ = tables
    with pytest.raises(InputError, match=r"recency and T are in days.*weeks.*time_unit='D'"):
        clvs.score(days, weekly)
    # The record survives Parquet files written and read by Spark, and selections.
    days.write.parquet(str(tmp_path / "days"))
    read_back = spark.read.parquet(str(tmp_path / "days")).select("customer_id", "frequency",
                                                                   "recency", "T",
                                                                   "monetary_value")  # fmt: skip
    with pytest.raises(InputError, match=r"recency and T are in days"):
        clvs.score(read_back, weekly)
    # A unit given that contradicts the recorded one.
    with pytest.raises(InputError, match=r"time_unit='W' contradicts.*days"):
        clvs.score(days, weekly, time_unit="W")
    with pytest.raises(InputError, match=r"time_unit='W' contradicts.*days"):
        clvs.rfm_rejects(days, time_unit="W")
    with pytest.raises(InputError, match=r"time_unit='M'.*'D' or 'W'"):
        clvs.score(days, weekly, time_unit="M")


def test_rfm_rejects_bounds_repeat_days_by_the_recorded_unit(clvs, spark):
    # 3 repeat purchase days within 2 days of recency: impossible in days, possible in weeks.
    table = spark.createDataFrame(
        [("a", 3, 2.0, 5.0, 10.0)], "customer_id string, frequency long, recency double, "
        "T double, monetary_value double"
    )  # fmt: skip
    assert clvs.rfm_rejects(table).count() == 0  # unit unknown
    assert clvs.rfm_rejects(table, time_unit="D").count() == 1
    from pyspark.sql import functions as F

    recorded = table.select(
        "customer_id", "frequency",
        F.col("recency").alias("recency", metadata={"clvmodel.time_unit": "D"}),
        F.col("T").alias("T", metadata={"clvmodel.time_unit": "D"}), "monetary_value",
    )  # fmt: skip
    assert clvs.rfm_rejects(recorded).count() == 1


def test_distinct_histories_take_the_recorded_unit(clvs, tables):
    days, weeks = tables
    assert clvs.distinct_histories(days).attrs["time_unit"] == "D"  # was "W", the default
    assert clvs.distinct_histories(weeks).attrs["time_unit"] == "W"
    with pytest.raises(InputError, match=r"time_unit='W' contradicts"):
        clvs.distinct_histories(days, time_unit="W")


def test_distinct_rows_come_in_order_and_bad_values_are_named_smallest_first(clvs, spark):
    """Spark's groupBy gives its rows in no set order: the distinct rows (which the fit adds up)
    and the example values of an error were those of whatever order the partitions met. They
    are sorted now: the same rows, the same message, on every run."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    frequency = rng.permutation(np.repeat(np.arange(40.0), 5))
    rows = pd.DataFrame({"frequency": frequency, "recency": frequency + 1.0, "T": 50.0,
                         "monetary_value": 10.0 + frequency})  # fmt: skip
    table = spark.createDataFrame(rows).repartition(4)
    histories = clvs.distinct_histories(table)
    assert histories["frequency"].tolist() == list(range(40))
    spends = clvs.distinct_spends(table)
    assert spends["frequency"].tolist() == list(range(1, 40))
    fractions = rows.assign(frequency=rows["frequency"] + np.where(rows["frequency"] > 30, 0.5, 0))
    bad = spark.createDataFrame(fractions).repartition(4)
    shown = r"\[31\.5, 32\.5, 33\.5, 34\.5, 35\.5\]"
    for distinct in (clvs.distinct_histories, clvs.distinct_spends):
        with pytest.raises(InputError, match=rf"frequency has 45 value.*not whole.*{shown}"):
            distinct(bad)


def test_distinct_rows_of_a_hand_made_table_refuse_nulls_fractions_and_missing_columns(clvs, spark):
    """A hand-made RFM DataFrame: a fractional frequency was cut to a whole one without a word
    (2.5 repeat purchases fitted as 2), a null stopped with pandas' IntCastingNaNError and a
    missing column with Spark's AnalysisException; each is an InputError naming the column."""
    import pandas as pd

    def table(**columns):
        base = {"frequency": [1.0, 0.0, 3.0], "recency": [3.0, 0.0, 5.0], "T": [5.0, 3.0, 6.0],
                "monetary_value": [10.0, 0.0, 12.0]}  # fmt: skip
        return spark.createDataFrame(pd.DataFrame({**base, **columns}))

    fractional = table(frequency=[1.0, 0.0, 2.5])
    for distinct in (clvs.distinct_histories, clvs.distinct_spends):
        with pytest.raises(InputError, match=r"frequency has 1 value.*not whole.*\[2\.5\]"):
            distinct(fractional)
        with pytest.raises(InputError, match=r"frequency has 1 value.*missing"):
            distinct(table(frequency=[1.0, 0.0, None]))
    with pytest.raises(InputError, match=r"no column 'T'"):
        clvs.distinct_histories(table().drop("T"))
    with pytest.raises(InputError, match=r"no column 'monetary_value'"):
        clvs.distinct_spends(table().drop("monetary_value"))
    with pytest.raises(InputError, match=r"monetary_value has 1 value.*missing"):
        clvs.distinct_spends(table(monetary_value=[10.0, 0.0, None]))
    histories = clvs.distinct_histories(table())  # a valid table: whole frequencies, as before
    assert histories["frequency"].dtype == "int64"
    assert sorted(histories["frequency"]) == [0, 1, 3]
