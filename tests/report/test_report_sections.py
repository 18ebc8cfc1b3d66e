"""The report's figures say what its words say: units, period names, alt text, row names.

One report on the CDNOW sample with the model in days (``time_unit="D"``), every figure's Axes
kept as drawn; pyplot must hold no figure afterwards (the report draws on figures of its own).
"""

from __future__ import annotations

import html as htmllib
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from report_parsing import parse_report, table_rows  # noqa: E402

import clvmodel as clv  # noqa: E402
from clvmodel.plotting import plot_clv_vs_naive  # noqa: E402
from clvmodel.report import _figures  # noqa: E402
from clvmodel.report._sections import top_share  # noqa: E402


@pytest.fixture(scope="module")
def days_report(cdnow_sample):
    """(html, {figure title: Axes}, pyplot figures left after building the report)."""
    axes = []
    draw_png = _figures.to_data_uri

    def keep(draw, size=(7.2, 4.2)):
        return draw_png(lambda ax: axes.append(draw(ax) or ax), size)

    plt.close("all")
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        patch.setattr(_figures, "to_data_uri", keep)
        page = clv.build_report(
            cdnow_sample, "1997-09-30", margin=0.3, acquisition_cost=8.0, time_unit="D"
        )
    left = plt.get_fignums()
    return page, {ax.get_title().splitlines()[0]: ax for ax in axes}, left


def _shows_percent(text: str, percent: float) -> None:
    """``text`` ("36.0 %") is ``percent`` to the one decimal printed."""
    assert abs(float(text.rstrip(" %")) - percent) <= 0.05 + 1e-9, (text, percent)


def _figure(page: str, figure_id: str) -> tuple[str, str]:
    """(alt text, caption title) of a figure of the page."""
    block = re.search(rf'<figure id="{figure_id}">(.*?)</figure>', page, re.S).group(1)
    alt = htmllib.unescape(re.search(r'alt="([^"]*)"', block).group(1))
    title = htmllib.unescape(re.search(r"<strong>(.*?)\.</strong>", block).group(1))
    return alt, title


def test_the_report_leaves_no_pyplot_figure(days_report):
    assert days_report[2] == []


def test_churn_figures_use_the_reports_horizon(days_report):
    page, axes, _ = days_report
    assert "no purchase in the next 39 weeks" in page
    label = "churn risk: P(no purchase in the next 39 weeks)"
    assert axes["Churn risk against predicted value, by tier"].get_xlabel() == label
    tiers = axes["Customers and predicted value by churn-risk tier"]
    assert tiers.get_title().splitlines()[1] == f"({label})"


def test_tracking_caption_names_the_period_drawn(days_report):
    page, axes, _ = days_report
    tracking = axes["Tracking cumulative repeat transactions"]
    assert tracking.get_xlabel().startswith("Week (week 1 begins ")  # 7-day periods of days
    assert _figure(page, "figure-tracking")[1] == (
        "Repeat purchases week by week: actual and predicted"
    )


def test_tracking_alt_text_quotes_the_figure(days_report):
    page, axes, _ = days_report
    tracking = axes["Tracking cumulative repeat transactions"]
    actual, model = tracking.lines[0].get_ydata(), tracking.lines[1].get_ydata()
    end = int(tracking.lines[2].get_xdata()[0])  # the end of calibration, a period number
    periods = tracking.lines[0].get_xdata()
    cut = int(np.flatnonzero(periods == end)[0])
    numbers = [actual[-1], model[-1], actual[-1] - actual[cut], model[-1] - model[cut]]
    alt = _figure(page, "figure-tracking")[0]
    quoted = [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", alt)]
    assert quoted == [pytest.approx(n, abs=0.5) for n in numbers], alt


def test_holdout_revenue_ticks_read_as_the_tables(days_report):
    page, axes, _ = days_report
    revenue = axes["Holdout revenue: what happened, and what each method predicted"]
    assert [t.get_text() for t in revenue.get_xticklabels()] == ["All customers"]
    assert list(table_rows(parse_report(page), "naive-vs-model")) == ["All customers"]


def test_top_share_card_table_and_curve_agree(days_report):
    page, axes, _ = days_report
    curve = axes["How concentrated is CLV, next 24 months?"]
    marked = {t.get_text().split(" hold")[0]: float(t.xy[1]) for t in curve.texts}
    assert set(marked) == {"top 10 %", "top 20 %"}  # 2,357 customers: 236 and 472 of them
    card = re.search(r'id="card-top-20">\s*<span class="card-label">([^<]*)</span>', page)
    assert card.group(1) == "Top 20 % hold"
    parsed = parse_report(page)
    _shows_percent(parsed.cards["card-top-20"], marked["top 20 %"])
    rows = table_rows(parsed, "value-concentration")
    for share in ("10 %", "20 %"):
        cell = rows[f"Share held by the top {share} of customers"][0]
        _shows_percent(cell, marked[f"top {share}"])


def test_top_share_words_are_the_share_drawn_for_few_customers():
    values = pd.Series([1.0, 2.0, 3.0, 94.0])
    assert top_share(values, 0.2) == ("25 %", 0.94)
    assert top_share(values, 0.1) == ("25 %", 0.94)
    ax = plot_clv_vs_naive(
        pd.DataFrame({"predicted_clv": values, "naive_clv": 25.0}), kind="concentration"
    )
    assert ax.texts[0].get_text().startswith("top 25 %") and float(ax.texts[0].xy[1]) == 94.0


@given(st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=1, max_size=40))
def test_top_share_is_the_point_the_figure_marks(values):
    if sum(values) <= 0:
        values = [*values[:-1], 1.0]
    table = pd.DataFrame({"predicted_clv": values, "naive_clv": 1.0})
    ax = plot_clv_vs_naive(table, kind="concentration")
    marks = {
        t.get_text().split(" (")[0].split(" hold")[0]: tuple(map(float, t.xy)) for t in ax.texts
    }
    plt.close(ax.figure)
    for share in (0.1, 0.2):
        words, held = top_share(table["predicted_clv"], share)
        x, y = marks[f"top {words}"]
        assert x == pytest.approx(float(words.rstrip(" %")), rel=5e-3)
        assert y == pytest.approx(100 * held, rel=1e-9, abs=1e-9)
