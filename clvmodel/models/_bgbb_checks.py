"""The checks of BG/BB's inputs: the (frequency, recency, n_periods) table and the numbers of
opportunities (horizons, counts, simulation sizes), with messages that show plain numbers.

BG/BB counts discrete opportunities (occasions), not calendar time, so a horizon is a whole number
of them; a calendar duration such as ``"12M"`` is refused in those words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.errors import InputError

__all__ = [
    "COLUMNS",
    "one_whole",
    "plain",
    "simulation_size",
    "validate_opportunities",
    "whole",
]

COLUMNS = ("frequency", "recency", "n_periods")

#: Values a message shows before it says how many more there are.
_SHOWN = 5


def _number(value):
    """A Python int for a whole float, else a Python float (nan, 1.5)."""
    value = float(value)
    return int(value) if np.isfinite(value) and value == round(value) else value


def plain(values) -> str:
    """``values`` as a user wrote them: ``3``, ``[1, 2]``, ``'12M'`` (not ``np.float64(3.0)`` or
    ``array([1., 2.])``), at most a few of a long array."""
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":  # None, text, a Duration: as given
        return repr(values)
    if array.ndim == 0:
        return repr(_number(array))
    flat = [_number(v) for v in array.reshape(-1)[:_SHOWN]]
    if array.size <= _SHOWN:
        return repr(flat)
    return f"[{', '.join(map(repr, flat))}, … ({array.size} values)]"


def whole(values, name: str, *, horizon: bool = True, single: str | None = None) -> np.ndarray:
    """``values`` as an array of whole numbers ≥ 0, or an InputError naming ``name``; a
    ``horizon`` (a number of opportunities) is told it is not a calendar duration, and ``single``
    (the words for one value, "one whole number") asks for one value."""
    try:
        array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        if horizon:
            raise InputError(
                f"{name}={plain(values)}: the horizon of BG/BB is a whole number of opportunities "
                "(occasions, such as yearly donation drives), not a calendar duration; write e.g. "
                f"{name}=6 for 6 opportunities."
            ) from None
        array = np.full(1, np.nan)
    wrong = not np.all(np.isfinite(array)) or (array < 0).any() or (array != np.round(array)).any()
    if wrong or (single and array.ndim):
        raise InputError(f"{name} must be {single or 'whole numbers'} ≥ 0, got {plain(values)}.")
    return array


def one_whole(value, name: str) -> float:
    """One whole number of opportunities ≥ 0 (a horizon), as a float."""
    return float(whole(value, name, single="one whole number of opportunities"))


def simulation_size(n_customers, n_periods) -> tuple[int, int]:
    """``simulate``'s sizes: a whole number of customers ≥ 0 and of opportunities ≥ 1."""
    size = whole(n_customers, "n_customers", horizon=False, single="one whole number")
    n = one_whole(n_periods, "n_periods")
    if n < 1:
        raise InputError(
            "n_periods must be at least 1 opportunity after the first (the first, the "
            "acquisition, is not counted), got 0."
        )
    return int(size), int(n)


def _columns(data):
    """The three columns of ``data`` (a table or a mapping of columns or of single values) as
    arrays of one length, and the rows' index."""
    columns = list(data.columns) if isinstance(data, pd.DataFrame) else list(data)
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        hint = (
            " (lifetimes' donations data call it 'periods': rename it)"
            if "periods" in columns
            else ""
        )
        raise InputError(
            f"the table has no column {', '.join(map(repr, missing))}{hint}; BG/BB needs "
            f"{list(COLUMNS)}, it has {list(map(str, columns))}."
        )
    try:
        arrays = [np.asarray(data[c], dtype="float64").reshape(-1) for c in COLUMNS]
    except (TypeError, ValueError):
        raise InputError(f"columns {list(COLUMNS)} must hold numbers.") from None
    lengths = {c: a.size for c, a in zip(COLUMNS, arrays, strict=True)}
    if len(set(lengths.values())) > 1:
        raise InputError(f"columns {list(COLUMNS)} must have one length, got {lengths}.")
    index = data.index if isinstance(data, pd.DataFrame) else pd.RangeIndex(arrays[0].size)
    return (*arrays, index)


def validate_opportunities(data):
    """Check a BG/BB table and return frequency x, recency t_x and opportunities n as floats.

    Parameters
    ----------
    data : pandas.DataFrame or mapping
        Columns ``frequency``, ``recency`` and ``n_periods`` (whole numbers with
        0 ≤ x ≤ t_x ≤ n, t_x = 0 when x = 0); a mapping may hold one value per column.

    Returns
    -------
    x, t_x, n : numpy.ndarray
    index : pandas.Index

    Raises
    ------
    InputError
        A column is missing or a row breaks the rules above (the message shows the rows).
    """
    x, t_x, n, index = _columns(data)
    checks = [
        (~(np.isfinite(x) & np.isfinite(t_x) & np.isfinite(n)), "have missing values"),
        ((x != np.round(x)) | (t_x != np.round(t_x)) | (n != np.round(n)), "are not whole"),
        (n < 1, "have n_periods < 1"),
        ((x < 0) | (x > t_x) | (t_x > n), "break 0 ≤ frequency ≤ recency ≤ n_periods"),
        ((x == 0) & (t_x != 0), "have recency ≠ 0 without transactions"),
    ]
    for bad, problem in checks:
        if bad.any():
            rows = np.flatnonzero(bad)[:_SHOWN]
            shown = ", ".join(
                f"({_number(x[i])}, {_number(t_x[i])}, {_number(n[i])})" for i in rows
            )
            raise InputError(
                f"{int(bad.sum())} row(s) {problem}: (frequency, recency, n_periods) = [{shown}] "
                f"at {index[rows].tolist()}."
            )
    return x, t_x, n, index
