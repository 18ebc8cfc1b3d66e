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

In w = ln τ both integrands are exp(G(w)) with G concave, integrated by Gauss–Legendre on panels
around the peak (:mod:`clvmodel.models._log_concave`); the node counts were measured against
mpmath (tests/models/make_pareto_reference.py): ln I within 3e-11 absolute over x ≤ 1e4, T ≤ 1e5.
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
from clvmodel.models._log_concave import sigmoid, softplus
from clvmodel.models._pareto_steep import integrate
from clvmodel.models._special import log1p_ratio, log_gamma_ratio, safe_gammaln

__all__ = ["log_odds_dead", "loglik", "loglik_totals", "pmf_if_alive"]

# Rows per block, so that the (rows × nodes) work arrays stay small.
_BLOCK = 2048

# Beyond this r, ln Γ(r + n) − ln Γ(r) is taken as a shift: the plain difference of two values
# ~r ln r keeps only ~1e-16 r ln r in absolute terms (2e-7 at r = 1e8; a PMF off by 1e-9).
_LARGE_SHAPE = 1e5

# Above this, ln L is formed from ln A and ln B, not ln A and ln(B/A) (see _loglik_block).
_LARGE_EXPONENT = 1e6

# Smallest tail decay rate r + x + s for which ∫_y^∞ is taken over w = ln τ (see _died).
_TAIL_MIN_DECAY = 0.25


def _flat(*values):
    """Broadcast to one shape and flatten; returns the shape and the flat float64 arrays."""
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype="float64") for v in values))
    return arrays[0].shape, [np.ascontiguousarray(a).ravel() for a in arrays]


def _blocks(n: int):
    for start in range(0, n, _BLOCK):
        yield slice(start, min(start + _BLOCK, n))


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


def _loglik_block(r, alpha, s, beta, x, t_x, T, log_odds, mean_v, second_v, log_b, order):
    """ln L per row; for order ≥ 1 its gradient (n, 4); for order 2 its Hessian (n, 4, 4). The
    death branch comes from :func:`_died`: ln[B/A] for the branch weights, and ln B' = ln B −
    r ln α − s ln β for ln L where ln A + ln(1 + B/A) would cancel two terms (r + x) ln(1 + T/α)
    and s ln(1 + T/β) above _LARGE_EXPONENT (all digits of ln L are lost once r or s is ~1e16)."""
    n = r.size
    # Alive at T: ln A and its derivatives (a point mass at τ = T, with s for s + 1).
    a = r + x
    l1, l2 = log1p_ratio(T, alpha), log1p_ratio(T, beta)
    with np.errstate(over="ignore"):  # for the derivatives only (inf at a subnormal α or β)
        q1, q2 = 1.0 / (alpha + T), 1.0 / (beta + T)
    log_A = -r * l1 - x * np.log(alpha + T) - s * l2
    base = _by_value(safe_gammaln, a) - _by_value(safe_gammaln, r)
    if r.max() > _LARGE_SHAPE:
        base = np.where(r > _LARGE_SHAPE, log_gamma_ratio(r, x), base)
    # Where those terms are small (ordinary parameters) ln A + ln(1 + B/A) keeps every digit.
    big = a * l1 + s * l2 > _LARGE_EXPONENT
    ll = np.where(
        big, base + np.logaddexp(log_A, log_b), base + log_A + np.logaddexp(0.0, log_odds)
    )
    if not order:
        return ll, None, None
    w_dead = sigmoid(log_odds)
    w_alive = sigmoid(-log_odds)
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
    log_value, groups = integrate(np.ones_like(a), a, alpha, s + 1.0, beta, lo, hi, order > 0)
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
    """ln[s I (α+T)^(r+x) (β+T)^s] (−inf where t_x = T), the node means of v and v vᵀ under
    the density on (t_x, T] proportional to the integrand of I (see :func:`_integral_block`), and
    ln[s I α^x β] (the death branch of the likelihood without α^r β^s).

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
    with np.errstate(divide="ignore"):  # t_x = 0, or T = 0 (then t_x = T: no death branch)
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
        with np.errstate(over="ignore"):  # inf (tails beyond resolution): integrated directly
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
    log_odds = np.log(s) + a * log1p_ratio(T, alpha) + s * log1p_ratio(T, beta) - np.log(beta)
    # ln B − r ln α − s ln β = ln s − ln β − x ln α + ln(the integral in w): see _loglik_block.
    log_b = np.log(s) - np.log(beta) - x * np.log(alpha) + log_value
    return log_odds + log_value, mean, second, log_b


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
    log_coef = safe_gammaln(r + k) - safe_gammaln(r) - gammaln(k + 1.0)
    if r.max() > _LARGE_SHAPE:
        log_coef = np.where(r > _LARGE_SHAPE, log_gamma_ratio(r, k) - gammaln(k + 1.0), log_coef)
    log_alpha, log_beta = np.log(alpha), np.log(beta)
    log_t = np.log(t)
    # Survives the horizon: (β/(β+t))^s NB(k; t) = (β/(β+t))^s C (α/(α+t))^r (t/(α+t))^k.
    survive = (
        log_coef
        + k * (log_t - log_alpha)
        - (k + r) * softplus(log_t - log_alpha)
        - s * softplus(log_t - log_beta)
    )
    # Dies at τ = e^w ∈ (0, t): s β^s (β+τ)^−(s+1) NB(k; τ) τ = s C α^−k β^−1 exp(G(w)) with
    # G = (k+1) w − (k+r) softplus(w − ln α) − (s+1) softplus(w − ln β).
    log_value, _ = integrate(
        k + 1.0, k + r, alpha, s + 1.0, beta, np.full_like(t, -np.inf), log_t, node_terms=False
    )
    log_die = np.log(s) + log_coef - k * log_alpha - log_beta + log_value
    return np.exp(np.logaddexp(survive, log_die))
