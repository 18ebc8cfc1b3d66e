"""BG/BB at extreme parameters: every finite positive (α, β, γ, δ) is valid.

Predictions must stay finite, free of numpy warnings, probabilities in [0, 1] and at most one
purchase per opportunity, 0 ≤ E[X(n, n + n*)] ≤ n*, and agree with mpmath or with the model's
limit where one is known:

* β → 0 with x = t_x = n: p ~ Beta(α + x, β) sits at 1, the customer is alive and buys at every
  opportunity while alive, so P(no purchase in n*) = P(dies before the next one) = γ/(γ + δ + n);
* δ → ∞: θ ~ Beta(γ, δ) sits at 0, nobody dies, Σ_{k=1}^{n*} B(γ, δ+k)/B(γ, δ) → n*.

References
----------
[FHS10] Fader, P. S., Hardie, B. G. S. and Shang, J. (2010). Customer-base analysis in a
        discrete-time noncontractual setting. Marketing Science 29(6), 1086-1108: P(alive)
        (eq. 11), E[X(n, n + n*)] (eq. 13), E[X(n)] for a new customer (eq. 8).
"""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from clvmodel.models.beta_geo_beta_binom import BetaGeoBetaBinomModel

HISTORIES = pd.DataFrame(
    {
        "frequency": [0, 1, 3, 2, 6, 5, 40],
        "recency": [0, 1, 3, 4, 6, 5, 70],
        "n_periods": [6, 1, 5, 6, 6, 5, 100],
    }
)
NAMES = ("alpha", "beta", "gamma", "delta")
LONG = 10**9

log_uniform = st.floats(-300.0, 18.0).map(lambda e: 10.0**e)


def _everything(model, n_star):
    """Every prediction over the next n_star opportunities, warnings as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return {
            "predict": model.predict(HISTORIES, n_star),
            "alive": model.probability_alive(HISTORIES, m=1).to_numpy(),
            "expected": model.expected_purchases(HISTORIES, n_star).to_numpy(),
            "new": np.atleast_1d(model.expected_purchases_new(n_star)),
            # the closed forms alone at a horizon too long for predict's table of n* terms
            "long": model.expected_purchases(HISTORIES, LONG).to_numpy(),
            "long_new": np.atleast_1d(model.expected_purchases_new(LONG)),
        }


@settings(max_examples=40, deadline=None)
@given(
    values=st.tuples(log_uniform, log_uniform, log_uniform, log_uniform),
    n_star=st.integers(0, 60) | st.just(1000),
)
# Defect 7: P(no purchase) was NaN at β ≤ 1e-16 with x = t_x = n > 0, where
# β + n − x rounded to 0 (now β + (n − x)).
@example((1.0, 1e-16, 1.0, 1.0), 1)
@example((0.001, 1e-17, 0.001, 1e8), 3)
# Defect 8: E[X(n, n + n*)] was 4.06 > n* = 4 at δ = 1e15, and 1.00002 > 1 at
# δ = 1e10 with α ≫ β: the closed form of Σ B(γ, δ+n+k)/B(γ, δ+n) took the difference of two
# ln Γ shifts of size n* ln δ (δ = 1e20 gave 0, see the mpmath tests below).
@example((1.0, 1.0, 1.0, 1e15), 4)
@example((1e12, 1.0, 0.5, 1e10), 1)
@example((1e12, 1.0, 2.5, 1e12), 4)
def test_any_positive_parameters_give_finite_predictions_in_range(values, n_star):
    model = BetaGeoBetaBinomModel.from_params(dict(zip(NAMES, values, strict=True)))
    out = _everything(model, n_star)
    predict = out["predict"]
    for name, value in out.items():
        assert np.isfinite(np.asarray(value, dtype="float64")).all(), (name, value)
    for values_ in (out["alive"], predict["probability_alive"], predict["probability_no_purchase"]):
        assert ((values_ >= 0.0) & (values_ <= 1.0)).all()
    for expected in (out["expected"], predict["expected_purchases"], out["new"]):
        assert ((expected >= 0.0) & (expected <= n_star)).all(), expected
    for expected in (out["long"], out["long_new"]):
        assert ((expected >= 0.0) & (expected <= LONG)).all(), expected
    np.testing.assert_allclose(predict["expected_purchases"], out["expected"], rtol=1e-12)


@pytest.mark.parametrize("beta", [1e-16, 1e-17, 1e-100, 1e-300])
def test_beta_near_zero_buyer_at_every_opportunity_stops_only_by_dying(beta):
    """x = t_x = n: P(alive) = 1 and P(no purchase in n*) = γ/(γ + δ + n) in the limit β → 0
    (defect 7: NaN at β = 1e-16)."""
    gamma, delta = 0.657, 2.783
    model = BetaGeoBetaBinomModel.from_params(
        {"alpha": 1.204, "beta": beta, "gamma": gamma, "delta": delta}
    )
    data = pd.DataFrame({"frequency": [1, 6], "recency": [1, 6], "n_periods": [1, 6]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = model.predict(data, 5)
    np.testing.assert_allclose(out["probability_alive"], 1.0, rtol=1e-12)
    limit = gamma / (gamma + delta + data["n_periods"].to_numpy())
    np.testing.assert_allclose(out["probability_no_purchase"], limit, rtol=1e-12)


def _survival_sum(gamma, d, n_star):
    """Σ_{k=1}^{n*} B(γ, d+k)/B(γ, d) term by term, in mpmath at 400 digits."""
    with mp.workdps(400):
        g, d = mp.mpf(gamma), mp.mpf(d)
        first, last = mp.loggamma(g + d), mp.loggamma(d)  # the same for every k: taken once
        return float(
            sum(
                mp.exp(first + mp.loggamma(d + k) - last - mp.loggamma(g + d + k))
                for k in range(1, n_star + 1)
            )
        )


@pytest.mark.parametrize("delta", [1e8, 1e10, 1e15, 1e20, 1e100])
@pytest.mark.parametrize("gamma", [1e-3, 0.5, 1.0, 1.0 + 1e-9, 2.5, 1e8])
def test_survival_sum_at_large_delta_against_mpmath(gamma, delta):
    """E[X(n*)] of a new customer, α/(α+β) Σ_{k=1}^{n*} B(γ, δ+k)/B(γ, δ) [FHS10, eq. 8], and of
    a history, to 1e-12 (defect 8: δ = 1e15 gave 4.06 purchases in 4 opportunities)."""
    params = {"alpha": 1.0, "beta": 1.0, "gamma": gamma, "delta": delta}
    model = BetaGeoBetaBinomModel.from_params(params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = model.expected_purchases_new([1, 4, 40])
        row = pd.DataFrame({"frequency": [3], "recency": [3], "n_periods": [5]})
        history = model.expected_purchases(row, 4).iloc[0]
        alive = model.probability_alive(row).iloc[0]
    expected = [0.5 * _survival_sum(gamma, delta, n) for n in (1, 4, 40)]
    np.testing.assert_allclose(new, expected, rtol=1e-12)
    # eq. 13: P(alive) (α + x)/(α + β + n) Σ_{k=1}^{n*} B(γ, δ+n+k)/B(γ, δ+n)
    assert history == pytest.approx(alive * 4.0 / 7.0 * _survival_sum(gamma, delta + 5.0, 4))


@pytest.mark.parametrize(
    ("gamma", "delta"),
    [(1e300, 1e-300), (1e300, 1e20), (1e-300, 1e-300), (1e-8, 1e-300), (0.995, 1e300)],
)
def test_survival_sum_at_extreme_shapes_against_mpmath(gamma, delta):
    model = BetaGeoBetaBinomModel.from_params(
        {"alpha": 1.0, "beta": 1.0, "gamma": gamma, "delta": delta}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = model.expected_purchases_new([1, 11, 40])
    expected = [0.5 * _survival_sum(gamma, delta, n) for n in (1, 11, 40)]
    np.testing.assert_allclose(new, expected, rtol=1e-12, atol=1e-300)
