"""Simulation recovery: draw customers from known parameters, fit, and get the parameters back."""

import numpy as np
import pytest

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
