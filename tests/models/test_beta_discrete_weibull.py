"""BdW: c = 1 is sBG, closed forms against high precision, simulation recovery.

References
----------
[FHLDS18] Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J. and Steenburgh, T. (2018). "How to
          project customer retention" revisited: the role of duration dependence. Journal of
          Interactive Marketing 43, 1-16. Given θ, P(T > t | θ) = (1 − θ)^(t^c); with
          θ ~ Beta(α, β), S(t) = B(α, β + t^c) / B(α, β); c = 1 gives the sBG model.
[FH07]    Fader and Hardie (2007), Table 1, the "regular" cohort (years 1-7): sBG α = 0.704,
          β = 1.182, LL = −1680.27.
"""

from __future__ import annotations

import make_derl_reference  # beside this file: the stored mpmath DERL table
import mpmath as mp
import numpy as np
import pandas as pd
import pytest

from clvmodel import subscriptions
from clvmodel.models import load_model
from clvmodel.models.beta_discrete_weibull import BetaDiscreteWeibullModel
from clvmodel.models.shifted_beta_geo import ShiftedBetaGeoModel

pytestmark = pytest.mark.filterwarnings("error")

mp.mp.dps = 30

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
SBG = {"alpha": 0.704, "beta": 1.182}


def _active(periods):
    periods = np.atleast_1d(periods)
    return pd.DataFrame({"periods": periods, "cancelled": np.zeros(periods.size, "int64")})


def _survival(alpha, beta, c, t):
    """S(t) = B(α, β + t^c) / B(α, β) at 30 digits."""
    alpha, beta = mp.mpf(alpha), mp.mpf(beta)
    return mp.beta(alpha, beta + mp.mpf(t) ** c) / mp.beta(alpha, beta)


# --------------------------------------------------------------------------------------------------
# c = 1 is sBG
def test_likelihood_at_c_one_is_sbg():
    rows = subscriptions.from_survival_counts(REGULAR)
    bdw = BetaDiscreteWeibullModel.from_params({**SBG, "c": 1.0})
    sbg = ShiftedBetaGeoModel.from_params(SBG)
    arrays, counts, _ = bdw._prepare(rows, None)
    ll_bdw = counts @ bdw._loglik(bdw.params_.to_numpy(), arrays)[0]
    ll_sbg = counts @ sbg._loglik(sbg.params_.to_numpy(), arrays)[0]
    assert ll_bdw == pytest.approx(ll_sbg, rel=1e-14)
    # [FH07]: −1680.27 at the published (rounded) estimates.
    assert ll_sbg == pytest.approx(-1680.27, abs=0.01)


@pytest.mark.parametrize("d", [0.0, 1e-4, 0.01, 0.1])
def test_predictions_at_c_one_equal_sbg_closed_forms(d):
    """BdW's DERL is a direct sum (with a fitted tail at d = 0); at c = 1 it must equal the sBG
    closed form (a Gauss hypergeometric function)."""
    params = {"alpha": 1.7, "beta": 2.5}
    bdw = BetaDiscreteWeibullModel.from_params({**params, "c": 1.0})
    sbg = ShiftedBetaGeoModel.from_params(params)
    data = _active([0, 1, 12, 300, 10_000])
    np.testing.assert_allclose(
        bdw.discounted_expected_residual_lifetime(data, d),
        sbg.discounted_expected_residual_lifetime(data, d),
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        bdw.probability_cancel(data, 6), sbg.probability_cancel(data, 6), rtol=1e-13
    )
    assert bdw.discounted_expected_lifetime(0.05) == pytest.approx(
        sbg.discounted_expected_lifetime(0.05), rel=1e-12
    )


@pytest.mark.parametrize(("alpha", "d"), [(0.3, 3e-5), (0.3, 1e-5), (0.6, 1e-5), (0.9, 2e-5)])
def test_tail_with_beta_below_one_minus_alpha_over_two(alpha, d):
    """The sum's tail expands (x^c + s)^−α with s = β + (α − 1)/2, negative for β < (1 − α)/2:
    found by fuzzing, ln s was NaN there and DERL came out infinite (at d < ~4e-5, where the
    direct sum needs the tail). At c = 1 it must still equal the sBG closed form."""
    params = {"alpha": alpha, "beta": 0.05}
    bdw = BetaDiscreteWeibullModel.from_params({**params, "c": 1.0})
    sbg = ShiftedBetaGeoModel.from_params(params)
    data = _active([0, 1, 12, 300])
    np.testing.assert_allclose(
        bdw.discounted_expected_residual_lifetime(data, d),
        sbg.discounted_expected_residual_lifetime(data, d),
        rtol=1e-9,
    )


def test_residual_lifetime_with_a_negative_tail_shift_against_a_long_sum():
    """α = 0.5, β = 0.1, c = 3 (cα = 1.5: a finite mean, s = −0.15): E[residual lifetime] at
    tenure 1 against Σ_{k≥1} S(1+k)/S(1) summed to N = 10⁶, 4·10⁶ and 1.6·10⁷ terms and
    extrapolated in N^−½ (the terms fall like k^−1.5): 1.51816553104 (stored; the last two
    extrapolations agree to 1e-9)."""
    bdw = BetaDiscreteWeibullModel.from_params({"alpha": 0.5, "beta": 0.1, "c": 3.0})
    value = bdw.expected_residual_lifetime(_active([1])).iloc[0]
    assert value == pytest.approx(1.51816553104, rel=1e-9)


def test_fit_nests_sbg():
    """With one more parameter the maximised likelihood can only rise above sBG's [FH07]."""
    rows = subscriptions.from_survival_counts(REGULAR)
    fitted = BetaDiscreteWeibullModel().fit(rows)
    assert fitted.log_likelihood_ >= -1680.27
    assert np.isfinite(fitted.standard_errors_).all()
    assert set(fitted.params_.index) == {"alpha", "beta", "c"}


# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("c", [0.4, 0.8, 1.6])
def test_survival_against_mpmath(c):
    model = BetaDiscreteWeibullModel.from_params({"alpha": 0.9, "beta": 2.2, "c": c})
    t = np.array([0, 1, 2, 5, 12, 100, 10_000])
    expected = [float(_survival(0.9, 2.2, c, int(v))) for v in t]
    np.testing.assert_allclose(model.survival_function(t), expected, rtol=1e-13)
    risk = model.probability_cancel(_active(t), 3)
    expected = [
        float(1 - _survival(0.9, 2.2, c, int(v) + 3) / _survival(0.9, 2.2, c, int(v))) for v in t
    ]
    np.testing.assert_allclose(risk, expected, rtol=1e-9)


@pytest.mark.parametrize(("c", "d"), [(0.6, 0.05), (1.4, 0.1)])
def test_derl_against_mpmath(c, d):
    """Σ_{k≥0} S(t+1+k)/S(t) (1+d)^−k at 30 digits (mpmath's nsum), stored by
    make_derl_reference.py; test_stored_derl_is_what_mpmath_computes recomputes one live."""
    alpha, beta = 2.0, 3.0
    model = BetaDiscreteWeibullModel.from_params({"alpha": alpha, "beta": beta, "c": c})
    stored = make_derl_reference.load()
    for t in (0, 10):
        expected = float(mp.mpf(stored[("bdw", str(c), str(d), t)]))
        derl = model.discounted_expected_residual_lifetime(_active(t), d).iloc[0]
        assert derl == pytest.approx(expected, rel=1e-12)


def test_stored_derl_is_what_mpmath_computes():
    live = make_derl_reference.derl("bdw", "1.4", "0.1", 0)
    stored = mp.mpf(make_derl_reference.load()[("bdw", "1.4", "0.1", 0)])
    assert abs(live - stored) <= mp.mpf("1e-27") * abs(live)


@pytest.mark.parametrize("c", [0.6, 0.9, 1.4])
def test_residual_lifetime_satisfies_the_renewal_recursion(c):
    """At d = 0 the sum has a power-law tail (S(x) ∝ x^−cα), summed from S's asymptotic form.
    Whatever S is, E[R(t)] = r(t+1) (1 + E[R(t+1)]) with r(t+1) = S(t+1)/S(t): the tails, taken
    at different ages, must agree."""
    model = BetaDiscreteWeibullModel.from_params({"alpha": 2.0, "beta": 3.0, "c": c})
    t = np.array([0, 1, 7, 40, 1000])
    now = model.expected_residual_lifetime(_active(t)).to_numpy()
    later = model.expected_residual_lifetime(_active(t + 1)).to_numpy()
    renew = model.survival_function(t + 1) / model.survival_function(t)
    np.testing.assert_allclose(now, renew * (1 + later), rtol=1e-10)


def test_infinite_lifetime_and_long_tenures():
    heavy = BetaDiscreteWeibullModel.from_params({"alpha": 1.5, "beta": 2.0, "c": 0.5})
    assert heavy.expected_residual_lifetime(_active(3)).iloc[0] == np.inf  # cα ≤ 1
    assert heavy.discounted_expected_lifetime(0.0) == np.inf
    data = _active([10_000, 100_000])
    for values in (
        heavy.probability_cancel(data, 12),
        heavy.discounted_expected_residual_lifetime(data, 0.01),
        heavy.retention_curve(data, 12).to_numpy(),
    ):
        assert np.all(np.isfinite(values))


# --------------------------------------------------------------------------------------------------
# Simulation
@pytest.mark.parametrize("c", [0.6, 1.5])
def test_simulation_recovery(c):
    truth = BetaDiscreteWeibullModel.from_params({"alpha": 1.5, "beta": 3.0, "c": c})
    observed = np.random.default_rng(21).integers(1, 25, 6000)  # cohorts seen 1-24 periods
    data = truth.simulate(6000, observed, random_state=22)
    fitted = BetaDiscreteWeibullModel().fit(data)
    for name, value in truth.params_.items():
        assert abs(fitted.params_[name] - value) < 4 * fitted.standard_errors_[name]


def test_conditional_predictions_against_simulation():
    truth = BetaDiscreteWeibullModel.from_params({"alpha": 3.0, "beta": 4.0, "c": 0.7})
    lifetime = truth.simulate(200_000, 10**9, random_state=8)["lifetime"].to_numpy()
    z = 1 / 1.02
    for t, k in [(0, 1), (3, 4), (10, 12)]:
        alive = lifetime > t
        share = np.mean(lifetime[alive] <= t + k)
        predicted = truth.probability_cancel(_active(t), k).iloc[0]
        assert abs(share - predicted) < 4 * np.sqrt(predicted * (1 - predicted) / alive.sum())
        payments = (1 - z ** (lifetime[alive] - t - 1)) / (1 - z)
        derl = truth.discounted_expected_residual_lifetime(_active(t), 0.02).iloc[0]
        assert abs(payments.mean() - derl) < 4 * payments.std() / np.sqrt(alive.sum())


def test_persistence(tmp_path):
    model = BetaDiscreteWeibullModel.from_params({"alpha": 1.0, "beta": 2.0, "c": 0.8})
    loaded = load_model(model.save(tmp_path / "bdw.json"))
    assert isinstance(loaded, BetaDiscreteWeibullModel)
    np.testing.assert_array_equal(loaded.params_, model.params_)
