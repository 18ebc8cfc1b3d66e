"""Segments are reported under the names their users gave them, whatever those are.

The report kept its row of all customers under the index label "all": a segment
called "all" crashed the report (a raw TypeError; "unexpected failure" on the command line) and
one called "All customers" came out as a second, indistinguishable total row. And the figures
drew segment names through matplotlib's mathtext: "$0-$20 first order" lost its dollars, and a
name with an unbalanced "$" group crashed the report with matplotlib's ValueError.
"""

from __future__ import annotations

import base64
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from cli_run import run_cli  # noqa: E402
from report_parsing import CALIBRATION_END, parse_report  # noqa: E402

import clvmodel as clv  # noqa: E402
from clvmodel.report import _figures  # noqa: E402

PIXEL = ("data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n").decode(), (1, 1))
CAC = 8.0
CLASHING = ("all", "All customers", "web")  # the report's own words for its total, and another
DOLLARS = ("$0-$20 first order", r"$\rm{vip}_x$ & $x^{$", "over $50")  # the second: bad mathtext


def _with_segments(log: pd.DataFrame, names) -> tuple[pd.DataFrame, pd.Series]:
    """The log with a ``channel`` column, the customers dealt out over ``names`` in turn, and
    each customer's channel."""
    ids = sorted(log["customer_id"].unique())
    channel = pd.Series([names[k % len(names)] for k in range(len(ids))], index=ids)
    return log.assign(channel=log["customer_id"].map(channel)), channel


def _rows(html: str, table_id: str) -> list[tuple[str, bool]]:
    """Each row of a table: its label, and whether it is styled as the total."""
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S).group(1)
    body = table.split("<tbody>")[1]
    rows = re.findall(r'<tr( class="total")?>\s*<th scope="row">([^<]*)</th>', body)
    return [(label, bool(total)) for total, label in rows]


@pytest.fixture(scope="module")
def clashing(cdnow_sample):
    """A report whose segments are called "all", "All customers" and "web" (figures stubbed)."""
    log, channel = _with_segments(cdnow_sample, CLASHING)
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        patch.setattr(_figures, "to_data_uri", lambda draw, size=None: PIXEL)
        html = clv.build_report(log, CALIBRATION_END, segments="channel", acquisition_cost=CAC)
    return log, channel, html


@pytest.mark.parametrize("table_id", ["naive-vs-model", "clv-cac", "cost-to-serve"])
def test_segments_named_like_the_total_are_ordinary_rows(clashing, table_id):
    rows = _rows(clashing[2], table_id)
    assert sorted(label for label, _ in rows[:-1]) == sorted(CLASHING)
    assert rows[-1] == ("All customers (total)", True)  # told apart, in words and in style
    assert [total for _, total in rows[:-1]] == [False] * 3


def test_the_segment_all_shows_its_own_numbers_not_the_totals(clashing):
    log, channel, html = clashing
    with warnings.catch_warnings():  # the sample's 21 repeated rows
        warnings.simplefilter("ignore", clv.ClvWarning)
        cal, _ = clv.calibration_holdout_split(log, CALIBRATION_END)
        bg, gg = clv.BetaGeoModel().fit(cal), clv.GammaGammaModel().fit(cal)
        per_segment = clv.naive_vs_model(bg, gg, log, CALIBRATION_END, segments=channel)
        overall = clv.naive_vs_model(bg, gg, log, CALIBRATION_END).iloc[0]
    rows = {row[0]: row[1:] for row in parse_report(html).tables["naive-vs-model"]["rows"]}
    for label, expected in [*per_segment.iterrows(), ("All customers (total)", overall)]:
        assert rows[label][0] == f"{int(expected['customers']):,}", label
        assert rows[label][5] == f"{expected['actual_holdout']:,.2f}", label
    assert rows["all"][0] != rows["All customers (total)"][0]


def test_summary_cards_and_texts_count_all_customers(clashing):
    log, channel, html = clashing
    cards = parse_report(html).cards
    assert cards["card-customers"] == f"{log['customer_id'].nunique():,}"
    assert cards["card-clv-cac"] not in ("", "n/a")
    assert "All customers (total): actual " in html  # the revenue figure's alt text


def test_without_segments_the_one_row_is_the_total(cdnow_sample, monkeypatch):
    monkeypatch.setattr(_figures, "to_data_uri", lambda draw, size=None: PIXEL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        html = clv.build_report(cdnow_sample, CALIBRATION_END, acquisition_cost=CAC)
    for table_id in ("naive-vs-model", "clv-cac", "cost-to-serve"):
        assert _rows(html, table_id) == [("All customers", True)], table_id


def test_command_line_reports_a_segment_named_all(cdnow_sample, tmp_path, monkeypatch):
    monkeypatch.setattr(_figures, "to_data_uri", lambda draw, size=None: PIXEL)
    log, _ = _with_segments(cdnow_sample, ("all", "web"))
    path, target = tmp_path / "log.csv", tmp_path / "report.html"
    log.to_csv(path, index=False)
    result = run_cli("report", path, "--calibration-end", CALIBRATION_END,
                     "--segment-column", "channel", "-o", target)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _rows(target.read_text(encoding="utf-8"), "naive-vs-model") == [
        ("all", False), ("web", False), ("All customers", True),
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------------
# Names with "$" in the figures


def _drawn_as_written(text, expected: str) -> None:
    """A matplotlib Text that draws ``expected`` character for character (no mathtext)."""
    assert text.get_text() == expected
    assert text.get_parse_math() is False and not text.get_usetex(), expected


@pytest.fixture(scope="module")
def dollar_report(cdnow_sample):
    """A report with "$" in its segment names, every figure drawn and its Axes kept by title."""
    log, _ = _with_segments(cdnow_sample, DOLLARS)
    axes = []
    draw_png = _figures.to_data_uri

    def keep(draw, size=(7.2, 4.2)):
        return draw_png(lambda ax: axes.append(draw(ax) or ax), size)

    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        patch.setattr(_figures, "to_data_uri", keep)
        html = clv.build_report(log, CALIBRATION_END, segments="channel", acquisition_cost=CAC)
    return html, {ax.get_title(): ax for ax in axes}


def test_segment_names_with_dollars_are_drawn_as_written(dollar_report):
    html, axes = dollar_report
    tables = parse_report(html).tables
    shown = [row[0] for row in tables["naive-vs-model"]["rows"]]
    assert sorted(shown[:-1]) == sorted(DOLLARS) and shown[-1] == "All customers"
    revenue = axes["Holdout revenue: what happened, and what each method predicted"]
    for tick, name in zip(revenue.get_xticklabels(), shown, strict=True):
        _drawn_as_written(tick, name)
    per_segment = [row[0] for row in tables["clv-cac"]["rows"][:-1]]
    for tick, name in zip(axes["CLV:CAC by segment"].get_xticklabels(), per_segment, strict=True):
        _drawn_as_written(tick, name)
    payback = axes["How fast do customers pay back what they cost to win?"].get_legend()
    for text, name in zip(payback.get_texts(), sorted(DOLLARS), strict=True):
        _drawn_as_written(text, name)


def test_the_report_figures_draw_any_label():
    """Drawn on a canvas: mathtext would have raised ValueError on the unbalanced group."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = sorted(DOLLARS)
    summary = pd.DataFrame({"clv_to_cac": [0.5, 2.0, np.nan]}, index=names)
    economics = pd.DataFrame(
        {"segment": names * 2, "payback_periods": [1.0, 5.0, np.nan, 2.0, 30.0, 3.0]}
    )
    check = pd.DataFrame(
        {"actual_holdout": [1.0, 2, 3], "naive_holdout": [1.0, 2, 3], "model_holdout": [1.0, 2, 3]},
        index=names,
    )
    drawings = [
        (lambda ax: _figures.plot_clv_to_cac(summary, ax=ax), lambda ax: ax.get_xticklabels()),
        (
            lambda ax: _figures.plot_payback_curve(economics, 24.0, ax=ax),
            lambda ax: ax.get_legend().get_texts(),
        ),
        (lambda ax: _figures.plot_holdout_revenue(check, ax=ax), lambda ax: ax.get_xticklabels()),
    ]
    for draw, texts in drawings:
        figure = Figure()
        FigureCanvasAgg(figure)
        ax = draw(figure.add_subplot())
        figure.canvas.draw()
        for text, name in zip(texts(ax), names, strict=True):
            _drawn_as_written(text, name)


def test_segments_one_and_text_one_keep_a_bar_each():
    """The CLV:CAC bars stand at positions, not categories: two labels reading "1" stay two."""
    summary = pd.DataFrame({"clv_to_cac": [1.5, 2.5]}, index=pd.Index([1, "1"], dtype=object))
    ax = _figures.plot_clv_to_cac(summary)
    assert len(ax.containers[0]) == 2
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "1"]
