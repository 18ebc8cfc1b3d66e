"""Compressing a model's input to its distinct rows with counts, so that the likelihood costs
grow with distinct histories rather than customers (see :mod:`clvmodel._grouping` for the
integer-key route taken by day numbers)."""

from __future__ import annotations

import numpy as np

from clvmodel._grouping import count_rows
from clvmodel.errors import InputError

__all__ = ["check_weights", "compress_rows", "weighted_compress"]


def compress_rows(*columns: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Collapse identical rows of the given columns into distinct rows and their counts.

    Parameters
    ----------
    *columns : numpy.ndarray
        Equal-length columns; rows are identical when every column holds the same number.

    Returns
    -------
    columns : tuple of numpy.ndarray
        The distinct rows, one float64 array per input column, in order of first appearance.
    counts : numpy.ndarray
        How many input rows each distinct row stands for (float64, usable as weights).

    Examples
    --------
    >>> import numpy as np
    >>> (x,), counts = compress_rows(np.array([2, 0, 2]))
    >>> x.tolist(), counts.tolist()
    ([2.0, 0.0], [2.0, 1.0])
    """
    return weighted_compress(tuple(np.asarray(c, dtype="float64") for c in columns), None)


def check_weights(weights, n: int) -> np.ndarray | None:
    """Weights as floats, one non-negative number per row (or None for unit weights).

    Parameters
    ----------
    weights : array_like or None
        How many customers each row stands for.
    n : int
        Number of rows.

    Returns
    -------
    numpy.ndarray or None

    Raises
    ------
    InputError
        Wrong length, or a weight that is negative or not finite.
    """
    if weights is None:
        return None
    weights = np.asarray(weights, dtype="float64")
    if weights.shape != (n,) or not np.all(np.isfinite(weights)) or (weights < 0).any():
        raise InputError(
            f"weights must be one non-negative, finite number per row of data ({n} rows); got "
            f"shape {weights.shape}. Pass counts of customers, or None."
        )
    return weights


def weighted_compress(columns: tuple[np.ndarray, ...], weights: np.ndarray | None):
    """Distinct rows of ``columns`` (in order of first appearance) and the summed weights (or
    counts) of each, as float64."""
    first, counts = count_rows(*columns, weights=weights)
    return tuple(np.asarray(c)[first] for c in columns), counts
