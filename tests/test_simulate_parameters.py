"""The parameters of clvmodel's simulations (simulate_customers, simulate_transactions,
simulate_customers_with_covariates) are checked in the library's words.

Each test failed before its fix: parameters given as a list or None raised "list indices must be
integers" / "not subscriptable"; r=True was drawn as r = 1; coefficients that are not a mapping of
numbers raised numpy's ValueError or dict()'s TypeError; an unscaled covariate that made exp(γᵀz)
overflow gave numpy warnings, then a raw error, a message blaming bg_params or infinite spend; ages
given as a Series by customer were taken in row order, not by id."""

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv

BG_PARAMS = dict(r=0.5, alpha=5.0, a=0.8, b=2.5)


@pytest.mark.parametrize("params", [None, [0.5, 5.0, 0.8, 2.5], 0.5])
def test_parameters_that_are_not_a_mapping_are_refused(params):
    # A list or None raised "list indices must be integers" / "not subscriptable".
    with pytest.raises(clv.InputError, match=r"bg_params must be a mapping"):
        clv.simulate_customers(5, params, seed=1)
    if params is not None:  # gg_params=None: no spend
        with pytest.raises(clv.InputError, match=r"gg_params must be a mapping"):
            clv.simulate_transactions(5, BG_PARAMS, gg_params=params, seed=1)


def test_a_bool_parameter_is_refused():
    # r=True was drawn as r = 1.
    with pytest.raises(clv.InputError, match=r"bg_params\['r'\] must be a positive finite number"):
        clv.simulate_customers(5, dict(BG_PARAMS, r=True), seed=1)


@pytest.mark.parametrize(
    "coefficients", [{"z": "high"}, [0.5], {"z": None}], ids=["text", "list", "none"]
)
def test_coefficients_must_be_a_mapping_of_numbers(coefficients):
    # numpy's ValueError / dict()'s TypeError came out raw.
    covariates = pd.DataFrame({"z": [0.0, 1.0]})
    with pytest.raises(clv.InputError, match=r"purchase_coefficients must"):
        clv.simulate_customers_with_covariates(
            covariates, BG_PARAMS, purchase_coefficients=coefficients, seed=1
        )


@pytest.mark.parametrize(
    "argument", ["purchase_coefficients", "dropout_coefficients", "spend_coefficients"]
)
def test_covariate_effects_that_overflow_are_refused_naming_the_coefficients(argument):
    # An unscaled covariate (income in currency units) made exp(γᵀz) overflow: numpy
    # warnings, then a raw "a <= 0" (dropout), a message blaming bg_params (purchase) or infinite
    # monetary values (spend).
    covariates = pd.DataFrame({"income": [20_000.0, 50_000.0, 80_000.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(clv.InputError, match=rf"{argument}.*overflow|{argument}.*too large"):
            clv.simulate_customers_with_covariates(
                covariates,
                BG_PARAMS,
                gg_params=dict(p=6.0, q=3.8, v=15.0),
                seed=1,
                **{argument: {"income": -0.05 if argument == "purchase_coefficients" else 0.05}},
            )


def test_ages_given_as_a_series_follow_the_customer_ids():
    # T as a Series indexed by customer was taken in row order, not by id: customer 100
    # got the age of customer 149.
    covariates = pd.DataFrame({"z": np.zeros(5)}, index=[100, 101, 102, 103, 104])
    ages = pd.Series([40.0, 30.0, 20.0, 10.0, 0.0], index=[104, 103, 102, 101, 100])
    table = clv.simulate_customers_with_covariates(covariates, BG_PARAMS, T=ages, seed=1)
    assert table["T"].to_dict() == {100: 0.0, 101: 10.0, 102: 20.0, 103: 30.0, 104: 40.0}
    with pytest.raises(
        clv.InputError, match=r"T is a Series by customer id, but it has no T for 5 customer"
    ):
        clv.simulate_customers_with_covariates(
            covariates, BG_PARAMS, T=ages.set_axis([1, 2, 3, 4, 5]), seed=1
        )
    # Same draws as the ages in the covariates' row order.
    in_order = clv.simulate_customers_with_covariates(
        covariates, BG_PARAMS, T=[0.0, 10.0, 20.0, 30.0, 40.0], seed=1
    )
    pd.testing.assert_frame_equal(table, in_order)
