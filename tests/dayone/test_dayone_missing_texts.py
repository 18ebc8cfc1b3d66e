"""Day One attributes holding missing-value texts ("NA", " n/a ", "null", ...), read as CSV does.

A CSV file's "NA" is missing (NaN) in every column, so a numeric attribute with a gap is refused
as missing there. The same values as text (a DataFrame column of object or string dtype, a Parquet
string column) were refused as "not numbers" by ``DayOneModel``, and ``dayone-fit`` took such a
Parquet column for a categorical attribute; both now read them as missing, so CSV and Parquet (and
a DataFrame) holding the same values give the same answer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv

NUMERIC = ["first_purchase_amount", "first_purchase_quantity"]  # the conftest's model's

TEXTS = ["NA", " n/a ", "null", "None", "  NaN ", ""]


def _message(call) -> str:
    with pytest.raises(clv.InputError) as caught:
        call()
    return str(caught.value)


def _with(frame: pd.DataFrame, column: str, row: int, value, dtype=object) -> pd.DataFrame:
    """``frame`` with ``column`` as text (``dtype``), its ``row``-th value replaced by ``value``."""
    frame = frame.copy()
    texts = [str(v) for v in frame[column]]
    texts[row] = value
    frame[column] = pd.Series(texts, index=frame.index, dtype=dtype)
    return frame


def _with_nan(frame: pd.DataFrame, column: str, row: int) -> pd.DataFrame:
    frame = frame.copy()
    values = frame[column].to_numpy(dtype="float64", copy=True)
    values[row] = np.nan
    frame[column] = values
    return frame


# Python API ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("dtype", [object, "string"])
def test_a_missing_text_in_a_numeric_signup_attribute_is_missing_like_nan(
    model, signups, text, dtype
):
    expected = _message(lambda: model.predict(_with_nan(signups, NUMERIC[1], 2)))
    assert "1 missing or infinite value(s)" in expected
    found = _message(lambda: model.predict(_with(signups, NUMERIC[1], 2, text, dtype)))
    assert found == expected


@pytest.mark.parametrize("text", ["NA", " n/a "])
def test_a_missing_text_in_a_numeric_fitting_attribute_is_missing_like_nan(rfm, attributes, text):
    matched = attributes.loc[rfm.index]
    row = 3

    def fit(table):
        return clv.DayOneModel(NUMERIC, ["channel"], log=NUMERIC).fit(rfm, table)

    expected = _message(lambda: fit(_with_nan(matched, NUMERIC[0], row)))
    assert "1 missing or infinite value(s)" in expected
    assert _message(lambda: fit(_with(matched, NUMERIC[0], row, text))) == expected


def test_other_text_in_a_numeric_attribute_is_still_not_a_number(model, signups):
    message = _message(lambda: model.predict(_with(signups, NUMERIC[1], 2, "two")))
    assert "is not numeric: 1 value(s) are not numbers (for example two)" in message


def test_numbers_written_with_spaces_are_numbers(model, signups):
    spaced = signups.copy()
    spaced[NUMERIC[1]] = [f"  {v:g} " for v in signups[NUMERIC[1]]]
    pd.testing.assert_frame_equal(model.predict(spaced), model.predict(signups))


def test_a_level_written_n_a_with_spaces_is_missing(model, signups):
    message = _message(lambda: model.predict(_with(signups, "channel", 2, " n/a ")))
    assert "categorical attribute 'channel' in the signup attributes has 1 missing value" in message
    assert str(signups.index[2]) in message


# Command line: the same values from CSV and from Parquet ------------------------------------------
@pytest.fixture(scope="module")
def folder(transactions, attributes, model, tmp_path_factory):
    """The log as CSV, the attributes as text (as a CSV file holds them) and the fitted model."""
    path = tmp_path_factory.mktemp("dayone_missing_texts")
    transactions.to_csv(path / "tx.csv", index=False)
    model.save(path / "model.json")
    return path


def _write_both(path, frame: pd.DataFrame, stem: str) -> list[str]:
    """``frame`` (customer id as index) as CSV and as a Parquet file of text columns."""
    table = frame.reset_index().astype(str)
    table.to_csv(path / f"{stem}.csv", index=False)
    table.to_parquet(path / f"{stem}.parquet", index=False)
    return [f"{stem}.csv", f"{stem}.parquet"]


def _attributes_text(attributes: pd.DataFrame, rfm: pd.DataFrame, column: str, text: str):
    table = attributes[NUMERIC + ["channel"]].astype(str).astype(object)
    table.loc[rfm.index[3], column] = text
    return table


def _fit_outputs(folder, names: list[str], covariates: str) -> list:
    return [
        run_cli(
            "dayone-fit",
            "tx.csv",
            name,
            "--covariates",
            covariates,
            "--drop-duplicates",
            "-o",
            f"{name}.json",
            cwd=folder,
        )  # fmt: skip
        for name in names
    ]


@pytest.mark.parametrize("text", ["NA", " n/a "])
def test_dayone_fit_reads_a_missing_text_in_a_numeric_attribute_as_csv_does(
    folder, attributes, rfm, text
):
    table = _attributes_text(attributes, rfm, NUMERIC[1], text)
    names = _write_both(folder, table, f"fit_{text.strip().replace('/', '')}")
    from_csv, from_parquet = _fit_outputs(folder, names, ",".join([*NUMERIC, "channel"]))
    assert from_csv.returncode == from_parquet.returncode == 2
    assert "'first_purchase_quantity' in the attributes has 1 missing" in from_csv.stderr
    assert from_parquet.stderr == from_csv.stderr


def test_dayone_fit_names_text_dates_with_a_missing_text_as_dates_from_parquet_too(
    folder, attributes, rfm
):
    table = attributes[NUMERIC].astype(str)
    table["signup"] = [f"1997-01-{1 + k % 9:02d}" for k in range(len(table))]
    table.loc[rfm.index[3], "signup"] = " n/a "
    names = _write_both(folder, table, "dates")
    from_csv, from_parquet = _fit_outputs(folder, names, f"{NUMERIC[0]},signup")
    assert from_csv.returncode == from_parquet.returncode == 2
    assert "attribute 'signup' holds dates" in from_csv.stderr
    assert from_parquet.stderr == from_csv.stderr


def test_dayone_reads_na_in_a_numeric_signup_attribute_as_csv_does(folder, signups):
    names = _write_both(folder, _with(signups, NUMERIC[1], 1, "NA"), "signups_na")
    results = [
        run_cli("dayone", "model.json", name, "-o", f"{name}.out.csv", cwd=folder) for name in names
    ]
    assert results[0].returncode == results[1].returncode == 2
    assert "'first_purchase_quantity' in the signup attributes has 1 missing" in results[0].stderr
    assert results[1].stderr == results[0].stderr


def test_dayone_scores_spaced_numbers_alike_from_csv_and_parquet(folder, model, signups):
    spaced = signups.copy()
    spaced[NUMERIC[1]] = [f"  {v:g} " for v in signups[NUMERIC[1]]]
    names = _write_both(folder, spaced, "signups_spaced")
    outputs = []
    for name in names:
        result = run_cli("dayone", "model.json", name, "-o", f"{name}.out.csv", cwd=folder)
        assert result.returncode == 0, result.output
        outputs.append(pd.read_csv(folder / f"{name}.out.csv", dtype={"customer_id": str}))
    pd.testing.assert_frame_equal(outputs[0], outputs[1])
    expected = model.predict(signups)["day_one_value"].to_numpy()
    np.testing.assert_allclose(outputs[0]["day_one_value"].to_numpy(), expected, rtol=1e-9)
