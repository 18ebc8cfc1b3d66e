"""Reference values of the Pareto/NBD model at 40 significant digits, by mpmath.

Run ``python tests/models/make_pareto_reference.py`` to rebuild
``tests/models/reference/pareto_nbd_mpmath.csv`` (a few minutes). The formulas are independent of
clvmodel's quadrature:

- "died in (t_x, T]": I = F(t_x) − F(T) with F(y) = ∫_y^∞ (α+τ)^−(r+x) (β+τ)^−(s+1) dτ
  = (α+y)^−(K−1) ₂F₁(s+1, K−1; K; (α−β)/(α+y)) / (K−1), K = r+x+s+1 (substitute
  v = (α+y)/(α+τ) and use Euler's integral), at 60 digits so that the difference keeps 40;
- log-likelihood ln Γ(r+x) − ln Γ(r) + r ln α + s ln β + ln[(α+T)^−(r+x)(β+T)^−s + s I]
  (Fader and Hardie 2005, "A note on deriving the Pareto/NBD model", eq. 11 before the ₂F₁);
- P(alive) = 1 / (1 + s I (α+T)^(r+x) (β+T)^s);
- E[purchases in (T, T+t] | alive] = (r+x)(β+T) / ((α+T)(s−1)) [1 − ((β+T)/(β+T+t))^(s−1)];
- P(k purchases in (T, T+t] | alive): the death-time mixture of negative binomials, integrated by
  mpmath.quad in η = ln(τ/α') with break points around the integrand's peak.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import mpmath as mp

OUT = Path(__file__).parent / "reference" / "pareto_nbd_mpmath.csv"

FIELDS = [
    "r",
    "alpha",
    "s",
    "beta",
    "x",
    "t_x",
    "T",
    "t",
    "k",
    "loglik",
    "p_alive",
    "e_alive",
    "pmf_alive",
]


def mp_tail(r, alpha, s, beta, x, y):
    a = r + x
    k1 = a + s
    z = (alpha - beta) / (alpha + y)
    return (alpha + y) ** (-k1) * mp.hyp2f1(s + 1, k1, k1 + 1, z) / k1


def mp_died(r, alpha, s, beta, x, t_x, T):
    with mp.workdps(80):
        args = [mp.mpf(v) for v in (r, alpha, s, beta, x)]
        return mp_tail(*args, mp.mpf(t_x)) - mp_tail(*args, mp.mpf(T))


def mp_loglik(r, alpha, s, beta, x, t_x, T):
    r, alpha, s, beta, x, t_x, T = (mp.mpf(v) for v in (r, alpha, s, beta, x, t_x, T))
    alive = (alpha + T) ** (-(r + x)) * (beta + T) ** (-s)
    died = s * mp_died(r, alpha, s, beta, x, t_x, T)
    return (
        mp.loggamma(r + x)
        - mp.loggamma(r)
        + r * mp.log(alpha)
        + s * mp.log(beta)
        + mp.log(alive + died)
    )


def mp_p_alive(r, alpha, s, beta, x, t_x, T):
    r, alpha, s, beta, x, t_x, T = (mp.mpf(v) for v in (r, alpha, s, beta, x, t_x, T))
    odds = s * mp_died(r, alpha, s, beta, x, t_x, T) * (alpha + T) ** (r + x) * (beta + T) ** s
    return 1 / (1 + odds)


def mp_e_alive(r, alpha, s, beta, x, T, t):
    r, alpha, s, beta, x, T, t = (mp.mpf(v) for v in (r, alpha, s, beta, x, T, t))
    b = beta + T
    if s == 1:
        return (r + x) * b / (alpha + T) * mp.log((b + t) / b)
    return (r + x) * b / ((alpha + T) * (s - 1)) * (1 - (b / (b + t)) ** (s - 1))


def mp_pmf_alive(r, alpha, s, beta, x, T, t, k):
    r, alpha, s, beta, x, T, t, k = (mp.mpf(v) for v in (r, alpha, s, beta, x, T, t, k))
    rp, ap, bp = r + x, alpha + T, beta + T
    log_coef = mp.loggamma(rp + k) - mp.loggamma(rp) - mp.loggamma(k + 1)

    def nb(tau):
        return mp.exp(log_coef + rp * mp.log(ap / (ap + tau)) + k * mp.log(tau / (ap + tau)))

    survive = (bp / (bp + t)) ** s * nb(t)

    def integrand(eta):
        tau = ap * mp.exp(eta)
        return s * bp**s * (bp + tau) ** (-(s + 1)) * nb(tau) * tau

    eta_max = mp.log(t / ap)

    def slope(eta):  # derivative of ln(integrand): (k+1) − (k+r') p − (s+1) q
        tau = ap * mp.exp(eta)
        return (k + 1) - (k + rp) * tau / (ap + tau) - (s + 1) * tau / (bp + tau)

    # Peak of the log-concave integrand by bisection, then break points on a graded grid around it.
    lo, hi = mp.mpf(-1000), mp.mpf(1000)
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if slope(mid) > 0 else (lo, mid)
    mode = min(lo, eta_max)
    tau = ap * mp.exp(mode)
    p, q = tau / (ap + tau), tau / (bp + tau)
    curv = (k + rp) * p * (1 - p) + (s + 1) * q * (1 - q) + slope(mode) ** 2
    width = 1 / mp.sqrt(curv)
    steps = [0, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128]
    points = {mode + sign * j * width for j in steps for sign in (-1, 1)}
    points |= {mode - 120 / (k + 1) - 200 * width, eta_max}
    points = sorted(v for v in points if v <= eta_max)
    return survive + mp.quad(integrand, points)


def cases():
    """The grid: heavy and light buyers, long ages (days), α ≥ β and α < β, s near 1, small r."""
    params = [
        (0.55, 10.58, 0.61, 11.67),  # CDNOW weeks (Fader, Hardie and Lee 2005)
        (0.05, 3.0, 2.5, 400.0),  # small r, α < β
        (2.0, 800.0, 1.0, 30.0),  # α ≫ β, s = 1 exactly
        (1.3, 50.0, 1.0000001, 50.0),  # s near 1, α = β
        (0.01, 0.5, 0.02, 1e4),  # tiny r and s
        (8.0, 2e3, 5.0, 1e3),
    ]
    histories = [
        (0, 0, 30),
        (1, 20, 39),
        (5, 2, 300),
        (40, 350, 365),
        (300, 1e4, 1.2e4),
        (1e4, 9.9e4, 1e5),
        (1e4, 2e4, 1e5),
        (3, 1e5, 1e5),
        (0, 0, 1e5),
    ]
    horizons = [1.0, 52.0, 1e4]
    for (r, alpha, s, beta), (x, t_x, T), t in itertools.product(params, histories, horizons):
        # counts around the mean, and 0
        mean = float(mp_e_alive(r, alpha, s, beta, x, T, t))
        ks = sorted({0, 1, int(mean), int(2 * mean) + 1})
        for k in ks:
            yield r, alpha, s, beta, x, t_x, T, t, k


def main():
    mp.mp.dps = 40
    OUT.parent.mkdir(exist_ok=True)
    rows = []
    done = {}
    for r, alpha, s, beta, x, t_x, T, t, k in cases():
        key = (r, alpha, s, beta, x, t_x, T)
        if key not in done:
            done[key] = (mp_loglik(*key), mp_p_alive(*key))
        ll, pa = done[key]
        rows.append(
            [
                r,
                alpha,
                s,
                beta,
                x,
                t_x,
                T,
                t,
                k,
                mp.nstr(ll, 20),
                mp.nstr(pa, 20),
                mp.nstr(mp_e_alive(r, alpha, s, beta, x, T, t), 20),
                mp.nstr(mp_pmf_alive(r, alpha, s, beta, x, T, t, k), 20),
            ]
        )
        print(rows[-1], flush=True)
    with OUT.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(FIELDS)
        writer.writerows(rows)


if __name__ == "__main__":
    main()
