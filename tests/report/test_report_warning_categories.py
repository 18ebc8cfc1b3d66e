"""``build_report`` re-raises the warnings of the functions it calls with their own category: a
StatisticalWarning stays one (before, every note came back as a plain ClvWarning, so a filter
on StatisticalWarning missed them)."""

from __future__ import annotations

import warnings

import pytest
from figure_stubs import embed_figures_as_pixels

import clvmodel as clv
from clvmodel.errors import ClvWarning, StatisticalWarning
from clvmodel.report._notes import HOLDOUT_CHECK, VALUE_SECTIONS


@pytest.fixture(scope="module")
def caught():
    """The warnings of a report whose observation end lies a year after the last transaction, so
    that every customer's churn risk is high and the "low" tier is empty. Its figures are drawn
    (a figure's warning is still caught) but not rendered: the tests read warnings, not images."""
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings(record=True) as seen:
        embed_figures_as_pixels(patch)
        warnings.simplefilter("always")
        clv.build_report(
            clv.datasets.load_cdnow_sample(), "1997-09-30", observation_end="1999-06-30"
        )
    return {str(w.message): w.category for w in seen}


def category_of(caught, start: str):
    found = [category for text, category in caught.items() if text.startswith(start)]
    assert len(found) == 1, list(caught)
    return found[0]


def test_statistical_warnings_keep_their_category(caught):
    # Each raised by one of the report's two fits, which the note names.
    tiers = VALUE_SECTIONS + "churn tier(s) ['low'] have no customers"
    assert category_of(caught, tiers) is StatisticalWarning
    silent = HOLDOUT_CHECK + "no transaction in the last 365 days"
    assert category_of(caught, silent) is StatisticalWarning


def test_plain_warnings_stay_plain(caught):
    # rfm_summary warns about the 21 repeated rows of the sample with a ClvWarning (in both fits,
    # in the same words: a note about the log, named after no fit).
    assert category_of(caught, "21 row(s) repeat another row exactly") is ClvWarning


def test_filters_on_statistical_warnings_now_apply(monkeypatch):
    embed_figures_as_pixels(monkeypatch)  # the test reads the warnings, not the images
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", StatisticalWarning)
        clv.build_report(
            clv.datasets.load_cdnow_sample(), "1997-09-30", observation_end="1999-06-30"
        )
    texts = [str(w.message) for w in seen]
    assert not any("churn tier(s)" in text for text in texts)
    assert any("repeat another row" in text for text in texts)
