"""Discounted CLV, the naive formula and the comparison table."""

import numpy as np
import pandas as pd
import pytest
from published import PUBLISHED_BG, PUBLISHED_GG

import clvmodel as clv

BG = PUBLISHED_BG
GG = PUBLISHED_GG


@pytest.fixture(scope="module")
def models():
    return (
        clv.BetaGeoModel.from_params(BG, time_unit="W"),
        clv.GammaGammaModel.from_params(GG),
    )


@pytest.fixture(scope="module")
def rfm():
    return clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30")


def test_undiscounted_value_is_margin_times_spend_times_purchases(models, rfm):
    bg, gg = models
    value = clv.customer_lifetime_value(bg, gg, rfm, horizon=26, margin=0.3)
    expected = 0.3 * gg.expected_spend(rfm) * bg.expected_purchases(rfm, 26)
    np.testing.assert_allclose(value.to_numpy(), expected.to_numpy(), rtol=1e-10)


def test_discounting_matches_a_hand_computed_sum(models, rfm):
    bg, gg = models
    one = rfm.loc[["00004"]]
    weekly = 1.1 ** (7 / 365.25) - 1
    cumulative = [bg.expected_purchases(one, k).iloc[0] for k in range(0, 5)]
    by_hand = (
        sum((cumulative[k] - cumulative[k - 1]) / (1 + weekly) ** k for k in range(1, 5))
        * gg.expected_spend(one).iloc[0]
    )
    value = clv.customer_lifetime_value(bg, gg, one, horizon=4, discount_rate=0.1)
    assert value.iloc[0] == pytest.approx(by_hand, rel=1e-12)


def test_a_partial_last_period_is_discounted_at_its_own_end(models, rfm):
    # "1.5Y": a whole year discounted by one year, then half a year discounted by 1.5 years.
    bg, gg = models
    one = rfm.loc[["00004"]]
    weeks = [0.0, 365.25 / 7, 1.5 * 365.25 / 7]
    cumulative = [bg.expected_purchases(one, t).iloc[0] for t in weeks]
    by_hand = (
        (cumulative[1] - cumulative[0]) / 1.1 + (cumulative[2] - cumulative[1]) / 1.1**1.5
    ) * gg.expected_spend(one).iloc[0]
    value = clv.customer_lifetime_value(bg, gg, one, horizon="1.5Y", discount_rate=0.1)
    assert value.iloc[0] == pytest.approx(by_hand, rel=1e-12)


def test_periods_of_any_unit_cover_the_same_time(models, rfm):
    bg, gg = models
    one_year = clv.customer_lifetime_value(bg, gg, rfm, horizon="1Y")
    in_weeks = clv.customer_lifetime_value(bg, gg, rfm, horizon=clv.Duration(365.25 / 7, "W"))
    in_months = clv.customer_lifetime_value(bg, gg, rfm, horizon="12M")
    np.testing.assert_allclose(one_year, in_weeks, rtol=1e-10)
    np.testing.assert_allclose(one_year, in_months, rtol=1e-10)


def test_value_falls_with_the_discount_rate_and_is_finite(models, rfm):
    bg, gg = models
    low = clv.customer_lifetime_value(bg, gg, rfm, horizon="24M", discount_rate=0.0)
    high = clv.customer_lifetime_value(bg, gg, rfm, horizon="24M", discount_rate=0.3)
    assert np.isfinite(high).all()
    assert (high <= low + 1e-12).all() and (high < low).any()
    assert (low.index == rfm.index).all()


def test_value_needs_a_time_unit_when_the_model_has_none(rfm):
    bg = clv.BetaGeoModel.from_params(BG)
    gg = clv.GammaGammaModel.from_params(GG)
    advice = r"does not record its time unit.*fit\(rfm, time_unit='W'\)"
    with pytest.raises(clv.InputError, match=advice):
        clv.customer_lifetime_value(bg, gg, rfm, horizon="4W")
    # (the deprecated time_unit= fallback: tests/test_vocabulary.py)


def test_a_table_of_ones_own_is_fitted_with_its_time_unit(models, rfm):
    """An RFM table made without rfm_summary records no unit (nor does one that went through a
    merge): fit(time_unit=) gives the model its unit, so that "12M" converts to its periods."""
    plain = pd.DataFrame({c: rfm[c].to_numpy() for c in rfm.columns}, index=rfm.index)
    assert plain.attrs == {} and rfm.attrs["time_unit"] == "W"
    unitless = clv.BetaGeoModel().fit(plain)
    assert unitless.time_unit_ is None
    bg = clv.BetaGeoModel().fit(plain, time_unit="W")
    gg = clv.GammaGammaModel().fit(plain, time_unit="W")
    assert bg.time_unit_ == gg.time_unit_ == "W"
    recorded = clv.BetaGeoModel().fit(rfm), clv.GammaGammaModel().fit(rfm)
    np.testing.assert_allclose(bg.params_, recorded[0].params_, rtol=1e-12)
    np.testing.assert_allclose(
        clv.customer_lifetime_value(bg, gg, plain, "12M"),
        clv.customer_lifetime_value(*recorded, rfm, "12M"),
        rtol=1e-12,
    )
    # A unit that contradicts the table's, or is not one of recency's units, fails the fit, and
    # a failed fit leaves no fitted state behind.
    with pytest.raises(clv.InputError, match="contradicts the table's own time unit 'W'"):
        bg.fit(rfm, time_unit="D")
    assert not hasattr(bg, "params_")
    with pytest.raises(clv.InputError, match="time_unit='M' is not supported"):
        gg.fit(plain, time_unit="M")
    assert not hasattr(gg, "params_")


@pytest.mark.parametrize(
    "kwargs, phrase",
    [
        ({"horizon": -1}, "horizon"),
        ({"horizon": 4, "margin": 1.5}, "margin"),
        ({"horizon": 4, "discount_rate": -0.1}, "discount_rate"),
        ({"horizon": 4, "time_unit": "Q"}, "time_unit"),
        ({"horizon": "10000D"}, "longer period"),
    ],
)
def test_bad_value_arguments_raise_input_error(models, rfm, kwargs, phrase):
    bg, gg = models
    with pytest.raises(clv.InputError, match=phrase):
        clv.customer_lifetime_value(bg, gg, rfm, **kwargs)


@pytest.fixture
def small_log():
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c", "c"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-06-30", "2024-03-01", "2024-02-01", "2024-12-30"]
            ),
            "amount": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
            "channel": ["web", "web", "web", "shop", "web", "web"],
        }
    )


def test_naive_formula_by_hand(small_log):
    table = clv.naive_clv(small_log, lifespan=3.0, margin=0.5, acquisition_cost=20.0)
    row = table.loc["all"]
    orders = 5  # a's two purchases on 2024-01-01 are one order
    years = 365 / 365.25  # 2024-01-01 to 2024-12-30 inclusive
    assert row["orders"] == orders and row["customers"] == 3
    assert row["average_order_value"] == pytest.approx(210 / orders)
    assert row["purchases_per_year"] == pytest.approx(orders / 3 / years)
    expected = 210 / orders * orders / 3 / years * 3.0 * 0.5
    assert row["naive_clv"] == pytest.approx(expected)
    assert row["naive_net_clv"] == pytest.approx(expected - 20)
    assert row["clv_to_cac"] == pytest.approx(expected / 20)


def test_naive_formula_per_segment(small_log):
    table = clv.naive_clv(small_log, lifespan=1.0, segment_col="channel")
    assert list(table.index) == ["shop", "web"]
    assert table.loc["web", "customers"] == 2 and table.loc["shop", "orders"] == 1
    assert table.loc["shop", "average_order_value"] == pytest.approx(40.0)
    assert np.isnan(table.loc["web", "clv_to_cac"])


def test_naive_segments_follow_the_ids_as_read_and_cover_every_customer(small_log):
    # Padded ids (a CHAR(n) export) lost their customers' segments: the log is read with trimmed
    # ids, the segments were looked up by the raw ones (empty tables, no error).
    padded = small_log.assign(customer_id=small_log["customer_id"] + ["  ", "", " ", "", "", "  "])
    pd.testing.assert_frame_equal(
        clv.naive_clv(padded, lifespan=1.0, segment_col="channel"),
        clv.naive_clv(small_log, lifespan=1.0, segment_col="channel"),
    )
    # A customer without a segment was left out; naive_vs_model refused the same log.
    unlabelled = small_log.assign(
        channel=small_log["channel"].where(small_log["customer_id"] != "b")
    )
    with pytest.raises(clv.InputError, match=r"no value for 1 customer\(s\) \(for example \['b'\]"):
        clv.naive_clv(unlabelled, lifespan=1.0, segment_col="channel")


def test_naive_segment_must_be_fixed_per_customer(small_log):
    changing = small_log.assign(channel=["web", "shop", "web", "shop", "web", "web"])
    with pytest.raises(clv.InputError, match="changes within"):
        clv.naive_clv(changing, lifespan=1.0, segment_col="channel")
    with pytest.raises(clv.InputError, match="not a column"):
        clv.naive_clv(small_log, lifespan=1.0, segment_col="region")


def test_clv_table_puts_model_and_naive_side_by_side(models, rfm):
    bg, gg = models
    tx = clv.datasets.load_cdnow_sample()
    naive = clv.naive_clv(tx, lifespan=1.0, observation_end="1997-09-30")
    table = clv.clv_table(bg, gg, rfm, horizon="12M", naive=naive, acquisition_cost=25.0)
    assert len(table) == len(rfm)
    assert (table["naive_clv"] == naive["naive_clv"].iloc[0]).all()
    np.testing.assert_allclose(table["clv_to_cac"], table["predicted_clv"] / 25.0)
    np.testing.assert_allclose(
        table["predicted_clv"],
        clv.customer_lifetime_value(bg, gg, rfm, horizon="12M"),
    )
    weeks = 12 * (365.25 / 12) / 7
    np.testing.assert_allclose(table["expected_purchases"], bg.expected_purchases(rfm, weeks))


def test_clv_table_looks_up_naive_value_per_segment(models, rfm):
    bg, gg = models
    naive = pd.DataFrame({"naive_clv": [10.0, 99.0]}, index=["x", "y"])
    segments = pd.Series(np.where(rfm["frequency"] > 0, "y", "x"), index=rfm.index)
    table = clv.clv_table(bg, gg, rfm, horizon=4, naive=naive, segments=segments)
    assert (table.loc[rfm["frequency"] > 0, "naive_clv"] == 99.0).all()
    assert (table.loc[rfm["frequency"] == 0, "naive_clv"] == 10.0).all()
    with pytest.raises(clv.InputError, match="segments"):
        clv.clv_table(bg, gg, rfm, horizon=4, naive=naive)


@pytest.mark.parametrize("how", ["list", "array", "repeated"])
def test_segments_that_are_not_one_per_customer_id_are_refused(models, rfm, how):
    # A list has no ids to look up by (every lookup came back empty: "a segment missing from the
    # naive table"); a repeated id put a customer in two segments (a bare pandas error).
    bg, gg = models
    few = rfm.iloc[:3]
    naive = pd.DataFrame({"naive_clv": [10.0]}, index=["all"])
    one = pd.Series("all", index=few.index)
    segments = {
        "list": ["all"] * 3,
        "array": np.array(["all"] * 3),
        "repeated": pd.concat([one, one]),
    }
    phrase = "more than once" if how == "repeated" else "a pandas Series indexed"
    with pytest.raises(clv.InputError, match=phrase):
        clv.clv_table(bg, gg, few, horizon="12M", naive=naive, segments=segments[how])
    with pytest.raises(clv.InputError, match=phrase):
        clv.net_clv(bg, gg, few, "12M", segments=segments[how], cost_per_order={"all": 1.0})


def test_value_intervals_hold_tiny_and_zero_values(cdnow_split_bg, cdnow_split_gg, cdnow_split):
    # A customer almost surely gone (P(alive) about 1e-34) and one whose P(alive) underflows to
    # 0: the delta limits surround the first and are [0, 0] for the second, not the log
    # scale's old floor [1e-300, 1e-300] above an estimate of 0. The rows are numerics, not
    # purchase days (2000 repeat purchases within a week): the table records no time unit, so
    # validate_rfm does not hold frequency to the days in recency; the models' unit is weeks.
    bg, gg = cdnow_split_bg, cdnow_split_gg
    assert bg.time_unit_ == cdnow_split[0].attrs["time_unit"] == "W"
    gone = pd.DataFrame({"frequency": [20.0, 2000.0], "recency": [1.0, 1.0], "T": [300.0, 300.0],
                         "monetary_value": [30.0, 30.0]})  # fmt: skip
    table = clv.customer_lifetime_value(bg, gg, gone, horizon="12M", interval=0.9)
    tiny, zero = table.iloc[0], table.iloc[1]
    assert 0.0 < tiny["clv_lower"] <= tiny["predicted_clv"] <= tiny["clv_upper"] < 1e-20
    assert zero.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"interval": 0.9, "method": "percentile"}, "method='percentile' is not known"),
        ({"interval": 0.9, "method": "Draws"}, "method='Draws' is not known"),
        ({"interval": "abc"}, "interval must be a level such as 0.9, got 'abc'"),
        ({"interval": [0.9]}, r"interval must be a level such as 0.9, got \[0.9\]"),
        ({"interval": 1.5}, "strictly between 0 and 1"),
    ],
)
def test_value_interval_options_are_checked_as_predict_checks_them(
    options, message, cdnow_split_bg, cdnow_split_gg, cdnow_split
):
    """An unknown method gave the delta method's limits silently; a level that is no number
    raised a bare ValueError or TypeError."""
    calibration, _ = cdnow_split
    with pytest.raises(clv.InputError, match=message):
        clv.customer_lifetime_value(
            cdnow_split_bg, cdnow_split_gg, calibration.head(5), horizon="12M", **options
        )
