"""Stable integrals of the Pareto/NBD model (Schmittlein, Morrison and Colombo 1987).

Both quantities that need care are integrals over the unobserved death time τ of a positive
integrand, so they are evaluated as such, in logs: nothing is subtracted, so nothing cancels. (The
closed forms of Fader and Hardie 2005, "A note on deriving the Pareto/NBD model and related
expressions", take the difference of two ₂F₁ values instead, which loses every digit for heavy
buyers; lifetimes returns NaN there.)

1. "Died in (t_x, T]" (the likelihood, its derivatives and P(alive)):

       I = ∫_{t_x}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ.

2. "k purchases in (T, T+t] while alive" (the predictive distribution): with r' = r+x,
   α' = α+T, β' = β+T and NB(k; τ) the negative binomial probability of k purchases in τ,

       P(k) = (β'/(β'+t))^s NB(k; t) + ∫₀^t s β'^s (β'+τ)^−(s+1) NB(k; τ) dτ.

In w = ln τ both integrands are exp(G(w)) with G(w) = A w − c₁ ln(1 + e^w/a₁) − c₂ ln(1 + e^w/a₂),
a sum of a line and two −softplus terms: concave, with a single maximum. Each integral is taken
over the window where G is within 45 of its maximum (the rest is below e^−45 of the peak and, by
concavity, decays at least exponentially), by composite Gauss–Legendre on panels that widen
geometrically away from the peak. The node counts were chosen by measured accuracy against mpmath
(tests/models/make_pareto_reference.py): ln I within 3e-11 absolute over x ≤ 1e4, T ≤ 1e5.
The derivatives of ln I in (r, α, s, β) are weighted means over the same nodes (differentiation
under the integral sign), which gives the analytic gradient and Hessian of the likelihood. For
speed, I is the difference of two tails ∫_y^∞ shared by many customers wherever that difference
keeps all but one bit (see :func:`_died`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import gammaln, polygamma, psi

from clvmodel._grouping import group_rows

__all__ = ["log_odds_dead", "loglik", "loglik_totals", "pmf_if_alive"]

# Rows per block, so that the (rows × nodes) work arrays stay small.
_BLOCK = 2048

# Composite Gauss–Legendre: panels × nodes per panel on the window where the log-integrand is
# within _DROP of its maximum (counts measured against mpmath, see
# tests/models/make_pareto_reference.py).
_PANELS = 8
_ORDER = 12
_DROP = 45.0
# Smallest tail decay rate r + x + s for which ∫_y^∞ is taken over w = ln τ (see _died).
_TAIL_MIN_DECAY = 0.25
_nodes, _weights = np.polynomial.legendre.leggauss(_ORDER)
_PANEL_X = (_nodes + 1.0) / 2.0
_PANEL_LOG_W = np.log(_weights / 2.0)
del _nodes, _weights
_GRADES = (2.0 ** np.arange(_PANELS // 2 + 1) - 1.0) / (2.0 ** (_PANELS // 2) - 1.0)


def _flat(*values):
    """Broadcast to one shape and flatten; returns the shape and the flat float64 arrays."""
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype="float64") for v in values))
    return arrays[0].shape, [np.ascontiguousarray(a).ravel() for a in arrays]


def _blocks(n: int):
    for start in range(0, n, _BLOCK):
        yield slice(start, min(start + _BLOCK, n))


def _softplus(z):
    return np.logaddexp(0.0, z)


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


class _LogConcave:
    """G(w) = A w − c₁ ln(1 + e^w/a₁) − c₂ ln(1 + e^w/a₂) on [lo, hi] (arrays, one per row), with
    A > 0, c₁, c₂ ≥ 0 and c₁ + c₂ > A: concave (each log term is a softplus in w), rising with
    slope A on the left and falling with slope A − c₁ − c₂ on the right."""

    def __init__(self, A, c1, a1, c2, a2, lo, hi):
        self.A, self.c1, self.c2, self.lo, self.hi = A, c1, c2, lo, hi
        self.d1, self.d2 = np.log(a1), np.log(a2)
        self.inv1, self.inv2 = 1.0 / a1, 1.0 / a2

    def __call__(self, w):
        return self.terms(w)[0]

    def terms(self, w, rows=None):
        """G at w (one value per row, or a (rows, nodes) array for the given rows), with e^w/a₁
        and e^w/a₂ and their log1p."""
        A, c1, c2, inv1, inv2 = (
            (v if rows is None else np.broadcast_to(v, self.lo.shape)[rows])
            for v in (self.A, self.c1, self.c2, self.inv1, self.inv2)
        )
        col = (lambda v: v[:, None]) if w.ndim == 2 else (lambda v: v)
        tau = np.exp(w)
        v1 = tau * col(inv1)
        v2 = tau * col(inv2)
        l1 = np.log1p(v1)
        l2 = np.log1p(v2)
        return col(A) * w - col(c1) * l1 - col(c2) * l2, v1, l1, v2, l2

    def slope(self, w):
        return self.A - self.c1 * _sigmoid(w - self.d1) - self.c2 * _sigmoid(w - self.d2)

    def curvature(self, w):
        p = _sigmoid(w - self.d1)
        q = _sigmoid(w - self.d2)
        return self.c1 * p * (1.0 - p) + self.c2 * q * (1.0 - q)

    def mode(self):
        """Maximum on [lo, hi]: safeguarded Newton on G' = 0 inside a bracket where G' changes
        sign (G' > 0 while (c₁+c₂) σ(w − min d) < A, G' < 0 once (c₁+c₂) σ(w − max d) > A)."""
        centre = np.log(self.A) - np.log(self.c1 + self.c2 - self.A)
        lo = np.maximum(centre + np.minimum(self.d1, self.d2) - 1.0, self.lo)
        hi = np.minimum(centre + np.maximum(self.d1, self.d2) + 1.0, self.hi)
        # A maximum at an end of the window: G falls from lo, or still rises at hi.
        at_lo = self.slope(self.lo) <= 0.0
        at_hi = self.slope(self.hi) >= 0.0
        w = np.where(at_lo, self.lo, np.where(at_hi, self.hi, 0.5 * (lo + hi)))
        todo = np.flatnonzero(~at_lo & ~at_hi)
        for _ in range(100):
            if todo.size == 0:
                break
            x, a, b = w[todo], lo[todo], hi[todo]
            g = self._slope_at(x, todo)
            a = np.where(g > 0, x, a)
            b = np.where(g > 0, b, x)
            step = x + g / np.maximum(self._curvature_at(x, todo), 1e-300)
            new = np.where((step > a) & (step < b), step, 0.5 * (a + b))
            w[todo], lo[todo], hi[todo] = new, a, b
            todo = todo[np.abs(new - x) > 1e-10 * (1.0 + np.abs(x))]
        return w

    def _slope_at(self, w, rows):
        A, c1, c2, d1, d2 = (
            np.broadcast_to(v, self.lo.shape)[rows]
            for v in (self.A, self.c1, self.c2, self.d1, self.d2)
        )
        return A - c1 * _sigmoid(w - d1) - c2 * _sigmoid(w - d2)

    def _curvature_at(self, w, rows):
        c1, c2, d1, d2 = (
            np.broadcast_to(v, self.lo.shape)[rows] for v in (self.c1, self.c2, self.d1, self.d2)
        )
        p = _sigmoid(w - d1)
        q = _sigmoid(w - d2)
        return c1 * p * (1.0 - p) + c2 * q * (1.0 - q)

    def _drop_point(self, top, mode, step, limit):
        """Point on the side of ``step``'s sign where G has fallen by _DROP (by doubling, then
        four bisections), or ``limit`` if that comes first."""
        clip = np.minimum if step[0] > 0 else np.maximum
        near = mode
        far = clip(mode + step, limit)
        for _ in range(200):
            fallen = (self(far) <= top - _DROP) | (far == limit)
            if fallen.all():
                break
            near = np.where(fallen, near, far)
            far = np.where(fallen, far, clip(mode + 2.0 * (far - mode), limit))
        for _ in range(4):
            middle = 0.5 * (near + far)
            fallen = self(middle) <= top - _DROP
            far = np.where(fallen, middle, far)
            near = np.where(fallen, near, middle)
        return far

    def integrate(self):
        """ln ∫_lo^hi exp(G(w)) dw per row, and per group of rows (rows, node terms as from
        :meth:`terms`, normalised node weights) for weighted means over the nodes."""
        mode = self.mode()
        top = self(mode)
        # Scale of the peak: the curvature at an inner maximum, the slope at a boundary one.
        width = 1.0 / np.sqrt(np.maximum(self.curvature(mode) + self.slope(mode) ** 2, 1e-300))
        left_side = mode - self._drop_point(top, mode, -width, self.lo)
        right_side = self._drop_point(top, mode, width, self.hi) - mode
        # Panels widen geometrically (ratio 2) away from the peak on each side: short where the
        # integrand is large and bends, long in the exponential tails. A peak at an end of the
        # window (the usual case for repeat buyers) needs half the panels.
        one_sided = (left_side <= 0.0) | (right_side <= 0.0)
        log_value = np.empty(mode.size)
        groups = []
        for rows, both in ((np.flatnonzero(~one_sided), True), (np.flatnonzero(one_sided), False)):
            if rows.size == 0:
                continue
            m, lw, rw = mode[rows, None], left_side[rows, None], right_side[rows, None]
            if both:
                edges = np.concatenate([m - lw * _GRADES[::-1], m + rw * _GRADES[1:]], axis=1)
            else:
                edges = np.where(lw > 0.0, m - lw * _GRADES[::-1], m + rw * _GRADES)
            length = np.abs(np.diff(edges, axis=1))
            start = np.minimum(edges[:, :-1], edges[:, 1:])
            w = (start[:, :, None] + length[:, :, None] * _PANEL_X).reshape(rows.size, -1)
            terms = self.terms(w, rows)
            with np.errstate(divide="ignore"):
                log_w = np.log(length)[:, :, None] + _PANEL_LOG_W
            log_terms = terms[0] + log_w.reshape(rows.size, -1)
            peak = log_terms.max(axis=1)
            weights = np.exp(log_terms - peak[:, None])
            total = weights.sum(axis=1)
            log_value[rows] = peak + np.log(total)
            groups.append((rows, terms, weights / total[:, None]))
        return log_value, groups


def log_odds_dead(r, alpha, s, beta, x, t_x, T):
    """ln[s I (α+T)^(r+x) (β+T)^s] = ln[P(dead at T | history) / P(alive at T | history)].

    Parameters
    ----------
    r, alpha, s, beta : float or array_like
        Pareto/NBD parameters (all > 0).
    x, t_x, T : array_like
        Repeat purchases, recency and age (0 ≤ t_x ≤ T). Everything is broadcast together.

    Returns
    -------
    numpy.ndarray
        The log odds; −inf where t_x = T (no time in which to have died).
    """
    shape, columns = _flat(r, alpha, s, beta, x, t_x, T)
    return _died(*columns, 0)[0].reshape(shape)


def loglik(r, alpha, s, beta, x, t_x, T, order: int = 0):
    """Per-customer log-likelihood, and its gradient (order ≥ 1) and Hessian (order 2) in
    (r, α, s, β).

    ln L = lnΓ(r+x) − lnΓ(r) + ln[A + B] with A = α^r β^s (α+T)^−(r+x) (β+T)^−s (alive at T)
    and B = s α^r β^s I (died in (t_x, T]). The derivatives of ln B are weighted means over the
    quadrature nodes of the derivatives of the log-integrand (differentiation under the integral
    sign); the mixture rule then gives those of ln[A + B].

    Returns
    -------
    ll : numpy.ndarray
        The inputs' broadcast shape.
    grad : numpy.ndarray or None
        Shape (4, *shape).
    hess : numpy.ndarray or None
        Shape (*shape, 4, 4).
    """
    shape, columns = _flat(r, alpha, s, beta, x, t_x, T)
    died = _died(*columns, order)
    n = columns[0].size
    ll = np.empty(n)
    grad = np.empty((4, n)) if order else None
    hess = np.empty((n, 4, 4)) if order >= 2 else None
    for b in _blocks(n):
        out = _loglik_block(*(c[b] for c in columns), *(_rows(v, b) for v in died), order)
        ll[b] = out[0]
        if order:
            grad[:, b] = out[1].T
        if order >= 2:
            hess[b] = out[2]
    return (
        ll.reshape(shape),
        None if grad is None else grad.reshape((4, *shape)),
        None if hess is None else hess.reshape((*shape, 4, 4)),
    )


def loglik_totals(r, alpha, s, beta, x, t_x, T, counts):
    """Σ counts · ln L over customers, with its gradient (4,) and Hessian (4, 4) in (r, α, s, β);
    see :func:`loglik`."""
    _, columns = _flat(r, alpha, s, beta, x, t_x, T)
    died = _died(*columns, 2)
    counts = np.asarray(counts, dtype="float64")
    total, grad, hess = 0.0, np.zeros(4), np.zeros((4, 4))
    for b in _blocks(counts.size):
        ll, g, h = _loglik_block(*(c[b] for c in columns), *(_rows(v, b) for v in died), 2)
        total += counts[b] @ ll
        grad += counts[b] @ g
        hess += np.einsum("n,nij->ij", counts[b], h)
    return total, grad, hess


def _trigamma(z):
    return polygamma(1, z)


def _by_value(function, values):
    """function(values), evaluated once per distinct value (x takes few values)."""
    codes, uniques = pd.factorize(values)
    return function(np.asarray(uniques, dtype="float64"))[codes]


def _rows(values, b):
    return None if values is None else values[b]


def _loglik_block(r, alpha, s, beta, x, t_x, T, log_odds, mean_v, second_v, order):
    """ln L per row; for order ≥ 1 its gradient (n, 4); for order 2 its Hessian (n, 4, 4). The
    death branch comes from :func:`_died`."""
    n = r.size
    # Alive at T: ln A and its derivatives (a point mass at τ = T, with s for s + 1).
    a = r + x
    l1, l2 = np.log1p(T / alpha), np.log1p(T / beta)
    q1, q2 = 1.0 / (alpha + T), 1.0 / (beta + T)
    log_A = -r * l1 - x * np.log(alpha + T) - s * l2
    base = _by_value(gammaln, a) - _by_value(gammaln, r)
    ll = base + log_A + np.logaddexp(0.0, log_odds)
    if not order:
        return ll, None, None
    w_dead = _sigmoid(log_odds)
    w_alive = _sigmoid(-log_odds)
    d_alive = np.stack([-l1, r / alpha - a * q1, -l2, s / beta - s * q2], axis=1)
    # d = c + D v at each node (see _integral_block): the dead branch's derivative means.
    c = np.stack([np.zeros(n), r / alpha, 1.0 / s, s / beta], axis=1)
    scale = np.stack([-np.ones(n), -a, -np.ones(n), -(s + 1.0)], axis=1)
    mean_dead = c + scale * mean_v
    g = w_alive[:, None] * d_alive + w_dead[:, None] * mean_dead
    grad = g.copy()
    grad[:, 0] += _by_value(psi, a) - _by_value(psi, r)
    if order < 2:
        return ll, grad, None
    # E[d dᵀ] = c cᵀ + c (D E[v])ᵀ + (D E[v]) cᵀ + D E[v vᵀ] D.
    shifted = scale * mean_v
    second_dead = (
        c[:, :, None] * c[:, None, :]
        + c[:, :, None] * shifted[:, None, :]
        + shifted[:, :, None] * c[:, None, :]
        + scale[:, :, None] * second_v * scale[:, None, :]
    )
    # Second derivatives of the log-integrands: only the (r, α) and (s, β) blocks are non-zero.
    e_q1, e_q1sq = mean_v[:, 1], second_v[:, 1, 1]
    e_q2, e_q2sq = mean_v[:, 3], second_v[:, 3, 3]
    h_alive = np.zeros((n, 4, 4))
    h_dead = np.zeros((n, 4, 4))
    h_alive[:, 0, 1] = h_alive[:, 1, 0] = 1.0 / alpha - q1
    h_dead[:, 0, 1] = h_dead[:, 1, 0] = 1.0 / alpha - e_q1
    h_alive[:, 1, 1] = -r / alpha**2 + a * q1**2
    h_dead[:, 1, 1] = -r / alpha**2 + a * e_q1sq
    h_dead[:, 2, 2] = -1.0 / s**2
    h_alive[:, 2, 3] = h_alive[:, 3, 2] = 1.0 / beta - q2
    h_dead[:, 2, 3] = h_dead[:, 3, 2] = 1.0 / beta - e_q2
    h_alive[:, 3, 3] = -s / beta**2 + s * q2**2
    h_dead[:, 3, 3] = -s / beta**2 + (s + 1.0) * e_q2sq
    h_alive += d_alive[:, :, None] * d_alive[:, None, :]
    h_dead += second_dead
    hess = (
        w_alive[:, None, None] * h_alive
        + w_dead[:, None, None] * h_dead
        - g[:, :, None] * g[:, None, :]
    )
    hess[:, 0, 0] += _by_value(_trigamma, a) - _by_value(_trigamma, r)
    return ll, grad, hess


def _integral_block(r, alpha, s, beta, x, lo, hi, order=0):
    """ln ∫_lo^hi exp(G(w)) dw with G(w) = w − (r+x) ln(1 + e^w/α) − (s+1) ln(1 + e^w/β), so that
    ∫ (α+τ)^−(r+x) (β+τ)^−(s+1) dτ over (e^lo, e^hi) is α^−(r+x) β^−(s+1) times its exp; for
    order ≥ 1 also the node means of v = (ln(1 + τ/α), 1/(α+τ), ln(1 + τ/β), 1/(β+τ)) and, for
    order 2, of v vᵀ (the log-integrand's derivatives in (r, α, s, β) are affine in v)."""
    a = r + x
    G = _LogConcave(np.ones_like(a), a, alpha, s + 1.0, beta, lo, hi)
    log_value, groups = G.integrate()
    if not order:
        return log_value, None, None
    mean = np.empty((a.size, 4))
    second = np.empty((a.size, 4, 4)) if order >= 2 else None
    for rows, (_, v1, l1, v2, l2), weights in groups:
        v = (
            l1,
            (1.0 / alpha[rows])[:, None] / (1.0 + v1),
            l2,
            (1.0 / beta[rows])[:, None] / (1.0 + v2),
        )
        weighted = [weights * vk for vk in v]
        for k in range(4):
            mean[rows, k] = weighted[k].sum(axis=1)
        if second is not None:
            for k in range(4):
                for m in range(k, 4):
                    second[rows, k, m] = second[rows, m, k] = np.einsum(
                        "ij,ij->i", weighted[k], v[m]
                    )
    return log_value, mean, second


def _integrals(r, alpha, s, beta, x, lo, hi, order):
    """:func:`_integral_block` over all rows, block by block."""
    n = r.size
    log_value = np.empty(n)
    mean = np.empty((n, 4)) if order else None
    second = np.empty((n, 4, 4)) if order >= 2 else None
    for b in _blocks(n):
        out = _integral_block(r[b], alpha[b], s[b], beta[b], x[b], lo[b], hi[b], order)
        log_value[b] = out[0]
        if order:
            mean[b] = out[1]
        if order >= 2:
            second[b] = out[2]
    return log_value, mean, second


def _died(r, alpha, s, beta, x, t_x, T, order):
    """ln[s I (α+T)^(r+x) (β+T)^s] (−inf where t_x = T) and the node means of v and v vᵀ under
    the density on (t_x, T] proportional to the integrand of I (see :func:`_integral_block`).

    Histories share much: I = J(t_x) − J(T) with the tail J(y) = ∫_y^∞, which depends on (x, y)
    only, so J is computed once per distinct (parameters, x, t_x) and (parameters, x, T). The
    difference is used where J(T) ≤ J(t_x)/2, so that it keeps all but one bit; elsewhere (a
    recent last purchase) I is integrated directly. J needs r + x + s ≥ _TAIL_MIN_DECAY, so that
    the tail's window in w = ln τ stays short.
    """
    n = r.size
    log_value = np.full(n, -np.inf)
    mean = np.zeros((n, 4)) if order else None
    second = np.zeros((n, 4, 4)) if order >= 2 else None
    with np.errstate(divide="ignore"):
        log_tx = np.log(t_x)
    log_T = np.log(T)
    # t_x within an ulp of T leaves no width in w = ln τ: treated as t_x = T (I ≈ 0; the
    # neglected mass is below 1e-15 of A).
    direct = log_T > log_tx
    tail = direct & (r + x + s >= _TAIL_MIN_DECAY)
    rows = np.flatnonzero(tail)
    if rows.size:
        params = [v[rows] for v in (r, alpha, s, beta, x)]
        ends = []
        for y in (log_tx[rows], log_T[rows]):
            group, first = group_rows(*params, y)
            sub = [v[first] for v in params]
            ends.append((group, _integrals(*sub, y[first], np.full(first.size, np.inf), order)))
        (g0, (log_j0, mean0, second0)), (g1, (log_j1, mean1, second1)) = ends
        ratio = np.exp(log_j1[g1] - log_j0[g0])
        good = ratio <= 0.5
        use, g0, g1 = rows[good], g0[good], g1[good]
        rho = ratio[good]
        keep = 1.0 - rho
        log_value[use] = log_j0[g0] + np.log(keep)
        if order:
            mean[use] = (mean0[g0] - rho[:, None] * mean1[g1]) / keep[:, None]
        if order >= 2:
            second[use] = (second0[g0] - rho[:, None, None] * second1[g1]) / keep[:, None, None]
        direct[use] = False
    rows = np.flatnonzero(direct)
    if rows.size:
        out = _integrals(
            *(v[rows] for v in (r, alpha, s, beta, x)), log_tx[rows], log_T[rows], order
        )
        log_value[rows] = out[0]
        if order:
            mean[rows] = out[1]
        if order >= 2:
            second[rows] = out[2]
    a = r + x
    log_odds = np.log(s) + a * np.log1p(T / alpha) + s * np.log1p(T / beta) - np.log(beta)
    return log_odds + log_value, mean, second


def pmf_if_alive(r, alpha, s, beta, k, t):
    """P(k purchases in (0, t]) of a customer alive at 0 with rate λ ~ Gamma(r, α) and dropout
    rate μ ~ Gamma(s, β) (pass r+x, α+T, s, β+T for a customer with history x, T).

    Parameters
    ----------
    r, alpha, s, beta : float or array_like
        Posterior parameters (all > 0).
    k : array_like
        Whole numbers of purchases (≥ 0).
    t : array_like
        Horizon (≥ 0). Everything is broadcast together.

    Returns
    -------
    numpy.ndarray
        The probabilities; 1 for k = 0 and 0 otherwise where t = 0.
    """
    shape, (r, alpha, s, beta, k, t) = _flat(r, alpha, s, beta, k, t)
    out = np.where(k == 0, 1.0, 0.0)
    rows = np.flatnonzero(t > 0)
    for b in _blocks(rows.size):
        i = rows[b]
        out[i] = _pmf_block(r[i], alpha[i], s[i], beta[i], k[i], t[i])
    return out.reshape(shape)


def _pmf_block(r, alpha, s, beta, k, t):
    log_coef = gammaln(r + k) - gammaln(r) - gammaln(k + 1.0)
    log_alpha, log_beta = np.log(alpha), np.log(beta)
    log_t = np.log(t)
    # Survives the horizon: (β/(β+t))^s NB(k; t) = (β/(β+t))^s C (α/(α+t))^r (t/(α+t))^k.
    survive = (
        log_coef
        + k * (log_t - log_alpha)
        - (k + r) * _softplus(log_t - log_alpha)
        - s * _softplus(log_t - log_beta)
    )
    # Dies at τ = e^w ∈ (0, t): s β^s (β+τ)^−(s+1) NB(k; τ) τ = s C α^−k β^−1 exp(G(w)) with
    # G = (k+1) w − (k+r) softplus(w − ln α) − (s+1) softplus(w − ln β).
    G = _LogConcave(k + 1.0, k + r, alpha, s + 1.0, beta, np.full_like(t, -np.inf), log_t)
    log_value, _ = G.integrate()
    log_die = np.log(s) + log_coef - k * log_alpha - log_beta + log_value
    return np.exp(np.logaddexp(survive, log_die))
