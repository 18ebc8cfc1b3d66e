"""Tests of ``rfm_summary``'s messages on dates and amounts it cannot read.

* A ``date_format`` that swaps day and month is refused even when dropping rows (and a stray value
  does not hide it); dates that read both ways are offered both patterns; a few bad dates with a
  ``date_format`` are not told to look like ISO dates.
* A true/false amount column is said not to be numbers (it was answered with date-format
  advice), and the advice when nothing is usable follows the reasons.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
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


def test_the_date_messages_do_not_depend_on_the_order_of_the_texts():
    # DuckDB's and Spark's DISTINCT return the distinct texts in no set order: the CLI's message
    # once named different example values from one run to the next.
    from clvmodel._reading_sql import date_dictionary

    iso = [f"1997-{month:02d}-{day:02d}" for month in (1, 2, 3) for day in range(1, 29)]
    serial = [str(day) for day in range(35200, 35300)]
    for texts, date_format, shown in (
        (iso, "%d/%m/%Y", "for example '1997-01-01', '1997-01-02'"),
        (serial, None, "for example '35200', '35201'"),
    ):
        messages = set()
        for seed in range(5):
            shuffled = [str(t) for t in np.random.default_rng(seed).permutation(texts)]
            with pytest.raises(clv.InputError) as raised:
                date_dictionary(shuffled, date_format, "date")
            messages.add(str(raised.value))
        assert len(messages) == 1
        assert shown in messages.pop()


@pytest.mark.parametrize(
    ("dates", "date_format", "shown"),
    [
        ("%Y-%m-%d", "%d/%m/%Y", "for example '1997-01-01', '1997-01-02'"),
        ("serial", None, "for example '35200', '35300', '35400'"),
    ],
)
def test_a_file_and_a_table_name_the_same_example_dates(tx, tmp_path, dates, date_format, shown):
    # pandas reads the table, pyarrow or DuckDB the file: the same values in the same order.
    from clvmodel.engine import TransactionSource

    if dates == "serial":
        log = pd.DataFrame(
            {"customer_id": [1, 2, 3, 4], "date": ["35500", "35400", "35300", "35200"]}
        )
    else:
        log = tx.assign(date=tx["date"].dt.strftime(dates)).iloc[::-1]
    log.assign(amount=1.0).to_csv(tmp_path / "tx.csv", index=False)
    options = {"date_format": date_format, "observation_end": "1997-06-30"}
    messages = []
    for read in (
        lambda: clv.rfm_summary(log.assign(amount=1.0), **options),
        lambda: clv.rfm_from_file(tmp_path / "tx.csv", **options),
        lambda: TransactionSource(tmp_path / "tx.csv", **options).rfm(),
    ):
        with pytest.raises(clv.InputError) as raised:
            read()
        messages.append(re.search(r"for example [^)]*\)", str(raised.value)).group())
    assert shown in messages[0]
    assert messages[1] == messages[0] and messages[2] == messages[0]


@pytest.mark.parametrize("dtype", ["int64", "Int64", "float64"])
def test_number_dates_are_shown_smallest_first_on_every_route(tmp_path, dtype):
    from clvmodel.engine import TransactionSource

    log = pd.DataFrame({"customer_id": [1, 2, 3, 4], "date": [35500, 35400, 35300, 35200]})
    log = log.astype({"date": dtype}).assign(amount=1.0)
    log.to_parquet(tmp_path / "tx.parquet")
    for read in (
        lambda: clv.rfm_summary(log, observation_end="1997-06-30"),
        lambda: TransactionSource(tmp_path / "tx.parquet", observation_end="1997-06-30").rfm(),
    ):
        with pytest.raises(clv.InputError, match=r"holds numbers \(35200, 35300, 35400\)"):
            read()


def test_currency_amounts_are_shown_alike_on_every_route(tmp_path):
    # DuckDB's DISTINCT ... LIMIT picked any few of the amounts; pandas showed the first rows,
    # repeats included.
    from clvmodel.engine import TransactionSource

    amounts = [f"${value}.00" for value in range(60, 0, -1) for _ in range(2)]
    log = pd.DataFrame(
        {"customer_id": range(len(amounts)), "date": "1997-01-01", "amount": amounts}
    )
    log.to_csv(tmp_path / "tx.csv", index=False)
    messages = []
    for read in (
        lambda: clv.rfm_summary(log),
        lambda: TransactionSource(tmp_path / "tx.csv").rfm(),
    ):
        with pytest.raises(clv.InputError, match="written with a currency") as raised:
            read()
        messages.append(str(raised.value))
    assert "for example '$1.00', '$10.00', '$11.00'" in messages[0]
    assert messages[1] == messages[0]
