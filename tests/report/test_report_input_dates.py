"""``clvmodel report`` reads the dates of a log as the rest of clvmodel does (``score``, the
calibration/holdout split, ``rfm_summary``) and values over the horizon as given.

Each log here is a small slice of the CDNOW sample written another way: day-first, dotted, with
times on some rows, with zoned timestamps across a change of summer time, or as whole numbers
with ``--date-format``. Every number of its report must be that of the same log with ISO dates,
and ``report --horizon 1.5Y`` must value the customers as ``score --horizon 1.5Y`` does.
"""

from __future__ import annotations

import base64

import pandas as pd
import pytest
from cli_run import error_line, run_cli
from report_parsing import CALIBRATION_END, parse_report

from clvmodel.report import _figures

CUSTOMERS = 150  # the first customers of the CDNOW sample: enough for the models, and fast


@pytest.fixture(scope="module", autouse=True)
def _figures_stubbed():
    """Figures are one pixel: these tests read numbers, and drawing is most of a report's time."""
    pixel = ("data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n").decode(), (1, 1))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_figures, "to_data_uri", lambda draw, size=None: pixel)
        yield


@pytest.fixture(scope="module")
def small_log(cdnow_sample):
    """The purchases of the sample's first customers, dates as naive midnight timestamps."""
    ids = cdnow_sample["customer_id"].unique()[:CUSTOMERS]
    log = cdnow_sample.loc[cdnow_sample["customer_id"].isin(ids), ["customer_id", "date", "amount"]]
    return log.reset_index(drop=True)


def _with_times(dates: pd.Series) -> pd.Series:
    """ISO dates, two in three with a time of day (after a space, or after ``T``)."""
    text = dates.dt.strftime("%Y-%m-%d")
    times = pd.Series(["", " 14:30:00", "T09:05"], dtype=object)
    return text + times.iloc[dates.index % 3].to_numpy()


def _zoned(dates: pd.Series) -> pd.Series:
    """Timestamps in Berlin, half an hour after local midnight: the day before in UTC, and an
    offset of +01:00 in winter, +02:00 in summer."""
    return (dates + pd.Timedelta(minutes=30)).dt.tz_localize("Europe/Berlin")


# How each log writes its dates, and the file it is written to.
WRITTEN = {
    "day_first": (lambda d: d.dt.strftime("%d/%m/%Y"), "csv"),
    "dotted": (lambda d: d.dt.strftime("%d.%m.%Y"), "csv"),
    "date_and_time": (_with_times, "csv"),
    "zoned_text": (lambda d: _zoned(d).astype(str), "csv"),
    "zoned_timestamps": (_zoned, "parquet"),
}


def _write(log: pd.DataFrame, dates, path):
    written = log.assign(date=dates)
    if path.suffix == ".csv":
        written.to_csv(path, index=False)
    else:
        written.to_parquet(path)
    return path


def _report(log_path, target, *options):
    """Run ``clvmodel report`` on ``log_path``; the HTML text and its parse."""
    result = run_cli(
        "report", log_path, "--calibration-end", CALIBRATION_END, *options, "-o", target
    )
    assert result.exit_code == 0, result.output
    assert target.is_file(), result.output
    html = target.read_text(encoding="utf-8")
    return html, parse_report(html)


def _numbers(parsed) -> dict:
    """Every number the report shows a reader: its summary cards and its tables."""
    tables = {name: (table["head"], table["rows"]) for name, table in parsed.tables.items()}
    return {"cards": parsed.cards, "tables": tables}


@pytest.fixture(scope="module")
def iso_log(small_log, tmp_path_factory):
    """The log with ISO dates (YYYY-MM-DD text) as a CSV file, the reference."""
    folder = tmp_path_factory.mktemp("iso_log")
    return _write(small_log, small_log["date"].dt.strftime("%Y-%m-%d"), folder / "tx.csv")


@pytest.fixture(scope="module")
def iso_report(iso_log):
    """The report of the log with ISO dates: its HTML text and its parse."""
    return _report(iso_log, iso_log.with_name("report.html"))


@pytest.fixture(scope="module")
def iso_model(iso_log):
    """``clvmodel fit`` on the log with ISO dates: the models file."""
    model = iso_log.with_name("model.json")
    result = run_cli("fit", iso_log, "-o", model)
    assert result.exit_code == 0, result.output
    return model


@pytest.mark.parametrize("written", list(WRITTEN))
def test_report_reads_dates_as_the_library_does(written, small_log, iso_report, tmp_path):
    write, suffix = WRITTEN[written]
    path = _write(small_log, write(small_log["date"]), tmp_path / f"tx.{suffix}")
    html, parsed = _report(path, tmp_path / "report.html")
    assert _numbers(parsed) == _numbers(iso_report[1])
    # The value per customer and in total, spelled out (the tables above hold them).
    assert parsed.tables["top-customers"]["rows"] == iso_report[1].tables["top-customers"]["rows"]
    assert "unexpected failure" not in html


def test_whole_number_dates_with_a_format_leave_no_pandas_note(small_log, iso_report, tmp_path):
    numbers = small_log["date"].dt.strftime("%Y%m%d").astype("int64")
    path = _write(small_log, numbers, tmp_path / "tx.parquet")
    html, parsed = _report(path, tmp_path / "report.html", "--date-format", "%Y%m%d")
    for pandas_words in ("FutureWarning", "Pandas4Warning", "to_datetime", "Parsing integer"):
        assert pandas_words not in html, pandas_words
    assert _numbers(parsed) == _numbers(iso_report[1])


def test_whole_number_dates_without_a_format_are_refused_as_score_refuses(
    small_log, iso_model, tmp_path
):
    numbers = small_log["date"].dt.strftime("%Y%m%d").astype("int64")
    path = _write(small_log, numbers, tmp_path / "tx.parquet")
    score = run_cli("score", iso_model, path, "-o", tmp_path / "scores.csv")
    report = run_cli(
        "report", path, "--calibration-end", CALIBRATION_END, "-o", tmp_path / "report.html"
    )
    for result in (score, report):
        line = error_line(result, forbidden=("date_format=", "unexpected failure"))
        assert "--date-format %Y%m%d" in line and "'date'" in line, line
    assert not (tmp_path / "report.html").exists()


def _total(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.mark.parametrize(("horizon", "words"), [("1.5Y", "1.5 years"), ("52W", "52 weeks")])
def test_report_values_over_the_horizon_as_score_does(horizon, words, iso_log, iso_model, tmp_path):
    scores = tmp_path / "scores.csv"
    result = run_cli(
        "score", iso_model, iso_log, "--horizon", horizon, "--discount-rate", "0.1", "-o", scores
    )
    assert result.exit_code == 0, result.output
    score = pd.read_csv(scores, dtype={"customer_id": str}).set_index("customer_id")
    html, parsed = _report(iso_log, tmp_path / "report.html", "--horizon", horizon)

    # The total, and the top customers' value (their gross margin, at a margin of 100 %), to the
    # precision shown: discounted per period of the horizon's own unit, as score does.
    concentration = parsed.tables["value-concentration"]
    total = dict(concentration["rows"])["Total"]
    assert abs(_total(total) - score["predicted_clv"].sum()) <= 0.5, (total, horizon)
    top = parsed.tables["top-customers"]
    margin = top["head"].index("Gross margin")
    for customer, *cells in top["rows"]:
        shown = _total(cells[margin - 1])
        assert abs(shown - score.loc[customer, "predicted_clv"]) <= 0.005, customer
    # ... and named as it was given.
    assert f"next {words}" in concentration["caption"]
    assert f"Net CLV, {words}" in html
