"""Tests of ``clv.subscription_value`` on cohorts: large, weighted, too short or drawn.

* The naive comparison of a large cohort built one row per subscriber twice; it uses little
  memory now.
* Comparing models on weighted rows (one row per group) is refused: N and the projection would
  be wrong.
* Too few counts say how many are needed; a drawn cohort that cannot be compared is named as a
  drawn cohort, not as ``counts`` the caller never gave.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import clvmodel as clv
from clvmodel import subscriptions
from clvmodel.errors import InputError
from clvmodel.subscription_value import (
    naive_vs_model_on_simulated_cohorts,
    naive_vs_model_retention,
)

# Fader and Hardie (2007), "How to project customer retention", the "regular" cohort.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]


def test_the_naive_comparison_of_a_large_cohort_uses_little_memory():
    # Before: it built one row per subscriber twice (to check the counts, then to fit).
    small = naive_vs_model_retention(REGULAR, 7)
    tracemalloc.start()
    try:
        large = naive_vs_model_retention([c * 1000 for c in REGULAR], 7)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10e6  # one row per subscriber: 10^6 × 40 bytes
    assert large.retention == pytest.approx(small.retention)
    np.testing.assert_allclose(large.model.params_, small.model.params_, rtol=1e-5)


def test_comparing_models_on_weighted_rows_is_refused():
    # One row per group would be counted as one subscriber: N and the projection N × S(t) wrong.
    from clvmodel.subscription_value import compare_retention_models

    groups = subscriptions.from_survival_counts(REGULAR[:8], weighted=True)
    with pytest.raises(InputError, match="one row per subscriber"):
        compare_retention_models(groups, holdout=REGULAR[8:])


def test_naive_comparison_on_too_few_counts_says_how_many_are_needed():
    from clvmodel.subscription_value import naive_vs_model_retention

    with pytest.raises(InputError, match="at least 4") as caught:
        naive_vs_model_retention([1000, 631, 468], 2)
    assert "from 2 to 1" not in str(caught.value)


@pytest.mark.parametrize(
    "params",
    [
        {"alpha": 50.0, "beta": 1.0},  # θ ≈ 0.98: the cohort is gone before fit_periods
        {"alpha": 0.01, "beta": 100.0},  # θ ≈ 1e-4: nobody cancels in 5 periods
    ],
)
def test_an_unusable_drawn_cohort_is_explained(params):
    # Before: "counts[3] is 0: …" / "no subscriber has cancelled …", about counts never passed.
    population = clv.ShiftedBetaGeoModel.from_params(params)
    with pytest.raises(InputError, match=r"^cohort 0 drawn from the model, survivors \[50, "):
        naive_vs_model_on_simulated_cohorts(population, 3, 2, n_cohorts=2, cohort_size=50,
                                            random_state=0)  # fmt: skip
