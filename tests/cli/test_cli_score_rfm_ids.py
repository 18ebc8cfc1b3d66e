"""`clvmodel score` on an RFM table (the DuckDB route): customer ids read by the rules of
transaction logs, and messages about the id column in the command line's words.

Ids ``3`` and ``3.0`` are one customer on every route (text trimmed, ``"7.0"`` is ``"7"``,
whole-number floats are integers), so on two rows of an RFM table they are a repeated id, whose
rows are rejected; float ids are written as integers; a floating-point id beyond 2**53 holds no
exact id, which its reason says; a column without a name in a CSV header is said to have none,
not given DuckDB's name for it (``column0``).
"""

from __future__ import annotations

import pandas as pd
import pytest
from cli_run import error_line, run_cli
from rfm_rows import BG, GG, REPEATED, ROWS

import clvmodel as clv
from clvmodel.models.bundle import ModelBundle


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rfm_ids")
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    return ModelBundle(bg, clv.GammaGammaModel.from_params(GG)).save(folder / "models.json")


def _write(frame: pd.DataFrame, path):
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def _score(model, table, tmp_path):
    """Score ``table``; the run, the scores and the rejects, their ids read as text."""
    output = tmp_path / "scores.csv"
    result = run_cli("score", model, table, "-o", output)
    assert result.returncode == 0, result.output
    scores = pd.read_csv(output, dtype={"customer_id": str})
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv", dtype={"customer_id": str})
    return result, scores, rejects


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_ids_3_and_3_0_are_one_customer_so_their_two_rows_are_rejected(model, tmp_path, suffix):
    ids = pd.Series(["3", "3.0", "5977"], dtype=object)  # text ids, as every CSV column is
    table = _write(pd.DataFrame({"customer_id": ids, **ROWS}), tmp_path / f"rfm{suffix}")
    result, scores, rejects = _score(model, table, tmp_path)
    assert list(scores["customer_id"]) == ["5977"]
    assert rejects[["customer_id", "reason"]].values.tolist() == [["3", REPEATED]] * 2
    assert "customers: 3 read = 1 scored + 2 rejected" in result.stdout
    # As in a transaction log, where the two are one customer's purchases.
    log = _write(
        pd.DataFrame({"customer_id": ids, "date": ["2020-01-01", "2020-02-01", "2020-03-01"],
                      "amount": [1.0, 2.0, 3.0]}),
        tmp_path / f"log{suffix}",
    )  # fmt: skip
    scores = _score(model, log, tmp_path)[1].set_index("customer_id")
    assert sorted(scores.index) == ["3", "5977"] and scores.loc["3", "frequency"] == 1


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_whole_float_ids_are_written_as_integers(model, tmp_path, suffix):
    frame = pd.DataFrame({"customer_id": [3.0, 5977.0, 12.0], **ROWS})  # float64 ids
    table = _write(frame, tmp_path / f"rfm{suffix}")  # the CSV holds "5977.0"
    _, scores, rejects = _score(model, table, tmp_path)
    assert list(scores["customer_id"]) == ["3", "5977", "12"]
    assert rejects.empty


def test_a_fractional_float_id_is_rejected_as_on_the_transaction_route(model, tmp_path):
    frame = pd.DataFrame({"customer_id": [3.0, 3.5, 12.0], **ROWS})
    _, scores, rejects = _score(model, _write(frame, tmp_path / "rfm.parquet"), tmp_path)
    assert list(scores["customer_id"]) == ["3", "12"]
    assert rejects[["customer_id", "reason"]].values.tolist() == [
        ["3.5", "customer id is not a whole number"]
    ]


def test_a_float_id_beyond_2_53_is_rejected_as_too_large_to_be_exact(model, tmp_path):
    frame = pd.DataFrame({"customer_id": [3.0, 2.0**60, 12.0], **ROWS})
    _, scores, rejects = _score(model, _write(frame, tmp_path / "rfm.parquet"), tmp_path)
    assert list(scores["customer_id"]) == ["3", "12"]
    (reason,) = rejects["reason"]
    assert "too large" in reason and "exact" in reason and "2**53" in reason, reason
    assert "text or integers" in reason and "not a whole number" not in reason, reason


def test_a_table_of_float_ids_beyond_2_53_is_refused_saying_why(model, tmp_path):
    frame = pd.DataFrame({"customer_id": [2.0**60, 2.0**61, 2.0**62], **ROWS})
    table = _write(frame, tmp_path / "rfm.parquet")
    line = error_line(run_cli("score", model, table, "-o", tmp_path / "scores.csv"))
    assert "none of the 3 rows" in line and "too large to hold an exact id" in line, line
    assert "not a whole number" not in line, line


def test_an_id_column_without_a_header_name_is_said_to_have_none(model, tmp_path):
    # A transaction log's ids need a named column (which column holds them is not obvious).
    table = tmp_path / "input.csv"
    table.write_text(",date,amount\na,2020-01-01,10\n")
    output = tmp_path / "scores.csv"
    line = error_line(run_cli("score", model, table, "-o", output))
    assert "column0" not in line, line
    assert "no customer column 'customer_id'" in line, line
    assert "column 1 has no name in the file's header" in line, line
    assert "--customer-col" in line and not output.exists(), line


def test_an_rfm_table_takes_its_ids_from_a_nameless_first_column(model, tmp_path):
    # What rfm_summary(...).to_csv() writes: `clvmodel plan` reads it, and so does score.
    table = tmp_path / "input.csv"
    table.write_text(",frequency,recency,T,monetary_value\na,2,10,30,20\n")
    output = tmp_path / "scores.csv"
    result = run_cli("score", model, table, "-o", output)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(output, dtype={"customer_id": str})["customer_id"].tolist() == ["a"]
