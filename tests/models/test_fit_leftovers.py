"""Fits on awkward inputs: comparisons across time units, BG/BB customer counts, rows of weight 0,
and scipy's trust-region step solver failing on a degenerate Pareto/NBD table."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.errors import ClvError, InputError
from clvmodel.models import _optimisers

# Eight BG/BB histories over 6 opportunities: (frequency, recency, n_periods).
HISTORIES = [(0, 0, 6), (1, 1, 6), (1, 3, 6), (2, 4, 6), (3, 6, 6), (6, 6, 6), (4, 5, 6), (2, 6, 6)]


def rfm_table(n=300, seed=1, unit="W"):
    """A small RFM table in weeks (some customers with repeat purchases), or the same customers
    in days."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(20.0, 40.0, n)
    frequency = rng.poisson(1.5, n) * (rng.uniform(size=n) < 0.7)
    recency = np.where(frequency > 0, T * rng.uniform(0.2, 1.0, n), 0.0)
    table = pd.DataFrame({"frequency": frequency, "recency": recency, "T": T})
    table.attrs["time_unit"] = "W"
    if unit == "D":
        table = table.assign(recency=7 * table["recency"], T=7 * table["T"])
        table.attrs["time_unit"] = "D"
    return table


def quiet_fit(model, data, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(data, **kwargs)


# --- compare_models without a holdout: one time unit ----------------------------------------------
@pytest.mark.parametrize("fit_unit, table_unit", [("D", "W"), ("W", "D")])
def test_compare_without_holdout_refuses_a_model_fitted_in_another_unit(fit_unit, table_unit):
    fitted = quiet_fit(clv.BetaGeoModel(), rfm_table(unit=fit_unit))
    assert fitted.time_unit_ == fit_unit
    with pytest.raises(InputError, match="the time units differ") as caught:
        clv.compare_models(rfm_table(unit=table_unit), models=[fitted])
    assert repr(table_unit) in str(caught.value) and repr(fit_unit) in str(caught.value)


def test_compare_without_holdout_accepts_a_model_fitted_in_the_tables_unit():
    table = rfm_table()
    fitted = quiet_fit(clv.BetaGeoModel(), table)
    result = clv.compare_models(table, models=[fitted])
    assert result.models["BG/NBD"] is fitted
    assert np.isfinite(result.table["bic"].iloc[0])


# --- BG/BB counts customers, not distinct histories ----------------------------------------------
def bgbb_table(repeats):
    rows = [history for history, k in zip(HISTORIES, repeats, strict=False) for _ in range(k)]
    return pd.DataFrame(rows, columns=["frequency", "recency", "n_periods"])


def test_bgbb_n_customers_counts_customers_and_is_saved():
    data = bgbb_table([125] * 8)  # 1000 customers, 8 distinct histories
    model = quiet_fit(clv.BetaGeoBetaBinomModel(), data)
    assert model.n_customers_ == 1000
    assert model.n_distinct_rows_ == 8
    weighted = quiet_fit(clv.BetaGeoBetaBinomModel(), data, weights=np.ones(len(data)))
    assert weighted.n_customers_ == model.n_customers_
    document = model.to_dict()  # the count saved to model files (and loaded from them)
    assert document["fit"]["n_customers"] == 1000
    assert type(model).from_dict(document).n_customers_ == 1000


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=8), st.booleans())
def test_bgbb_prepare_counts_every_customer(repeats, weighted):
    data = bgbb_table(repeats)
    if len(data) < 2:
        return
    weights = np.ones(len(data)) if weighted else None
    _, counts, n_customers = clv.BetaGeoBetaBinomModel()._prepare(data, weights)
    assert n_customers == len(data) == sum(repeats)
    assert counts.sum() == n_customers
    assert counts.size == sum(k > 0 for k in repeats)


# --- rows of weight 0 stand for no customer ------------------------------------------------------
PURCHASE = [clv.BetaGeoModel, clv.ParetoNBDModel, clv.ModifiedBetaGeoModel]


@pytest.mark.parametrize("model_class", PURCHASE)
def test_a_zero_weight_row_does_not_hide_that_nobody_repurchased(model_class):
    data = pd.DataFrame(
        {"frequency": [0] * 200 + [3], "recency": [0.0] * 200 + [20.0], "T": [30.0] * 201}
    )
    weights = np.r_[np.ones(200), 0.0]
    with pytest.raises(InputError, match="no customer made a repeat purchase"):
        model_class().fit(data, weights=weights, time_unit="D")


def test_a_zero_weight_row_changes_nothing_in_a_purchase_fit():
    table = rfm_table(n=200)
    plain = quiet_fit(clv.BetaGeoModel(), table)
    extra = pd.concat([table, pd.DataFrame({"frequency": [3], "recency": [5.0], "T": [10.0]})])
    extra.attrs["time_unit"] = "W"
    weights = np.r_[np.ones(len(table)), 0.0]
    weighted = quiet_fit(clv.BetaGeoModel(), extra, weights=weights)
    assert weighted.n_distinct_rows_ == plain.n_distinct_rows_
    assert weighted.n_customers_ == plain.n_customers_ == 200
    np.testing.assert_allclose(weighted.params_, plain.params_, rtol=1e-6)
    assert weighted.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-9)


def test_all_weights_zero_is_refused_as_no_customers():
    table = rfm_table(n=20)
    with pytest.raises(InputError, match="on 0 customer"):
        clv.BetaGeoModel().fit(table, weights=np.zeros(len(table)))


# --- scipy's trust-exact step solver failing -----------------------------------------------------
def test_pareto_fit_survives_scipys_step_solver_failing_on_t_zero_rows():
    # 60 ordinary customers and 40 acquired at the observation end (T = 0): scipy 1.x's
    # _trustregion_exact raised UnboundLocalError here; the fit now falls back to BFGS. (The
    # supremum is on an edge, where scipy 1.17's trust-exact crawls to max_iter: 300 steps
    # reach the same log-likelihood as the default 2,000, in 5 s instead of 30.)
    data = pd.DataFrame(
        {
            "frequency": [1, 2, 0, 0, 0] * 20,
            "recency": [5.0, 8, 0, 0, 0] * 20,
            "T": [10.0, 10, 10, 0, 0] * 20,
        }
    )
    model = quiet_fit(clv.ParetoNBDModel(max_iter=300), data, time_unit="D")
    assert model.n_customers_ == 100
    assert np.isfinite(model.log_likelihood_)


def bowl(z):
    return float(z @ z), 2.0 * z


def test_trust_exact_turns_a_solver_failure_into_a_failed_result():
    start = np.array([1.0, -1.0])
    # A Hessian of the wrong shape: the callback returns, scipy's solver fails on it.
    result = _optimisers.trust_exact(bowl, start, lambda z: np.eye(3), {"maxiter": 20})
    assert not result.success
    assert "step solver failed" in result.message
    np.testing.assert_array_equal(result.x, start)
    good = _optimisers.trust_exact(bowl, start, lambda z: 2.0 * np.eye(2), {"gtol": 1e-10})
    assert good.success and np.max(np.abs(good.x)) < 1e-8


@pytest.mark.parametrize("error", [ValueError("own"), InputError("own"), KeyboardInterrupt()])
def test_trust_exact_passes_on_errors_of_its_callbacks(error):
    def failing(z):
        raise error

    with pytest.raises(type(error)):
        _optimisers.trust_exact(bowl, np.array([1.0, 2.0]), failing, {"maxiter": 5})
    with pytest.raises(type(error)):
        _optimisers.trust_exact(failing, np.array([1.0, 2.0]), lambda z: np.eye(2), {})


def test_trust_exact_passes_on_clvmodel_errors_however_raised():
    assert issubclass(InputError, ClvError)
    calls = []

    def hessian(z):
        calls.append(1)
        if len(calls) > 1:
            raise InputError("stop")
        return 2.0 * np.eye(2)

    with pytest.raises(InputError, match="stop"):
        _optimisers.trust_exact(bowl, np.array([3.0, 4.0]), hessian, {"maxiter": 20})
