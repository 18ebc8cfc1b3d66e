"""The report shows the naive formula's error on two measures: holdout revenue (from
``naive_vs_model``, the summary card and the per-segment table) and holdout purchases (from
``evaluate_holdout``, the holdout table). They are different numbers (+143.9 % and +156.7 % on
the CDNOW sample), so each must be labelled with what it measures; before, the tables' headers
said only "Naive formula error" and "Error of the total", and the card "Model vs naive formula".
"""

from __future__ import annotations

import html
import re

from report_parsing import table_rows

import clvmodel as clv

PERCENT = re.compile(r"[+-]?\d[\d,]*\.\d+ %")


def _card(report_html: str, card_id: str) -> tuple[str, str]:
    """A summary card's label and its detail text."""
    block = re.search(rf'<li class="card" id="{card_id}">(.*?)</li>', report_html, re.S).group(1)
    label = re.search(r'<span class="card-label">(.*?)</span>', block, re.S).group(1)
    detail = re.search(r'<span class="card-detail">(.*?)</span>', block, re.S).group(1)
    return html.unescape(label), " ".join(html.unescape(detail).split())


def _column(parsed, table_id: str, row: str, header_word: str) -> tuple[str, str]:
    """The header and the cell of the column of ``table_id`` whose header holds
    ``header_word``, in the row labelled ``row``."""
    table = parsed.tables[table_id]
    (index,) = [i for i, text in enumerate(table["head"]) if header_word in text.lower()]
    return table["head"][index], table_rows(parsed, table_id)[row][index - 1]


def _naive_figures(cdnow_report) -> list[tuple[str, str]]:
    """Every all-customers naive-formula error the report shows, as (label, percentage)."""
    _, report_html, parsed = cdnow_report
    figures = [
        _column(parsed, "naive-vs-model", "All customers", "naive formula error"),
        _column(parsed, "holdout", "naive formula", "error of the total"),
    ]
    label, detail = _card(report_html, "card-naive-vs-model")
    naive_part = detail.split("naive formula", 1)[1]  # the card's naive figure follows its name
    figures.append((f"{label}: {detail}", PERCENT.search(naive_part).group(0)))
    return figures


def _measure(label: str) -> str | None:
    """What a label says a naive-formula error is measured on, from its name alone."""
    head = label.split(":")[0].lower()  # a card: its label, before the detail text
    named = [word for word in ("revenue", "purchases") if word in head]
    return named[0] if len(named) == 1 else None


def test_no_two_different_naive_errors_share_a_label(cdnow_report):
    figures = _naive_figures(cdnow_report)
    by_measure: dict[str | None, set[str]] = {}
    for label, value in figures:
        by_measure.setdefault(_measure(label), set()).add(value)
    assert None not in by_measure, figures  # every figure names its measure
    assert all(len(values) == 1 for values in by_measure.values()), figures
    assert len({value for _, value in figures}) == 2, figures  # revenue is not purchases


def test_each_naive_error_names_its_measure(cdnow_report):
    revenue_header, revenue = _naive_figures(cdnow_report)[0]
    purchases_header, purchases = _naive_figures(cdnow_report)[1]
    card_label, card_value = _naive_figures(cdnow_report)[2]
    assert revenue != purchases
    assert "revenue" in revenue_header.lower() and "purchase" not in revenue_header.lower()
    assert "purchases" in purchases_header.lower() and "revenue" not in purchases_header.lower()
    # The card repeats the revenue figure, and says so.
    assert card_value == revenue
    assert "holdout revenue" in card_label.split(":")[0].lower()


def test_the_holdout_section_says_why_the_two_naive_errors_differ(cdnow_report):
    _, report_html, _ = cdnow_report
    (_, revenue), (_, purchases), _ = _naive_figures(cdnow_report)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", report_html)).split())
    assert f"error on holdout purchases, {purchases}" in text
    assert "error on holdout revenue in" in text and revenue in text


def test_the_holdout_text_says_how_its_naive_revenue_is_made():
    """``evaluate_holdout``'s revenue row is a third naive figure (+164.2 % on CDNOW): its text
    says it multiplies by the mean spend per calibration repeat purchase, not by the average
    order value that naive_vs_model and the HTML report use."""
    tx = clv.datasets.load_cdnow_sample()
    cal, hold = clv.calibration_holdout_split(tx, "1997-09-30", "1998-06-30")
    bg, gg = clv.BetaGeoModel().fit(cal), clv.GammaGammaModel().fit(cal)
    report = clv.evaluate_holdout(bg, cal, hold, gg, transactions=tx)
    first = report.customers.iloc[0]
    text = str(report)
    assert (
        f"naive formula (holdout revenue): {first['naive_purchases']:.3f} purchases × "
        f"{first['naive_spend']:.2f}, the mean spend per calibration repeat purchase"
    ) in text
    assert "clvmodel.naive_vs_model" in text
