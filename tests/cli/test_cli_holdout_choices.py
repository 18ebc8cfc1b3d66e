"""``clvmodel evaluate``, ``fit --model auto --calibration-end`` and ``report`` on the choices
that end the calibration period: dates read as the library reads them, a too-early calibration
end refused in the command line's words, the interval level in the JSON, and the choice's
warnings and customers said once."""

import json
import math
import warnings

import pytest
from cli_run import run_cli
from figure_stubs import draw_figures_without_rendering

import clvmodel as clv
from clvmodel.io import read_table

# CDNOW sample: 1,229 customers bought by 1997-02-15, 1,128 more first bought after it.
EARLY_END, COHORT, NEWCOMERS = "1997-02-15", 1229, 1128


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory):
    """The CDNOW sample as a CSV in the default column names, ISO dates (21 duplicate rows)."""
    path = tmp_path_factory.mktemp("data") / "cdnow.csv"
    transactions = clv.datasets.load_cdnow_sample()
    transactions.assign(date=transactions["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


def _same(left, right, path="report"):
    """Assert two JSON documents are equal, numbers to a relative 1e-9."""
    if isinstance(left, dict):
        assert isinstance(right, dict) and left.keys() == right.keys(), path
        for key in left:
            _same(left[key], right[key], f"{path}[{key!r}]")
    elif isinstance(left, list):
        assert isinstance(right, list) and len(left) == len(right), path
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            _same(a, b, f"{path}[{i}]")
    elif isinstance(left, float) and isinstance(right, float | int):
        assert math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12), (path, left, right)
    else:
        assert left == right, (path, left, right)


@pytest.fixture
def figures_not_rendered(monkeypatch):
    """``evaluate`` draws every figure (its code runs, and may warn or fail as before) but writes
    an empty PNG file: rendering was most of an ``evaluate`` run, and the test compares the JSON
    report (``tests/cli/test_cli_evaluate.py`` checks the images)."""
    draw_figures_without_rendering(monkeypatch)


@pytest.mark.parametrize(
    "write", [lambda day: day + " 14:22", lambda day: f" {day} "], ids=["time", "spaces"]
)
def test_evaluate_reads_date_format_dates_as_the_python_api(tmp_path, write, figures_not_rendered):
    # "30/09/1997 14:22" and " 30/09/1997 " with --date-format %d/%m/%Y: the split and
    # evaluate_holdout read them (the time is ignored); evaluate said every date was missing.
    transactions = clv.datasets.load_cdnow_sample()
    days = transactions["date"].dt.strftime("%d/%m/%Y")
    path = tmp_path / "dmy.csv"
    transactions.assign(date=days.map(write)).to_csv(path, index=False)
    out = tmp_path / "out"
    result = run_cli("evaluate", path, "--date-format", "%d/%m/%Y", "--calibration-end",
                     "30/09/1997", "--interval", "0.5", "-o", out)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr
    cli_report = json.loads((out / "holdout_report.json").read_text())

    log = read_table(path)
    with warnings.catch_warnings():  # the 21 duplicate rows, which evaluate warns of too
        warnings.simplefilter("ignore", clv.ClvWarning)
        cal, hold = clv.calibration_holdout_split(log, "30/09/1997", date_format="%d/%m/%Y")
    bg, gg = clv.BetaGeoModel().fit(cal), clv.GammaGammaModel().fit(cal)
    report = clv.evaluate_holdout(
        bg, cal, hold, gg, transactions=log, date_format="%d/%m/%Y", interval=0.5
    )
    api_report = json.loads(json.dumps(report.to_dict()))
    _same(cli_report, api_report)
    assert round(cli_report["metrics"]["purchases"]["model"]["mae"], 4) == 0.7855
    assert len(cli_report["tracking"]) == 78
    assert cli_report["coverage_interval"] == 0.5  # the level the coverage table is for


@pytest.mark.parametrize("end", ["1997-01-01", "1997-01-02"])
def test_fit_auto_too_early_calibration_end_names_calibration_end(cdnow_csv, tmp_path, end):
    # Every customer T = 0 (1997-01-01), or no repeat buyer (1997-01-02): the three models' fit
    # failures, joined by " | ", said to choose a later --observation-end.
    result = run_cli("fit", cdnow_csv, "--model", "auto", "--calibration-end", end,
                     "-o", tmp_path / "auto.json")  # fmt: skip
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "a later --calibration-end" in errors[0]
    assert "--observation-end" not in errors[0] and " | " not in errors[0]
    assert "frequency column" not in errors[0]
    assert not (tmp_path / "auto.json").exists()


def test_report_too_early_calibration_end_names_calibration_end(cdnow_csv, tmp_path):
    result = run_cli("report", cdnow_csv, "--calibration-end", "1997-01-01",
                     "-o", tmp_path / "report.html")  # fmt: skip
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "a later --calibration-end" in errors[0] and "18 customers" in errors[0]
    assert "observation" not in errors[0] and "calibration_end" not in errors[0]


def test_fit_auto_warns_of_duplicates_once_and_counts_the_newcomers(cdnow_csv, tmp_path):
    output = tmp_path / "auto.json"
    result = run_cli("fit", cdnow_csv, "--model", "auto", "--calibration-end", EARLY_END,
                     "-o", output)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("repeat another row exactly") == 1, result.stderr
    said = [line for line in result.stdout.splitlines() if "first bought after it" in line]
    assert len(said) == 1, result.stdout
    assert f"{COHORT:,} customers" in said[0] and f"{NEWCOMERS:,} who" in said[0]
    choice = clv.load_models(output).metadata["model_choice"]
    assert (choice["customers"], choice["new_customers"]) == (COHORT, NEWCOMERS)


def test_fit_auto_without_newcomers_says_nothing_of_them(cdnow_csv, tmp_path):
    output = tmp_path / "auto.json"
    result = run_cli("fit", cdnow_csv, "--model", "auto", "--calibration-end", "1997-09-30",
                     "-o", output)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "first bought after it" not in result.stdout
    assert clv.load_models(output).metadata["model_choice"]["new_customers"] == 0
