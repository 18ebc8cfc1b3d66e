"""Tests of ``clv.dayone.evaluate_day_one``'s split and the warnings of its fits.

The seeded split of customers into fitting and evaluation halves must not depend on the log's row
order (both halves come in sorted id order). The two fits read the same histories: a warning about
the data is given once, and none about the evaluation customers' attributes, which are held back
by design.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.dayone import evaluate_day_one


# evaluate_day_one: the seeded split
@pytest.fixture(scope="module")
def evaluations():
    sample = clv.datasets.load_cdnow_sample()
    log = sample[sample["customer_id"].isin(sample["customer_id"].unique()[:800])]
    shuffled = log.sample(frac=1, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        return evaluate_day_one(log, seed=0), evaluate_day_one(shuffled, seed=0)


def test_the_seeded_split_does_not_depend_on_the_row_order(evaluations):
    given_order, shuffled = evaluations
    pd.testing.assert_index_equal(given_order.fit_customers, shuffled.fit_customers)
    pd.testing.assert_index_equal(given_order.predictions.index, shuffled.predictions.index)
    pd.testing.assert_frame_equal(given_order.metrics, shuffled.metrics, rtol=1e-9)


def test_the_split_halves_are_in_sorted_id_order(evaluations):
    result = evaluations[0]
    assert result.fit_customers.is_monotonic_increasing
    assert result.predictions.index.is_monotonic_increasing


# evaluate_day_one: the fits' warnings
def test_evaluation_warns_about_the_data_once_and_not_about_its_own_split():
    sample = clv.datasets.load_cdnow_sample()
    log = sample[sample["customer_id"].isin(sample["customer_id"].unique()[:800])].copy()
    counts = log.groupby("customer_id")["date"].nunique()
    # Three repeat buyers' purchases made free: the spend models leave them out, and say so.
    log.loc[log["customer_id"].isin(counts.index[counts > 1][:3]), "amount"] = 0.0
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        evaluate_day_one(log, seed=0)
    texts = [str(item.message) for item in seen]
    zero_spend = [text for text in texts if "monetary_value 0" in text]
    assert len(zero_spend) == 1, texts  # both fits read these histories; one warning
    # The evaluation customers' attributes are held back by design, not missing from the data.
    assert not any("not in the RFM table" in text for text in texts), texts
    assert len(texts) == len(set(texts)), texts
