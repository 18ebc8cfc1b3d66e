"""Subscription tables and cohort counts: defects found by a hunt over dates and sizes.

A date-only end on the day of a start with a time of day (a same-day cancellation), and survivor
counts of a cohort too large for one row per subscriber.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel import subscriptions
from clvmodel.errors import InputError
from clvmodel.subscription_value import naive_vs_model_retention

END = "2024-06-30"
# Fader and Hardie (2007), "How to project customer retention", the "regular" cohort.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]


def _table(starts, ends):
    return pd.DataFrame(
        {"customer_id": [f"c{i}" for i in range(len(starts))], "start": starts, "end": ends}
    )


def test_a_date_only_end_on_the_day_of_a_timed_start_is_a_same_day_cancellation():
    # Before: "2024-03-05" (midnight) < "2024-03-05 15:00", so the row was refused as an end
    # before its start, while the same row without the start's time gave one period.
    timed = _table(["2024-03-05 15:00"], ["2024-03-05"])
    dated = _table(["2024-03-05"], ["2024-03-05"])
    rows = subscriptions.from_subscription_table(timed, observation_end=END)
    expected = subscriptions.from_subscription_table(dated, observation_end=END)
    assert rows[["periods", "cancelled"]].to_dict("list") == {"periods": [1], "cancelled": [1]}
    assert rows[["periods", "cancelled"]].equals(expected[["periods", "cancelled"]])
    accepted, rejects, _ = subscriptions.screen_subscription_table(timed, observation_end=END)
    assert len(accepted) == 1 and rejects.empty


@pytest.mark.parametrize("period", ["M", "W", "Y"])
def test_the_screen_and_the_strict_reading_agree_on_same_day_ends(period):
    table = _table(
        ["2024-03-05 15:00", "2024-03-05 15:00", "2024-03-05 15:00", "2024-01-31 10:00"],
        ["2024-03-05", "2024-03-05 16:00", "2024-03-04", "2024-02-29"],
    )
    accepted, rejects, _ = subscriptions.screen_subscription_table(table, observation_end=END)
    assert rejects["customer_id"].tolist() == ["c2"]  # the day before the start stays refused
    rows = subscriptions.from_subscription_table(accepted, observation_end=END, period=period)
    assert rows["periods"].min() >= 1 and rows["cancelled"].eq(1).all()
    with pytest.raises(InputError, match="before the start date"):
        subscriptions.from_subscription_table(table, observation_end=END, period=period)


def test_an_end_with_a_time_before_a_start_that_day_is_still_refused():
    table = _table(["2024-03-05 15:00"], ["2024-03-05 09:00"])
    with pytest.raises(InputError, match="before the start date"):
        subscriptions.from_subscription_table(table, observation_end=END)
    _, rejects, _ = subscriptions.screen_subscription_table(table, observation_end=END)
    assert rejects["reason"].tolist() == ["end date before start date"]


def test_a_date_only_end_on_a_renewal_day_reads_alike_with_or_without_the_start_time():
    # The cancellation on the renewal day comes before that day's renewal, whether the start
    # has a time or not.
    timed = _table(["2024-01-31 10:00"], ["2024-02-29"])
    dated = _table(["2024-01-31"], ["2024-02-29"])
    a = subscriptions.from_subscription_table(timed, observation_end=END)
    b = subscriptions.from_subscription_table(dated, observation_end=END)
    assert a["periods"].tolist() == b["periods"].tolist() == [1]


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


def test_churn_tiers_on_weighted_rows_are_refused():
    from clvmodel.subscription_churn import subscriber_churn_risk

    groups = subscriptions.from_survival_counts(REGULAR[:8], period="Y", weighted=True)
    model = clv.ShiftedBetaGeoModel().fit(groups, weights=groups["subscribers"])
    with pytest.raises(InputError, match="one row per subscriber"):
        subscriber_churn_risk(model, groups, 1)


def test_an_open_end_written_far_ahead_is_not_an_end_before_the_start():
    # A regression guard: compared as nanoseconds, 9999-12-31 overflows and reads as before
    # any start. After observation_end, such an end is a cancellation not yet made.
    table = _table(["2024-01-01", "2024-01-05 15:00"], ["9999-12-31", "2300-03-01"])
    rows = subscriptions.from_subscription_table(table, observation_end=END)
    assert rows["cancelled"].tolist() == [0, 0]
    _, rejects, _ = subscriptions.screen_subscription_table(table, observation_end=END)
    assert rejects.empty


def test_weighted_rows_fitted_without_their_weights_are_refused():
    """Before: fit counted each group row as one subscriber (3 subscribers, not 1,000)."""
    rows = subscriptions.from_survival_counts([1000, 631, 468, 377], weighted=True)
    with pytest.raises(clv.InputError, match=r"weights=data\['subscribers'\]"):
        clv.ShiftedBetaGeoModel().fit(rows)
    fitted = clv.ShiftedBetaGeoModel().fit(rows, weights=rows["subscribers"])
    assert fitted.n_customers_ == 1000
    # The same table without its mark (rebuilt by hand): a warning naming the column.
    plain = pd.DataFrame(rows.to_dict("list"))
    with pytest.warns(clv.ClvWarning, match="column 'subscribers' of customers per row"):
        clv.ShiftedBetaGeoModel().fit(plain)
