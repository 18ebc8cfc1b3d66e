"""Pareto/NBD's death-time integrals where a steep bend of the log-integrand sits far from its
peak (a shape r + x in the tens or more beside a dropout scale β orders of magnitude smaller
than α): the composite Gauss–Legendre rule of ``clvmodel.models._log_concave`` gives such a
bend panel edges of its own. Before, a bend inside one long panel cost up to 7e-6 of P(no
purchase), and P(no purchase) could rise with the horizon (found by the hypothesis test of
``test_extreme_parameters.py``)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.models._pareto_special import pmf_if_alive

CASES = [  # (r, α, s, β, k, t): posterior parameters of a customer alive at 0
    (100.0, 1.0, 0.1, 1e-8, 0, 1.0),
    (100.0, 1.0, 0.1, 1e-8, 0, 2.0),
    (100.0, 1.0, 0.1, 1e-8, 1, 2.0),
    (5.0, 3.0, 0.3, 1e-6, 0, 10.0),
    (1000.0, 2.0, 0.05, 1e-10, 0, 5.0),
    (30.0, 0.5, 2.0, 1e-4, 3, 7.0),
    (0.55, 10.58, 0.61, 11.67, 2, 39.0),  # CDNOW-like: no bend away from the peak
]


def _reference(r, alpha, s, beta, k, t):
    """P(k purchases in (0, t] | alive at 0) by mpmath at 30 digits: survive the horizon, or die
    at τ = e^w, integrated in w with the bends as break points."""
    mp.mp.dps = 30
    r, alpha, s, beta, t = map(mp.mpf, (r, alpha, s, beta, t))
    coef = mp.gamma(r + k) / mp.gamma(r) / mp.factorial(k)

    def nbd(tau):
        return coef * (alpha / (alpha + tau)) ** r * (tau / (alpha + tau)) ** k

    def die(w):
        tau = mp.e**w
        return s * beta**s * (beta + tau) ** (-(s + 1)) * nbd(tau) * tau

    points = [mp.log(beta) - 5, mp.log(beta), mp.log(beta) + 5, mp.log(alpha) - 3, mp.log(alpha)]
    points = sorted(p for p in points if p < mp.log(t))
    survive = (beta / (beta + t)) ** s * nbd(t)
    return float(survive + mp.quad(die, [-mp.inf, *points, mp.log(t)]))


@pytest.mark.parametrize("case", CASES)
def test_pmf_matches_mpmath_beside_a_steep_bend(case):
    got = pmf_if_alive(*(np.array([v], dtype=float) for v in case))[0]
    assert got == pytest.approx(_reference(*case), rel=1e-11)


def test_no_purchase_probability_does_not_rise_with_the_horizon():
    model = clv.ParetoNBDModel.from_params({"r": 100.0, "alpha": 1.0, "s": 0.1, "beta": 1e-8})
    rfm = pd.DataFrame({"frequency": [0, 5], "recency": [0.0, 30.0], "T": [0.0, 40.0]})
    horizons = [1.0, 2.0, 4.0, 8.0]
    silent = np.array([model.probability_no_purchase(rfm, t).to_numpy() for t in horizons])
    assert np.all(np.diff(silent, axis=0) <= 1e-15 * silent[1:])
