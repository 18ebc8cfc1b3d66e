"""An unusable row's error advises ``on_invalid='drop'`` only where the function takes it.

``calibration_holdout_split``, ``tracking_table`` and ``evaluate_holdout(transactions=)`` read the
log through the same checks as ``rfm_summary`` and ended their error with "Or pass
on_invalid='drop'", which each of them refused with a TypeError.
"""

from __future__ import annotations

import inspect

import pytest

import clvmodel as clv


@pytest.fixture(scope="module")
def broken():
    log = clv.datasets.load_cdnow_sample().head(400).copy()
    log["date"] = log["date"].dt.strftime("%Y-%m-%d")
    log.loc[log.index[3], "date"] = "not a date"
    return log


def test_the_split_points_at_transaction_rejects_not_an_argument_it_lacks(broken):
    assert "on_invalid" not in inspect.signature(clv.calibration_holdout_split).parameters
    with pytest.raises(clv.InputError) as raised:
        clv.calibration_holdout_split(broken, calibration_end="1997-06-30")
    message = str(raised.value)
    assert "on_invalid" not in message and "transaction_rejects" in message


def test_functions_taking_on_invalid_still_advise_it(broken):
    for function, arguments in ((clv.rfm_summary, {}), (clv.naive_clv, {"lifespan": 3.0})):
        assert "on_invalid" in inspect.signature(function).parameters
        with pytest.raises(clv.InputError, match="on_invalid='drop'"):
            function(broken, **arguments)


def test_a_segment_missing_on_some_rows_is_called_missing_not_changing():
    log = clv.datasets.load_cdnow_sample()
    log["seg"] = ["even" if int(c) % 2 == 0 else "odd" for c in log["customer_id"]]
    repeat = log["customer_id"].duplicated(keep=False).to_numpy().nonzero()[0][:2]
    log.loc[log.index[repeat], "seg"] = None
    with pytest.raises(clv.InputError, match="is missing on some rows of 1 customer") as raised:
        clv.naive_clv(log, lifespan=3.0, segment_col="seg")
    assert "changes within" not in str(raised.value)
    log.loc[log.index[repeat[0]], "seg"] = "other"  # now a real change
    with pytest.raises(clv.InputError, match="changes within 1 customer"):
        clv.naive_clv(log, lifespan=3.0, segment_col="seg")


def test_a_day_the_calendar_lacks_is_not_told_its_format_works():
    log = clv.datasets.load_cdnow_sample().head(50).copy()
    log["date"] = log["date"].dt.strftime("%Y-%m-%d")
    log.loc[log.index[2], "date"] = "1997-02-30"
    with pytest.raises(clv.InputError, match="1997-02-30.*a day the calendar has"):
        clv.rfm_summary(log)
