"""The purchase-model protocol: what every "Buy Till You Die" model shares.

A purchase model (BG/NBD, MBG/NBD, Pareto/NBD) describes a customer by repeat purchases x,
the time of the last one t_x and the age T at the end of observation. Each model file declares its
parameters and a few static functions of plain arrays (the paper's appendix):

``_row_loglik(p, x, t_x, T, gradient)``
    per-customer log-likelihood and, optionally, its gradient in the natural parameters;
``_row_loglik_grad_hess(p, x, t_x, T)`` (optional)
    the same with the Hessian, from shared terms: the fit then takes Newton steps, one pass over
    the distinct histories each, with covariates too (the base applies the chain rule); a model
    may instead override ``_objective`` with sums over distinct values without covariates, as
    BG/NBD and Pareto/NBD do;
``_log_odds_dead(p, x, t_x, T)``
    log[P(dead at T) / P(alive at T)] given the history;
``_expected_if_alive(p, x, T, t)`` and ``_pmf_if_alive(p, k, x, T, t)``
    the number of purchases in (T, T + t] of a customer who is alive at T: its mean and its
    distribution (a customer who has dropped out buys nothing);
``_expected_new(p, t)`` and ``_pmf_new(p, n, t)``
    the same for a customer just acquired, X(t) in (0, t].

``p`` maps parameter names to numbers, or to arrays with one value per row when covariates give
each customer their own parameters. From these the base derives every prediction the same way
for every model, on the distinct histories only:

    P(alive) = 1 / (1 + exp(log_odds_dead)),
    E[Y(t) | history] = P(alive) · E_alive(t),
    P(X(T, T+t] = k | history) = P(alive) · P_alive(k) + (1 − P(alive)) · [k = 0].

Covariates are a mode of every model (Fader and Hardie 2007; CLVTools' parameterisation): the
class attribute ``covariate_links`` says which parameters each process's covariates scale,
θ_i = θ₀ exp(sign · γᵀz_i), and the base applies the chain rule to the model's gradient.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from clvmodel.errors import ClvError, InputError
from clvmodel.models._compress import weighted_compress, weighted_sum
from clvmodel.models._covariates import (
    covariate_matrix,
    covariate_names,
    linear_predictor,
    times_exp,
)
from clvmodel.models._fit import MaximumLikelihoodModel
from clvmodel.models._horizon import check_horizon
from clvmodel.models._new_customer_predictions import NewCustomerPredictions
from clvmodel.models._predictions import PurchasePredictions
from clvmodel.models._weights import check_weights
from clvmodel.rfm import validate_rfm

__all__ = ["HistoryRows", "PurchaseModel", "check_horizon"]


@dataclass
class HistoryRows:
    """Distinct customer histories (one row each) and their covariates."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    z_purchase: np.ndarray
    z_dropout: np.ndarray

    def subset(self, rows: np.ndarray) -> HistoryRows:
        """The same histories restricted to some rows."""
        return HistoryRows(
            self.x[rows], self.t_x[rows], self.T[rows], self.z_purchase[rows], self.z_dropout[rows]
        )


class PurchaseModel(PurchasePredictions, NewCustomerPredictions, MaximumLikelihoodModel):
    """Base class of the purchase (non-contractual) models; see the module docstring.

    Parameters
    ----------
    purchase_covariates, dropout_covariates : list of str
        Columns of the table passed to :meth:`fit` and to the predictions that shift the purchase
        process and the dropout process (see ``covariate_links`` for the parameters they scale).
        Each adds one coefficient, named ``purchase:<column>`` or ``dropout:<column>``.
    max_iter : int
        Largest number of optimiser iterations.
    tol : float
        Convergence threshold on the gradient of the mean log-likelihood per customer.
    """

    #: Name shown in tables and reports (for example "BG/NBD").
    label: ClassVar[str] = ""
    #: For each process, the parameters its covariates scale and the sign of the effect.
    covariate_links: ClassVar[Mapping[str, Mapping[str, float]]] = {}
    _setting_names = ("purchase_covariates", "dropout_covariates", "max_iter", "tol")

    def __init__(
        self,
        purchase_covariates=(),
        dropout_covariates=(),
        *,
        max_iter: int = 2000,
        tol: float = 1e-6,
    ):
        super().__init__(max_iter=max_iter, tol=tol)
        self.purchase_covariates = covariate_names(purchase_covariates, "purchase_covariates")
        self.dropout_covariates = covariate_names(dropout_covariates, "dropout_covariates")
        for process, names in self._processes():
            if names and process not in self.covariate_links:
                raise InputError(
                    f"{type(self).__name__} takes no {process} covariates; it links covariates "
                    f"to {sorted(self.covariate_links)}."
                )
        coefficients = tuple(
            f"{process}:{name}" for process, names in self._processes() for name in names
        )
        # The class's param_names are the model's own; an instance adds its coefficients.
        self.param_names = type(self).param_names + coefficients
        self.unconstrained_params = coefficients

    def _processes(self):
        return (("purchase", self.purchase_covariates), ("dropout", self.dropout_covariates))

    @property
    def has_covariates(self) -> bool:
        """True when the model gives each customer their own parameters from covariates."""
        return bool(self.purchase_covariates or self.dropout_covariates)

    # ----------------------------------------------------------------------------------------------
    # Model hooks (static functions of arrays; see the module docstring).
    _row_loglik = None
    _log_odds_dead = None
    _expected_if_alive = None
    _pmf_if_alive = None
    _expected_new = None
    _pmf_new = None
    #: Optional: P(alive at T + t | alive at T, x, T), for costs per active period.
    _survival_if_alive = None
    #: Optional: ``(p, x, T, t)`` → an object whose ``survival()`` gives P(X > k | alive) for
    #: k = 0, 1, … in turn, by recurrence (see clvmodel.models._intervals.count_steps).
    _count_recurrence = None

    def _initial_base(self, x, t_x, T, counts) -> np.ndarray:  # pragma: no cover - abstract
        """Starting values of the model's own parameters."""
        raise NotImplementedError

    # ----------------------------------------------------------------------------------------------
    # Fitting
    def _prepare(self, data, weights, time_unit=None):
        rfm = validate_rfm(data, time_unit=time_unit)
        weights = check_weights(weights, rfm.frequency.size)
        z_p = covariate_matrix(data, self.purchase_covariates, fitting=True)
        z_d = covariate_matrix(data, self.dropout_covariates, fitting=True)
        columns = (rfm.frequency, rfm.recency, rfm.T, *z_p.T, *z_d.T)
        distinct, counts = weighted_compress(columns, weights)
        keep = counts > 0  # a row of weight 0 stands for no customer
        distinct, counts = tuple(c[keep] for c in distinct), counts[keep]
        x, t_x, age = distinct[:3]
        if x.size and (age <= 0).all():
            raise InputError(
                "every customer has T = 0, so there is no time in which to observe purchases; "
                "choose a later observation_end."
            )
        if counts.sum() < 2:
            raise InputError(
                f"cannot fit {type(self).__name__} on {counts.sum():g} customer(s): the model "
                "describes differences between customers and needs many of them (hundreds or more)."
            )
        if not (x > 0).any():
            raise InputError(
                f"cannot fit {type(self).__name__}: no customer made a repeat purchase, so the "
                "purchase rate cannot be estimated (it would run to 0); observe the customers for "
                "longer (a later observation_end) or check the frequency column."
            )
        kp = z_p.shape[1]
        rows = HistoryRows(
            x, t_x, age, _stack(distinct[3 : 3 + kp], x.size), _stack(distinct[3 + kp :], x.size)
        )
        n_customers = rfm.frequency.size if weights is None else weights.sum()
        return rows, counts, n_customers

    def _initial(self, rows: HistoryRows, counts) -> np.ndarray:
        """The model's own starting values; with covariates, the fit without them (on the same
        histories) and every coefficient 0."""
        zeros = np.zeros(len(self.param_names) - len(type(self).param_names))
        base = self._initial_base(rows.x, rows.t_x, rows.T, counts)
        if self.has_covariates:
            histories = pd.DataFrame({"frequency": rows.x, "recency": rows.t_x, "T": rows.T})
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    plain = type(self)(max_iter=self.max_iter).fit(histories, weights=counts)
                base = plain.params_.to_numpy()
            except ClvError:
                pass
        return np.concatenate([np.asarray(base, dtype="float64"), zeros])

    def _subsample(self, rows, counts, subset):
        return rows.subset(subset), counts[subset]

    #: Optional: ``(p, x, t_x, T)`` → per-row log-likelihood, its gradient (k, rows) and its
    #: Hessian (k, k, rows) in the model's own parameters, from shared intermediate terms. A
    #: model that gives it is fitted by Newton steps, one pass per step, with covariates too.
    _row_loglik_grad_hess = None

    @property
    def _analytic_hessian(self) -> bool:
        return type(self)._row_loglik_grad_hess is not None

    def _objective(self, theta, rows, counts, hessian):
        """Sums over the distinct histories: with the model's fused value, gradient and Hessian
        when it has one (through :meth:`_covariate_totals` with covariates), else the base's
        row-by-row form."""
        fused = type(self)._row_loglik_grad_hess
        if fused is None:
            return super()._objective(theta, rows, counts, hessian)
        if self.has_covariates:
            return self._covariate_totals(theta, rows, counts, hessian)
        p = dict(zip(type(self).param_names, (float(v) for v in theta), strict=True))
        ll, grad, hess = fused(p, rows.x, rows.t_x, rows.T)
        totals = weighted_sum(ll, counts), weighted_sum(grad, counts)
        return *totals, (weighted_sum(hess, counts) if hessian else None)

    def _covariate_totals(self, theta, rows: HistoryRows, counts, hessian: bool):
        """Σ counts · ln L, its gradient and (optionally) its Hessian in (θ₀, γ), from the model's
        per-row derivatives g_i, H_i in each row's own parameters u_i by the chain rule:

            ∇ = Σ c_i J_iᵀ g_i,    ∇² = Σ c_i [J_iᵀ H_i J_i + Σ_j g_ij ∇²u_ij],

        with u_ij = θ₀_j exp(s γ_Pᵀz_i) for a parameter j linked (sign s) to the covariates z of
        process P, so that ∂u_ij/∂θ₀_j = u_ij/θ₀_j, ∂u_ij/∂γ_c = s u_ij z_ic,
        ∂²u_ij/∂θ₀_j∂γ_c = s z_ic u_ij/θ₀_j and ∂²u_ij/∂γ_c∂γ_d = z_ic z_id u_ij (s² = 1), and
        u_ij = θ₀_j otherwise. (Rows' parameters bounded by ``times_exp`` are treated as
        unbounded: the optimum lies far inside.)
        """
        names = type(self).param_names
        p = self._individual(theta, rows.z_purchase, rows.z_dropout)
        ll, g, h = type(self)._row_loglik_grad_hess(p, rows.x, rows.t_x, rows.T)
        n, k, m = ll.size, len(names), len(self.param_names)
        jacobian = np.zeros((n, k, m))
        for j, name in enumerate(names):
            jacobian[:, j, j] = p[name] / theta[j] if np.ndim(p[name]) else 1.0
        extra = np.zeros((m, m)) if hessian else None
        for block, z, links in self._coefficient_blocks(rows):
            for j, sign in links:
                name = names[j]
                jacobian[:, j, block] = (sign * p[name])[:, None] * z
                if hessian:
                    weighted = counts * g[j] * p[name]  # c_i g_ij u_ij
                    cross = sign * (weighted @ z) / theta[j]
                    extra[j, block] += cross
                    extra[block, j] += cross
                    extra[block, block] += np.einsum("i,ic,id->cd", weighted, z, z)
        grad = np.einsum("i,ijm,ji->m", counts, jacobian, g)
        if not hessian:
            return weighted_sum(ll, counts), grad, None
        weighted_h = h * counts  # (k, k, n)
        main = np.einsum("ija,jki,ikb->ab", jacobian, weighted_h, jacobian, optimize=True)
        return weighted_sum(ll, counts), grad, main + extra

    def _individual(self, theta, z_purchase, z_dropout) -> dict:
        """Each row's own parameters: θ_i = θ₀ exp(sign · γᵀz_i) for the linked parameters."""
        names = type(self).param_names
        params = dict(zip(names, (float(v) for v in theta[: len(names)]), strict=True))
        start = len(names)
        for (process, covariates), z in zip(
            self._processes(), (z_purchase, z_dropout), strict=True
        ):
            if not covariates:
                continue
            coefficients = np.asarray(theta[start : start + len(covariates)], dtype="float64")
            start += len(covariates)
            eta = linear_predictor(z, coefficients)
            for name, sign in self.covariate_links[process].items():
                params[name] = times_exp(params[name], sign * eta)
        return params

    def _loglik(self, theta, rows: HistoryRows):
        """Per-row log-likelihood and its gradient in (own parameters, coefficients).

        Chain rule from the model's gradient g in each row's own parameters θ_i: ∂/∂θ₀ = g θ_i/θ₀
        and ∂/∂γ_c = Σ over the linked θ of g · sign · θ_i · z_c.
        """
        p = self._individual(theta, rows.z_purchase, rows.z_dropout)
        ll, g = type(self)._row_loglik(p, rows.x, rows.t_x, rows.T, gradient=True)
        if g is None:
            return ll, None
        names = type(self).param_names
        grad = np.zeros((len(self.param_names), ll.size))
        for j, name in enumerate(names):
            grad[j] = g[j] * (p[name] / theta[j] if np.ndim(p[name]) else 1.0)
        for block, z, links in self._coefficient_blocks(rows):
            effect = sum(g[j] * sign * p[names[j]] for j, sign in links)
            grad[block] = (z * effect[:, None]).T
        return ll, grad

    def _coefficient_blocks(self, rows: HistoryRows):
        """Per process with covariates: the slice of its coefficients among the parameters, its
        covariate matrix, and the (index, sign) of each own parameter its covariates scale."""
        names = type(self).param_names
        start = len(names)
        for (process, covariates), z in zip(
            self._processes(), (rows.z_purchase, rows.z_dropout), strict=True
        ):
            if not covariates:
                continue
            block = slice(start, start + len(covariates))
            start += len(covariates)
            links = [
                (names.index(name), sign) for name, sign in self.covariate_links[process].items()
            ]
            yield block, z, links

    def _replace_covariates(self, rows: HistoryRows, matrices) -> HistoryRows:
        """The same histories with the covariate matrices of :meth:`_coefficient_blocks`
        replaced, in that order (the fit standardises them: see
        :mod:`clvmodel.models._covariate_scaling`)."""
        given = iter(matrices)
        z_p = next(given) if self.purchase_covariates else rows.z_purchase
        z_d = next(given) if self.dropout_covariates else rows.z_dropout
        return HistoryRows(rows.x, rows.t_x, rows.T, z_p, z_d)


def _stack(columns, n: int) -> np.ndarray:
    """Covariate columns as an (n, k) array, k possibly 0."""
    if not columns:
        return np.empty((n, 0))
    return np.column_stack(columns)
