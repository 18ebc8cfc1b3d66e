"""The covariates of :func:`clvmodel.simulate_customers_with_covariates`: the covariate table,
the coefficients, and each customer's parameters base × exp(γᵀz_i) (the CLVTools form; Fader and
Hardie 2007), refused in the library's words when they leave the floats."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from clvmodel.errors import InputError

__all__ = ["covariate_values", "individual_params", "spend_scale"]


def covariate_values(covariates) -> tuple[np.ndarray, list]:
    """The covariate table as a finite float matrix, and its column names."""
    if not isinstance(covariates, pd.DataFrame) or len(covariates) == 0:
        raise InputError("covariates must be a non-empty DataFrame, one row per customer.")
    try:
        z = covariates.to_numpy(dtype="float64")
    except (TypeError, ValueError):
        raise InputError("covariates must hold numbers only; encode categories as 0/1.") from None
    if not np.all(np.isfinite(z)):
        raise InputError("covariates must be finite (no missing values).")
    return z, list(covariates.columns)


def _coefficient_vector(coefficients, columns, argument: str) -> np.ndarray:
    """Coefficients as a vector over ``columns`` (0 for a column not named)."""
    if not isinstance(coefficients, Mapping | None):
        raise InputError(
            f"{argument} must map covariate columns to numbers, such as "
            f"{{{str(columns[0])!r}: 0.5}}; got {coefficients!r}."
        )
    coefficients = dict(coefficients or {})
    unknown = sorted(set(coefficients) - set(columns))
    if unknown:
        raise InputError(
            f"{argument} names {unknown}, which are not columns of covariates ({list(columns)})."
        )
    listed = pd.Series([coefficients.get(c, 0.0) for c in columns], dtype=object)
    values = pd.to_numeric(listed, errors="coerce").to_numpy(dtype="float64")
    if not np.all(np.isfinite(values)):
        raise InputError(f"{argument} must be finite numbers, got {coefficients}.")
    return values


def _scaled(base, z, coefficients, argument: str) -> np.ndarray:
    """base × exp(γᵀz) per customer, refused when it overflows (or underflows to 0): covariates
    far from 0, such as an income in currency units, with a coefficient that is not tiny."""
    with np.errstate(over="ignore", under="ignore"):
        values = base * np.exp(z @ coefficients)
    if not np.all(np.isfinite(values) & (values > 0)):
        raise InputError(
            f"{argument} are too large for these covariates: exp(γᵀz) overflows for some "
            "customers. Centre and scale the covariates (e.g. income in thousands, minus its "
            "mean), or use smaller coefficients."
        )
    return values


def individual_params(model: str, base, z, columns, purchase_coefficients, dropout_coefficients):
    """Each customer's r, α_i and (a_i, b_i) (BG/NBD, MBG/NBD) or (s, β_i) (Pareto/NBD), from the
    base parameters (r, α, a, b) or (r, α, s, β): α_i = α exp(−γ_purchaseᵀz_i); a_i = a
    exp(γ_dropoutᵀz_i), b_i = b exp(γ_dropoutᵀz_i); β_i = β exp(−γ_dropoutᵀz_i)."""
    r, alpha, c, d = base
    g_purchase = _coefficient_vector(purchase_coefficients, columns, "purchase_coefficients")
    g_dropout = _coefficient_vector(dropout_coefficients, columns, "dropout_coefficients")
    alpha_i = _scaled(alpha, z, -g_purchase, "purchase_coefficients")
    if model == "pnbd":
        return r, alpha_i, c, _scaled(d, z, -g_dropout, "dropout_coefficients")
    a_i = _scaled(c, z, g_dropout, "dropout_coefficients")
    return r, alpha_i, a_i, _scaled(d, z, g_dropout, "dropout_coefficients")


def spend_scale(v: float, z, columns, spend_coefficients) -> np.ndarray:
    """Each customer's Gamma-Gamma scale v_i = v exp(γ_spendᵀz_i)."""
    g_spend = _coefficient_vector(spend_coefficients, columns, "spend_coefficients")
    return _scaled(v, z, g_spend, "spend_coefficients")
