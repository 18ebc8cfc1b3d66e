"""Covariates as a mode of every model: checked covariate columns and linear predictors.

A model with covariates gives customer i its own parameters, θ_i = θ₀ exp(sign · γᵀz_i), for the
parameters a process's covariates act on (Fader and Hardie 2007, "Incorporating time-invariant
covariates into the Pareto/NBD and BG/NBD models"; the parameterisation of CLVTools). These helpers
read and check the covariate columns; :mod:`clvmodel.models.base` applies them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._reading_text import missing_texts_as_nan
from clvmodel.errors import InputError

__all__ = [
    "MAX_LINEAR_PREDICTOR",
    "covariate_matrix",
    "covariate_names",
    "linear_predictor",
    "parse_numbers",
    "refuse_dependent_columns",
    "times_exp",
]

# A row's own parameter θ₀ exp(η) is kept within e^±(this + |ln θ₀|), so that a wild optimiser
# step gives a large, finite value instead of inf; the optimum of any sensible data set lies far
# inside. (The fit works on standardised covariates, where |η| stays small.)
MAX_LINEAR_PREDICTOR = 300.0
# Largest |ln θ| a row's own parameter may take: e^700 ≈ 1e304 is still finite.
_MAX_LOG = 700.0
# Standardised covariate columns whose smallest singular value (relative to the largest) is below
# this are linearly dependent: a correlation within 1e-14 of ±1, beyond the digits of any data.
_RANK_TOLERANCE = 1e-7


def parse_numbers(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A column as numbers: booleans as 0/1, texts parsed, and which values are not numbers.

    Parameters
    ----------
    column : pandas.Series
        A numeric, boolean or text column.

    Returns
    -------
    converted : pandas.Series
        The numbers, missing where a value is missing or did not parse.
    unparsed : pandas.Series of bool
        True where a value is present but is not a number.
    """
    if pd.api.types.is_bool_dtype(column):
        column = column.astype("float64")
    converted = pd.to_numeric(column, errors="coerce")
    return converted, converted.isna() & column.notna()


def covariate_names(names, argument: str) -> list[str]:
    """Validate a list of covariate column names."""
    if isinstance(names, str):
        names = [names]
    try:
        names = list(names)
    except TypeError:
        raise InputError(
            f"{argument} must be a list of column names, got {names!r}; for example "
            f"{argument}=['log_first_amount']."
        ) from None
    bad = [n for n in names if not isinstance(n, str) or not n]
    if bad:
        raise InputError(f"{argument} must hold non-empty column names (strings), got {bad!r}.")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"{argument} names {repeated} more than once; list each column once.")
    return names


def covariate_matrix(data, names: list[str], *, fitting: bool) -> np.ndarray:
    """The named covariate columns of ``data`` as an (n, k) float array, checked.

    Parameters
    ----------
    data : pandas.DataFrame or mapping
        The table holding the covariate columns.
    names : list of str
        Covariate column names.
    fitting : bool
        Also refuse constant columns, which the model cannot tell apart from its intercept
        (the fit refuses linearly dependent ones: see :func:`refuse_dependent_columns`).

    Returns
    -------
    numpy.ndarray
        Shape (rows, len(names)).

    Raises
    ------
    InputError
        A column is missing, not numeric, holds missing or infinite values, or (when fitting) is
        constant.
    """
    columns = list(data.columns) if isinstance(data, pd.DataFrame) else list(data)
    missing = [n for n in names if n not in columns]
    if missing:
        raise InputError(
            f"the data have no covariate column {', '.join(map(repr, missing))}; the columns are "
            f"{list(map(str, columns))}. Add the covariates to the table (e.g. rfm.join(attributes)"
            ", which drops the recorded time unit: pass time_unit= to the model's methods, "
            "rfm_time_unit= to customer_lifetime_value, churn_risk and score_customers) or name "
            "the right columns."
        )
    # A mapping may hold one value per column (a single customer) or one per row.
    n = len(data) if isinstance(data, pd.DataFrame) else np.size(next(iter(data.values()), []))
    matrix = np.empty((n, len(names)))
    for j, name in enumerate(names):
        column = _text_as_numbers(name, _refuse_non_numbers(name, data[name]))
        try:
            if isinstance(column, pd.Series):
                values = column.to_numpy(dtype="float64", na_value=np.nan)
            else:
                values = np.asarray(column, dtype="float64").reshape(-1)
        except (TypeError, ValueError):
            raise InputError(
                f"covariate {name!r} is not numeric; encode categories as 0/1 indicator columns "
                "or convert the column to numbers."
            ) from None
        if values.size != n:  # a mapping's columns of different lengths
            raise InputError(
                f"covariate {name!r} has {values.size} value(s) but the data have {n} row(s); "
                "give one value per customer."
            )
        bad = ~np.isfinite(values)
        if bad.any():
            raise InputError(
                f"covariate {name!r} has {int(bad.sum())} missing or infinite value(s) (positions "
                f"{np.flatnonzero(bad)[:5].tolist()}); fill them (e.g. with the mean, plus an "
                "indicator column for 'was missing') or drop those customers."
            )
        if fitting and values.size and np.ptp(values) == 0:
            raise InputError(
                f"covariate {name!r} is constant ({values[0]:g} for every customer), so its effect "
                "cannot be told apart from the base parameters; drop it."
            )
        matrix[:, j] = values
    return matrix


def _text_as_numbers(name: str, column):
    """A text (or boolean) column as numbers: numbers written as text are read, a missing-value
    text ("NA") is missing, as in a CSV file; anything else is refused as not numeric."""
    if not isinstance(column, pd.Series) or (
        pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    ):
        return column
    column = missing_texts_as_nan(column)
    converted, unparsed = parse_numbers(column)
    if unparsed.any():
        raise InputError(
            f"covariate {name!r} is not numeric (for example {column[unparsed].head(5).tolist()}); "
            "encode categories as 0/1 indicator columns (clvmodel.DayOneModel does this for you) "
            "or convert the column to numbers."
        )
    return converted


def _refuse_non_numbers(name: str, column):
    """Refuse a covariate column of dates, durations, periods or complex numbers: pandas would
    turn dates and durations into nanoseconds (a coefficient per nanosecond since 1970, off by
    a factor 1,000 for a column read at another resolution later) and numpy would drop the
    imaginary part of complex numbers, with a warning. Returns the column as given."""
    dtype = getattr(column, "dtype", None)
    if dtype is None:
        dtype = np.asarray(column).dtype
    if isinstance(dtype, pd.PeriodDtype) or getattr(dtype, "kind", None) in ("m", "M", "c"):
        kind = {"m": "durations", "M": "dates", "c": "complex numbers"}.get(dtype.kind, "periods")
        raise InputError(
            f"covariate {name!r} holds {kind} ({dtype}), not plain numbers; convert it to a "
            "number in a unit you choose (for example days since a fixed date, or tenure in "
            "days) and pass that column."
        )
    return column


def linear_predictor(matrix: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """z_iᵀγ per row (apply it with :func:`times_exp`, which keeps the result finite)."""
    if matrix.shape[1] == 0:
        return np.zeros(matrix.shape[0])
    with np.errstate(over="ignore", invalid="ignore"):
        return np.einsum("ij,j->i", matrix, coefficients)


def times_exp(base: float, eta: np.ndarray) -> np.ndarray:
    """θ₀ exp(η) per row, finite and positive for a finite, positive θ₀.

    Where |η| ≤ ``MAX_LINEAR_PREDICTOR`` this is the product itself (unless it overflows or
    underflows). Otherwise it is formed on the log scale, ln θ₀ + η, and kept within
    ±(``MAX_LINEAR_PREDICTOR`` + |ln θ₀|) (at most ±700):
    a covariate with a large offset (a year, an income) has a base θ₀ far from 1 that its linear
    predictor brings back, and a wild optimiser step still gives a finite value.

    Parameters
    ----------
    base : float
        θ₀ > 0.
    eta : numpy.ndarray
        The linear predictors.

    Returns
    -------
    numpy.ndarray
        Same shape as ``eta``.
    """
    eta = np.asarray(eta, dtype="float64")
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        value = base * np.exp(np.clip(eta, -MAX_LINEAR_PREDICTOR, MAX_LINEAR_PREDICTOR))
        # Beyond the clip, or a product that overflowed or underflowed: on the log scale.
        far = ~(np.abs(eta) <= MAX_LINEAR_PREDICTOR) | ~(value > 0) | ~np.isfinite(value)
        far &= ~np.isnan(eta)
        if far.any():
            log_base = float(np.log(base))
            bound = min(MAX_LINEAR_PREDICTOR + abs(log_base), _MAX_LOG)
            value[far] = np.exp(np.clip(log_base + eta[far], -bound, bound))
    return value


def refuse_dependent_columns(standardised: np.ndarray, weights: np.ndarray, names, argument):
    """Refuse covariates that repeat the intercept or each other: [1, Z] of less than full rank.

    The rank is that of the standardised columns (centred by their weighted mean, divided by
    their weighted standard deviation), with rows weighted by √(weight / total weight), so that
    every column has unit norm and a singular value below ``_RANK_TOLERANCE`` times the largest
    means a combination of the columns that is constant (to within the digits of the data).

    Parameters
    ----------
    standardised : numpy.ndarray
        Shape (rows, k): the block's standardised covariate columns.
    weights : numpy.ndarray
        Customers per row.
    names : list of str
        The columns' names.
    argument : str
        The setting that names them (for example ``"purchase_covariates"``).

    Raises
    ------
    InputError
        Naming the columns that take part in a dependence.
    """
    if standardised.shape[1] < 2:
        return
    root = np.sqrt(weights / weights.sum())[:, None] * standardised
    _, values, directions = np.linalg.svd(root, full_matrices=False)
    small = values < _RANK_TOLERANCE * values[0]
    if not small.any():
        return
    # The columns with a weight in some combination that is constant.
    weight = np.linalg.norm(directions[small], axis=0)
    dependent = [name for name, w in zip(names, weight, strict=True) if w > 1e-6]
    raise InputError(
        f"{argument} {dependent} are linearly dependent: a combination of them is the same for "
        "every customer (for example x and 2·x + 1, or 0/1 indicators of every level of one "
        "attribute, which add up to 1), so their effects cannot be told apart; drop "
        f"{int(small.sum())} of them (one indicator per attribute is the "
        "baseline and gets no column)."
    )
