"""When the holdout report says P(alive) ranks buyers poorly because of ties at P(alive) = 1.

The note claims three things: every customer without a repeat purchase has P(alive) = 1 (BG/NBD),
so P(alive) ranks buyers poorly, and P(purchase) is the better churn score. The report prints it
only when its own churn-score table bears that out: those customers exist and are all at 1, and
P(purchase)'s ROC AUC is above P(alive)'s. It used to print it from the first condition alone,
under a table saying the opposite (the customers without a repeat purchase were the buyers) or
nothing at all (everybody bought in the holdout: both AUCs undefined).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from published import PUBLISHED_BG

import clvmodel as clv

# Fader, Hardie & Lee (2005), Marketing Science 24(2): BG/NBD on the CDNOW sample, 39 weeks.
BGNBD = PUBLISHED_BG
NOTE = re.compile(r"All ([\d,]+) customers without a repeat purchase have P\(alive\) = 1")
BETTER = "is the better churn score"


@pytest.fixture(scope="module")
def split(cdnow_split):
    return cdnow_split


@pytest.fixture(scope="module")
def model():
    return clv.BetaGeoModel.from_params(BGNBD, time_unit="W")


def _zero_alive(report):
    customers = report.customers
    return customers.loc[customers["frequency"] == 0, "probability_alive"].to_numpy()


def test_note_is_kept_when_the_scores_bear_it_out(split, model):
    calibration, holdout = split
    report = clv.evaluate_holdout(model, calibration, holdout)
    auc = report.churn_scores["roc_auc"]
    assert np.all(_zero_alive(report) == 1.0)
    assert auc["probability_purchase"] > auc["probability_alive"]
    zero = int((calibration["frequency"] == 0).sum())
    assert NOTE.findall(str(report)) == [f"{zero:,}"]
    assert BETTER in str(report)


def test_no_note_when_every_customer_made_a_repeat_purchase(split, model):
    """The reported case: no customer without a repeat purchase, so no ties to speak of."""
    calibration, holdout = split
    repeat = calibration["frequency"] > 0
    calibration, holdout = calibration[repeat].copy(), holdout[repeat].copy()
    report = clv.evaluate_holdout(model, calibration, holdout)
    assert _zero_alive(report).size == 0
    text = str(report)
    assert not NOTE.search(text)
    assert "ranks buyers poorly" not in text and BETTER not in text


def test_no_note_when_p_alive_ranks_the_buyers_better(split, model):
    """The customers without a repeat purchase are the ones who came back: their tie at the top
    of P(alive) helps it, and the table above says P(alive) has the higher ROC AUC."""
    calibration, holdout = split
    holdout = holdout.copy()
    zero = calibration["frequency"] == 0
    holdout.loc[zero, "frequency_holdout"] = 2
    holdout.loc[zero, "monetary_value_holdout"] = 20.0
    report = clv.evaluate_holdout(model, calibration, holdout)
    auc = report.churn_scores["roc_auc"]
    assert np.all(_zero_alive(report) == 1.0)  # the ties are there ...
    assert auc["probability_alive"] > auc["probability_purchase"]  # ... but P(alive) wins
    text = str(report)
    assert not NOTE.search(text)
    assert BETTER not in text


def test_no_note_when_everybody_bought_in_the_holdout(split, model):
    """With no non-buyer there is no ranking to judge: both AUCs are undefined."""
    calibration, holdout = split
    holdout = holdout.copy()
    holdout["frequency_holdout"] = holdout["frequency_holdout"].clip(lower=1)
    spend = holdout["monetary_value_holdout"]
    holdout["monetary_value_holdout"] = spend.where(spend > 0, 20.0)
    report = clv.evaluate_holdout(model, calibration, holdout)
    auc = report.churn_scores["roc_auc"]
    assert math.isnan(auc["probability_alive"]) and math.isnan(auc["probability_purchase"])
    assert np.all(_zero_alive(report) == 1.0)
    text = str(report)
    assert not NOTE.search(text)
    assert BETTER not in text
