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
    # delta method then gives [one-sided lower limit, inf], the lower limit from the falls of
    # ln(value) over the mirror pairs (rows i, k + i) only; [smallest value, inf] for an infinite
    # estimate. Percentiles take inf as an order statistic.
    estimate = np.array([2.0, np.inf, 3.0, 2.0])
    values = np.array(
        [[1.5, np.inf, 2.9, 2.5], [np.inf, np.inf, 3.1, 2.2], [2.5, 7.0, 3.05, 1.6],
         [1.8, 9.0, 2.95, 1.9]]
    )  # fmt: skip
    reaches = np.array([False, False, False, True])
    lower, upper = _limits(estimate, values, 0.9, "delta", False, reaches)
    z = ndtri(0.95)
    fall = np.hypot(np.log(1.5 / 2.0), np.log(1.8 / 2.0)) / np.sqrt(2.0)  # pairs (0, 2), (1, 3)
    assert upper[0] == np.inf and lower[0] == pytest.approx(2.0 * np.exp(-z * fall))
    assert upper[1] == np.inf and lower[1] == 7.0
    assert np.isfinite(upper[2]) and lower[2] < 3.0 < upper[2]
    fall = np.hypot(np.log(1.6 / 2.0), np.log(1.9 / 2.0)) / np.sqrt(2.0)
    assert upper[3] == np.inf and lower[3] == pytest.approx(2.0 * np.exp(-z * fall))
    draws = np.concatenate([np.linspace(1.0, 2.0, 98)[:, None], [[np.inf], [np.inf]]])
    low, high = _limits(np.array([1.5]), draws, 0.9, "draws", probability=False)
    assert np.isfinite(high[0]) and 1.0 < low[0] < high[0] < 2.0  # 2 % inf: above the 95th
    low, high = _limits(np.array([1.5]), draws[::-1][:10], 0.9, "draws", probability=False)
    assert high[0] == np.inf and np.isfinite(low[0])


def _sbg_fit(seed):
    """sBG fitted on 400 subscribers observed for 6 periods, drawn with α = 1.25, β = 3."""
    true = clv.ShiftedBetaGeoModel.from_params({"alpha": 1.25, "beta": 3.0})
    return clv.ShiftedBetaGeoModel().fit(true.simulate(400, 6, random_state=seed))


def _bdw_fit(seed):
    """BdW fitted on 1,500 subscribers observed for 12 periods, drawn with α = 1.3, β = 3, c = 1."""
    true = clv.BetaDiscreteWeibullModel.from_params({"alpha": 1.3, "beta": 3.0, "c": 1.0})
    return clv.BetaDiscreteWeibullModel().fit(true.simulate(1_500, 12, random_state=seed))


def _ratio(model):
    """ln(cα̂) over its standard error (working scale): the interval reaches cα ≤ 1 below z."""
    cov = model.covariance_.to_numpy()
    gradient = np.array([1.0, 0.0, 1.0][: cov.shape[0]])
    theta = model.params_.to_numpy()
    return np.log(theta[0] * (theta[2] if theta.size > 2 else 1.0)) / np.sqrt(
        gradient @ cov @ gradient
    )


TENURES = pd.DataFrame({"periods": [0, 5], "cancelled": 0})
LIFETIME = ["expected_residual_lifetime_lower", "expected_residual_lifetime_upper"]


def test_an_interval_of_alpha_reaching_1_gives_an_infinite_upper_limit():
    # α̂ = 1.502 (90 % interval 0.957–2.357 on the log scale; 7 % of draws have α ≤ 1), but the
    # sigma points (±1.41 se) all have α > 1: the delta method gave [0.98, 70.3] at tenure 0,
    # the draws [5.10, inf]. Now inf, and a lower limit near the draws' one.
    model = _sbg_fit(1)
    assert 1.41 < _ratio(model) < ndtri(0.95)
    got = model.predict(TENURES, 1, 0.0, interval=0.9)
    assert (got["expected_residual_lifetime_upper"] == np.inf).all()
    assert (got["derl_upper"] == np.inf).all()
    np.testing.assert_allclose(got["expected_residual_lifetime_lower"], [4.93544, 8.53357], 1e-5)
    np.testing.assert_array_equal(got["derl_lower"], got["expected_residual_lifetime_lower"])
    draws = model.predict(TENURES, 1, interval=0.9, method="draws", n_draws=2_000)
    assert (draws["expected_residual_lifetime_upper"] == np.inf).all()
    np.testing.assert_allclose(
        got["expected_residual_lifetime_lower"], draws["expected_residual_lifetime_lower"], 0.1
    )
    with pytest.raises(clv.InputError, match="upper limit is infinite at discount_rate=0"):
        subscriber_churn_risk(model, TENURES, 1, price=10.0, discount_rate=0.0, interval=0.9)
    # α̂ = 2.61, its interval well above 1: the limits are those of before the change.
    far = _sbg_fit(10).predict(TENURES, 1, interval=0.9, which=["expected_residual_lifetime"])
    expected = [[2.6114583950535155, 6.334516373645677], [3.4081361922819706, 15.102781992677292]]
    np.testing.assert_allclose(far[LIFETIME].to_numpy(), expected, rtol=1e-12)


def test_bdw_infinite_upper_limit_follows_the_interval_of_c_alpha():
    # At 95 %, cα's interval reaches 1 (ln(cα̂)/se = 1.86 < 1.96) while no sigma point (±1.73 se)
    # does: inf, where the delta method gave [1.35, 48.5] at tenure 0.
    model = _bdw_fit(15)
    assert 1.74 < _ratio(model) < ndtri(0.975)
    got = model.predict(TENURES, 1, interval=0.95, which=["expected_residual_lifetime"])
    assert (got["expected_residual_lifetime_upper"] == np.inf).all()
    assert (got["expected_residual_lifetime_lower"] > 5.0).all()
    # At 80 %, cα's interval stays above 1 (ratio 1.54 > 1.28) while a sigma point does not: finite
    # limits (the upper one from points at ±z se), near the draws' [6.99, 45.4] at tenure 0;
    # before, [6.90, inf].
    model = _bdw_fit(6)
    assert ndtri(0.9) < _ratio(model) < 1.6
    got = model.predict(TENURES, 1, interval=0.8, which=["expected_residual_lifetime"])
    np.testing.assert_allclose(
        got[LIFETIME].to_numpy(), [[7.27156, 43.2023], [16.7639, 140.704]], 1e-5
    )


def test_delta_and_draws_agree_on_an_infinite_upper_limit():
    # 30 fits with α near 1: the delta method's upper limit is inf exactly when α's 90 % interval
    # reaches 1, and so is the draws' (more than 5 % of 4,000 draws with α ≤ 1) but for fits
    # within the draws' noise of the edge (ratio within 0.1 of z). Before, the delta method's
    # was finite for ratios between 1.41 and 1.645 (4 of these fits).
    z, agree, checked = ndtri(0.95), 0, 0
    for seed in range(30):
        model = _sbg_fit(seed)
        ratio = _ratio(model)
        delta = model.predict(TENURES[:1], 1, interval=0.9, which=["expected_residual_lifetime"])
        assert (delta["expected_residual_lifetime_upper"].iloc[0] == np.inf) == (ratio <= z)
        if abs(ratio - z) < 0.1:
            continue
        draws = model.predict(
            TENURES[:1], 1, interval=0.9, which=["expected_residual_lifetime"], method="draws",
            n_draws=4_000, seed=seed,
        )  # fmt: skip
        checked += 1
        agree += np.isinf(draws["expected_residual_lifetime_upper"].iloc[0]) == (ratio <= z)
    assert checked >= 20 and agree == checked


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
