"""The Hessian of a covariate model's objective from each row's own parameters.

With covariates, row i's log-likelihood ℓ_i depends on the working parameters φ (log-parameters
and coefficients) only through its own log-parameters, each a linear function of φ:

    ρ_im = log θ_m + Σ over the blocks linked to m of sign · z_iᵀγ_block,

the structure every model states in ``_coefficient_blocks`` (see
:mod:`clvmodel.models._covariate_scaling`). Hence the Hessian of −Σ w_i ℓ_i / W is

    H = −(1/W) Σ_i w_i A_iᵀ h_i A_i,   A_i = ∂ρ_i/∂φ,   h_i = ∂²ℓ_i/∂ρ_i²,

and h_i, a 2×2 or 3×3 matrix per row, follows from central differences of the per-row gradient
in the directions of the few base parameters: shifting log θ_m shifts ρ_im of every row at once,
and the gradient's base components are ∂ℓ_i/∂ρ_im. That takes 2 × (base parameters) gradient
evaluations where differences over every parameter take 2 × (all parameters): 4 instead of 484
for sBG with a 120-level covariate on both parameters.
"""

from __future__ import annotations

import numpy as np

__all__ = ["link_hessian"]


def link_hessian(model, log_theta: np.ndarray, arrays, counts: np.ndarray, step: float = 1e-5):
    """Hessian of the mean negative log-likelihood in the working parameters, from the rows' own
    parameters; None when the model has no covariates, gives no gradient, or the result is not
    finite (the caller then takes differences over every parameter).

    Parameters
    ----------
    model : MaximumLikelihoodModel
        A model with ``_coefficient_blocks`` and a ``_loglik`` that returns per-row gradients.
    log_theta : numpy.ndarray
        Working parameters (log-parameters, then coefficients).
    arrays : tuple
        The rows the fit works on (with the covariate matrices it optimises over).
    counts : numpy.ndarray
        Customers per row.
    step : float
        Central-difference step on the log scale.

    Returns
    -------
    numpy.ndarray or None
        The (k, k) Hessian of −Σ w_i ℓ_i / Σ w_i.
    """
    blocks = list(getattr(model, "_coefficient_blocks", lambda _: ())(arrays))
    if not blocks:
        return None
    n_base = len(type(model).param_names)
    curvature = np.empty((n_base, n_base, counts.size))
    for m in range(n_base):
        shifted = []
        for sign in (1.0, -1.0):
            phi = np.array(log_theta, dtype="float64")
            phi[m] += sign * step
            own = _own_gradients(model, phi, arrays, n_base)
            if own is None:
                return None
            shifted.append(own)
        curvature[:, m] = (shifted[0] - shifted[1]) / (2.0 * step)
    curvature = (curvature + curvature.transpose(1, 0, 2)) / 2.0
    designs = [_design(m, blocks, counts.size) for m in range(n_base)]
    hessian = np.zeros((log_theta.size, log_theta.size))
    for m, (rows_m, x_m) in enumerate(designs):
        for n, (rows_n, x_n) in enumerate(designs):
            weighted = x_n * (counts * curvature[m, n])[:, None]
            hessian[np.ix_(rows_m, rows_n)] += np.einsum("ip,iq->pq", x_m, weighted)
    hessian = (hessian + hessian.T) / (-2.0 * counts.sum())
    return hessian if np.all(np.isfinite(hessian)) else None


def _own_gradients(model, phi, arrays, n_base):
    """∂ℓ_i/∂ρ_im for every row i and base parameter m, shape (n_base, rows)."""
    theta, d_theta = model._to_natural(phi)
    with np.errstate(all="ignore"):
        _, gradient = model._loglik(theta, arrays)
    if gradient is None:
        return None
    return gradient[:n_base] * d_theta[:n_base, None]


def _design(m: int, blocks, n_rows: int):
    """The working parameters ρ_im depends on, and ∂ρ_im/∂φ over them, one row per row."""
    columns, values = [m], [np.ones((n_rows, 1))]
    for block, z, links in blocks:
        for j, sign in links:
            if j == m:
                columns.extend(range(block.start, block.stop))
                values.append(sign * np.asarray(z, dtype="float64").reshape(n_rows, -1))
    return np.array(columns), np.hstack(values)
