"""Tests of ``rfm_summary``'s messages on dates and amounts it cannot read.

* A ``date_format`` that swaps day and month is refused even when dropping rows (and a stray value
  does not hide it); dates that read both ways are offered both patterns; a few bad dates with a
  ``date_format`` are not told to look like ISO dates.
* A true/false amount column is said not to be numbers (it was answered with date-format
  advice), and the advice when nothing is usable follows the reasons.
"""

from __future__ import annotations

import warnings

import pytest

import clvmodel as clv
from clvmodel import _reading as rd
from clvmodel._reading_sql import nothing_usable_error


@pytest.fixture(scope="module")
def tx(cdnow_sample):
    return cdnow_sample


def test_python_refuses_a_swapped_format_even_when_dropping_rows(tx):
    log = tx.assign(date=tx["date"].dt.strftime("%d/%m/%Y"))
    with pytest.raises(clv.InputError, match=r"date_format='%m/%d/%Y' does not match.*'%d/%m/%Y'"):
        clv.rfm_summary(log, date_format="%m/%d/%Y", on_invalid="drop")


def test_a_stray_value_does_not_hide_a_swapped_format(tx):
    log = tx.assign(date=tx["date"].dt.strftime("%d/%m/%Y"))
    log.loc[3, "date"] = "unknown"
    with pytest.raises(clv.InputError, match=r"does not match.*'%d/%m/%Y'"):
        clv.rfm_summary(log, date_format="%m/%d/%Y", on_invalid="drop")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        read = clv.rfm_summary(log, date_format="%d/%m/%Y", on_invalid="drop")
    assert len(read) == tx["customer_id"].nunique()


def test_dates_that_read_both_ways_are_offered_both_patterns(tx):
    early = tx[tx["date"].dt.day <= 12]
    log = early.assign(date=early["date"].dt.strftime("%d/%m/%Y"))
    with pytest.raises(clv.InputError) as caught:
        clv.rfm_summary(log, date_format="%Y-%m-%d")
    assert "'%d/%m/%Y' (day first)" in str(caught.value)
    assert "'%m/%d/%Y' (month first)" in str(caught.value)


def test_a_few_bad_dates_with_a_date_format_are_not_told_to_look_like_iso(tx):
    log = tx.assign(date=tx["date"].dt.strftime("%d/%m/%Y"))
    log.loc[5, "date"] = "1997-01-31"
    with pytest.raises(clv.InputError) as caught:
        clv.rfm_summary(log, date_format="%d/%m/%Y")
    message = str(caught.value)
    assert "1 value(s) in column 'date' are missing or do not match date_format='%d/%m/%Y'" in (
        message
    )
    assert "1997-01-31" in message and "Dates like" not in message


def test_python_says_true_false_amounts_are_not_numbers(tx):
    with pytest.raises(clv.InputError, match="true/false values.*amount_col=None"):
        clv.rfm_summary(tx.assign(amount=tx["amount"] > 20))


def test_nothing_usable_advice_follows_the_reasons():
    amounts = str(nothing_usable_error({rd.BAD_AMOUNT: 9}, None, None))
    assert "amounts, which must be numbers" in amounts and "date" not in amounts
    dates = str(nothing_usable_error({rd.BAD_DATE: 9}, None, None))
    assert "the dates" in dates and "e.g. '%d/%m/%Y'" not in dates
