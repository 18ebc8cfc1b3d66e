"""The Pareto/NBD death-time integrals where :class:`~clvmodel.models._log_concave.LogConcave`
cannot resolve: a peak far narrower than the spacing of doubles at its place, a window hundreds
of units wide, nodes where e^w/a overflows, or a flat maximum.

The integrands are exp(G(w)), G(w) = A w − c₁ ln(1 + e^w/a₁) − c₂ ln(1 + e^w/a₂) on [lo, hi]
(see :mod:`clvmodel.models._pareto_special`). These regimes break the generic rule:

* a steep end: the maximum at lo (or hi) with |G'| ≫ 1 there, as when r or s is huge (every
  customer buys, or dies, almost at once). The peak is then ~1/|G'| wide, and once that is
  below the spacing of doubles near lo (|G'| ~ 1e16 at lo ~ 1) the nodes lo + width·x collapse
  onto lo: the rule returns NaN;
* a tiny a₁ or a₂ (α or β below ~1e-44): a window hundreds of units wide, and below ~1e-174
  e^w/a overflows on it (G becomes −inf there);
* G flat at its maximum (r or s ≪ 1e-6): the generic rule's scale 1/√(G'' + G'²) explodes.

Here G is evaluated relative to the maximum w₀ (or the end where it sits), in u = w − w₀:

    G(w₀ + u) − G(w₀) = A u − c₁ L(p₁, u) − c₂ L(p₂, u),   p = 1/(1 + a e^−w₀),
    L(p, u) = ln(1 + p (e^u − 1)) = ln1p(p expm1(u)) (|u| < 1), logaddexp(ln(1 − p), ln p + u),

which is exact for u far below the spacing of doubles near w₀ and never forms e^w/a. The
integral over u is then taken by the generic rule's scheme (composite Gauss–Legendre on panels
widening geometrically on each side of w₀, out to where G has fallen by 45), with long panels
split. Measured against mpmath: within 1e-9 in ln of the integral (tests/models/
test_extreme_parameters.py compares it with the generic rule on ordinary integrals).
"""

from __future__ import annotations

import numpy as np

from clvmodel.models._log_concave import LogConcave, softplus

__all__ = ["integrate"]

#: |G'| at an end of the window beyond which the peak there goes to the local rule. The generic
#: rule's nodes carry an error of about |G'| · 45 · 2^−52 |w| in G: still below 1e-9 here.
STEEP_SLOPE = 1e6
#: ln a₁ or ln a₂ below this (α or β < 4e-44): the window can span hundreds of units of w,
#: more than the generic rule's panels resolve (1e-8 off at β = 1e-129), and below ~−400 e^w/a
#: overflows on it.
TINY_LOG_SCALE = -100.0
#: Slopes (relative to A + c₁ + c₂) and curvatures (squared) below which G counts as flat.
FLAT_SLOPE = 1e-6
_DROP = 45.0
_MAX_PANEL = 2.0
_MAX_SPLIT = 32
_ORDER = 12
_SIDE_PANELS = 6
_nodes, _weights = np.polynomial.legendre.leggauss(_ORDER)
_X = (_nodes + 1.0) / 2.0
_LOG_W = np.log(_weights / 2.0)
_GRADES = (2.0 ** np.arange(_SIDE_PANELS + 1) - 1.0) / (2.0**_SIDE_PANELS - 1.0)


def integrate(A, c1, a1, c2, a2, lo, hi, node_terms=True):
    """ln ∫_lo^hi exp(G(w)) dw per row and the node groups, as ``LogConcave(...).integrate()``,
    with the rows it cannot resolve (see the module docstring) integrated in local coordinates.

    Parameters
    ----------
    A, c1, a1, c2, a2, lo, hi : numpy.ndarray
        One value per row (1-D, broadcast together), as for
        :class:`~clvmodel.models._log_concave.LogConcave`.
    node_terms : bool, default True
        Whether the node groups are needed (for weighted means over the nodes); without them the
        local rows skip the terms at their nodes, and their groups are left out.

    Returns
    -------
    log_value : numpy.ndarray
        ln of the integral per row.
    groups : list
        (rows, (G, e^w/a₁, ln(1 + e^w/a₁), e^w/a₂, ln(1 + e^w/a₂)) at the nodes, normalised node
        weights) for weighted means over the nodes.
    """
    arrays = np.broadcast_arrays(A, c1, a1, c2, a2, lo, hi)
    with np.errstate(over="ignore"):  # 1/a of a subnormal a: such rows go to _local
        G = LogConcave(*arrays)
    hard = np.minimum(G.d1, G.d2) < TINY_LOG_SCALE
    # A decay rate c₁ + c₂ − A lost to rounding (r and s ≪ 1e-16 in the count distribution): the
    # generic mode search starts from ln(c₁ + c₂ − A).
    hard |= G.c1 + G.c2 - G.A <= 1e-12 * (G.c1 + G.c2)
    with np.errstate(invalid="ignore"):  # slope at an infinite end: inf − inf, not steep
        hard |= (G.slope(G.lo) < -STEEP_SLOPE) & np.isfinite(G.lo)
        hard |= (G.slope(G.hi) > STEEP_SLOPE) & np.isfinite(G.hi)
    # A slope of G between or beyond the two bends that vanishes (r or s ≪ 1e-6 next to 1) can
    # leave G flat at its maximum, where the generic rule's scale 1/√(G'' + G'²) explodes.
    total = A + c1 + c2
    flat = np.minimum(np.abs(A - c1), np.abs(A - c2)) < FLAT_SLOPE * total
    flat |= np.abs(A - c1 - c2) < FLAT_SLOPE * total
    rows = np.flatnonzero(flat & ~hard)
    if rows.size:
        with np.errstate(all="ignore"):
            sub = LogConcave(*(v[rows] for v in arrays))
            mode = sub.mode()
            scale = sub.curvature(mode) + sub.slope(mode) ** 2
        hard[rows[~(scale > FLAT_SLOPE**2)]] = True
    if not hard.any():
        return _generic(*arrays)
    log_value = np.empty(hard.size)
    groups = []
    for rows, method in ((np.flatnonzero(~hard), _generic), (np.flatnonzero(hard), _local)):
        if rows.size:
            options = {"node_terms": node_terms} if method is _local else {}
            values, parts = method(*(v[rows] for v in arrays), **options)
            log_value[rows] = values
            groups.extend((rows[sub], terms, weights) for sub, terms, weights in parts)
    return log_value, groups


def _generic(*arrays):
    # Nodes far in a tail can reach w > 709, where e^w overflows to inf and G to −inf: the
    # integrand's limit there (it decays as c₁ + c₂ > A), so the warning is noise.
    with np.errstate(over="ignore"):
        return LogConcave(*arrays).integrate()


def _local(A, c1, a1, c2, a2, lo, hi, node_terms=True):
    """:func:`integrate` for the rows the generic rule cannot resolve, in u = w − w₀ (their node
    groups only with ``node_terms``)."""
    with np.errstate(over="ignore"):  # 1/a, unused here
        G = LogConcave(A, c1, a1, c2, a2, lo, hi)
    # The maximum at an end where G falls from lo or still rises at hi (to within the rounding
    # of G' = A − c₁σ₁ − c₂σ₂: flat to double precision counts as rising); else the generic search.
    tolerance = 4.0 * np.finfo(float).eps * (A + c1 + c2)
    at_lo, at_hi = G.slope(lo) <= -tolerance, G.slope(hi) >= -tolerance
    w0 = np.where(at_lo, lo, hi)
    inner = np.flatnonzero(~at_lo & ~at_hi)
    if inner.size:
        sub = (v[inner] for v in np.broadcast_arrays(A, c1, a1, c2, a2, lo, hi))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            w0[inner] = LogConcave(*sub).mode()
    # p = σ(w₀ − d) in logs: ln p = −softplus(d − w₀), ln(1 − p) = −softplus(w₀ − d).
    sides = [(-softplus(d - w0), -softplus(w0 - d)) for d in (G.d1, G.d2)]
    top = A * w0 - c1 * softplus(w0 - G.d1) - c2 * softplus(w0 - G.d2)

    def local(u, rows=slice(None)):
        """G(w₀ + u) − G(w₀) for the rows ``rows`` (all by default); u is 1-D or rows × nodes."""
        col = (lambda v: v[rows, None]) if u.ndim == 2 else (lambda v: v[rows])
        value = col(A) * u
        for c, (log_p, log_q) in zip((c1, c2), sides, strict=True):
            with np.errstate(over="ignore", divide="ignore"):  # kept only where |u| < 1
                near = np.log1p(np.exp(col(log_p)) * np.expm1(np.minimum(u, 1.0)))
            far = np.logaddexp(col(log_q), col(log_p) + u)
            value = value - col(c) * np.where(np.abs(u) < 1.0, near, far)
        return value

    p1, p2 = np.exp(sides[0][0]), np.exp(sides[1][0])
    slope = A - c1 * p1 - c2 * p2
    curvature = c1 * p1 * np.exp(sides[0][1]) + c2 * p2 * np.exp(sides[1][1])
    # At most 1, the width of a bend of G, where G is flat (the drop search then doubles it).
    width = np.minimum(1.0 / np.maximum(np.hypot(np.sqrt(curvature), slope), 1e-150), 1.0)
    right = _drop(local, width, hi - w0)
    left = _drop(local, -width, lo - w0)
    edges = np.concatenate([left[:, None] * _GRADES[::-1], right[:, None] * _GRADES[1:]], axis=1)
    length = np.diff(edges, axis=1)
    log_value = np.empty(A.size)
    groups = []
    # Panels longer than _MAX_PANEL (a flat stretch of G, hundreds of units long) are split, up
    # to _MAX_SPLIT parts each: rows needing the same number of parts are integrated together,
    # so that a row's nodes do not depend on the other rows of the call.
    parts = np.clip(np.ceil(np.max(length, axis=1) / _MAX_PANEL), 1, _MAX_SPLIT).astype(np.int64)
    for split in np.unique(parts):
        rows = np.flatnonzero(parts == split)
        steps = np.arange(split) / split
        starts = edges[rows, :-1, None] + length[rows, :, None] * steps
        sub_edges = np.concatenate([starts.reshape(rows.size, -1), edges[rows, -1:]], axis=1)
        sub_length = np.diff(sub_edges, axis=1)
        u = (sub_edges[:, :-1, None] + sub_length[:, :, None] * _X).reshape(rows.size, -1)
        with np.errstate(divide="ignore"):
            log_w = (np.log(sub_length)[:, :, None] + _LOG_W).reshape(rows.size, -1)
        g = local(u, rows)
        log_terms = g + log_w
        peak = log_terms.max(axis=1)
        weights = np.exp(log_terms - peak[:, None])
        total = weights.sum(axis=1)
        log_value[rows] = top[rows] + peak + np.log(total)
        if node_terms:
            w = w0[rows, None] + u
            d1, d2 = G.d1[rows, None], G.d2[rows, None]
            with np.errstate(over="ignore"):
                v1, v2 = np.exp(w - d1), np.exp(w - d2)
            terms = (top[rows, None] + g, v1, softplus(w - d1), v2, softplus(w - d2))
            groups.append((rows, terms, weights / total[:, None]))
    return log_value, groups


def _drop(local, step, limit):
    """Offset on the side of ``step``'s sign where the local G has fallen by _DROP below its
    value at 0 (by doubling, then bisection), or ``limit`` if that comes first."""
    clip = np.minimum if step[0] > 0 else np.maximum
    near = np.zeros_like(step)
    far = clip(step, limit)
    for _ in range(2100):  # from 1/|G'| ≥ ~1e-300 to a window of ~1e300 by doubling
        fallen = (local(far) <= -_DROP) | (far == limit)
        if fallen.all():
            break
        near = np.where(fallen, near, far)
        far = np.where(fallen, far, clip(2.0 * far, limit))
    for _ in range(8):
        middle = 0.5 * (near + far)
        fallen = local(middle) <= -_DROP
        far = np.where(fallen, middle, far)
        near = np.where(fallen, near, middle)
    return far
