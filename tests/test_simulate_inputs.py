"""Checks of the inputs of the simulations: counts, day windows, ages and seeds."""

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv

BG_TRUE = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
COVARIATES = pd.DataFrame({"z": [1.0, 2.0, 3.0]})


@pytest.mark.parametrize("n", [0, -1, 2.5, True, np.True_, "5", None])
@pytest.mark.parametrize("simulate", [clv.simulate_customers, clv.simulate_transactions])
def test_a_count_of_customers_that_is_no_positive_whole_number_is_refused(simulate, n):
    with pytest.raises(clv.InputError, match="n_customers must be a positive whole number"):
        simulate(n, BG_TRUE, seed=1)


@pytest.mark.parametrize("simulate", [clv.simulate_customers, clv.simulate_transactions])
def test_a_numpy_integer_count_gives_the_same_draws_as_an_int(simulate):
    pd.testing.assert_frame_equal(
        simulate(np.int64(50), BG_TRUE, seed=3), simulate(50, BG_TRUE, seed=3)
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"acquisition_days": 2.5}, r"acquisition_days=2.5 must be a whole number of days"),
        ({"observation_days": 400.5}, r"observation_days=400.5 must be a whole number of days"),
        ({"acquisition_days": True}, "acquisition_days=True must be a whole number"),
        ({"observation_days": "730"}, "observation_days='730' must be a whole number"),
        ({"observation_days": float("nan")}, "observation_days=nan must be a whole number"),
        ({"observation_days": float("inf")}, "observation_days=inf must be a whole number"),
    ],
)
def test_day_windows_that_are_no_whole_days_are_refused(kwargs, message):
    with pytest.raises(clv.InputError, match=message):
        clv.simulate_transactions(5, BG_TRUE, seed=1, **kwargs)


def test_whole_days_written_as_floats_give_the_same_log_as_ints():
    as_floats = clv.simulate_transactions(
        40, BG_TRUE, acquisition_days=100.0, observation_days=np.float64(300), seed=2
    )
    as_ints = clv.simulate_transactions(
        40, BG_TRUE, acquisition_days=100, observation_days=300, seed=2
    )
    pd.testing.assert_frame_equal(as_floats, as_ints)
    assert as_ints["date"].max() < pd.Timestamp("2024-01-01") + pd.Timedelta(days=300)


@pytest.mark.parametrize("T", [[1.0, 2.0], np.ones((2, 5)), "long", [1.0, -1.0, 2.0, 3.0, 4.0]])
def test_ages_of_the_wrong_length_or_kind_are_refused(T):
    with pytest.raises(clv.InputError, match=r"T must be finite and ≥ 0 .*5 numbers"):
        clv.simulate_customers(5, BG_TRUE, T=T)


def test_ages_of_the_wrong_length_are_refused_with_covariates():
    with pytest.raises(clv.InputError, match=r"T must be .*3 numbers"):
        clv.simulate_customers_with_covariates(COVARIATES, BG_TRUE, T=[1.0, 2.0])


@pytest.mark.parametrize("seed", [-1, 2.5, "seed"])
@pytest.mark.parametrize(
    "simulate",
    [
        lambda seed: clv.simulate_customers(5, BG_TRUE, seed=seed),
        lambda seed: clv.simulate_transactions(5, BG_TRUE, seed=seed),
        lambda seed: clv.simulate_customers_with_covariates(COVARIATES, BG_TRUE, seed=seed),
    ],
)
def test_a_seed_numpy_cannot_use_is_refused(simulate, seed):
    with pytest.raises(clv.InputError, match="seed must be a whole number ≥ 0 or a numpy"):
        simulate(seed)


def test_a_generator_as_seed_still_draws():
    table = clv.simulate_customers(5, BG_TRUE, seed=np.random.default_rng(4))
    same = clv.simulate_customers(5, BG_TRUE, seed=4)
    pd.testing.assert_frame_equal(table, same)
