"""Intervals of the subscription models' predictions (clvmodel.models._contractual_intervals):
coverage on simulated cohorts, agreement of the three methods, the delta method by hand with
covariates, infinite lifetimes, and the churn tiers and price plan that carry them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit, ndtri

import clvmodel as clv
from clvmodel.models._contractual_intervals import _limits
from clvmodel.models._interval_draws import sigma_points
from clvmodel.subscription_churn import subscriber_churn_risk, subscriber_price_plan

# Fader and Hardie (2007), the "regular" cohort: α = 0.704, β = 1.182 (years).
REGULAR = {"alpha": 0.704, "beta": 1.182}
PROBE = pd.DataFrame({"periods": [0, 3, 3], "cancelled": [0, 0, 1]}, index=["new", "three", "gone"])


def _cohorts(model, n, seed):
    """n subscribers observed for 1 to 7 periods, as (periods, cancelled) rows with counts."""
    rng = np.random.default_rng(seed)
    subs = model.simulate(n, rng.integers(1, 8, n), random_state=seed)
    table = subs.groupby(["periods", "cancelled"]).size().rename("n").reset_index()
    return table, table["n"].to_numpy(dtype="float64")


@pytest.fixture(scope="module")
def fitted():
    true = clv.ShiftedBetaGeoModel.from_params(REGULAR)
    table, counts = _cohorts(true, 5_000, seed=7)
    return clv.ShiftedBetaGeoModel().fit(table, weights=counts), table, counts


def test_delta_intervals_cover_the_truth_on_simulated_cohorts():
    # 100 data sets of 1,500 subscribers from known parameters: the 90 % interval of the risk of
    # cancelling at the next renewal (after 0, 3 and 6 periods) holds the true value in 90 % of
    # them within Monte-Carlo error (sd 3 points), and the errors in units of the interval's own
    # standard error have mean square 1 (sd 0.14).
    true = clv.ShiftedBetaGeoModel.from_params(REGULAR)
    probe = pd.DataFrame({"periods": [0, 3, 6], "cancelled": 0})
    truth = logit(true.probability_cancel(probe, 1).to_numpy())
    n_sets, z = 100, ndtri(0.95)
    hits, squares = np.zeros(3), []
    for seed in range(n_sets):
        table, counts = _cohorts(true, 1_500, seed)
        row = clv.ShiftedBetaGeoModel().fit(table, weights=counts).predict(probe, 1, interval=0.9)
        low, high = (
            logit(row[f"probability_cancel_{side}"].to_numpy()) for side in ("lower", "upper")
        )
        hits += (low <= truth) & (truth <= high)
        squares.append((((low + high) / 2.0 - truth) / ((high - low) / (2.0 * z))) ** 2)
    assert np.all(np.abs(hits / n_sets - 0.9) < 4 * np.sqrt(0.09 / n_sets)), hits
    assert np.mean(squares) == pytest.approx(1.0, abs=0.45)


def test_the_three_methods_agree(fitted):
    model, table, counts = fitted
    delta = model.predict(PROBE, 2, 0.1, interval=0.9)
    draws = model.predict(PROBE, 2, 0.1, interval=0.9, method="draws", n_draws=200, seed=3)
    for name in ("probability_cancel", "derl"):
        width = delta[f"{name}_upper"] - delta[f"{name}_lower"]
        assert width["three"] > 0
        for side in ("lower", "upper"):
            gap = (draws[f"{name}_{side}"] - delta[f"{name}_{side}"]).abs()
            assert (gap <= 0.15 * width + 1e-12).all(), (name, side)
    # Bootstrap refits over subscribers: their spread is the asymptotic standard error's (80
    # replicates: the sd of a standard deviation is 8 %), and their limits bracket the estimate.
    model.bootstrap(table, n_draws=80, seed=2, weights=counts)
    spread = np.log(model.bootstrap_params_).std().to_numpy()
    np.testing.assert_allclose(spread, np.sqrt(np.diag(model.covariance_)), rtol=0.25)
    boot = model.predict(PROBE, 2, 0.1, interval=0.9, method="bootstrap")
    assert (boot["derl_lower"] <= boot["derl"]).all() and (boot["derl"] <= boot["derl_upper"]).all()
    assert boot.loc["three", "derl_upper"] > boot.loc["three", "derl_lower"]


@pytest.mark.parametrize("kind", ["sbg", "bdw"])
def test_limits_bracket_the_estimate_and_settle_the_cancelled(kind, fitted, tmp_path):
    model, cohorts, counts = fitted
    if kind == "bdw":
        model = clv.BetaDiscreteWeibullModel().fit(cohorts, weights=counts)
    table = model.predict(PROBE, 1, 0.1, interval=0.9)
    model.save(tmp_path / "model.json")  # the file keeps the covariance: the same limits
    pd.testing.assert_frame_equal(
        clv.load(tmp_path / "model.json").predict(PROBE, 1, 0.1, interval=0.9), table
    )
    for name in ("probability_cancel", "derl"):
        assert (table[f"{name}_lower"] <= table[name] + 1e-12).all()
        assert (table[name] <= table[f"{name}_upper"] + 1e-12).all()
    gone = table.loc["gone"]
    assert gone["probability_cancel_lower"] == gone["probability_cancel_upper"] == 1.0
    assert gone["derl_lower"] == gone["derl_upper"] == 0.0
    assert (
        table.loc["new", "probability_cancel_upper"]
        > table.loc["three", "probability_cancel_upper"]
    )


def test_intervals_shrink_as_the_cohort_grows():
    true = clv.ShiftedBetaGeoModel.from_params(REGULAR)
    widths = []
    for n in (2_000, 32_000):
        table, counts = _cohorts(true, n, seed=n)
        row = (
            clv.ShiftedBetaGeoModel()
            .fit(table, weights=counts)
            .predict(PROBE.iloc[1:2], 1, 0.1, interval=0.9)
        )
        widths.append(float(row["derl_upper"].iloc[0] - row["derl_lower"].iloc[0]))
    assert widths[1] == pytest.approx(widths[0] / 4.0, rel=0.35)  # 1/√n: 16 times the data


def test_delta_method_with_covariates_by_hand():
    # The limits of a covariate model, row by row, against the delta method written out: each
    # sigma point's own (α_i, β_i) in a plain sBG, the spread of the logits around the estimate's.
    rng = np.random.default_rng(5)
    rows = []
    for plan, params in ((0, REGULAR), (1, {"alpha": 0.668, "beta": 3.806})):
        subs = clv.ShiftedBetaGeoModel.from_params(params).simulate(
            3_000, rng.integers(1, 8, 3_000), random_state=plan
        )
        rows.append(subs.drop(columns="lifetime").assign(plan=plan))
    data = pd.concat(rows, ignore_index=True)
    model = clv.ShiftedBetaGeoModel(alpha_covariates=["plan"], beta_covariates=["plan"]).fit(data)
    probe = pd.DataFrame({"periods": [2, 2], "cancelled": [0, 0], "plan": [0, 1]})
    table = model.predict(probe, 1, interval=0.9)
    z = ndtri(0.95)
    for i in range(2):
        z_row = np.array([[float(probe["plan"][i])]])

        def risk(theta, z_row=z_row, i=i):
            own = {
                k: float(np.ravel(v)[0]) for k, v in model._individual(theta, z_row, z_row).items()
            }
            plain = clv.ShiftedBetaGeoModel.from_params(own)
            return float(plain.probability_cancel(probe.iloc[[i]], 1).iloc[0])

        centre = logit(risk(model.params_.to_numpy()))
        spread = np.sqrt(np.mean([(logit(risk(p)) - centre) ** 2 for p in sigma_points(model)]))
        low, high = expit(centre - z * spread), expit(centre + z * spread)
        assert table["probability_cancel_lower"][i] == pytest.approx(low, rel=1e-10)
        assert table["probability_cancel_upper"][i] == pytest.approx(high, rel=1e-10)


def test_an_infinite_lifetime_gives_an_open_upper_limit():
    # An estimate or a sigma point with cα ≤ 1 makes the undiscounted lifetime infinite: the
    # delta method then gives [smallest value, inf]; percentiles take inf as an order statistic.
    estimate = np.array([2.0, np.inf, 3.0])
    values = np.array([[1.5, np.inf, 2.9], [np.inf, np.inf, 3.1], [2.5, 7.0, 3.0]])
    lower, upper = _limits(estimate, values, 0.9, "delta", probability=False)
    assert upper[0] == np.inf and lower[0] == 1.5
    assert upper[1] == np.inf and lower[1] == 7.0
    assert np.isfinite(upper[2]) and lower[2] < 3.0 < upper[2]
    draws = np.concatenate([np.linspace(1.0, 2.0, 98)[:, None], [[np.inf], [np.inf]]])
    low, high = _limits(np.array([1.5]), draws, 0.9, "draws", probability=False)
    assert np.isfinite(high[0]) and 1.0 < low[0] < high[0] < 2.0  # 2 % inf: above the 95th
    low, high = _limits(np.array([1.5]), draws[::-1][:10], 0.9, "draws", probability=False)
    assert high[0] == np.inf and np.isfinite(low[0])


def test_a_model_from_parameters_has_no_intervals():
    model = clv.ShiftedBetaGeoModel.from_params(REGULAR)
    with pytest.raises(clv.InputError, match="fitted with fit"):
        model.predict(PROBE, 1, interval=0.9)


def test_churn_tiers_and_price_plan_carry_the_limits(fitted):
    model, table, counts = fitted
    rng = np.random.default_rng(1)
    subs = model.simulate(2_000, rng.integers(1, 12, 2_000), random_state=1).drop(
        columns="lifetime"
    )
    subs["price"] = 100.0
    scores = subscriber_churn_risk(
        model, subs, 1, price="price", margin=0.3, discount_rate=0.1, interval=0.9
    )
    assert (scores["churn_risk_lower"] <= scores["churn_risk"]).all()
    assert (scores["churn_risk"] <= scores["churn_risk_upper"]).all()
    np.testing.assert_allclose(scores["retention_lower"], 1.0 - scores["churn_risk_upper"])
    assert (scores["clv_lower"] <= scores["predicted_clv"]).all()
    assert (scores["predicted_clv"] <= scores["clv_upper"]).all()
    np.testing.assert_allclose(scores["clv_upper"], 100.0 * 0.3 * scores["derl_upper"])
    plan = subscriber_price_plan(
        model, subs, 1, (0.05, 0.025, 0.0), price="price", margin=0.3, discount_rate=0.1,
        quantiles=(0.3, 0.7), interval=0.9,
    )  # fmt: skip
    stages = plan.stages
    for name in ("mean_churn_risk", "total_predicted_clv", "extra_revenue"):
        assert (stages[f"{name}_lower"] <= stages[name] + 1e-9).all()
        assert (stages[name] <= stages[f"{name}_upper"] + 1e-9).all()
    assert (stages["total_predicted_clv_upper"] > stages["total_predicted_clv_lower"]).all()


def test_an_infinite_residual_value_limit_is_refused():
    # α near 1 with d = 0: the estimate's lifetime is finite (α̂ = 1.03) but a sigma point's is
    # not (α = 0.89 there), so the residual value's upper limit would be infinite.
    true = clv.ShiftedBetaGeoModel.from_params({"alpha": 1.1, "beta": 2.0})
    table, counts = _cohorts(true, 2_000, seed=0)
    model = clv.ShiftedBetaGeoModel().fit(table, weights=counts)
    assert model.params_["alpha"] > 1.0 > sigma_points(model)[:, 0].min()
    subs = PROBE.iloc[:2].assign(price=10.0)
    assert np.isfinite(subscriber_churn_risk(model, subs, 1, price="price")["derl"]).all()
    with pytest.raises(clv.InputError, match="upper limit is infinite at discount_rate=0"):
        subscriber_churn_risk(model, subs, 1, price="price", interval=0.9)
