"""Issue 13, items 6 and 10: absurd amounts are rejects; unreadable ones get errors naming the
amount column; empty logs and an end before the data get their own messages.

1e308 used to score to infinity with "0 rejected"; "$12.50", "12,50", a header-only file and an
observation end before the data all said "no row has a readable date".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bad_input_routes import assert_all_raise, assert_same_tables, run_routes

import clvmodel as clv
from clvmodel.engine import TransactionSource


def _log(amounts, ids=None):
    n = len(amounts)
    return pd.DataFrame(
        {
            "customer_id": ids if ids is not None else ["a", "b"] * (n // 2) + ["a"] * (n % 2),
            "date": pd.date_range("2025-01-01", periods=n, freq="5D").strftime("%Y-%m-%d"),
            "amount": amounts,
        }
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (1e308, "amount beyond ±1e12"),
        (-1e13, "amount beyond ±1e12"),
        (np.inf, "amount is not finite"),
        (np.nan, "missing or non-numeric amount"),
        (-5.0, "negative amount"),
    ],
)
def test_absurd_amounts_are_rejects_with_reasons(tmp_path, value, reason):
    tx = _log([10.0, 20.0, value, 30.0, 40.0])
    with pytest.raises(clv.InputError, match="column 'amount'"):
        clv.rfm_summary(tx, observation_end="2025-06-30")
    rfm = clv.rfm_summary(tx, observation_end="2025-06-30", on_invalid="drop")
    assert rfm.attrs["rejected_rows"] == {reason: 1}
    assert np.isfinite(rfm.to_numpy()).all()
    parquet = tmp_path / "log.parquet"
    tx.to_parquet(parquet)
    pd.testing.assert_frame_equal(
        clv.rfm_from_file(parquet, observation_end="2025-06-30", on_invalid="drop"),
        rfm,
        check_like=True,
    )
    source = TransactionSource(parquet, observation_end="2025-06-30")
    assert source.rejects()["reason"].tolist() == [reason]
    assert np.isfinite(source.rfm().to_numpy()).all()


def test_text_amounts_agree_in_every_route(tmp_path):
    tx = _log(["10", " 20.5 ", "1e3", "+4", ".5", "inf", "1e308"])
    results = run_routes(tx, tmp_path, observation_end="2025-06-30", on_invalid="drop")
    assert_same_tables(results)
    frame = clv.rfm_summary(tx, observation_end="2025-06-30", on_invalid="drop")
    assert frame.attrs["rejected_rows"] == {
        "missing or non-numeric amount": 1,
        "amount beyond ±1e12": 1,
    }


@pytest.mark.parametrize(
    ("amounts", "phrase"),
    [
        (["$12.50", "$3.00", "$4.10"], "currency"),
        (["12.50 EUR", "3 EUR", "4 EUR"], "currency"),
        (["12,50", "3,00", "4,10"], "with a comma"),
        (["1,234.50", "3.00", "4.10"], "with a comma"),
    ],
)
def test_currency_and_decimal_commas_name_the_amount_column(tmp_path, amounts, phrase):
    results = run_routes(_log(amounts), tmp_path, observation_end="2025-06-30")
    assert_all_raise(results, "column 'amount'", phrase)
    for result in results.values():
        assert "readable date" not in str(result)


def test_header_only_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("customer_id,date,amount\n")
    with pytest.raises(clv.InputError, match="empty .a header but no rows"):
        clv.rfm_from_file(path)
    with pytest.raises(clv.InputError, match=r"no rows \(only a header\?\)"):
        TransactionSource(path).check_usable()


def test_observation_end_before_the_data(tmp_path):
    tx = _log([1.0, 2.0, 3.0])
    results = run_routes(tx, tmp_path, observation_end="2024-06-30")
    assert_all_raise(results, "before the first")
    for result in results.values():
        assert "readable date" not in str(result)
