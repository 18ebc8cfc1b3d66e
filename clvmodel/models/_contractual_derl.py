"""DERL by direct summation: the sums behind the contractual models' discounted expected
residual lifetime: past 2^17-2^20 terms, an integral of S when d > 0, and S's asymptotic
tail with Richardson extrapolation when d = 0.

A mixin of :class:`clvmodel.models._contractual.ContractualModel`; it uses the model's
``_log_survival``."""

from __future__ import annotations

import numpy as np

# Terms of a direct sum are added in blocks until the remainder is below this share of the sum.
_SUM_TOLERANCE = 1e-15
_SUM_BLOCK = 4096
_SUM_MAX_TERMS = 2**17
_SUM_MAX_TERMS_DISCOUNTED = 2**20
# Below this discount rate DERL(d) is capped at DERL(0).
_NEAR_ZERO_RATE = 1e-8
# ln k beyond which the discounted tail takes S as a power law (u = k^c may overflow after).
_FAR = 600.0

_PIECE_NODES, _PIECE_WEIGHTS = np.polynomial.legendre.leggauss(20)
# Rows summed together: a block of terms is _ROW_CHUNK × _SUM_BLOCK values (0.5 MB, which
# keeps the temporaries in cache).
_ROW_CHUNK = 16


def _rows(p: dict, rows, column: bool = False) -> dict:
    """The parameters of some rows (each an array of one entry per row), as a column (rows, 1)
    to broadcast against a grid of ages when ``column``."""
    return {name: v[rows, None] if column else v[rows] for name, v in p.items()}


def _power_exp(q, y: np.ndarray) -> np.ndarray:
    """J(q, y) = ∫_0^∞ exp((1 − q) w − y (e^w − 1)) dw, i.e. ∫_1^∞ v^−q e^−y(v−1) dv with
    v = e^w: 1/(q − 1) at y = 0 (q > 1). The log-integrand is concave in w, at most y below its
    peak at w = 0 or w* = ln((1 − q)/y), and falls super-exponentially once y e^w ≫ 1; composite
    Gauss-Legendre on pieces of width ½ up to 50 below the peak."""
    q, y = np.broadcast_arrays(np.asarray(q, dtype="float64"), np.asarray(y, dtype="float64"))
    with np.errstate(divide="ignore"):
        at_zero = np.where(q > 1.0, 1.0 / (q - 1.0), np.inf)
    if not (y > 0).any():
        return at_zero
    safe = np.where(y > 0, y, 1.0)
    peak = np.log(np.maximum((1.0 - q) / safe, 1.0))
    end = peak + np.log1p(60.0 / safe) + 60.0 / np.maximum(q - 1.0, 1.0) * (q > 1.0)
    end = np.minimum(end, peak + 200.0)
    pieces = int(np.ceil(np.max(end) / 0.5))
    width = end / pieces
    total = np.zeros(y.shape)
    for piece in range(pieces):
        w = (piece + (_PIECE_NODES + 1.0) / 2) * width[..., None]
        h = (1.0 - q[..., None]) * w - safe[..., None] * np.expm1(w)
        total += width / 2 * (np.exp(h) @ _PIECE_WEIGHTS)
    return np.where(y > 0, total, at_zero)


def survival_log_ratio(later, earlier):
    """ln S(later)/S(earlier) ≤ 0 from the two logs; −inf where ln S(earlier) is −inf too
    (α ln u overflows, and the ratio, ≈ (u(earlier)/u(later))^α, is 0 to double precision).

    Parameters
    ----------
    later, earlier : array_like
        ln S at the later and the earlier ages (broadcast together).

    Returns
    -------
    numpy.ndarray
    """
    earlier = np.broadcast_to(earlier, np.broadcast(later, earlier).shape)
    gap = later - np.where(np.isneginf(earlier), 0.0, earlier)
    return np.where(np.isneginf(earlier), -np.inf, np.minimum(gap, 0.0))


class DiscountedLifetimeSums:
    """Mixin of :class:`clvmodel.models._contractual.ContractualModel`: DERL(d) summed from
    ln S(t) (``_log_survival``), see :meth:`_derl`."""

    def _derl(self, p, t: np.ndarray, d: float) -> np.ndarray:
        """Σ_{k ≥ 0} S(t + 1 + k) / S(t) z^k, z = 1/(1 + d), by direct summation in blocks.

        The parameters in ``p`` are numbers or arrays of the shape of ``t`` (one set per row);
        the rows are summed together, ``_ROW_CHUNK`` at a time (:meth:`_derl_rows`). With
        d = 0 a row with cα ≤ 1 gets ``inf`` (S(x) falls like x^−cα: the expected lifetime is
        infinite).
        """
        t = np.asarray(t, dtype="float64").reshape(-1)
        p = {k: np.broadcast_to(np.asarray(v, dtype="float64"), t.shape) for k, v in p.items()}
        values = np.full(t.size, np.inf)
        finite = np.ones(t.size, dtype=bool)
        if d == 0.0:
            finite = p["alpha"] * p.get("c", 1.0) > 1.0
        rows = np.flatnonzero(finite)
        for first in range(0, rows.size, _ROW_CHUNK):
            chunk = rows[first : first + _ROW_CHUNK]
            own = {name: v[chunk] for name, v in p.items()}
            values[chunk] = self._derl_rows(own, t[chunk], d)
        return values

    def _derl_rows(self, p, t: np.ndarray, d: float) -> np.ndarray:
        """:meth:`_derl` for rows with their own parameters (arrays like ``t``), finite at d = 0.

        The sum stops when the terms left are below ``_SUM_TOLERANCE`` of the sum: with z < 1 the
        remainder is at most (next term) / (1 − z), reached within 45/d terms. At d = 0 (or d
        below ~1e-5) the sum stops after ``_SUM_MAX_TERMS`` terms (``_SUM_MAX_TERMS_DISCOUNTED``)
        and the remainder comes from an integral of the exact S when d > 0
        (:meth:`_discounted_tail`), from S's asymptotic form at d = 0 (:meth:`_tail`). Below
        d = 1e-8 the value is capped at DERL(0). Each row stops on its own terms.
        """
        log_z = -np.log1p(d)
        limit = _SUM_MAX_TERMS
        if d > 0:
            # 45/d overflows at a subnormal d: the cap applies anyway.
            needed = _SUM_BLOCK * np.ceil(45.0 / max(d, 1e-300) / _SUM_BLOCK)
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
                    self._log_survival(_rows(p, rows, True), t[rows, None] + 1.0 + k[None, :])[0]
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
            rows = np.flatnonzero(~done)
            if d > 0 and rows.size:
                own = _rows(p, rows)
                total[rows] += self._discounted_tail(own, t[rows], base[rows], float(n), log_z)
            elif rows.size:
                # The asymptotic form misses S by a factor 1 + O(x^−2c) at the age x where the
                # tail starts, so the tail's error falls like x^−(cα + 2c − 1): Richardson
                # extrapolation from the estimates at n/2 and n removes its leading term.
                own = _rows(p, rows)
                coarse = halfway[rows] + self._tail(own, t[rows], base[rows], n / 2.0, log_z)
                fine = total[rows] + self._tail(own, t[rows], base[rows], float(n), log_z)
                c = own.get("c", 1.0)
                ratio = (t[rows] + 1.0 + n) / (t[rows] + 1.0 + n / 2.0)
                gain = ratio ** (c * own["alpha"] + 2.0 * c - 1.0)
                extrapolated = (gain * fine - coarse) / (gain - 1.0)
                total[rows] = np.where(np.isfinite(fine + coarse), extrapolated, np.inf)
        if 0.0 < d < _NEAR_ZERO_RATE:
            # DERL(d) < DERL(0) for d > 0; the two sums may differ in the last digit where
            # DERL(d) no longer moves with d.
            total = np.minimum(total, self._derl(p, t, 0.0))
        # S(t) = 0 in logs (α ln u overflows): S(t + 1)/S(t) ≈ (u(t)/u(t + 1))^α is 0.
        return np.where(np.isneginf(base), 0.0, total)

    def _discounted_tail(self, p, t, base, n: float, log_z: float) -> np.ndarray:
        """Σ_{k ≥ n} f(k), f(k) = S(t + 1 + k)/S(t) z^k with z < 1, from the exact S.

        Euler-Maclaurin about the midpoints: Σ_{k ≥ n} f(k) = ∫_{n−½}^∞ f(k) dk − f′(n − ½)/24
        + O(f‴), with f′(n − ½) ≈ f(n) − f(n − 1); f varies on the scale of
        min(1/ln(1 + d), k/(cα)) ≥ ~2·10^4 here. The integral is Gauss-Legendre on pieces
        geometric in k (½ in ln k) up to k = 1/ln(1 + d), then ½/ln(1 + d) wide up to 80 more
        e-folds of z^k. Unlike the asymptotic form of S (:meth:`_tail`), this holds for any c,
        e.g. c = 10^−10 where u = k^c stays near 1 far beyond any k summed.
        """
        lam = -log_z
        start = n - 0.5
        log_knee = -np.log(lam) - np.log(start)  # ln(1/(λ · start)), finite at a subnormal λ
        geometric = np.exp(np.arange(0.0, min(max(log_knee, 0.0), _FAR) + 0.5, 0.5))
        if log_knee > _FAR:  # d < ~1e-255: z^k matters only beyond k = e^600, see below
            edges = start * geometric
        else:
            knee = max(start * geometric[-1], 1.0 / lam)
            edges = np.concatenate([start * geometric[:-1], knee + 0.5 / lam * np.arange(161.0)])
            edges = np.unique(np.maximum(edges, start))
        total = np.zeros(t.size)
        column = _rows(p, slice(None), True)
        for first in range(0, edges.size - 1, 200):
            lo, hi = edges[first : first + 200], edges[first + 1 : first + 201]
            lo = lo[: hi.size]
            k = (lo[:, None] + (hi - lo)[:, None] * (_PIECE_NODES + 1.0) / 2).ravel()
            weights = ((hi - lo)[:, None] / 2 * _PIECE_WEIGHTS).ravel()
            logs = self._log_survival(column, t[:, None] + 1.0 + k[None, :])[0] - base[:, None]
            total += np.exp(logs + k[None, :] * log_z) @ weights
        ends = np.array([n - 1.0, n])
        logs = self._log_survival(column, t[:, None] + 1.0 + ends[None, :])[0] - base[:, None]
        slope = np.diff(np.exp(logs + ends[None, :] * log_z), axis=1)[:, 0]
        if log_knee > _FAR:
            total += self._power_remainder(p, t, base, edges[-1], lam)
        return total - slope / 24.0

    def _power_remainder(self, p, t, base, far: float, lam: float) -> np.ndarray:
        """∫_K^∞ S(t + 1 + k)/S(t) e^−λk dk for K = ``far`` ≥ e^600 with S a power law beyond K,
        S ∝ k^−q with q its local log-slope at K: K f(K) J(q, λK) (see :func:`_power_exp`)."""
        points = np.array([far * np.exp(-0.5), far])
        column = _rows(p, slice(None), True)
        logs = self._log_survival(column, t[:, None] + 1.0 + points[None, :])[0] - base[:, None]
        slopes = -(logs[:, 1] - logs[:, 0]) / 0.5
        level = logs[:, 1] - lam * far + np.log(far)
        with np.errstate(over="ignore"):
            values = [_power_exp(q, np.array([lam * far]))[0] for q in slopes]
            return np.exp(level) * np.array(values)

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
        log_u = c * np.log(age)
        lam = -log_z
        # ln(u + s) = ln u + log1p(s/u) with u = age^c kept in logs (it overflows at c ≳ 54).
        log_shifted = log_u + np.log1p(s * np.exp(-log_u))
        log_scale = self._log_survival(p, age)[0] - base + n * log_z + alpha * log_shifted
        total = np.zeros(t.size)
        log_coefficient = np.zeros(t.size)  # ln |(−α choose j)| + j ln |s|
        sign = np.where(s > 0, -1.0, 1.0)  # of (−α choose j) s^j, j ≥ 1, relative to the last
        going = np.ones(t.size, dtype=bool)  # the rows still adding terms
        for j in range(40):
            power = c * (alpha + j)
            term = np.exp(
                log_scale + log_coefficient + (1.0 - power) * np.log(start) - lam * (start - age)
            ) * _power_exp(power, lam * start)
            total += np.where(going, sign**j * term, 0.0)
            going &= (s != 0.0) & ~(term <= 1e-17 * np.abs(total))
            if not going.any():
                break
            with np.errstate(divide="ignore"):
                log_coefficient += np.log((alpha + j) / (j + 1.0)) + np.log(np.abs(s))
        return total
