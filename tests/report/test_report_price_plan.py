"""The report's staged price plan (build_report): its words, its stage_wait and its stage starts.

At a 30 % margin the table showed a stage's predicted CLV beside an extra revenue that is the
increase of revenue (the increase × the CLV / the margin), with no word of the margin, so that a
reader checking the product took the figure for an error; nor did it say over which horizon its
predicted CLV counts. build_report(stage_wait="2M") was refused, although price_increase_plan,
whose stages the report shows, takes "8W" or "2M"; stage starts in weeks are shown rounded."""

import re
import warnings
from html import unescape

import pandas as pd
import pytest
from figure_stubs import embed_figures_as_pixels

import clvmodel as clv


def _text(html: str) -> str:
    """The report's words, without tags and images."""
    html = re.sub(r"<img[^>]*>", " ", html)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture(scope="module")
def margin_report():
    """The report of the CDNOW sample with a 30 % margin: its words and its analysis's plan
    (figures drawn but not rendered: the tests read the words)."""
    from clvmodel.report import _analysis

    captured = {}
    analyse = _analysis.analyse

    def keep(*args, **kwargs):
        captured["analysis"] = analyse(*args, **kwargs)
        return captured["analysis"]

    _analysis.analyse = keep
    try:
        with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
            embed_figures_as_pixels(patch)
            warnings.simplefilter("ignore")
            html = clv.build_report(
                clv.datasets.load_cdnow_sample(), "1997-09-30", margin=0.3, discount_rate=0.1
            )
    finally:
        _analysis.analyse = analyse
    return _text(html), captured["analysis"]


def test_price_plan_says_its_extra_revenue_is_the_increase_of_revenue_not_of_clv(margin_report):
    # At a 30 % margin the table showed a stage's predicted CLV of 24,932 beside an extra
    # revenue of 4,155 for a 5 % increase (5 % of 24,932 / 0.3), with no word of the margin: a
    # reader checking 5 % × 24,932 = 1,247 took the figure for an error.
    text, analysis = margin_report
    stage = analysis.plan.stages.iloc[0]
    assert stage["extra_revenue"] == pytest.approx(
        stage["increase"] * stage["total_predicted_clv"] / 0.3
    )
    start = text.index("Staged price increase by churn-risk tier")
    note = text[start : text.index("Break-even extra churn: the share", start)]
    assert "margin of 30.0 %" in note
    assert re.search(r"Extra revenue: the price increase × the stage's predicted revenue", note)


def test_price_plan_says_over_which_horizon_its_predicted_clv_counts(margin_report):
    # The caption names the churn horizon (39 weeks); the predicted CLV counts over the value
    # horizon (24 months), discounted, which the table did not say.
    text, analysis = margin_report
    start = text.index("Staged price increase by churn-risk tier")
    note = text[start : text.index("Break-even extra churn: the share", start)]
    assert analysis.settings.horizon_words == "24 months"
    assert "Predicted CLV: over the next 24 months, discounted at 10.0 % a year" in note


def test_stage_wait_is_taken_as_a_duration_as_the_price_plan_takes_it():
    # build_report(stage_wait="2M") was refused ("stage_wait must be a finite number"),
    # although price_increase_plan, whose stages the report shows, takes "8W" or "2M".
    from clvmodel.report._build import _stage_wait

    assert _stage_wait("8W") == pytest.approx(8.0)
    assert _stage_wait("2M") == pytest.approx(2 * 365.25 / 12 / 7)
    assert _stage_wait(8) == 8.0
    with pytest.raises(clv.InputError, match=r"stage_wait"):
        _stage_wait("0W")


def test_stage_starts_in_weeks_are_shown_rounded():
    from clvmodel.report._sections_plan import churn_section

    class Settings:
        churn_horizon = clv.Duration(39, "W")
        horizon_words = "24 months"
        margin = 1.0
        discount_rate = 0.1

    scores = pd.DataFrame(
        {"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [30.0, 20.0, 1.0]},
        index=["a", "b", "c"],
    )
    plan = clv.price_increase_plan(scores, thresholds=(0.5, 0.8), stage_wait="2M", margin=1.0)

    class Analysis:
        settings = Settings()

    Analysis.plan = plan
    table = churn_section(Analysis()).blocks[0]
    starts = [cells[2].text for _, cells in table.rows]
    assert starts == ["0", "8.7", "17.4"]
