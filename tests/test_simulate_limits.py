"""The simulators' limits: a population (or a log) too large for memory is refused before any
allocation, naming the argument to change, and spends beyond the floats are refused naming
gg_params, without numpy warnings."""

import warnings

import pytest

import clvmodel as clv

BG = dict(r=0.5, alpha=20.0, a=0.8, b=2.5)


GG = dict(p=6.0, q=4.0, v=15.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: clv.simulate_customers(10**12, BG),
        lambda: clv.simulate_transactions(10**11, BG),
    ],
    ids=["customers", "transactions"],
)
def test_a_population_too_large_for_memory_is_refused_before_any_allocation(call):
    with pytest.raises(clv.InputError, match="n_customers"):
        call()


def test_a_log_with_too_many_purchases_is_refused_by_name():
    # About 5 billion purchases: the log would take tens of GB.
    busy = dict(r=1e4, alpha=1.0, a=1e-3, b=1e3)
    with pytest.raises(clv.InputError, match="bg_params"):
        clv.simulate_transactions(1000, busy, seed=1)


@pytest.mark.parametrize("gg", [dict(GG, q=1e-3), dict(GG, p=1e300, v=1e300)])
@pytest.mark.parametrize("simulator", ["customers", "transactions"])
def test_spends_beyond_the_floats_are_refused_without_numpy_warnings(gg, simulator):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(clv.InputError, match="gg_params"):
            if simulator == "customers":
                clv.simulate_customers(2000, BG, T=200.0, gg_params=gg, seed=1)
            else:
                clv.simulate_transactions(2000, BG, gg_params=gg, seed=1)
