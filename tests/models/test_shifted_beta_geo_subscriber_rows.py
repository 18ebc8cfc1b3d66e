"""Tests of the subscriber rows (``periods``, ``cancelled``) ``ShiftedBetaGeoModel`` reads.

* Rows that gave a silently wrong number or a raw numpy error: durations read as nanoseconds,
  columns of different lengths, a repeated column; one subscriber as a dict of numbers.
* Cancellations in a billing period still running at the end of observation, counted as
  lifetimes, biased the fit (S(12) 8 % too low); a table where nobody has finished a period
  has no churn observed yet.
* Weighted rows (one per group) fitted without their weights were counted as one subscriber
  each.
"""

from __future__ import annotations

import pandas as pd
import pytest

import clvmodel as clv
from clvmodel import subscriptions
from clvmodel.errors import InputError
from clvmodel.subscription_churn import subscriber_churn_risk

# The "regular" cohort of Fader and Hardie (2007), "How to project customer retention", Table 1.
REGULAR = {"alpha": 0.704, "beta": 1.182}
SBG = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182})


def test_periods_as_durations_are_refused():
    # Before: 30 days were read as 2.592e15 periods (nanoseconds), and P(cancel at the next
    # renewal) came out 2.7e-13 instead of (α)/(α + β + t) = 0.704 / 1.886 = 0.373 at t = 0.
    rows = pd.DataFrame({"periods": pd.to_timedelta([30, 60], unit="D"), "cancelled": [0, 0]})
    with pytest.raises(InputError, match="'periods' holds dates or durations.*whole billing"):
        SBG.probability_cancel(rows, 1)


@pytest.mark.parametrize(
    "call",
    [
        lambda rows: SBG.probability_cancel(rows, 1),
        lambda rows: subscriber_churn_risk(SBG, rows, 1),
        lambda rows: clv.ShiftedBetaGeoModel().fit(rows),
    ],
)
def test_columns_of_different_lengths_are_refused(call):
    # Before: "ValueError: operands could not be broadcast together with shapes (2,) (3,)".
    rows = {"periods": [1, 2, 3], "cancelled": [0, 1]}
    with pytest.raises(InputError, match="different lengths: 2 values in 'cancelled' for 3"):
        call(rows)


def test_a_repeated_column_is_named():
    # Before: "column 'periods' must hold numbers", though it did.
    rows = pd.DataFrame([[1, 0, 2]], columns=["periods", "cancelled", "periods"])
    with pytest.raises(InputError, match="more than one column 'periods'"):
        SBG.probability_cancel(rows, 1)


def test_one_subscriber_as_a_dict_of_numbers():
    # Before: "column 'periods' must hold numbers" for {"periods": 3, "cancelled": 0}.
    # P(T ≤ 4 | T > 3) = α / (α + β + 3) for the sBG.
    risk = SBG.probability_cancel({"periods": 3, "cancelled": 0}, 1)
    assert risk.tolist() == pytest.approx([0.704 / (0.704 + 1.182 + 3)], rel=1e-12)


def test_cancellations_in_a_running_period_do_not_bias_the_fit():
    # Yearly billing, starts over 15 years: 3 % of the subscribers have cancelled in a year not
    # yet over at the end of observation. Counted as lifetimes while the others of that year
    # count as survivors of the year before, they made S(12) 8 % too low.
    truth = clv.ShiftedBetaGeoModel.from_params(REGULAR)
    table = clv.subscriptions.simulate_subscription_table(
        truth, 20_000, "2010-01-01", "2024-12-31", period="Y", random_state=0
    )
    rows = clv.subscriptions.from_subscription_table(
        table, observation_end="2024-12-31", period="Y"
    )
    running = rows["periods"] > rows["observed_periods"]
    assert rows.loc[running, "cancelled"].eq(1).all() and running.mean() > 0.02
    fitted = clv.ShiftedBetaGeoModel().fit(rows)
    error = fitted.survival_function(12) / truth.survival_function(12) - 1
    assert abs(error) < 0.03
    # Scored, those subscribers stay cancelled: no value left.
    assert (fitted.probability_cancel(rows, 1)[running] == 1.0).all()


def test_nobody_has_finished_a_period_means_no_churn_is_observed_yet():
    # Every subscription started this (yearly) period; a third cancelled already.
    table = pd.DataFrame(
        {
            "customer_id": range(30),
            "start": "2024-06-01",
            "end": [None, None, "2024-09-15"] * 10,
        }
    )
    rows = clv.subscriptions.from_subscription_table(
        table, observation_end="2024-12-31", period="Y"
    )
    with pytest.raises(InputError, match="no subscriber has cancelled"):
        clv.ShiftedBetaGeoModel().fit(rows)


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
