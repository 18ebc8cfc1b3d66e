"""clvmodel.price_increase_plan's start=: one date, or one date per stage.

A number such as 20250106 was read by pandas as nanoseconds after 1970 (every stage started on
1970-01-01, silently); dates with and without a time zone raised pandas' "Cannot compare tz-naive
and tz-aware timestamps"; dates all in one time zone are taken."""

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv


@pytest.mark.parametrize("start", [20250106, 20250106.0, np.int64(20250106)])
def test_a_start_date_given_as_a_number_is_refused(start):
    # start=20250106 was read by pandas as nanoseconds after 1970: every stage started on
    # 1970-01-01, silently.
    scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [1.0, 1.0, 1.0]})
    with pytest.raises(clv.InputError, match=r"start=.*is a number, not a date"):
        clv.price_increase_plan(scores, thresholds=(0.5, 0.8), margin=1.0, start=start)
    with pytest.raises(clv.InputError, match=r"start=.*is a number, not a date"):
        clv.price_increase_plan(scores, thresholds=(0.5, 0.8), margin=1.0, start=[start] * 3)


def test_start_dates_with_and_without_a_time_zone_are_refused_in_the_librarys_words():
    # pandas' "Cannot compare tz-naive and tz-aware timestamps" came out raw.
    scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [30.0, 20.0, 1.0]})
    with pytest.raises(clv.InputError, match=r"start.*time zone"):
        clv.price_increase_plan(
            scores,
            thresholds=(0.5, 0.8),
            start=["2025-01-06", "2025-02-03T00:00+05:00", "2025-03-03"],
            margin=1.0,
        )


def test_start_dates_all_in_one_time_zone_are_taken():
    scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [30.0, 20.0, 1.0]})
    plan = clv.price_increase_plan(
        scores,
        thresholds=(0.5, 0.8),
        start=["2025-01-06T00:00+01:00", "2025-01-13T00:00+01:00", "2025-01-20T00:00+01:00"],
        margin=1.0,
    )
    assert plan.stages["weeks_after_first_stage"].tolist() == pytest.approx([0.0, 1.0, 2.0])
