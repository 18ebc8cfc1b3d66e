"""Prediction metrics, checked against direct definitions."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.metrics import brier_score, prediction_errors, reliability_table, roc_auc


def _auc_by_pairs(score, outcome):
    positives = [s for s, y in zip(score, outcome, strict=True) if y]
    negatives = [s for s, y in zip(score, outcome, strict=True) if not y]
    wins = sum(
        1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(positives, negatives)
    )
    return wins / (len(positives) * len(negatives))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5).map(lambda v: v / 5), st.booleans()), min_size=2, max_size=40
    ).filter(lambda rows: 0 < sum(y for _, y in rows) < len(rows))
)
def test_auc_equals_the_share_of_correctly_ordered_pairs(rows):
    score, outcome = zip(*rows, strict=True)
    assert roc_auc(score, outcome) == pytest.approx(_auc_by_pairs(score, outcome))


def test_auc_needs_both_classes():
    with pytest.raises(clv.InputError, match="both outcomes"):
        roc_auc([0.1, 0.2], [1, 1])


def test_brier_and_errors_by_hand():
    assert brier_score([0.2, 0.9], [0, 1]) == pytest.approx((0.04 + 0.01) / 2)
    errors = prediction_errors([2.0, 4.0, 6.0], [1.0, 5.0, 6.0])
    assert errors["mae"] == pytest.approx(2 / 3)
    assert errors["rmse"] == pytest.approx(np.sqrt(2 / 3))
    assert errors["bias"] == pytest.approx(0.0)
    assert errors["total_error_pct"] == pytest.approx(0.0)
    assert np.isnan(prediction_errors([1.0, 1.0], [0.0, 2.0])["pearson"])


def test_reliability_keeps_ties_together_and_counts_everyone():
    rng = np.random.default_rng(3)
    probability = np.repeat([0.1, 0.5, 0.9], [300, 500, 200])
    outcome = rng.random(probability.size) < probability
    table = reliability_table(probability, outcome, bins=10)
    assert table["customers"].sum() == probability.size
    np.testing.assert_allclose(table["mean_predicted"], [0.1, 0.5, 0.9])
    assert (table["lower"] == table["upper"]).all()


def test_mismatched_lengths_raise():
    with pytest.raises(clv.InputError, match="differ in length"):
        brier_score([0.1, 0.2], [1])
