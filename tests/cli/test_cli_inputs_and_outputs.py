"""What the command line refuses about its input and output files, in the options' words.

An RFM table is refused for what it lacks (the missing column, or --no-amount for a missing
monetary_value), not for the nameless column of its ids; a command that reads a transaction log
says when it was given an RFM table; options of a transaction log (--date-format, --date-col,
--drop-duplicates, --amount-col) and of a database (--table, --query, --pushdown) given with a file
they do not apply to are refused instead of silently not used; a model file must be named .json
and a rejects file .csv; an output folder that does not exist is refused naming -o; too small a
--memory-limit is named instead of an unexpected failure.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from cli_run import error_line, run_cli

import clvmodel as clv
from clvmodel.engine import RfmSource
from clvmodel.errors import InputError

#: What a message about an RFM table whose ids sit in a nameless first column must not say.
NAMELESS_BLAME = ("no name in the file's header", "Write the name", "column0")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A simulated log, a model fitted on it and its RFM table."""
    folder = tmp_path_factory.mktemp("cli_leftovers")
    log = folder / "log.csv"
    assert run_cli("simulate", "--customers", "60", "--seed", "2", "-o", log).returncode == 0
    model = folder / "m.json"
    assert run_cli("fit", log, "-o", model).returncode == 0
    rfm = clv.rfm_summary(pd.read_csv(log))
    return {"folder": folder, "log": log, "model": model, "rfm": rfm}


# -- 1. an RFM table refused for what it lacks ---------------------------------------------------
@pytest.mark.parametrize("column", ["T", "recency", "monetary_value"])
def test_rfm_source_names_the_missing_column_not_the_ids_nameless_column(files, tmp_path, column):
    # Was: "the input has no T column 'T'; column 1 has no name in the file's header (...).
    # Write the name in the header ('T')": the nameless column holds the ids, rightly.
    path = tmp_path / "rfm.csv"
    files["rfm"].drop(columns=column).to_csv(path)  # the ids in a nameless first column
    with pytest.raises(InputError) as caught:
        RfmSource(path)
    message = str(caught.value)
    assert f"no column {column!r}" in message, message
    for words in NAMELESS_BLAME:
        assert words not in message, message
    assert "customer id column" not in message, message  # the ids were found


def test_score_of_an_rfm_csv_without_t_names_t(files, tmp_path):
    path = tmp_path / "rfm.csv"
    files["rfm"].drop(columns="T").to_csv(path)
    line = error_line(run_cli("score", files["model"], path, "-o", tmp_path / "s.csv"))
    assert "no column 'T'" in line, line
    for words in NAMELESS_BLAME:
        assert words not in line, line
    assert not (tmp_path / "s.csv").exists()


def test_score_of_a_log_whose_date_column_is_not_found_says_so(files, tmp_path):
    # A log written with its index, its date column under another name: read as an RFM table
    # (no column 'date'), it was refused as "no frequency column 'frequency', ...; column 1 has
    # no name in the file's header ... Write the names in the header".
    path = tmp_path / "log.csv"
    pd.read_csv(files["log"]).rename(columns={"date": "order_date"}).to_csv(path)
    line = error_line(run_cli("score", files["model"], path, "-o", tmp_path / "s.csv"))
    assert "date column 'date'" in line and "--date-col" in line, line
    assert "frequency" in line and "'order_date'" in line, line
    for words in NAMELESS_BLAME:
        assert words not in line, line
    # With --date-col the same file scores.
    given = ["--date-col", "order_date"]
    ok = run_cli("score", files["model"], path, "-o", tmp_path / "s.csv", *given)
    assert ok.returncode == 0, ok.output


def test_fit_of_an_rfm_table_missing_a_column_says_it_is_an_rfm_table(files, tmp_path):
    # Was, for an RFM table without T: "the input has no customer column 'customer_id', date
    # column 'date', amount column 'amount'; column 1 has no name in the file's header ...".
    path = tmp_path / "rfm.csv"
    files["rfm"].drop(columns="T").to_csv(path)
    line = error_line(run_cli("fit", path, "-o", tmp_path / "m.json"))
    assert "is an RFM table" in line and "transaction log" in line, line
    assert "no name in the file's header" not in line, line


@pytest.mark.parametrize("form", ["csv_index", "csv_named", "parquet_index"])
def test_an_rfm_table_without_monetary_value_says_so_and_names_no_amount(tmp_path, form):
    # Was, for a CSV written with its index: "column 1 has no name in the file's header ...
    # Write the name in the header ('monetary_value')", naming the ids' column; none said
    # --no-amount.
    log = tmp_path / "log.csv"
    assert run_cli("simulate", "--customers", "50", "--seed", "2", "-o", str(log)).returncode == 0
    model = tmp_path / "m.json"
    assert run_cli("fit", str(log), "-o", str(model)).returncode == 0
    rfm = clv.rfm_summary(pd.read_csv(log)).drop(columns="monetary_value")
    path = tmp_path / ("rfm.parquet" if form == "parquet_index" else "rfm.csv")
    if form == "parquet_index":
        rfm.to_parquet(path)
    else:
        rfm.rename_axis("customer_id" if form == "csv_named" else None).to_csv(path)
    result = run_cli("score", str(model), str(path), "-o", str(tmp_path / "s.csv"))
    assert result.returncode != 0
    error = result.stderr
    assert "no monetary_value column" in error and "--no-amount" in error, error
    assert "no name in the file's header" not in error
    # With --no-amount the same table scores.
    ok = run_cli("score", str(model), str(path), "-o", str(tmp_path / "s.csv"), "--no-amount")
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_fit_on_an_rfm_table_says_it_reads_a_log(tmp_path, suffix):
    # Was: "the input has no customer column 'customer_id', date column 'date', amount column
    # 'amount'; column 1 has no name in the file's header ... Write the names in the header".
    log = tmp_path / "log.csv"
    assert run_cli("simulate", "--customers", "60", "--seed", "2", "-o", str(log)).returncode == 0
    rfm = clv.rfm_summary(pd.read_csv(log))
    path = tmp_path / f"rfm{suffix}"
    if suffix == ".csv":
        rfm.to_csv(path)
    else:
        rfm.to_parquet(path)
    result = run_cli("fit", str(path), "-o", str(tmp_path / "m.json"))
    assert result.returncode != 0
    assert "is an RFM table" in result.stderr and "transaction log" in result.stderr
    assert "no name in the file's header" not in result.stderr


# -- 2. a model file under a table's name -------------------------------------------------------
@pytest.mark.parametrize("name", ["model.csv", "model.parquet", "model.txt", "model"])
def test_fit_refuses_a_model_file_not_named_json(files, tmp_path, name):
    # Was: `clvmodel fit log.csv -o model.csv` wrote JSON into model.csv.
    output = tmp_path / name
    line = error_line(run_cli("fit", files["log"], "-o", output))
    assert "-o/--output" in line and ".json" in line, line
    assert not output.exists()


def test_dayone_fit_refuses_a_model_file_not_named_json(files, tmp_path):
    attributes = tmp_path / "attributes.csv"
    ids = files["rfm"].index
    pd.DataFrame({"customer_id": ids, "age": [20 + i % 40 for i in range(len(ids))]}).to_csv(
        attributes, index=False
    )
    output = tmp_path / "dayone.csv"
    for head in (["dayone-fit", files["log"], attributes], ["fit", files["log"], "--attributes",
                                                           attributes]):  # fmt: skip
        line = error_line(run_cli(*head, "--covariates", "age", "-o", output))
        assert "-o/--output" in line and ".json" in line, line
        assert not output.exists()


def test_a_model_file_named_json_is_still_written(files, tmp_path):
    output = tmp_path / "Model.JSON"
    assert run_cli("fit", files["log"], "-o", output).returncode == 0
    assert json.loads(output.read_text())["format"] == "clvmodel-models"


# -- 3. options of a transaction log given with an RFM table ------------------------------------
@pytest.mark.parametrize(
    "given, flag",
    [
        (["--date-format", "%d/%m/%Y"], "--date-format"),
        (["--date-col", "order_date"], "--date-col"),
        (["--drop-duplicates"], "--drop-duplicates"),
        (["--amount-col", "spend"], "--amount-col"),
    ],
)
def test_score_refuses_a_log_option_with_an_rfm_table(files, tmp_path, given, flag):
    # Was: scored the RFM table as if the option had not been given.
    line, output = _run_on_rfm_table("score", files, tmp_path, given)
    assert flag in line and "transaction log" in line and "RFM table" in line, line
    assert not output.exists()


def _run_on_rfm_table(command, files, tmp_path, given):
    """``command`` MODEL rfm.csv -o out.csv with the options ``given``: its error line, and the
    output path."""
    path = tmp_path / "rfm.csv"
    files["rfm"].to_csv(path)
    output = tmp_path / "out.csv"
    return error_line(run_cli(command, files["model"], path, "-o", output, *given)), output


def test_score_of_an_rfm_table_with_default_options_spelled_out_still_scores(files, tmp_path):
    # Only options that were given are refused; these are the defaults, and apply to both.
    path = tmp_path / "rfm.csv"
    files["rfm"].to_csv(path)
    result = run_cli(
        "score", files["model"], path, "-o", tmp_path / "s.csv", "--customer-col", "customer_id",
        "--memory-limit", "512MB",
    )  # fmt: skip
    assert result.returncode == 0, result.output


@pytest.mark.parametrize(
    "given, flag",
    [
        (["--date-format", "%d/%m/%Y"], "--date-format"),
        (["--drop-duplicates"], "--drop-duplicates"),
        (["--amount-col", "spend"], "--amount-col"),
    ],
)
def test_plan_refuses_a_log_option_with_an_rfm_table(files, tmp_path, given, flag):
    # Was: planned the RFM table as if the option had not been given, as `score` did.
    line, output = _run_on_rfm_table("plan", files, tmp_path, given)
    assert flag in line and "transaction log" in line and "RFM table" in line, line
    assert not output.exists()


@pytest.mark.parametrize("command", ["fit", "score"])
@pytest.mark.parametrize(
    "given, flag",
    [
        (["--table", "purchases"], "--table"),
        (["--query", "SELECT 1"], "--query"),
        (["--pushdown"], "--pushdown"),
        (["--no-pushdown"], "--no-pushdown"),
    ],
)
def test_database_options_with_a_file_are_refused(files, tmp_path, command, given, flag):
    # Was: --table and --pushdown/--no-pushdown of a CSV file, and --query of an RFM table
    # file, silently not used (`plan` and `evaluate` refuse --table and --query of a file).
    rfm = tmp_path / "rfm.csv"  # score reads an RFM table (a log's --query was refused)
    files["rfm"].to_csv(rfm)
    head = ["fit", files["log"]] if command == "fit" else ["score", files["model"], rfm]
    output = tmp_path / ("m.json" if command == "fit" else "s.csv")
    line = error_line(run_cli(*head, "-o", output, *given))
    assert flag in line and "leave" in line, line
    assert not output.exists()


# -- 4. output paths, and memory ----------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "--customers", "5", "-o", "{tmp}/no_folder/log.csv"],
        ["dayone", "{model}", "{attributes}", "-o", "{tmp}/no_folder/s.csv"],
        ["dayone-fit", "{log}", "{attributes}", "--covariates", "age", "-o", "{tmp}/nf/m.json"],
    ],
    ids=["simulate", "dayone", "dayone-fit"],
)
def test_an_output_folder_that_does_not_exist_is_refused_naming_o(files, tmp_path, args):
    # Was: "cannot write 'nf/m.json': folder 'nf' does not exist" after the fit (dayone-fit),
    # the draw (simulate) or the prediction (dayone), without naming -o.
    attributes = tmp_path / "attributes.csv"
    ids = files["rfm"].index
    pd.DataFrame({"customer_id": ids, "age": [20 + i % 40 for i in range(len(ids))]}).to_csv(
        attributes, index=False
    )
    model = tmp_path / "dayone.json"
    fitted = run_cli("dayone-fit", files["log"], attributes, "--covariates", "age", "-o", model)
    assert fitted.returncode == 0, fitted.output
    values = {"tmp": tmp_path, "model": model, "attributes": attributes, "log": files["log"]}
    line = error_line(run_cli(*[a.format(**values) for a in args]))
    assert "-o/--output" in line and "does not exist" in line, line


@pytest.mark.parametrize("name", ["rejects.txt", "rejects.parquet"])
def test_score_refuses_a_rejects_file_not_named_csv(files, tmp_path, name):
    # Was: wrote CSV under the name given, where `subscriptions score` asks for .csv.
    output, rejects = tmp_path / "s.csv", tmp_path / name
    line = error_line(
        run_cli("score", files["model"], files["log"], "-o", output, "--rejects", rejects)
    )
    assert "--rejects" in line and ".csv" in line, line
    assert not output.exists() and not rejects.exists()


@pytest.mark.parametrize("command", ["fit", "score"])
@pytest.mark.parametrize("limit", ["1KB", "16MB"])
def test_too_small_a_memory_limit_names_the_option(tmp_path, command, limit):
    # Was "unexpected failure (OutOfMemoryException: ... SET memory_limit='...GB' ...) ...
    # please report it" at 16MB and "cannot read the input: Out of Memory Error" at 1KB.
    log = tmp_path / "log.csv"
    assert run_cli("simulate", "--customers", "300", "--seed", "1", "-o", str(log)).returncode == 0
    model = tmp_path / "m.json"
    assert run_cli("fit", str(log), "-o", str(model)).returncode == 0
    head = ["fit", str(log)] if command == "fit" else ["score", str(model), str(log)]
    out = tmp_path / ("m2.json" if command == "fit" else "s.csv")
    result = run_cli(*head, "-o", str(out), "--memory-limit", limit)
    if result.returncode == 0:  # enough on this machine (fewer threads): nothing to say
        return
    assert f"--memory-limit {limit}" in result.stderr, result.stderr
    assert "unexpected failure" not in result.stderr and "SET memory_limit" not in result.stderr
    assert not out.exists()
