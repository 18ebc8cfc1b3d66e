"""Floating-point customer ids beyond 2**53 in a transaction log (the DuckDB route of
``clvmodel fit`` and ``clvmodel score``, and :class:`clvmodel.engine.TransactionSource`).

Such a float holds no exact whole number (neighbouring ids may have become one), so its row is
rejected with that reason: it used to be called "customer id is not a whole number", which
misleads for 2**60. The pandas route refuses the whole column, in the same terms. A CSV file has
no floating-point id column (every CSV column is text, its ids codes), so the files here are
Parquet.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from cli_run import error_line, run_cli
from published import PUBLISHED_BG, PUBLISHED_GG

import clvmodel as clv
from clvmodel._reading import ID_TOO_LARGE
from clvmodel.engine import TransactionSource
from clvmodel.models.bundle import ModelBundle

# Published CDNOW estimates (Fader, Hardie and Lee 2005): a models file without fitting.
BG = PUBLISHED_BG
GG = PUBLISHED_GG
NOT_WHOLE = "customer id is not a whole number"
#: What every route says of such an id (the pandas route of the whole column).
KEY_FACTS = ("too large", "exact", "2**53 = 9,007,199,254,740,992", "text or integers")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("large_float_ids")
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    return ModelBundle(bg, clv.GammaGammaModel.from_params(GG)).save(folder / "models.json")


def _log(ids) -> pd.DataFrame:
    days = pd.date_range("2020-01-01", periods=len(ids), freq="9D").strftime("%Y-%m-%d")
    return pd.DataFrame(
        {"customer_id": pd.Series(ids, dtype="float64"), "date": days,
         "amount": [10.0 + i for i in range(len(ids))]}
    )  # fmt: skip


def _parquet(frame: pd.DataFrame, path):
    frame.to_parquet(path, index=False)
    return path


def test_the_reason_is_defined_once_with_the_other_reading_rules():
    from clvmodel import _reading, _rfm_sql

    assert _rfm_sql.ID_TOO_LARGE is _reading.ID_TOO_LARGE
    assert _reading.REASONS.index(ID_TOO_LARGE) < _reading.REASONS.index(NOT_WHOLE)
    assert all(fact in ID_TOO_LARGE for fact in KEY_FACTS)


def test_score_on_a_log_rejects_a_float_id_beyond_2_53_as_too_large(model, tmp_path):
    log = _parquet(_log([3.0, 2.0**60, 5977.0, 3.0, 5977.0]), tmp_path / "log.parquet")
    output = tmp_path / "scores.csv"
    result = run_cli("score", model, log, "-o", output)
    assert result.returncode == 0, result.output
    assert "rows: 5 read, 1 rejected" in result.stdout, result.stdout
    scores = pd.read_csv(output, dtype={"customer_id": str})
    assert sorted(scores["customer_id"]) == ["3", "5977"]  # 3.0 written as an integer
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv", dtype={"customer_id": str})
    assert rejects["reason"].tolist() == [ID_TOO_LARGE]
    assert float(rejects["customer_id"].iloc[0]) == 2.0**60  # shown as written
    assert NOT_WHOLE not in rejects["reason"].iloc[0]


def test_fit_on_a_log_of_float_ids_beyond_2_53_says_they_are_too_large(tmp_path):
    log = _parquet(_log([2.0**60, -(2.0**61), 2.0**62]), tmp_path / "log.parquet")
    output = tmp_path / "models.json"
    line = error_line(run_cli("fit", log, "-o", output))
    assert "no row of the input can be used" in line and f"3 {ID_TOO_LARGE!r}" in line, line
    assert NOT_WHOLE not in line and not output.exists(), line


def test_the_edges_of_the_rule_on_the_engine_route(tmp_path):
    edge = 2.0**53
    ids = [edge, edge + 2, -(2.0**60), 1.5, math.inf, math.nan, 7.0]
    source = TransactionSource(_parquet(_log(ids), tmp_path / "log.parquet"))
    rejects = source.rejects().set_index("date")["reason"]
    dates = _log(ids)["date"]
    assert rejects.to_dict() == {
        dates[1]: ID_TOO_LARGE,  # 2**53 + 2: no longer exact
        dates[2]: ID_TOO_LARGE,  # negative ones too
        dates[3]: NOT_WHOLE,
        dates[4]: NOT_WHOLE,  # infinity is no number at all, not a large one
        dates[5]: "missing customer id",  # NaN
    }
    assert sorted(source.rfm().index) == [7, 2**53]  # 2**53 itself is exact


def test_the_pandas_route_refuses_the_column_in_the_same_terms(tmp_path):
    tx = _log([3.0, 2.0**60, 5977.0])
    with pytest.raises(clv.InputError) as caught:
        clv.rfm_summary(tx, observation_end="2020-12-31")
    pandas_message = str(caught.value)
    engine = TransactionSource(_parquet(tx, tmp_path / "log.parquet"), observation_end="2020-12-31")
    (engine_reason,) = engine.rejects()["reason"]
    for said in (pandas_message, engine_reason):
        assert all(fact in said for fact in KEY_FACTS), said
        assert NOT_WHOLE not in said, said
