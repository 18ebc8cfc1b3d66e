"""BdW on tenures no BdW fits well: the fit ends on the edge of the parameter space with a
warning, as the other models do, instead of a ConvergenceError, and its log-likelihood beyond the
largest double is −∞, not NaN."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv

# --------------------------------------------------------------------------------------------------
# BdW on tenures no BdW fits well (ten cancellations each after 5, 7, 9, 100 and 103 periods):
# the likelihood rises without end as α → 0 and β, c → ∞ (ln β / c and αc held), towards
# S(t) = min(1, (s/t)^k); the optimiser followed the ridge until β overflowed and stopped with
# a NaN gradient (a ConvergenceError), where the other models report an edge.
ODD_PERIODS = np.repeat([100, 103, 5, 7, 9], 10)


def _limit_log_likelihood(periods) -> float:
    """The supremum of the BdW likelihood of cancelled subscribers here: the largest
    log-likelihood of S(t) = min(1, (s/t)^k) (s, k > 0), the limit along the ridge."""
    from scipy.optimize import minimize

    def negative(v):
        s, k = np.exp(v)
        survival = lambda t: np.minimum(1.0, (s / t) ** k)  # noqa: E731
        with np.errstate(divide="ignore"):
            return -np.log(survival(periods - 1.0) - survival(periods)).sum()

    starts = [[np.log(s), np.log(k)] for s in (2.0, 4.0, 4.5) for k in (0.3, 1.0)]
    return -min(minimize(negative, x0, method="Nelder-Mead").fun for x0 in starts)


def test_bdw_likelihood_beyond_the_largest_double_is_minus_infinity_not_nan():
    from clvmodel.models.beta_discrete_weibull import BetaDiscreteWeibullModel

    bdw = BetaDiscreteWeibullModel()
    subscribers = pd.DataFrame({"periods": ODD_PERIODS, "cancelled": 1})
    arrays, _, _ = bdw._prepare(subscribers, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for theta in ([1e-3, np.inf, 500.0], [0.0, 1e300, 500.0], [1e-3, 1e300, np.inf]):
            ll, _ = bdw._loglik(np.array(theta), arrays)
            assert np.all(ll == -np.inf)


@pytest.mark.parametrize("cancelled", ["all", "half"])
def test_bdw_on_tenures_it_cannot_fit_ends_on_the_edge_with_a_warning(cancelled):
    from clvmodel.models.beta_discrete_weibull import BetaDiscreteWeibullModel

    flags = np.ones(ODD_PERIODS.size, "int64")
    if cancelled == "half":
        flags[1::2] = 0
    subscribers = pd.DataFrame({"periods": ODD_PERIODS, "cancelled": flags})
    with pytest.warns(clv.StatisticalWarning, match=r"edge of its parameter space \(beta = "):
        bdw = BetaDiscreteWeibullModel().fit(subscribers)
    assert np.isfinite(bdw.params_).all() and np.isfinite(bdw.log_likelihood_)
    assert bdw.params_["beta"] > 1e100 and bdw.params_["alpha"] < 0.01  # run off, as it should
    if cancelled == "all":
        # Within 0.1 of the supremum of the likelihood, which no finite parameters reach.
        supremum = _limit_log_likelihood(ODD_PERIODS.astype(float))
        assert supremum - 0.1 < bdw.log_likelihood_ <= supremum + 1e-9
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # predictions without NaN or numpy warnings
        table = pd.DataFrame({"periods": [0, 3, 10, 104], "cancelled": 0})
        predictions = bdw.predict(table, 12, discount_rate=0.1)
        survival = bdw.survival_function([1, 5, 10, 100, 1000])
    assert np.isfinite(predictions[["probability_cancel", "derl"]].to_numpy()).all()
    assert np.all(np.diff(survival) <= 0) and np.all((survival > 0) & (survival <= 1))
