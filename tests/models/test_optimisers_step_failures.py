"""scipy's trust-region step solver failing (clvmodel.models._optimisers.trust_exact).

On a degenerate Pareto/NBD table (customers acquired at the observation end, T = 0) scipy 1.x's
_trustregion_exact raised UnboundLocalError, which stopped the fit. A failure of scipy's step
solver now becomes a failed result, from which the fit falls back to BFGS; errors raised by the
objective or Hessian callbacks (clvmodel's own errors included) pass on unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fit_helpers import quiet_fit

import clvmodel as clv
from clvmodel.errors import ClvError, InputError
from clvmodel.models import _optimisers


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
