"""What the purchase models' predictions take as arguments.

A per-customer Series (of horizons t, of counts n, BG/BB's n_star) is matched to the table's rows
by customer id: in another order than the table, it gave each customer another customer's value
(matched by position). Ids missing, repeated or extra are refused naming them; arrays and lists
keep their positional meaning. Bad horizons and counts are refused naming the customer id (not
the position in the matched array, and without printing the Series); seeds that are not whole
numbers ≥ 0 are refused in words. One customer may be given as a mapping of single values, which
stopped with "TypeError: object of type 'int' has no len()"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.models.beta_geo_beta_binom import BetaGeoBetaBinomModel

PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


@pytest.fixture(scope="module")
def horizons(cdnow_rfm):
    """A horizon per customer (1 to 50 weeks) and the same Series shuffled."""
    t = pd.Series(np.arange(len(cdnow_rfm)) % 50 + 1.0, index=cdnow_rfm.index)
    return t, t.sample(frac=1.0, random_state=0)


# --- A Series is matched to the table's rows by customer id ----------------------------------
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


@pytest.fixture
def donors():
    return pd.DataFrame(
        {"frequency": [6, 0, 3], "recency": [6, 0, 4], "n_periods": [6, 6, 6]},
        index=pd.Index(["a", "b", "c"], name="donor"),
    )


def test_bgbb_horizons_given_as_a_series_are_matched_by_id(donors):
    """n_star as a Series in another order than the table gave each donor another donor's
    horizon (matched by position); it is matched by id, as t is for the other models."""
    model = BetaGeoBetaBinomModel.from_params(PUBLISHED)
    horizons = pd.Series([5, 1, 2], index=["b", "c", "a"])
    got = model.expected_purchases(donors, horizons)
    for donor, n_star in horizons.items():
        alone = model.expected_purchases(donors.loc[[donor]], n_star)
        assert got[donor] == pytest.approx(alone[donor], rel=1e-12)
    with pytest.raises(InputError, match=r"n_star has no value for customer id\(s\) 'a'"):
        model.expected_purchases(donors, horizons.drop("a"))


# --- Clear errors -----------------------------------------------------------------------------
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


def test_a_negative_horizon_in_a_series_names_the_customer(fitted_bg, cdnow_rfm):
    rows = cdnow_rfm.iloc[:5]
    t = pd.Series([1.0, 2.0, -3.0, 4.0, 5.0], index=rows.index)
    with pytest.raises(clv.InputError) as caught:
        fitted_bg.predict(rows, t=t.iloc[::-1])
    message = str(caught.value)
    assert f"-3.0 for customer id {rows.index[2]!r}" in message
    assert "dtype" not in message and rows.index[0] not in message


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


# --- One customer as a mapping of single values ----------------------------------------------
def test_one_customer_given_as_a_mapping_of_single_values_is_scored(published_bg):
    """{"frequency": 2, "recency": 30.43, "T": 38.86} stopped with "TypeError: object of type
    'int' has no len()" (in the covariate columns' check, run for every model). Hardie's worked
    example: E[Y(39) | x = 2, t_x = 30.43, T = 38.86] = 1.226."""
    one = {"frequency": 2, "recency": 30.43, "T": 38.86}
    assert published_bg.expected_purchases(one, 39).iloc[0] == pytest.approx(1.226, abs=5e-4)
    model = clv.BetaGeoModel.from_params(
        {**published_bg.params_.to_dict(), "purchase:z": 0.3},
        time_unit="W",
        purchase_covariates=["z"],
    )
    single = model.expected_purchases({**one, "z": 0.5}, 39)
    listed = model.expected_purchases(
        {key: [value] for key, value in {**one, "z": 0.5}.items()}, 39
    )
    assert single.iloc[0] == pytest.approx(listed.iloc[0], rel=1e-14)
    with pytest.raises(InputError, match=r"covariate 'z' has 1 value\(s\) but the data have 2"):
        model.expected_purchases({**{k: [v, v] for k, v in one.items()}, "z": [0.5]}, 39)
