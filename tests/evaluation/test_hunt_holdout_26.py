"""Find-and-fix hunt on the holdout evaluation and model comparison (Python API): each test of a
fix failed before it; the last one guards the split's periods against a count made by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.errors import InputError


@pytest.mark.parametrize("function", ["interval_coverage", "coverage_comparison"])
def test_a_missing_interval_level_is_named_not_a_key_error(cdnow_split, cdnow_split_bg, function):
    # Before: KeyError 'purchases_lower' from inside the coverage table.
    cal, hold = cdnow_split
    model = cdnow_split_bg if function == "interval_coverage" else [cdnow_split_bg]
    with pytest.raises(InputError, match="interval must be a level such as 0.9, got None"):
        getattr(clv, function)(model, cal, hold, None)


def test_coverage_comparison_reads_a_level_written_as_text(cdnow_split, cdnow_split_bg):
    # Before: TypeError (str − float) once every model's coverage had been measured;
    # interval_coverage and evaluate_holdout read "0.9" as 0.9.
    cal, hold = cdnow_split
    as_text = clv.coverage_comparison([cdnow_split_bg], cal, hold, "0.9")
    as_number = clv.coverage_comparison([cdnow_split_bg], cal, hold, 0.9)
    pd.testing.assert_frame_equal(as_text, as_number)
    assert as_text.attrs["interval"] == 0.9


def test_compare_models_names_an_entry_that_is_not_a_purchase_model(cdnow_split, cdnow_split_gg):
    # Before: "unknown purchase model GammaGammaModel(p=..., q=..., v=...)", as if it were a name.
    cal, hold = cdnow_split
    with pytest.raises(InputError, match=r"models\[1\] is a GammaGammaModel: compare_models ranks"):
        clv.compare_models(cal, hold, models=["bgnbd", cdnow_split_gg])


def test_a_bundle_of_models_is_pointed_to_its_purchase_model(
    cdnow_split, cdnow_split_bg, cdnow_split_gg
):
    cal, hold = cdnow_split
    bundle = clv.ModelBundle(cdnow_split_bg, cdnow_split_gg)
    with pytest.raises(InputError, match=r"models\[0\]\.bg"):
        clv.compare_models(cal, hold, models=[bundle])
    with pytest.raises(InputError, match=r"bg=bundle\.bg, gg=bundle\.gg"):
        clv.evaluate_holdout(bundle, cal, hold)


def test_split_periods_match_a_count_by_hand():
    # A purchase late on the calibration end's day is in calibration (the end is a whole day);
    # a first purchase in the holdout makes a new customer, one after observation_end neither.
    log = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 2, 3, 4, 4, 5],
            "date": pd.to_datetime(
                [
                    "2020-01-01 09:00",
                    "2020-01-10 08:00",
                    "2020-02-01 23:59",
                    "2020-02-01 10:00",
                    "2020-01-05 00:00",
                    "2020-03-01 12:00",
                    "2020-01-20 00:00",
                    "2020-03-10 00:00",
                    "2020-04-20 00:00",
                    "2020-05-01 00:00",
                ]
            ),  # fmt: skip
            "amount": [10.0, 20.0, 30.0, 5.0, 5.0, 7.0, 8.0, 9.0, 4.0, 10.0],
        }
    )
    cal, hold = clv.calibration_holdout_split(log, "2020-02-01 06:00", "2020-04-30", time_unit="D")
    days = log.assign(day=log["date"].dt.normalize())
    days = days.groupby(["customer_id", "day"], as_index=False)["amount"].sum()
    first = days.groupby("customer_id")["day"].min()
    end, stop = pd.Timestamp("2020-02-01"), pd.Timestamp("2020-04-30")
    cohort = first[first <= end].index
    assert list(cal.index) == list(cohort)
    repeat = days[days["day"] > days["customer_id"].map(first)]
    in_cal = repeat[repeat["day"] <= end]
    expected_frequency = in_cal.groupby("customer_id").size().reindex(cohort, fill_value=0)
    np.testing.assert_array_equal(cal["frequency"], expected_frequency)
    np.testing.assert_allclose(cal["T"], (end - first[cohort]).dt.days)
    assert cal.loc[1, "monetary_value"] == pytest.approx((20.0 + 35.0) / 2)
    held = days[(days["day"] > end) & (days["day"] <= stop)]
    expected_holdout = held.groupby("customer_id").size().reindex(cohort, fill_value=0)
    np.testing.assert_array_equal(hold["frequency_holdout"], expected_holdout)
    assert hold.attrs["new_customers"] == [4]
    assert hold.attrs["customers_after_end"] == 1
    assert hold["duration_holdout"].iloc[0] == (stop - end).days
