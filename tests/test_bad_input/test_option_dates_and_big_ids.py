"""A date option written ``NN/NN/YYYY`` whose order its numbers settle (``29/02/2024``: 29 can
only be a day) used to be refused as ambiguous; whole-number ids above 2**53 in a float column
used to be called fractional ("is not a whole number")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel import subscriptions
from clvmodel._reading import date_option


def _log(ids=(1, 2, 1, 3, 2, 3)):
    dates = ["2024-01-02", "2024-01-05", "2024-02-01", "2024-02-10", "2024-03-20", "2024-04-02"]
    return pd.DataFrame(
        {"customer_id": list(ids), "date": pd.to_datetime(dates), "amount": np.arange(1.0, 7.0)}
    )


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("29/02/2024", "2024-02-29"),
        ("29.02.2024", "2024-02-29"),
        ("29/02/2024 10:30", "2024-02-29"),
        ("13/04/2025", "2025-04-13"),
        ("04/13/2025", "2025-04-13"),
        ("05/05/2024", "2024-05-05"),
    ],
)
def test_a_date_option_whose_numbers_settle_the_order_is_read_so(written, iso):
    assert date_option(written, "observation_end") == pd.Timestamp(iso)
    tx = _log()
    pd.testing.assert_frame_equal(
        clv.rfm_summary(tx, observation_end=written), clv.rfm_summary(tx, observation_end=iso)
    )


def test_calibration_holdout_split_reads_day_first_and_month_first_options():
    tx = _log()
    got = clv.calibration_holdout_split(
        tx, calibration_end="29/02/2024", observation_end="04/13/2024"
    )
    expected = clv.calibration_holdout_split(
        tx, calibration_end="2024-02-29", observation_end="2024-04-13"
    )
    for ours, theirs in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(ours, theirs)
    calibration, holdout = got
    assert calibration.loc[1, "frequency"] == 1  # 2024-02-01 is in the calibration period
    assert holdout.loc[3, "frequency_holdout"] == 1  # 2024-04-02 is in the holdout


@pytest.mark.parametrize("name", ["observation_end", "calibration_end"])
def test_an_option_that_reads_both_ways_is_still_refused(name):
    tx = _log()
    message = (
        f"{name}='03/04/2024' is ambiguous: day first or month first? Write it as 'YYYY-MM-DD', "
        "or pass date_format= (e.g. '%d/%m/%Y') to say how to read it."
    )
    with pytest.raises(clv.InputError) as caught:
        if name == "observation_end":
            clv.rfm_summary(tx, observation_end="03/04/2024")
        else:
            clv.calibration_holdout_split(tx, calibration_end="03/04/2024")
    assert str(caught.value) == message
    with_format = date_option("03/04/2024", name, date_format="%d/%m/%Y")
    assert with_format == pd.Timestamp("2024-04-03")


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("31/02/2024", "read day first (31 can only be the day), month 2 of 2024 has no day 31"),
        ("02/30/2024", "read month first (30 can only be the day), month 2 of 2024 has no day 30"),
        ("13/13/2024", "is not a date; give it as 'YYYY-MM-DD'"),
        ("2024-02-30", "is not a date; give it as 'YYYY-MM-DD'"),
    ],
)
def test_an_option_that_is_no_date_is_not_called_ambiguous(written, message):
    with pytest.raises(clv.InputError, match=r"is not a date") as caught:
        clv.rfm_summary(_log(), observation_end=written)
    assert message in str(caught.value)
    assert "ambiguous" not in str(caught.value)


BIG_ID_WHY = (
    "too large to be held exactly as floating-point numbers (above 2**53 = 9,007,199,254,740,992"
)


@pytest.mark.parametrize("on_invalid", ["raise", "drop"])
def test_float_ids_above_two_to_the_53_are_refused_as_too_large(on_invalid):
    tx = _log([1e17, 2.0, 1e17, 3.0, 2.0, 3.0])
    with pytest.raises(clv.InputError) as caught:
        clv.rfm_summary(tx, observation_end="2024-04-30", on_invalid=on_invalid)
    message = str(caught.value)
    assert BIG_ID_WHY in message
    assert "column 'customer_id'" in message and "1e+17" in message
    assert "read the column as text or integers" in message.lower()
    assert "fractional" not in message and "not a whole number" not in message


def test_float_ids_up_to_two_to_the_53_and_fractional_ids_keep_their_rules():
    edge = 2.0**53
    rfm = clv.rfm_summary(_log([edge, 2.0, edge, 3.0, 2.0, 3.0]), observation_end="2024-04-30")
    assert list(rfm.index) == [2**53, 2, 3]
    with pytest.raises(clv.InputError, match="fractional id"):
        clv.rfm_summary(_log([1.5, 2.0, 1.0, 3.0, 2.0, 3.0]), observation_end="2024-04-30")


def test_a_subscription_table_with_float_ids_above_two_to_the_53_says_why():
    table = pd.DataFrame(
        {
            "customer_id": [1e17, 2.0],
            "start": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "end": pd.to_datetime([None, "2024-05-01"]),
        }
    )
    with pytest.raises(clv.InputError) as caught:
        subscriptions.from_subscription_table(table, observation_end="2024-12-31")
    assert BIG_ID_WHY in str(caught.value)
    assert "not a whole number" not in str(caught.value)
