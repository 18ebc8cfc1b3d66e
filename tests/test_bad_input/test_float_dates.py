"""Floating-point date columns read with ``date_format`` (``19970101.0`` as ``%Y%m%d``) holding
values beyond 64 bits: 1e20, infinities (the DuckDB route of ``clvmodel fit`` and ``clvmodel
score``, and :class:`clvmodel.engine.TransactionSource`).

Such a value is no date: pandas reads its text ("1e+20", "inf") as unparseable and rejects the
row. The SQL routes turned a whole float into an integer's text with ``CAST(... AS BIGINT)``,
which overflowed (DuckDB's ConversionException, an "unexpected failure" of the command line);
now they reject the row as pandas does. A CSV file has no floating-point column, so the files
here are Parquet. The Spark route is in ``tests/spark/test_spark_dates_and_ends.py``.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli
from hypothesis import given
from hypothesis import strategies as st
from published import PUBLISHED_BG, PUBLISHED_GG

import clvmodel as clv
from clvmodel._reading import BAD_DATE
from clvmodel._reading_sql import Dialect, date_text_sql
from clvmodel.engine import TransactionSource
from clvmodel.models.bundle import ModelBundle

# Published CDNOW estimates (Fader, Hardie and Lee 2005): a models file without fitting.
BG = PUBLISHED_BG
GG = PUBLISHED_GG
SIM_BG = {"r": 0.5, "alpha": 30.0, "a": 0.8, "b": 2.5}
SIM_GG = {"p": 6.0, "q": 3.8, "v": 15.0}
BEYOND = [1e20, math.inf, -math.inf]


def _log() -> pd.DataFrame:
    """Two usable customers, and one row per value beyond 64 bits (customers 2, 3, 4)."""
    return pd.DataFrame(
        {"customer_id": [1, 1, 5, 2, 3, 4],
         "date": [20200101.0, 20200105.0, 20200103.0, *BEYOND],
         "amount": [1.0, 2.0, 4.0, 3.0, 4.0, 5.0]}
    )  # fmt: skip


def test_the_engine_rejects_them_as_unreadable_dates_as_pandas_drops_them(tmp_path):
    path = tmp_path / "log.parquet"
    _log().to_parquet(path, index=False)
    source = TransactionSource(path, date_format="%Y%m%d", time_unit="D")
    rejected = source.rejects().query("reason != 'no valid transaction'")
    assert sorted(rejected["customer_id"].astype(int)) == [2, 3, 4]
    assert set(rejected["reason"]) == {BAD_DATE}
    expected = clv.rfm_summary(_log(), date_format="%Y%m%d", on_invalid="drop", time_unit="D")
    rfm = source.rfm()
    assert sorted(rfm.index) == sorted(expected.index) == [1, 5]
    pd.testing.assert_frame_equal(rfm.sort_index(), expected.sort_index(), check_dtype=False,
                                  check_names=False)  # fmt: skip


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("float_dates")
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    return ModelBundle(bg, clv.GammaGammaModel.from_params(GG)).save(folder / "models.json")


def test_score_lists_them_as_rejects_instead_of_failing(model, tmp_path):
    log = tmp_path / "log.parquet"
    _log().to_parquet(log, index=False)
    output = tmp_path / "scores.csv"
    result = run_cli("score", model, log, "-o", output, "--date-format", "%Y%m%d")
    assert result.returncode == 0, result.output
    assert "unexpected failure" not in result.output
    assert "rows: 6 read, 3 rejected" in result.stdout, result.stdout
    scores = pd.read_csv(output)
    assert sorted(scores["customer_id"]) == [1, 5]
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv")
    assert (rejects.query("reason != 'no valid transaction'")["reason"] == BAD_DATE).sum() == 3


def test_fit_leaves_them_out(tmp_path):
    tx = clv.simulate_transactions(300, SIM_BG, SIM_GG, seed=4)
    tx["date"] = tx["date"].dt.strftime("%Y%m%d").astype("float64")
    bad = pd.DataFrame({"customer_id": [9001, 9002, 9003], "date": BEYOND, "amount": 1.0})
    log = tmp_path / "log.parquet"
    pd.concat([tx, bad], ignore_index=True).to_parquet(log, index=False)
    output = tmp_path / "models.json"
    result = run_cli("fit", log, "--date-format", "%Y%m%d", "-o", output)
    assert result.returncode == 0, result.output
    assert "3 rows left out" in result.stdout, result.stdout
    assert clv.load_models(output).metadata["customers"] == tx["customer_id"].nunique()


_CON = duckdb.connect()


def _date_text(value: float) -> str | None:
    sql = date_text_sql("d", "float", Dialect("duckdb"))
    return _CON.execute(f"SELECT {sql} FROM (SELECT CAST(? AS DOUBLE) AS d)", [value]).fetchone()[0]


@given(st.one_of(st.floats(), st.integers(-(2**53), 2**53).map(float)))
def test_the_date_text_of_any_float_is_read_without_overflow(value):
    """Whole floats up to 2**53 (exact) give an integer's text; other values, their own text."""
    text = _date_text(value)
    if math.isfinite(value) and value == math.floor(value) and abs(value) <= 2**53:
        assert text == str(int(value))
    else:
        assert text is not None and not text.lstrip("-").isdigit()


def test_values_at_the_edge_of_2_53():
    assert _date_text(2.0**53) == str(2**53)
    assert not _date_text(2.0**53 + 2).isdigit()
    assert np.isnan(float(_date_text(math.nan)))
