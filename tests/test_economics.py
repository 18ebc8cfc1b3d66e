"""Unit economics (clvmodel.economics): P(alive) at a future time, net CLV after the cost to
serve, CAC payback (customers and Day One signups), the per-segment summary, the naive formula per
segment on a CDNOW holdout, and bad costs.

Reference values are computed here by hand from the models' stories: constant purchase and dropout
rates (gamma and beta mixtures made degenerate with huge shape parameters) give geometric series,
and P(alive at T + t | alive at T) is checked by quadrature and by simulation of the story."""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.dayone import first_purchase_attributes
from clvmodel.economics import (
    cac_payback,
    day_one_payback,
    naive_vs_model,
    net_clv,
    probability_alive_at,
    unit_economics_summary,
)
from clvmodel.errors import InputError

WEEKS_PER_MONTH = 365.25 / 12 / 7
# The paper's CDNOW estimates (DESIGN.md reference results), so no fit is needed.
BG_CDNOW = dict(r=0.2426, alpha=4.4137, a=0.7930, b=2.4262)
GG_CDNOW = dict(p=6.25, q=3.74, v=15.44)
HUGE = 1e9


def _rfm(*rows):
    return pd.DataFrame(
        rows,
        columns=["frequency", "recency", "T", "monetary_value"],
        index=list("abcdef")[: len(rows)],
    )


def _constant_models(rate, spend, dropout=None):
    """Purchase rate ``rate`` per week for every customer (Gamma(rate·H, H) with H huge), spend
    ``spend`` per order, and no dropout (BG/NBD with p ≈ 1e−18) or an exponential lifetime with rate
    ``dropout`` per week (Pareto/NBD with μ ~ Gamma(dropout·H, H))."""
    if dropout is None:
        purchase = clv.BetaGeoModel.from_params(
            dict(r=rate * HUGE, alpha=HUGE, a=1e-9, b=HUGE), "W"
        )
    else:
        purchase = clv.ParetoNBDModel.from_params(
            dict(r=rate * HUGE, alpha=HUGE, s=dropout * HUGE, beta=HUGE), "W"
        )
    # Gamma-Gamma with q huge: the expected spend is the population mean p·v/(q − 1) = spend.
    money = clv.GammaGammaModel.from_params(dict(p=1.0, q=HUGE + 1.0, v=spend * HUGE))
    return purchase, money


def _geometric(ratio, periods):
    """Σ_{k=1}^{K} ratio^k."""
    return ratio * (1.0 - ratio**periods) / (1.0 - ratio)


# --------------------------------------------------------------------------------------------------
# P(alive at T + t | history)
@pytest.mark.parametrize("label, extra_coin", [("BG/NBD", 0.0), ("MBG/NBD", 1.0)])
@pytest.mark.parametrize(
    "x, t_x, T, t", [(0, 0.0, 20.0, 10.0), (2, 30.43, 38.86, 52.0), (7, 35.0, 39.0, 104.0)]
)
def test_survival_of_dropout_at_purchases_matches_quadrature(label, extra_coin, x, t_x, T, t):
    """Given alive at T, λ ~ Gamma(r+x, α+T) and p ~ Beta(a, b′) (b′ = b+x, +1 for MBG/NBD); alive
    at T+t iff every purchase's coin came up "stay": E[(1−p)^N], N ~ Poisson(λt), = E[e^(−λpt)]
    = ∫ ((α+T)/(α+T+pt))^(r+x) Beta(p; a, b′) dp, integrated with mpmath."""
    model_class = clv.BetaGeoModel if label == "BG/NBD" else clv.ModifiedBetaGeoModel
    model = model_class.from_params(BG_CDNOW, "W")
    r, alpha, a, b = (mpmath.mpf(BG_CDNOW[k]) for k in ("r", "alpha", "a", "b"))
    b_post = b + x + extra_coin

    def integrand(p):
        density = p ** (a - 1) * (1 - p) ** (b_post - 1) / mpmath.beta(a, b_post)
        return ((alpha + T) / (alpha + T + p * t)) ** (r + x) * density

    conditional = float(mpmath.quad(integrand, [0, 0.5, 1]))
    rfm = _rfm((x, t_x, T, 0.0))
    expected = float(model.probability_alive(rfm).iloc[0]) * conditional
    got = float(probability_alive_at(model, rfm, t).iloc[0])
    assert got == pytest.approx(expected, rel=1e-9)


def test_survival_of_bg_nbd_matches_simulation_of_the_story():
    """Simulate the BG/NBD story for an alive customer: rates and coins from the posterior, the
    purchases in (T, T+t], a coin after each; the share still alive at T+t."""
    rng = np.random.default_rng(11)
    x, T, t, n = 4, 39.0, 26.0, 400_000
    r, alpha, a, b = BG_CDNOW.values()
    lam = rng.gamma(r + x, 1.0 / (alpha + T), n)
    p = rng.beta(a, b + x, n)
    purchases = rng.poisson(lam * t)
    alive = rng.random(n) < (1.0 - p) ** purchases
    model = clv.BetaGeoModel.from_params(BG_CDNOW, "W")
    rfm = _rfm((x, T, T, 0.0))  # t_x = T: P(alive at T) = 1 − small; divide it out
    got = float(probability_alive_at(model, rfm, t).iloc[0] / model.probability_alive(rfm).iloc[0])
    se = alive.std() / math.sqrt(n)
    assert abs(got - alive.mean()) < 4 * se


def test_survival_of_pareto_nbd_is_the_slope_of_expected_purchases():
    """Pareto/NBD: dropout independent of buying, so d/dt E[Y(t) | history] = E[λ | alive] ·
    P(alive at T+t | history), E[λ | alive] = (r+x)/(α+T); checked by central differences on the
    model's own expected purchases (a separate code path)."""
    params = dict(r=0.55, alpha=10.58, s=0.61, beta=11.67)
    model = clv.ParetoNBDModel.from_params(params, "W")
    rfm = _rfm((0, 0.0, 39.0, 0.0), (3, 20.0, 39.0, 0.0), (12, 38.0, 39.0, 0.0))
    h = 1e-3
    for t in (5.0, 40.0, 200.0):
        slope = (model.expected_purchases(rfm, t + h) - model.expected_purchases(rfm, t - h)) / (
            2 * h
        )
        rate = (params["r"] + rfm["frequency"]) / (params["alpha"] + rfm["T"])
        np.testing.assert_allclose(probability_alive_at(model, rfm, t), slope / rate, rtol=1e-6)


@settings(max_examples=30, deadline=None)
@example(  # recency one ulp below T: Pareto/NBD's "died in (t_x, T]" integral once gave NaN
    kind=clv.ParetoNBDModel, params=(1.0, 1.0, 1.0, 1.0), x=1, span=0.9999999999999999, T=4.0
)
@given(
    kind=st.sampled_from([clv.BetaGeoModel, clv.ModifiedBetaGeoModel, clv.ParetoNBDModel]),
    params=st.tuples(*[st.floats(0.05, 20.0)] * 4),
    x=st.integers(0, 50),
    # t_x / T of a repeat buyer: positive, since the last repeat purchase comes after the first
    # (validate_rfm refuses recency 0 with x > 0); no subnormals, so span · T never underflows.
    span=st.floats(0.0, 1.0, exclude_min=True, allow_subnormal=False),
    T=st.floats(0.5, 500.0),
)
def test_survival_is_a_probability_falling_from_p_alive(kind, params, x, span, T):
    model = kind.from_params(dict(zip(kind.param_names, params, strict=True)), "W")
    rfm = _rfm((x, span * T if x else 0.0, T, 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = np.array(
            [float(probability_alive_at(model, rfm, t).iloc[0]) for t in (0, 1, 10, 1e3)]
        )
    assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1))
    assert values[0] == pytest.approx(float(model.probability_alive(rfm).iloc[0]), rel=1e-12)
    assert np.all(np.diff(values) <= 1e-12)


# --------------------------------------------------------------------------------------------------
# Net CLV
def test_net_clv_with_constant_rates_is_a_geometric_series():
    """λ = 0.5 purchases a week, spend 40, margin 0.3, 2 per order, 1.5 per month, 12 % a year, 24
    months, no dropout: every month nets (0.3·40 − 2)·0.5·(365.25/12/7) − 1.5, discounted by
    δ = 1.12^(−1/12) a month."""
    bg, gg = _constant_models(0.5, 40.0)
    rfm = _rfm((3, 20.0, 30.0, 40.0))
    table = net_clv(
        bg,
        gg,
        rfm,
        horizon="24M",
        discount_rate=0.12,
        margin=0.3,
        cost_per_order=2.0,
        cost_per_period=1.5,
    )
    purchases = 0.5 * WEEKS_PER_MONTH
    delta = 1.12 ** (-1 / 12)
    series = _geometric(delta, 24)
    row = table.iloc[0]
    assert row["expected_purchases"] == pytest.approx(24 * purchases, rel=1e-6)
    assert row["expected_active_periods"] == pytest.approx(24.0, rel=1e-6)
    assert row["gross_margin"] == pytest.approx(0.3 * 40 * purchases * series, rel=1e-6)
    assert row["order_costs"] == pytest.approx(2.0 * purchases * series, rel=1e-6)
    assert row["service_costs"] == pytest.approx(1.5 * series, rel=1e-6)
    assert row["net_clv"] == pytest.approx(((0.3 * 40 - 2) * purchases - 1.5) * series, rel=1e-6)


def test_net_clv_with_exponential_lifetime_is_a_geometric_series():
    """Pareto/NBD with constant λ = 0.5 and μ = 0.02 a week, a customer alive at T (t_x = T):
    month k has λ/μ (q^(k−1) − q^k) purchases and survival q^k, q = e^(−μ·L), L weeks a month, so
    net CLV = [A (1 − q)/q − c] Σ (δq)^k with A = margin·s − cost per order."""
    bg, gg = _constant_models(0.5, 40.0, dropout=0.02)
    rfm = _rfm((3, 30.0, 30.0, 40.0))
    table = net_clv(
        bg,
        gg,
        rfm,
        horizon=36,
        discount_rate=0.1,
        margin=0.25,
        cost_per_order=1.0,
        cost_per_period=0.8,
        time_unit="M",
    )
    q = math.exp(-0.02 * WEEKS_PER_MONTH)
    delta = 1.1 ** (-1 / 12)
    series = _geometric(delta * q, 36)
    purchases_factor = 0.5 / 0.02 * (1 - q) / q
    expected = (0.25 * 40 - 1.0) * purchases_factor * series - 0.8 * series
    assert table["net_clv"].iloc[0] == pytest.approx(expected, rel=1e-6)
    assert table["expected_active_periods"].iloc[0] == pytest.approx(_geometric(q, 36), rel=1e-6)


def test_weeks_and_years_count_the_same_money():
    """Undiscounted, the period only slices the horizon: 52 weeks = 364/365.25 of a year, a single
    fractional year whose cost per period counts pro rata (0.2 a week = 0.2·365.25/7 a year)."""
    bg, gg = _constant_models(0.5, 40.0)
    rfm = _rfm((3, 20.0, 30.0, 40.0))
    costs = dict(cost_per_order=1.0)
    weekly = net_clv(bg, gg, rfm, 52, time_unit="W", cost_per_period=0.2, **costs)
    yearly = net_clv(
        bg, gg, rfm, 364 / 365.25, time_unit="Y", cost_per_period=0.2 * 365.25 / 7, **costs
    )
    money = ["gross_margin", "order_costs", "service_costs", "net_clv"]
    pd.testing.assert_frame_equal(weekly[money], yearly[money], rtol=1e-9)
    assert weekly["net_clv"].iloc[0] == pytest.approx(52 * (0.5 * (40 - 1) - 0.2), rel=1e-6)


def test_gross_margin_is_customer_lifetime_value():
    bg = clv.BetaGeoModel.from_params(BG_CDNOW, "W")
    gg = clv.GammaGammaModel.from_params(GG_CDNOW)
    rfm = _rfm((0, 0.0, 38.0, 0.0), (2, 30.43, 38.86, 25.0), (9, 37.0, 39.0, 80.0))
    table = net_clv(bg, gg, rfm, horizon="18M", discount_rate=0.15, margin=0.4, cost_per_period=1.0)
    reference = clv.customer_lifetime_value(
        bg, gg, rfm, horizon="18M", discount_rate=0.15, margin=0.4
    )
    np.testing.assert_allclose(table["gross_margin"], reference, rtol=1e-12)
    assert (table["net_clv"] < table["gross_margin"]).all()


def test_costs_per_segment_equal_each_segment_scored_alone():
    bg = clv.BetaGeoModel.from_params(BG_CDNOW, "W")
    gg = clv.GammaGammaModel.from_params(GG_CDNOW)
    rfm = _rfm(
        (0, 0.0, 38.0, 0.0), (2, 30.43, 38.86, 25.0), (9, 37.0, 39.0, 80.0), (1, 5.0, 30.0, 12.0)
    )
    rfm["channel"] = ["web", "shop", "web", "shop"]
    per_order, per_period = {"web": 1.0, "shop": 3.0}, pd.Series({"web": 0.5, "shop": 0.0})
    by_column = net_clv(
        bg, gg, rfm, "12M", cost_per_order=per_order, cost_per_period=per_period, segments="channel"
    )
    by_series = net_clv(
        bg,
        gg,
        rfm,
        "12M",
        cost_per_order=per_order,
        cost_per_period=per_period,
        segments=rfm["channel"].iloc[::-1],
    )
    pd.testing.assert_frame_equal(by_column, by_series)
    for channel in ("web", "shop"):
        alone = net_clv(
            bg,
            gg,
            rfm[rfm.channel == channel],
            "12M",
            cost_per_order=per_order[channel],
            cost_per_period=float(per_period[channel]),
        )
        np.testing.assert_allclose(by_column.loc[alone.index, "net_clv"], alone["net_clv"])
    assert by_column["segment"].tolist() == rfm["channel"].tolist()


# --------------------------------------------------------------------------------------------------
# CAC payback
def test_payback_with_constant_margin_is_found_by_hand():
    """A fixed monthly net margin N with monthly discount δ: the cumulative is N Σ_{j≤k} δ^j. The
    CAC is reached during month k (the first with N·G(k) ≥ CAC), at (k−1) + (CAC − N·G(k−1)) /
    (N·δ^k) months."""
    bg, gg = _constant_models(0.5, 40.0)
    rfm = _rfm((3, 20.0, 30.0, 40.0), (3, 20.0, 30.0, 40.0), (3, 20.0, 30.0, 40.0))
    monthly = (0.3 * 40 - 2) * 0.5 * WEEKS_PER_MONTH - 1.5  # 20.241…
    delta = 1.12 ** (-1 / 12)
    cac = pd.Series({"a": 60.0, "b": 0.0, "c": 1e6})
    rfm["tier"] = ["a", "b", "c"]
    table = cac_payback(
        bg,
        gg,
        rfm,
        acquisition_cost=cac,
        horizon="24M",
        discount_rate=0.12,
        margin=0.3,
        cost_per_order=2.0,
        cost_per_period=1.5,
        segments="tier",
    )
    k = next(k for k in range(1, 25) if monthly * _geometric(delta, k) >= 60.0)
    assert k == 4  # 20.24·(δ + δ² + δ³) = 59.4 < 60
    expected = (k - 1) + (60.0 - monthly * _geometric(delta, k - 1)) / (monthly * delta**k)
    assert table.loc["a", "payback_periods"] == pytest.approx(expected, rel=1e-6)
    assert math.isnan(table.loc["b", "payback_periods"])  # a CAC of 0: nothing to pay back
    assert math.isnan(table.loc["c", "payback_periods"])
    assert table["paid_back"].tolist() == [True, False, False]
    assert table.loc["a", "clv_to_cac"] == pytest.approx(table.loc["a", "net_clv"] / 60.0)
    assert math.isnan(table.loc["b", "clv_to_cac"])


def test_payback_in_cdnow_lies_within_the_horizon():
    bg = clv.BetaGeoModel.from_params(BG_CDNOW, "W")
    gg = clv.GammaGammaModel.from_params(GG_CDNOW)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)  # CDNOW repeats 9 rows, kept on purpose
        rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30")
    table = cac_payback(bg, gg, rfm, 5.0, "24M", discount_rate=0.1, margin=0.3, cost_per_order=0.5)
    paid = table[table["paid_back"]]
    assert paid["payback_periods"].between(0, 24).all()
    # Paid back within the horizon exactly when the net CLV over it covers the CAC.
    assert (table["paid_back"] == (table["net_clv"] >= 5.0)).all()


# --------------------------------------------------------------------------------------------------
# Day One signups
@pytest.fixture(scope="module")
def transactions():
    return clv.datasets.load_cdnow_sample()


@pytest.fixture(scope="module")
def day_one(transactions):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        rfm = clv.rfm_summary(transactions, observation_end="1997-09-30")
    attributes = first_purchase_attributes(transactions).loc[rfm.index]
    rng = np.random.default_rng(5)
    attributes["channel"] = rng.choice(["web", "email", "store"], size=len(attributes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.StatisticalWarning)
        model = clv.DayOneModel(
            ["first_purchase_amount"],
            ["channel"],
            log=["first_purchase_amount"],
            first_purchase_col="first_purchase_amount",
        ).fit(rfm, attributes)
    return model, attributes.iloc[:40]


def test_day_one_payback_at_the_day_one_value(day_one):
    """Undiscounted and without costs, the cumulative margin after 6 months is margin × the Day One
    value at 6 months (DayOneModel.predict); a CAC of exactly that pays back at 6 months."""
    model, signups = day_one
    value = model.predict(signups, horizon="6M")
    cac = pd.Series(0.3 * value["day_one_value"].to_numpy(), index=signups.index.astype(str))
    signups = signups.assign(key=signups.index.astype(str))
    table = day_one_payback(
        model,
        signups,
        acquisition_cost=cac.to_dict(),
        horizon=12,
        time_unit="M",
        margin=0.3,
        segments="key",
    )
    np.testing.assert_allclose(table["payback_periods"], 6.0, rtol=1e-9)
    six = day_one_payback(model, signups, 0.0, horizon=6, time_unit="M", margin=0.3)
    np.testing.assert_allclose(six["net_clv"], 0.3 * value["day_one_value"], rtol=1e-12)
    np.testing.assert_allclose(
        six["expected_purchases"], value["expected_repeat_purchases"], rtol=1e-12
    )
    np.testing.assert_allclose(six["first_purchase_margin"], 0.3 * signups["first_purchase_amount"])


def test_day_one_payback_per_channel(day_one):
    model, signups = day_one
    cac = {"web": 10.0, "email": 4.0, "store": 25.0}
    table = day_one_payback(
        model,
        signups,
        cac,
        horizon=24,
        discount_rate=0.1,
        margin=0.3,
        cost_per_order=1.0,
        cost_per_period=0.1,
        segments="channel",
    )
    assert (table["acquisition_cost"] == table["segment"].map(cac)).all()
    # A first purchase whose net margin covers the CAC pays back at once.
    at_once = table["first_purchase_margin"] >= table["acquisition_cost"]
    assert (table.loc[at_once, "payback_periods"] == 0).all()
    assert (table.loc[~at_once, "payback_periods"].dropna() > 0).all()
    summary = unit_economics_summary(table)
    assert summary.index.tolist() == ["email", "store", "web"]
    assert summary["customers"].sum() == len(signups)


# --------------------------------------------------------------------------------------------------
# Summary table
def test_unit_economics_summary_by_hand():
    table = pd.DataFrame(
        {
            "channel": ["web", "web", "web", "shop", "shop"],
            "net_clv": [30.0, 10.0, 20.0, 5.0, 9.0],
            "acquisition_cost": [10.0, 10.0, 10.0, 20.0, 20.0],
            "payback_periods": [2.0, np.nan, 4.0, np.nan, 1.0],
            "paid_back": [True, False, True, False, True],
        }
    )
    summary = unit_economics_summary(table, by="channel")
    assert summary.loc["web"].tolist() == [3, 20.0, 10.0, 2.0, 4.0, pytest.approx(2 / 3)]
    # shop: one of two paid back, so the median payback is beyond the horizon.
    assert summary.loc["shop", "clv_to_cac"] == pytest.approx(7.0 / 20.0)
    assert math.isnan(summary.loc["shop", "median_payback"])
    overall = unit_economics_summary(table, by=None)
    assert overall.index.tolist() == ["all"] and overall.loc["all", "customers"] == 5
    with pytest.raises(InputError, match="payback_periods"):
        unit_economics_summary(table.drop(columns="payback_periods"))


# --------------------------------------------------------------------------------------------------
# The naive formula per segment on the CDNOW holdout
@pytest.fixture(scope="module")
def cdnow_split(transactions):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        cal, hold = clv.calibration_holdout_split(transactions, "1997-09-30", "1998-06-30")
    bg = clv.BetaGeoModel.from_params(BG_CDNOW, "W")
    gg = clv.GammaGammaModel.from_params(GG_CDNOW)
    return cal, hold, bg, gg


def test_naive_vs_model_per_first_purchase_quantity(transactions, cdnow_split):
    cal, hold, bg, gg = cdnow_split
    quantity = first_purchase_attributes(transactions, quantity_col="quantity")
    size = pd.cut(quantity["first_purchase_quantity"], [0, 1, 2, np.inf], labels=["1", "2", "3+"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        table = naive_vs_model(
            bg, gg, transactions, "1997-09-30", "1998-06-30", segments=size.astype(str)
        )
    assert table.index.tolist() == ["1", "2", "3+"]
    assert table["customers"].tolist() == [1177, 572, 608]
    # Actual holdout revenue per customer, straight from the log.
    dates = pd.to_datetime(transactions["date"])
    in_holdout = (dates > "1997-09-30") & (dates <= "1998-06-30")
    revenue = transactions[in_holdout].groupby("customer_id")["amount"].sum()
    revenue = revenue.reindex(cal.index, fill_value=0.0)
    segment = size.astype(str).reindex(cal.index)
    np.testing.assert_allclose(table["actual_holdout"], revenue.groupby(segment).mean(), rtol=1e-9)
    # The naive formula: AOV × purchases a year × 39 weeks in years, for everyone in the segment.
    years = 39 * 7 / 365.25
    naive = table["average_order_value"] * table["purchases_per_year"] * years
    np.testing.assert_allclose(table["naive_holdout"], naive, rtol=1e-12)
    np.testing.assert_allclose(table["naive_clv"], naive, rtol=1e-12)
    # The model beats the naive formula in every segment, on totals and per customer.
    assert (table["model_error"].abs() < table["naive_error"].abs()).all()
    assert (table["model_mae"] < table["naive_mae"]).all()
    assert (table["naive_error"] > 1.0).all()  # the naive formula more than doubles the holdout


def test_naive_vs_model_per_signup_month(transactions, cdnow_split):
    _, _, bg, gg = cdnow_split
    month = (
        pd.to_datetime(transactions["date"]).groupby(transactions["customer_id"]).transform("min")
    )
    log = transactions.assign(cohort=month.dt.strftime("%Y-%m"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        table = naive_vs_model(
            bg, gg, log, "1997-09-30", "1998-06-30", segments="cohort", lifespan=2.0
        )
    assert table.index.name == "cohort"
    assert table.index.tolist() == ["1997-01", "1997-02", "1997-03"]
    assert table["customers"].sum() == 2357
    # Ids padded with spaces are the same customers (they were silently dropped, segment by
    # segment, when half the ids were padded).
    padded = log.assign(
        customer_id=log["customer_id"].where(log.index % 2 == 0, log["customer_id"] + "  ")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        again = naive_vs_model(
            bg, gg, padded, "1997-09-30", "1998-06-30", segments="cohort", lifespan=2.0
        )
    pd.testing.assert_frame_equal(again, table)
    np.testing.assert_allclose(
        table["naive_clv"], table["average_order_value"] * table["purchases_per_year"] * 2.0
    )
    assert (table["model_error"].abs() < table["naive_error"].abs()).all()


# --------------------------------------------------------------------------------------------------
# Bad input
@pytest.fixture(scope="module")
def small():
    bg = clv.BetaGeoModel.from_params(BG_CDNOW, "W")
    gg = clv.GammaGammaModel.from_params(GG_CDNOW)
    rfm = _rfm((0, 0.0, 38.0, 0.0), (2, 30.43, 38.86, 25.0))
    rfm["channel"] = ["web", "shop"]
    return bg, gg, rfm


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(cost_per_order=-1.0), r"cost_per_order must be finite and ≥ 0, got -1.0"),
        (dict(cost_per_period=float("nan")), r"cost_per_period must be finite"),
        (dict(cost_per_order="2"), r"cost_per_order must be a number or a mapping"),
        (dict(cost_per_order=True), r"cost_per_order must be a number"),
        (dict(cost_per_period=[1.0, 2.0]), r"cost_per_period must be a number or a mapping"),
        (dict(cost_per_order={"web": 1.0}), r"cost_per_order is given per segment.*segments="),
        (
            dict(cost_per_order={"web": 1.0}, segments="channel"),
            r"cost_per_order has no value for segment\(s\) \['shop'\]",
        ),
        (
            dict(cost_per_order={"web": 1.0, "shop": -2}, segments="channel"),
            r"cost_per_order\['shop'\] must be finite and ≥ 0",
        ),
        (dict(segments="region"), r"segments='region' is not a column"),
        (dict(segments=pd.Series({"a": "web"})), r"segments has no value for 1 customer"),
        (dict(segments=["web", "shop"]), r"segments must be a column name or a pandas Series"),
        (dict(margin=1.5), r"margin must be between"),
        (dict(horizon=0), r"horizon must be > 0"),
        (dict(time_unit="Q"), r"time_unit='Q' is not supported"),
        (dict(acquisition_cost=-5.0), r"acquisition_cost must be finite and ≥ 0"),
        (
            dict(acquisition_cost={"web": 3.0}, segments="channel"),
            r"acquisition_cost has no value for segment",
        ),
        (dict(acquisition_cost={"web": 3.0}), r"acquisition_cost is given per segment"),
    ],
)
def test_bad_costs_name_the_argument(small, arguments, message):
    bg, gg, rfm = small
    arguments = {"horizon": "12M", "acquisition_cost": 1.0, **arguments}
    with pytest.raises(InputError, match=message):
        cac_payback(bg, gg, rfm, **arguments)


def test_models_must_be_purchase_and_spend_models(small):
    bg, gg, rfm = small
    with pytest.raises(InputError, match="purchase model"):
        net_clv(gg, gg, rfm, "12M")
    with pytest.raises(InputError, match="spend model"):
        net_clv(bg, None, rfm, "12M")
    with pytest.raises(InputError, match="purchase model"):
        probability_alive_at(gg, rfm, 1.0)
    with pytest.raises(InputError, match="DayOneModel"):
        day_one_payback(bg, rfm, 1.0)
