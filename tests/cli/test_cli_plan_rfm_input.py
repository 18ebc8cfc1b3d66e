"""``clvmodel plan`` given an RFM table: the time unit of its recency and T (``--rfm-time-unit``,
or the unit a Parquet file records), its customer ids read as every other route reads them, and
error messages that show the offending values as the user wrote them."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from cli_run import error_line, run_cli
from published import PUBLISHED_BG

import clvmodel as clv
from clvmodel._rfm_validate import readable, readable_examples

# Published BG/NBD estimates on the CDNOW sample (Fader, Hardie and Lee 2005), in weeks.
BG = PUBLISHED_BG
# What an error message must not show: numpy's or pandas' reprs, or a bare NaN.
PYTHON_REPRS = ("np.", "nan", "NaN", "NaT", "Timestamp(", "dtype", "[")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plan_rfm")
    log = clv.datasets.load_cdnow_sample()
    log = log[log["customer_id"].isin(log["customer_id"].unique()[:200])]
    tables = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)  # the sample repeats a few rows exactly
        for unit in ("W", "D"):
            tables[unit] = clv.rfm_summary(log, observation_end="1997-09-30", time_unit=unit)
            tables[unit].index.name = "customer_id"
    paths = {"folder": folder, "bg": folder / "bg.json", "log": folder / "log.csv"}
    clv.BetaGeoModel.from_params(BG, time_unit="W").save(paths["bg"])
    log.to_csv(paths["log"], index=False)
    for unit, table in tables.items():
        paths[f"csv_{unit}"] = folder / f"rfm_{unit}.csv"
        table.to_csv(paths[f"csv_{unit}"])
        paths[f"parquet_{unit}"] = folder / f"rfm_{unit}.parquet"
        table.to_parquet(paths[f"parquet_{unit}"])  # records attrs["time_unit"]
    return paths, tables


def _plan(paths, input_path, name, *options):
    output = paths["folder"] / f"{name}.csv"
    result = run_cli("plan", paths["bg"], input_path, "-o", output, "--horizon", "39W", *options)
    assert result.exit_code == 0, result.output
    return pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id"), result


def _table(paths, name: str, ids, suffix: str = "csv") -> str:
    """Six customers of the weeks table under the ids ``ids``, written as ``name.suffix``."""
    rows = pd.read_csv(paths["csv_W"], dtype={"customer_id": str}).head(len(ids))
    rows["customer_id"] = ids
    path = paths["folder"] / f"{name}.{suffix}"
    if suffix == "csv":
        rows.to_csv(path, index=False)
    else:
        rows.to_parquet(path, index=False)
    return path


# ---------------------------------------------------------------------------------------------
# Time unit of recency and T


def test_days_table_with_rfm_time_unit_d_scores_as_the_weeks_table(files):
    paths, tables = files
    weeks, _ = _plan(paths, paths["csv_W"], "weeks")
    days, result = _plan(paths, paths["csv_D"], "days", "--rfm-time-unit", "D")
    assert days.index.tolist() == weeks.index.tolist()
    np.testing.assert_allclose(days["churn_risk"], weeks["churn_risk"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(days[["recency", "T"]], weeks[["recency", "T"]], rtol=1e-12)
    assert "note:" not in result.output  # the unit was given: nothing assumed
    # The same days read as weeks (the defect) give other risks: the conversion mattered.
    as_weeks, _ = _plan(paths, paths["csv_D"], "as_weeks")
    assert not np.allclose(days["churn_risk"], as_weeks["churn_risk"])


def test_rfm_time_unit_of_the_model_changes_nothing(files):
    paths, _ = files
    plain, assumed = _plan(paths, paths["csv_W"], "plain")
    given, checked = _plan(paths, paths["csv_W"], "given", "--rfm-time-unit", "W")
    pd.testing.assert_frame_equal(plain, given)
    assert "note:" not in checked.output


def test_an_unrecorded_unit_is_said_to_be_assumed(files):
    paths, _ = files
    _, result = _plan(paths, paths["csv_D"], "assumed")
    notes = [line for line in result.stdout.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1, result.stdout
    assert "model's time unit (weeks)" in notes[0] and "--rfm-time-unit" in notes[0]


def test_a_recorded_unit_other_than_the_models_is_refused_not_scored(files):
    paths, _ = files
    output = paths["folder"] / "never.csv"
    line = error_line(run_cli("plan", paths["bg"], paths["parquet_D"], "-o", output))
    assert "--rfm-time-unit D" in line and "days" in line and "weeks" in line, line
    assert "--time-unit D" not in line.replace("--rfm-time-unit D", ""), line
    contradicted = run_cli(
        "plan", paths["bg"], paths["parquet_D"], "-o", output, "--rfm-time-unit", "W"
    )
    line = error_line(contradicted)
    assert line.startswith("error: --rfm-time-unit W:") and "in days, not weeks" in line, line
    assert not output.exists()


def test_a_recorded_unit_given_again_is_converted(files):
    paths, _ = files
    weeks, _ = _plan(paths, paths["parquet_W"], "parquet_weeks")
    days, _ = _plan(paths, paths["parquet_D"], "parquet_days", "--rfm-time-unit", "D")
    np.testing.assert_allclose(days["churn_risk"], weeks["churn_risk"], rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Customer ids


def test_repeated_ids_are_refused_naming_the_column_and_ids(files):
    paths, _ = files
    # "3", "3.0" and " 3" are one customer, as in transaction logs.
    path = _table(paths, "repeated", ["1", "2", "2", "3", "3.0", " 3"])
    line = error_line(run_cli("plan", paths["bg"], path, "-o", paths["folder"] / "never.csv"))
    assert "2 customer id(s) in column 'customer_id' appear on more than one row" in line, line
    assert "for example 2, 3;" in line and "row(s) 2, 3, 4, 5, 6" in line, line


def test_repeated_ids_in_a_nameless_first_column_are_refused(files):
    paths, _ = files
    rows = pd.read_csv(paths["csv_W"], dtype={"customer_id": str}).head(3)
    rows["customer_id"] = ["a", "b", "a"]
    path = paths["folder"] / "nameless.csv"
    rows.rename(columns={"customer_id": ""}).to_csv(path, index=False)
    line = error_line(run_cli("plan", paths["bg"], path, "-o", paths["folder"] / "never.csv"))
    assert "in the first, nameless column appear on more than one row (for example a;" in line


@pytest.mark.parametrize("blank", ["", "   ", "NULL"])
def test_rows_without_an_id_are_refused(files, blank):
    paths, _ = files
    path = _table(paths, "blank", ["1", blank, "3", "4"])
    line = error_line(run_cli("plan", paths["bg"], path, "-o", paths["folder"] / "never.csv"))
    assert "1 row(s) have no customer id in column 'customer_id'" in line, line
    assert "row(s) 2, counting from 1 under the header" in line, line


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_padded_ids_are_stripped(files, suffix):
    paths, _ = files
    path = _table(paths, "padded", [" 1", "2 ", "  3  ", "00004", "5.0", " 6 "], suffix)
    written, _ = _plan(paths, path, f"padded_{suffix}")
    assert written.index.tolist() == ["1", "2", "3", "00004", "5", "6"]


def test_float_ids_are_written_as_whole_numbers(files):
    paths, _ = files
    path = _table(paths, "float_ids", [1.0, 2.0, 3.0, 40.0], suffix="parquet")
    output = paths["folder"] / "float_out.csv"
    result = run_cli("plan", paths["bg"], path, "-o", output)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(output, dtype=str)["customer_id"].tolist() == ["1", "2", "3", "40"]


def test_fractional_ids_are_refused(files):
    paths, _ = files
    path = _table(paths, "fractional", [1.0, 2.5, 3.0], suffix="parquet")
    line = error_line(run_cli("plan", paths["bg"], path, "-o", paths["folder"] / "never.csv"))
    assert "1 customer id(s) in column 'customer_id' are not whole numbers" in line, line
    assert "row(s) 2, counting from 1 under the header: 2.5)" in line, line


# ---------------------------------------------------------------------------------------------
# Messages show values as written, with their customers


def test_missing_and_infinite_rfm_values_are_shown_as_written(files):
    paths, _ = files
    rows = pd.read_csv(paths["csv_W"], dtype=str).head(5)
    rows["recency"] = ["0", "", "inf", "-inf", "0"]
    path = paths["folder"] / "infinite.csv"
    rows.to_csv(path, index=False)
    ids = rows["customer_id"].tolist()
    line = error_line(
        run_cli("plan", paths["bg"], path, "-o", paths["folder"] / "never.csv"), PYTHON_REPRS
    )
    assert "column 'recency' holds 3 value(s) that are missing or infinite" in line, line
    assert (
        f"(row(s) 2, 3, 4, counting from 1 under the header; for example customer {ids[1]}: "
        f"missing, customer {ids[2]}: inf, customer {ids[3]}: -inf)"
    ) in line, line


def test_text_in_an_rfm_column_is_shown_as_written(files):
    paths, _ = files
    rows = pd.read_csv(paths["csv_W"], dtype=str).head(3)
    rows["frequency"] = ["1", "two", "3,5"]
    path = paths["folder"] / "text.csv"
    rows.to_csv(path, index=False)
    ids = rows["customer_id"].tolist()
    line = error_line(
        run_cli("plan", paths["bg"], path, "-o", paths["folder"] / "never.csv"), PYTHON_REPRS
    )
    assert f"for example customer {ids[1]}: two, customer {ids[2]}: 3,5)" in line, line


@pytest.mark.parametrize("command", ["plan", "evaluate"])
def test_bad_amounts_of_a_log_are_shown_as_written(files, command):
    paths, _ = files
    log = pd.read_csv(paths["log"], dtype=str).head(40)
    log.loc[[3, 7, 9], "amount"] = [np.nan, "inf", "NaN"]
    path = paths["folder"] / f"bad_amounts_{command}.csv"
    log.to_csv(path, index=False)
    ids = log["customer_id"].iloc[[3, 7, 9]].tolist()
    arguments = {
        "plan": ["plan", paths["bg"], path, "-o", paths["folder"] / "never.csv"],
        "evaluate": [
            "evaluate", path, "--calibration-end", "1997-03-01", "-o", paths["folder"] / "ev"
        ],
    }[command]  # fmt: skip
    line = error_line(run_cli(*arguments), PYTHON_REPRS)
    assert "3 value(s) in column 'amount' are missing, infinite or not numbers" in line, line
    assert (
        f"(for example customer {ids[0]}: missing, customer {ids[1]}: inf, customer {ids[2]}: "
        "missing)"
    ) in line, line


def test_python_messages_about_bad_rows_show_plain_values():
    log = pd.DataFrame(
        {
            "customer_id": np.array([1.0, 2.0, 3.0, np.nan]),
            "date": pd.to_datetime(["1997-01-01", None, "1997-01-03", "1997-01-04"]),
            "amount": np.array([1.5, 2.0, 3.0, 4.0]),
        }
    )
    with pytest.raises(clv.InputError) as missing_id:
        clv.rfm_summary(log)
    assert "(row positions 3 from 0, values missing)" in str(missing_id.value)
    with pytest.raises(clv.InputError) as bad_date:
        clv.rfm_summary(log.iloc[:3])
    assert "(for example customer 2: missing)" in str(bad_date.value)
    shown = [str(missing_id.value), str(bad_date.value)]
    assert not any(re.search(r"\bnan\b|NaT|np\.|\[", text) for text in shown), shown


def test_readable_values():
    assert readable(np.float64(3.0)) == "3" and readable(np.float64(2.5)) == "2.5"
    assert readable(float("inf")) == "inf" and readable(np.float64(-np.inf)) == "-inf"
    assert readable(np.nan) == readable(None) == readable(pd.NaT) == readable(pd.NA) == "missing"
    assert readable(" a") == '" a"' and readable("") == '""' and readable("$12") == "$12"
    assert readable(np.datetime64("1997-01-31")) == "1997-01-31"
    assert readable(pd.Timestamp("1997-01-31 10:30")) == "1997-01-31 10:30:00"
    assert readable(np.int64(7)) == "7" and readable(1e300) == "1e+300"
    assert readable_examples(range(7)) == "0, 1, 2, 3, 4 ..."
    assert readable_examples([np.nan], ["00004"]) == "customer 00004: missing"


@pytest.mark.parametrize("command", ["evaluate", "plan"])
def test_bad_rows_of_a_file_are_named_by_their_data_row_counted_from_1(files, tmp_path, command):
    # The third data row (line 4) of a log without a customer id was named
    # "rows 2", the DataFrame's position counted from 0, which in the file is a valid row.
    paths, _ = files
    log = tmp_path / "log.csv"
    log.write_text(
        "customer_id,date,amount\n1,1997-01-01,10\n1,1997-02-01,12\n,1997-02-03,5\n"
        "2,1997-01-05,7\n2,1997-03-05,9\n"
    )
    arguments = {
        "evaluate": [log, "--calibration-end", "1997-02-15", "-o", tmp_path / "ev"],
        "plan": [paths["bg"], log, "--observation-end", "1997-03-31", "-o", tmp_path / "p.csv"],
    }[command]
    result = run_cli(command, *arguments)
    assert result.returncode == 2
    line = error_line(result)
    assert "(data rows 3 counted from 1 after the header, values missing)" in line, line
