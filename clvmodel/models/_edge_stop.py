"""Stopping an optimiser on an edge of the parameter space, where the likelihood keeps rising
ever more slowly towards its supremum at a parameter's limit (0 or infinity): the digits gained
there change no prediction."""

from __future__ import annotations

import numpy as np

__all__ = ["EDGE_PATIENCE", "OnEdge", "stop_if_stalled_on_edge"]

#: Evaluations over which the best objective must improve by 1 % of tol, once on an edge.
_EDGE_WINDOW = 50
#: Evaluations before the stall test starts: ordinary fits, edges included, end well before.
EDGE_PATIENCE = 200


def stop_if_stalled_on_edge(model, best: list, log_theta, evaluated) -> None:
    """Raise :class:`OnEdge` at the best point so far when it lies on an edge, its gradient is below
    tol (the fit's convergence test) and the mean log-likelihood has risen by less than 1 % of
    tol over the last :data:`_EDGE_WINDOW` evaluations. On a ridge towards infinity the gradient
    may never fall below 1 % of tol: at huge parameters the likelihood's rounding noise keeps
    some of its components above it (Pareto/NBD with s and β near 10⁷: 2,000 iterations, 37 s on
    2,000 customers, for a mean log-likelihood that rose by 10⁻⁸).

    Parameters
    ----------
    model : Optimiser
        The model being fitted (its ``tol`` and ``_edge``).
    best : list
        The best (objective, working parameters, gradient) after each evaluation so far, the
        last :data:`_EDGE_WINDOW` of them; updated in place.
    log_theta : numpy.ndarray
        The working parameters just evaluated.
    evaluated : tuple
        Their (mean negative log-likelihood, gradient, ...).

    Raises
    ------
    OnEdge
        At the best point so far, when the fit has stalled on an edge.
    """
    value, gradient = evaluated[:2]
    if not best or value < best[-1][0]:
        best.append((value, log_theta.copy(), gradient))
    else:
        best.append(best[-1])
    if len(best) > _EDGE_WINDOW:
        previous = best.pop(0)[0]
        now, x, at = best[-1]
        small = np.all(np.isfinite(at)) and np.max(np.abs(at)) < model.tol
        if small and previous - now < 1e-2 * model.tol and model._edge(x):
            raise OnEdge(x, at)


class OnEdge(Exception):
    """Raised inside the optimiser at a converged or stalled point on an edge of the parameter
    space."""

    def __init__(self, x: np.ndarray, gradient: np.ndarray):
        super().__init__("on an edge of the parameter space")
        self.x, self.gradient = x, gradient
