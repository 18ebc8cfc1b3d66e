"""Tests of ``clv.subscription_value``: holdout counts and the naive comparison's split.

* A holdout given as shares (not subscriber counts) is refused.
* ``naive_vs_model_retention`` takes a whole float ``fit_periods``.
* ``holdout_log_likelihood`` counted a cancellation in the holdout's running period as an
  outcome, while its peers in that period count as survivors (the fit counts it as survived).
"""

from __future__ import annotations

import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.subscription_value import holdout_log_likelihood

# The "regular" cohort of Fader and Hardie (2007), "How to project customer retention", Table 1.
REGULAR = {"alpha": 0.704, "beta": 1.182}

# Fader and Hardie (2007), Table 1, "regular" cohort: survivors after years 0-12.
COUNTS = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]


def test_holdout_given_as_shares_is_refused():
    from clvmodel.subscription_value import compare_retention_models

    rows = clv.subscriptions.from_survival_counts(COUNTS[:8])
    with pytest.raises(InputError, match="whole numbers"):
        compare_retention_models(rows, holdout=[0.223, 0.207, 0.194])


def test_naive_comparison_takes_a_whole_float_fit_periods():
    from clvmodel.subscription_value import naive_vs_model_retention

    as_int = naive_vs_model_retention(COUNTS, 7, price=100.0, margin=0.3)
    as_float = naive_vs_model_retention(COUNTS, 7.0, price=100.0, margin=0.3)
    pd.testing.assert_frame_equal(as_float.value, as_int.value)


def test_a_cancellation_in_the_holdouts_running_period_is_not_yet_an_outcome():
    # Observed 3 periods later, one subscriber has cancelled in a 4th period still running: the
    # holdout log-likelihood must count them as having survived the 3 periods (as the fit does),
    # not as cancelled in the 4th while their peers in it count as survivors.
    sbg = clv.ShiftedBetaGeoModel.from_params(REGULAR)
    calibration = pd.DataFrame({"periods": [2, 2, 2], "cancelled": 0})
    later = pd.DataFrame({"periods": [5, 5, 6], "cancelled": [0, 0, 1], "observed_periods": 5})
    censored = pd.DataFrame({"periods": [5, 5, 5], "cancelled": 0})
    got = holdout_log_likelihood(sbg, calibration, later)
    assert got == pytest.approx(holdout_log_likelihood(sbg, calibration, censored), rel=1e-12)
