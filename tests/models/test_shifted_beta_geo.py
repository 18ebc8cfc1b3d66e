"""sBG: the published cohorts, closed forms against high-precision sums, simulation.

References
----------
[FH07]  Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. Journal of
        Interactive Marketing 21(1), 76-90. Table 1: percentage of each cohort still subscribed
        at the start of years 1-13 ("regular": 100, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1, 22.3,
        20.7, 19.4, 18.3, 17.3; "high end": 100, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1, 46.8,
        44.5, 42.7, 40.9, 39.4), of cohorts of 1,000. The sBG fitted to years 1-7 gives
        α = 0.704, β = 1.182, LL = −1680.27 (regular) and α = 0.668, β = 3.806, LL = −1611.16
        (high end).
[FH10]  Fader, P. S. and Hardie, B. G. S. (2010). Customer-base valuation in a contractual
        setting: the perils of ignoring heterogeneity. Marketing Science 29(1), 85-93. DERL of a
        customer who has made n − 1 renewals, eq. 6:
        B(α, β+n)/B(α, β+n−1) ₂F₁(1, β+n; α+β+n; 1/(1+d)), i.e. Σ_{k≥0} S(n+k)/S(n−1) (1+d)^−k.

The references computed here use mpmath at 30 digits, from the definitions S(t) = B(α, β+t)/B(α, β)
and the sums above, not from clvmodel's quadrature.
"""

from __future__ import annotations

import warnings

import make_derl_reference  # beside this file: the stored mpmath DERL table
import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel import subscriptions
from clvmodel.errors import ConvergenceError, InputError, NotFittedError
from clvmodel.models import load_model
from clvmodel.models.shifted_beta_geo import ShiftedBetaGeoModel, hyp2f1_one

pytestmark = pytest.mark.filterwarnings("error")

mp.mp.dps = 30

# [FH07] Table 1, survivors per 1,000 at the start of years 1-13.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]
# [FH07] sBG fitted to years 1-7.
PUBLISHED = {
    "regular": (REGULAR, {"alpha": 0.704, "beta": 1.182}, -1680.27),
    "high end": (HIGH_END, {"alpha": 0.668, "beta": 3.806}, -1611.16),
}
REGULAR_PARAMS = PUBLISHED["regular"][1]


def _survival(alpha, beta, t):
    """S(t) = B(α, β + t) / B(α, β) at 30 digits."""
    return mp.beta(alpha, beta + t) / mp.beta(alpha, beta)


def _derl_direct(alpha, beta, t, d):
    """Σ_{k≥0} S(t+1+k)/S(t) z^k term by term: S(t+1+k)/S(t) is the product of the retention
    rates (β+t+j)/(α+β+t+j), j = 0 … k; the sum stops where z^k < 1e-19."""
    log_z = -np.log1p(d)
    j = np.arange(int(np.ceil(np.log(1e-19) / log_z)) + 1, dtype="float64")
    log_terms = np.cumsum(np.log1p(-alpha / (alpha + beta + t + j))) + j * log_z
    return float(np.exp(log_terms).sum())


@pytest.fixture(scope="module")
def fits():
    return {
        name: ShiftedBetaGeoModel().fit(subscriptions.from_survival_counts(survivors[:8]))
        for name, (survivors, _, _) in PUBLISHED.items()
    }


def _active(periods):
    periods = np.atleast_1d(periods)
    return pd.DataFrame({"periods": periods, "cancelled": np.zeros(periods.size, "int64")})


# --------------------------------------------------------------------------------------------------
# [FH07]
@pytest.mark.parametrize("name", PUBLISHED)
def test_published_estimates(fits, name):
    _, params, log_likelihood = PUBLISHED[name]
    fitted = fits[name]
    for key, value in params.items():
        assert fitted.params_[key] == pytest.approx(value, abs=5e-4)
    assert fitted.log_likelihood_ == pytest.approx(log_likelihood, abs=5e-3)
    assert fitted.n_customers_ == 1000
    assert fitted.n_distinct_rows_ == 8
    assert np.isfinite(fitted.standard_errors_).all()


@pytest.mark.parametrize("name", PUBLISHED)
def test_projection_of_years_8_to_12(fits, name):
    """The fitted model's survivors in years 8-12 equal the closed form S(t) = B(α, β+t)/B(α, β)
    at [FH07]'s estimates (to their rounding), track the actual Table 1 counts within 2 % of the
    cohort, and beat the naive projection with a constant retention rate (the seven-year
    average) by far: the paper's point."""
    survivors, params, _ = PUBLISHED[name]
    years = np.arange(8, 13)
    projected = 1000 * fits[name].survival_function(years)
    closed_form = [1000 * float(_survival(params["alpha"], params["beta"], t)) for t in years]
    np.testing.assert_allclose(projected, closed_form, atol=0.5)
    actual = np.array(survivors[8:13], dtype=float)
    assert np.max(np.abs(projected - actual)) < 20
    constant = survivors[7] * (survivors[7] / 1000) ** ((years - 7) / 7)
    assert np.mean(np.abs(projected - actual)) < 0.25 * np.mean(np.abs(constant - actual))


def test_survival_and_retention_closed_forms():
    model = ShiftedBetaGeoModel.from_params(REGULAR_PARAMS)
    t = np.array([0, 1, 2, 7, 12, 100, 10_000, 100_000])
    expected = [float(_survival(0.704, 1.182, int(v))) for v in t]
    np.testing.assert_allclose(model.survival_function(t), expected, rtol=1e-13)
    # r(t) = (β + t − 1)/(α + β + t − 1)
    t = np.arange(1, 13)
    np.testing.assert_allclose(
        model.retention_rate(t), (1.182 + t - 1) / (0.704 + 1.182 + t - 1), rtol=1e-13
    )


# --------------------------------------------------------------------------------------------------
# Predictions conditional on tenure
def test_probability_cancel_and_retention_curve():
    model = ShiftedBetaGeoModel.from_params(REGULAR_PARAMS)
    data = pd.DataFrame({"periods": [0, 3, 7, 500, 4], "cancelled": [0, 0, 0, 0, 1]})
    risk = model.probability_cancel(data, 3)
    expected = [
        1 - float(_survival(0.704, 1.182, t + 3) / _survival(0.704, 1.182, t))
        for t in (0, 3, 7, 500)
    ]
    np.testing.assert_allclose(risk.to_numpy()[:4], expected, rtol=1e-12)
    assert risk.iloc[4] == 1.0
    curve = model.retention_curve(data, periods=3)
    np.testing.assert_allclose(curve[3].to_numpy()[:4], 1 - np.asarray(expected), rtol=1e-12)
    assert (curve[0].to_numpy()[:4] == 1.0).all()
    assert (curve.iloc[4] == 0.0).all()


@pytest.mark.parametrize("t", [0, 1, 7, 100, 10_000])
@pytest.mark.parametrize("d", [0.1, 0.01, 1e-4])
def test_derl_closed_form_equals_direct_sum(t, d):
    """[FH10] eq. 6 (hypergeometric closed form) against the sum that defines DERL."""
    model = ShiftedBetaGeoModel.from_params(REGULAR_PARAMS)
    derl = model.discounted_expected_residual_lifetime(_active(t), d).iloc[0]
    assert derl == pytest.approx(_derl_direct(0.704, 1.182, t, d), rel=1e-11)


def test_derl_against_mpmath():
    """The same sum at 30 digits (mpmath's nsum, reliable for a ratio z = 1/1.1), stored by
    make_derl_reference.py; test_stored_derl_is_what_mpmath_computes recomputes one live."""
    model = ShiftedBetaGeoModel.from_params(REGULAR_PARAMS)
    stored = make_derl_reference.load()
    for t in (0, 5, 250):
        expected = mp.mpf(stored[("sbg", "1", "0.1", t)])
        derl = model.discounted_expected_residual_lifetime(_active(t), 0.1).iloc[0]
        assert derl == pytest.approx(float(expected), rel=1e-13)


def test_stored_derl_is_what_mpmath_computes():
    live = make_derl_reference.derl("sbg", "1", "0.1", 250)
    stored = mp.mpf(make_derl_reference.load()[("sbg", "1", "0.1", 250)])
    assert abs(live - stored) <= mp.mpf("1e-27") * abs(live)


def test_del_and_value_of_a_new_subscriber():
    """DEL(d) = ₂F₁(1, β; α+β; 1/(1+d)) [FH10]: the first payment at signup and the renewals."""
    model = ShiftedBetaGeoModel.from_params(REGULAR_PARAMS)
    expected = float(mp.hyp2f1(1, mp.mpf("1.182"), mp.mpf("1.886"), 1 / mp.mpf("1.1")))
    assert model.discounted_expected_lifetime(0.1) == pytest.approx(expected, rel=1e-12)
    assert model.lifetime_value_new(price=10.0, margin=0.3, discount_rate=0.1) == pytest.approx(
        3.0 * expected, rel=1e-12
    )
    assert model.discounted_expected_lifetime(0.0) == np.inf  # α < 1: infinite mean lifetime


def test_residual_lifetime_and_value():
    model = ShiftedBetaGeoModel.from_params({"alpha": 3.0, "beta": 5.0})
    data = pd.DataFrame(
        {"periods": [0, 4, 10_000, 2], "cancelled": [0, 0, 0, 1], "price": [10.0, 20.0, 5.0, 9.0]}
    )
    # Given T > t, θ ~ Beta(α, β + t) and the renewals still to come have mean (β + t)/(α − 1).
    lifetime = model.expected_residual_lifetime(data)
    np.testing.assert_allclose(lifetime, [5 / 2, 9 / 2, 10_005 / 2, 0.0], rtol=1e-14)
    derl = model.discounted_expected_residual_lifetime(data, 0.01)
    value = model.residual_value(data, "price", margin=0.5, discount_rate=0.01)
    np.testing.assert_allclose(value, data["price"] * 0.5 * derl, rtol=1e-15)
    assert value.iloc[3] == 0.0
    heavy = ShiftedBetaGeoModel.from_params(REGULAR_PARAMS).expected_residual_lifetime(_active(3))
    assert heavy.iloc[0] == np.inf  # α ≤ 1
    table = model.predict(data, 3, discount_rate=0.01)
    assert list(table.columns) == ["probability_cancel", "expected_residual_lifetime", "derl"]
    np.testing.assert_array_equal(table["derl"], derl)
    np.testing.assert_array_equal(table["probability_cancel"], model.probability_cancel(data, 3))


def test_long_tenures_are_finite_and_quiet():
    model = ShiftedBetaGeoModel.from_params(REGULAR_PARAMS)
    data = _active([10_000, 100_000, 1_000_000])
    for values in (
        model.probability_cancel(data, 12),
        model.discounted_expected_residual_lifetime(data, 0.01),
        model.discounted_expected_residual_lifetime(data, 1e-5),
        model.retention_curve(data, 24).to_numpy(),
    ):
        assert np.all(np.isfinite(values))
    risk = model.probability_cancel(data, 1).to_numpy()
    # One renewal decision at tenure t: 1 − r(t + 1) = α / (α + β + t).
    np.testing.assert_allclose(risk, 0.704 / (0.704 + 1.182 + data["periods"]), rtol=1e-9)


@settings(max_examples=20, deadline=None)
@given(
    b=st.floats(0.05, 2000.0),
    gap=st.floats(0.01, 50.0),
    d=st.floats(1e-3, 5.0),
)
def test_hypergeometric_matches_mpmath(b, gap, d):
    value = hyp2f1_one(b, b + gap, d)
    expected = mp.hyp2f1(1, b, b + gap, 1 / (1 + mp.mpf(d)))
    assert float(value) == pytest.approx(float(expected), rel=1e-11)


@pytest.mark.parametrize("excess", [1e-9, 1e-6, 1e-4, 1e-3, 4e-3, 0.1, 0.9])
@pytest.mark.parametrize(("b", "d"), [(0.5, 1.0), (0.05, 1e-3), (20.0, 5.0)])
def test_hypergeometric_with_c_just_above_one(b, d, excess):
    # c = 1 + ε: the integrand's tail falls at rate ε, and one quadrature piece of length ~1/ε
    # missed the bend at the mode (1e-7 relative at ε = 1e-3, as sBG's DEL at α + β = 1e-3 is).
    c = 1.0 + excess
    expected = mp.hyp2f1(1, b, c, 1 / (1 + mp.mpf(d)))
    assert float(hyp2f1_one(b, c, d)) == pytest.approx(float(expected), rel=1e-13)


# --------------------------------------------------------------------------------------------------
# Simulation
@pytest.fixture(scope="module")
def simulated():
    truth = ShiftedBetaGeoModel.from_params({"alpha": 1.2, "beta": 3.0})
    observed = np.random.default_rng(11).integers(1, 13, 8000)  # cohorts seen for 1-12 periods
    return truth, truth.simulate(8000, observed, random_state=12)


def test_simulation_recovery(simulated):
    truth, data = simulated
    fitted = ShiftedBetaGeoModel().fit(data)
    for name, value in truth.params_.items():
        assert abs(fitted.params_[name] - value) < 4 * fitted.standard_errors_[name]


def test_conditional_predictions_against_simulation():
    """Among simulated subscribers still active after t periods, the share who cancel in the
    next k, and the realised discounted number of further payments, agree with the model."""
    truth = ShiftedBetaGeoModel.from_params({"alpha": 4.0, "beta": 6.0})
    lifetime = truth.simulate(200_000, 10**9, random_state=5)["lifetime"].to_numpy()
    d, z = 0.05, 1 / 1.05
    for t, k in [(0, 1), (2, 3), (6, 6)]:
        alive = lifetime > t
        share = np.mean(lifetime[alive] <= t + k)
        predicted = truth.probability_cancel(_active(t), k).iloc[0]
        assert abs(share - predicted) < 4 * np.sqrt(predicted * (1 - predicted) / alive.sum())
        payments = (1 - z ** (lifetime[alive] - t - 1)) / (1 - z)  # Σ_{k=0}^{T-t-2} z^k
        derl = truth.discounted_expected_residual_lifetime(_active(t), d).iloc[0]
        assert abs(payments.mean() - derl) < 4 * payments.std() / np.sqrt(alive.sum())
        remaining = lifetime[alive] - t - 1
        mean_life = truth.expected_residual_lifetime(_active(t)).iloc[0]
        assert abs(remaining.mean() - mean_life) < 4 * remaining.std() / np.sqrt(alive.sum())


# --------------------------------------------------------------------------------------------------
def test_weights_and_persistence(tmp_path, fits):
    rows = subscriptions.from_survival_counts(REGULAR[:8])
    grouped = rows.groupby(["periods", "cancelled"]).size().rename("n").reset_index()
    weighted = ShiftedBetaGeoModel().fit(grouped, weights=grouped["n"])
    np.testing.assert_allclose(weighted.params_, fits["regular"].params_, rtol=1e-6)
    assert weighted.log_likelihood_ == pytest.approx(fits["regular"].log_likelihood_, rel=1e-10)
    loaded = load_model(fits["regular"].save(tmp_path / "sbg.json"))
    assert isinstance(loaded, ShiftedBetaGeoModel)
    np.testing.assert_array_equal(loaded.params_, fits["regular"].params_)


def test_errors():
    with pytest.raises(NotFittedError, match="call fit"):
        ShiftedBetaGeoModel().survival_function(3)
    with pytest.raises(InputError, match="no subscriber has cancelled"):
        ShiftedBetaGeoModel().fit(_active([1, 2, 3]))
    # A fit that stops early advises on the subscriber table, not on an RFM table.
    with pytest.raises(ConvergenceError, match="check the subscriber table") as stopped:
        ShiftedBetaGeoModel(max_iter=1).fit(subscriptions.from_survival_counts(REGULAR[:5]))
    assert "RFM" not in str(stopped.value)
    # One subscriber (or one unit of weight) used to give a "fit" with parameters near 1e7.
    one = pd.DataFrame({"periods": [3], "cancelled": [1]})
    with pytest.raises(InputError, match=r"on 1 subscriber\(s\)"):
        ShiftedBetaGeoModel().fit(one)
    with pytest.raises(InputError, match=r"on 1.5 subscriber\(s\)"):
        ShiftedBetaGeoModel().fit(pd.concat([one, _active([2])]), weights=[1.0, 0.5])
    model = ShiftedBetaGeoModel.from_params(REGULAR_PARAMS)
    with pytest.raises(InputError, match="discount_rate"):
        model.discounted_expected_residual_lifetime(_active(1), -0.1)
    with pytest.raises(InputError, match="whole numbers"):
        model.probability_cancel(_active(1), 1.5)
    with pytest.raises(InputError, match="no column 'cancelled'"):
        model.probability_cancel(pd.DataFrame({"periods": [1]}), 1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: m.lifetime_value_new(price=float("nan"), margin=0.3, discount_rate=0.1),
         "price must be finite and ≥ 0"),
        (lambda m: m.lifetime_value_new(price=-5.0, margin=0.3, discount_rate=0.1),
         "price must be finite and ≥ 0"),
        (lambda m: m.lifetime_value_new(price=100.0, margin=7.0, discount_rate=0.1), "margin"),
        (lambda m: m.residual_value(_active([0, 3]), price=100.0, margin=-1.0, discount_rate=0.1),
         "margin"),
        (lambda m: m.residual_value(_active([0, 3]), price=-100.0, margin=0.3, discount_rate=0.1),
         "price must be finite and ≥ 0"),
        (lambda m: m.discounted_expected_residual_lifetime(_active(1), 50), "0 ≤ d < 1"),
        (lambda m: m.simulate(-1, 3), "n_subscribers"),
        (lambda m: m.simulate(2.5, 3), "n_subscribers"),
    ],
)  # fmt: skip
def test_value_arguments_out_of_range_are_refused(call, message):
    # Found by fuzzing: a NaN or negative price, a margin of 700 % or -100 % and a discount rate
    # of 5,000 % per period gave numbers (NaN, negative, inflated) instead of an error.
    model = ShiftedBetaGeoModel.from_params(REGULAR_PARAMS)
    with pytest.raises(InputError, match=message):
        call(model)
    assert 0 < model.lifetime_value_new(price=10.0, margin=1.0, discount_rate=0.1) < np.inf


def test_per_subscriber_numbers_of_the_wrong_length_are_refused_in_words():
    """Three horizons for four subscribers raised numpy's broadcast ValueError."""
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.2})
    data = pd.DataFrame({"periods": [1, 2, 3, 4], "cancelled": [0, 0, 0, 1]})
    for call in (
        lambda: model.probability_cancel(data, [1, 2, 3]),
        lambda: model.predict(data, [1, 2, 3], 0.1),
    ):
        with pytest.raises(clv.InputError, match="one number or one per subscriber: got 3 for 4"):
            call()
    with pytest.raises(clv.InputError, match="observed_periods must be one number or one per"):
        model.simulate(5, [10, 12])
    ahead = model.probability_cancel(data, [1, 2, 3, 4])
    assert ahead.iloc[0] == model.probability_cancel(data.iloc[:1], 1).iloc[0]


def test_no_subscriber_gives_empty_results_without_a_warning():
    """An empty table warned "Mean of empty slice" from the survival's shortcut."""
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.2})
    empty = pd.DataFrame({"periods": pd.Series([], dtype="int64"), "cancelled": []})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert model.probability_cancel(empty, 1).empty
        assert model.predict(empty, 1, 0.1).empty
        assert len(model.survival_function([])) == 0
