"""DERL by direct summation: the sums behind the contractual models' discounted expected
residual lifetime, with the asymptotic tail and Richardson extrapolation when d is (near) 0.

A mixin of :class:`clvmodel.models._contractual.ContractualModel`; it uses the model's
``_log_survival``."""

from __future__ import annotations

import numpy as np

# Terms of a direct sum are added in blocks until the remainder is below this share of the sum.
_SUM_TOLERANCE = 1e-15
_SUM_BLOCK = 4096
_SUM_MAX_TERMS = 2**17
_SUM_MAX_TERMS_DISCOUNTED = 2**20

_PIECE_NODES, _PIECE_WEIGHTS = np.polynomial.legendre.leggauss(20)


def _power_exp(q: float, y: np.ndarray) -> np.ndarray:
    """J(q, y) = ∫_0^∞ exp((1 − q) w − y (e^w − 1)) dw, i.e. ∫_1^∞ v^−q e^−y(v−1) dv with
    v = e^w: 1/(q − 1) at y = 0 (q > 1). The log-integrand is concave in w, at most y below its
    peak at w = 0 or w* = ln((1 − q)/y), and falls super-exponentially once y e^w ≫ 1; composite
    Gauss-Legendre on pieces of width ½ up to 50 below the peak."""
    y = np.asarray(y, dtype="float64")
    if not (y > 0).any():
        return np.full(y.shape, 1.0 / (q - 1.0))
    safe = np.where(y > 0, y, 1.0)
    peak = np.log(np.maximum((1.0 - q) / safe, 1.0))
    end = peak + np.log1p(60.0 / safe) + 60.0 / max(q - 1.0, 1.0) * (q > 1.0)
    end = np.minimum(end, peak + 200.0)
    pieces = int(np.ceil(np.max(end) / 0.5))
    width = end / pieces
    total = np.zeros(y.shape)
    for piece in range(pieces):
        w = (piece + (_PIECE_NODES + 1.0) / 2) * width[..., None]
        h = (1.0 - q) * w - safe[..., None] * np.expm1(w)
        total += width / 2 * (np.exp(h) @ _PIECE_WEIGHTS)
    return np.where(y > 0, total, 1.0 / (q - 1.0) if q > 1.0 else np.inf)


class DiscountedLifetimeSums:
    """Mixin of :class:`clvmodel.models._contractual.ContractualModel`: DERL(d) summed from
    ln S(t) (``_log_survival``), see :meth:`_derl`."""

    def _derl(self, p, t: np.ndarray, d: float) -> np.ndarray:
        """Σ_{k ≥ 0} S(t + 1 + k) / S(t) z^k, z = 1/(1 + d), by direct summation in blocks.

        The sum stops when the terms left are below ``_SUM_TOLERANCE`` of the sum: with z < 1 the
        remainder is at most (next term) / (1 − z), reached within 45/d terms. At d = 0 (or d
        below ~1e-5) the sum stops after ``_SUM_MAX_TERMS`` terms (``_SUM_MAX_TERMS_DISCOUNTED``)
        and the remainder comes from S's asymptotic form (see :meth:`_tail`); cα ≤ 1 with d = 0
        means an infinite sum.
        """
        log_z = -np.log1p(d)
        if d == 0.0 and p["alpha"] * p.get("c", 1.0) <= 1.0:
            # S(x) falls like x^−cα: the expected lifetime is infinite.
            return np.full(t.size, np.inf)
        limit = _SUM_MAX_TERMS
        if d > 0:
            needed = _SUM_BLOCK * np.ceil(45.0 / d / _SUM_BLOCK)
            limit = int(min(max(needed, _SUM_MAX_TERMS), _SUM_MAX_TERMS_DISCOUNTED))
        base = self._log_survival(p, t)[0]
        total = np.zeros(t.size)
        halfway = np.zeros(t.size)
        done = np.zeros(t.size, dtype=bool)
        n = 0
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            while n < limit and not done.all():
                k = np.arange(n, n + _SUM_BLOCK, dtype="float64")
                rows = np.flatnonzero(~done)
                logs = (
                    self._log_survival(p, t[rows, None] + 1.0 + k[None, :])[0]
                    - base[rows, None]
                    + k[None, :] * log_z
                )
                terms = np.exp(logs)
                total[rows] += terms.sum(axis=1)
                n += _SUM_BLOCK
                if n == limit // 2:
                    halfway[:] = total
                last = terms[:, -1]
                bound = last / -np.expm1(log_z) if d > 0 else np.inf
                done[rows] = (last == 0) | (bound <= _SUM_TOLERANCE * total[rows])
            if not done.all():
                # The asymptotic form misses S by a factor 1 + O(x^−2c) at the age x where the
                # tail starts, so the tail's error falls like x^−(cα + 2c − 1): Richardson
                # extrapolation from the estimates at n/2 and n removes its leading term.
                rows = np.flatnonzero(~done)
                coarse = halfway[rows] + self._tail(p, t[rows], base[rows], n / 2.0, log_z)
                fine = total[rows] + self._tail(p, t[rows], base[rows], float(n), log_z)
                c = p.get("c", 1.0)
                ratio = (t[rows] + 1.0 + n) / (t[rows] + 1.0 + n / 2.0)
                gain = ratio ** (c * p["alpha"] + 2.0 * c - 1.0)
                extrapolated = (gain * fine - coarse) / (gain - 1.0)
                total[rows] = np.where(np.isfinite(fine + coarse), extrapolated, np.inf)
        return total

    def _tail(self, p, t, base, n: float, log_z: float) -> np.ndarray:
        """Σ_{k ≥ n} S(t + 1 + k)/S(t) z^k from the asymptotic form of S.

        ln Γ(β + u) − ln Γ(α + β + u) = −α ln(u + s) + O(u^−2) with s = β + (α − 1)/2, so far out
        S(x) ∝ (x^c + s)^−α; matched to S at the first age left out, X = t + 1 + n, and with the
        midpoint rule the remainder is C ∫_{X−½}^∞ (x^c + s)^−α z^(x−X) dx. Expanding
        (x^c + s)^−α = Σ_j (−α choose j) s^j x^(−c(α+j)) (|s| < x^c) leaves integrals of powers,
        ∫_{X'}^∞ x^−q e^−λ(x−X) dx = X'^(1−q) e^−λ(X'−X) J(q, λX') (see :func:`_power_exp`).
        s is negative when β < (1 − α)/2 (it is always above −½): (−α choose j) s^j is then
        (α)_j |s|^j / j!, every term positive.
        """
        alpha, c = p["alpha"], p.get("c", 1.0)
        s = p["beta"] + (alpha - 1.0) / 2.0
        age = t + 1.0 + n
        start = age - 0.5
        u = age**c
        lam = -log_z
        log_scale = self._log_survival(p, age)[0] - base + n * log_z + alpha * np.log(u + s)
        total = np.zeros(t.size)
        log_coefficient = 0.0  # ln |(−α choose j)| + j ln |s|
        sign = -1.0 if s > 0 else 1.0  # of (−α choose j) s^j, j ≥ 1, relative to the term before
        for j in range(40):
            power = c * (alpha + j)
            term = np.exp(
                log_scale + log_coefficient + (1.0 - power) * np.log(start) - lam * (start - age)
            ) * _power_exp(power, lam * start)
            total += sign**j * term
            if s == 0.0 or np.all(term <= 1e-17 * np.abs(total)):
                break
            log_coefficient += np.log((alpha + j) / (j + 1.0)) + np.log(abs(s))
        return total
