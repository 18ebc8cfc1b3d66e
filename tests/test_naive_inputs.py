"""Inputs of the naive formula and of the unit economics: the period that needs segments, bounds
of the numbers, the reading options shared with rfm_summary."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from published import PUBLISHED_BG, PUBLISHED_GG

import clvmodel as clv
from clvmodel._units import check_number
from clvmodel.economics import cac_payback, naive_vs_model, net_clv, unit_economics_summary
from clvmodel.subscription_value import naive_vs_model_retention

# Published BG/NBD and Gamma-Gamma parameters for CDNOW: Fader, Hardie and Lee (2005), "Counting
# your customers the easy way", and Fader, Hardie and Lee (2005), "RFM and CLV", table 1.
BG = PUBLISHED_BG
GG = PUBLISHED_GG
# Fader and Hardie (2007), "How to project customer retention", the "regular" cohort.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]


@pytest.fixture(scope="module")
def models():
    return clv.BetaGeoModel.from_params(BG, time_unit="W"), clv.GammaGammaModel.from_params(GG)


@pytest.fixture
def log():
    """Three customers in 2020 (calibration) and the first half of 2021 (holdout)."""
    rows = [
        ("a", "2020-01-10", 10.0), ("a", "2020-05-03", 20.0), ("a", "2021-02-01", 15.0),
        ("b", "2020-02-14", 30.0), ("b", "2020-11-20", 25.0), ("b", "2021-04-04", 40.0),
        ("c", "2020-06-30", 12.0), ("c", "2021-05-05", 18.0),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    return frame.assign(channel=frame["customer_id"].map({"a": "web", "b": "web", "c": "shop"}))


def _late_customer(frame, channel=None):
    """``frame`` with a customer whose only purchases are after the end of 2020."""
    late = pd.DataFrame({"customer_id": ["new", "new"], "date": ["2021-03-01", "2021-04-01"],
                         "amount": [50.0, 60.0], "channel": [channel, channel]})  # fmt: skip
    return pd.concat([frame, late], ignore_index=True)


# ------------------------------------------------------------------------- 1. segments' period
def test_a_customer_after_observation_end_needs_no_segment(log):
    expected = clv.naive_clv(log, 1.0, segment_col="channel", observation_end="2020-12-31")
    table = clv.naive_clv(
        _late_customer(log), 1.0, segment_col="channel", observation_end="2020-12-31"
    )
    pd.testing.assert_frame_equal(table, expected)
    assert table["customers"].sum() == 3  # the late customer is not counted
    # A customer with a purchase in the period still needs one.
    unlabelled = log.assign(channel=log["channel"].where(log["customer_id"] != "c"))
    with pytest.raises(clv.InputError, match=r"no value for 1 customer\(s\) \(for example \['c'\]"):
        clv.naive_clv(unlabelled, 1.0, segment_col="channel", observation_end="2020-12-31")


def test_naive_vs_model_takes_segments_of_the_calibration_cohort(models, log):
    bg, gg = models
    expected = naive_vs_model(bg, gg, log, "2020-12-31", "2021-06-30", segments="channel")
    late = _late_customer(log)
    # As a column, blank for the customer who first buys in the holdout (the CLI's report) ...
    by_column = naive_vs_model(bg, gg, late, "2020-12-31", "2021-06-30", segments="channel")
    pd.testing.assert_frame_equal(by_column, expected)
    # ... and as a Series over the calibration customers, as docs/guide/economics.md shows.
    cal, _ = clv.calibration_holdout_split(late, "2020-12-31", "2021-06-30")
    series = log.groupby("customer_id")["channel"].first().reindex(cal.index)
    by_series = naive_vs_model(bg, gg, late, "2020-12-31", "2021-06-30", segments=series)
    pd.testing.assert_frame_equal(by_series, expected, check_names=False)
    with pytest.raises(clv.InputError, match=r"segments has no value for 1 customer\(s\)"):
        naive_vs_model(bg, gg, late, "2020-12-31", "2021-06-30", segments=series.drop("b"))


# ---------------------------------------------------------------------------------- 2. lifespan
@pytest.mark.parametrize("lifespan", [0.0, -1.0, 100.5, 150.0, math.inf])
def test_lifespan_is_above_0_and_at_most_100_years(models, log, lifespan):
    bg, gg = models
    with pytest.raises(clv.InputError, match="^lifespan must be"):
        naive_vs_model(bg, gg, log, "2020-12-31", "2021-06-30", lifespan=lifespan)
    with pytest.raises(clv.InputError, match="^lifespan must be"):
        clv.naive_clv(log, lifespan)


def test_a_lifespan_of_100_years_is_accepted(log):
    one, hundred = (clv.naive_clv(log, years).loc["all", "naive_clv"] for years in (1.0, 100))
    assert hundred == pytest.approx(100 * one)


# --------------------------------------------------------------------- 3. subscription naive
@pytest.mark.parametrize(
    "option",
    [
        {"margin": 5.0},
        {"margin": 0.0},
        {"margin": -0.3},
        {"price": -100.0},
        {"price": math.inf},
        {"price": True},
        {"price": "100"},
    ],  # fmt: skip
)
def test_naive_vs_model_retention_refuses_bad_price_and_margin(option):
    name = next(iter(option))
    with pytest.raises(clv.InputError, match=f"^{name} must be"):
        naive_vs_model_retention(REGULAR, 7, **option)


def test_naive_vs_model_retention_value_is_price_times_margin_times_payments():
    value = naive_vs_model_retention(REGULAR, 7, price=100.0, margin=0.3).value
    np.testing.assert_allclose(value["value"], 30.0 * value["payments"])
    free = naive_vs_model_retention(REGULAR, 7, price=0.0).value  # a free plan: accepted
    assert (free["value"] == 0).all()


# ------------------------------------------------------------------ 4. repeated segment costs
def _rfm():
    rfm = pd.DataFrame({"frequency": [2, 0, 10], "recency": [30.43, 0.0, 38.0], "T": [38.86] * 3,
                        "monetary_value": [20.0, 0.0, 50.0], "ch": ["web", "web", "shop"]},
                       index=["x", "y", "z"])  # fmt: skip
    rfm.attrs["time_unit"] = "W"
    return rfm


@pytest.mark.parametrize("argument", ["acquisition_cost", "cost_per_order", "cost_per_period"])
def test_a_per_segment_cost_with_a_repeated_segment_is_refused(models, argument):
    bg, gg = models
    costs = {"acquisition_cost": 5.0, argument: pd.Series([5.0, 50.0, 8.0], ["web", "web", "shop"])}
    with pytest.raises(clv.InputError, match=rf"^{argument} gives segment\(s\) \['web'\] more"):
        cac_payback(bg, gg, _rfm(), horizon="12M", segments="ch", **costs)
    if argument != "acquisition_cost":
        with pytest.raises(clv.InputError, match=rf"^{argument} gives segment"):
            net_clv(bg, gg, _rfm(), "12M", segments="ch", **{argument: costs[argument]})


def test_a_per_segment_series_without_repeats_is_looked_up(models):
    bg, gg = models
    cac = pd.Series([5.0, 8.0], index=["web", "shop"])
    table = cac_payback(bg, gg, _rfm(), acquisition_cost=cac, horizon="12M", segments="ch")
    assert table["acquisition_cost"].tolist() == [5.0, 5.0, 8.0]


# ------------------------------------------------------------------- 5. an end in the future
def test_naive_clv_refuses_an_observation_end_in_the_future(log):
    future = (pd.Timestamp.now() + pd.Timedelta(days=400)).strftime("%Y-%m-%d")
    with pytest.raises(clv.InputError, match=r"observation_end= \(.*\) is in the future"):
        clv.naive_clv(log, 1.0, observation_end=future)
    later = log.assign(date=log["date"].where(log["customer_id"] != "c", future))
    with pytest.raises(clv.InputError, match="latest purchase date .* is in the future"):
        clv.naive_clv(later, 1.0)


# ------------------------------------------------------------ 6, 7. reading options, duplicates
def test_naive_clv_drops_unusable_rows_on_request(log):
    bad = pd.concat(
        [log, pd.DataFrame({"customer_id": ["a", None], "date": ["2020-03-01", "2020-04-01"],
                            "amount": [-10.0, 5.0], "channel": ["web", "web"]})],
        ignore_index=True,
    )  # fmt: skip
    with pytest.raises(clv.InputError, match="no customer id .* pass on_invalid='drop'"):
        clv.naive_clv(bad, 1.0)
    # a repeated row label must not drop a usable row with it
    relabelled = bad.set_axis([0] * len(bad))
    for frame in (bad, relabelled):
        pd.testing.assert_frame_equal(
            clv.naive_clv(frame, 1.0, segment_col="channel", on_invalid="drop"),
            clv.naive_clv(log, 1.0, segment_col="channel"),
        )
    with pytest.raises(clv.InputError, match="on_invalid='skip'"):
        clv.naive_clv(log, 1.0, on_invalid="skip")
    with pytest.raises(clv.InputError, match="no row of the transactions can be used"):
        clv.naive_clv(bad.iloc[-2:], 1.0, on_invalid="drop")


def test_naive_clv_reads_dates_with_date_format(log):
    day_first = log.assign(date=pd.to_datetime(log["date"]).dt.strftime("%d/%m/%Y"))
    with pytest.raises(clv.InputError, match="date_format="):
        clv.naive_clv(day_first.iloc[[0, 1]], 1.0)  # 10/01/2020 and 03/05/2020 read both ways
    pd.testing.assert_frame_equal(
        clv.naive_clv(day_first, 1.0, observation_end="31/12/2020", date_format="%d/%m/%Y"),
        clv.naive_clv(log, 1.0, observation_end="2020-12-31"),
    )


def test_naive_clv_warns_about_duplicate_rows_or_drops_them(log):
    copied = pd.concat([log, log.iloc[[0]]], ignore_index=True)  # a's 10.00 on 2020-01-10 twice
    with pytest.warns(clv.ClvWarning, match=r"^1 row\(s\) repeat another row exactly"):
        counted = clv.naive_clv(copied, 1.0)
    plain = clv.naive_clv(log, 1.0)
    # the copy adds to its day's amount, not to the orders (customer-days)
    assert counted.loc["all", "orders"] == plain.loc["all", "orders"] == 8
    assert counted.loc["all", "average_order_value"] == pytest.approx((170.0 + 10.0) / 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pd.testing.assert_frame_equal(clv.naive_clv(copied, 1.0, drop_duplicates=True), plain)
        # a copy after observation_end is not part of the computation: no warning
        late_copy = pd.concat([log, log.iloc[[2]]], ignore_index=True)
        clv.naive_clv(late_copy, 1.0, observation_end="2020-12-31")


# ------------------------------------------------------------------------------ 8. short window
@pytest.mark.parametrize("days", [1, 2, 27])
def test_a_short_window_warns_that_the_rate_is_extrapolated(days):
    end = pd.Timestamp("2020-12-31")
    tx = pd.DataFrame({"customer_id": ["a", "b"], "amount": [40.0, 40.0],
                       "date": [end - pd.Timedelta(days=days - 1), end]})  # fmt: skip
    with pytest.warns(clv.ClvWarning, match=f"extrapolated from {days} day"):
        table = clv.naive_clv(tx, 1.0)
    assert table.loc["all", "purchases_per_year"] == pytest.approx(1 / (days / 365.25))


def test_a_window_of_28_days_does_not_warn():
    tx = pd.DataFrame({"customer_id": ["a", "b"], "amount": [40.0, 40.0],
                       "date": ["2020-12-04", "2020-12-31"]})  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clv.naive_clv(tx, 1.0)


# ---------------------------------------------------------------------- 9. the global window
def test_every_segment_is_divided_by_the_whole_window():
    # Documented behaviour (naive_clv's Notes): a cohort that starts late is understated.
    tx = pd.DataFrame({"customer_id": ["old", "old", "new", "new"],
                       "date": ["2020-01-01", "2020-06-01", "2020-12-01", "2020-12-31"],
                       "amount": 10.0,
                       "cohort": ["2020-01", "2020-01", "2020-12", "2020-12"]})  # fmt: skip
    table = clv.naive_clv(tx, 1.0, segment_col="cohort")
    years = 366 / 365.25  # 2020-01-01 to 2020-12-31, both included (a leap year)
    assert table.loc["2020-12", "purchases_per_year"] == pytest.approx(2 / years)
    own = clv.naive_clv(tx[tx["cohort"] == "2020-12"], 1.0)  # its rows alone: its own window
    assert own.loc["all", "purchases_per_year"] == pytest.approx(2 / (31 / 365.25))


# ------------------------------------------------------------- 10. a missing `by` in the summary
def test_unit_economics_summary_refuses_a_missing_group(models):
    bg, gg = models
    table = cac_payback(bg, gg, _rfm(), 5.0, "12M", margin=0.3)
    table["cohort"] = ["2020", None, "2020"]
    with pytest.raises(clv.InputError, match=r"^by='cohort' has no value for 1 customer\(s\)"):
        unit_economics_summary(table, by="cohort")
    table["cohort"] = table["cohort"].fillna("unknown")
    assert unit_economics_summary(table, by="cohort")["customers"].sum() == 3


# ------------------------------------------------------------------------ 11. numbers, checked
@pytest.mark.parametrize("value", ["5", b"5", True, False, np.bool_(True), None, [5.0]])
def test_check_number_refuses_text_and_booleans(value):
    with pytest.raises(clv.InputError, match="^acquisition_cost must be a number"):
        check_number("acquisition_cost", value, 0.0, math.inf)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, np.float64("inf")])
def test_check_number_says_finite(value):
    with pytest.raises(clv.InputError, match="^acquisition_cost must be finite"):
        check_number("acquisition_cost", value, 0.0, math.inf)


@pytest.mark.parametrize("option", [{"acquisition_cost": "5"}, {"acquisition_cost": True},
                                    {"lifespan": True}, {"lifespan": "1"}])  # fmt: skip
def test_naive_clv_refuses_text_and_booleans(log, option):
    with pytest.raises(clv.InputError, match=f"^{next(iter(option))} must be a number"):
        clv.naive_clv(log, **({"lifespan": 1.0} | option))


@given(
    value=st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**6), 10**6),
    low=st.floats(-1e6, 1e6),
    width=st.floats(0.0, 1e6),
)
def test_check_number_keeps_a_finite_number_within_its_bounds(value, low, width):
    high = low + width
    if low <= value <= high:
        assert check_number("x", value, low, high) == float(value)
    else:
        with pytest.raises(clv.InputError, match="^x must be between"):
            check_number("x", value, low, high)
    if value >= 0:
        assert check_number("x", value, 0.0) == float(value)
    else:
        with pytest.raises(clv.InputError, match="^x must be ≥ 0"):
            check_number("x", value, 0.0)
