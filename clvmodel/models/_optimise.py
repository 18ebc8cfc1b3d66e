"""Optimisation over working parameters, shared by every maximum-likelihood model.

Positive parameters are optimised on the log scale and unconstrained ones (covariate coefficients)
as they are. Newton steps with the model's analytic Hessian (scipy's ``trust-exact``) when it has
one, BFGS otherwise; a fit on a random subset of the distinct rows gives the Newton steps a warm
start; standard errors come from the Hessian at the optimum, and optima on the edge of the
parameter space are reported as such.
"""

from __future__ import annotations

import math
import warnings
from functools import partial
from types import SimpleNamespace

import numpy as np
import pandas as pd

from clvmodel._caller import outside_stacklevel
from clvmodel.errors import StatisticalWarning
from clvmodel.models._compress import weighted_sum
from clvmodel.models._covariate_scaling import CovariateScaling
from clvmodel.models._edge_stop import EDGE_PATIENCE, OnEdge, stop_if_stalled_on_edge
from clvmodel.models._link_hessian import link_hessian
from clvmodel.models._optimisers import newton, trust_exact

__all__ = ["WARM_START_ROWS", "Optimiser", "converged", "evaluate_at", "subsample_rows"]

# Above this many distinct rows, Newton fits start from a fit on a random quarter of this many.
WARM_START_ROWS = 200_000
# Plain Newton steps tried before scipy's trust region takes over.
_NEWTON_STEPS = 50


class Optimiser:
    """Mixin of :class:`clvmodel.models._fit.MaximumLikelihoodModel`: working parameters, the
    optimiser, the warm start, standard errors and the degeneracy check. It uses the model's
    ``param_names``, ``unconstrained_params``, ``_objective``, ``_loglik`` and ``_subsample``."""

    # ----------------------------------------------------------------------------------------------
    # Working parameters: log θ for positive parameters, θ itself for unconstrained ones.
    def _free_mask(self) -> np.ndarray:
        free = set(self.unconstrained_params)
        return np.array([name in free for name in self.param_names], dtype=bool)

    def _to_working(self, theta: np.ndarray) -> np.ndarray:
        free = self._free_mask()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(free, theta, np.log(np.where(free, 1.0, theta)))

    def _to_natural(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """θ from the working parameters, and dθ/dφ (θ for log-parameters, 1 for free ones)."""
        free = self._free_mask()
        # A step far off the scale gives 0 or inf here, which the callers treat as non-finite.
        with np.errstate(over="ignore", under="ignore"):
            theta = np.where(free, phi, np.exp(np.where(free, 0.0, phi)))
        return theta, np.where(free, 1.0, theta)

    def _working_derivatives(self, theta, grad, hess, total):
        """Mean negative gradient and Hessian in the working parameters, by the chain rule:
        d²/dφ² = d dᵀ ∘ H + diag(θ'' ∘ g), with d = dθ/dφ and θ'' = θ on the log scale, 0 else."""
        free = self._free_mask()
        d = np.where(free, 1.0, theta)
        gradient = -grad * d / total
        if hess is not None:
            hess = -(np.outer(d, d) * hess + np.diag(np.where(free, 0.0, theta) * grad)) / total
        return gradient, hess

    def _covariate_scaling(self, arrays, counts) -> CovariateScaling:
        """The prepared rows with standardised covariates, and the map of the working
        parameters fitted on them back to the covariates' units (the identity without
        covariates): see :mod:`clvmodel.models._covariate_scaling`."""
        return CovariateScaling(self, arrays, counts)

    def _numerical_gradient(self, theta, arrays, counts) -> np.ndarray:
        """Central differences of the weighted log-likelihood in the natural parameters: the
        fallback for a model that gives its log-likelihood without a gradient."""
        free = self._free_mask()
        steps = 1e-6 * np.where(free, np.maximum(np.abs(theta), 1.0), theta)
        gradient = np.empty(theta.size)
        for j in range(theta.size):
            up, down = theta.copy(), theta.copy()
            up[j] += steps[j]
            down[j] -= steps[j]
            difference = weighted_sum(self._loglik(up, arrays)[0], counts) - weighted_sum(
                self._loglik(down, arrays)[0], counts
            )
            gradient[j] = difference / (2.0 * steps[j])
        return gradient

    #: Parameters beyond these bounds (on the log scale) count as run off to 0 or infinity.
    _DEGENERATE_LOG_BOUND = math.log(1e5)

    #: What to try when a fit does not converge, in the words of the model's own table.
    _convergence_advice = (
        "  1. check the RFM table: recency ≤ T, frequency counts repeat purchases only;\n"
        "  2. use a time unit that keeps T in the tens to thousands (weeks or days);\n"
        "  3. pass initial_params= near plausible values;\n"
        "  4. raise max_iter=."
    )

    def _degeneracy_hint(self, parameters: list[str]) -> str:
        """What a run-away of these parameters means for this model (overridden per model)."""
        return "the data may not identify every parameter"

    def _edge_logs(self, theta: np.ndarray) -> np.ndarray:
        """How far each positive parameter lies from 1 on the log scale (0 for unconstrained
        ones); a model whose parameter carries a unit (a spend scale) measures it against the
        data's own scale instead."""
        free = self._free_mask()
        with np.errstate(divide="ignore"):  # a parameter run off to 0: −inf, an edge
            return np.where(free, 0.0, np.log(np.where(free, 1.0, theta)))

    def _edge(self, log_theta: np.ndarray) -> list[str]:
        """The parameters that have run off to 0 or infinity at these working parameters."""
        theta, _ = self._to_natural(log_theta)
        logs = self._edge_logs(theta)
        return [
            name
            for name, v in zip(self.param_names, logs, strict=True)
            if abs(v) > self._DEGENERATE_LOG_BOUND
        ]

    def _other_starts(self, arrays, counts, log_likelihood, on_edge) -> list[np.ndarray]:
        """Starting points (natural parameters) to try after the fit from the default start,
        which reached ``log_likelihood`` (None: it did not converge), on an edge or not; the
        highest maximum wins. None by default."""
        return []

    def _best_of_other_starts(self, arrays, counts, first, use_hessian: bool):
        """The fit from the default start (``first``, as :meth:`_fit_from` returns it), or the
        highest maximum reached from the model's other starts: for a likelihood with more than
        one maximum, or a supremum on an edge."""
        value, gradient = first[2:4]
        found = -value * counts.sum() if converged(value, gradient, self.tol) else None
        best = first
        for other in self._other_starts(arrays, counts, found, bool(self._edge(first[0].x))):
            candidate = self._fit_from(arrays, counts, self._to_working(other), use_hessian)
            if converged(*candidate[2:4], self.tol) and (
                not converged(*best[2:4], self.tol) or candidate[2] < best[2]
            ):
                best = candidate
        return best

    def _warn_if_degenerate(self, params: pd.Series, note: str = "") -> list[str]:
        """Warn, naming the parameters, when the optimum lies on the edge of the parameter space;
        return their names. ``note`` follows the values shown (where they are taken)."""
        edge = self._edge(self._to_working(params.to_numpy()))
        if not edge:
            return []
        shown = ", ".join(f"{name} = {params[name]:.3g}" for name in edge) + note
        warnings.warn(
            f"{type(self).__name__} ended on the edge of its parameter space ({shown}): "
            f"{self._degeneracy_hint(edge)}. Predictions are those of the limiting model; these "
            "parameters are not identified (no standard error).",
            StatisticalWarning,
            stacklevel=outside_stacklevel(),
        )
        return edge

    def _optimise(self, arrays, counts, start, use_hessian: bool, gtol: float, max_iter: int):
        """Minimise the mean negative log-likelihood over working parameters.

        Newton steps with the analytic Hessian when the model has one (plain Newton with a line
        search first, scipy's ``trust-exact`` when that fails), BFGS otherwise. Returns the
        optimiser's result (``x``, ``nit``, ``message``) and the cached objective, which maps
        working parameters to (value, gradient, Hessian or None).
        """
        total = counts.sum()
        cache: dict[bytes, tuple] = {}
        watch = {"edge": True, "evaluations": 0, "best": []}

        def evaluate(log_theta):
            # The optimiser asks for value, gradient and Hessian at the same point separately.
            key = log_theta.tobytes()
            if key not in cache:
                cache.clear()
                theta, _ = self._to_natural(log_theta)
                ll, grad, hess = self._objective(theta, arrays, counts, use_hessian)
                # Chain rule to log-parameters: d²/dφ² = θθᵀ ∘ H + diag(θ ∘ g) (see
                # _working_derivatives, which also handles unconstrained parameters).
                gradient, hess = self._working_derivatives(theta, grad, hess, total)
                cache[key] = (-ll / total, gradient, hess)
                watch["evaluations"] += 1
                # On an edge the likelihood keeps rising, ever more slowly, towards its supremum
                # at infinity: the optimisers would crawl on for thousands of steps (a minute on
                # 3,000 customers) for digits that change no prediction. Stop once the gradient
                # is below 1 % of tol (at tol, some Gamma-Gamma edges were still rising visibly).
                if (
                    watch["edge"]
                    and converged(*cache[key][:2], 1e-2 * self.tol)
                    and self._edge(log_theta)
                ):
                    raise OnEdge(log_theta.copy(), cache[key][1])
                if watch["edge"] and watch["evaluations"] > EDGE_PATIENCE:
                    stop_if_stalled_on_edge(self, watch["best"], log_theta, cache[key])
            return cache[key]

        try:
            hessian_of = partial(self._difference_hessian, evaluate, arrays, counts)
            result = self._minimise(evaluate, cache, start, use_hessian, gtol, max_iter, hessian_of)
        except OnEdge as edge:
            message = "stopped on an edge of the parameter space, the gradient below 1 % of tol"
            result = SimpleNamespace(
                x=edge.x, nit=watch["evaluations"], jac=edge.gradient, message=message
            )
        watch["edge"] = False
        return result, evaluate

    def _minimise(self, evaluate, cache, start, use_hessian, gtol, max_iter, hessian_of):
        """The optimisers of :meth:`_optimise`, in turn, on the cached objective."""
        if use_hessian:
            with np.errstate(all="ignore"):
                result = newton(evaluate, start, gtol, min(max_iter, _NEWTON_STEPS))
            if result is not None:
                if hasattr(result, "predicted"):
                    cache.clear()
                    cache[result.x.tobytes()] = result.predicted
                return result
        # Imported here: slow to import (a third of a second), and the Newton steps above
        # usually make it unnecessary.
        from scipy.optimize import minimize

        options = {"gtol": gtol, "maxiter": max_iter}
        with np.errstate(all="ignore"):
            if use_hessian:
                result = trust_exact(
                    lambda z: evaluate(z)[:2], start, lambda z: evaluate(z)[2], options
                )
            else:
                result = minimize(
                    lambda z: evaluate(z)[:2], start, jac=True, method="BFGS", options=options
                )
                if np.all(np.isfinite(result.x)) and np.max(np.abs(result.jac)) > gtol:
                    # BFGS stalls on flat, badly scaled likelihoods (covariates, long-tailed
                    # parameters): finish with Newton steps on a Hessian from gradient differences.
                    iterations = result.nit
                    result = trust_exact(
                        lambda z: evaluate(z)[:2],
                        result.x,
                        hessian_of,
                        {"gtol": gtol, "maxiter": min(50, max_iter)},
                    )
                    result.nit += iterations
        return result

    def _fit_from(self, arrays, counts, start, use_hessian: bool):
        """Optimise from one start: Newton steps (or BFGS), then BFGS where Newton steps did not
        converge. Returns the result, the objective, and the value, gradient and Hessian at the
        result."""
        gtol = self.tol * 1e-3
        result, evaluate = self._optimise(arrays, counts, start, use_hessian, gtol, self.max_iter)
        value, gradient, hessian = evaluate_at(evaluate, result.x)
        if use_hessian and not converged(value, gradient, self.tol):
            # Newton steps can overshoot towards a boundary where the likelihood loses precision
            # (a parameter running off to infinity); quasi-Newton steps approach it gently.
            result, evaluate = self._optimise(arrays, counts, start, False, gtol, self.max_iter)
            value, gradient, hessian = evaluate_at(evaluate, result.x)
        return result, evaluate, value, gradient, hessian

    def _subsample(self, arrays, counts, rows: np.ndarray):
        """The likelihood's arrays restricted to some distinct rows (for a warm start); None when
        the model does not support it (models whose arrays are one per row use
        :func:`subsample_rows`)."""
        return None

    def _warm_start(self, arrays, counts, start):
        """Starting point from a fit on a subset of the distinct rows.

        The subset's maximiser lies close to the full one, so the Newton steps on all rows that
        follow converge in two or three evaluations instead of five to eight. The rows that stand
        for the most customers (half the subset) are always in it, since their presence or
        absence would dominate the subset's error; the other half is a uniform sample of the
        remaining rows, whose counts are scaled up by the inverse of the sampling fraction, so
        that the subset's likelihood estimates the full one without bias.
        """
        size = WARM_START_ROWS // 4
        rng = np.random.default_rng(0)
        heavy = _largest(counts, size // 2)
        rest = np.ones(counts.size, dtype=bool)
        rest[heavy] = False
        others = np.flatnonzero(rest)
        sampled = rng.choice(others, size - heavy.size, replace=False)
        weights = counts.copy()
        weights[sampled] *= others.size / sampled.size
        rows = np.sort(np.concatenate([heavy, sampled]))
        subset = self._subsample(arrays, weights, rows)
        if subset is None:
            return start
        result, _ = self._optimise(*subset, start, use_hessian=True, gtol=1e-6, max_iter=100)
        return result.x if np.all(np.isfinite(result.x)) else start

    def _difference_hessian(self, evaluate, arrays, counts, log_theta) -> np.ndarray:
        """Hessian of the objective by differences of gradients: from each row's own parameters
        with covariates (:func:`link_hessian`, a few evaluations), over every parameter else."""
        hessian = link_hessian(self, log_theta, arrays, counts)
        if hessian is None:
            hessian = self._numerical_hessian(lambda z: evaluate(z)[1], log_theta)
        return hessian

    @staticmethod
    def _numerical_hessian(gradient, log_theta, step: float = 1e-5) -> np.ndarray:
        """Hessian by central differences of the analytic gradient, symmetrised."""
        k = log_theta.size
        hessian = np.empty((k, k))
        for j in range(k):
            shift = np.zeros(k)
            shift[j] = step
            hessian[:, j] = (gradient(log_theta + shift) - gradient(log_theta - shift)) / (2 * step)
        return (hessian + hessian.T) / 2

    def _standard_errors(self, hessian, log_theta, edge=(), scaling=None):
        """Covariance of the working parameters (log-parameters, and unconstrained parameters as
        they are) as the inverse of the observed information, and standard errors by the delta
        method (exact at the optimum, where the gradient is zero). Parameters on the edge of the
        parameter space (``edge``) are held at their limit: NaN for them, the inverse of the rest
        of the information for the others. With a :class:`CovariateScaling` (a fit on
        standardised covariates), both are mapped back to the covariates' units."""
        k = log_theta.size
        names = list(self.param_names)
        keep = np.array([name not in edge for name in names])
        covariance = np.full((k, k), np.nan)
        inner = _inverse_information(hessian, keep)
        if inner is None and edge and keep.any():
            # Next to a parameter that ran off, another may be left on a flat ridge (BG/NBD's b
            # once a → 0): a curvature at rounding level, of either sign. Hold those too.
            diagonal = np.abs(np.diag(hessian))
            keep &= diagonal > 1e-8 * diagonal[keep].max()
            inner = _inverse_information(hessian, keep)
        if inner is None and scaling is not None and scaling.active and keep.any():
            # A coefficient running off (a group that never drops out) can leave the base
            # parameters at the covariates' zero point on the edge while those at their means are
            # not: hold those, saying so unless the fit has warned of edges at the means.
            user = scaling.parameters(self, log_theta)
            warn = self._warn_if_degenerate
            held = self._edge(self._to_working(user.to_numpy())) if edge else warn(user)
            keep &= np.array([name not in held for name in names])
            inner = _inverse_information(hessian, keep) if held and keep.any() else None
        if inner is not None:
            covariance[np.ix_(keep, keep)] = inner
        elif keep.any():
            warnings.warn(
                "the Hessian at the optimum is not positive definite, so standard errors are not "
                "available; the data may not identify every parameter.",
                StatisticalWarning,
                stacklevel=outside_stacklevel(),
            )
        covariance = pd.DataFrame(covariance, index=names, columns=names)
        if scaling is not None:
            covariance = scaling.covariance_to_user(covariance)
            log_theta = scaling.to_user(log_theta)
        _, scale = self._to_natural(log_theta)
        diagonal = np.diag(covariance.to_numpy())
        errors = pd.Series(scale * np.sqrt(diagonal), index=names, name="std_error")
        return covariance, errors


def _largest(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of k largest values (ties at the threshold: the first ones). Partitioning the
    values and then finding the positions is several times faster than ``np.argpartition`` on
    counts with long runs of ties (measured 5 ms against 38 ms on 467,851 counts)."""
    threshold = np.partition(values, values.size - k)[values.size - k]
    above = np.flatnonzero(values > threshold)
    ties = np.flatnonzero(values == threshold)[: k - above.size]
    return np.concatenate([above, ties])


def _inverse_information(hessian: np.ndarray, keep: np.ndarray) -> np.ndarray | None:
    """Inverse of the Hessian restricted to ``keep``, or None when it is not a covariance."""
    try:
        with np.errstate(all="ignore"):
            inner = np.linalg.inv(hessian[np.ix_(keep, keep)])
    except np.linalg.LinAlgError:
        return None
    return inner if np.all(np.isfinite(inner)) and np.all(np.diag(inner) > 0) else None


def evaluate_at(evaluate, log_theta):
    """Objective, gradient and Hessian at a point, without floating-point warnings."""
    with np.errstate(all="ignore"):
        return evaluate(log_theta)


def converged(value, gradient, tol: float) -> bool:
    """Whether a fit has converged: finite value, and every gradient entry finite and below tol."""
    return bool(
        np.isfinite(value) and np.all(np.isfinite(gradient)) and np.max(np.abs(gradient)) < tol
    )


def subsample_rows(self, arrays, counts, rows):
    """``Optimiser._subsample`` for a model whose likelihood arrays all have one entry (or row)
    per distinct history: each restricted to ``rows``."""
    return tuple(a[rows] for a in arrays), counts[rows]
