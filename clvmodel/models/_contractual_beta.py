"""The ratio of beta functions behind every contractual model's survivor function,
ln S(t) = ln B(α, β + u(t))/B(α, β), computed without the cancellations of its four ln Γ terms
(see :mod:`clvmodel.models._contractual`)."""

from __future__ import annotations

import numpy as np

from clvmodel.models._log_gamma import digamma_shift, log_gamma_shift, trigamma_shift

__all__ = ["log_beta_ratio"]

#: Below this u/β, ln S is its second-order expansion in u (error below (u/β)³ of it).
_TAYLOR_SHIFT = 1e-6


def log_beta_ratio(alpha, beta, log_u):
    """ln B(α, β + u)/B(α, β) ≤ 0 from ln u, with u itself (1 where it overflows) and the mask
    of the u that overflow.

    The shift of ln Γ is by the smaller of α and u, so that both terms are of the size of the
    result: lnΓ(β+u) − lnΓ(β) − [lnΓ(α+β+u) − lnΓ(α+β)] when u ≤ α (at α = 5·10^16 the other
    grouping subtracts two numbers near 2·10^18 and loses every digit of ln S(1) ≈ −39),
    lnΓ(α+β) − lnΓ(β) − [lnΓ(β+u+α) − lnΓ(β+u)] otherwise. Where u overflows (BdW, c ln t
    > 709), lnΓ(β+u+α) − lnΓ(β+u) = α ln(β + u) to double precision (α, β < u).
    """
    with np.errstate(over="ignore"):
        u = np.exp(log_u)
    alpha_in, beta_in = alpha, beta
    alpha, beta, u, log_u = np.broadcast_arrays(alpha, beta, u, log_u)
    far = np.isinf(u)
    u = np.where(far, 1.0, u)
    # u tiny beside β (β = 1e285, α = 1e272): the two shifts are ~u ln β (or ~α ln β) each and
    # their difference ~u α/β; it is u [ψ(β) − ψ(α+β)] + u²/2 [ψ'(β) − ψ'(α+β)] to O((u/β)³).
    taylor = (u <= _TAYLOR_SHIFT * beta) & ~far
    u_at_most_alpha = u <= alpha
    by_u = u_at_most_alpha & ~taylor
    by_alpha = ~(u_at_most_alpha | far | taylor)
    # The usual case (u > α, for most): one pass over all, the rest patched.
    if 2 * np.count_nonzero(by_alpha) > by_alpha.size:
        with np.errstate(invalid="ignore"):
            ll = log_gamma_shift(beta_in, alpha_in) - log_gamma_shift(beta_in + u, alpha_in)
        if not (isinstance(ll, np.ndarray) and ll.shape == u.shape):
            ll = np.array(np.broadcast_to(ll, u.shape))
        by_alpha = None
    else:
        ll = np.zeros(u.shape)
    if taylor.any():
        a, b, v = alpha[taylor], beta[taylor], u[taylor]
        with np.errstate(over="ignore"):  # ψ' terms in 1/β² vanish (β² overflows) past 1e154
            ll[taylor] = -v * digamma_shift(b, a) - 0.5 * v * (v * trigamma_shift(b, a))
    if by_u.any():
        a, b, v = alpha[by_u], beta[by_u], u[by_u]
        ll[by_u] = log_gamma_shift(b, v) - log_gamma_shift(a + b, v)
    if by_alpha is not None and by_alpha.any():
        a, b, v = alpha[by_alpha], beta[by_alpha], u[by_alpha]
        ll[by_alpha] = log_gamma_shift(b, a) - log_gamma_shift(b + v, a)
    if far.any():
        a, b = alpha[far], beta[far]
        with np.errstate(over="ignore", invalid="ignore"):
            value = log_gamma_shift(b, a) - a * np.logaddexp(log_u[far], np.log(b))
        ll[far] = np.where(np.isnan(value), -np.inf, value)
    return np.minimum(ll, 0.0), u, far
