"""Simulation recovery: draw customers from known parameters, fit, and get the parameters back."""

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad

import clvmodel as clv

BG_TRUE = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
GG_TRUE = {"p": 6.0, "q": 3.8, "v": 15.0}

# Maximum-likelihood estimates are asymptotically normal around the truth with the standard errors
# the fit reports; with 50,000 customers the asymptotics hold well. A 4-standard-error band fails by
# chance with probability about 6e-5 per parameter, yet catches any bias larger than that.
_BAND = 4.0


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(20261122)
    ages = rng.uniform(20.0, 78.0, 50_000)
    return clv.simulate_customers(50_000, BG_TRUE, T=ages, gg_params=GG_TRUE, seed=rng)


def test_bg_nbd_parameters_are_recovered(simulated):
    bg = clv.BetaGeoModel().fit(simulated)
    for name, truth in BG_TRUE.items():
        error = bg.params_[name] - truth
        assert abs(error) < _BAND * bg.standard_errors_[name], (name, bg.params_[name], truth)


def test_gamma_gamma_parameters_are_recovered(simulated):
    gg = clv.GammaGammaModel().fit(simulated)
    for name, truth in GG_TRUE.items():
        error = gg.params_[name] - truth
        assert abs(error) < _BAND * gg.standard_errors_[name], (name, gg.params_[name], truth)


def test_simulated_histories_are_valid(simulated):
    assert (simulated["recency"] <= simulated["T"]).all()
    assert (simulated.loc[simulated["frequency"] == 0, "recency"] == 0).all()
    assert (simulated.loc[simulated["frequency"] > 0, "monetary_value"] > 0).all()


def test_mean_frequency_matches_the_model_expectation():
    # E[X(T)] of eq. (9) is the population mean of the simulated repeat purchases at a fixed age.
    rfm = clv.simulate_customers(200_000, BG_TRUE, T=39.0, seed=7)
    expected = clv.BetaGeoModel.from_params(BG_TRUE).expected_purchases_new(39.0)
    standard_error = rfm["frequency"].std() / np.sqrt(len(rfm))
    assert abs(rfm["frequency"].mean() - expected) < 4 * standard_error


def test_transaction_log_round_trips_through_rfm():
    bg_days = {"r": 0.5, "alpha": 60.0, "a": 0.8, "b": 2.5}
    log = clv.simulate_transactions(
        30_000, bg_days, GG_TRUE, acquisition_days=365, observation_days=730, seed=3
    )
    assert {"customer_id", "date", "amount"} <= set(log.columns)
    assert log["customer_id"].nunique() == 30_000
    rfm = clv.rfm_summary(log, observation_end=log["date"].max(), time_unit="D")
    fitted = clv.BetaGeoModel().fit(rfm)
    # Daily rounding merges a few same-day purchases, so allow a 10 % band rather than the
    # sampling band: the point is that dates, ages and gaps come out on the model's scale.
    for name, truth in bg_days.items():
        assert fitted.params_[name] == pytest.approx(truth, rel=0.10), name


def test_seed_makes_draws_reproducible():
    first = clv.simulate_customers(100, BG_TRUE, seed=5)
    second = clv.simulate_customers(100, BG_TRUE, seed=5)
    assert first.equals(second)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_customers": 0, "bg_params": BG_TRUE},
        {"n_customers": 10, "bg_params": {"r": 1.0}},
        {"n_customers": 10, "bg_params": {**BG_TRUE, "a": -1.0}},
        {"n_customers": 10, "bg_params": BG_TRUE, "T": -1.0},
    ],
)
def test_bad_simulation_arguments_raise_input_error(kwargs):
    with pytest.raises(clv.InputError):
        clv.simulate_customers(**kwargs)


# ---------------------------------------------------------------------------------------------
# The model option: BG/NBD (default, unchanged), MBG/NBD, Pareto/NBD
MBG_TRUE = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}  # BTYDplus on the CDNOW sample
# Of the order of the Pareto/NBD estimates on the CDNOW sample (s < 1: a long-tailed lifetime).
PNBD_TRUE = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}


def _mbg_expected_new(params, t):
    return float(clv.ModifiedBetaGeoModel.from_params(params).expected_purchases_new(t))


def _mbg_pmf_new(params, n, t):
    return clv.ModifiedBetaGeoModel.from_params(params).probability_of_purchases(n, t)


def _pnbd_expected_new(params, t):
    # Schmittlein, Morrison and Colombo (1987): E[X(t)] = rβ/(α(s−1)) [1 − (β/(β+t))^(s−1)].
    r, alpha, s, beta = (params[k] for k in ("r", "alpha", "s", "beta"))
    return r * beta / (alpha * (s - 1.0)) * (1.0 - (beta / (beta + t)) ** (s - 1.0))


def _pnbd_probability_none(params, t):
    """P(X(t) = 0) = ∫₀ᵗ E[e^{−λu}] E[μ e^{−μu}] du + E[e^{−λt}] E[e^{−μt}]: the customer dies
    at u before a first repeat purchase, or survives t without one (λ ~ Gamma(r, α),
    μ ~ Gamma(s, β))."""
    r, alpha, s, beta = (params[k] for k in ("r", "alpha", "s", "beta"))

    def dies_first(u):
        return (alpha / (alpha + u)) ** r * s * beta**s / (beta + u) ** (s + 1.0)

    integral, _ = quad(dies_first, 0.0, t, epsabs=1e-13, epsrel=1e-12)
    return integral + (alpha / (alpha + t)) ** r * (beta / (beta + t)) ** s


def _within_4_se(sample, expected):
    sample = np.asarray(sample, dtype="float64")
    standard_error = sample.std() / np.sqrt(sample.size)
    assert abs(sample.mean() - expected) < 4 * standard_error, (sample.mean(), expected)


def test_bgnbd_draws_are_unchanged_by_the_model_option():
    # Recorded with clvmodel at commit c7d049e, before the model option existed: the same seed
    # must keep giving the same customers.
    default = clv.simulate_customers(1000, BG_TRUE, T=39.0, seed=5)
    assert default.equals(clv.simulate_customers(1000, BG_TRUE, T=39.0, seed=5, model="bgnbd"))
    assert default["frequency"].sum() == 1314
    assert default["recency"].sum() == 8514.428478678185
    assert default["frequency"].head(8).tolist() == [2, 1, 0, 0, 0, 0, 1, 0]
    z = pd.DataFrame({"z": np.linspace(-1, 1, 1000)})
    coefficients = {"purchase_coefficients": {"z": 0.5}, "dropout_coefficients": {"z": -0.5}}
    with_z = clv.simulate_customers_with_covariates(z, BG_TRUE, 39.0, **coefficients, seed=5)
    assert with_z["frequency"].sum() == 1338
    assert with_z["recency"].sum() == 8420.329921687555


@pytest.mark.parametrize(("model", "params"), [("mbgnbd", MBG_TRUE), ("pnbd", PNBD_TRUE)])
def test_simulated_histories_are_valid_for_every_model(model, params):
    rfm = clv.simulate_customers(20_000, params, T=np.linspace(0, 78, 20_000), seed=2, model=model)
    assert (rfm["recency"] <= rfm["T"]).all()
    assert ((rfm["recency"] > 0) == (rfm["frequency"] > 0)).all()
    first = clv.simulate_customers(50, params, seed=9, model=model)
    assert first.equals(clv.simulate_customers(50, params, seed=9, model=model))


def test_mbgnbd_counts_match_the_model():
    # E[X(39)] and P(X(39) = n) of a new customer, n = 0..3, from the MBG/NBD closed forms of
    # Batislam, Denizel and Filiztekin (2007) (clvmodel's ModifiedBetaGeoModel, checked in
    # tests/models/test_modified_beta_geo.py against lifetimes and mpmath).
    rfm = clv.simulate_customers(200_000, MBG_TRUE, T=39.0, seed=21, model="mbgnbd")
    _within_4_se(rfm["frequency"], _mbg_expected_new(MBG_TRUE, 39.0))
    for n in range(4):
        _within_4_se(rfm["frequency"] == n, float(_mbg_pmf_new(MBG_TRUE, n, 39.0)))


def test_mbgnbd_differs_from_bgnbd_by_the_first_coin():
    # The extra coin at time 0 kills a / (a + b) of the customers before any repeat purchase, so
    # the share with x = 0 exceeds BG/NBD's by about that much: not a cosmetic change.
    bg = clv.simulate_customers(100_000, MBG_TRUE, T=39.0, seed=4)
    mbg = clv.simulate_customers(100_000, MBG_TRUE, T=39.0, seed=4, model="mbgnbd")
    assert (mbg["frequency"] == 0).mean() > (bg["frequency"] == 0).mean() + 0.1


def test_pareto_nbd_counts_match_the_model():
    rfm = clv.simulate_customers(200_000, PNBD_TRUE, T=39.0, seed=22, model="pnbd")
    _within_4_se(rfm["frequency"], _pnbd_expected_new(PNBD_TRUE, 39.0))
    _within_4_se(rfm["frequency"] == 0, _pnbd_probability_none(PNBD_TRUE, 39.0))
    # And the model's own P(X(39) = n), n = 1..3, from clvmodel's Pareto/NBD.
    pmf = clv.ParetoNBDModel.from_params(PNBD_TRUE).probability_of_purchases([1, 2, 3], 39.0)
    for n, probability in zip([1, 2, 3], pmf, strict=True):
        _within_4_se(rfm["frequency"] == n, probability)


def test_pareto_nbd_reference_values_are_consistent():
    # The two closed forms above, against a brute-force check of their own: E[X(t)] is the
    # integral of the purchase rate of survivors, (r/α) ∫₀ᵗ (β/(β+u))^s du.
    r, alpha, s, beta = (PNBD_TRUE[k] for k in ("r", "alpha", "s", "beta"))
    integral, _ = quad(lambda u: (beta / (beta + u)) ** s, 0.0, 39.0)
    assert _pnbd_expected_new(PNBD_TRUE, 39.0) == pytest.approx(r / alpha * integral, rel=1e-10)
    assert _pnbd_probability_none(PNBD_TRUE, 0.0) == 1.0


@pytest.mark.parametrize("model", ["mbgnbd", "pnbd"])
def test_covariates_shift_each_model_as_documented(model):
    # Two groups: w = 0 draws from the base parameters, w = 1 from α e^{−γ}, and (a e^{δ}, b e^{δ})
    # or β e^{−δ}; each group's mean frequency must match the model at its own parameters.
    n = 100_000
    w = pd.DataFrame({"w": np.repeat([0.0, 1.0], n)})
    gamma, delta = 0.4, -0.5
    base = MBG_TRUE if model == "mbgnbd" else PNBD_TRUE
    rfm = clv.simulate_customers_with_covariates(
        w, base, T=39.0, purchase_coefficients={"w": gamma}, dropout_coefficients={"w": delta},
        seed=23, model=model,
    )  # fmt: skip
    shifted = {**base, "alpha": base["alpha"] * np.exp(-gamma)}
    if model == "mbgnbd":
        shifted.update(a=base["a"] * np.exp(delta), b=base["b"] * np.exp(delta))
        expected = _mbg_expected_new
    else:
        shifted.update(beta=base["beta"] * np.exp(-delta))
        expected = _pnbd_expected_new
    frequency = rfm["frequency"].to_numpy()
    _within_4_se(frequency[:n], expected(base, 39.0))
    _within_4_se(frequency[n:], expected(shifted, 39.0))
    assert list(rfm.columns) == ["frequency", "recency", "T", "w"]


def test_mbgnbd_parameters_are_recovered():
    rng = np.random.default_rng(20261201)
    ages = rng.uniform(20.0, 78.0, 40_000)
    rfm = clv.simulate_customers(40_000, MBG_TRUE, T=ages, seed=rng, model="mbgnbd")
    fitted = clv.ModifiedBetaGeoModel().fit(rfm)
    for name, truth in MBG_TRUE.items():
        error = fitted.params_[name] - truth
        assert abs(error) < _BAND * fitted.standard_errors_[name], (name, fitted.params_[name])


def test_mbgnbd_covariate_coefficients_are_recovered():
    rng = np.random.default_rng(20261202)
    n = 25_000
    z = pd.DataFrame({"z": rng.normal(size=n), "w": rng.integers(0, 2, n).astype(float)})
    truth = {"purchase:z": 0.3, "dropout:w": -0.4}
    rfm = clv.simulate_customers_with_covariates(
        z, MBG_TRUE, T=rng.uniform(20.0, 78.0, n), purchase_coefficients={"z": 0.3},
        dropout_coefficients={"w": -0.4}, seed=rng, model="mbgnbd",
    )  # fmt: skip
    model = clv.ModifiedBetaGeoModel(purchase_covariates=["z"], dropout_covariates=["w"])
    fitted = model.fit(rfm)
    for name, value in {**MBG_TRUE, **truth}.items():
        error = fitted.params_[name] - value
        assert abs(error) < _BAND * fitted.standard_errors_[name], (name, fitted.params_[name])


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("mbgnbd", {"r": 0.5, "alpha": 40.0, "a": 0.9, "b": 1.6}),
        ("pnbd", {"r": 0.5, "alpha": 70.0, "s": 0.6, "beta": 80.0}),
    ],
)
def test_transaction_logs_for_every_model(model, params):
    log = clv.simulate_transactions(3000, params, seed=8, model=model)
    per_customer = log.groupby("customer_id").size()
    assert per_customer.size == 3000 and (per_customer >= 1).all()
    assert log["date"].min() >= pd.Timestamp("2024-01-01")
    assert log["date"].max() < pd.Timestamp("2024-01-01") + pd.Timedelta(days=730)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "paretonbd"}, "model must be one of"),
        ({"model": "pnbd"}, "'s' is missing"),
    ],
)
def test_bad_model_options_raise_input_error(kwargs, message):
    with pytest.raises(clv.InputError, match=message):
        clv.simulate_customers(10, BG_TRUE, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"observation_days": 10**8}, r"observation_days=100000000 .*at most 100 years"),
        ({"observation_days": 36_526}, "observation_days=36526"),
        ({"acquisition_days": 0}, "acquisition_days=0 must be more than 0"),
        ({"acquisition_days": 10**8, "observation_days": 730}, "acquisition_days=100000000"),
        ({"acquisition_days": 800}, "acquisition_days=800 is longer than observation_days=730"),
        ({"start": "2250-01-01", "observation_days": 36_525}, "start='2250-01-01'.*2262-04-11"),
        ({"start": "1600-01-01"}, "start='1600-01-01'.*1677-09-22"),
        ({"start": "not a day"}, "start='not a day' is not a date"),
    ],
)
def test_transaction_log_windows_beyond_the_dates_a_timestamp_holds_are_refused(kwargs, message):
    # 10**8 days once wrapped around datetime64[ns]: dates from 1685 to 2261, out of order.
    with pytest.raises(clv.InputError, match=message):
        clv.simulate_transactions(5, BG_TRUE, **kwargs)


def test_a_100_year_transaction_log_keeps_its_dates_in_order():
    log = clv.simulate_transactions(20, BG_TRUE, observation_days=36_525, seed=1)
    assert log["date"].min() >= pd.Timestamp("2024-01-01")
    assert log["date"].max() < pd.Timestamp("2024-01-01") + pd.Timedelta(days=36_525)
    assert log.groupby("customer_id")["date"].is_monotonic_increasing.all()
