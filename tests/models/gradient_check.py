"""Analytic gradients of a model's log-likelihood against central differences (shared by the
model tests)."""

from __future__ import annotations

import numpy as np
import pytest


def assert_gradient_matches_central_differences(model, theta, arrays, counts, *, abs_tol):
    """The weighted gradient of ``model._loglik`` at ``theta`` equals the central difference of
    the weighted log-likelihood in every coordinate (relative 1e-5, absolute ``abs_tol``)."""
    theta = np.asarray(theta, dtype="float64")
    _, grad = model._loglik(theta, arrays)
    analytic = grad @ counts
    for j in range(theta.size):
        step = 1e-6 * max(abs(theta[j]), 1.0)
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        numeric = (
            counts @ model._loglik(up, arrays)[0] - counts @ model._loglik(down, arrays)[0]
        ) / (2 * step)
        assert analytic[j] == pytest.approx(numeric, rel=1e-5, abs=abs_tol), model.param_names[j]
