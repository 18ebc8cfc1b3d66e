"""What the holdout report's text says about its scores, checked against its own numbers.

* The note that P(alive) ranks buyers poorly because every customer without a repeat purchase
  has P(alive) = 1 holds for BG/NBD (its P(alive) at x = 0 is 1, eq. 5 of Fader, Hardie and Lee
  2005, "Counting your customers the easy way") but not for Pareto/NBD or MBG/NBD, which give
  those customers less: the report prints it only when its customers bear it out.
* Reliability tables bin customers by quantile of the score with tied scores in one bin, so
  there may be fewer than ten; the text gives the number of bins and names the bin edges as the
  score's range, not as an interval of the observed rate.
* `build_report` values customers by their spend, so a log without amounts is refused up front.
"""

from __future__ import annotations

import dataclasses
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from published import PUBLISHED_BG

import clvmodel as clv

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"
# Fader, Hardie & Lee (2005), Marketing Science 24(2): BG/NBD on the CDNOW sample, 39 weeks.
BGNBD = PUBLISHED_BG
# Fader, Hardie & Lee (2005), "A note on implementing the Pareto/NBD model in MATLAB": the same
# data and calibration period.
PARETO = {"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562}
NOTE = re.compile(r"All ([\d,]+) customers without a repeat purchase have P\(alive\) = 1")


@pytest.fixture(scope="module")
def split():
    with warnings.catch_warnings():  # the sample's 21 repeated rows count as purchases
        warnings.simplefilter("ignore", clv.ClvWarning)
        return clv.calibration_holdout_split(
            clv.datasets.load_cdnow_sample(),
            calibration_end=CALIBRATION_END,
            observation_end=OBSERVATION_END,
        )


@pytest.fixture(scope="module")
def reports(split):
    calibration, holdout = split
    models = {
        "BG/NBD": clv.BetaGeoModel.from_params(BGNBD, time_unit="W"),
        "Pareto/NBD": clv.ParetoNBDModel.from_params(PARETO, time_unit="W"),
        "MBG/NBD": clv.ModifiedBetaGeoModel().fit(calibration),
    }
    return {name: clv.evaluate_holdout(m, calibration, holdout) for name, m in models.items()}


def _zero_alive(report):
    customers = report.customers
    return customers.loc[customers["frequency"] == 0, "probability_alive"].to_numpy()


def test_bgnbd_report_says_p_alive_is_1_for_every_customer_without_repeat(reports):
    report = reports["BG/NBD"]
    alive = _zero_alive(report)
    assert alive.size == 1411 and np.all(alive == 1.0)  # 1,411 CDNOW customers with x = 0
    notes = NOTE.findall(str(report))
    assert notes == ["1,411"]
    assert "P(purchase) = 1 − P(no purchase in the holdout) is the better churn score" in str(
        report
    )


@pytest.mark.parametrize("model", ["Pareto/NBD", "MBG/NBD"])
def test_models_that_give_them_less_get_no_such_note(reports, model):
    report = reports[model]
    alive = _zero_alive(report)
    assert alive.size == 1411 and alive.max() < 0.9  # the note would be false here
    text = str(report)
    assert not NOTE.search(text)
    assert "gives P(alive) = 1" not in text
    assert "ranks buyers poorly" not in text


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4), st.booleans())
def test_the_note_follows_the_numbers_not_the_model(reports, values, all_one):
    """The note appears exactly when the customers without a repeat purchase all have
    P(alive) within 1e-9 of 1, whatever the model's name."""
    report = reports["Pareto/NBD"]
    customers = report.customers.copy()
    zero = customers.index[customers["frequency"] == 0]
    alive = np.resize(np.array(values), zero.size)
    if all_one:
        alive = 1.0 - alive * 1e-10  # 1 to rounding
    customers.loc[zero, "probability_alive"] = alive
    changed = dataclasses.replace(report, customers=customers)
    expected = bool(np.all(np.abs(alive - 1.0) <= 1e-9))
    assert bool(NOTE.search(str(changed))) is expected


def test_reliability_text_counts_bins_and_names_the_score_range(reports):
    report = reports["BG/NBD"]
    text = str(report)
    assert "decile" not in text
    # P(alive) = 1 for 1,411 of 2,357 customers: the ties make one bin, so fewer than ten.
    bins_alive = len(report.reliability_alive)
    assert bins_alive < 10
    assert (
        f"Reliability of P(alive): share who bought, by score bin ({bins_alive} quantile bins; "
        "tied scores share a bin)"
    ) in text
    bins_purchase = len(report.reliability_purchase)
    assert f"by score bin ({bins_purchase} quantile bins;" in text
    header = [line for line in text.splitlines() if "mean_predicted" in line and "observed" in line]
    assert len(header) == 2
    for line in header:
        assert line.split() == [
            "customers", "mean_predicted", "observed_rate", "score", "from", "score", "to"
        ]  # fmt: skip
    assert f"prediction ({len(report.predicted_vs_actual)} quantile bins;" in text
    # The tables themselves, and the JSON, keep their column names.
    assert list(report.reliability_alive.columns) == [
        "customers", "mean_predicted", "observed_rate", "lower", "upper"
    ]  # fmt: skip
    assert set(report.to_dict()["reliability"]["alive"][0]) >= {"lower", "upper"}


@pytest.mark.parametrize("drop", [False, True])
def test_build_report_refuses_a_log_without_amounts_up_front(tmp_path, drop):
    tx = clv.datasets.load_cdnow_sample()
    kwargs = {"amount_col": None}
    if drop:  # the default amount column is missing
        tx, kwargs = tx.drop(columns="amount"), {}
    with pytest.raises(clv.InputError) as caught:
        clv.build_report(tx, CALIBRATION_END, tmp_path / "r.html", **kwargs)
    message = str(caught.value)
    assert "the report values customers by what they spend (value, clv)" in message.lower()
    assert "amount_col=" in message
    assert "clvmodel.evaluate_holdout" in message
    assert "amount_col=None" in message  # fitting without amounts, for purchases alone
    assert "RFM table" not in message
    assert not (tmp_path / "r.html").exists()
