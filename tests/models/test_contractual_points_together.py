"""The subscription models' intervals evaluate all parameter vectors together (the distinct rows
repeated once per vector, a chunk at a time): the predictions must be those of one vector at a
time, for subscribers with covariates, repeated rows, cancellations, a horizon per subscriber
and a discount rate."""

import numpy as np
import pytest

from clvmodel.models._contractual_intervals import predictions_at, predictions_over
from clvmodel.models._interval_draws import parameter_points
from clvmodel.models.beta_discrete_weibull import BetaDiscreteWeibullModel
from clvmodel.models.shifted_beta_geo import ShiftedBetaGeoModel


def _table(n=100, seed=4):
    """Subscribers drawn from an sBG with heterogeneous churn (α = 1, β = 3), observed for up to
    24 periods, with two covariates of no effect."""
    rng = np.random.default_rng(seed)
    drawn = ShiftedBetaGeoModel.from_params({"alpha": 1.0, "beta": 3.0}).simulate(
        n, rng.integers(6, 25, n), random_state=seed
    )
    return drawn[["periods", "cancelled"]].assign(
        age=np.round(rng.normal(size=n), 1), premium=(rng.random(n) < 0.5).astype(float)
    )


@pytest.fixture(scope="module", params=[ShiftedBetaGeoModel, BetaDiscreteWeibullModel])
def fitted(request):
    table = _table()
    return request.param(alpha_covariates=["age"], beta_covariates=["premium"]).fit(table), table


@pytest.mark.parametrize("per_subscriber", [False, True])
def test_vectors_together_equal_one_at_a_time(fitted, per_subscriber):
    model, table = fitted
    rows, t, cancelled, _ = model._layout(table)
    k = np.arange(t.size) % 7 + 1 if per_subscriber else 3
    subscribers = (rows, t, cancelled, k, 0.1)
    points = parameter_points(model, "draws", 12, 5)
    which = ["probability_cancel", "expected_residual_lifetime", "derl"]
    # A small chunk size: several chunks, the last one short.
    together = predictions_over(model, subscribers, points, which, size=5 * rows.tenure.size)
    assert len(together) == len(points)
    for theta, values in zip(points, together, strict=True):
        alone = predictions_at(model, subscribers, theta, which)
        assert set(values) == set(which)
        for name in which:
            np.testing.assert_allclose(values[name], alone[name], rtol=1e-13, atol=0)
    first, second = together[0]["derl"], together[1]["derl"]
    assert not np.allclose(first, second)  # the vectors differ, and so do the predictions
