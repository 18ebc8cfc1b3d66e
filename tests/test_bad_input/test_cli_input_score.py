"""`clvmodel score` on bad input it did not explain:

- a CSV row with more or fewer fields than the header: DuckDB's sniffer then read each line as one
  column (and score said the file had no column 'customer_id', listing one column named
  'customer_id,date,amount'), failed with "Error when sniffing file", or failed while reading
  with a twenty-line dump; now one line says the file does not split into columns, and where;
- an RFM table INPUT with a frequency no count can have (1e300): the whole table was refused
  quoting -9.223372036854776e+18, the value int64 wrapped it to; now such rows, spends beyond
  ±1e12 and ids on two rows are rejects with their reasons;
- an --observation-end before the first purchase: score said only "there is no valid customer to
  score.", where fit says why.
"""

from __future__ import annotations

import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel._rfm_common import as_rfm_frame

HEADER = "customer_id,date,amount\n"


def _rows(count: int, separator: str = ",") -> str:
    return "".join(
        separator.join((f"c{i}", f"2020-01-{1 + i % 28:02d}", f"{i % 50}.5")) + "\n"
        for i in range(count)
    )


@pytest.fixture(scope="module")
def model(tmp_path_factory, cdnow_log_files):
    path = tmp_path_factory.mktemp("score_input") / "model.json"
    fitted = run_cli("fit", cdnow_log_files[0], "--observation-end", "1997-09-30", "-o", path)
    assert fitted.returncode == 0, fitted.output
    return path


def _one_error_line(result) -> str:
    assert result.returncode == 2, result.output
    assert "unexpected failure" not in result.output, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def _score(model, log, tmp_path, *extra):
    output = tmp_path / "scores.csv"
    result = run_cli("score", model, log, "-o", output, "--observation-end", "2020-06-30", *extra)
    return result, output


# ---------------------------------------------------------------------------------------------
# A CSV row with more or fewer fields than the header


@pytest.mark.parametrize(
    ("good_rows", "bad_row", "fields"),
    [
        (1, "a,2020-02-01,1,234.50", 4),  # among the first lines: read as one column
        (1, "a,2020-02-01", 2),
        (5_000, "a,2020-02-01,1,234.50", 4),  # sniffed, but no dialect fits: sniffing fails
        (25_000, "a,2020-02-01,1,234.50", 4),  # beyond the sniffed lines: met while reading
        (25_000, "a,2020-02-01", 2),
    ],
    ids=["early extra field", "early missing field", "sniffed", "late extra", "late missing"],
)
def test_a_ragged_csv_row_is_one_line_naming_it_and_nothing_is_written(
    model, tmp_path, good_rows, bad_row, fields
):
    log = tmp_path / "log.csv"
    log.write_text(HEADER + _rows(good_rows) + bad_row + "\n" + _rows(3_000))
    result, output = _score(model, log, tmp_path)
    line = _one_error_line(result)
    assert "into columns consistently" in line
    assert f"line {good_rows + 2} has {fields} fields where the header has 3" in line
    assert "sniffing" not in line and "its columns are" not in line
    hint = "an unquoted comma in a value, such as 1,234.50?" if fields > 3 else "a missing field?"
    assert hint in line
    assert not output.exists() and not (tmp_path / "scores.rejects.csv").exists()


def test_a_ragged_row_in_a_semicolon_csv_names_the_semicolon(model, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text(HEADER.replace(",", ";") + _rows(2, ";") + "a;2020-02-01;1;5\n" + _rows(9, ";"))
    line = _one_error_line(_score(model, log, tmp_path)[0])
    assert "line 4 has 4 fields where the header has 3 (an unquoted semicolon in a value?" in line


@pytest.mark.parametrize("good_rows", [3, 25_000], ids=["sniffed", "beyond the sniffed lines"])
def test_fit_says_the_same_of_a_ragged_row(tmp_path, good_rows):
    log = tmp_path / "log.csv"
    log.write_text(HEADER + _rows(good_rows) + "a,2020-02-01,1,234.50\n" + _rows(30))
    result = run_cli("fit", log, "-o", tmp_path / "model.json", "--observation-end", "2020-06-30")
    line = _one_error_line(result)
    assert f"line {good_rows + 2} has 4 fields where the header has 3" in line
    assert not (tmp_path / "model.json").exists()


def test_well_formed_csv_dialects_still_score(model, tmp_path):
    texts = {
        "quoted comma": HEADER + '"a, b",2020-01-01,1\n"a, b",2020-02-01,2\nb,2020-01-05,3\n',
        "tab": (HEADER + "a,2020-01-01,1\na,2020-02-01,2\nb,2020-01-05,3\n").replace(",", "\t"),
    }
    for (name, text), first in zip(texts.items(), ["a, b", "a"], strict=True):
        log = tmp_path / f"{name}.csv"
        log.write_text(text)
        result, output = _score(model, log, tmp_path, "--rejects", tmp_path / f"{name}.rej.csv")
        assert result.returncode == 0, (name, result.output)
        assert sorted(pd.read_csv(output)["customer_id"]) == [first, "b"]
        output.unlink()


# ---------------------------------------------------------------------------------------------
# An RFM table INPUT


def test_a_frequency_beyond_any_count_is_quoted_as_written_not_as_int64_wrapped_it():
    frame = pd.DataFrame(
        {"customer_id": ["a", "k"], "frequency": [1.0, 1e300], "recency": [2.0, 1.0],
         "T": [3.0, 5.0], "monetary_value": [10.0, 3.0]}
    )  # fmt: skip
    with pytest.raises(clv.InputError, match=r"customer 'k' has frequency 1e\+300") as error:
        as_rfm_frame(frame, "W", True)
    assert "9.22" not in str(error.value)


def _score_rfm(model, tmp_path, text: str):
    table = tmp_path / "rfm.csv"
    table.write_text("customer_id,frequency,recency,T,monetary_value\n" + text)
    output = tmp_path / "scores.csv"
    result = run_cli("score", model, table, "-o", output)
    assert result.returncode == 0, result.output
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv", dtype={"customer_id": str})
    return result, pd.read_csv(output, dtype={"customer_id": str}), rejects


def test_an_rfm_row_with_an_absurd_frequency_or_spend_is_a_reject(model, tmp_path):
    # Log amounts beyond ±1e12 are rejected; the same bound holds for an RFM table's values.
    result, scores, rejects = _score_rfm(
        model, tmp_path, "a,1,2,3,10\nb,0,0,5,0\nk,1e300,1,5,3\nn,1,1,5,1e300\n"
    )
    assert sorted(scores["customer_id"]) == ["a", "b"]
    reasons = dict(zip(rejects["customer_id"], rejects["reason"], strict=True))
    assert set(reasons) == {"k", "n"}
    assert "frequency" in reasons["k"] and "1e12" in reasons["k"]
    assert "monetary_value" in reasons["n"] and "1e12" in reasons["n"]
    assert "customers: 4 read = 2 scored + 2 rejected" in result.stdout


def test_an_rfm_customer_id_on_two_rows_rejects_both(model, tmp_path):
    # One row per customer, as in a subscription table, whose repeated ids `clvmodel
    # subscriptions score` rejects on every row with this reason.
    result, scores, rejects = _score_rfm(model, tmp_path, "a,1,2,3,10\n a,2,2,3,10\nb,0,0,5,0\n")
    assert list(scores["customer_id"]) == ["b"]
    assert rejects[["customer_id", "reason"]].values.tolist() == [
        ["a", "customer id appears on 2 rows"], ["a", "customer id appears on 2 rows"]
    ]  # fmt: skip
    assert "customers: 3 read = 1 scored + 2 rejected" in result.stdout


# ---------------------------------------------------------------------------------------------
# An end of observation before the data


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_score_says_the_end_of_observation_is_before_the_first_purchase(model, tmp_path, kind):
    frame = pd.DataFrame(
        {"customer_id": ["a", "a", "b"], "date": ["2020-01-02", "2020-01-04", "2020-06-05"],
         "amount": [1.0, 2.0, 3.0]}
    )  # fmt: skip
    log = tmp_path / f"log.{kind}"
    if kind == "csv":
        frame.to_csv(log, index=False)
    else:  # typed dates: the fast route, which hands a log without a usable row to DuckDB
        frame.assign(date=pd.to_datetime(frame["date"])).to_parquet(log, index=False)
    expected = (
        "error: the end of observation (2019-01-01) is before the first purchase (2020-01-02): "
        "no purchase falls in the observation period. Choose an end date within or after the "
        "data (--observation-end)."
    )
    fitted = run_cli("fit", log, "-o", tmp_path / "m.json", "--observation-end", "2019-01-01")
    assert _one_error_line(fitted) == expected
    output = tmp_path / "scores.csv"
    scored = run_cli("score", model, log, "-o", output, "--observation-end", "2019-01-01")
    assert _one_error_line(scored) == expected
    assert not output.exists() and not (tmp_path / "scores.rejects.csv").exists()


def test_score_says_a_header_only_log_has_no_rows(model, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text(HEADER)
    line = _one_error_line(_score(model, log, tmp_path)[0])
    assert line == "error: the input has no rows (only a header?): there is nothing to read."


def test_score_still_scores_when_some_rows_are_after_the_end(model, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text(HEADER + "a,2020-01-02,1\na,2020-01-04,2\nb,2020-09-05,3\n")
    result, output = _score(model, log, tmp_path)
    assert result.returncode == 0, result.output
    assert list(pd.read_csv(output)["customer_id"]) == ["a"]
