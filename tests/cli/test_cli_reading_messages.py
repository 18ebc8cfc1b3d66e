"""Tests of the reading layer's messages on the command line (fit, score, plan, evaluate).

* A wrong ``--date-format`` was answered with advice to pass the format that was passed, or
  "Dates like '1997-01-31' work" (what the values were); a format that read only some dates
  (month first for day-first dates) fitted on the rest, swapped.
* A Latin-1 CSV gave DuckDB's "CSV Error on Line: 2" (or, for a byte beyond the sniffed lines,
  an unexpected failure); an empty CSV "its columns are ['column0']".
* A true/false amount column was answered with date-format advice; number and true/false dates
  are named with the pattern that reads them or as not dates.
* A space-separated file (the raw CDNOW files) read as one column named by all the names.
* With every RFM row rejected, the error listed five reasons and said nothing of the others.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from cli_run import error_line, run_cli

import clvmodel as clv


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


def test_dates_with_month_names_get_the_pattern_that_reads_them(folder):
    line = error_line(run_cli("fit", "named.csv", "-o", "named.json", cwd=folder))
    assert "--date-format '%b %d %Y'" in line
    result = run_cli(
        "fit", "named.csv", "--date-format", "%b %d %Y", "-o", "named.json", cwd=folder
    )  # fmt: skip
    assert result.returncode == 0, result.output


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


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
@pytest.mark.parametrize("command", [0, 1, 2])
def test_true_false_amounts_are_said_not_to_be_numbers(tx, folder, suffix, command):
    flags = tx.assign(amount=tx["amount"] > 20)
    name = f"flags.{suffix}"
    getattr(flags, f"to_{suffix}")(folder / name, index=False)
    line = error_line(run_cli(*_commands(name)[command], cwd=folder))
    assert "column 'amount' holds true/false values" in line and "must be numbers" in line
    assert "date" not in line


@pytest.mark.parametrize("command", [0, 2])
def test_number_dates_are_shown_with_the_pattern_that_reads_them(tx, folder, command):
    numbers = tx.assign(date=tx["date"].dt.strftime("%Y%m%d").astype("int64"))
    numbers.to_parquet(folder / "numbers.parquet")
    line = error_line(run_cli(*_commands("numbers.parquet")[command], cwd=folder))
    assert "holds numbers (19970101, 19970102, 19970103)" in line  # the smallest, in order
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


def test_a_space_separated_log_is_named_as_such(journey_log, tmp_path):
    path = tmp_path / "log.csv"
    rows = [
        " ".join(map(str, row)) for row in journey_log[["customer_id", "date", "amount"]].values
    ]
    path.write_text("customer_id  date  amount\n" + "\n".join(rows) + "\n")
    line = error_line(run_cli("fit", path, "-o", tmp_path / "m.json"))
    assert "separated by spaces" in line and "commas or tabs" in line
    with pytest.raises(clv.InputError, match="separated by spaces"):
        clv.rfm_from_file(path)
    with pytest.raises(clv.InputError, match="separated by spaces"):
        clv.rfm_summary(pd.read_csv(path))


def test_an_rfm_table_with_every_row_rejected_counts_the_unlisted_reasons(
    published_models, tmp_path
):
    rows = [
        ("a1", "", 1, 5, 10), ("a2", "", 1, 5, 10), ("a3", "", 1, 5, 10),  # missing value
        ("b1", -1, 1, 5, 10), ("b2", -1, 1, 5, 10),  # frequency below 0
        ("c1", 1, 6, 5, 10), ("c2", 1, 6, 5, 10),  # recency > T
        ("d1", 0, 2, 5, 10),  # recency without repeat purchases
        ("e1", 1, -2, 5, 10),  # negative recency
        ("f1", 2, 0, 5, 10),  # repeat buyer with recency 0
        ("g1", 1, 2, 5, -10),  # negative monetary value
    ]  # fmt: skip
    table = tmp_path / "rfm.csv"
    pd.DataFrame(rows, columns=["customer_id", "frequency", "recency", "T", "monetary_value"]
                 ).to_csv(table, index=False)  # fmt: skip
    result = run_cli("score", published_models, table, "-o", tmp_path / "s.csv")
    line = error_line(result)
    assert f"none of the {len(rows)} rows" in line, line
    shown = [int(n) for n in re.findall(r"[;:] (\d+) ", line)]
    assert len(shown) == 5
    assert "; and 2 row(s) for 2 other reason(s)" in line, line
    assert sum(shown) + 2 == len(rows)
