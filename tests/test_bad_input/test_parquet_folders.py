"""A folder of Parquet files read as one log: its files must agree on what each column holds.

DuckDB reads a folder with the first file's schema and casts the other files to it, so text ids
``"007"`` after a file of integer ids became the integer 7 and merged with customer 7 (and the
answer depended on the files' names). Such a folder is refused, naming the column and two files;
files that differ only in the width of a type (int32 and int64 ids) are one log.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.engine import TransactionSource

END = "2020-06-30"


def _part(folder, name, ids, day):
    pq.write_table(
        pa.table(
            {
                "customer_id": ids,
                "date": pa.array([dt.date(2020, 1, day)] * len(ids)),
                "amount": pa.array([10.0] * len(ids)),
            }
        ),
        folder / name,
    )


@pytest.fixture
def mixed(tmp_path):
    folder = tmp_path / "log"
    folder.mkdir()
    _part(folder, "a.parquet", pa.array([1, 1, 7], pa.int64()), 2)
    _part(folder, "b.parquet", pa.array(["001", "007", "7"]), 3)
    return folder


def test_ids_of_different_kinds_are_refused_not_cast(mixed):
    with pytest.raises(clv.InputError) as caught:
        TransactionSource(mixed, observation_end=END, time_unit="D")
    message = str(caught.value)
    assert "'customer_id'" in message and "'a.parquet'" in message and "'b.parquet'" in message
    assert "whole numbers" in message and "text" in message


def test_the_command_line_refuses_the_folder_in_one_line(mixed, tmp_path):
    model = tmp_path / "model.json"
    clv.BetaGeoModel.from_params({"r": 0.5, "alpha": 60, "a": 0.8, "b": 2.5}, time_unit="D").save(
        model
    )
    output = tmp_path / "scores.csv"
    result = run_cli("score", model, mixed, "-o", output, "--observation-end", END)
    assert result.returncode == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "different kinds of values" in lines[0], lines
    assert not output.exists()


def test_an_empty_folder_is_refused_in_plain_words(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(clv.InputError, match="holds no .parquet file"):
        TransactionSource(folder, observation_end=END, time_unit="D")


def test_integer_ids_of_two_widths_are_one_log(tmp_path):
    folder = tmp_path / "log"
    folder.mkdir()
    _part(folder, "a.parquet", pa.array([1, 1, 7], pa.int32()), 2)
    _part(folder, "b.parquet", pa.array([1, 7, 8], pa.int64()), 3)
    rfm = TransactionSource(folder, observation_end=END, time_unit="D").rfm()
    assert dict(zip(map(int, rfm.index), rfm["frequency"], strict=True)) == {1: 1, 7: 1, 8: 0}
