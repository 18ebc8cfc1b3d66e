"""MBG/NBD's log-likelihood at a subnormal α: finite, exact and without numpy warnings.

At α = 5e-324, T/α overflowed in the log-likelihood ("overflow encountered in divide"); the
property tests of extreme parameters, run with many more examples, reached that point."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import clvmodel as clv


def test_modified_beta_geo_likelihood_at_a_subnormal_alpha_is_warning_free():
    # Found by test_one_extreme_parameter_among_ordinary_ones (models/test_extreme_parameters.py)
    # (hypothesis seed 5, 12x examples): α = 5e-324 made T/α overflow in the log-likelihood
    # ("overflow encountered in divide"); ln(1 + T/α) is ln(α + T) − ln α there.
    params = {"r": 0.525, "alpha": 5e-324, "a": 0.891, "b": 1.614}
    x, t_x, age = np.array([0.0]), np.array([0.0]), np.array([10.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ll, _ = clv.ModifiedBetaGeoModel._row_loglik(params, x, t_x, age, gradient=False)
    # x = 0, t_x = 0 (Batislam et al. 2007): L = b/(a+b) (α/(α+T))^r + a/(a+b); the first term
    # is e^-392 here, so ln L = ln(a/(a+b)) to double precision.
    a, b = params["a"], params["b"]
    assert np.isfinite(ll).all()
    assert ll[0] == pytest.approx(np.log(a / (a + b)), rel=1e-12)
