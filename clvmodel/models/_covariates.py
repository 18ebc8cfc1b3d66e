"""Covariates as a mode of every model: checked covariate columns and linear predictors.

A model with covariates gives customer i its own parameters, θ_i = θ₀ exp(sign · γᵀz_i), for the
parameters a process's covariates act on (Fader and Hardie 2007, "Incorporating time-invariant
covariates into the Pareto/NBD and BG/NBD models"; the parameterisation of CLVTools). These helpers
read and check the covariate columns; :mod:`clvmodel.models.base` applies them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.errors import InputError

__all__ = [
    "MAX_LINEAR_PREDICTOR",
    "covariate_matrix",
    "covariate_names",
    "linear_predictor",
    "parse_numbers",
]

# Linear predictors are clipped here so that a wild optimiser step gives a large, finite value
# instead of inf; the optimum of any sensible data set lies far inside.
MAX_LINEAR_PREDICTOR = 300.0


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
        Also refuse constant columns, which the model cannot tell apart from its intercept.

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
            ", which drops the recorded time unit: pass time_unit= to the predictions) or name "
            "the right columns."
        )
    n = len(data) if isinstance(data, pd.DataFrame) else len(next(iter(data.values()), []))
    matrix = np.empty((n, len(names)))
    for j, name in enumerate(names):
        column = data[name]
        if isinstance(column, pd.Series) and (
            pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column)
        ):
            converted, unparsed = parse_numbers(column)
            if unparsed.any():
                raise InputError(
                    f"covariate {name!r} is not numeric (for example "
                    f"{column[unparsed].head(5).tolist()}); encode categories as 0/1 indicator "
                    "columns (clvmodel.DayOneModel does this for you) or convert the column to "
                    "numbers."
                )
            column = converted
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


def linear_predictor(matrix: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """z_iᵀγ per row, clipped to a finite range."""
    if matrix.shape[1] == 0:
        return np.zeros(matrix.shape[0])
    value = np.einsum("ij,j->i", matrix, coefficients)
    return np.clip(value, -MAX_LINEAR_PREDICTOR, MAX_LINEAR_PREDICTOR)
