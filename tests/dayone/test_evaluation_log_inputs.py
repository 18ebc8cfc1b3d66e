"""Tests of what ``clv.dayone.evaluate_day_one`` reads: the log and its attributes.

* Attributes missing for evaluation customers raised a raw KeyError after both fits; they are
  named up front.
* ``quantity_col=None`` left ``first_purchase_quantity`` in the default attributes (then refused as
  missing), and the missing column's message advised leaving ``quantity_col`` out.
* ``date_format=`` is passed on to the reading of the log (day-first dates).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import clvmodel as clv


@pytest.fixture(scope="module")
def tx():
    return clv.datasets.load_cdnow_sample()


def _day_first(log: pd.DataFrame) -> pd.DataFrame:
    return log.assign(date=pd.to_datetime(log["date"]).dt.strftime("%d/%m/%Y"))


def test_evaluate_day_one_names_customers_without_attributes(transactions, attributes):
    """Attributes missing for evaluation customers raised a raw KeyError after both fits."""
    from clvmodel.dayone import evaluate_day_one

    rfm_ids = clv.rfm_summary(transactions, time_unit="W").index
    with pytest.raises(clv.InputError, match="no row for 3 of the") as error:
        evaluate_day_one(transactions, attributes.drop(rfm_ids[:3]))
    assert str(rfm_ids[0]) in str(error.value)


def test_evaluate_day_one_on_a_log_without_quantities(transactions):
    """quantity_col=None left first_purchase_quantity in the default attributes (refused as a
    missing attribute); the missing column's message said to leave quantity_col out, which
    keeps the default 'quantity'."""
    from clvmodel.dayone import evaluate_day_one

    log = transactions.drop(columns="quantity")
    with pytest.raises(clv.InputError, match="quantity_col=None"):
        evaluate_day_one(log)
    result = evaluate_day_one(log, quantity_col=None, covariates_on=("purchase", "spend"))
    assert result.model.numeric == ["first_purchase_amount", "signup_week"]
    assert result.model.log == ["first_purchase_amount"]
    # Attributes named explicitly are kept as given.
    with pytest.raises(clv.InputError, match="no column 'first_purchase_quantity'"):
        evaluate_day_one(log, quantity_col=None, numeric=["first_purchase_quantity"], log=[])


def test_evaluate_day_one_passes_date_format_on(tx):
    dates = pd.to_datetime(tx["date"])
    early = tx[dates.dt.day <= 12]
    signup = dates[early.index].groupby(early["customer_id"]).transform("min")
    early = early[signup < "1997-04-01"]  # a window of 26 weeks for everyone
    options = dict(covariates_on=("purchase", "spend"), horizon="26W", observation_end="1998-06-12")
    with pytest.raises(clv.InputError, match="date_format="):
        clv.dayone.evaluate_day_one(_day_first(early), **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        expected = clv.dayone.evaluate_day_one(early, **options)
        found = clv.dayone.evaluate_day_one(
            _day_first(early),
            date_format="%d/%m/%Y",
            **{**options, "observation_end": "12/06/1998"},
        )
    pd.testing.assert_frame_equal(found.metrics, expected.metrics)
