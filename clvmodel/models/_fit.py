"""Shared maximum-likelihood machinery for clvmodel's models.

A concrete model names its parameters and supplies three things: how to turn a table into the
arrays its likelihood needs (:meth:`_prepare`, which also compresses identical rows into one row
with a count), the per-row log-likelihood with its gradient (:meth:`_loglik`), and a starting point
(:meth:`_initial`). This base does the rest: the fit (compression in
:mod:`clvmodel.models._compress`; optimisation over log-parameters with analytic gradients, the
warm start, the convergence check and standard errors from the Hessian in
:mod:`clvmodel.models._optimise`), the summary table, and versioned JSON persistence (no pickle).

Parameters are positive by default and optimised on the log scale. A model may name some of them in
``unconstrained_params`` (for example regression coefficients of covariates, which can be
negative): those are optimised as they are, and may be any finite number.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from clvmodel._files import write_text_atomically
from clvmodel._rfm_validate import table_time_unit
from clvmodel.errors import ConvergenceError, InputError, NotFittedError
from clvmodel.models._compress import compress_rows, weighted_sum
from clvmodel.models._fit_section import BOOTSTRAP_KEY, bootstrap_section, fit_section
from clvmodel.models._identification import warn_if_unidentified
from clvmodel.models._optimise import WARM_START_ROWS, Optimiser, converged
from clvmodel.models._settings import refuse_bad_settings, renew_settings, settings_for_file
from clvmodel.models._weights import align_weights
from clvmodel.models._weights import check_weights as check_weights
from clvmodel.rfm import TIME_UNITS

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "MaximumLikelihoodModel", "compress_rows"]

FORMAT_NAME = "clvmodel-model"
FORMAT_VERSION = 1

REGISTRY: dict[str, type[MaximumLikelihoodModel]] = {}

# Convergence is judged on the gradient of the mean negative log-likelihood per customer.
_GRADIENT_TOLERANCE = 1e-6


class MaximumLikelihoodModel(Optimiser):
    """Base class: fit by maximum likelihood over log-parameters; save and load as JSON.

    Subclasses set ``param_names`` and implement ``_prepare``, ``_loglik`` and ``_initial``.
    Parameters named in ``unconstrained_params`` may take any finite value (the others must be
    positive); a model whose parameter names depend on its settings sets both as instance
    attributes and lists its extra settings in ``_setting_names`` so that they are saved.
    Fitted state ends in ``_``: ``params_``, ``log_likelihood_``, ``standard_errors_``,
    ``covariance_``, ``n_customers_``, ``n_distinct_rows_``, ``n_iterations_``, ``time_unit_``,
    ``covariate_ranges_`` (each covariate's fitted range: see
    :mod:`clvmodel.models._covariate_ranges`).
    """

    param_names: ClassVar[tuple[str, ...]] = ()
    #: Parameters that may be any finite number (optimised as they are, not on the log scale).
    unconstrained_params: ClassVar[tuple[str, ...]] = ()
    #: Constructor arguments saved in the JSON file's ``settings``.
    _setting_names: ClassVar[tuple[str, ...]] = ("max_iter", "tol")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        REGISTRY[cls.__name__] = cls

    def __init__(self, *, max_iter: int = 2000, tol: float = _GRADIENT_TOLERANCE):
        self.max_iter = max_iter
        self.tol = tol

    # ----------------------------------------------------------------------------------------------
    # Hooks for subclasses.
    def _prepare(self, data, weights: np.ndarray | None, time_unit: str | None = None):
        """Return ``(arrays, counts, n_customers)`` for the likelihood; ``time_unit`` is the
        unit of a table that does not record it (``fit``'s argument)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _loglik(self, theta: np.ndarray, arrays) -> tuple[np.ndarray, np.ndarray]:
        """Per-row log-likelihood and its gradient in the natural parameters, shape (k, rows)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _initial(self, arrays, counts: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    #: True when :meth:`_objective` returns an analytic Hessian; the fit then takes Newton steps.
    _analytic_hessian: ClassVar[bool] = False

    def _objective(self, theta, arrays, counts, hessian: bool):
        """Weighted log-likelihood, gradient and (optionally) Hessian in the natural parameters.

        The default sums :meth:`_loglik` over rows and has no Hessian; models with a faster,
        aggregated form override it and set ``_analytic_hessian``.
        """
        ll, grad = self._loglik(theta, arrays)
        if grad is None:
            return weighted_sum(ll, counts), self._numerical_gradient(theta, arrays, counts), None
        return weighted_sum(ll, counts), weighted_sum(grad, counts), None

    # ----------------------------------------------------------------------------------------------
    @classmethod
    def from_params(cls, params, time_unit: str | None = None, **kwargs):
        """Build a model from known parameters, for scoring without fitting.

        Parameters
        ----------
        params : mapping or pandas.Series
            One finite value per name in ``param_names`` (a fitted model's ``params_`` serves),
            positive unless the name is in ``unconstrained_params``.
        time_unit : {"D", "W"}, optional
            The time unit the parameters refer to.

        Returns
        -------
        model
            A model whose prediction methods can be called at once.

        Raises
        ------
        InputError
            A parameter is missing, unknown or out of range, or a setting is invalid.
        """
        model = cls(**kwargs)
        refuse_bad_settings(model.max_iter, model.tol)  # as fit does, and as loading its file
        model.params_ = model._checked_params(params)
        model.time_unit_ = _check_time_unit(time_unit)
        return model

    def parameter_samples(self, method: str = "delta", n_draws: int = 200, seed=0) -> list:
        """Copies of the model at parameter values spread by its estimation uncertainty.

        Parameters
        ----------
        method : {"delta", "draws", "bootstrap"}
            ``"delta"``: the 2k sigma points φ̂ ± √k·Lᵢ of the asymptotic normal of the working
            parameters (Σ = LLᵀ, the fit's ``covariance_``), for delta-method intervals;
            ``"draws"``: ``n_draws`` random draws from it, for percentile intervals;
            ``"bootstrap"``: the replicates of :meth:`bootstrap`.
        n_draws : int
            Number of draws (``method="draws"``).
        seed : int or numpy.random.Generator, optional
            Seed of the draws.

        Returns
        -------
        list
            Models of the same kind, settings and time unit, one per parameter vector.
        """
        from clvmodel.models._intervals import parameter_points

        points = parameter_points(self, method, n_draws, seed)
        settings = {name: getattr(self, name) for name in self._setting_names}
        unit = getattr(self, "time_unit_", None)
        return [
            type(self).from_params(
                dict(zip(self.param_names, theta, strict=True)), unit, **settings
            )
            for theta in points
        ]

    def bootstrap(self, data, n_draws: int = 100, seed=0, weights=None):
        """Refit on ``n_draws`` bootstrap samples of the customers, for ``method="bootstrap"``
        intervals (see :func:`clvmodel.models._bootstrap.bootstrap_parameters`).

        Parameters
        ----------
        data : pandas.DataFrame
            The table the model was fitted on.
        n_draws : int
            Bootstrap replicates (refits on the distinct histories: cheap).
        seed : int or numpy.random.Generator, optional
            For reproducible replicates.
        weights : array_like, optional
            As given to :meth:`fit`.

        Returns
        -------
        self
            With ``bootstrap_params_``, one row per converged replicate.
        """
        from clvmodel.models._bootstrap import bootstrap_parameters

        replicates = bootstrap_parameters(self, data, n_draws, seed, weights)
        self.bootstrap_params_ = pd.DataFrame(replicates, columns=list(self.param_names))
        return self

    def _checked_params(self, params) -> pd.Series:
        """The parameters as a labelled Series, after checking names and values."""
        try:
            values = {name: float(params[name]) for name in self.param_names}
        except KeyError as exc:
            raise InputError(
                f"{type(self).__name__} needs parameters {list(self.param_names)}; "
                f"{exc.args[0]!r} is missing."
            ) from None
        except (TypeError, ValueError) as exc:
            raise InputError(f"parameters must be numbers: {exc}") from None
        extra = set(params.keys()) - set(self.param_names)  # a dict or a Series (params_)
        if extra:
            raise InputError(
                f"unknown parameter(s) {sorted(extra)} for {type(self).__name__}; it takes "
                f"{list(self.param_names)}."
            )
        free = set(self.unconstrained_params)
        bad = {
            k: v for k, v in values.items() if not math.isfinite(v) or (k not in free and v <= 0)
        }
        if bad:
            coefficients = f" ({sorted(free)} may be any finite number)" if free else ""
            raise InputError(f"parameters must be positive and finite{coefficients}; got {bad}.")
        return pd.Series(values, name="estimate", dtype="float64")

    def _check_fitted(self) -> np.ndarray:
        if not hasattr(self, "params_"):
            raise NotFittedError(
                f"this {type(self).__name__} has no parameters yet: call fit(data) first, or build "
                f"it with {type(self).__name__}.from_params(...)."
            )
        return self.params_.to_numpy()

    # ----------------------------------------------------------------------------------------------
    # Over 80 lines for its docstring (the body is under 50).
    def fit(self, data, weights=None, initial_params=None, time_unit=None):
        """Estimate the parameters by maximum likelihood.

        Parameters
        ----------
        data : pandas.DataFrame
            An RFM table (see :func:`clvmodel.rfm_summary`).
        weights : array_like or pandas.Series, optional
            How many customers each row stands for (default 1 each): an array in the table's
            row order, or a Series matched to the rows by customer id.
        initial_params : mapping, optional
            Starting values; the default suits most data. After a fit from the default start,
            a model may try other starts (Gamma-Gamma does: see the Correctness page of the user
            guide), and the highest maximum is kept.
        time_unit : {"D", "W"}, optional
            The unit of ``recency`` and ``T`` for a table that does not record it in ``attrs``
            (:func:`clvmodel.rfm_summary` does); the model keeps it to convert ``"12M"``, and
            in it no customer may have more repeat purchases than days in recency.

        Returns
        -------
        self

        Raises
        ------
        InputError
            The table is unusable (see :func:`clvmodel.rfm.validate_rfm`), ``time_unit``
            contradicts the unit the table records, or a process's covariates are constant or
            linearly dependent (the fit standardises them: their units do not matter).
        ConvergenceError
            The optimiser did not reach a point where the gradient vanishes.

        Warns
        -----
        StatisticalWarning
            The maximum lies on an edge of the parameter space (a parameter beyond a factor
            10⁵ from 1, or a coefficient whose effect over its covariate's fitted range is
            beyond that factor): the parameters named are not identified.
        """
        started = time.perf_counter()
        self._forget_fit()
        renew_settings(self)  # settings may have been set as attributes since construction
        refuse_bad_settings(self.max_iter, self.tol)
        unit = table_time_unit(data, time_unit)
        weights = align_weights(weights, data)
        arrays, counts, n_customers = self._prepare(data, weights, unit)
        scaling = self._covariate_scaling(arrays, counts)  # the fit on standardised covariates
        arrays, total, use_hessian = scaling.arrays, counts.sum(), self._analytic_hessian
        if initial_params is None:
            start = self._to_working(np.asarray(self._initial(arrays, counts), dtype="float64"))
            if use_hessian and counts.size > WARM_START_ROWS:
                start = self._warm_start(arrays, counts, start)
        else:
            start = scaling.to_scaled(self._to_working(self._checked_params(initial_params)))
        fitted = self._fit_from(arrays, counts, start, use_hessian)
        if initial_params is None:
            fitted = self._best_of_other_starts(arrays, counts, fitted, use_hessian)
        result, evaluate, value, gradient, hessian = fitted
        log_theta, gradient_norm = result.x, float(np.max(np.abs(gradient)))
        if not converged(value, gradient, self.tol):
            raise ConvergenceError(
                f"{type(self).__name__} did not converge after {result.nit} iterations (largest "
                f"gradient {gradient_norm:.3g}, optimiser says: {result.message}). Things to try:\n"
                + self._convergence_advice
            )
        theta, _ = self._to_natural(log_theta)
        params = self._checked_params(dict(zip(self.param_names, theta, strict=True)))
        if hessian is None and use_hessian:
            # Quasi-Newton finished the fit: the analytic Hessian still gives the errors.
            with np.errstate(all="ignore"):
                ll, grad, hess = self._objective(theta, arrays, counts, True)
            hessian = self._working_derivatives(theta, grad, hess, total)[1]
        if hessian is None or not np.all(np.isfinite(hessian)):
            hessian = self._difference_hessian(evaluate, arrays, counts, log_theta)
        edge = self._warn_if_degenerate(params, scaling.note)
        edge += scaling.runaway(self, log_theta, evaluate)  # coefficients run off to ±infinity
        covariance, errors = self._standard_errors(hessian * total, log_theta, edge, scaling)
        if not scaling.active:  # with covariates, base parameters at z = 0 may be far out
            warn_if_unidentified(self, params, errors, edge)
        # Fitted state is set only now, after every check has passed (the last one here).
        self.params_ = scaling.parameters(self, log_theta)
        self.log_likelihood_ = float(-value * total)
        self.n_customers_, self.n_distinct_rows_ = int(n_customers), int(counts.size)
        self.n_iterations_ = int(result.nit)
        self.time_unit_ = _check_time_unit(unit)
        self.covariance_, self.standard_errors_ = covariance, errors
        self.covariate_ranges_ = scaling.ranges  # predictions warn far outside them
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _forget_fit(self) -> None:
        """Drop the fitted state of an earlier fit, so that a failed fit leaves none behind."""
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, name)

    # ----------------------------------------------------------------------------------------------
    @property
    def summary(self) -> pd.DataFrame:
        """Parameter table: estimate, standard error and a 95 % interval from the log scale
        (symmetric on the natural scale for ``unconstrained_params``)."""
        self._check_fitted()
        table = pd.DataFrame({"estimate": self.params_})
        errors = getattr(self, "standard_errors_", None)
        if errors is not None:
            free = self._free_mask()
            # exp overflows for a log-scale error of hundreds: then the interval is (0, inf).
            with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
                half = 1.959964 * errors
                spread = np.exp(half / self.params_)
                table["std_error"] = errors
                table["lower_95"] = np.where(free, self.params_ - half, self.params_ / spread)
                table["upper_95"] = np.where(free, self.params_ + half, self.params_ * spread)
            unbounded = errors.notna() & ~np.isfinite(table["upper_95"])
            if errors.isna().any() or unbounded.any():
                table["note"] = np.select(
                    [errors.isna(), unbounded], ["not identified", "not bounded by the data"], ""
                )
        # rename_axis gives the table its own index: naming the shared one in place would rename
        # params_'s index too.
        return table.rename_axis("parameter")

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"{type(self).__name__}()"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"{type(self).__name__}({shown})"

    # ----------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The model as a JSON-ready dictionary (see :meth:`save`)."""
        from clvmodel._version import __version__

        self._check_fitted()
        document = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "model": type(self).__name__,
            "clvmodel_version": __version__,
            "time_unit": self.time_unit_,
            "params": {k: float(v) for k, v in self.params_.items()},
            "settings": settings_for_file(self),
            "fit": fit_section(self),
        }
        levels = getattr(self, "covariate_levels_", None)
        if levels:  # text columns behind indicator covariates (the command line records them)
            document["covariate_levels"] = {c: list(v) for c, v in levels.items()}
        if hasattr(self, "bootstrap_params_"):  # for method="bootstrap" intervals after loading
            document[BOOTSTRAP_KEY] = bootstrap_section(self)
        return document

    def save(self, path: str | os.PathLike) -> Path:
        """Save the model as versioned JSON, atomically. Load it with :func:`clvmodel.load_model`.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        return write_text_atomically(path, json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def from_dict(cls, document: dict[str, Any], source: str = "model document"):
        """Rebuild a model from :meth:`to_dict` output, validating every field."""
        from clvmodel.models._persistence import model_from_document

        return model_from_document(document, source, expected=cls)


def _check_time_unit(time_unit):
    if time_unit is not None and time_unit not in TIME_UNITS:
        raise InputError(f"time_unit={time_unit!r} is not supported; use 'D' or 'W'.")
    return time_unit
