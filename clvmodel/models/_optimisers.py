"""The two optimisers of :class:`clvmodel.models._optimise.Optimiser` that use a Hessian: plain
Newton steps with a backtracking line search (fast from a good start), and scipy's ``trust-exact``
guarded against a Hessian that stops being finite."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from clvmodel.errors import ClvError

__all__ = ["newton", "trust_exact"]

# Halvings of a Newton step before giving up on it; largest step in working parameters.
_HALVINGS = 30
_LARGEST_STEP = 2.0


def newton(evaluate, start: np.ndarray, gtol: float, max_iter: int):
    """Newton's method with a backtracking line search on the mean negative log-likelihood.

    Every step evaluates the value, gradient and Hessian together (one pass over the data), so
    from a good start the fit costs one pass per iteration and nothing else: no scipy import, no
    trust-region subproblem. Returns None, leaving the work to a trust region, as soon as the
    Hessian is not positive definite, a value is not finite, or a step cannot be made to
    decrease the objective.

    Near the optimum Newton's method converges quadratically: |g_{k+1}| ≈ C |g_k|², and C shows
    in the last two full steps. When the gradient that the next full step will leave, predicted
    so with a margin of 1000, is below the tolerance, the step is taken without evaluating its
    end point (a pass over the data that would only confirm it): the result then carries the
    quadratic model's value there, v + g·s/2 (exact to O(|s|³)), its gradient g + Hs, and the
    Hessian of the last point (``predicted``).
    """
    x = np.asarray(start, dtype="float64")
    value, gradient, hessian = evaluate(x)
    previous = None  # |g| before the last step, when that step was a full Newton step
    for iteration in range(max_iter + 1):
        if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
            return None
        size = np.max(np.abs(gradient))
        if size < gtol:
            return SimpleNamespace(
                x=x, nit=iteration, jac=gradient, success=True, message="Newton steps converged"
            )
        if iteration == max_iter or not np.all(np.isfinite(hessian)):
            return None
        try:
            np.linalg.cholesky(hessian)  # positive definite, so the step goes downhill
        except np.linalg.LinAlgError:
            return None
        step = -np.linalg.solve(hessian, gradient)
        full = np.max(np.abs(step)) <= _LARGEST_STEP
        if full and previous is not None and 1e3 * size**3 / previous**2 < gtol:
            predicted = (value + 0.5 * (gradient @ step), gradient + hessian @ step, hessian)
            return SimpleNamespace(
                x=x + step,
                nit=iteration + 1,
                jac=predicted[1],
                success=True,
                message="Newton steps converged (last step's end point from the quadratic model)",
                predicted=predicted,
            )
        step *= min(1.0, _LARGEST_STEP / max(np.max(np.abs(step)), 1e-300))
        # Near the optimum the decrease is below the value's rounding: accept those steps.
        slack = 1e-12 * max(abs(value), 1.0)
        halved = False
        for _ in range(_HALVINGS):
            trial = x + step
            new_value, new_gradient, new_hessian = evaluate(trial)
            if np.isfinite(new_value) and new_value <= value + 1e-4 * (gradient @ step) + slack:
                break
            step = step / 2.0
            halved = True
        else:
            return None
        previous = size if full and not halved else None
        x, value, gradient, hessian = trial, new_value, new_gradient, new_hessian
    return None  # pragma: no cover - the loop returns


def trust_exact(objective, start, hessian, options):
    """scipy's ``trust-exact`` from ``start``; where the Hessian stops being finite (a parameter
    running off to a boundary, where the likelihood loses precision) or scipy's step solver
    itself fails (it can, on degenerate likelihoods), the result is a failed one at ``start``, so
    that the caller tries another way or says the fit did not converge instead of passing on
    scipy's error. Errors raised by ``objective`` or ``hessian`` themselves are passed on."""
    from scipy.optimize import OptimizeResult, minimize

    own = []  # exceptions raised by the callbacks: not scipy's

    def noting(function):
        def call(z):
            try:
                return function(z)
            except BaseException as exc:
                own.append(exc)
                raise

        return call

    def finite_hessian(z):
        value = hessian(z)
        if not np.all(np.isfinite(value)):
            raise _NotFinite
        return value

    try:
        return minimize(
            noting(objective),
            start,
            jac=True,
            hess=noting(finite_hessian),
            method="trust-exact",
            options=options,
        )
    except _NotFinite:
        return OptimizeResult(
            x=start, nit=0, success=False, message="the Hessian stopped being finite"
        )
    except Exception as exc:
        if any(exc is raised for raised in own) or isinstance(exc, ClvError):
            raise
        return OptimizeResult(
            x=start,
            nit=0,
            success=False,
            message=f"scipy's trust-exact step solver failed ({type(exc).__name__}: {exc})",
        )


class _NotFinite(ArithmeticError):
    """Raised inside the optimiser when the Hessian is not finite."""
