"""Issue 13, items 1 and 9: dates are read one way by every route, or refused with the fix.

Day-first dates used to be read month-first for days ≤ 12 (227 of 400 customers wrong); mixed
formats went through; ``observation_end="05/01/2025"`` became 1 May; mixed UTC offsets raised a
raw AttributeError under pandas 2.0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bad_input_routes import assert_all_raise, assert_same_tables, run_routes
from cli_run import run_cli

import clvmodel as clv
from clvmodel._reading import read_date_texts
from clvmodel.engine import open_transaction_log


def _log(dates, ids=None, amounts=None):
    n = len(dates)
    return pd.DataFrame(
        {
            "customer_id": ids if ids is not None else [f"c{i % 3}" for i in range(n)],
            "date": dates,
            "amount": amounts if amounts is not None else np.arange(1.0, n + 1),
        }
    )


ISO = ["2025-01-05", "2025-02-03", "2025-03-13", "2025-01-10", "2025-04-02", "2025-05-20"]


def _as(fmt: str):
    return [pd.Timestamp(d).strftime(fmt) for d in ISO]


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d", "%Y/%m/%d"])
def test_settled_formats_read_the_same_as_iso_in_every_route(tmp_path, fmt):
    # 13/03 (or 03/13) settles the order for the whole column.
    reference = clv.rfm_summary(_log(ISO), observation_end="2025-06-30", time_unit="D")
    results = run_routes(_log(_as(fmt)), tmp_path, observation_end="2025-06-30", time_unit="D")
    assert_same_tables(results, reference)


def test_ambiguous_day_month_is_refused_in_every_route(tmp_path):
    dates = ["05/01/2025", "03/02/2025", "01/04/2025"]
    results = run_routes(_log(dates), tmp_path, observation_end="2025-06-30")
    assert_all_raise(results, "day first or month first", "'05/01/2025'", "date_format=")


def test_date_format_settles_an_ambiguous_column(tmp_path):
    dates = ["05/01/2025", "03/02/2025", "01/04/2025"]
    results = run_routes(
        _log(dates), tmp_path, observation_end="2025-06-30", date_format="%d/%m/%Y", time_unit="D"
    )
    expected = clv.rfm_summary(
        _log(["2025-01-05", "2025-02-03", "2025-04-01"]),
        observation_end="2025-06-30",
        time_unit="D",
    )
    assert_same_tables(results, expected)


def test_the_same_day_both_ways_is_not_ambiguous():
    assert list(read_date_texts(["05/05/2025", "12/12/2024"], None, "date")) == [
        pd.Timestamp("2025-05-05").toordinal() - 719163,
        pd.Timestamp("2024-12-12").toordinal() - 719163,
    ]


def test_day_first_and_month_first_in_one_column_is_refused(tmp_path):
    dates = ["13/01/2025", "01/14/2025", "02/02/2025"]
    results = run_routes(_log(dates), tmp_path, observation_end="2025-06-30")
    assert_all_raise(results, "day first ('13/01/2025')", "month first ('01/14/2025')")


def test_mixed_formats_are_refused_with_examples_of_each(tmp_path):
    dates = ["2025-01-05", "13/01/2025", "2025-02-01"]
    results = run_routes(_log(dates), tmp_path, observation_end="2025-06-30")
    assert_all_raise(results, "mixes date formats", "'2025-01-05'", "'13/01/2025'")


def test_unknown_format_asks_for_date_format(tmp_path):
    results = run_routes(_log(["Jan 5 2025", "Feb 3 2025"]), tmp_path)
    assert_all_raise(results, "date_format=")
    ok = run_routes(
        _log(["Jan 05 2025", "Feb 03 2025"]),
        tmp_path,
        date_format="%b %d %Y",
        observation_end="2025-06-30",
    )
    assert_same_tables(ok)


def test_times_are_ignored_and_iso_is_always_fine(tmp_path):
    dates = ["2025-01-05T10:30:00Z", "2025-02-03 23:59", "2025-03-13T00:00:00+02:00"]
    expected = clv.rfm_summary(
        _log(["2025-01-05", "2025-02-03", "2025-03-13"]), observation_end="2025-06-30"
    )
    assert_same_tables(run_routes(_log(dates), tmp_path, observation_end="2025-06-30"), expected)


def test_mixed_offsets_give_wall_clock_days_not_attribute_error():
    # Issue 13 item 9: under pandas 2.0, pd.to_datetime(format="mixed") returned objects for mixed
    # offsets and rfm.py:149 raised AttributeError; dates are now read from their text.
    tx = _log(["1997-01-01T23:00:00-05:00", "1997-01-03T01:00:00+00:00"], ids=["a", "a"])
    rfm = clv.rfm_summary(tx, observation_end="1997-01-10", time_unit="D")
    assert rfm.loc["a", "recency"] == 2.0 and rfm.loc["a", "T"] == 9.0


def test_observation_end_text_must_not_be_ambiguous():
    tx = _log(ISO)
    with pytest.raises(
        clv.InputError, match=r"observation_end='05/01/2025' is ambiguous.*'YYYY-MM-DD'"
    ):
        clv.rfm_summary(tx, observation_end="05/01/2025")
    with pytest.raises(clv.InputError, match="ambiguous"):
        clv.rfm_from_file(_write(tx), observation_end="05/01/2025")
    with pytest.raises(clv.InputError, match="ambiguous"):
        clv.calibration_holdout_split(tx, calibration_end="03/01/2025")
    day_first = clv.rfm_summary(
        _log(_as("%d/%m/%Y")), observation_end="30/06/2025", date_format="%d/%m/%Y"
    )
    assert day_first.equals(clv.rfm_summary(tx, observation_end="2025-06-30"))


def _write(frame, name="log.csv"):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / name
    frame.to_csv(path, index=False)
    return path


def test_engine_refuses_an_ambiguous_observation_end(tmp_path):
    from clvmodel.engine import TransactionSource

    with pytest.raises(clv.InputError, match="ambiguous"):
        TransactionSource(_write(_log(ISO)), observation_end="05/01/2025")


def test_future_observation_end_is_refused(tmp_path):
    future = (pd.Timestamp.now() + pd.Timedelta(days=30)).strftime("%Y-%m-%d")
    results = run_routes(_log(ISO), tmp_path, observation_end=future)
    assert_all_raise(results, "is in the future")


def test_dates_before_1900_are_rejects(tmp_path):
    tx = _log(["1066-10-14", "2025-01-05", "2025-02-03"], ids=["a", "b", "b"])
    with pytest.raises(clv.InputError, match=r"1 value\(s\) in column 'date' are before 1900"):
        clv.rfm_summary(tx, observation_end="2025-06-30")
    results = run_routes(tx, tmp_path, observation_end="2025-06-30", on_invalid="drop")
    assert_same_tables(results)
    assert list(results["frame"].index) == ["b"]
    rejects = clv.rfm.transaction_rejects(tx)
    assert rejects["reason"].tolist() == ["date before 1900-01-01"]


def test_numbers_are_not_dates_without_a_format(tmp_path):
    tx = _log([20250105, 20250203, 20250313])
    with pytest.raises(clv.InputError, match="ambiguous as dates.*date_format='%Y%m%d'"):
        clv.rfm_summary(tx)
    rfm = clv.rfm_summary(tx, date_format="%Y%m%d", observation_end="2025-06-30")
    assert rfm.equals(
        clv.rfm_summary(
            _log(["2025-01-05", "2025-02-03", "2025-03-13"]), observation_end="2025-06-30"
        )
    )


def test_date_format_is_checked():
    with pytest.raises(clv.InputError, match="not a strftime pattern"):
        clv.rfm_summary(_log(ISO), date_format="dd/MM/yyyy")
    with pytest.raises(clv.InputError, match="time fields"):
        clv.rfm_summary(_log(ISO), date_format="%Y-%m-%d %H:%M")


def test_calibration_split_takes_date_format():
    tx = _log(_as("%d/%m/%Y"))
    cal, hold = clv.calibration_holdout_split(
        tx, calibration_end="01/03/2025", observation_end="30/06/2025", date_format="%d/%m/%Y"
    )
    ref_cal, ref_hold = clv.calibration_holdout_split(
        _log(ISO), calibration_end="2025-03-01", observation_end="2025-06-30"
    )
    pd.testing.assert_frame_equal(cal, ref_cal)
    pd.testing.assert_frame_equal(hold, ref_hold)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_future_purchase_asks_for_the_end_in_the_interface_s_words(tmp_path, suffix):
    # With no end of observation, the latest purchase is the end; after today it is refused.
    # The engine is Python's (observation_end=); the command line says --observation-end.
    log = _log(ISO)
    log.loc[0, "date"] = (pd.Timestamp.now() + pd.Timedelta(days=400)).strftime("%Y-%m-%d")
    path = tmp_path / f"log{suffix}"
    log.to_csv(path, index=False) if suffix == ".csv" else log.to_parquet(path, index=False)
    with pytest.raises(clv.InputError, match="pass observation_end= explicitly"):
        open_transaction_log(path)
    result = run_cli("fit", path, "-o", tmp_path / "model.json")
    assert result.returncode == 2 and "pass --observation-end explicitly" in result.stderr
    assert "observation_end=" not in result.stderr
