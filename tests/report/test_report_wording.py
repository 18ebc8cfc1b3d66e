"""The report's words for what the user gave it, and for tiers and CACs that leave nothing to say.

Each test failed before its fix:

* a segment column called "UTM source" headed the tables as "Utm source" (``str.capitalize``
  lowercases the rest of the name);
* ``churn_horizon`` was a bare number of weeks, so the command line's ``--churn-horizon 12M``
  reached the report as "no purchase in the next 52.1786 weeks";
* a ``calibration_end`` given as a Timestamp was printed "1997-09-30 00:00:00";
* when the lowest-risk tier had no customers, the churn section said "Stage 1 raises prices
  5.0 % for 0 customers and adds about 0.00";
* with no acquisition cost above 0 anywhere, the CLV:CAC card and paragraph said "n/a of
  customers with a CAC pay back their CAC within 24 months".
"""

from __future__ import annotations

import base64
import html as htmllib
import re
import warnings

import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.report import _figures

CALIBRATION_END = "1997-09-30"
PIXEL = ("data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n").decode(), (1, 1))


@pytest.fixture
def stubbed_figures(monkeypatch):
    """Figures are one pixel: these tests read the text."""
    monkeypatch.setattr(_figures, "to_data_uri", lambda draw, size=None: PIXEL)


@pytest.fixture(scope="module")
def log():
    return clv.datasets.load_cdnow_sample().drop_duplicates()


def _report(log, calibration_end=CALIBRATION_END, **options) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        return clv.build_report(log, calibration_end, **options)


def _text(html: str) -> str:
    """The report's text as read: tags dropped, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", html)))


def _table(html: str, table_id: str) -> tuple[list[str], list[list[str]]]:
    """The head and the rows (label first) of one table."""
    block = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S).group(1)
    cell = r"<t[hd](?:\s[^>]*)?>(.*?)</t[hd]>"
    head = [htmllib.unescape(c) for c in re.findall(cell, block.split("</thead>")[0], re.S)]
    rows = [
        [htmllib.unescape(c).strip() for c in re.findall(cell, row, re.S)]
        for row in re.findall(r"<tr(?:\s[^>]*)?>(.*?)</tr>", block.split("</thead>")[1], re.S)
    ]
    return head, rows


def test_segment_column_heads_the_tables_as_written(log, stubbed_figures):
    tx = log.assign(**{"UTM source": log["customer_id"].str[-1].map(lambda d: f"utm-{int(d) % 2}")})
    html = _report(tx, segments="UTM source", acquisition_cost={"utm-0": 5.0, "utm-1": 7.0})
    for table_id in ("naive-vs-model", "clv-cac", "cost-to-serve", "bands-by-segment"):
        head, _ = _table(html, table_id)
        assert head[0] == "UTM source", (table_id, head[0])  # was "Utm source"


def test_churn_horizon_is_said_in_the_unit_it_was_given(log, stubbed_figures):
    html = _report(log, churn_horizon="9M", margin=0.3)
    text = _text(html)
    assert "no purchase in the next 9 months" in text
    assert "weeks)" not in _table(html, "price-plan")[0]  # the caption said 39.1339 weeks
    # The tiers are the API's for the same horizon.
    rfm = clv.rfm_summary(log)
    bg, gg = clv.BetaGeoModel().fit(rfm), clv.GammaGammaModel().fit(rfm)
    scores = clv.churn_risk(bg, rfm, "9M", gg, clv_horizon="24M", discount_rate=0.1, margin=0.3)
    expected = scores["tier"].value_counts()
    _, rows = _table(html, "price-plan")
    shown = {row[1]: int(row[4].replace(",", "")) for row in rows}
    assert shown == {tier: int(expected.get(tier, 0)) for tier in ("low", "medium", "high")}


def test_a_bare_churn_horizon_is_still_weeks(log, stubbed_figures):
    assert "no purchase in the next 39 weeks" in _text(_report(log, churn_horizon=39))


def test_calibration_end_given_as_a_timestamp_is_printed_as_a_day(log, stubbed_figures):
    text = _text(_report(log, pd.Timestamp(CALIBRATION_END)))
    assert "00:00:00" not in text
    assert f"purchases up to {CALIBRATION_END} and predicted" in text
    assert f"Calibration period ends {CALIBRATION_END} " in text


def test_the_plan_is_described_by_the_first_stage_that_raises_a_price(log, stubbed_figures):
    # Nine months after the last purchase, nobody is in the low-risk tier.
    html = _report(log, observation_end="1999-03-31")
    _, rows = _table(html, "price-plan")
    assert rows[0][1] == "low" and rows[0][4] == "0"
    medium = rows[1]
    text = _text(html)
    assert "for 0 customers" not in text
    assert f"Stage 2 (medium risk) raises prices {medium[2]} for {medium[4]} customers" in text
    assert f"adds about {medium[8]} if nobody leaves" in text


def test_the_plan_says_when_no_stage_raises_a_price(log, stubbed_figures):
    late = _text(_report(log, observation_end="2000-06-30"))  # every customer at high risk
    assert "No stage raises the price of any customer" in late
    flat = _text(_report(log, increases=(0.0, 0.0, 0.0)))
    assert "Every increase is 0 %: no stage raises prices." in flat


def test_no_acquisition_cost_above_zero_says_there_is_nothing_to_pay_back(log, stubbed_figures):
    html = _report(log, acquisition_cost=0.0)
    card = re.search(r'id="card-clv-cac">(.*?)</li>', html, re.S).group(1)
    assert "n/a of" not in _text(html)
    assert "nothing to pay back" in _text(card)
    assert "mean CAC is n/a, and no customer has an acquisition cost above 0" in _text(html)


def test_some_acquisition_costs_still_give_the_paid_back_share(log, stubbed_figures):
    html = _report(log, acquisition_cost=5.0)
    card = _text(re.search(r'id="card-clv-cac">(.*?)</li>', html, re.S).group(1))
    assert re.search(r"\d+\.\d % of customers pay back their CAC within 24 months", card)
