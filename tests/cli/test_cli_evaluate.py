"""``clvmodel evaluate``: report, figures, JSON, and clean errors, in this process (``run_cli``);
the exit status and error line once through a real subprocess."""

import dataclasses
import json

import pytest
from cli_run import run_cli, run_cli_process
from figure_stubs import draw_figures_without_rendering

import clvmodel as clv

# Fader, Hardie & Lee (2005), "Counting your customers" the easy way, conditional expectations:
# mean holdout transactions (weeks 40-78) by calibration repeat transactions 0, 1, ..., 7+ on the
# CDNOW sample.
PUBLISHED_ACTUAL = [0.237, 0.697, 1.393, 1.560, 2.532, 2.947, 3.862, 6.359]
PUBLISHED_BGNBD = [0.225, 0.523, 1.044, 1.520, 2.164, 2.654, 3.504, 6.157]
FIGURES = {
    "holdout_tracking_cumulative.png",
    "holdout_tracking_incremental.png",
    "holdout_conditional_expectation.png",
    "holdout_predicted_vs_actual.png",
    "holdout_period_transactions.png",
    "holdout_reliability.png",
}
# The CDNOW file's columns, without --observation-end (the log's last day).
INTERVAL_ARGS = ["--calibration-end", "1997-09-30", "--customer-col", "cust", "--date-col", "day",
                 "--amount-col", "dollars"]  # fmt: skip


def _run(*args, cwd=None):
    """``clvmodel evaluate ARGS`` in this process."""
    return run_cli("evaluate", *args, cwd=cwd)


def _process(*args):
    """``python -m clvmodel.cli evaluate ARGS`` in a real process."""
    return run_cli_process("evaluate", *args)


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory):
    """The CDNOW sample as a CSV with string ids (leading zeros) and other column names."""
    path = tmp_path_factory.mktemp("data") / "cdnow.csv"
    transactions = clv.datasets.load_cdnow_sample()
    transactions = transactions.rename(
        columns={"customer_id": "cust", "date": "day", "amount": "dollars"}
    )
    transactions["day"] = transactions["day"].dt.strftime("%Y-%m-%d")
    transactions.to_csv(path, index=False)
    return path


def _error_line(result):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_evaluate_prints_the_report_and_writes_figures_and_json(cdnow_csv, tmp_path, monkeypatch):
    out = tmp_path / "new" / "folder"
    result = _run(
        cdnow_csv,
        "--calibration-end",
        "1997-09-30",
        "--observation-end",
        "1998-06-30",
        "--customer-col",
        "cust",
        "--date-col",
        "day",
        "--amount-col",
        "dollars",
        "-o",
        out,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    text = result.stdout
    for number in PUBLISHED_ACTUAL + PUBLISHED_BGNBD:
        assert f"{number:.3f}" in text
    assert "4339" in text and "Holdout revenue" in text and "ROC AUC" in text

    assert FIGURES <= {path.name for path in out.iterdir()}
    for name in FIGURES:
        data = (out / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000
    report = json.loads((out / "holdout_report.json").read_text())
    table = report["conditional_expectation"]
    assert [round(row["actual"], 3) for row in table] == PUBLISHED_ACTUAL
    assert [round(row["model"], 3) for row in table] == PUBLISHED_BGNBD
    assert report["tracking"][-1]["actual_cumulative"] == 4339
    assert report["summary"]["calibration_end"] == "1997-09-30"
    assert "value" in report["metrics"]
    customers = (out / "holdout_customers.csv").read_text().splitlines()
    assert len(customers) == 2358 and customers[1].startswith("00004,")
    assert customers[0].startswith("cust,")  # the id column is named (it had an empty header)
    # A file left from an earlier run with other options is named, not silently kept beside
    # this report; -o naming a file is refused before the work.
    (out / "pnbd.json").write_text("{}")
    assert not (out / "holdout_coverage.png").exists()  # written below by --interval only
    # The others were checked above: drawn, not rendered (tests/figure_stubs.py).
    draw_figures_without_rendering(monkeypatch, render=("holdout_coverage.png",))
    again = _run(cdnow_csv, *INTERVAL_ARGS, "--interval", "90%", "-o", out)
    assert again.returncode == 0 and "warning: pnbd.json in" in again.stderr
    _check_interval_90(out)
    refused = _run(cdnow_csv, "--calibration-end", "1997-09-30", "-o", out / "bgnbd.json")
    assert refused.returncode == 2 and "is a file" in refused.stderr and refused.stdout == ""
    # Fader, Hardie & Lee (2005): r = 0.2426, alpha = 4.4137, a = 0.7930, b = 2.4262.
    saved = clv.load_model(out / "bgnbd.json").params_.to_numpy()
    assert saved == pytest.approx([0.2426, 4.4137, 0.7930, 2.4262], rel=1e-3)


def test_parquet_in_days_without_amounts(tmp_path, monkeypatch):
    draw_figures_without_rendering(monkeypatch)  # the test reads the report, not the images
    path = tmp_path / "log.parquet"
    clv.datasets.load_cdnow_sample()[["customer_id", "date"]].to_parquet(path)
    result = _run(path, "--calibration-end", "1997-09-30", "--time-unit", "D", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "272.00 days" in result.stdout and "spend" not in result.stdout.lower()
    # The default output folder, in the working directory.
    report = json.loads((tmp_path / "holdout_evaluation" / "holdout_report.json").read_text())
    assert report["summary"]["time_unit"] == "D"
    assert [round(row["actual"], 3) for row in report["conditional_expectation"]] == (
        PUBLISHED_ACTUAL
    )


def _dates_args(tmp_path):
    return ["--customer-col", "cust", "--date-col", "day", "-o", tmp_path / "out"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--calibration-end", "1999-01-01"], "--calibration-end (1999-01-01) must fall"),
        (
            ["--calibration-end", "1998-06-30", "--observation-end", "1998-12-31"],
            "nobody in the calibration cohort bought in the holdout period",
        ),
    ],
)
def test_bad_input_exits_with_one_line(cdnow_csv, tmp_path, args, message):
    result = _run(cdnow_csv, *args, *_dates_args(tmp_path))
    if "--observation-end" in args:
        # A holdout period after the last transaction is warned of first, by the split: it is
        # why nobody bought in it.
        lines = result.stderr.splitlines()
        assert lines[0].startswith("warning: no transaction in the last 184 days"), lines
        result = dataclasses.replace(result, stderr="\n".join(lines[1:]))
    line = _error_line(result)
    assert line.startswith("error: ") and message in line, line
    assert result.returncode == 2
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--calibration-end", "1996-06-01"], "--calibration-end (1996-06-01) must fall"),
        (["--calibration-end", "someday"], "--calibration-end someday is not a date"),
        (["--calibration-end", "1997-09-30", "--amount-col", "euros"], "no column 'euros'"),
    ],
)
def test_more_bad_input_in_process(cdnow_csv, tmp_path, args, message):
    # The same error path as above (the command group turns ClvError into one line and exit code
    # 2), run in-process to keep the suite fast.
    result = _run(cdnow_csv, *args, *_dates_args(tmp_path))
    assert result.exit_code == 2, result.output
    assert "error: " in result.output and message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_missing_file_and_missing_option(tmp_path):
    line = _error_line(_process(tmp_path / "nope.csv", "--calibration-end", "1997-09-30"))
    assert "does not exist" in line
    result = _run(tmp_path / "nope.csv")
    assert result.exit_code != 0 and "--calibration-end" in result.output


def _check_interval_90(out):
    """The report in ``out`` measured the coverage of 90 % intervals and drew it.

    ``--interval 90%`` was a three-line click usage error, where ``--margin 30%`` is read; the
    run with it is the second one of the first test above (the same evaluation, so it is not
    run a third time).
    """
    report = json.loads((out / "holdout_report.json").read_text())
    overall = report["coverage"][0]
    assert overall["group"] == "all" and 0.9 <= overall["predicted_mass"] < 0.99
    assert (out / "holdout_coverage.png").exists()


def test_interval_takes_a_percentage_like_every_fraction_option(cdnow_csv, tmp_path):
    # A 90 % interval given as 90 is refused with the fraction it means (--interval 90% is read,
    # as _check_interval_90 checks in the first test).
    refused = _run(cdnow_csv, *INTERVAL_ARGS, "--interval", "90", "-o", tmp_path / "no")
    assert refused.returncode == 2 and "a 90 % interval is --interval 0.9" in refused.stderr
