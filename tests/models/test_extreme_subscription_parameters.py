"""sBG and BdW at extreme parameters and discount rates: every finite positive value is valid.

Predictions must stay finite, free of numpy warnings, survival non-increasing in t, retention in
[0, 1], DERL positive and non-increasing in the discount rate, and agree with closed forms or
mpmath where one is known. The cases pinned with ``@example`` once failed these checks.

References
----------
[FH07]    Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. Journal of
          Interactive Marketing 21(1), 76-90: S(t) = B(α, β + t)/B(α, β), so the retention rate
          r(t) = S(t)/S(t − 1) = (β + t − 1)/(α + β + t − 1).
[FH10]    Fader, P. S. and Hardie, B. G. S. (2010). Customer-base valuation in a contractual
          setting: the perils of ignoring heterogeneity. Marketing Science 29(1), 85-93:
          DEL(d) = Σ_{t ≥ 0} S(t) (1 + d)^−t, DERL(d) = Σ_{k ≥ 0} S(t + 1 + k)/S(t) (1 + d)^−k.
[FHLDS18] Fader, Hardie, Liu, Davin and Steenburgh (2018). "How to project customer retention"
          revisited: the role of duration dependence. Journal of Interactive Marketing 43, 1-16:
          S(t) = B(α, β + t^c)/B(α, β); at α = 1 this is β/(β + t^c).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from clvmodel.models.beta_discrete_weibull import BetaDiscreteWeibullModel
from clvmodel.models.shifted_beta_geo import ShiftedBetaGeoModel

pytestmark = pytest.mark.filterwarnings("error")

SUBSCRIBERS = pd.DataFrame({"periods": [0, 3, 100], "cancelled": [0, 0, 0]})
T = np.concatenate([np.arange(0.0, 30.0), [100.0, 1e3, 1e6, 1e12]])


def _log_uniform(low, high):
    return st.floats(low, high).map(lambda e: 10.0**e)


def _bdw(alpha, beta, c):
    return BetaDiscreteWeibullModel.from_params({"alpha": alpha, "beta": beta, "c": c})


def _sbg(alpha, beta):
    return ShiftedBetaGeoModel.from_params({"alpha": alpha, "beta": beta})


# Defect 2: at α = 5e16, β = 1 the grouping lnΓ(β+α) − lnΓ(β) − [lnΓ(β+u+α) − lnΓ(β+u)]
# subtracted two numbers near 2e18; S(1) came out 6.6e-112 (it is 2e-17) and r(2) = 1.
@settings(max_examples=60, deadline=None)
@given(alpha=_log_uniform(-3.0, 300.0), beta=_log_uniform(-3.0, 300.0))
@example(alpha=5e16, beta=1.0)
def test_sbg_survival_falls_and_retention_is_the_closed_form(alpha, beta):
    model = _sbg(alpha, beta)
    survival = model.survival_function(T)
    assert survival[0] == 1.0
    assert np.all(np.diff(survival) <= 0.0)
    t = T[1:]
    retention = model.retention_rate(t)
    assert np.all((retention >= 0.0) & (retention <= 1.0))
    expected = (beta + t - 1.0) / (alpha + beta + t - 1.0)  # [FH07]
    np.testing.assert_allclose(retention, expected, rtol=1e-9, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(alpha=_log_uniform(-3.0, 300.0), beta=_log_uniform(-3.0, 300.0), c=_log_uniform(-3.0, 3.0))
@example(alpha=5e16, beta=1.0, c=1.0)
def test_bdw_survival_falls_and_retention_is_a_probability(alpha, beta, c):
    model = _bdw(alpha, beta, c)
    survival = model.survival_function(T)
    assert np.all(np.diff(survival) <= 0.0)
    retention = model.retention_rate(T[1:])
    assert np.all((retention >= 0.0) & (retention <= 1.0))
    if c == 1.0:
        np.testing.assert_allclose(survival, _sbg(alpha, beta).survival_function(T), rtol=1e-9)


# Defects 3 and 4: u = exp(c ln t) overflowed above c ≈ 154 (a numpy warning), and from c ≈ 90
# the DEL sum met u = inf, gave DEL = inf and lifetime_value_new a false InputError.
@pytest.mark.parametrize("c", [90.0, 100.0, 155.0, 200.0, 1e5, 1e300])
def test_bdw_with_a_large_c_matches_the_closed_form_at_alpha_one(c):
    model = _bdw(1.0, 1.0, c)
    t = np.array([1.0, 2.0, 3.0, 100.0])
    log_u = c * np.log(t)
    expected = np.exp(-log_u - np.log1p(np.exp(-log_u)))  # 1/(1 + t^c) [FHLDS18], α = β = 1
    np.testing.assert_allclose(model.survival_function(t), expected, rtol=1e-12, atol=0.0)
    retention = model.retention_rate([1, 2, 100])
    assert np.all((retention >= 0.0) & (retention <= 1.0))
    # S(1) = ½ and S(t ≥ 2) ≤ 2^−90: DEL(0.1) = 1 + ½/1.1 up to 1e-27.
    assert model.discounted_expected_lifetime(0.1) == pytest.approx(1.0 + 0.5 / 1.1, rel=1e-14)
    value = model.lifetime_value_new(price=100.0, margin=0.3, discount_rate=0.1)
    assert value == pytest.approx(30.0 * (1.0 + 0.5 / 1.1), rel=1e-14)
    derl = model.discounted_expected_residual_lifetime(SUBSCRIBERS, 0.1).to_numpy()
    assert np.all(np.isfinite(derl)) and derl[0] == pytest.approx(0.5, rel=1e-14)


def _reference_del(beta, c, d, head=2000):
    """DEL(d) at α = 1, S(t) = β/(β + t^c) [FHLDS18], in mpmath: the first terms summed,
    the rest by Euler-Maclaurin (integral, f/2, f'/12 and f'''/720 at the cut)."""
    mp.mp.dps = 30
    log_z = -mp.log1p(mp.mpf(d))

    def f(t):
        return mp.mpf(beta) / (beta + mp.power(t, c)) * mp.exp(t * log_z)

    points = [mp.mpf(head)]
    while points[-1] < 200 / mp.mpf(d):
        points.append(points[-1] * 2)
    tail = mp.quad(f, points) + f(head) / 2 - mp.diff(f, head) / 12 + mp.diff(f, head, 3) / 720
    return float(1 + mp.fsum(f(t) for t in range(1, head)) + tail)


# Defect 5: the tail beyond 2^20 terms came from S's asymptotic form, a binomial series in
# s/t^c that diverges while t^c ≈ 1; DEL was 463 (1,1,1e-10,1e-10) or −2.3e20 (0.5,2,1e-12).
@pytest.mark.parametrize(
    ("beta", "c", "d"),
    [(1.0, 1e-10, 1e-10), (2.0, 1e-3, 1e-10), (1.0, 0.3, 1e-6), (0.5, 1e-12, 1e-12)],
)
def test_bdw_del_at_tiny_c_and_d_against_mpmath(beta, c, d):
    value = _bdw(1.0, beta, c).discounted_expected_lifetime(d)
    assert value == pytest.approx(_reference_del(beta, c, d), rel=1e-12)


@settings(max_examples=8, deadline=None)  # ~0.35 s per DEL at these c and d
@given(
    alpha=_log_uniform(-1.0, 1.0),
    beta=_log_uniform(-1.0, 1.0),
    c=_log_uniform(-12.0, -6.0),
    d=_log_uniform(-12.0, -6.0),
)
@example(alpha=0.5, beta=2.0, c=1e-12, d=1e-12)
@example(alpha=3.0, beta=1.0, c=1e-10, d=1e-11)
def test_bdw_del_at_tiny_c_and_d_lies_between_flat_bounds(alpha, beta, c, d):
    """S(t) is non-increasing, so 1 + S(M) z (1 − z^M)/(1 − z) ≤ DEL ≤ 1 + S(1) z/(1 − z) [FH10];
    at a tiny c, S is nearly flat and the bounds are tight."""
    model = _bdw(alpha, beta, c)
    z = 1.0 / (1.0 + d)
    m = np.ceil(50.0 / d)
    s_1, s_m = model.survival_function([1.0, m])
    value = model.discounted_expected_lifetime(d)
    geometric = z / -np.expm1(-np.log1p(d))
    assert 1.0 + s_m * geometric * -np.expm1(m * np.log(z)) <= value * (1 + 1e-12)
    assert value <= (1.0 + s_1 * geometric) * (1 + 1e-12)


# Defect 6: 1 − z = d/(1 + d) is subnormal at d = 5e-324, and the mode of the ₂F₁ integrand,
# z (b − c + 1)/((c − 1)(1 − z)), overflowed in a division.
@pytest.mark.parametrize("alpha", [0.704, 2.0])
@pytest.mark.parametrize("d", [5e-324, 1e-310])
def test_del_at_a_subnormal_discount_rate(alpha, d):
    for model in (_sbg(alpha, 1.182), _bdw(alpha, 1.182, 1.0)):
        value = model.discounted_expected_lifetime(d)
        assert np.isfinite(value)
        assert value >= model.discounted_expected_lifetime(1e-300)
        assert value <= model.discounted_expected_lifetime(0.0)
    # α < 1: DEL(d) grows like d^(α − 1) as d → 0, beyond 1e90 here [FH10].
    if alpha < 1.0:
        assert _sbg(alpha, 1.182).discounted_expected_lifetime(d) > 1e90


# Defect 9: at d below ~1e-13, DERL(d) agrees with DERL(0) to the last digit, and the quadrature
# (sBG) or the sum (BdW) came out one unit above the closed form or the sum at d = 0.
@settings(max_examples=40, deadline=None)
@given(
    alpha=_log_uniform(-1.0, 3.0),
    beta=_log_uniform(-3.0, 2.0),
    rates=st.lists(_log_uniform(-16.0, -11.0), min_size=2, max_size=2),
)
@example(alpha=78.54550290833141, beta=0.00103855858725885, rates=[1.3625181657841027e-15, 1e-13])
@example(alpha=145.95146455406748, beta=0.030400480076771028, rates=[3.67e-15, 1e-13])
def test_sbg_derl_falls_as_the_discount_rate_rises(alpha, beta, rates):
    model = _sbg(alpha, beta)
    rates = [0.0, *sorted(rates)]
    values = [model.discounted_expected_residual_lifetime(SUBSCRIBERS, d) for d in rates]
    for before, after in zip(values, values[1:], strict=False):
        assert np.all(after.to_numpy() <= before.to_numpy())


@pytest.mark.parametrize(
    ("alpha", "beta", "c", "d"),
    [
        (3.8602656639465907, 0.044163825194315096, 2.131959304683221, 1.937690715497604e-15),
        (15.926149493481903, 0.12447458359589927, 2.6540719639743298, 3.1445971441536765e-15),
        (14.042899640046434, 0.10470001249292743, 2.0480786226454812, 1.6832197721953317e-15),
    ],
)
def test_bdw_derl_falls_as_the_discount_rate_rises(alpha, beta, c, d):
    model = _bdw(alpha, beta, c)
    rates = [0.0, d, 1e-13, 1e-12]
    values = [model.discounted_expected_residual_lifetime(SUBSCRIBERS, r) for r in rates]
    for before, after in zip(values, values[1:], strict=False):
        assert np.all(after.to_numpy() <= before.to_numpy())
