"""clvmodel.evaluate_holdout's options as the command line uses them: interval=, gg= with the
holdout spend, and HoldoutReport.to_text(tracking_rows=).

interval= with a model whose parameter uncertainty cannot be drawn (no covariance, or parameters
not identified) raised an InputError and gave no report: it warns (StatisticalWarning, saying why)
and gives the rest of the report without coverage, while a bad interval is still refused first.
calibration_holdout_split and tracking_table, which both end the holdout with observation_end,
warned of a holdout past the data with two near-copies of the advice. tracking_rows that is not a
whole number raised a raw TypeError; bad holdout spend was refused without naming the customer, or
with a raw ValueError for text."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import clvmodel as clv

pytestmark = pytest.mark.filterwarnings("ignore:.*repeat another row exactly")


@pytest.fixture(scope="module")
def split():
    transactions = clv.datasets.load_cdnow_sample()
    cal, hold = clv.calibration_holdout_split(transactions, "1997-09-30", "1998-06-30")
    return cal, hold, clv.BetaGeoModel().fit(cal)


def test_interval_without_covariance_warns_and_evaluates(split):
    cal, hold, bg = split
    known = clv.BetaGeoModel.from_params(dict(bg.params_), "W")
    # Was InputError: "this BetaGeoModel has no parameter covariance ...", and no report at all.
    with pytest.warns(clv.StatisticalWarning, match="interval=0.9.*no covariance"):
        report = clv.evaluate_holdout(known, cal, hold, interval=0.9)
    assert report.coverage is None
    assert report.to_dict()["coverage_interval"] is None
    expected = clv.evaluate_holdout(known, cal, hold)
    pd.testing.assert_frame_equal(report.metrics, expected.metrics)


def test_interval_with_unidentified_parameters_warns(split):
    cal, hold, bg = split
    broken = clv.BetaGeoModel.from_params(dict(bg.params_), "W")
    covariance = bg.covariance_.copy()
    covariance.iloc[0, 0] = float("nan")
    broken.covariance_ = covariance
    with pytest.warns(clv.StatisticalWarning, match="not identified"):
        report = clv.evaluate_holdout(broken, cal, hold, interval=0.8)
    assert report.coverage is None


def test_bad_interval_is_refused_before_the_covariance_is_looked_at(split):
    cal, hold, bg = split
    known = clv.BetaGeoModel.from_params(dict(bg.params_), "W")
    with pytest.raises(clv.InputError, match="interval must be strictly between 0 and 1"):
        clv.evaluate_holdout(known, cal, hold, interval=1.5)


def test_fitted_model_still_measures_coverage_without_a_warning(split):
    cal, hold, bg = split
    with warnings.catch_warnings():
        warnings.simplefilter("error", clv.StatisticalWarning)
        report = clv.evaluate_holdout(bg, cal, hold, interval=0.9)
    assert report.coverage.attrs["interval"] == 0.9


def test_split_and_tracking_give_one_advice_for_a_holdout_past_the_data(split):
    """Both set the end of the holdout with observation_end; they warned with two near-copies of
    the advice ("to end the holdout there" / "to end the tracking there")."""
    from clvmodel._holdout_split import QUIET_END_ADVICE

    _, _, bg = split
    transactions = clv.datasets.load_cdnow_sample()
    with pytest.warns(clv.StatisticalWarning, match="no transaction in the last") as by_split:
        clv.calibration_holdout_split(transactions, "1997-09-30", "1999-12-31")
    with pytest.warns(clv.StatisticalWarning, match="no transaction in the last") as by_tracking:
        clv.tracking_table(bg, transactions, "1997-09-30", "1999-12-31")
    quiet = [
        str(w.message)
        for w in [*by_split, *by_tracking]
        if "no transaction in the last" in str(w.message)
    ]
    assert len(quiet) == 2
    assert all(message.endswith(QUIET_END_ADVICE) for message in quiet)
    assert quiet[0] == quiet[1]


@pytest.mark.parametrize("rows", ["x", None, 2.5, 1, True])
def test_to_text_refuses_a_bad_number_of_tracking_rows_in_words(split, rows):
    cal, hold, bg = split
    report = clv.evaluate_holdout(bg, cal, hold, transactions=clv.datasets.load_cdnow_sample())
    # Was TypeError: unsupported operand type(s) for -: 'str' and 'int' (for "x" and None).
    with pytest.raises(clv.InputError, match="tracking_rows must be a whole number"):
        report.to_text(tracking_rows=rows)
    assert report.to_text(tracking_rows=2).count("\n") < report.to_text().count("\n")


@pytest.mark.parametrize("value", [float("nan"), -1.0, "a lot"])
def test_bad_holdout_spend_names_the_customers(split, value):
    cal, hold, bg = split
    gg = clv.GammaGammaModel.from_params(dict(p=6.25, q=3.74, v=15.44))
    bad = hold.astype({"monetary_value_holdout": object})
    bad.iloc[3, bad.columns.get_loc("monetary_value_holdout")] = value
    # Was "monetary_value_holdout must be finite and ≥ 0." without a customer, or a raw
    # ValueError (could not convert string to float) for text.
    with pytest.raises(clv.InputError, match="monetary_value_holdout") as caught:
        clv.evaluate_holdout(bg, cal, bad, gg=gg)
    if not isinstance(value, str):
        assert str(hold.index[3]) in str(caught.value)
