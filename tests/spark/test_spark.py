"""clvmodel.spark in a real local Spark session: the same numbers as the pandas and DuckDB paths.

Marked ``spark`` (deselect with ``-m "not spark"``); the README's test command and CI run them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.engine import TransactionSource
from clvmodel.errors import InputError
from clvmodel.models.bundle import fit_bundle
from clvmodel.scoring import SCORE_COLUMNS, score_customers

pytestmark = pytest.mark.spark

CAL_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"
RFM = ["frequency", "recency", "T"]
SIM_BG = {"r": 0.5, "alpha": 30.0, "a": 0.8, "b": 2.5}
SIM_GG = {"p": 6.0, "q": 3.8, "v": 15.0}


@pytest.fixture(scope="module")
def cdnow(spark):
    tx = clv.datasets.load_cdnow_sample()
    return tx, spark.createDataFrame(tx)


@pytest.fixture(scope="module")
def simulated(spark):
    tx = clv.simulate_transactions(4_000, SIM_BG, SIM_GG, seed=11)
    # Times of day and same-day repeats, so that merging purchases by day is exercised.
    rng = np.random.default_rng(3)
    extra = tx.sample(frac=0.2, random_state=5)
    tx = pd.concat([tx, extra.assign(amount=extra["amount"] * 0.5)], ignore_index=True)
    tx["date"] = tx["date"] + pd.to_timedelta(rng.integers(0, 86_400, len(tx)), unit="s")
    tx["customer_id"] = tx["customer_id"].astype("int64")
    return tx, spark.createDataFrame(tx)


def _frame_of_rows(spark, rows, schema: str):
    """A Spark DataFrame of ``rows`` (tuples) with a DDL ``schema``, sent from pandas through
    Arrow: Spark reads a list of tuples with Python workers, whose start costs more than the
    query of a small test."""
    names = [field.split()[0] for field in schema.split(",")]
    return spark.createDataFrame(pd.DataFrame(rows, columns=names, dtype=object), schema)


def _local(frame) -> pd.DataFrame:
    """A Spark result as pandas, indexed by customer id as text, in a fixed order."""
    table = frame.toPandas()
    table["customer_id"] = table["customer_id"].astype(str)
    return table.set_index("customer_id").sort_index()


def _assert_same_rfm(spark_rfm: pd.DataFrame, expected: pd.DataFrame):
    expected = expected.set_axis(expected.index.astype(str)).sort_index()
    assert list(spark_rfm.index) == list(expected.index)
    for column in RFM:
        np.testing.assert_array_equal(spark_rfm[column], expected[column], err_msg=column)
    assert spark_rfm["frequency"].dtype == np.int64
    if "monetary_value" in expected:
        # Floating-point sums depend on the order of addition, which SQL leaves open.
        np.testing.assert_allclose(
            spark_rfm["monetary_value"], expected["monetary_value"], rtol=1e-12, atol=1e-12
        )


# --------------------------------------------------------------------------------------------------
# RFM and split
@pytest.mark.parametrize("time_unit", ["W", "D"])
def test_rfm_equals_pandas_and_duckdb_on_cdnow(clvs, cdnow, cdnow_spark_rfm, tmp_path, time_unit):
    tx, frame = cdnow
    if time_unit == "W":  # the module's summary in weeks, computed (and kept) once
        result = _local(cdnow_spark_rfm)
    else:
        result = _local(clvs.rfm_summary(frame, observation_end=CAL_END, time_unit=time_unit))
    _assert_same_rfm(result, clv.rfm_summary(tx, observation_end=CAL_END, time_unit=time_unit))
    tx.to_parquet(tmp_path / "tx.parquet")
    duck = TransactionSource(tmp_path / "tx.parquet", observation_end=CAL_END, time_unit=time_unit)
    _assert_same_rfm(result, duck.rfm())


def test_rfm_equals_pandas_on_simulated_log_with_times_and_same_day_repeats(clvs, simulated):
    tx, frame = simulated
    result = _local(clvs.rfm_summary(frame, time_unit="D"))
    expected = clv.rfm_summary(tx, time_unit="D")
    assert (expected["frequency"] > 0).mean() > 0.3  # repeat buyers are well represented
    _assert_same_rfm(result, expected)


def test_rfm_without_amounts_and_with_text_dates(clvs, spark):
    tx = clv.datasets.load_cdnow_sample()
    text = tx.assign(date=tx["date"].dt.strftime("%Y%m%d")).drop(columns="amount")
    result = clvs.rfm_summary(
        spark.createDataFrame(text),
        amount_col=None,
        date_format="yyyyMMdd",
        observation_end=CAL_END,
    )
    assert result.columns == ["customer_id", *RFM]
    _assert_same_rfm(_local(result), clv.rfm_summary(tx, amount_col=None, observation_end=CAL_END))


def test_split_equals_pandas_on_cdnow(clvs, cdnow):
    tx, frame = cdnow
    cal, hold = clvs.calibration_holdout_split(frame, CAL_END, HOLDOUT_END)
    expected_cal, expected_hold = clv.calibration_holdout_split(tx, CAL_END, HOLDOUT_END)
    _assert_same_rfm(_local(cal), expected_cal)
    hold = _local(hold)
    expected_hold = expected_hold.sort_index()
    assert list(hold.index) == list(expected_hold.index)
    assert list(hold.columns) == list(expected_hold.columns)
    np.testing.assert_array_equal(hold["frequency_holdout"], expected_hold["frequency_holdout"])
    np.testing.assert_array_equal(hold["duration_holdout"], expected_hold["duration_holdout"])
    np.testing.assert_allclose(
        hold["monetary_value_holdout"], expected_hold["monetary_value_holdout"], rtol=1e-12
    )
    assert hold["frequency_holdout"].sum() > 1000  # the holdout is not trivially empty


def test_split_rejects_a_calibration_end_outside_the_data(clvs, cdnow):
    with pytest.raises(InputError, match="calibration_end .* must fall"):
        clvs.calibration_holdout_split(cdnow[1], "1999-01-01", HOLDOUT_END)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 6),  # customer
            st.integers(0, 60),  # day
            st.integers(0, 23),  # hour
            st.floats(0, 1e4, allow_nan=False, allow_infinity=False),
        ),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(["W", "D"]),
)
def test_rfm_equals_pandas_on_any_small_log(clvs, spark, rows, time_unit):
    tx = pd.DataFrame(rows, columns=["customer", "day", "hour", "amount"])
    tx["customer_id"] = "c" + tx["customer"].astype(str)
    tx["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx["day"] * 24 + tx["hour"], "h")
    tx = tx[["customer_id", "date", "amount"]]
    result = _local(clvs.rfm_summary(spark.createDataFrame(tx), time_unit=time_unit))
    _assert_same_rfm(result, clv.rfm_summary(tx, time_unit=time_unit))


# --------------------------------------------------------------------------------------------------
# Fitting and scoring
@pytest.fixture(scope="module")
def cdnow_models(clvs, cdnow):
    return clvs.fit(cdnow[1], observation_end=CAL_END)


@pytest.fixture(scope="module")
def cdnow_spark_rfm(clvs, cdnow):
    """The Spark RFM summary of the calibration period (weeks), computed once for the module."""
    rfm = clvs.rfm_summary(cdnow[1], observation_end=CAL_END).cache()
    yield rfm
    rfm.unpersist()


def test_fit_equals_duckdb_and_pandas_on_cdnow(cdnow_models, cdnow, cdnow_rfm, tmp_path_factory):
    tx = cdnow[0]
    path = tmp_path_factory.mktemp("fit") / "tx.parquet"
    tx.to_parquet(path)
    source = TransactionSource(path, observation_end=CAL_END)
    duck = fit_bundle(source.distinct_histories(), source.distinct_spends(), source.naive_inputs())
    np.testing.assert_allclose(cdnow_models.bg.params_, duck.bg.params_, rtol=1e-8)
    np.testing.assert_allclose(cdnow_models.gg.params_, duck.gg.params_, rtol=1e-8)
    assert cdnow_models.naive == pytest.approx(duck.naive, rel=1e-12)
    rfm = cdnow_rfm  # the session fixture: clv.rfm_summary(tx, observation_end=CAL_END)
    np.testing.assert_allclose(
        cdnow_models.bg.params_, clv.BetaGeoModel().fit(rfm).params_, rtol=1e-8
    )
    np.testing.assert_allclose(
        cdnow_models.gg.params_, clv.GammaGammaModel().fit(rfm).params_, rtol=1e-6
    )
    # The published CDNOW estimates (Fader, Hardie and Lee 2005).
    np.testing.assert_allclose(cdnow_models.bg.params_, [0.2426, 4.4137, 0.7930, 2.4262], rtol=2e-4)
    assert cdnow_models.bg.time_unit_ == "W"
    assert cdnow_models.metadata["customers"] == 2357
    assert cdnow_models.metadata["observation_end"] == CAL_END


def test_fit_takes_any_purchase_model_and_scores_with_it(clvs, cdnow, cdnow_rfm, cdnow_spark_rfm):
    # Pareto/NBD through Spark: the same parameters as the local fit (CLVTools' CDNOW estimates
    # r 0.553, α 10.58, s 0.606, β 11.67), and scores equal to local scoring.
    models = clvs.fit(cdnow[1], observation_end=CAL_END, model="pnbd")
    assert isinstance(models.bg, clv.ParetoNBDModel)
    local = clv.ParetoNBDModel().fit(cdnow_rfm)  # clv.rfm_summary(tx, observation_end=CAL_END)
    np.testing.assert_allclose(models.bg.params_, local.params_, rtol=1e-6)
    scored = _local(clvs.score(cdnow_spark_rfm, models)).sort_index()
    expected = score_customers(models.bg, models.gg, cdnow_rfm).sort_index()
    np.testing.assert_allclose(
        scored["predicted_clv"].to_numpy(), expected["predicted_clv"].to_numpy(), rtol=1e-9
    )


def test_fit_equals_duckdb_on_simulated_log(clvs, simulated, tmp_path):
    tx, frame = simulated
    bundle = clvs.fit(frame, time_unit="D")
    tx.to_parquet(tmp_path / "sim.parquet")
    source = TransactionSource(tmp_path / "sim.parquet", time_unit="D")
    duck = fit_bundle(source.distinct_histories(), source.distinct_spends(), source.naive_inputs())
    np.testing.assert_allclose(bundle.bg.params_, duck.bg.params_, rtol=1e-8)
    np.testing.assert_allclose(bundle.gg.params_, duck.gg.params_, rtol=1e-8)
    # And the simulation's parameters are recovered (per day), within generous sampling error.
    np.testing.assert_allclose(bundle.bg.params_, list(SIM_BG.values()), rtol=0.35)


@pytest.mark.parametrize("rows_per_piece", [200_000, 700])
def test_score_equals_local_scoring(
    clvs, cdnow_rfm, cdnow_spark_rfm, cdnow_models, monkeypatch, rows_per_piece
):
    monkeypatch.setattr("clvmodel.spark._scoring._ROWS_PER_PIECE", rows_per_piece)
    options = {"horizon": "6M", "discount_rate": 0.1, "margin": 0.4}
    scores = clvs.score(cdnow_spark_rfm, cdnow_models, **options)
    assert scores.columns == ["customer_id", *SCORE_COLUMNS]
    scores = _local(scores)
    expected = score_customers(
        cdnow_models.bg,
        cdnow_models.gg,
        cdnow_rfm,  # clv.rfm_summary(tx, observation_end=CAL_END)
        naive_clv=cdnow_models.naive_clv(0.5, margin=0.4),
        **options,
    ).sort_index()
    assert list(scores.index) == list(expected.index)
    for column in SCORE_COLUMNS:
        np.testing.assert_allclose(scores[column], expected[column], rtol=1e-10, err_msg=column)
    assert scores["predicted_clv"].gt(0).all()


def test_score_equals_the_cli_with_a_model_file(
    clvs, cdnow, cdnow_models, cdnow_spark_rfm, tmp_path
):
    from click.testing import CliRunner

    from clvmodel.cli import main

    tx = cdnow[0]
    model = cdnow_models.save(tmp_path / "models.json")
    tx.to_parquet(tmp_path / "tx.parquet")
    # In this process: the test compares numbers, not the process (clvmodel.cli's own tests do).
    cli = CliRunner().invoke(
        main,
        ["score", str(model), str(tmp_path / "tx.parquet"), "--observation-end", CAL_END,
         "-o", str(tmp_path / "cli.parquet")],
    )  # fmt: skip
    assert cli.exit_code == 0, f"{cli.output}{cli.exception!r}"
    expected = pd.read_parquet(tmp_path / "cli.parquet").set_index("customer_id").sort_index()
    scores = _local(clvs.score(cdnow_spark_rfm, str(model)))
    assert list(scores.columns) == list(expected.columns)
    assert list(scores.index) == list(expected.index)
    for column in SCORE_COLUMNS:
        np.testing.assert_allclose(scores[column], expected[column], rtol=1e-9, err_msg=column)


# --------------------------------------------------------------------------------------------------
# Bad input
@pytest.fixture(scope="module")
def messy(spark):
    rows = [
        ("a", "2024-01-01", "10"),
        ("a", "2024-02-01", "20"),
        ("b", "2024-01-05", "-3"),
        ("c", "not a date", "5"),
        (None, "2024-01-02", "7"),
        ("d", "2024-01-03", "abc"),
        ("d", "2024-01-09", "NaN"),
        ("e", "2024-01-04", "4"),
        ("e", "2024-03-01", "8"),
        ("f", "2024-01-06", "6"),
    ]
    return _frame_of_rows(spark, rows, "customer_id string, date string, amount string")


def test_invalid_rows_raise_by_default_with_counts_per_reason(clvs, messy):
    with pytest.raises(InputError) as error:
        clvs.rfm_summary(messy, observation_end="2024-02-15")
    message = str(error.value)
    for reason in ["negative amount", "missing customer id", "missing or unparseable date"]:
        assert reason in message
    assert "2 'missing or non-numeric amount'" in message or "'amount is not finite'" in message
    assert "on_invalid='drop'" in message
    with pytest.raises(InputError, match="cannot be used"):
        clvs.fit(messy, observation_end="2024-02-15")


def test_dropping_invalid_rows_matches_duckdb_with_the_same_rejects(clvs, messy, tmp_path):
    rfm = _local(clvs.rfm_summary(messy, observation_end="2024-02-15", on_invalid="drop"))
    assert list(rfm.index) == ["a", "e", "f"]
    assert rfm.loc["a", "frequency"] == 1 and rfm.loc["e", "frequency"] == 0  # e's 2nd is late
    path = tmp_path / "messy.csv"
    messy.toPandas().to_csv(path, index=False)
    duck = TransactionSource(path, observation_end="2024-02-15")
    _assert_same_rfm(rfm, duck.rfm())
    rejects = clvs.rejects(messy, observation_end="2024-02-15").toPandas()
    expected = duck.rejects()
    key = ["reason", "customer_id", "date"]
    assert rejects.sort_values(key).fillna("").to_dict("records") == expected.astype(
        object
    ).sort_values(key).fillna("").to_dict("records")
    assert "no valid transaction" in set(rejects["reason"])


def test_errors_name_the_problem(clvs, spark, cdnow):
    frame = cdnow[1]
    with pytest.raises(InputError, match="no customer column 'client'.*its columns are"):
        clvs.rfm_summary(frame, customer_col="client")
    with pytest.raises(InputError, match="ambiguous as dates.*yyyyMMdd"):
        clvs.rfm_summary(spark.createDataFrame([("a", 19970101, 1.0)], "c string, d int, x double"),
                         customer_col="c", date_col="d", amount_col="x")  # fmt: skip
    with pytest.raises(InputError, match="expected a pyspark.sql.DataFrame"):
        clvs.rfm_summary(cdnow[0])
    with pytest.raises(InputError, match="time_unit"):
        clvs.rfm_summary(frame, time_unit="M")
    with pytest.raises(InputError, match="on_invalid"):
        clvs.rfm_summary(frame, on_invalid="ignore")
    schema = "customer_id string, date string, amount double"
    future = _frame_of_rows(spark, [("a", "2999-01-01", 1.0)], schema)
    with pytest.raises(InputError, match="in the future"):
        clvs.rfm_summary(future)


def test_score_checks_its_rfm_input(clvs, spark, cdnow_models):
    rows = [("x", 1.0, 2.0, 5.0, 10.0), ("y", 1.0, 6.0, 5.0, 10.0), ("z", 0.5, 1.0, 5.0, 1.0)]
    columns = ["customer_id", "frequency", "recency", "T", "monetary_value"]
    rfm = spark.createDataFrame(pd.DataFrame(rows, columns=columns))
    from pyspark.errors import PySparkException

    lazily_checked = clvs.score(rfm, cdnow_models)  # the check runs with the job, not before
    with pytest.raises(PySparkException, match=r"cannot be scored \(customer [yz]: .*rfm_rejects"):
        lazily_checked.collect()
    reasons = clvs.rfm_rejects(rfm).toPandas().set_index("customer_id")["reason"]
    assert reasons.to_dict() == {"y": "recency > T", "z": "frequency is not a whole number >= 0"}
    kept = clvs.score(rfm, cdnow_models, on_invalid="drop").toPandas()
    assert kept["customer_id"].tolist() == ["x"]
    with pytest.raises(InputError, match="no column 'monetary_value'"):
        clvs.score(rfm.drop("monetary_value"), cdnow_models)


def test_importing_clvmodel_does_not_import_pyspark():
    code = "import sys, clvmodel, clvmodel.cli; assert 'pyspark' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


def test_the_guide_spark_example_runs_as_written(spark, tmp_path, monkeypatch):
    """The Python block of docs/guide/spark.md, run here only (tests/test_guide_examples.py)."""
    page = Path(__file__).resolve().parents[2] / "docs" / "guide" / "spark.md"
    (code,) = re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M)
    tx = clv.simulate_transactions(2_000, SIM_BG, SIM_GG, seed=2)
    monkeypatch.chdir(tmp_path)
    tx.to_parquet("transactions.parquet", coerce_timestamps="us")  # Spark reads no nanoseconds
    # Spark resolves relative paths against the JVM's directory, not Python's: make them absolute.
    for name in ["transactions.parquet", "scores"]:
        code = code.replace(f'"{name}"', repr(str(tmp_path / name)))
    exec(compile(code, "docs/guide/spark.md", "exec"), {})
    models = clv.load_models("models.json")
    assert models.bg.time_unit_ == "D" and models.gg is not None
    scores = pd.read_parquet("scores")
    assert list(scores.columns) == ["customer_id", *SCORE_COLUMNS]
    assert sorted(scores["customer_id"]) == sorted(tx["customer_id"].unique())
    assert np.isfinite(scores[list(SCORE_COLUMNS)].to_numpy()).all()
