"""BG/BB: the donations data, parity with lifetimes, consistency, simulation.

References
----------
[FHS10]     Fader, P. S., Hardie, B. G. S. and Shang, J. (2010). Customer-base analysis in a
            discrete-time noncontractual setting. Marketing Science 29(6), 1086-1108. On the
            donations data (11,104 donors of the 1995 cohort, 6 later yearly opportunities):
            α = 1.204, β = 0.750, γ = 0.657, δ = 2.783, LL = −33,225.58.
[lifetimes] lifetimes 0.11.3 ``BetaGeoBetaBinomFitter`` (the project's reference implementation),
            which also ships the donations data (``lifetimes.datasets.load_donations``).
"""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from bgbb_simulation import simulate_opportunities

from clvmodel.errors import InputError
from clvmodel.models import load_model
from clvmodel.models._bgbb_math import survival_sum
from clvmodel.models.beta_geo_beta_binom import BetaGeoBetaBinomModel

lifetimes = pytest.importorskip("lifetimes")

PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def _quietly(function, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args)


@pytest.fixture(scope="module")
def donations():
    from lifetimes.datasets import load_donations

    data = _quietly(load_donations)
    return data.rename(columns={"periods": "n_periods"})


@pytest.fixture(scope="module")
def fitted(donations):
    return BetaGeoBetaBinomModel().fit(donations, weights=donations["weights"])


def _lifetimes_model(params, donations):
    fitter = lifetimes.BetaGeoBetaBinomFitter()
    fitter.params_ = pd.Series({k: float(params[k]) for k in PUBLISHED})
    fitter.data = pd.DataFrame(
        {
            "frequency": donations["frequency"],
            "recency": donations["recency"],
            "n_periods": donations["n_periods"],
            "weights": donations["weights"],
        }
    )
    return fitter


@pytest.mark.filterwarnings("error")
def test_published_estimates(fitted):
    for name, value in PUBLISHED.items():
        assert fitted.params_[name] == pytest.approx(value, abs=5e-4)
    assert fitted.log_likelihood_ == pytest.approx(-33225.58, abs=5e-3)
    assert fitted.n_customers_ == 11104
    assert np.isfinite(fitted.standard_errors_).all()


@pytest.mark.filterwarnings("error")
def test_likelihood_against_mpmath():
    """The likelihood of a few histories from the definition, at 30 digits."""
    mp.mp.dps = 30
    a, b, g, d = (mp.mpf(str(PUBLISHED[k])) for k in ("alpha", "beta", "gamma", "delta"))
    model = BetaGeoBetaBinomModel.from_params(PUBLISHED)
    rows = [(0, 0, 6), (1, 3, 6), (4, 5, 6), (6, 6, 6), (2, 2, 30), (10, 40, 200)]
    x, t_x, n = (np.array(v, dtype=float) for v in zip(*rows, strict=True))
    ll, _ = model._loglik(model.params_.to_numpy(), model._grid(x, t_x, n))
    for value, (xi, ti, ni) in zip(ll, rows, strict=True):
        alive = mp.beta(a + xi, b + ni - xi) * mp.beta(g, d + ni)
        died = sum(
            mp.beta(a + xi, b + ti - xi + i) * mp.beta(g + 1, d + ti + i) for i in range(ni - ti)
        )
        expected = mp.log((alive + died) / (mp.beta(a, b) * mp.beta(g, d)))
        assert value == pytest.approx(float(expected), rel=1e-13)


def test_parity_with_lifetimes(fitted, donations):
    """Same parameters, same predictions as [lifetimes] (which adds 1e-15 inside a logarithm,
    hence the 1e-11 tolerance)."""
    reference = _lifetimes_model(fitted.params_, donations)
    x, t_x, n = (donations[c].to_numpy() for c in ("frequency", "recency", "n_periods"))
    for m in (0, 1, 5):
        expected = _quietly(reference.conditional_probability_alive, m, x, t_x, n)
        np.testing.assert_allclose(fitted.probability_alive(donations, m), expected, rtol=1e-11)
    for n_star in (1, 5, 10):
        expected = _quietly(
            reference.conditional_expected_number_of_purchases_up_to_time, n_star, x, t_x, n
        )
        np.testing.assert_allclose(
            fitted.expected_purchases(donations, n_star), expected, rtol=1e-11
        )
    table = _quietly(reference.expected_number_of_transactions_in_first_n_periods, 6)
    pmf = fitted.probability_of_purchases(table.index.to_numpy(), 6) * donations["weights"].sum()
    np.testing.assert_allclose(pmf, table["model"], rtol=1e-12)


@pytest.mark.filterwarnings("error")
def test_unconditional_consistency():
    """P(X(n) = x) sums to 1 and its mean is E[X(n)]; near γ = 1 the closed form of
    Σ_k B(γ, δ+k)/B(γ, δ) is continuous and equals the direct sum."""
    model = BetaGeoBetaBinomModel.from_params(PUBLISHED)
    for n in (1, 6, 25):
        pmf = model.probability_of_purchases(np.arange(n + 1), n)
        assert pmf.sum() == pytest.approx(1.0, rel=1e-13)
        assert pmf @ np.arange(n + 1) == pytest.approx(model.expected_purchases_new(n), rel=1e-12)
    k = np.arange(1, 41)
    for gamma in (1.0, 1.0 + 1e-9, 1.0 - 1e-7, 0.99995, 1.0002, 0.991, 1.012, 0.657, 3.2):
        direct = sum(float(mp.beta(gamma, 2.783 + j) / mp.beta(gamma, 2.783)) for j in k)
        assert survival_sum(gamma, 2.783, 40.0) == pytest.approx(direct, rel=1e-12)


@pytest.mark.filterwarnings("error")
def test_long_histories_are_finite():
    model = BetaGeoBetaBinomModel.from_params(PUBLISHED)
    data = pd.DataFrame(
        {"frequency": [0, 500, 2500], "recency": [0, 2000, 2999], "n_periods": [3000] * 3}
    )
    for values in (model.probability_alive(data), model.expected_purchases(data, 1000)):
        assert np.all(np.isfinite(values)) and np.all(values >= 0)


# --------------------------------------------------------------------------------------------------
# Simulation
@pytest.fixture(scope="module")
def simulation():
    truth = BetaGeoBetaBinomModel.from_params(
        {"alpha": 1.5, "beta": 2.5, "gamma": 0.8, "delta": 4.0}
    )
    return truth, truth.simulate(12_000, 12, random_state=31)


@pytest.mark.filterwarnings("error")
def test_simulation_recovery(simulation):
    truth, data = simulation
    fitted = BetaGeoBetaBinomModel().fit(data[["frequency", "recency", "n_periods"]])
    for name, value in truth.params_.items():
        assert abs(fitted.params_[name] - value) < 4 * fitted.standard_errors_[name]


@pytest.mark.filterwarnings("error")
def test_conditional_predictions_against_simulation():
    """Customers simulated over 8 + 4 opportunities: given the first 8, the model's P(alive) and
    expected transactions in the last 4 match what happened, overall and by frequency."""
    params = {"alpha": 1.2, "beta": 0.8, "gamma": 0.7, "delta": 2.5}
    truth = BetaGeoBetaBinomModel.from_params(params)
    size, n, ahead = 60_000, 8, 4
    history, future, alive_at_n = simulate_opportunities(params, size, n, ahead, seed=41)
    x = history["frequency"].to_numpy()
    alive = truth.probability_alive(history, m=0).to_numpy()
    expected = truth.expected_purchases(history, ahead).to_numpy()
    for group in [np.ones(size, bool), x == 0, x == 3, x >= 6]:
        assert abs(expected[group].mean() - future[group].mean()) < 4 * future[
            group
        ].std() / np.sqrt(group.sum())
        was_alive = alive_at_n[group]
        assert abs(alive[group].mean() - was_alive.mean()) < 4 * was_alive.std() / np.sqrt(
            group.sum()
        )


# --------------------------------------------------------------------------------------------------
def test_validation_and_persistence(tmp_path, fitted):
    model = BetaGeoBetaBinomModel.from_params(PUBLISHED)
    with pytest.raises(InputError, match="'periods': rename it"):
        model.probability_alive(pd.DataFrame({"frequency": [1], "recency": [1], "periods": [6]}))
    for row, problem in [
        ((3, 2, 6), "frequency ≤ recency"),
        ((1, 7, 6), "recency ≤ n_periods"),
        ((0, 2, 6), "recency ≠ 0 without"),
        ((1.5, 2, 6), "not whole"),
        ((0, 0, 0), "n_periods < 1"),
    ]:
        data = pd.DataFrame([row], columns=["frequency", "recency", "n_periods"])
        with pytest.raises(InputError, match=problem):
            model.expected_purchases(data, 1)
    # One customer used to give a fit with an edge warning; the other purchase models refuse it.
    one = pd.DataFrame({"frequency": [2], "recency": [4], "n_periods": [6]})
    with pytest.raises(InputError, match=r"on 1 customer\(s\)"):
        BetaGeoBetaBinomModel().fit(one)
    loaded = load_model(fitted.save(tmp_path / "bgbb.json"))
    assert isinstance(loaded, BetaGeoBetaBinomModel)
    np.testing.assert_array_equal(loaded.params_, fitted.params_)
