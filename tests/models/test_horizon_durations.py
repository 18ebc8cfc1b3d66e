"""Horizons of the purchase models' predictions given as durations.

Every horizon also takes its text form ("39W", "12M") or a Duration, converted to the model's
time unit; predict, its shortcuts and the new-customer predictions refused it as text. A horizon
that is not a number of time units (a numpy duration, a date, text without a unit, true/false, a
Series of durations) is refused in words, as is a duration given to a model that records no
calendar time unit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv


# --- A horizon given as a duration, a date, text or true/false is refused -----------------------
@pytest.mark.parametrize(
    "horizon",
    [
        np.timedelta64(7, "D"),
        np.array([7, 14], dtype="timedelta64[D]"),
        np.datetime64("2026-01-01"),
        "52",
        True,
        np.array([True, False]),
    ],
    ids=["timedelta", "timedeltas", "date", "text", "bool", "bools"],
)
def test_a_horizon_that_is_not_a_number_of_time_units_is_refused(horizon, published_bg, cdnow_rfm):
    with pytest.raises(clv.InputError, match="number of time units"):
        published_bg.expected_purchases(cdnow_rfm.head(2), t=horizon)
    with pytest.raises(clv.InputError, match="number of time units"):
        published_bg.expected_purchases_new(horizon)


def test_a_horizon_series_of_durations_is_refused(published_bg, cdnow_rfm):
    rows = cdnow_rfm.head(2)
    horizon = pd.Series(pd.to_timedelta([7, 14], unit="D"), index=rows.index)
    with pytest.raises(clv.InputError, match="number of time units"):
        published_bg.expected_purchases(rows, t=horizon)


# --- A horizon given as a duration with its unit is converted to the model's unit ---------------
@pytest.mark.parametrize("unit", ["W", "D"])
def test_a_horizon_written_with_its_unit_is_converted_to_the_model_s(unit, published_bg, cdnow_rfm):
    """The guide: every horizon also takes its text form ("39W", "12M"). predict, its shortcuts
    and the new-customer predictions refused it as text."""
    per_unit = 1.0 if unit == "W" else 7.0  # model units in a week
    params = {**published_bg.params_, "alpha": published_bg.params_["alpha"] * per_unit}
    model = clv.BetaGeoModel.from_params(params, time_unit=unit)
    table = cdnow_rfm.head(5).copy()
    table[["recency", "T"]] *= per_unit
    table.attrs["time_unit"] = unit
    number = 39.0 * per_unit
    for duration in ("39W", "273D", clv.Duration(39, "W")):
        pd.testing.assert_frame_equal(
            model.predict(table, t=duration), model.predict(table, t=number)
        )
        assert model.expected_purchases_new(duration) == pytest.approx(
            model.expected_purchases_new(number), rel=1e-12
        )
    a_year = model.expected_purchases(table, 365.25 / 7 * per_unit)
    pd.testing.assert_series_equal(model.expected_purchases(table, "12M"), a_year)
    pd.testing.assert_series_equal(model.expected_purchases(table, "1Y"), a_year)


def test_a_duration_is_refused_by_a_model_without_a_calendar_unit(cdnow_rfm):
    unitless = clv.BetaGeoModel.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4})
    with pytest.raises(clv.InputError, match="records no calendar time unit.*time_unit='W'"):
        unitless.expected_purchases(cdnow_rfm.head(2), "39W")
    with pytest.raises(clv.InputError, match="number of time units"):  # text, no duration
        unitless.expected_purchases(cdnow_rfm.head(2), "52")
