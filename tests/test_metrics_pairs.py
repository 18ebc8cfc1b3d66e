"""clvmodel.metrics pairs predictions with outcomes, and correlates them.

Series in different orders were paired by position (an AUC of 0 for a perfect score, an MAE of
1.33 for perfect predictions): they are paired by customer, and Series of different customers are
refused. prediction_errors reported two pairs as correlated perfectly (any two pairs are), and
predictions equal but for rounding with scipy's "nearly constant input" warning and a correlation
of rounding noise: both correlations are NaN."""

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel import metrics
from clvmodel.metrics import prediction_errors


def test_series_in_different_orders_are_paired_by_customer():
    # Scores sorted by churn risk against holdout outcomes in file order were paired by
    # position: an AUC of 0 for a perfect score, an MAE of 1.33 for perfect predictions.
    risk = pd.Series([0.9, 0.6, 0.2, 0.1], index=["d", "c", "b", "a"])
    silent = pd.Series([False, False, True, True], index=["a", "b", "c", "d"])
    assert metrics.roc_auc(risk, silent) == 1.0
    assert metrics.brier_score(risk, silent) == pytest.approx(
        np.mean((risk.to_numpy() - [1, 1, 0, 0]) ** 2)
    )
    predicted = pd.Series([1.0, 2.0, 3.0], index=[2, 1, 0])
    actual = pd.Series([3.0, 2.0, 1.0], index=[0, 1, 2])
    errors = metrics.prediction_errors(predicted, actual)
    assert errors["mae"] == 0.0 and errors["pearson"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("predicted_ids", "actual_ids", "words"),
    [
        (["a", "b", "x"], ["a", "b", "c"], r"\['x'\] only in the predictions"),
        (["a", "b"], ["a", "b", "c"], r"\['c'\] only in the outcomes"),
        (["a", "b", "a"], ["b", "a", "a"], r"ids that repeat"),
    ],
)
def test_series_of_different_customers_are_refused(predicted_ids, actual_ids, words):
    predicted = pd.Series(np.linspace(0.1, 0.4, len(predicted_ids)), index=predicted_ids)
    actual = pd.Series(np.arange(len(actual_ids)) % 2, index=actual_ids)
    with pytest.raises(clv.InputError, match=rf"different customers \({words}"):
        metrics.roc_auc(predicted, actual)


def test_correlations_of_predictions_equal_but_for_rounding_are_nan_without_a_warning():
    # Predictions equal up to the last bit of a float made scipy warn (nearly constant
    # input) and gave a correlation of rounding noise.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        errors = metrics.prediction_errors([1.0, 1.0 + 2e-16, 1.0, 1.0], [0.0, 1.0, 2.0, 3.0])
    assert np.isnan(errors["pearson"]) and np.isnan(errors["spearman"])
    assert errors["mae"] == pytest.approx(1.0)


def test_correlations_of_two_pairs_are_not_reported_as_perfect():
    # A one-day holdout with two buyers printed Pearson 1.000 and Spearman 1.000 for spend: any
    # two pairs correlate perfectly.
    errors = prediction_errors([10.0, 30.0], [25.0, 26.0])
    assert np.isnan(errors["pearson"]) and np.isnan(errors["spearman"])
    assert errors["mae"] == pytest.approx(9.5)  # (15 + 4) / 2
    three = prediction_errors([10.0, 30.0, 20.0], [25.0, 26.0, 27.0])
    assert three["pearson"] == pytest.approx(0.5)
