"""The weights of a fit: how many customers each row of the data stands for, checked, matched
to the rows by customer id, and a column of them that the caller did not pass noticed."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from clvmodel._caller import outside_stacklevel
from clvmodel.errors import ClvWarning, InputError
from clvmodel.models._alignment import align_to_index, first_offenders

__all__ = ["align_weights", "check_weights", "warn_unread_counts"]


#: The largest sum of weights (customers) a fit takes: far beyond any number of customers, and far
#: enough within the floating-point range that the likelihood's weighted sums stay finite.
_MAX_TOTAL_WEIGHT = 1e200


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
    try:
        weights = np.asarray(weights, dtype="float64")
    except (TypeError, ValueError):
        raise InputError(
            f"weights must be numbers, one per row of data ({n} rows), got {type(weights).__name__}"
            "; pass counts of customers, or None."
        ) from None
    if weights.shape != (n,):
        raise InputError(
            f"weights must be one number per row of data ({n} rows); got shape {weights.shape}. "
            "Pass counts of customers, or None."
        )
    bad = ~(weights >= 0) | ~np.isfinite(weights)
    if bad.any():
        raise InputError(
            f"weights must be non-negative, finite numbers, one per row of data ({n} rows); got "
            f"{first_offenders(weights, bad)} (missing values count as not finite). Pass counts "
            "of customers, or None."
        )
    with np.errstate(over="ignore"):
        total = weights.sum()
    if not total <= _MAX_TOTAL_WEIGHT:  # the likelihood's weighted sums would overflow
        raise InputError(
            f"weights sum to {total:.3g}, more customers than the fit can count (at most "
            f"{_MAX_TOTAL_WEIGHT:g}); pass counts of customers, or None."
        )
    return weights


def align_weights(weights, data):
    """``weights`` given as a pandas Series, matched to the rows of a DataFrame ``data`` by
    customer id (see :func:`clvmodel.models._alignment.align_to_index`); anything else as given.
    Without weights, a column of customers per row that would go unread is warned about
    (:func:`warn_unread_counts`)."""
    warn_unread_counts(data, weights)
    index = data.index if isinstance(data, pd.DataFrame) else None
    return align_to_index(weights, index, "weights")


#: Column names of a compressed table's customers per row (lifetimes' donations data: "weights").
_COUNT_COLUMNS = (
    "weights", "weight", "customers", "n_customers", "subscribers", "count", "counts",
)  # fmt: skip


def warn_unread_counts(data, weights) -> None:
    """Warn when ``fit`` (or ``bootstrap``) is given no ``weights`` but ``data`` has a column of
    customers per row (the donations data's ``weights``, the ``customers`` of Spark's distinct
    histories): each row would count as one customer, and the fit would describe the distinct
    histories, not the customers, without a word (any model, not BG/BB alone)."""
    if weights is not None or not isinstance(data, pd.DataFrame):
        return
    marked = data.attrs.get("weights")
    if isinstance(marked, str) and marked in data.columns:
        # Rows made to stand for groups (from_survival_counts(..., weighted=True)) say so.
        raise InputError(
            f"data has one row per group, with the group's size in column {marked!r}; pass "
            f"weights=data[{marked!r}], or each row would count as one customer."
        )
    for name in _COUNT_COLUMNS:
        if name in data.columns:
            values = pd.to_numeric(data[name], errors="coerce")
            if values.notna().all() and (values >= 0).all() and (values != 1).any():
                warnings.warn(
                    f"the table has a column {name!r} of customers per row, which fit does not "
                    f"read: each of its {len(data)} rows counts as one customer. If each row "
                    f"stands for several customers, pass weights=data[{name!r}].",
                    ClvWarning,
                    stacklevel=outside_stacklevel(),
                )
                return
