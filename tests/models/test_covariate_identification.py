"""Covariates whose effect the data cannot identify are refused before the fit.

In BG/NBD a customer can drop out only just after a repeat purchase: a customer with x = 0
contributes (α/(α+T))^r to the likelihood (Fader, Hardie and Lee 2005, eq. 6), free of a and b.
A dropout covariate that varies only among such customers therefore has no effect on the
likelihood. Before, the fit ran, warned that "the Hessian at the optimum is not positive
definite" and gave no standard error for any parameter, r and α included. In MBG/NBD
(Batislam, Denizel and Filiztekin 2007) those customers inform only a/(a+b), which a dropout
covariate (scaling a and b together) does not move: the fit reported the coefficient as
0.0 ± 7,594 without a word.
"""

from __future__ import annotations

import numpy as np
import pytest

import clvmodel as clv


@pytest.fixture(scope="module")
def table():
    rfm = clv.simulate_customers(3000, dict(r=0.3, alpha=5.0, a=0.8, b=2.5), T=40.0, seed=1)
    rng = np.random.default_rng(0)
    only_without_repeats = rng.binomial(1, 0.5, len(rfm)).astype(float)
    rfm["w"] = np.where(rfm["frequency"] == 0, only_without_repeats, 0.0)
    rfm["v"] = rng.binomial(1, 0.5, len(rfm)).astype(float)  # varies among everybody
    return rfm


@pytest.mark.parametrize("model", [clv.BetaGeoModel, clv.ModifiedBetaGeoModel])
def test_a_dropout_covariate_varying_only_without_repeat_purchases_is_refused(table, model):
    with pytest.raises(clv.InputError) as error:
        model(dropout_covariates=["w"]).fit(table)
    message = str(error.value)
    assert "dropout_covariates ['w']" in message and "with repeat purchases" in message


def test_the_rows_without_repeat_purchases_leave_mbg_dropout_covariates_flat(table):
    """Why MBG/NBD is refused too: its likelihood at x = 0, b/(a+b) S + a/(a+b), does not move
    when a and b are scaled together (as a dropout covariate scales them)."""
    model = clv.ModifiedBetaGeoModel.from_params({"r": 0.4, "alpha": 6.0, "a": 0.9, "b": 1.8})
    x, t_x, T = np.zeros(3), np.zeros(3), np.array([10.0, 40.0, 80.0])
    p = dict(model.params_)
    base = model._row_loglik(p, x, t_x, T, gradient=False)[0]
    scaled = model._row_loglik({**p, "a": 3 * p["a"], "b": 3 * p["b"]}, x, t_x, T, False)[0]
    np.testing.assert_allclose(scaled, base, rtol=1e-13)
    repeat = model._row_loglik({**p, "a": 3 * p["a"], "b": 3 * p["b"]}, x + 2, t_x + 5, T, False)
    assert not np.allclose(repeat[0], model._row_loglik(p, x + 2, t_x + 5, T, False)[0])


def test_a_purchase_covariate_is_not_refused(table):
    # The purchase rate is informed by every customer (here the group w = 1 never buys again,
    # so the coefficient runs off, which the fit reports as such).
    with pytest.warns(clv.StatisticalWarning, match="ran off"):
        clv.BetaGeoModel(purchase_covariates=["w"]).fit(table)


@pytest.mark.parametrize("model", [clv.BetaGeoModel, clv.ModifiedBetaGeoModel])
def test_a_dropout_covariate_varying_among_repeat_buyers_fits(table, model):
    fitted = model(dropout_covariates=["v"]).fit(table)
    assert np.isfinite(fitted.standard_errors_).all()
