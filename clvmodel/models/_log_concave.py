"""Integrals of exp(G) for a log-concave G, by Gauss–Legendre quadrature on panels around the
peak: the one numerical device of the Pareto/NBD likelihood and predictive distribution (see
:mod:`clvmodel.models._pareto_special`).

In w = ln τ the integrands are exp(G(w)) with G(w) = A w − c₁ ln(1 + e^w/a₁) − c₂ ln(1 + e^w/a₂),
a sum of a line and two −softplus terms: concave, with a single maximum. Each integral is taken
over the window where G is within 45 of its maximum (the rest is below e^−45 of the peak and, by
concavity, decays at least exponentially), by composite Gauss–Legendre on panels that widen
geometrically away from the peak, plus panel edges at a steep bend of G that would otherwise sit
inside a long panel far from the peak. The node counts were chosen by measured accuracy against
mpmath (tests/models/make_pareto_reference.py, tests/models/test_pareto_bends.py).
"""

from __future__ import annotations

import numpy as np

__all__ = ["LogConcave", "sigmoid", "softplus"]

# Composite Gauss–Legendre: panels × nodes per panel on the window where the log-integrand is
# within _DROP of its maximum (counts measured against mpmath, see
# tests/models/make_pareto_reference.py).
_PANELS = 8
_ORDER = 12
_DROP = 45.0
_nodes, _weights = np.polynomial.legendre.leggauss(_ORDER)
_PANEL_X = (_nodes + 1.0) / 2.0
_PANEL_LOG_W = np.log(_weights / 2.0)
del _nodes, _weights
_GRADES = (2.0 ** np.arange(_PANELS // 2 + 1) - 1.0) / (2.0 ** (_PANELS // 2) - 1.0)
# A bend of G inside a panel longer than this gets panel edges of its own (see _bends).
_BEND_PANEL = 1.0
_BEND_DROP = 25.0
_BEND_SHARP = 4.0
_BEND_SHIFTS = (0.0, np.log(4.0), np.log(16.0))
# Newton steps of the mode search. Far from the root on the exponential side of a bend (a
# softplus term with c ≫ A, e.g. r ~ 1e200: G' ≈ A − c e^(w−d)), Newton moves about one unit
# of w per step, and the bracket can span the whole range of ln of a double (~1400 units): 100
# steps left such rows hundreds of units short of the mode (NaN integrals). Ordinary rows settle
# in a few steps and are unaffected.
_MODE_STEPS = 2000


def softplus(z):
    """ln(1 + e^z), without overflow."""
    return np.logaddexp(0.0, z)


def sigmoid(z):
    """1 / (1 + e^−z), without overflow."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


class LogConcave:
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
        return self.A - self.c1 * sigmoid(w - self.d1) - self.c2 * sigmoid(w - self.d2)

    def curvature(self, w):
        p = sigmoid(w - self.d1)
        q = sigmoid(w - self.d2)
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
        # The Newton steps work on the rows still moving, with their coefficients taken out once
        # (and again only when rows settle), not gathered anew at every step.
        A, c1, c2, d1, d2 = (
            np.broadcast_to(v, self.lo.shape)[todo]
            for v in (self.A, self.c1, self.c2, self.d1, self.d2)
        )
        x, a, b = w[todo], lo[todo], hi[todo]
        for _ in range(_MODE_STEPS):
            if todo.size == 0:
                break
            p = sigmoid(x - d1)
            q = sigmoid(x - d2)
            g = A - c1 * p - c2 * q
            a = np.where(g > 0, x, a)
            b = np.where(g > 0, b, x)
            curvature = c1 * p * (1.0 - p) + c2 * q * (1.0 - q)
            step = x + g / np.maximum(curvature, 1e-300)
            new = np.where((step > a) & (step < b), step, 0.5 * (a + b))
            w[todo] = new
            moving = np.abs(new - x) > 1e-10 * (1.0 + np.abs(x))
            if moving.all():
                x = new
                continue
            todo, x, a, b = todo[moving], new[moving], a[moving], b[moving]
            A, c1, c2, d1, d2 = A[moving], c1[moving], c2[moving], d1[moving], d2[moving]
        return w

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

    def _panel_edges(self, mode, top, left_side, right_side, one_sided):
        """Groups of rows with their panel edges (increasing): panels widening geometrically away
        from the peak on each side (half as many where the peak is at an end of the window), and,
        for rows where a sharp bend of G (see :meth:`_sharp`) with the integrand there within
        e^−_BEND_DROP of its peak falls inside a panel longer than _BEND_PANEL, also edges at the
        bends (see :meth:`_bends`): 12 nodes across a bend of width ~1/c far from the peak cost
        up to 1e-5 of the integral; with them, ~1e-12 (tests/models/test_pareto_bends.py)."""
        out = []
        for rows, both in ((np.flatnonzero(~one_sided), True), (np.flatnonzero(one_sided), False)):
            if rows.size == 0:
                continue
            m, lw, rw = mode[rows, None], left_side[rows, None], right_side[rows, None]
            if both:
                edges = np.concatenate([m - lw * _GRADES[::-1], m + rw * _GRADES[1:]], axis=1)
            else:
                edges = np.where(lw > 0.0, m - lw * _GRADES[::-1], m + rw * _GRADES)
            refine, bends = self._needs_bend_edges(rows, edges, top)
            if (~refine).any():
                out.append((rows[~refine], edges[~refine]))
            if refine.any():
                out.append((rows[refine], np.sort(np.hstack([edges[refine], bends]), axis=1)))
        return out

    def _needs_bend_edges(self, rows, edges, top):
        """Which of ``rows`` (with their geometric ``edges``) need edges at the bends, and those
        rows' bend points. Only rows with a sharp term are looked at (most rows have none)."""
        refine = np.zeros(rows.size, dtype=bool)
        sharp = self._sharp(rows)
        some = np.flatnonzero(sharp.any(axis=1))
        if some.size == 0:
            return refine, np.empty((0, sharp.shape[1]))
        edges, sub = edges[some], rows[some]
        bends = self._bends(sub, edges[:, 0], edges[:, -1])
        inside = (bends[:, :, None] > edges[:, None, :-1]) & (
            bends[:, :, None] < edges[:, None, 1:]
        )
        long_panel = np.diff(edges, axis=1)[:, None, :] > _BEND_PANEL
        # Only where the integrand is still large at the bend does its error matter.
        high = self.terms(bends, sub)[0] > top[sub, None] - _BEND_DROP
        refine[some] = (inside & long_panel & (high & sharp[some])[:, :, None]).any(axis=(1, 2))
        return refine, bends[refine[some]]

    def _sharp(self, rows):
        """Per bend point of :meth:`_bends`: whether its term is steep enough (c ≥ _BEND_SHARP, a
        curvature of G up to c/4) for a long Gauss–Legendre panel to miss it."""
        c1, c2 = (np.broadcast_to(c, self.lo.shape)[rows, None] for c in (self.c1, self.c2))
        per_term = 1 + len(_BEND_SHIFTS)
        return np.hstack([np.repeat(c1 >= _BEND_SHARP, per_term, axis=1),
                          np.repeat(c2 >= _BEND_SHARP, per_term, axis=1)])  # fmt: skip

    def _bends(self, rows, left, right):
        """Where each −c softplus(w − d) term of G bends, clipped to [left, right]: its slope
        c σ(w − d) reaches 1, 4 and 16 near w = d − ln c (where it starts to matter against the
        line's slope A and then takes over, within a few units of w when c is large) and the
        softplus's own bend at w = d."""
        points = []
        for c, d in ((self.c1, self.d1), (self.c2, self.d2)):
            c, d = (np.broadcast_to(v, self.lo.shape)[rows] for v in (c, d))
            start = d - np.log(np.maximum(c, 1.0))
            points += [np.clip(start + shift, left, right) for shift in _BEND_SHIFTS]
            points.append(np.clip(d, left, right))
        return np.stack(points, axis=1)

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
        for rows, edges in self._panel_edges(mode, top, left_side, right_side, one_sided):
            length = np.diff(edges, axis=1)
            start = edges[:, :-1]
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
