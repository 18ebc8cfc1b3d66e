"""clvmodel.read_table and write_table on the paths and names an analyst hands them: a path that
is not a file name, ``~`` for the home folder, one column named alone, a folder with a file suffix,
Parquet with column and index names that are not text (written without a warning, the caller's
frame left as it was)."""

import warnings

import pandas as pd
import pytest

import clvmodel as clv


@pytest.mark.parametrize("path", [None, 5, b"scores.csv"])
def test_path_that_is_not_a_file_name_is_named(path):
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(clv.InputError, match="path must be a file name"):
        clv.write_table(frame, path)
    with pytest.raises(clv.InputError, match="path must be a file name"):
        clv.read_table(path)


def test_home_folder_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    frame = pd.DataFrame({"customer_id": ["a", "b"], "value": [1.5, 2.5]})
    written = clv.write_table(frame, "~/scores.parquet", index=False)
    assert written == tmp_path / "scores.parquet" and written.is_file()
    pd.testing.assert_frame_equal(clv.read_table("~/scores.parquet"), frame)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_one_column_named_alone_is_read(tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    clv.write_table(pd.DataFrame({"customer_id": ["1"], "amount": ["2.5"]}), path, index=False)
    assert clv.read_table(path, columns="amount").columns.tolist() == ["amount"]


def test_folder_with_a_file_suffix_is_called_a_folder(tmp_path):
    (tmp_path / "scores.csv").mkdir()
    with pytest.raises(clv.InputError, match="is a folder"):
        clv.read_table(tmp_path / "scores.csv")


def test_parquet_with_mixed_type_names_writes_without_a_warning(tmp_path):
    frame = pd.DataFrame({0: [1.0], "amount": [2.0]}, index=pd.Index(["a"], name=2024))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clv.write_table(frame, tmp_path / "t.parquet")
        back = clv.read_table(tmp_path / "t.parquet")
    assert back.columns.tolist() == ["0", "amount"] and back.index.name == "2024"
    assert back.to_numpy().tolist() == [[1.0, 2.0]]
    assert frame.columns.tolist() == [0, "amount"]  # the caller's frame is left as it was
