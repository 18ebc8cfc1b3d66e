"""RFM rows no transaction log can give: repeat purchases with recency 0, and (in a table whose
time unit is known) more repeat purchase days than days in recency.

``frequency`` counts repeat purchase *days*, the distinct days with a purchase after the first,
so the last repeat purchase is at least a day after the first purchase for each of them:
frequency ≤ recency in days. validate_rfm refused frequency 0 with recency > 0 but not the
converse, so ``frequency 3, recency 0`` and ``frequency 10, recency 1/7 week`` were fitted and
valued. A table of unknown unit may hold continuous purchase times (a simulation), where several
purchases fall within a day: only recency 0 is refused there.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.models._compress import compress_rfm
from clvmodel.rfm import validate_rfm

END = "1997-09-30"

RECENCY_0 = pd.DataFrame(
    {"frequency": [3], "recency": [0.0], "T": [10.0], "monetary_value": [20.0]}, index=["rec0"]
)
TEN_IN_A_DAY = pd.DataFrame(
    {"frequency": [10], "recency": [1 / 7], "T": [2.0], "monetary_value": [20.0]},
    index=["x10_in_1day"],
)


def _in_weeks(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table.attrs["time_unit"] = "W"
    return table


def _with_cdnow(rfm: pd.DataFrame, bad: pd.DataFrame) -> pd.DataFrame:
    """The CDNOW table with the bad rows, in weeks as recorded (concat drops the record)."""
    return _in_weeks(pd.concat([rfm, bad]))


def _plain(message: str) -> None:
    assert "nan" not in message.lower() and "np." not in message and "[" not in message, message


def _assert_recency_0_message(message: str) -> None:
    assert "rec0" in message and "frequency 3, recency 0" in message, message
    assert "distinct days" in message and "clv.rfm_summary" in message, message
    assert "same day" in message, message
    _plain(message)


def _assert_ten_in_a_day_message(message: str) -> None:
    assert "x10_in_1day" in message and "frequency 10" in message, message
    assert "= 1 day(s)" in message and "more of them than days in recency" in message, message
    assert "clv.rfm_summary" in message and "same day" in message, message
    _plain(message)


# ---------------------------------------------------------------------------------------------
# validate_rfm
def test_validate_rfm_refuses_repeat_purchases_with_recency_0():
    with pytest.raises(clv.InputError) as caught:
        validate_rfm(RECENCY_0)
    _assert_recency_0_message(str(caught.value))


def test_validate_rfm_names_rows_of_a_mapping_from_0_for_recency_0():
    columns = {name: RECENCY_0[name].to_numpy() for name in RECENCY_0}
    with pytest.raises(clv.InputError, match=re.escape("row(s) 0, counting from 0")) as caught:
        validate_rfm(columns)
    assert "frequency 3, recency 0" in str(caught.value)
    _plain(str(caught.value))


@pytest.mark.parametrize("given", ["recorded", "argument"])
def test_validate_rfm_refuses_more_repeat_days_than_days_in_recency_of_known_unit(given):
    with pytest.raises(clv.InputError) as caught:
        if given == "recorded":
            validate_rfm(_in_weeks(TEN_IN_A_DAY))
        else:
            validate_rfm(TEN_IN_A_DAY, time_unit="W")
    _assert_ten_in_a_day_message(str(caught.value))
    assert "recency 0.14285714285714285 weeks" in str(caught.value)


def test_validate_rfm_bounds_frequency_by_recency_in_days():
    days = pd.DataFrame({"frequency": [2, 3], "recency": [3.0, 2.0], "T": [5.0, 5.0]}, index=[7, 8])
    days.attrs["time_unit"] = "D"
    with pytest.raises(clv.InputError, match=r"customer 8: frequency 3, recency 2 days\)"):
        validate_rfm(days)
    # In weeks the same numbers are 21 and 14 days: room enough.
    weeks = days.copy()
    weeks.attrs["time_unit"] = "W"
    validate_rfm(weeks)


def test_the_bound_allows_recency_in_weeks_rounded_in_floating_point():
    # 61 repeat days in 61 days: 61/7 weeks times 7 is 60.99999999999999.
    table = _in_weeks(pd.DataFrame({"frequency": [61], "recency": [61 / 7], "T": [9.0]}))
    assert table["recency"].iloc[0] * 7 < 61
    validate_rfm(table)


def test_a_table_of_unknown_unit_may_have_several_purchases_in_a_day():
    """Continuous purchase times: simulated customers keep their several purchases a day."""
    validate_rfm(TEN_IN_A_DAY)
    simulated = clv.simulate_customers(
        20_000, {"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}, T=39.0, seed=1
    )
    assert (simulated["frequency"] > 7 * simulated["recency"]).any()
    validate_rfm(simulated)


def test_a_valid_cdnow_table_is_accepted(cdnow_rfm, cdnow_sample, cdnow_split):
    assert cdnow_rfm.attrs["time_unit"] == "W"
    validate_rfm(cdnow_rfm)
    validate_rfm(cdnow_rfm, time_unit="W")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        days = clv.rfm_summary(cdnow_sample, observation_end=END, time_unit="D")
    validate_rfm(days)
    validate_rfm(cdnow_split[0])


# ---------------------------------------------------------------------------------------------
# Fitting, predicting and valuing
FITS = {
    "Pareto/NBD": lambda table: clv.ParetoNBDModel().fit(table),
    "Gamma-Gamma": lambda table: clv.GammaGammaModel().fit(table),
    # Weights take BG/NBD and MBG/NBD through validate_rfm, not the one-pass route below.
    "BG/NBD weighted": lambda table: clv.BetaGeoModel().fit(table, weights=np.ones(len(table))),
    "MBG/NBD weighted": lambda table: clv.ModifiedBetaGeoModel().fit(
        table, weights=np.ones(len(table))
    ),
}


@pytest.mark.parametrize("fit", FITS.values(), ids=FITS.keys())
@pytest.mark.parametrize("bad", ["recency_0", "ten_in_a_day"])
def test_fit_refuses_the_rows(cdnow_rfm, fit, bad):
    rows = RECENCY_0 if bad == "recency_0" else TEN_IN_A_DAY
    with pytest.raises(clv.InputError) as caught:
        fit(_with_cdnow(cdnow_rfm, rows))
    check = _assert_recency_0_message if bad == "recency_0" else _assert_ten_in_a_day_message
    check(str(caught.value))


@pytest.mark.parametrize("model", [clv.BetaGeoModel, clv.ModifiedBetaGeoModel])
@pytest.mark.parametrize("bad", ["recency_0", "ten_in_a_day"])
def test_bg_nbd_fit_refuses_the_rows(cdnow_rfm, model, bad):
    """Without weights, a table in whole days or weeks takes the one-pass route (compress_rfm),
    which leaves these rows to the general route and its message."""
    rows = RECENCY_0 if bad == "recency_0" else TEN_IN_A_DAY
    table = _with_cdnow(cdnow_rfm, rows)
    assert compress_rfm(table) is None
    with pytest.raises(clv.InputError) as caught:
        model().fit(table)
    check = _assert_recency_0_message if bad == "recency_0" else _assert_ten_in_a_day_message
    check(str(caught.value))


def test_the_one_pass_route_still_takes_valid_tables_in_weeks(cdnow_rfm):
    assert cdnow_rfm.attrs["time_unit"] == "W"
    assert compress_rfm(cdnow_rfm) is not None


@pytest.mark.parametrize("bad", ["recency_0", "ten_in_a_day"])
def test_predict_and_customer_lifetime_value_refuse_the_rows(fitted_bg, fitted_gg, bad):
    table = _in_weeks(RECENCY_0 if bad == "recency_0" else TEN_IN_A_DAY)
    check = _assert_recency_0_message if bad == "recency_0" else _assert_ten_in_a_day_message
    calls = [
        lambda: fitted_bg.predict(table, 39),
        lambda: fitted_bg.probability_alive(table),
        lambda: clv.customer_lifetime_value(fitted_bg, fitted_gg, table, horizon="12M"),
        lambda: clv.clv_table(fitted_bg, fitted_gg, table, horizon="12M"),
    ]
    for call in calls:
        with pytest.raises(clv.InputError) as caught:
            call()
        check(str(caught.value))


def test_predict_bounds_frequency_in_the_unit_its_time_unit_argument_gives(fitted_bg):
    """A table without a recorded unit (a join dropped it): the time_unit= of the prediction
    methods is the table's unit, as a recorded one is."""
    assert fitted_bg.time_unit_ == "W" and not TEN_IN_A_DAY.attrs
    assert np.isfinite(fitted_bg.probability_alive(TEN_IN_A_DAY)).all()  # unit unknown
    for call in (
        lambda: fitted_bg.predict(TEN_IN_A_DAY, 39, time_unit="W"),
        lambda: fitted_bg.probability_alive(TEN_IN_A_DAY, time_unit="W"),
        lambda: fitted_bg.expected_purchases(TEN_IN_A_DAY, 39, time_unit="W"),
    ):
        with pytest.raises(clv.InputError) as caught:
            call()
        _assert_ten_in_a_day_message(str(caught.value))


UNIT_FITS = {
    "BG/NBD one pass": lambda table: clv.BetaGeoModel().fit(table, time_unit="W"),
    "MBG/NBD one pass": lambda table: clv.ModifiedBetaGeoModel().fit(table, time_unit="W"),
    "BG/NBD weighted": lambda table: clv.BetaGeoModel().fit(
        table, weights=np.ones(len(table)), time_unit="W"
    ),
    "Pareto/NBD": lambda table: clv.ParetoNBDModel().fit(table, time_unit="W"),
    "Gamma-Gamma": lambda table: clv.GammaGammaModel().fit(table, time_unit="W"),
}


@pytest.mark.parametrize("fit", UNIT_FITS.values(), ids=UNIT_FITS.keys())
def test_fit_bounds_frequency_in_the_unit_its_time_unit_argument_gives(cdnow_rfm, fit):
    """As for predict: fit(time_unit=...) names the unit of a table that lost its record, and
    the rows are then refused on every route (the one-pass BG/NBD route included)."""
    table = pd.concat([cdnow_rfm, TEN_IN_A_DAY])
    assert not table.attrs
    with pytest.raises(clv.InputError) as caught:
        fit(table)
    _assert_ten_in_a_day_message(str(caught.value))


# ---------------------------------------------------------------------------------------------
# Every table rfm_summary builds passes
@st.composite
def transaction_logs(draw):
    n = draw(st.integers(1, 40))
    ids = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))
    minutes = draw(st.lists(st.integers(0, 24 * 60 - 1), min_size=n, max_size=n))
    dates = [
        pd.Timestamp("2024-01-01") + pd.Timedelta(days=d, minutes=m)
        for d, m in zip(days, minutes, strict=True)
    ]
    amounts = draw(st.lists(st.floats(0, 500, allow_nan=False), min_size=n, max_size=n))
    return pd.DataFrame({"customer_id": ids, "date": dates, "amount": amounts})


@given(log=transaction_logs(), unit=st.sampled_from(["D", "W"]), extra_days=st.integers(0, 30))
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_table_rfm_summary_builds_is_valid(log, unit, extra_days):
    end = (log["date"].max().normalize() + pd.Timedelta(days=extra_days)).strftime("%Y-%m-%d")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        rfm = clv.rfm_summary(log, observation_end=end, time_unit=unit)
    assert rfm.attrs["time_unit"] == unit
    checked = validate_rfm(rfm, require=("frequency", "recency", "T", "monetary_value"))
    days = checked.recency * {"D": 1, "W": 7}[unit]
    assert (checked.frequency <= np.round(days)).all()
    unrecorded = rfm.copy()
    unrecorded.attrs = {}
    validate_rfm(unrecorded, time_unit=unit)  # the unit given, not recorded


def test_continuous_and_rounded_recency_bounds_nothing_even_in_a_known_unit():
    # The library's own simulate_customers tables (continuous purchase times: a repeat
    # purchase half a day after the first) and a weekly table rounded to 2 decimals (0.14 weeks
    # for one day) were refused once a unit was given or assumed. Only a recency of whole days
    # bounds the repeat purchases; recency 0 still does.
    sim = clv.simulate_customers(3000, {"r": 0.5, "alpha": 2.0, "a": 0.8, "b": 2.5}, T=39, seed=2)
    assert (sim["frequency"] > sim["recency"] * 7).sum() > 0  # the rows once refused
    for unit in ("W", "D"):
        validate_rfm(sim, time_unit=unit)
    bg = clv.BetaGeoModel().fit(sim, time_unit="W")
    assert len(bg.predict(sim, 10, time_unit="W")) == len(sim)
    rounded = pd.DataFrame({"frequency": [1, 2], "recency": [0.14, 0.29], "T": [5.0, 5.0]})
    rounded.attrs["time_unit"] = "W"
    validate_rfm(rounded)
    whole = rounded.assign(recency=[1 / 7, 1 / 7])  # one day: two repeat days do not fit
    whole.attrs["time_unit"] = "W"
    with pytest.raises(clv.InputError, match="more of them than days in recency"):
        validate_rfm(whole)
