"""BG/BB's count distribution over the next n* opportunities and its intervals
(clvmodel.models._opportunity_counts).

References
----------
[FHS10] Fader, P. S., Hardie, B. G. S. and Shang, J. (2010). Customer-base analysis in a
        discrete-time noncontractual setting. Marketing Science 29(6), 1086-1108: eq. (7), P(X(n)
        = x) for a customer just acquired; eq. (13), E[X(n, n + n*) | x, t_x, n]; the donations
        estimates α = 1.204, β = 0.750, γ = 0.657, δ = 2.783.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bgbb_simulation import simulate_opportunities
from scipy import stats

from clvmodel.errors import InputError
from clvmodel.models._bgbb_math import no_purchase_if_alive
from clvmodel.models._opportunity_counts import count_survival_if_alive
from clvmodel.models.beta_geo_beta_binom import BetaGeoBetaBinomModel

PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
THETA = np.array(list(PUBLISHED.values()))
TRUE = {"alpha": 1.2, "beta": 0.8, "gamma": 0.7, "delta": 2.5}


def _pmf(above):
    """P(X = k) from P(X > k), k = 0 … n*."""
    return -np.diff(np.concatenate([np.ones((above.shape[0], 1)), above], axis=1), axis=1)


def _simulate(truth, size, n, ahead, seed):
    history, future, _ = simulate_opportunities(truth, size, n, ahead, seed)
    return history, future


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("n_star", [1, 6, 25])
def test_a_new_customer_counts_as_eq_7(n_star):
    # x = 0 after n = 0 opportunities is a customer just acquired: the conditional distribution
    # is [FHS10] eq. (7), which clvmodel computes by another sum (probability_of_purchases).
    model = BetaGeoBetaBinomModel.from_params(PUBLISHED)
    pmf = _pmf(count_survival_if_alive(THETA, [0.0], [0.0], n_star))[0]
    np.testing.assert_allclose(pmf, model.probability_of_purchases(np.arange(n_star + 1), n_star),
                               rtol=1e-11, atol=1e-15)  # fmt: skip


@pytest.mark.filterwarnings("error")
def test_the_distribution_sums_to_one_and_its_mean_is_eq_13():
    model = BetaGeoBetaBinomModel.from_params(PUBLISHED)
    data = pd.DataFrame({"frequency": [0, 1, 3, 6, 40], "recency": [0, 2, 6, 6, 50],
                         "n_periods": [6, 6, 6, 6, 60]})  # fmt: skip
    x, n = data["frequency"].to_numpy(float), data["n_periods"].to_numpy(float)
    for n_star in (1, 5, 30):
        pmf = _pmf(count_survival_if_alive(THETA, x, n, n_star))
        np.testing.assert_allclose(pmf.sum(axis=1), 1.0, rtol=1e-12)
        assert (pmf >= 0).all()
        alive = model.probability_alive(data).to_numpy()
        expected = model.expected_purchases(data, n_star).to_numpy()
        np.testing.assert_allclose(alive * (pmf @ np.arange(n_star + 1)), expected, rtol=1e-10)
        np.testing.assert_allclose(pmf[:, 0], no_purchase_if_alive(THETA, x, n, n_star), rtol=1e-12)


def test_the_distribution_matches_simulated_customers():
    # 60,000 customers over 8 + 4 opportunities: for each history seen at least 400 times, the
    # counts in the last 4 follow P(X = k | history) (χ² over the histories' pooled cells).
    history, future = _simulate(TRUE, 60_000, 8, 4, seed=41)
    model = BetaGeoBetaBinomModel.from_params(TRUE)
    key = history["frequency"] * 100 + history["recency"]
    statistic, cells = 0.0, 0
    for _, rows in history.groupby(key).groups.items():
        if len(rows) < 400:
            continue
        one = history.loc[rows[:1]]
        alive = model.probability_alive(one).iloc[0]
        pmf = (
            alive
            * _pmf(
                count_survival_if_alive(
                    np.array(list(TRUE.values())), one["frequency"].to_numpy(float), [8.0], 4
                )
            )[0]
        )
        pmf[0] += 1.0 - alive  # fmt: skip
        observed = np.bincount(future[rows], minlength=5)
        expected = pmf * len(rows)
        keep = expected >= 5
        observed = np.append(observed[keep], observed[~keep].sum())
        expected = np.append(expected[keep], expected[~keep].sum())
        statistic += ((observed - expected) ** 2 / np.maximum(expected, 1e-300)).sum()
        cells += keep.sum()
    assert cells > 30
    assert stats.chi2.sf(statistic, cells) > 1e-3


@pytest.fixture(scope="module")
def fitted():
    history, future = _simulate(TRUE, 20_000, 8, 4, seed=5)
    return BetaGeoBetaBinomModel().fit(history), history, future


@pytest.mark.filterwarnings("error")
def test_intervals_bracket_and_the_methods_agree(fitted):
    model, history, _ = fitted
    probe = history.drop_duplicates().head(40)
    delta = model.predict(probe, 4, interval=0.9)
    draws = model.predict(probe, 4, interval=0.9, method="draws", n_draws=200, seed=1)
    for name in ("probability_alive", "expected_purchases", "probability_no_purchase"):
        assert (delta[f"{name}_lower"] <= delta[name] + 1e-12).all()
        assert (delta[name] <= delta[f"{name}_upper"] + 1e-12).all()
        width = delta[f"{name}_upper"] - delta[f"{name}_lower"]
        for side in ("lower", "upper"):
            gap = (draws[f"{name}_{side}"] - delta[f"{name}_{side}"]).abs()
            assert (gap <= 0.15 * width + 1e-9).all(), (name, side)
    assert (delta["purchases_lower"] <= delta["purchases_upper"]).all()
    assert (delta["purchases_upper"] <= 4).all()
    assert (delta["purchases_interval_mass"] >= 0.9 - 1e-9).all()
    model.bootstrap(history, n_draws=20, seed=2)
    boot = model.predict(probe, 4, ("expected_purchases",), interval=0.9, method="bootstrap")
    assert list(boot.columns[:3]) == ["expected_purchases", "expected_purchases_lower",
                                      "expected_purchases_upper"]  # fmt: skip


def test_prediction_intervals_hold_their_mass_on_simulated_customers(fitted):
    # The fitted model's 80 % count intervals for the next 4 opportunities of new customers
    # drawn from the same story: the share inside equals the mean mass (4 standard errors).
    model = fitted[0]
    history, future = _simulate(TRUE, 20_000, 8, 4, seed=6)
    table = model.predict(history, 4, ("expected_purchases",), interval=0.8)
    inside = (table["purchases_lower"] <= future) & (future <= table["purchases_upper"])
    mass = table["purchases_interval_mass"].mean()
    assert abs(inside.mean() - mass) < 4 * np.sqrt(mass * (1 - mass) / len(future))


def test_bad_arguments_are_refused(fitted):
    model = fitted[0]
    probe = fitted[1].head(3)
    with pytest.raises(InputError, match="n_star must be one whole number"):
        model.predict(probe, 2.5)
    with pytest.raises(InputError, match="which must name"):
        model.predict(probe, 2, ("churn",))
    with pytest.raises(InputError, match="fitted with fit"):
        BetaGeoBetaBinomModel.from_params(PUBLISHED).predict(probe, 2, interval=0.9)
