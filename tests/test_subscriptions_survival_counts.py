"""Tests of ``clv.subscriptions.from_survival_counts`` for large cohorts.

A huge cohort was turned into one row per subscriber (40 bytes each: 40 GB for 10^9); it is
refused, pointing to ``weighted=True``, whose few rows fit as the rows of every subscriber.
"""

from __future__ import annotations

import numpy as np
import pytest

import clvmodel as clv
from clvmodel import subscriptions
from clvmodel.errors import InputError

# Fader and Hardie (2007), "How to project customer retention", the "regular" cohort.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]


def test_a_huge_cohort_is_refused_without_building_its_rows():
    # Before: one row per subscriber, 40 bytes each (a cohort of 10^9 would need 40 GB).
    with pytest.raises(InputError, match="weighted=True"):
        subscriptions.from_survival_counts([2e10, 1e10, 5e9])


def test_weighted_rows_fit_as_the_rows_of_every_subscriber():
    each = subscriptions.from_survival_counts(REGULAR[:8], period="Y")
    groups = subscriptions.from_survival_counts(REGULAR[:8], period="Y", weighted=True)
    assert len(groups) == 8 and groups["subscribers"].sum() == REGULAR[0]
    assert groups.attrs["period"] == "Y"
    a = clv.ShiftedBetaGeoModel().fit(each)
    b = clv.ShiftedBetaGeoModel().fit(groups, weights=groups["subscribers"])
    np.testing.assert_allclose(b.params_.to_numpy(), a.params_.to_numpy(), rtol=1e-6)
    assert b.log_likelihood_ == pytest.approx(a.log_likelihood_, rel=1e-9)


def test_weighted_rows_of_a_huge_cohort_are_few():
    groups = subscriptions.from_survival_counts([1e9, 6e8, 4e8], weighted=True)
    assert groups["subscribers"].tolist() == [4e8, 2e8, 4e8]
    assert groups[["periods", "cancelled"]].values.tolist() == [[1, 1], [2, 1], [2, 0]]
