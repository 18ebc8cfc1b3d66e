"""Churn tiers and the staged price increase for subscribers (clvmodel.subscription_churn).

References
----------
[FH07]  Fader and Hardie (2007), "How to project customer retention", Journal of Interactive
        Marketing 21(1): sBG, S(t) = B(α, β + t)/B(α, β); the "regular" cohort's α = 0.704,
        β = 1.182.
[FH10]  Fader and Hardie (2010), "Customer-base valuation in a contractual setting", Marketing
        Science 29(1), eq. 6: DERL = Σ_{k≥0} S(t+1+k)/S(t) (1+d)^−k.

The expected values below come from those definitions evaluated independently (scipy's betaln,
mpmath, direct sums of retention-rate products), or from simulation, not from clvmodel's code.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import betaln

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.subscription_churn import (
    annual_to_period_rate,
    subscriber_churn_risk,
    subscriber_price_plan,
)

pytestmark = pytest.mark.filterwarnings("error")

ALPHA, BETA = 0.704, 1.182  # [FH07] "regular" cohort


@pytest.fixture(scope="module")
def sbg():
    return clv.ShiftedBetaGeoModel.from_params({"alpha": ALPHA, "beta": BETA}, time_unit="M")


@pytest.fixture(scope="module")
def subscribers():
    rng = np.random.default_rng(7)
    n = 400
    return pd.DataFrame(
        {
            "periods": rng.integers(0, 40, n),
            "cancelled": (rng.uniform(size=n) < 0.2).astype(int),
            "price": rng.choice([9.99, 14.99, 19.99], n),
        },
        index=pd.Index([f"s{i}" for i in range(n)], name="customer_id"),
    ).assign(periods=lambda f: np.where(f.cancelled == 1, np.maximum(f.periods, 1), f.periods))


def _derl_direct(alpha, beta, t, d):
    """[FH10] term by term: S(t+1+k)/S(t) = Π_{j≤k} (β+t+j)/(α+β+t+j)."""
    j = np.arange(20000, dtype="float64")
    log_terms = np.cumsum(np.log1p(-alpha / (alpha + beta + t + j))) - j * np.log1p(d)
    return float(np.exp(log_terms).sum())


def test_risk_is_the_conditional_cancellation_probability(sbg, subscribers):
    scores = subscriber_churn_risk(sbg, subscribers, 12)
    active = subscribers[subscribers.cancelled == 0]
    t = active.periods.to_numpy(float)
    expected = 1.0 - np.exp(betaln(ALPHA, BETA + t + 12) - betaln(ALPHA, BETA + t))
    np.testing.assert_allclose(scores["churn_risk"], expected, rtol=1e-12)
    np.testing.assert_allclose(scores["retention"], 1.0 - expected, rtol=1e-12)
    assert list(scores.index) == list(active.index)
    assert scores.attrs["cancelled_left_out"] == int((subscribers.cancelled == 1).sum())
    assert scores.attrs["risk_description"] == (
        "churn risk = P(cancel within the next 12 months | tenure)"
    )


def test_bdw_risk_against_mpmath():
    bdw = clv.BetaDiscreteWeibullModel.from_params({"alpha": 1.3, "beta": 2.1, "c": 0.7})
    subs = pd.DataFrame({"periods": [0, 2, 9, 30], "cancelled": 0})
    scores = subscriber_churn_risk(bdw, subs, 6)
    mp.mp.dps = 30

    def survival(t):
        return mp.beta(1.3, 2.1 + mp.mpf(t) ** mp.mpf("0.7")) / mp.beta(1.3, 2.1)

    expected = [float(1 - survival(t + 6) / survival(t)) for t in (0, 2, 9, 30)]
    np.testing.assert_allclose(scores["churn_risk"], expected, rtol=1e-11)


def test_risk_against_simulation(sbg):
    draws = sbg.simulate(200_000, observed_periods=10_000, random_state=3)
    lifetime = draws["lifetime"].to_numpy()
    for tenure, horizon in ((0, 1), (3, 12), (12, 6)):
        alive = lifetime > tenure
        share = float(np.mean(lifetime[alive] <= tenure + horizon))
        subs = pd.DataFrame({"periods": [tenure], "cancelled": [0]})
        risk = float(subscriber_churn_risk(sbg, subs, horizon, thresholds=(0.5, 0.8))
                     ["churn_risk"].iloc[0])  # fmt: skip
        se = np.sqrt(risk * (1 - risk) / alive.sum())
        assert abs(share - risk) < 4 * se


def test_value_is_price_margin_derl(sbg, subscribers):
    d = annual_to_period_rate(0.1, "M")
    scores = subscriber_churn_risk(sbg, subscribers, 12, price="price", margin=0.4,
                                   discount_rate=d)  # fmt: skip
    sample = scores.iloc[:25]
    expected = [
        p * 0.4 * _derl_direct(ALPHA, BETA, t, d)
        for p, t in zip(sample.price, sample.periods, strict=True)
    ]
    np.testing.assert_allclose(sample["predicted_clv"], expected, rtol=1e-9)
    assert d == pytest.approx(1.1 ** (1 / 12) - 1, rel=1e-14)


def test_plan_stages_add_up(sbg, subscribers):
    d = 0.008
    plan = subscriber_price_plan(
        sbg, subscribers, 12, (0.08, 0.04, 0.0), price="price", margin=0.3,
        discount_rate=d, quantiles=(1 / 3, 2 / 3), stage_wait=4, start="2025-03-03",
    )  # fmt: skip
    scores = subscriber_churn_risk(sbg, subscribers, 12, price="price", margin=0.3,
                                   discount_rate=d, quantiles=(1 / 3, 2 / 3))  # fmt: skip
    stages = plan.stages
    assert stages["customers"].sum() == len(scores) == (subscribers.cancelled == 0).sum()
    by_tier = scores.groupby("tier", observed=False)
    np.testing.assert_allclose(stages["total_predicted_clv"], by_tier["predicted_clv"].sum())
    revenue = (scores["price"] * scores["derl"]).groupby(scores["tier"], observed=False).sum()
    np.testing.assert_allclose(stages["extra_revenue"], [0.08, 0.04, 0.0] * revenue.to_numpy())
    np.testing.assert_allclose(stages["break_even_churn"], [0.08 / 0.38, 0.04 / 0.34, 0.0])
    # The lowest-risk stage starts first and holds the lowest risks.
    assert stages["mean_churn_risk"].is_monotonic_increasing
    assert list(stages["start_date"].dt.strftime("%Y-%m-%d")) == [
        "2025-03-03", "2025-03-31", "2025-04-28"]  # fmt: skip
    assert "P(cancel within the next 12 months | tenure)" in str(plan)
    assert plan.settings["billing_period"] == "M"
    assert plan.to_dict()["settings"]["cancelled_left_out"] == int(subscribers.cancelled.sum())


def test_two_tiers_and_mapping(sbg, subscribers):
    plan = subscriber_price_plan(sbg, subscribers, 6, {"safe": 0.05, "risky": 0.0},
                                 price=12.0, discount_rate=0.01, thresholds=(0.1,))  # fmt: skip
    assert list(plan.stages["tier"]) == ["safe", "risky"]
    assignments = plan.assignments
    assert (assignments.loc[assignments.churn_risk < 0.1, "increase"] == 0.05).all()
    assert (assignments.loc[assignments.churn_risk >= 0.1, "increase"] == 0.0).all()


def test_covariates_give_each_subscriber_their_parameters():
    model = clv.ShiftedBetaGeoModel.from_params(
        {"alpha": 0.8, "beta": 2.0, "alpha:plan": 0.4, "beta:plan": -0.5},
        alpha_covariates=["plan"], beta_covariates=["plan"],
    )  # fmt: skip
    subs = pd.DataFrame({"periods": [2, 2, 7], "cancelled": 0, "plan": [0, 1, 1], "price": 10.0})
    scores = subscriber_churn_risk(model, subs, 3, price="price", discount_rate=0.01)
    for row, plan in ((0, 0), (1, 1), (2, 1)):
        a, b = 0.8 * np.exp(0.4 * plan), 2.0 * np.exp(-0.5 * plan)
        t = subs.periods[row]
        risk = 1 - np.exp(betaln(a, b + t + 3) - betaln(a, b + t))
        assert scores["churn_risk"].iloc[row] == pytest.approx(risk, rel=1e-12)
        assert scores["derl"].iloc[row] == pytest.approx(_derl_direct(a, b, t, 0.01), rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    alpha=st.floats(0.2, 5.0), beta=st.floats(0.2, 8.0),
    horizon=st.integers(1, 24), tenure=st.integers(0, 60),
)  # fmt: skip
def test_sbg_risk_falls_with_tenure_and_rises_with_horizon(alpha, beta, horizon, tenure):
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": alpha, "beta": beta})
    subs = pd.DataFrame({"periods": [tenure, tenure + 1], "cancelled": 0})
    near = subscriber_churn_risk(model, subs, horizon, thresholds=(0.5, 0.8))["churn_risk"]
    far = subscriber_churn_risk(model, subs, horizon + 1, thresholds=(0.5, 0.8))["churn_risk"]
    assert ((0 <= near) & (near <= 1)).all()
    assert near.iloc[1] <= near.iloc[0]  # survivors are the loyal ones
    assert (far >= near).all()


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"horizon": 0}, "horizon"),
        ({"horizon": 1.5}, "horizon"),
        ({"margin": 0.0}, "margin"),
        ({"price": "amount"}, "price column 'amount'"),
        ({"price": -1.0}, "price"),
        ({"discount_rate": -0.1}, "discount_rate"),
        ({"discount_rate": 0.0}, "infinite"),
        ({"thresholds": (0.8, 0.5)}, "thresholds"),
    ],
)
def test_bad_arguments(sbg, subscribers, kwargs, words):
    arguments = {"horizon": 12, "price": "price", "discount_rate": 0.01, **kwargs}
    with pytest.raises(InputError, match=words):
        subscriber_churn_risk(sbg, subscribers, arguments.pop("horizon"), **arguments)


def test_bad_models_and_tables(sbg):
    bg = clv.BetaGeoModel.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4})
    subs = pd.DataFrame({"periods": [3], "cancelled": [0]})
    with pytest.raises(InputError, match="clvmodel.churn_risk"):
        subscriber_churn_risk(bg, subs, 12)
    with pytest.raises(clv.NotFittedError):
        subscriber_churn_risk(clv.ShiftedBetaGeoModel(), subs, 12)
    with pytest.raises(InputError, match="every subscriber has cancelled"):
        subscriber_churn_risk(sbg, pd.DataFrame({"periods": [3], "cancelled": [1]}), 12)
    with pytest.raises(InputError, match="cut point"):
        subscriber_price_plan(sbg, subs, 12, (0.05, 0.0), price=10.0)
    with pytest.raises(InputError, match="billing period"):
        annual_to_period_rate(0.1, "D")


def test_readme_plan_numbers():
    """The README's subscriber plan (Subscriptions section): eight yearly cohorts like [FH07]'s
    regular one, $100 a year, 30 % margin, 10 % discount, the next renewal as the horizon."""
    counts = [1000, 631, 468, 382, 326, 289, 262, 241]
    sbg = clv.ShiftedBetaGeoModel.from_params({"alpha": ALPHA, "beta": BETA}, time_unit="Y")
    base = pd.DataFrame({"periods": np.repeat(np.arange(8), counts), "cancelled": 0,
                         "price": 100.0})  # fmt: skip
    plan = subscriber_price_plan(sbg, base, 1, (0.05, 0.025, 0.0), price="price", margin=0.3,
                                 discount_rate=0.1, thresholds=(0.15, 0.3))  # fmt: skip
    stages = plan.stages
    assert stages["customers"].tolist() == [1500, 1099, 1000]
    # New subscribers cancel at their first renewal with probability α/(α + β) [FH07].
    assert stages["mean_churn_risk"].iloc[2] == pytest.approx(ALPHA / (ALPHA + BETA), rel=1e-12)
    assert stages["mean_churn_risk"].round(3).tolist() == [0.111, 0.217, 0.373]
    assert stages["total_predicted_clv"].round(0).tolist() == [275492, 146055, 88940]
    assert stages["extra_revenue"].round(0).tolist() == [45915, 12171, 0]
    assert stages["break_even_churn"].round(3).tolist() == [0.143, 0.077, 0.0]


def test_a_subscriber_listed_twice_is_refused(sbg):
    rows = pd.DataFrame({"periods": [1, 2], "cancelled": [0, 0]}, index=["a", "a"])
    with pytest.raises(InputError, match=r"1 subscriber id\(s\) appear more than once.*'a'"):
        subscriber_churn_risk(sbg, rows, 12)


@pytest.mark.parametrize("horizon", ["12", True, b"12"])
def test_a_horizon_of_text_or_a_boolean_is_refused(sbg, subscribers, horizon):
    with pytest.raises(InputError, match="horizon must be a whole number"):
        subscriber_churn_risk(sbg, subscribers, horizon)


def test_periods_ahead_refuse_a_boolean(sbg, subscribers):
    with pytest.raises(InputError, match="periods ahead"):
        sbg.probability_cancel(subscribers, True)


def test_bdw_simulation_with_a_small_c_gives_no_warning():
    # θ near 0 with c = 0.01: y ** (1/c) overflows to an endless lifetime (capped), silently.
    bdw = clv.BetaDiscreteWeibullModel.from_params({"alpha": 1.0, "beta": 1.0, "c": 0.01})
    table = bdw.simulate(20_000, 10, random_state=0)
    survival = (table["periods"] >= 10).mean()
    assert survival == pytest.approx(float(bdw.survival_function(10.0)), abs=0.01)


def test_prices_of_the_wrong_length_and_an_empty_table_are_refused_in_words():
    # One price per active subscriber (3 of 4 rows) met numpy's broadcast error,
    # and an empty table was said to be one in which "every subscriber has cancelled".
    sbg = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182}, time_unit="Y")
    subs = pd.DataFrame({"periods": [0, 1, 3, 4], "cancelled": [0, 0, 0, 1]})
    with pytest.raises(clv.InputError, match="one per row of data .*got 3 for 4 rows"):
        subscriber_churn_risk(sbg, subs, 1, price=[10.0, 12.0, 9.0], discount_rate=0.1)
    with pytest.raises(clv.InputError, match="data has no subscribers"):
        subscriber_churn_risk(sbg, subs.iloc[:0], 1, price=10.0, discount_rate=0.1)
    scored = subscriber_churn_risk(sbg, subs, 1, price=[10.0, 12.0, 9.0, 1.0], discount_rate=0.1)
    assert len(scored) == 3
