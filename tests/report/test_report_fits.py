"""Logs the report's model fits cannot use are refused in build_report's words.

Each test failed before its fix, on small logs:

* a calibration period with one repeat buyer passed the report's check, then the spend model
  said "this table has 1. Use a longer observation period." (build_report has no table, and a
  longer observation does not change the calibration period: calibration_end does);
* a purchase model that did not converge advised ``initial_params=`` and ``max_iter=``, which
  build_report does not take, without saying which of its two fits failed.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.errors import ConvergenceError, InputError
from clvmodel.report._fits import check_calibration


def _log(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def _report(log, calibration_end):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clv.build_report(log, calibration_end)


# One repeat buyer by the calibration end (a), two more after it.
ONE_REPEAT_BUYER = _log(
    [
        ("a", "2020-01-01", 10.0), ("a", "2020-02-01", 12.0), ("b", "2020-01-05", 7.0),
        ("c", "2020-03-01", 5.0), ("b", "2020-08-01", 9.0), ("c", "2020-09-01", 5.5),
        ("d", "2020-04-01", 8.0), ("d", "2020-10-01", 6.0), ("a", "2020-11-01", 13.0),
    ]
)  # fmt: skip


def test_one_repeat_buyer_in_calibration_asks_for_a_later_calibration_end():
    with pytest.raises(InputError) as caught:
        _report(ONE_REPEAT_BUYER, "2020-06-30")
    message = str(caught.value)
    assert "calibration_end" in message and "the spend model needs at least 2" in message
    assert "this table" not in message and "observation period" not in message


@pytest.mark.parametrize(
    "frequency, spend, words",
    [
        ([1, 1, 0], [5.0, 0.0, 0.0], "only 1 of its 3 customers bought again with a positive"),
        ([2, 0, 0], [5.0, 0.0, 0.0], "only 1 of its 3 customers bought again with a positive"),
        ([0, 0, 0], [0.0, 0.0, 0.0], "none of its 3 customers bought again"),
        ([1], [3.0], "only 1 customer(s) bought by then"),
    ],
)
def test_calibration_check_names_what_is_missing(frequency, spend, words):
    cal = pd.DataFrame({"frequency": frequency, "monetary_value": spend})
    with pytest.raises(InputError, match="choose a later calibration_end") as caught:
        check_calibration(cal)
    assert words in str(caught.value)


def test_two_repeat_buyers_with_spend_pass_the_check():
    check_calibration(pd.DataFrame({"frequency": [1, 2, 0], "monetary_value": [4.0, 6.0, 0.0]}))


def test_a_purchase_model_that_does_not_converge_says_which_fit_and_what_to_change(monkeypatch):
    def no_convergence(self, *args, **kwargs):
        raise ConvergenceError(
            "BetaGeoModel did not converge after 43 iterations (largest gradient 1.2e-06). "
            "Things to try:\n  3. pass initial_params= near plausible values;\n"
            "  4. raise max_iter=."
        )

    monkeypatch.setattr(clv.BetaGeoModel, "fit", no_convergence)
    tx = clv.datasets.load_cdnow_sample()
    with pytest.raises(ConvergenceError) as caught:
        _report(tx, "1997-09-30")
    message = str(caught.value)
    assert "the holdout check" in message and "later calibration_end" in message
    assert "on 2,357 customers" in message  # the calibration cohort (all first bought by then)
    assert "initial_params" not in message and "max_iter" not in message
    assert "did not converge after 43 iterations" in message  # the fit's own words are kept
