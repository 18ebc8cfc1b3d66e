"""Model-API defects: per-customer Series matched by id, the RFM table's unit after a join, the
heat map's unit check and title, clear errors for bad arguments, Day One payback's default
horizon, and the churn-risk Notes."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.dayone import first_purchase_attributes
from clvmodel.economics import day_one_payback, probability_alive_at
from clvmodel.plotting.heatmaps import frequency_recency_grid, plot_frequency_recency
from clvmodel.scoring import score_customers

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def horizons(cdnow_rfm):
    """A horizon per customer (1 to 50 weeks) and the same Series shuffled."""
    t = pd.Series(np.arange(len(cdnow_rfm)) % 50 + 1.0, index=cdnow_rfm.index)
    return t, t.sample(frac=1.0, random_state=0)


# ---------------------------------------------------------------------------------------------
# 1. A Series is matched to the table's rows by customer id.
def test_predict_matches_a_shuffled_horizon_series_by_id(fitted_bg, cdnow_rfm, horizons):
    aligned, shuffled = horizons
    expected = fitted_bg.predict(cdnow_rfm, t=aligned.to_numpy())
    pd.testing.assert_frame_equal(fitted_bg.predict(cdnow_rfm, t=shuffled), expected)
    pd.testing.assert_series_equal(
        fitted_bg.expected_purchases(cdnow_rfm, shuffled), expected["expected_purchases"]
    )


def test_new_customer_predictions_match_a_series_by_id(fitted_bg, cdnow_rfm, horizons):
    aligned, shuffled = horizons
    expected = fitted_bg.expected_purchases_new(aligned.to_numpy(), data=cdnow_rfm)
    pd.testing.assert_series_equal(fitted_bg.expected_purchases_new(shuffled, cdnow_rfm), expected)
    counts = pd.Series(np.arange(len(cdnow_rfm)) % 3, index=cdnow_rfm.index)
    expected = fitted_bg.probability_of_purchases(counts.to_numpy(), aligned.to_numpy(), cdnow_rfm)
    pd.testing.assert_series_equal(
        fitted_bg.probability_of_purchases(
            counts.sample(frac=1.0, random_state=2), shuffled, cdnow_rfm
        ),
        expected,
    )


def test_fit_matches_a_shuffled_weights_series_by_id(cdnow_rfm):
    weights = pd.Series(np.arange(len(cdnow_rfm)) % 4 + 1.0, index=cdnow_rfm.index)
    expected = clv.BetaGeoModel().fit(cdnow_rfm, weights=weights.to_numpy()).params_
    shuffled = weights.sample(frac=1.0, random_state=1)
    fitted = clv.BetaGeoModel().fit(cdnow_rfm, weights=shuffled)
    pd.testing.assert_series_equal(fitted.params_, expected)
    spend = clv.GammaGammaModel().fit(cdnow_rfm, weights=shuffled).params_
    pd.testing.assert_series_equal(
        spend, clv.GammaGammaModel().fit(cdnow_rfm, weights=weights.to_numpy()).params_
    )


def test_fit_of_bgbb_matches_weights_by_id():
    from lifetimes.datasets import load_donations

    donations = load_donations().rename(columns={"periods": "n_periods"})
    donations.index = [f"d{i}" for i in range(len(donations))]
    weights = donations["weights"]
    expected = clv.BetaGeoBetaBinomModel().fit(donations, weights=weights.to_numpy()).params_
    fitted = clv.BetaGeoBetaBinomModel().fit(donations, weights=weights.iloc[::-1])
    pd.testing.assert_series_equal(fitted.params_, expected)


def test_series_with_missing_repeated_or_extra_ids_are_refused(fitted_bg, cdnow_rfm, horizons):
    aligned, _ = horizons
    with pytest.raises(clv.InputError, match=r"t has no value for customer id\(s\) '00004'"):
        fitted_bg.predict(cdnow_rfm, t=aligned.drop("00004"))
    repeated = pd.concat([aligned, aligned.iloc[:1]])
    with pytest.raises(clv.InputError, match=r"t repeats customer id\(s\)"):
        fitted_bg.predict(cdnow_rfm, t=repeated)
    extra = pd.concat([aligned, pd.Series([1.0], index=["stranger"])])
    with pytest.raises(clv.InputError, match=r"t holds customer id\(s\) 'stranger'"):
        fitted_bg.predict(cdnow_rfm, t=extra)
    weights = pd.Series(1.0, index=cdnow_rfm.index)
    with pytest.raises(clv.InputError, match=r"weights has no value for customer id"):
        clv.BetaGeoModel().fit(cdnow_rfm, weights=weights.iloc[1:])
    with pytest.raises(clv.InputError, match=r"weights repeats customer id"):
        clv.BetaGeoModel().fit(cdnow_rfm, weights=pd.concat([weights, weights.iloc[:2]]))


def test_arrays_keep_their_positional_meaning(fitted_bg, cdnow_rfm, horizons):
    aligned, shuffled = horizons
    by_position = fitted_bg.predict(cdnow_rfm, t=list(shuffled.to_numpy()))
    expected = fitted_bg.predict(cdnow_rfm, t=shuffled.to_numpy())
    pd.testing.assert_frame_equal(by_position, expected)
    assert not np.allclose(
        by_position["expected_purchases"],
        fitted_bg.predict(cdnow_rfm, t=aligned)["expected_purchases"],
    )


# ---------------------------------------------------------------------------------------------
# 2. The table's time unit after rfm.join(attributes).
@pytest.fixture(scope="module")
def days(cdnow_sample):
    """A table in days, the same table joined with attributes (no recorded unit), and models
    fitted in days."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        rfm = clv.rfm_summary(cdnow_sample, observation_end="1997-09-30", time_unit="D")
    joined = rfm.join(pd.DataFrame({"segment": np.arange(len(rfm)) % 3}, index=rfm.index))
    assert "time_unit" not in joined.attrs
    return rfm, joined, clv.BetaGeoModel().fit(rfm), clv.GammaGammaModel().fit(rfm)


_SCORERS = {
    "churn_risk": lambda bg, gg, data, **kw: clv.churn_risk(bg, data, "3M", gg, **kw),
    "customer_lifetime_value": lambda bg, gg, data, **kw: clv.customer_lifetime_value(
        bg, gg, data, "12M", **kw
    ),
    "score_customers": lambda bg, gg, data, **kw: score_customers(bg, gg, data, "12M", **kw),
}


@pytest.mark.parametrize("name", list(_SCORERS))
def test_rfm_time_unit_scores_a_joined_table_as_the_original(days, name):
    rfm, joined, bg, gg = days
    score = _SCORERS[name]
    expected = score(bg, gg, rfm)
    result = score(bg, gg, joined, rfm_time_unit="D")
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(result[expected.columns], expected, check_like=True)
    else:
        pd.testing.assert_series_equal(result, expected)
    # The unit reaches the model's check: a weeks model refuses the days table.
    weekly = clv.BetaGeoModel.from_params(bg.params_.to_dict(), time_unit="W")
    with pytest.raises(clv.InputError, match="fitted in weeks"):
        score(weekly, gg, joined, rfm_time_unit="D")


@pytest.mark.parametrize("name", ["customer_lifetime_value", "score_customers"])
def test_time_unit_beside_a_joined_table_is_refused_naming_rfm_time_unit(days, name):
    """time_unit="D" reads like the table's unit, but is the deprecated value period: beside a
    horizon with its unit and a table that records none, the error points at rfm_time_unit=."""
    _, joined, bg, gg = days
    weekly = clv.BetaGeoModel.from_params(bg.params_.to_dict(), time_unit="W")
    with pytest.raises(clv.InputError, match=r"pass rfm_time_unit='D' instead"):
        _SCORERS[name](weekly, gg, joined, time_unit="D")


def test_time_unit_of_another_unit_than_the_models_warns_naming_rfm_time_unit(days):
    """A bare deprecated period still works (the deprecation path), with a warning when it
    differs from the model's unit beside a table that records none."""
    _, joined, bg, gg = days
    weekly = clv.BetaGeoModel.from_params(bg.params_.to_dict(), time_unit="W")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.warns(clv.ClvWarning, match=r"rfm_time_unit='D'"):
            clv.churn_risk(weekly, joined, "3M", gg, time_unit="D")
        with pytest.warns(clv.ClvWarning, match=r"rfm_time_unit='D'"):
            clv.customer_lifetime_value(weekly, gg, joined, 90, time_unit="D")


def test_rfm_time_unit_is_checked(days):
    rfm, joined, bg, gg = days
    with pytest.raises(clv.InputError, match=r"rfm_time_unit='M' is not supported"):
        clv.customer_lifetime_value(bg, gg, joined, "12M", rfm_time_unit="M")
    with pytest.raises(clv.InputError, match="contradicts the table's own time unit"):
        clv.churn_risk(bg, rfm, "3M", rfm_time_unit="W")


def test_covariate_advice_names_rfm_time_unit(fitted_bg, cdnow_rfm):
    model = clv.BetaGeoModel(purchase_covariates=["segment"])
    with pytest.raises(clv.InputError, match="rfm_time_unit= to customer_lifetime_value"):
        model.fit(cdnow_rfm)


# ---------------------------------------------------------------------------------------------
# 3. Heat maps.
def test_heat_map_refuses_a_table_in_another_unit(published_bg, days):
    rfm = days[0]
    with pytest.raises(clv.InputError, match="fitted in weeks"):
        frequency_recency_grid(published_bg, rfm)
    with pytest.raises(clv.InputError, match="fitted in weeks"):
        plot_frequency_recency(published_bg, rfm)


def test_heat_map_title_says_one_week(published_bg):
    ax = plot_frequency_recency(published_bg, T=39, max_frequency=5, t=1)
    assert "next 1 week\n" in ax.get_title() or ax.get_title().startswith(
        "Expected purchases in the next 1 week"
    )
    assert "1 weeks" not in ax.get_title()


# ---------------------------------------------------------------------------------------------
# 4. Clear errors.
def test_a_column_of_horizons_is_refused_clearly(fitted_bg, cdnow_rfm):
    with pytest.raises(clv.InputError, match=r"t has shape \(2357, 1\)"):
        fitted_bg.predict(cdnow_rfm, t=np.ones((len(cdnow_rfm), 1)))


def test_a_bad_count_in_a_series_is_named_by_customer_id(fitted_bg):
    # The Series was matched by id, but the message named the position of the matched array.
    data = pd.DataFrame(
        {"frequency": [0, 1, 2], "recency": [0.0, 5.0, 6.0], "T": 10.0}, index=["a", "b", "c"]
    )
    n = pd.Series([1.0, -2.0, 1.0], index=["c", "b", "a"])
    with pytest.raises(clv.InputError, match="got -2.0 for customer id 'b'"):
        fitted_bg.probability_of_purchases(n, 5.0, data)


def test_probability_of_purchases_refuses_counts_of_another_length(fitted_bg, cdnow_rfm):
    with pytest.raises(clv.InputError, match=r"n has shape \(3,\); with data="):
        fitted_bg.probability_of_purchases([1, 2, 3], 5.0, cdnow_rfm)
    with pytest.raises(clv.InputError, match="do not match"):
        fitted_bg.probability_of_purchases([1, 2, 3], [1.0, 2.0])


@pytest.mark.parametrize("seed", [-1, "x", 1.5, True])
def test_bad_seeds_are_refused_clearly(fitted_bg, fitted_gg, cdnow_rfm, seed):
    rows = cdnow_rfm.iloc[:20]
    with pytest.raises(clv.InputError, match="seed must be a whole number"):
        fitted_bg.predict(rows, 5.0, interval=0.9, method="draws", seed=seed)
    with pytest.raises(clv.InputError, match="seed must be a whole number"):
        clv.customer_lifetime_value(
            fitted_bg, fitted_gg, rows, "12M", interval=0.9, method="draws", seed=seed
        )
    with pytest.raises(clv.InputError, match="seed must be a whole number"):
        clv.BetaGeoModel().fit(cdnow_rfm).bootstrap(cdnow_rfm, n_draws=2, seed=seed)


def test_good_seeds_still_work(fitted_bg, cdnow_rfm):
    rows = cdnow_rfm.iloc[:20]
    a = fitted_bg.predict(rows, 5.0, interval=0.9, method="draws", n_draws=20, seed=np.int64(3))
    b = fitted_bg.predict(
        rows, 5.0, interval=0.9, method="draws", n_draws=20, seed=np.random.default_rng(3)
    )
    pd.testing.assert_frame_equal(a, b)


def test_a_negative_horizon_in_a_series_names_the_customer(fitted_bg, cdnow_rfm):
    rows = cdnow_rfm.iloc[:5]
    t = pd.Series([1.0, 2.0, -3.0, 4.0, 5.0], index=rows.index)
    with pytest.raises(clv.InputError) as caught:
        fitted_bg.predict(rows, t=t.iloc[::-1])
    message = str(caught.value)
    assert f"-3.0 for customer id {rows.index[2]!r}" in message
    assert "dtype" not in message and rows.index[0] not in message


def test_probability_alive_at_refuses_a_series_without_printing_it(published_bg, cdnow_rfm):
    rows = cdnow_rfm.iloc[:5]
    t = pd.Series([1.0, 2.0, -3.0, 4.0, 5.0], index=rows.index)
    with pytest.raises(clv.InputError) as caught:
        probability_alive_at(published_bg, rows, t)
    assert "dtype" not in str(caught.value) and "-3.0 for customer id" in str(caught.value)
    with pytest.raises(clv.InputError, match="t must be one number"):
        probability_alive_at(published_bg, rows, t.abs())


# ---------------------------------------------------------------------------------------------
# 5. Day One payback's default horizon is 13 months whatever the period.
def test_day_one_payback_default_horizon_is_13_months_in_any_period(cdnow_sample):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        rfm = clv.rfm_summary(cdnow_sample, observation_end="1997-09-30")
    signups = first_purchase_attributes(cdnow_sample).loc[rfm.index]
    model = clv.DayOneModel(
        ["first_purchase_amount"],
        log=["first_purchase_amount"],
        first_purchase_col="first_purchase_amount",
    ).fit(rfm, signups)
    rows = signups.iloc[:10]
    months = day_one_payback(model, rows, 0.0)
    weeks = day_one_payback(model, rows, 0.0, time_unit="W")
    np.testing.assert_allclose(weeks["expected_purchases"], months["expected_purchases"])
    thirteen_weeks = day_one_payback(model, rows, 0.0, horizon="13W")
    assert (thirteen_weeks["expected_purchases"] < months["expected_purchases"]).all()


# ---------------------------------------------------------------------------------------------
# 6. Only BG/NBD gives one-time buyers P(alive) = 1 (what the churn_risk Notes say).
def test_only_bg_nbd_gives_one_time_buyers_p_alive_one(cdnow_rfm):
    silent = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [30.0]})
    params = {"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}
    assert float(clv.BetaGeoModel.from_params(params, "W").probability_alive(silent).iloc[0]) == 1
    mbg = clv.ModifiedBetaGeoModel.from_params(params, "W")
    pareto = clv.ParetoNBDModel.from_params({"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 12}, "W")
    for model in (mbg, pareto):
        assert float(model.probability_alive(silent).iloc[0]) < 1.0
    notes = clv.churn_risk.__doc__
    assert "MBG/NBD (a customer may also drop out" in notes
    assert "the model gives every customer without a repeat purchase" not in notes


@pytest.mark.parametrize("seed", [-1, "x", 1.5])
def test_the_subscription_simulator_checks_its_seed_as_the_others(seed):
    # One check (clvmodel._random), as simulate.py's (tests/test_simulate_inputs.py):
    # simulate_subscription_table gave numpy's raw ValueError for -1.
    sbg = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182})
    with pytest.raises(clv.InputError, match="random_state must be a whole number ≥ 0"):
        clv.subscriptions.simulate_subscription_table(
            sbg, 10, "2020-01-01", "2021-01-01", random_state=seed
        )
