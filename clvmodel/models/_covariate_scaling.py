"""The fit on standardised covariates, mapped back exactly to the covariates' own units.

A covariate's unit and origin carry no information: writing a column z as z = m + s·u, with m its
weighted mean and s its weighted standard deviation over the rows fitted, a row's own parameter

    θ_i = θ₀ exp(sign · γᵀz_i) = θ̃₀ exp(sign · δᵀu_i),   δ = γ ∘ s,   ln θ̃₀ = ln θ₀ + sign · γᵀm,

is the same model on the standardised columns u, with θ̃₀ the base parameter at the covariates'
means. The fit maximises the likelihood over (ln θ̃₀, δ), where the gradient-based convergence
test and the start (the fit without covariates, every coefficient 0) do not depend on how the
columns were recorded, and maps the estimate back by the linear map

    γ_c = δ_c / s_c,    ln θ₀ = ln θ̃₀ − sign · Σ_c δ_c m_c / s_c,

whose matrix J also maps the working covariance, Σ = J Σ̃ Jᵀ. The fitted model, its file and its
predictions are in the covariates' own units. Each model says which covariate matrices its
prepared rows hold and what they scale through two hooks: ``_coefficient_blocks(arrays)``, which
yields (slice of the coefficients among the parameters, covariate matrix, [(index of a base
parameter it scales, sign), ...]) per block, and ``_replace_covariates(arrays, matrices)``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from clvmodel._caller import outside_stacklevel
from clvmodel.errors import InputError, StatisticalWarning
from clvmodel.models._covariate_ranges import fitted_ranges
from clvmodel.models._covariates import refuse_dependent_columns

__all__ = ["CovariateScaling"]

#: Covariates whose weighted standard deviation lies outside these bounds are refused: a
#: coefficient and its variance scale as 1/s and 1/s², which beyond them leave the range of
#: floating-point numbers (a fitted effect of exactly 0, with a standard error of 0).
_SPREAD_BOUNDS = (1e-100, 1e100)


class CovariateScaling:
    """Standardised covariates for a fit, and the map of its working parameters back.

    Parameters
    ----------
    model : MaximumLikelihoodModel
        The model being fitted.
    arrays : object
        Its prepared rows (``model._prepare``).
    counts : numpy.ndarray
        Customers per row.

    Attributes
    ----------
    arrays : object
        The rows with standardised covariates (``arrays`` itself without covariates).
    active : bool
        Whether the model has covariates (without, every map is the identity).
    note : str
        Words for a warning about the fit's parameters, which are at the covariates' means.
    ranges : dict
        Each covariate's smallest and largest value over the customers fitted, ``{name: (min,
        max)}`` (see :mod:`clvmodel.models._covariate_ranges`).

    Raises
    ------
    InputError
        A covariate is constant over the rows fitted, or a block's columns are linearly dependent
        (see :func:`clvmodel.models._covariates.refuse_dependent_columns`).
    """

    def __init__(self, model, arrays, counts):
        blocks = list(model._coefficient_blocks(arrays)) if model.unconstrained_params else []
        k = len(model.param_names)
        self.active = bool(blocks)
        self.note = " at the covariates' means" if blocks else ""
        self.jacobian, self.inverse = np.eye(k), np.eye(k)
        self.ranges: dict[str, tuple[float, float]] = {}
        # Per block: the base parameters it scales, its coefficients, columns and means.
        self._offsets: list[tuple[list[int], np.ndarray, list[str], np.ndarray]] = []
        # Per block: the (base parameter, sign) pairs it scales, and its columns' spreads.
        self._links: list[list[tuple[int, float]]] = []
        self._spreads: list[np.ndarray] = []
        matrices = []
        for block, z, links in blocks:
            names = [name.split(":", 1)[1] for name in model.param_names[block]]
            argument = model.param_names[block][0].split(":", 1)[0] + "_covariates"
            mean, spread = _moments(z, counts)
            constant = [name for name, s in zip(names, spread, strict=True) if not s > 0]
            if constant:
                raise InputError(
                    f"{argument} {constant} take one value for every customer the model is "
                    "fitted on, so their effect cannot be told apart from the base parameters; "
                    "drop them."
                )
            _refuse_uninformed(model, arrays, counts, z, links, names, argument)
            _refuse_extreme_spreads(names, spread, argument)
            self.ranges.update(fitted_ranges(names, z[counts > 0]))
            standardised = (z - mean) / spread
            refuse_dependent_columns(standardised, counts, names, argument)
            matrices.append(standardised)
            rows = np.arange(k)[block]
            self.jacobian[rows, rows], self.inverse[rows, rows] = 1.0 / spread, spread
            for j, sign in links:
                self.jacobian[j, rows] = -sign * mean / spread
                self.inverse[j, rows] = sign * mean
            self._offsets.append(([j for j, _ in links], rows, names, mean))
            self._links.append(links)
            self._spreads.append(spread)
        self.arrays = model._replace_covariates(arrays, matrices) if blocks else arrays

    def runaway(self, model, working: np.ndarray, evaluate) -> list[str]:
        """Warn about, and return, the coefficients that have run off towards ±infinity.

        A coefficient runs off when the likelihood keeps rising as it grows, towards some
        customers' parameter at its limit (a group that never buys again, never drops out or
        never cancels): the fit stops where the gradient fades, at an arbitrary value and
        standard error. Such a coefficient has an effect over its covariate's fitted range,
        |γ| (max z − min z), beyond the factor 10⁵ at which a parameter counts as on an edge
        (``_DEGENERATE_LOG_BOUND``), and doubling it, with the parameters at one end of the
        range held, leaves the likelihood where it is (a real effect that large would lose
        much of it). The fit holds such a coefficient, as a parameter on an edge.

        Parameters
        ----------
        model : MaximumLikelihoodModel
            The model fitted.
        working : numpy.ndarray
            The fit's working parameters (on the standardised covariates).
        evaluate : callable
            Working parameters → (mean negative log-likelihood, ...), as the fit optimised.

        Returns
        -------
        list of str
            The names of the coefficients that ran off.
        """
        if not self.active:
            return []
        user, bound = self.to_user(working), model._DEGENERATE_LOG_BOUND
        with np.errstate(all="ignore"):
            here = float(evaluate(working)[0])
        found = []
        for (_, rows, names, means), links, spreads in zip(
            self._offsets, self._links, self._spreads, strict=True
        ):
            for row, name, mean, spread in zip(rows, names, means, spreads, strict=True):
                low, high = self.ranges[name]
                if abs(user[row]) * (high - low) <= bound:
                    continue
                for end in (low, high):
                    doubled = working.copy()
                    doubled[row] = 2.0 * working[row]
                    for j, sign in links:  # the parameters at z = end stay as they are
                        doubled[j] -= sign * working[row] * (end - mean) / spread
                    with np.errstate(all="ignore"):
                        if float(evaluate(doubled)[0]) - here < model.tol:
                            found.append((model.param_names[row], user[row], low, high))
                            break
        if found:
            shown = ", ".join(f"{n} = {v:.3g} over [{lo:g}, {hi:g}]" for n, v, lo, hi in found)
            warnings.warn(
                f"{type(model).__name__}: a coefficient ran off towards ±infinity ({shown}): "
                f"across the covariate's fitted range it changes a parameter by more than a "
                f"factor {math.exp(bound):,.0f}, as when a group never buys again, never drops "
                "out or never cancels. Its value is not identified (no standard error); "
                "predictions are those of the limiting model. Drop or merge the covariate, or "
                "its group.",
                StatisticalWarning,
                stacklevel=outside_stacklevel(),
            )
        return [name for name, *_ in found]

    def to_scaled(self, working: np.ndarray) -> np.ndarray:
        """Working parameters in the covariates' units → those of the standardised fit."""
        return self.inverse @ working if self.active else working

    def to_user(self, working: np.ndarray) -> np.ndarray:
        """Working parameters of the standardised fit → those in the covariates' units."""
        return self.jacobian @ working if self.active else working

    def covariance_to_user(self, covariance: pd.DataFrame) -> pd.DataFrame:
        """J Σ̃ Jᵀ; a parameter that depends on one without a variance (held on an edge) gets
        none either."""
        if not self.active:
            return covariance
        matrix = covariance.to_numpy()
        unknown = np.isnan(np.diag(matrix))
        mapped = self.jacobian @ np.where(np.isnan(matrix), 0.0, matrix) @ self.jacobian.T
        lost = (self.jacobian[:, unknown] != 0.0).any(axis=1)
        mapped[lost, :] = np.nan
        mapped[:, lost] = np.nan
        return pd.DataFrame(mapped, index=covariance.index, columns=covariance.columns)

    def parameters(self, model, working: np.ndarray) -> pd.Series:
        """The model's parameters, in the covariates' units, at the fit's working parameters.

        Raises
        ------
        InputError
            A base parameter at covariates 0 is beyond the floating-point range (a covariate
            far from 0 everywhere with a large effect: a year, say); it names the covariates.
        """
        user = self.to_user(working)
        theta, _ = model._to_natural(user)
        if self.active:
            bad = ~np.isfinite(theta) | (~model._free_mask() & ~(theta > 0))
            # The columns whose effect at covariates 0 (coefficient × mean) is large.
            offsets = [
                (name, value)
                for links, rows, names, means in self._offsets
                if bad[links].any()
                for name, value, shift in zip(names, means, np.abs(user[rows] * means), strict=True)
                if shift > 1.0
            ]
            if offsets:
                beyond = ", ".join(
                    f"ln {name} = {value:.6g}"
                    for name, value, out in zip(model.param_names, user, bad, strict=True)
                    if out
                )
                shown = ", ".join(f"{name!r} (mean {value:.6g})" for name, value in offsets)
                raise InputError(
                    f"at covariates 0 the base parameters are beyond the range of floating-point "
                    f"numbers ({beyond}): the covariates {shown} lie far from 0 and their effects "
                    "are large. Centre them (subtract a typical value, such as the mean) and "
                    "refit."
                )
        return model._checked_params(dict(zip(model.param_names, theta, strict=True)))


def _moments(z: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means and standard deviations of the columns of ``z``, the deviations divided
    by their largest size first, so that squares neither overflow (values of 1e160) nor
    underflow to 0 (values of 1e-170, which would read as a constant column)."""
    mean = np.average(z, axis=0, weights=counts)
    deviation = z - mean
    largest = np.max(np.abs(deviation), axis=0, initial=0.0)
    size = np.where(largest > 0, largest, 1.0)
    spread = largest * np.sqrt(np.average((deviation / size) ** 2, axis=0, weights=counts))
    return mean, spread


def _refuse_uninformed(model, arrays, counts, z, links, names, argument) -> None:
    """Refuse covariates that vary only among rows whose likelihood does not depend on the
    parameters they scale (``model._rows_informing``: BG/NBD's and MBG/NBD's customers without
    a repeat purchase say nothing about dropout covariates), so that their effect is not
    identified."""
    informing = getattr(model, "_rows_informing", None)
    mask = informing(arrays, links) if informing is not None else None
    if mask is None or not mask.any():
        return
    _, spread = _moments(z[mask], counts[mask])
    constant = [name for name, s in zip(names, spread, strict=True) if not s > 0]
    if constant:
        raise InputError(
            f"{argument} {constant} take one value among the customers {model._informing_rows} "
            f"(they vary only among the others); {model._informing_reason}, so their effect "
            "cannot be estimated. Drop them."
        )


def _refuse_extreme_spreads(names, spread, argument) -> None:
    """Refuse covariates whose spread lies outside ``_SPREAD_BOUNDS``, asking for other units."""
    low, high = _SPREAD_BOUNDS
    extreme = [
        f"{name!r} (standard deviation {s:.3g})"
        for name, s in zip(names, spread, strict=True)
        if not low <= s <= high
    ]
    if extreme:
        raise InputError(
            f"{argument} {', '.join(extreme)} vary on a scale beyond what the fit can compute "
            f"with (from {low:g} to {high:g}): their coefficients would be lost to rounding; "
            "express them in other units (multiply or divide by a power of 10) and refit."
        )
