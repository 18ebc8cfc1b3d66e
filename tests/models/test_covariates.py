"""BG/NBD and Gamma-Gamma with time-invariant covariates.

The covariate forms are those of Fader and Hardie (2007, "Incorporating time-invariant covariates
into the Pareto/NBD and BG/NBD models") as implemented in CLVTools (Bachmann, Meierer and Näf
2021): α_i = α₀ exp(−γ_purchaseᵀz), a_i = a₀ exp(γ_dropoutᵀz), b_i = b₀ exp(γ_dropoutᵀz); and for
spend v_i = v₀ exp(γ_spendᵀz). Checked here: exact reduction to the plain models, analytic gradients
against finite differences, predictions against the plain model built from each customer's own
parameters, parameter recovery on simulated data, persistence and input errors.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv

BG_BASE = {"r": 0.6, "alpha": 5.0, "a": 0.8, "b": 2.5}
GG_BASE = {"p": 6.0, "q": 4.0, "v": 15.0}
PURCHASE = {"z1": 0.4, "z2": -0.3}
DROPOUT = {"z1": 0.3, "z2": 0.5}
SPEND = {"z1": 0.25, "z2": -0.2}

# A 4-standard-error band fails by chance with probability about 6e-5 per parameter (see
# tests/test_simulate.py).
_BAND = 4.0


@pytest.fixture(scope="module")
def with_covariates(cdnow_rfm):
    """The CDNOW sample RFM table with two made-up covariates (seeded)."""
    rng = np.random.default_rng(11)
    table = cdnow_rfm.copy()
    table["z1"] = rng.normal(size=len(table))
    table["z2"] = rng.binomial(1, 0.4, len(table)).astype(float)
    table.attrs["time_unit"] = "W"
    return table


def bg_cov_params(purchase=PURCHASE, dropout=DROPOUT):
    params = dict(BG_BASE)
    params.update({f"purchase:{k}": v for k, v in purchase.items()})
    params.update({f"dropout:{k}": v for k, v in dropout.items()})
    return params


# --------------------------------------------------------------------------------------------------
# Reduction to the plain models.
def test_row_loglik_equals_the_fused_plain_bg_nbd_objective(cdnow_rfm):
    # The per-customer form (used with covariates) and the fused per-distinct-value form (used
    # without) are two implementations of eq. (6): their sums and gradients agree.
    plain = clv.BetaGeoModel()
    histories, counts, _ = plain._prepare(cdnow_rfm, None)
    theta = np.array([0.3, 3.7, 1.4, 0.6])  # a + b < 2 and a > 1: away from the optimum
    want_ll, want_grad, _ = plain._objective(theta, histories, counts, hessian=False)
    params = dict(zip(("r", "alpha", "a", "b"), theta, strict=True))
    got_ll, got_grad = clv.BetaGeoModel._row_loglik(params, histories.x, histories.t_x, histories.T)
    assert counts @ got_ll == pytest.approx(want_ll, rel=1e-12)
    np.testing.assert_allclose(got_grad @ counts, want_grad, rtol=1e-10, atol=1e-9)


def test_bg_without_covariates_has_the_plain_likelihood_and_fit(cdnow_rfm, fitted_bg):
    plain = fitted_bg  # tests/conftest.py: BetaGeoModel().fit(cdnow_rfm)
    covariate = clv.BetaGeoCovariateModel().fit(cdnow_rfm)
    assert covariate.param_names == ("r", "alpha", "a", "b")
    np.testing.assert_allclose(covariate.params_, plain.params_, rtol=1e-5)
    assert covariate.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-10)
    np.testing.assert_allclose(covariate.standard_errors_, plain.standard_errors_, rtol=1e-3)
    # And the published values (Fader, Hardie and Lee 2005: r, α, a, b; log-likelihood −9582.43).
    np.testing.assert_allclose(
        covariate.params_, [0.2426, 4.4137, 0.7930, 2.4262], rtol=2e-3, atol=0
    )
    assert covariate.log_likelihood_ == pytest.approx(-9582.43, abs=0.01)


def test_gg_without_covariates_has_the_plain_likelihood_and_fit(cdnow_rfm, fitted_gg):
    plain = fitted_gg  # tests/conftest.py: GammaGammaModel().fit(cdnow_rfm)
    covariate = clv.GammaGammaCovariateModel().fit(cdnow_rfm)
    np.testing.assert_allclose(covariate.params_, plain.params_, rtol=1e-5)
    assert covariate.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-10)
    # Hardie (2013): p = 6.25, q = 3.74, γ = 15.44, log-likelihood −4055.92.
    assert covariate.log_likelihood_ == pytest.approx(-4055.92, abs=0.01)


def test_zero_coefficients_give_the_plain_likelihood(with_covariates):
    model = clv.BetaGeoCovariateModel(["z1", "z2"], ["z1"])
    arrays, counts, _ = model._prepare(with_covariates, None)
    theta = np.array([0.25, 4.4, 0.8, 2.4, 0.0, 0.0, 0.0])
    ll, _ = model._loglik(theta, arrays)
    plain = clv.BetaGeoModel()
    histories, plain_counts, _ = plain._prepare(with_covariates, None)
    plain_ll, _ = plain._loglik(theta[:4], histories)
    assert counts @ ll == pytest.approx(plain_counts @ plain_ll, rel=1e-12)

    gg = clv.GammaGammaCovariateModel(["z1", "z2"])
    arrays, counts, _ = gg._prepare(with_covariates, None)
    ll, _ = gg._loglik(np.array([6.25, 3.74, 15.44, 0.0, 0.0]), arrays)
    plain_gg = clv.GammaGammaModel()
    arrays_p, counts_p, _ = plain_gg._prepare(with_covariates, None)
    ll_p, _ = plain_gg._loglik(np.array([6.25, 3.74, 15.44]), arrays_p)
    assert counts @ ll == pytest.approx(counts_p @ ll_p, rel=1e-12)


def test_zero_coefficients_give_the_plain_predictions(with_covariates):
    zero = {"z1": 0.0, "z2": 0.0}
    model = clv.BetaGeoCovariateModel.from_params(
        bg_cov_params(zero, zero),
        purchase_covariates=["z1", "z2"],
        dropout_covariates=["z1", "z2"],
        time_unit="W",
    )
    plain = clv.BetaGeoModel.from_params(BG_BASE, time_unit="W")
    pd.testing.assert_series_equal(
        model.expected_purchases(with_covariates, 39.0),
        plain.expected_purchases(with_covariates, 39.0),
        rtol=1e-12,
    )
    pd.testing.assert_series_equal(
        model.probability_alive(with_covariates), plain.probability_alive(with_covariates)
    )
    np.testing.assert_allclose(
        model.expected_purchases_new(with_covariates, 52.0), plain.expected_purchases_new(52.0)
    )
    gg = clv.GammaGammaCovariateModel.from_params(
        {**GG_BASE, "spend:z1": 0.0, "spend:z2": 0.0}, spend_covariates=["z1", "z2"]
    )
    plain_gg = clv.GammaGammaModel.from_params(GG_BASE)
    pd.testing.assert_series_equal(
        gg.expected_spend(with_covariates), plain_gg.expected_spend(with_covariates)
    )


# --------------------------------------------------------------------------------------------------
# Gradients.
def _finite_difference(function, theta, step=1e-6):
    grad = np.empty(theta.size)
    for j in range(theta.size):
        shift = np.zeros(theta.size)
        shift[j] = step * max(1.0, abs(theta[j]))
        grad[j] = (function(theta + shift) - function(theta - shift)) / (2 * shift[j])
    return grad


@pytest.mark.parametrize(
    "theta",
    [
        [0.3, 4.0, 0.9, 2.2, 0.5, -0.4, -0.3, 0.7],
        [1.5, 0.8, 3.0, 0.4, -1.2, 0.9, 0.8, -0.6],  # a > 1, b < 1: far from the optimum
    ],
)
def test_bg_gradient_matches_finite_differences(with_covariates, theta):
    model = clv.BetaGeoCovariateModel(["z1", "z2"], ["z1", "z2"])
    arrays, counts, _ = model._prepare(with_covariates, None)
    theta = np.array(theta)

    def total(point):
        return counts @ model._loglik(point, arrays)[0]

    analytic = model._loglik(theta, arrays)[1] @ counts
    np.testing.assert_allclose(analytic, _finite_difference(total, theta), rtol=2e-6, atol=1e-4)


def test_gg_gradient_matches_finite_differences(with_covariates):
    model = clv.GammaGammaCovariateModel(["z1", "z2"])
    arrays, counts, _ = model._prepare(with_covariates, None)
    theta = np.array([5.0, 3.0, 12.0, 0.3, -0.5])

    def total(point):
        return counts @ model._loglik(point, arrays)[0]

    analytic = model._loglik(theta, arrays)[1] @ counts
    np.testing.assert_allclose(analytic, _finite_difference(total, theta), rtol=2e-6, atol=1e-4)


@pytest.mark.parametrize(
    "theta",
    [
        [0.5, 10.0, 0.6, 12.0, 0.3, -0.2, 0.4, 0.1],
        [2.0, 1.5, 0.2, 40.0, -0.8, 0.6, -0.5, 0.9],  # far from the optimum
    ],
)
def test_pareto_chain_rule_hessian_matches_gradient_differences(with_covariates, theta):
    # The base's chain rule (_covariate_totals) turns Pareto/NBD's per-row derivatives in
    # (r, α, s, β) into those in (θ₀, γ): its gradient is the row-by-row one, and its Hessian
    # the central differences of that gradient.
    model = clv.ParetoNBDModel(["z1", "z2"], ["z1", "z2"])
    rows, counts, _ = model._prepare(with_covariates, None)
    theta = np.array(theta)
    value, gradient, hessian = model._objective(theta, rows, counts, hessian=True)
    ll, by_row = model._loglik(theta, rows)
    assert value == pytest.approx(counts @ ll, rel=1e-13)
    np.testing.assert_allclose(gradient, by_row @ counts, rtol=1e-10, atol=1e-8)
    differences = np.empty_like(hessian)
    for j in range(theta.size):
        shift = np.zeros(theta.size)
        shift[j] = 1e-6 * max(1.0, abs(theta[j]))
        ahead, behind = (model._loglik(theta + d, rows)[1] @ counts for d in (shift, -shift))
        differences[:, j] = (ahead - behind) / (2 * shift[j])
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(hessian, differences, rtol=1e-5, atol=1e-3)


def test_pareto_with_covariates_takes_newton_steps_to_the_maximum(with_covariates):
    model = clv.ParetoNBDModel(["z1"], ["z2"]).fit(with_covariates)
    assert model.n_iterations_ <= 10
    rows, counts, _ = model._prepare(with_covariates, None)
    theta = model.params_.to_numpy()
    _, gradient, hessian = model._objective(theta, rows, counts, hessian=True)
    assert np.max(np.abs(gradient)) / counts.sum() < 1e-5
    assert np.all(np.linalg.eigvalsh(hessian) < 0)  # a maximum, not a saddle
    # No point nearby is higher: steps of 1 % of a standard error along each parameter and
    # along random directions.
    rng = np.random.default_rng(0)
    errors = model.standard_errors_.to_numpy()
    directions = [*np.eye(theta.size), *rng.normal(size=(4, theta.size))]
    for direction in directions:
        for sign in (1.0, -1.0):
            nearby = theta + sign * 0.01 * errors * direction
            value = model._objective(nearby, rows, counts, hessian=False)[0]
            assert value <= model.log_likelihood_ + 1e-9


# --------------------------------------------------------------------------------------------------
# Predictions: each customer is a plain BG/NBD / Gamma-Gamma customer with their own parameters.
def test_predictions_equal_plain_model_with_individual_parameters(with_covariates):
    model = clv.BetaGeoCovariateModel.from_params(
        bg_cov_params(), purchase_covariates=["z1", "z2"], dropout_covariates=["z1", "z2"]
    )
    rows = with_covariates.iloc[[0, 3, 17, 250, 1000]]
    z = rows[["z1", "z2"]].to_numpy()
    scale = np.exp(z @ [DROPOUT["z1"], DROPOUT["z2"]])
    alpha = BG_BASE["alpha"] * np.exp(-(z @ [PURCHASE["z1"], PURCHASE["z2"]]))
    conditional = model.expected_purchases(rows, 26.0)
    alive = model.probability_alive(rows)
    new = model.expected_purchases_new(rows, 52.0)
    for i in range(len(rows)):
        own = clv.BetaGeoModel.from_params(
            {"r": BG_BASE["r"], "alpha": alpha[i], "a": 0.8 * scale[i], "b": 2.5 * scale[i]}
        )
        one = rows.iloc[[i]]
        assert conditional.iloc[i] == pytest.approx(own.expected_purchases(one, 26.0).iloc[0])
        assert alive.iloc[i] == pytest.approx(own.probability_alive(one).iloc[0])
        assert new.iloc[i] == pytest.approx(own.expected_purchases_new(52.0))

    gg = clv.GammaGammaCovariateModel.from_params(
        {**GG_BASE, "spend:z1": 0.25, "spend:z2": -0.2}, spend_covariates=["z1", "z2"]
    )
    v = GG_BASE["v"] * np.exp(z @ [0.25, -0.2])
    spend = gg.expected_spend(rows)
    spend_new = gg.expected_spend_new(rows)
    for i in range(len(rows)):
        own = clv.GammaGammaModel.from_params({"p": 6.0, "q": 4.0, "v": v[i]})
        assert spend.iloc[i] == pytest.approx(own.expected_spend(rows.iloc[[i]]).iloc[0])
        assert spend_new.iloc[i] == pytest.approx(own.population_mean_spend())


def test_coefficient_signs_move_predictions_the_documented_way():
    grid = pd.DataFrame({"z": np.linspace(-2, 2, 9)})
    up = clv.BetaGeoCovariateModel.from_params(
        {**BG_BASE, "purchase:z": 0.5}, purchase_covariates=["z"]
    )
    values = up.expected_purchases_new(grid, 52.0).to_numpy()
    assert np.all(np.diff(values) > 0)
    # The mean rate r/α_i scales exactly by exp(γ z) (small t: E[X(t)] ≈ t r / α_i).
    small = up.expected_purchases_new(grid, 1e-6).to_numpy()
    np.testing.assert_allclose(small / small[4], np.exp(0.5 * grid["z"]), rtol=1e-5)
    gg = clv.GammaGammaCovariateModel.from_params(
        {**GG_BASE, "spend:z": -0.3}, spend_covariates=["z"]
    )
    spend = gg.expected_spend_new(grid).to_numpy()
    np.testing.assert_allclose(spend / spend[4], np.exp(-0.3 * grid["z"]), rtol=1e-12)


# --------------------------------------------------------------------------------------------------
# Recovery of known covariate effects.
@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(20261122)
    n = 30_000
    covariates = pd.DataFrame(
        {"z1": rng.normal(size=n), "z2": rng.binomial(1, 0.4, n).astype(float)},
        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"),
    )
    return clv.simulate_customers_with_covariates(
        covariates,
        BG_BASE,
        T=rng.uniform(26.0, 78.0, n),
        purchase_coefficients=PURCHASE,
        dropout_coefficients=DROPOUT,
        gg_params=GG_BASE,
        spend_coefficients=SPEND,
        seed=rng,
    )


def test_simulated_table_shape(simulated):
    assert list(simulated.columns) == ["frequency", "recency", "T", "monetary_value", "z1", "z2"]
    assert (simulated["recency"] <= simulated["T"]).all()
    assert (simulated.loc[simulated["frequency"] > 0, "monetary_value"] > 0).all()
    assert simulated.index[0] == "c0"


def test_bg_covariate_effects_are_recovered(simulated):
    model = clv.BetaGeoCovariateModel(["z1", "z2"], ["z1", "z2"]).fit(simulated)
    truth = bg_cov_params()
    assert set(model.params_.index) == set(truth)
    for name, value in truth.items():
        error = model.params_[name] - value
        assert abs(error) < _BAND * model.standard_errors_[name], (name, model.params_[name])
    assert np.all(model.standard_errors_ < 0.2)  # the band is informative


@pytest.fixture(scope="module")
def gg_simulated(simulated):
    """Gamma-Gamma with both covariates fitted on the simulated customers (shared by the
    recovery and summary tests: do not refit it)."""
    return clv.GammaGammaCovariateModel(["z1", "z2"]).fit(simulated)


def test_gg_covariate_effects_are_recovered(gg_simulated):
    model = gg_simulated
    truth = {**GG_BASE, "spend:z1": SPEND["z1"], "spend:z2": SPEND["z2"]}
    for name, value in truth.items():
        error = model.params_[name] - value
        assert abs(error) < _BAND * model.standard_errors_[name], (name, model.params_[name])
    assert model.standard_errors_["spend:z1"] < 0.02


def test_summary_interval_is_symmetric_for_coefficients(gg_simulated):
    model = gg_simulated  # coefficients on the linear scale, whatever the covariates
    row = model.summary.loc["spend:z1"]
    assert row["lower_95"] == pytest.approx(row["estimate"] - 1.959964 * row["std_error"])
    assert row["upper_95"] == pytest.approx(row["estimate"] + 1.959964 * row["std_error"])
    base = model.summary.loc["v"]
    assert base["lower_95"] > 0  # positive parameters keep log-scale intervals


# --------------------------------------------------------------------------------------------------
# Persistence.
def test_fitted_covariate_models_round_trip(with_covariates, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bg = clv.BetaGeoCovariateModel(["z1"], ["z2"]).fit(with_covariates)
        gg = clv.GammaGammaCovariateModel(["z1", "z2"]).fit(with_covariates)
    for model in (bg, gg):
        loaded = clv.load_model(model.save(tmp_path / "m.json"))
        assert type(loaded) is type(model)
        pd.testing.assert_series_equal(loaded.params_, model.params_, check_exact=True)
        pd.testing.assert_series_equal(loaded.standard_errors_, model.standard_errors_)
        assert loaded.param_names == model.param_names
        assert loaded.time_unit_ == "W"
        assert loaded.log_likelihood_ == model.log_likelihood_
    loaded_bg = clv.load_model(bg.save(tmp_path / "bg.json"))
    assert loaded_bg.purchase_covariates == ["z1"]
    assert loaded_bg.dropout_covariates == ["z2"]
    pd.testing.assert_series_equal(
        loaded_bg.expected_purchases(with_covariates, 10.0),
        bg.expected_purchases(with_covariates, 10.0),
        check_exact=True,
    )
    loaded_gg = clv.load_model(gg.save(tmp_path / "gg.json"))
    assert loaded_gg.spend_covariates == ["z1", "z2"]
    pd.testing.assert_series_equal(
        loaded_gg.expected_spend(with_covariates), gg.expected_spend(with_covariates)
    )
    document = json.loads((tmp_path / "bg.json").read_text(encoding="utf-8"))
    assert document["settings"]["purchase_covariates"] == ["z1"]
    assert document["params"]["purchase:z1"] == float(bg.params_["purchase:z1"])


def _document(tmp_path):
    model = clv.BetaGeoCovariateModel.from_params(
        bg_cov_params(), purchase_covariates=["z1", "z2"], dropout_covariates=["z1", "z2"]
    )
    return json.loads(model.save(tmp_path / "m.json").read_text(encoding="utf-8"))


def test_negative_coefficients_load(tmp_path):
    assert _document(tmp_path)["params"]["purchase:z2"] == -0.3
    loaded = clv.load_model(tmp_path / "m.json")
    assert loaded.params_["purchase:z2"] == -0.3
    assert loaded.unconstrained_params == tuple(k for k in bg_cov_params() if ":" in k)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["params"].pop("dropout:z2"), "'params' must have exactly the keys"),
        (lambda d: d["settings"].update(purchase_covariates=["z1"]), "must have exactly the keys"),
        (lambda d: d["params"].update({"purchase:z1": "big"}), "'purchase:z1' = 'big'"),
        (lambda d: d["params"].update({"a": -0.8}), "'a' = -0.8 is not a positive"),
        (lambda d: d["settings"].update(purchase_covariates="z1,z2"), "must have exactly"),
        (lambda d: d["settings"].update(purchase_covariates=[1]), "column names"),
        (lambda d: d["settings"].update(spend_covariates=["z1"]), "unknown setting"),
    ],
)
def test_tampered_covariate_files_are_refused(tmp_path, mutate, message):
    document = _document(tmp_path)
    mutate(document)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(clv.ModelFileError, match=message):
        clv.load_model(path)


def test_non_finite_coefficient_is_refused(tmp_path):
    document = _document(tmp_path)
    document["params"]["purchase:z1"] = float("nan")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(clv.ModelFileError, match=r"'purchase:z1' = nan is not a finite number"):
        clv.load_model(path)


def test_from_params_accepts_negative_coefficients_only():
    model = clv.GammaGammaCovariateModel.from_params(
        {**GG_BASE, "spend:z": -2.0}, spend_covariates=["z"]
    )
    assert model.params_["spend:z"] == -2.0
    with pytest.raises(clv.InputError, match=r"positive and finite \(\['spend:z'\] may be any"):
        clv.GammaGammaCovariateModel.from_params(
            {**GG_BASE, "v": -1.0, "spend:z": 0.1}, spend_covariates=["z"]
        )


# --------------------------------------------------------------------------------------------------
# Input errors.
def test_missing_covariate_column(cdnow_rfm):
    with pytest.raises(clv.InputError, match=r"no covariate column 'channel'.*the columns are"):
        clv.BetaGeoCovariateModel(["channel"]).fit(cdnow_rfm)


def test_non_numeric_covariate(with_covariates):
    table = with_covariates.assign(channel=np.where(with_covariates["z2"] > 0, "web", "store"))
    with pytest.raises(clv.InputError, match=r"'channel' is not numeric.*indicator"):
        clv.BetaGeoCovariateModel(["channel"]).fit(table)


def test_missing_covariate_values(with_covariates):
    table = with_covariates.copy()
    table.iloc[[3, 7], table.columns.get_loc("z1")] = np.nan
    with pytest.raises(clv.InputError, match=r"'z1' has 2 missing or infinite value"):
        clv.GammaGammaCovariateModel(["z1"]).fit(table)
    fitted = clv.BetaGeoCovariateModel.from_params(
        {**BG_BASE, "purchase:z1": 0.1}, purchase_covariates=["z1"]
    )
    with pytest.raises(clv.InputError, match="missing or infinite"):
        fitted.expected_purchases(table, 10.0)


@pytest.mark.parametrize("word", ["NA", " n/a ", "null"])
def test_missing_value_texts_in_a_covariate_are_missing_values(with_covariates, word):
    # Before: a text column ["0.31", "NA", ...] was refused as "not numeric (for example
    # ['NA'])", while the same column read from a CSV file (NaN there) was "missing".
    table = with_covariates.assign(z1=with_covariates["z1"].map(repr).astype(object))
    table.iloc[[3, 7], table.columns.get_loc("z1")] = word
    with pytest.raises(clv.InputError, match=r"'z1' has 2 missing or infinite value"):
        clv.GammaGammaCovariateModel(["z1"]).fit(table)


def test_constant_covariate(with_covariates):
    table = with_covariates.assign(one=1.0)
    with pytest.raises(clv.InputError, match=r"'one' is constant.*drop it"):
        clv.BetaGeoCovariateModel([], ["one"]).fit(table)


def test_covariate_constant_among_repeat_buyers(with_covariates):
    table = with_covariates.assign(flag=(with_covariates["frequency"] == 0).astype(float))
    with pytest.raises(clv.InputError, match="constant among the repeat buyers"):
        clv.GammaGammaCovariateModel(["flag"]).fit(table)


def test_bad_covariate_names():
    with pytest.raises(clv.InputError, match="more than once"):
        clv.BetaGeoCovariateModel(["z1", "z1"])
    with pytest.raises(clv.InputError, match="column names"):
        clv.GammaGammaCovariateModel([3])


def test_simulator_rejects_unknown_coefficient():
    with pytest.raises(clv.InputError, match="not columns of covariates"):
        clv.simulate_customers_with_covariates(
            pd.DataFrame({"z": [0.0, 1.0]}), BG_BASE, purchase_coefficients={"w": 1.0}
        )


def test_gamma_gamma_covariates_are_a_mode_of_the_plain_class(with_covariates):
    # The former covariate class and the plain class with spend_covariates are one model.
    mode = clv.GammaGammaModel(spend_covariates=["z1", "z2"]).fit(with_covariates)
    former = clv.GammaGammaCovariateModel(spend_covariates=["z1", "z2"]).fit(with_covariates)
    np.testing.assert_allclose(mode.params_, former.params_, rtol=1e-8)
    np.testing.assert_allclose(
        mode.expected_spend(with_covariates), former.expected_spend(with_covariates), rtol=1e-12
    )
    with pytest.raises(clv.ModelError, match="expected_spend_new"):
        mode.population_mean_spend()
