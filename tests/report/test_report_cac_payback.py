"""Tests of the report's CAC payback table (``clv.build_report`` with ``acquisition_cost=``).

Customers without a CAC were counted as paid back; the row of all customers counts the customers
with a CAC only, and a report where no customer has a CAC shows no payback (and no figure).
"""

from __future__ import annotations

import base64
import re
import warnings

import pandas as pd
import pytest
from report_parsing import parse_report, table_rows

import clvmodel as clv

PIXEL = ("data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n").decode(), (1, 1))


@pytest.fixture(scope="module")
def tx():
    return clv.datasets.load_cdnow_sample()


def test_customers_without_a_cac_are_not_counted_as_paid_back(tx, monkeypatch):
    from clvmodel.report import _figures

    monkeypatch.setattr(_figures, "to_data_uri", lambda draw, size=None: PIXEL)
    ids = sorted(tx["customer_id"].unique())
    channel = pd.Series(["web" if k % 2 else "organic" for k in range(len(ids))], index=ids)
    log = tx.assign(channel=tx["customer_id"].map(channel))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        html = clv.build_report(
            log, "1997-09-30", segments="channel", acquisition_cost={"web": 8.0, "organic": 0.0}
        )
    rows = table_rows(parse_report(html), "clv-cac")
    assert rows["organic"][-2:] == ["n/a", "n/a"]  # median payback, share paid back
    assert "%" in rows["web"][-1] and rows["web"][-1] != "n/a"
    # The row of all customers counts the customers with a CAC only.
    assert rows["All customers"][-1] == rows["web"][-1]
    assert re.search(r"Payback is n/a for organic \(no acquisition cost\)", html)
    assert "of customers with a CAC pay back" in html


def test_a_report_where_no_customer_has_a_cac_shows_no_payback(tx, monkeypatch):
    from clvmodel.report import _figures

    monkeypatch.setattr(_figures, "to_data_uri", lambda draw, size=None: PIXEL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        warnings.simplefilter("error", RuntimeWarning)  # no curve of nobody ("mean of empty")
        html = clv.build_report(tx, "1997-09-30", acquisition_cost=0.0)
    assert table_rows(parse_report(html), "clv-cac")["All customers"][-2:] == ["n/a", "n/a"]
    assert 'id="figure-payback"' not in html
