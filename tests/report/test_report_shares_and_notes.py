"""The bands' share of net CLV, the notes of the report's two fits, and the number of increases.

Defects these tests guard against:

* the bands table divided each band's net CLV by the signed total, so with a negative total (or
  bands of both signs) it printed shares of 441.6 % and −344.1 %;
* with customers who spend 0, the notes listed "174 repeat buyer(s) have monetary_value 0" and
  "197 repeat buyer(s) …" without saying that one is about the fit on the calibration period and
  the other about the fit on the whole log;
* ``build_report(increases=(0.05, 0.0))`` advised passing ``tiers=`` or ``thresholds=``, which
  build_report does not take.
"""

from __future__ import annotations

import base64
import html as htmllib
import re
import warnings

import pandas as pd
import pytest
from report_parsing import CALIBRATION_END, parse_report, table_rows

import clvmodel as clv
from clvmodel.report import _figures

PIXEL = ("data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n").decode(), (1, 1))
BANDS = ["below average", "around average", "above average"]


@pytest.fixture
def stubbed_figures(monkeypatch):
    """Figures are one pixel: these tests read tables and notes."""
    monkeypatch.setattr(_figures, "to_data_uri", lambda draw, size=None: PIXEL)


def _report(log, **options) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        return clv.build_report(log, CALIBRATION_END, **options)


def _notes(html: str) -> list[str]:
    block = re.search(r'<ul class="notes">(.*?)</ul>', html, re.S)
    return [htmllib.unescape(n) for n in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


# --------------------------------------------------------------------------------------------------
# Share of net CLV


@pytest.mark.parametrize(
    "cost_per_period, why",
    [
        # CDNOW: 82,286 in all, but the customers below average cost more than they bring.
        (1.0, "the customers below average add up to a negative net CLV"),
        (10.0, "the customers' net CLV adds up to -"),  # every band loses money
    ],
)
def test_shares_of_net_clv_are_not_shown_when_they_are_not_shares(
    cdnow_sample, stubbed_figures, cost_per_period, why
):
    html = _report(cdnow_sample, cost_per_period=cost_per_period)
    rows = table_rows(parse_report(html), "bands")
    assert [rows[band][3] for band in BANDS] == ["n/a"] * 3
    after = html.split('<table id="bands">')[1]
    note = htmllib.unescape(re.search(r'</table>\s*</div>\s*<p class="note">([^<]*)</p>', after)[1])
    assert note.startswith("Share of net CLV is n/a: ") and why in note


def test_shares_of_a_positive_total_from_bands_that_all_earn(cdnow_sample, stubbed_figures):
    html = _report(cdnow_sample, cost_per_period=0.2)
    rows = table_rows(parse_report(html), "bands")
    shares = [float(rows[band][3].rstrip(" %")) for band in BANDS]
    assert all(0 <= share <= 100 for share in shares)
    assert sum(shares) == pytest.approx(100.0, abs=0.15)
    assert "Share of net CLV is n/a" not in html


@pytest.mark.parametrize(
    "net, expected",
    [
        ([1.0, 2.0, 3.0, 10.0], {"below average": 0.375, "around average": 0.0}),
        ([0.0, 0.0, 5.0, 5.0], {"below average": 0.0, "above average": 1.0}),
    ],
)
def test_value_shares_of_bands_that_all_earn(net, expected):
    from clvmodel.report._analysis import _bands
    from clvmodel.report._sections_bands import _value_shares

    net = pd.Series(net)
    shares, why_not = _value_shares(net, _bands(net)[0])
    assert why_not is None
    assert shares.sum() == pytest.approx(1.0)
    for band, share in expected.items():
        assert shares[band] == pytest.approx(share)


@pytest.mark.parametrize(
    "net, words",
    [
        ([-5.0, 1.0, 2.0], "adds up to -2.00, not more than 0"),  # was 441.6 % and -344.1 %
        ([-1.0, -1.0, -1.0], "adds up to -3.00"),  # every band's share in [0, 1], of a loss
        ([0.0, 0.0], "adds up to 0.00"),
        ([-5.0, 3.0, 4.0], "the customers below average add up to a negative net CLV (-5.00)"),
    ],
)
def test_value_shares_are_refused_with_the_reason(net, words):
    from clvmodel.report._analysis import _bands
    from clvmodel.report._sections_bands import _value_shares

    net = pd.Series(net)
    shares, why_not = _value_shares(net, _bands(net)[0])
    assert shares is None
    assert why_not.startswith("Share of net CLV is n/a: ") and words in why_not


# --------------------------------------------------------------------------------------------------
# Notes of the two fits


def test_notes_of_zero_spend_say_which_fit_they_are_about(cdnow_sample, stubbed_figures):
    ids = sorted(cdnow_sample["customer_id"].unique())
    free = set(ids[1::2])
    log = cdnow_sample.assign(
        amount=cdnow_sample["amount"].where(~cdnow_sample["customer_id"].isin(free), 0.0)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        calibration, _ = clv.calibration_holdout_split(log, CALIBRATION_END)
        whole = clv.rfm_summary(log)

    def zero_spenders(rfm):
        return int(((rfm["frequency"] > 0) & (rfm["monetary_value"] == 0)).sum())

    html = _report(log)
    notes = [note for note in _notes(html) if "have monetary_value 0" in note]
    assert notes == [
        "Holdout check (models fitted on the calibration period): "
        f"{zero_spenders(calibration)} repeat buyer(s)" + notes[0].split("repeat buyer(s)")[1],
        "Value sections (models fitted on the whole log): "
        f"{zero_spenders(whole)} repeat buyer(s)" + notes[1].split("repeat buyer(s)")[1],
    ]
    assert zero_spenders(calibration) != zero_spenders(whole)
    # A note both fits raise in the same words is about the log: once, as it is.
    repeated = [note for note in _notes(html) if "repeat another row exactly" in note]
    assert len(repeated) == 1 and re.match(r"\d+ row\(s\) repeat", repeated[0])


def test_notes_name_the_fit_only_when_one_fit_raised_them():
    from clvmodel.report._notes import HOLDOUT_CHECK, VALUE_SECTIONS, Notes

    notes = Notes()
    with notes.fit(None):
        warnings.warn("about the log", clv.ClvWarning, stacklevel=1)
        with notes.fit(HOLDOUT_CHECK):
            warnings.warn("3 buyers", clv.StatisticalWarning, stacklevel=1)
            warnings.warn("both", clv.ClvWarning, stacklevel=1)
        with notes.fit(VALUE_SECTIONS):
            warnings.warn("4 buyers", clv.StatisticalWarning, stacklevel=1)
            warnings.warn("both", clv.ClvWarning, stacklevel=1)
            warnings.warn("about the log", clv.ClvWarning, stacklevel=1)
    assert notes.collect(str.upper) == {
        "ABOUT THE LOG": clv.ClvWarning,
        HOLDOUT_CHECK + "3 BUYERS": clv.StatisticalWarning,
        "BOTH": clv.ClvWarning,
        VALUE_SECTIONS + "4 BUYERS": clv.StatisticalWarning,
    }


# --------------------------------------------------------------------------------------------------
# The number of increases


@pytest.mark.parametrize("increases", [(0.05, 0.0), [0.05, 0.03, 0.01, 0.0]])
def test_increases_are_counted_in_build_reports_words(increases, monkeypatch):
    from clvmodel.report import _analysis

    def not_reached(*args):
        raise AssertionError("the number of increases is checked before the work")

    monkeypatch.setattr(_analysis, "analyse", not_reached)
    log = pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"], "amount": [1.0]})
    with pytest.raises(clv.InputError) as refused:
        clv.build_report(log, "2024-01-01", increases=increases)
    message = str(refused.value)
    assert message.startswith(f"increases gives {len(increases)} increase(s)")
    assert "three churn tiers (low, medium, high)" not in message  # said with the number
    assert "3 churn tiers (low, medium, high)" in message
    assert "increases=(0.05, 0.025, 0.0)" in message
    assert "tiers=" not in message.replace("churn tiers", "") and "thresholds" not in message


@pytest.mark.parametrize("increases", ["5%", {"low": 0.05, "medium": 0.0, "high": 0.0}, 0.05])
def test_increases_must_be_a_sequence(increases):
    log = pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"], "amount": [1.0]})
    with pytest.raises(clv.InputError, match=r"increases must be a sequence of 3 fractions"):
        clv.build_report(log, "2024-01-01", increases=increases)
