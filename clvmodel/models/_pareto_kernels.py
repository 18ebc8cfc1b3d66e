"""Pareto/NBD's compiled loops (numba, cached on disk; imported on first use): the count
distribution given alive on one quadrature grid for all counts (see
:mod:`clvmodel.models._pareto_counts`), and P(alive) per (row, draw) from Chebyshev
interpolants of the death integral's tail (see :mod:`clvmodel.models._pareto_draws`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from clvmodel.models._interval_kernels import _OPTIONS

__all__ = ["count_survival", "grid_shape", "pareto_odds"]

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(12)
#: Gauss–Legendre on [0, 1]: nodes and weights.
GL_X = (_GL_NODES + 1.0) / 2.0
GL_W = _GL_WEIGHTS / 2.0
#: Left end of the grid: τ₁ = e^−3 · min(α/(r + 1), β/(s + 1), t) (see _pareto_counts).
LEFT_MARGIN = 3.0
#: Panel width in w = ln τ: at most this many transition widths of the highest count's
#: survival (12 nodes a panel: within 3e-13 of a grid twice as fine with twice the nodes).
WIDTHS_PER_PANEL = 3.5
_RESCALE = 1e250
_LOG_RESCALE = float(np.log(_RESCALE))


@njit(**_OPTIONS, inline="always")
def grid_shape(r, alpha, s, beta, t, k_max, widths):
    """Left end w₁ = ln τ₁ of one element's w-grid, its number of panels and their width (see
    :mod:`clvmodel.models._pareto_counts`)."""
    sigma = np.sqrt(1.0 / (k_max + 1.0) + 1.0 / (r + 1.0))
    sigma = min(sigma, 2.0 / np.sqrt(s + 1.0))
    h = min(widths * sigma, 2.0)
    w_top = np.log(t)
    w_1 = min(w_top, np.log(alpha / (r + 1.0)), np.log(beta / (s + 1.0))) - LEFT_MARGIN
    n_panels = max(1, int(np.ceil((w_top - w_1) / h)))
    return w_1, n_panels, (w_top - w_1) / n_panels


@njit(**_OPTIONS, inline="always")
def _grid(r, alpha, s, beta, t, k_max, gl_x, gl_w, widths, tau, log_weight):
    """The nodes τ_m and log weights ln W_m of one element's grid (see _pareto_counts);
    returns their number. The last node is τ = t with W = (β/(β + t))^s (survives the
    horizon)."""
    w_1, n_panels, width = grid_shape(r, alpha, s, beta, t, k_max, widths)
    tau_1 = np.exp(w_1)
    n_gl = gl_x.size
    log_death = np.log(s) - np.log(beta)
    m = 0
    # [0, τ₁] in τ: the death density s β^s (β + τ)^−(s+1) = (s/β)(1 + τ/β)^−(s+1).
    for i in range(n_gl):
        v = tau_1 * gl_x[i]
        tau[m] = v
        log_weight[m] = np.log(tau_1 * gl_w[i]) + log_death - (s + 1.0) * np.log1p(v / beta)
        m += 1
    # [w₁, ln t] in w, panels of equal width: the death density times τ.
    step = np.exp(width)
    for i in range(n_gl):
        v = tau_1 * np.exp(width * gl_x[i])
        log_w = np.log(width * gl_w[i]) + log_death + w_1 + width * gl_x[i]
        for p in range(n_panels):
            tau[m + p * n_gl] = v
            # ln(W τ) with ln τ = w₁ + (p + x_i)·width (τ itself by products, one exp a node).
            log_weight[m + p * n_gl] = log_w + p * width - (s + 1.0) * np.log1p(v / beta)
            v *= step
        m += 1
    m += (n_panels - 1) * n_gl
    tau[m] = t
    log_weight[m] = -s * np.log1p(t / beta)
    return m + 1


@njit(**_OPTIONS, error_model="numpy")
def count_survival(r, alpha, s, beta, t, k_lo, k_hi, gl_x, gl_w, widths, out):
    """P(X > k | alive) for k = k_lo … k_hi per element (``out`` is (elements, k_hi − k_lo + 1)),
    X the purchases in (0, t] of a customer alive at 0 with λ ~ Gamma(r, α), μ ~ Gamma(s, β):
    1 − Σ_{j ≤ k} P(j), P(j) = Σ_m W_m P(N(τ_m) = j) over the grid of death times, with
    N(τ) ~ NBD(r, α, τ) by recurrence in j at every node. Where a term W_m P(N(τ_m) = 0) would
    underflow, the node's terms are carried scaled (``_scaled_pmf``). Elements with t = 0 get 0.
    """
    n = r.size
    tau = np.empty(1024)
    log_weight = np.empty(1024)
    term = np.empty(1024)
    ratio = np.empty(1024)
    for e in range(n):
        if not t[e] > 0.0:
            for k in range(k_lo, k_hi + 1):
                out[e, k - k_lo] = 0.0
            continue
        ra, al, sb, bb = r[e], alpha[e], s[e], beta[e]
        _, n_panels, _ = grid_shape(ra, al, sb, bb, t[e], k_hi, widths)
        need = gl_x.size * (n_panels + 1) + 1
        if need > tau.size:
            tau = np.empty(need)
            log_weight = np.empty(need)
            term = np.empty(need)
            ratio = np.empty(need)
        m = _grid(ra, al, sb, bb, t[e], k_hi, gl_x, gl_w, widths, tau, log_weight)
        lowest = 0.0
        for i in range(m):
            z = tau[i] / al
            log_term = log_weight[i] - ra * np.log1p(z)  # ln W_m P(N(τ_m) = 0)
            lowest = min(lowest, log_term)
            ratio[i] = z / (1.0 + z)  # τ/(α + τ)
            term[i] = log_term
        if lowest < -600.0:
            _scaled_pmf(ra, term, ratio, m, k_lo, k_hi, out[e])
            continue
        for i in range(m):
            term[i] = np.exp(term[i])
        below = 0.0
        for k in range(k_hi + 1):
            total = 0.0
            for i in range(m):
                total += term[i]
            below += total
            if k >= k_lo:
                v = 1.0 - below
                out[e, k - k_lo] = 0.0 if v < 0.0 else (1.0 if v > 1.0 else v)
            c = (ra + k) / (k + 1.0)
            for i in range(m):
                term[i] *= ratio[i] * c
    return out


@njit(**_OPTIONS, error_model="numpy")
def _scaled_pmf(r, log_term, ratio, m, k_lo, k_hi, out):
    """``count_survival``'s sums for one element whose terms W_m P(N(τ_m) = k) span more than
    the floating-point range: each node's term is carried as value × e^−scale, rescaled when the
    value grows past 1e250 (a term below e^−745 counts as 0)."""
    val = np.empty(m)
    scale = np.empty(m)
    factor = np.empty(m)
    for i in range(m):
        scale[i] = max(0.0, -600.0 - log_term[i])
        val[i] = np.exp(log_term[i] + scale[i])
        factor[i] = np.exp(-scale[i])
    below = 0.0
    for k in range(k_hi + 1):
        total = 0.0
        for i in range(m):
            total += val[i] * factor[i]
        below += total
        if k >= k_lo:
            v = 1.0 - below
            out[k - k_lo] = 0.0 if v < 0.0 else (1.0 if v > 1.0 else v)
        c = (r + k) / (k + 1.0)
        for i in range(m):
            v = val[i] * ratio[i] * c
            if v > _RESCALE and scale[i] > 0.0:
                shift = min(_LOG_RESCALE, scale[i])
                v *= np.exp(-shift)
                scale[i] -= shift
                factor[i] = np.exp(-scale[i])
            val[i] = v


@njit(**_OPTIONS, inline="always")
def _clenshaw(a, n_terms, x2, b1, b2):
    """Clenshaw's recurrence b_n = a_n + 2ξ b_{n+1} − b_{n+2} down to n = 1, for every draw side by
    side (``a[n, draw]``; independent recurrences, which the processor runs in parallel): leaves
    b_1 in ``b1`` and b_2 in ``b2``, so that Σ_{n<N} a_n T_n(ξ) = a_0 + ξ b_1 − b_2."""
    for j in range(b1.size):
        b1[j] = 0.0
        b2[j] = 0.0
    for n in range(n_terms - 1, 0, -1):
        a_n = a[n]
        for j in range(b1.size):
            v = a_n[j] + x2 * b1[j] - b2[j]
            b2[j] = b1[j]
            b1[j] = v


@njit(**_OPTIONS, error_model="numpy")
def pareto_odds(work, group, curve, xi, du, possible, coef, length, slope, const, tail, b1, b2):
    """P(dead)/P(alive) per (row, draw) over a block of rows, into ``work``:
    exp(C + ln J(t_x)) − exp(C + ln J(T)), at least 0 (see :mod:`clvmodel.models._pareto_draws`).

    ln J(t_x) = Σ_n c_n T_n(ξ) − (r + x + s)(u − u₀) by Clenshaw's recurrence, with the
    coefficients ``coef[curve, n, draw]`` of the row's curve (one per distinct x; zero past the
    draw's own length, which changes nothing), all draws side by side (independent recurrences,
    which the processor runs in parallel); ``xi`` and ``du`` are the row's ξ and u − u₀;
    ``const`` and ``tail`` hold C and exp(C + ln J(T)) per (x, T) group and draw; ``b1`` and
    ``b2`` are work arrays of one value a draw. Rows where dying before T is not possible
    (t_x = T) get 0."""
    n_rows, n_draws = work.shape
    for i in range(n_rows):
        row = work[i]
        if not possible[i]:
            for j in range(n_draws):
                row[j] = 0.0
            continue
        g = group[i]
        c = curve[i]
        x2 = 2.0 * xi[i]
        d = du[i]
        a = coef[c]
        _clenshaw(a, length[c], x2, b1, b2)
        a_0 = a[0]
        s_c = slope[c]
        const_g = const[g]
        tail_g = tail[g]
        for j in range(n_draws):
            value = a_0[j] + 0.5 * x2 * b1[j] - b2[j] - s_c[j] * d
            odds = np.exp(const_g[j] + value) - tail_g[j]
            row[j] = odds if odds > 0.0 else 0.0


@njit(**_OPTIONS)
def chebyshev_values(out, curve, xi, coef, length):
    """Σ_n c_n T_n(ξ) per (point, draw) by Clenshaw's recurrence, with the coefficients
    ``coef[curve, n, draw]`` of the point's curve, into ``out`` (points, draws)."""
    n_points, n_draws = out.shape
    b1 = np.empty(n_draws)
    b2 = np.empty(n_draws)
    for i in range(n_points):
        c = curve[i]
        x2 = 2.0 * xi[i]
        a = coef[c]
        _clenshaw(a, length[c], x2, b1, b2)
        a_0 = a[0]
        for j in range(n_draws):
            out[i, j] = a_0[j] + 0.5 * x2 * b1[j] - b2[j]
