"""Review findings on the reading layer's messages, each reproduced on the CDNOW sample.

* A wrong ``--date-format`` was answered with advice to pass ``--date-format '%d/%m/%Y'`` (what was
  passed) or "Dates like '1997-01-31' work" (what the values were); a format that read only some
  dates (month first for day-first dates) fitted on the rest, swapped.
* A Latin-1 CSV gave DuckDB's "CSV Error on Line: 2" (or, for a byte beyond the sniffed lines, an
  unexpected failure); an empty CSV "its columns are ['column0']".
* A true/false amount column was answered with date-format advice.
* RFM messages showed values as Python lists ("for example [1.5]").
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from cli_run import error_line, run_cli

import clvmodel as clv
from clvmodel import _reading as rd
from clvmodel._reading_sql import nothing_usable_error
from clvmodel.rfm import validate_rfm


@pytest.fixture(scope="module")
def tx(cdnow_sample):
    return cdnow_sample


@pytest.fixture(scope="module")
def folder(tx, tmp_path_factory):
    """The sample as ISO and day-first CSV files, and a models file fitted on it."""
    folder = tmp_path_factory.mktemp("review_reading")
    iso = tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d"))
    iso.to_csv(folder / "tx.csv", index=False)
    iso.assign(date=tx["date"].dt.strftime("%d/%m/%Y")).to_csv(folder / "dmy.csv", index=False)
    iso.assign(date=tx["date"].dt.strftime("%b %d %Y")).to_csv(folder / "named.csv", index=False)
    fitted = run_cli("fit", "tx.csv", "-o", "m.json", cwd=folder)
    assert fitted.returncode == 0, fitted.output
    return folder


def _commands(data: str) -> list[list[str]]:
    return [
        ["fit", data, "-o", "out.json"],
        ["score", "m.json", data, "-o", "out.csv"],
        ["plan", "m.json", data, "-o", "out.csv"],
        ["evaluate", data, "--calibration-end", "1997-09-30", "-o", "ev"],
    ]


# 1 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", range(4))
def test_a_date_format_that_matches_no_date_says_so_and_names_the_right_one(folder, command):
    args = _commands("tx.csv")[command] + ["--date-format", "%d/%m/%Y"]
    line = error_line(run_cli(*args, cwd=folder))
    assert "--date-format %d/%m/%Y matches none of the values in column 'date'" in line
    assert "1997-01-01" in line and "--date-format %Y-%m-%d" in line
    assert "e.g. '%d/%m/%Y'" not in line and "Dates like" not in line


@pytest.mark.parametrize("command", range(4))
def test_a_date_format_that_swaps_day_and_month_is_refused(folder, command):
    # Month first for day-first dates: 18/01/1997 was rejected, 02/08/1997 read as 8 February.
    args = _commands("dmy.csv")[command] + ["--date-format", "%m/%d/%Y"]
    line = error_line(run_cli(*args, cwd=folder))
    assert "--date-format %m/%d/%Y does not match" in line
    assert "--date-format %d/%m/%Y" in line


def test_the_right_day_first_format_still_reads(folder):
    result = run_cli("fit", "dmy.csv", "--date-format", "%d/%m/%Y", "-o", "dmy.json", cwd=folder)
    assert result.returncode == 0, result.output


def test_python_refuses_a_swapped_format_even_when_dropping_rows(tx):
    log = tx.assign(date=tx["date"].dt.strftime("%d/%m/%Y"))
    with pytest.raises(clv.InputError, match=r"date_format='%m/%d/%Y' does not match.*'%d/%m/%Y'"):
        clv.rfm_summary(log, date_format="%m/%d/%Y", on_invalid="drop")


def test_a_stray_value_does_not_hide_a_swapped_format(tx):
    log = tx.assign(date=tx["date"].dt.strftime("%d/%m/%Y"))
    log.loc[3, "date"] = "unknown"
    with pytest.raises(clv.InputError, match=r"does not match.*'%d/%m/%Y'"):
        clv.rfm_summary(log, date_format="%m/%d/%Y", on_invalid="drop")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        read = clv.rfm_summary(log, date_format="%d/%m/%Y", on_invalid="drop")
    assert len(read) == tx["customer_id"].nunique()


def test_dates_with_month_names_get_the_pattern_that_reads_them(folder):
    line = error_line(run_cli("fit", "named.csv", "-o", "named.json", cwd=folder))
    assert "--date-format '%b %d %Y'" in line
    result = run_cli(
        "fit", "named.csv", "--date-format", "%b %d %Y", "-o", "named.json", cwd=folder
    )  # fmt: skip
    assert result.returncode == 0, result.output


def test_dates_that_read_both_ways_are_offered_both_patterns(tx):
    early = tx[tx["date"].dt.day <= 12]
    log = early.assign(date=early["date"].dt.strftime("%d/%m/%Y"))
    with pytest.raises(clv.InputError) as caught:
        clv.rfm_summary(log, date_format="%Y-%m-%d")
    assert "'%d/%m/%Y' (day first)" in str(caught.value)
    assert "'%m/%d/%Y' (month first)" in str(caught.value)


def test_a_few_bad_dates_with_a_date_format_are_not_told_to_look_like_iso(tx):
    log = tx.assign(date=tx["date"].dt.strftime("%d/%m/%Y"))
    log.loc[5, "date"] = "1997-01-31"
    with pytest.raises(clv.InputError) as caught:
        clv.rfm_summary(log, date_format="%d/%m/%Y")
    message = str(caught.value)
    assert "1 value(s) in column 'date' are missing or do not match date_format='%d/%m/%Y'" in (
        message
    )
    assert "1997-01-31" in message and "Dates like" not in message


# 2, 4 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [0, 1])
def test_a_latin1_csv_is_said_not_to_be_utf8(tx, folder, command):
    latin = tx.assign(customer_id="Café" + tx["customer_id"])
    latin.to_csv(folder / "latin.csv", index=False, encoding="latin-1")
    line = error_line(run_cli(*_commands("latin.csv")[command], cwd=folder))
    assert "'latin.csv' is not UTF-8 text: line 2" in line
    assert "iconv -f latin1 -t utf-8 latin.csv" in line


def test_a_byte_beyond_the_sniffed_lines_is_found_too(tx, folder):
    log = pd.concat([tx] * 4, ignore_index=True)
    log.loc[len(log) - 3, "customer_id"] = "Café"
    log.to_csv(folder / "late.csv", index=False, encoding="latin-1")
    line = error_line(run_cli("fit", "late.csv", "-o", "late.json", cwd=folder))
    assert f"is not UTF-8 text: line {len(log) - 1}" in line  # (the header is line 1)


def test_a_utf16_csv_is_named_as_such(tx, folder):
    tx.to_csv(folder / "wide.csv", index=False, encoding="utf-16")
    line = error_line(run_cli("fit", "wide.csv", "-o", "wide.json", cwd=folder))
    assert "is UTF-16 text, not UTF-8" in line and "iconv -f utf-16 -t utf-8" in line


@pytest.mark.parametrize("content", ["", "\n \n"])
@pytest.mark.parametrize("command", [0, 1])
def test_an_empty_csv_is_said_to_be_empty(folder, content, command):
    (folder / "empty.csv").write_text(content)
    line = error_line(run_cli(*_commands("empty.csv")[command], cwd=folder))
    assert "'empty.csv' is empty" in line and "column0" not in line


# 5 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", ["csv", "parquet"])
@pytest.mark.parametrize("command", [0, 1, 2])
def test_true_false_amounts_are_said_not_to_be_numbers(tx, folder, suffix, command):
    flags = tx.assign(amount=tx["amount"] > 20)
    name = f"flags.{suffix}"
    getattr(flags, f"to_{suffix}")(folder / name, index=False)
    line = error_line(run_cli(*_commands(name)[command], cwd=folder))
    assert "column 'amount' holds true/false values" in line and "must be numbers" in line
    assert "date" not in line


def test_python_says_true_false_amounts_are_not_numbers(tx):
    with pytest.raises(clv.InputError, match="true/false values.*amount_col=None"):
        clv.rfm_summary(tx.assign(amount=tx["amount"] > 20))


def test_nothing_usable_advice_follows_the_reasons():
    amounts = str(nothing_usable_error({rd.BAD_AMOUNT: 9}, None, None))
    assert "amounts, which must be numbers" in amounts and "date" not in amounts
    dates = str(nothing_usable_error({rd.BAD_DATE: 9}, None, None))
    assert "the dates" in dates and "e.g. '%d/%m/%Y'" not in dates


# 3 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [("frequency", 1.5, "for example 1.5;"), ("frequency", 2e12, "for example 2000000000000)"),
     ("monetary_value", 2e12, "for example 2000000000000)")],
)  # fmt: skip
def test_rfm_values_are_shown_plainly(cdnow_rfm, column, value, shown):
    table = cdnow_rfm.astype({column: "float64"})
    table.iloc[0, table.columns.get_loc(column)] = value
    with warnings.catch_warnings(), pytest.raises(clv.InputError) as caught:
        warnings.simplefilter("ignore")
        validate_rfm(table)
    assert shown in str(caught.value) and "[" not in str(caught.value)


@pytest.mark.parametrize("command", [0, 2])
def test_number_dates_are_shown_with_the_pattern_that_reads_them(tx, folder, command):
    numbers = tx.assign(date=tx["date"].dt.strftime("%Y%m%d").astype("int64"))
    numbers.to_parquet(folder / "numbers.parquet")
    line = error_line(run_cli(*_commands("numbers.parquet")[command], cwd=folder))
    assert "holds numbers (19970101, 19970118" in line
    assert "they read with --date-format %Y%m%d" in line
    serial = tx.assign(date=(tx["date"] - pd.Timestamp("1899-12-30")).dt.days)
    serial.to_parquet(folder / "serial.parquet")
    line = error_line(run_cli(*_commands("serial.parquet")[command], cwd=folder))
    assert "holds numbers (35431, " in line and "convert the column to dates" in line


def test_true_false_dates_are_said_not_to_be_dates(tx, folder):
    flags = tx.assign(date=tx["amount"] > 20)
    with pytest.raises(clv.InputError, match="'date' holds true/false values .*, not dates"):
        clv.rfm_summary(flags)
    flags.to_parquet(folder / "flag_dates.parquet")
    line = error_line(run_cli("fit", "flag_dates.parquet", "-o", "flags.json", cwd=folder))
    assert "'date' holds true/false values" in line and "--date-col" in line


def test_text_in_an_rfm_column_is_named_not_left_to_numpy(cdnow_rfm):
    table = cdnow_rfm.astype({"frequency": object})
    table.iloc[2, 0] = "abc"
    with pytest.raises(clv.InputError) as caught:
        validate_rfm(table)
    message = str(caught.value)
    assert (
        f"1 value(s) of 'frequency' are not numbers (index label(s) '{table.index[2]}'" in message
    )
    assert "for example abc" in message and "could not convert" not in message
