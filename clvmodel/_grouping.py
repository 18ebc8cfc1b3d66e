"""Grouping identical rows fast, so that cost grows with distinct histories, not customers.

Two routes give the same groups. When every column holds whole multiples of 1 or of 1/7 (day
numbers, in days or in weeks of 7 days, and integer or 0/1 covariates), each row becomes one int64
key with its position packed into the low bits, and a single sort of int64 values finds the
groups (numpy sorts plain integers with SIMD, far faster than it sorts arguments or hashes).
Otherwise each column is factorised by hashing and the codes are combined. Both keep exact
floating-point equality: a value v maps to the integer k = round(v · s) only when k / s == v holds
bit for bit for the whole column, so two values share a code exactly when they are equal. Up to
64 rows of numbers, :func:`group_rows` labels them by a dict of row tuples instead (the same
groups, without the routes' fixed cost).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["count_rows", "group_rows", "value_codes"]

# Scales tried for the integer route: whole units, and days expressed in weeks (d / 7).
_SCALES = (1.0, 7.0)
# Columns are converted in slices of this many rows, to keep temporaries small.
_SLICE = 1 << 20


class _Whole(NamedTuple):
    """A column of whole multiples of 1 / scale: value = (low + code) / scale, code < span."""

    low: int
    span: int
    scale: float


def _slice_units(part: np.ndarray, scale: float, check: bool = True) -> np.ndarray | None:
    """round(part · scale) as int64 when that gives back ``part`` exactly; else None. With
    ``check=False`` (a slice already checked) the round trip is not verified again."""
    if part.dtype.kind in "iub":
        return part.astype("int64")  # a copy: callers modify it in place
    with np.errstate(invalid="ignore", over="ignore"):
        if scale == 1.0:
            # NaN, infinities and fractions do not survive the round trip through int64.
            whole = part.astype("int64")
            return whole if not check or np.array_equal(whole, part) else None
        scaled = np.rint(part * scale)
        if check and (not np.array_equal(scaled / scale, part) or np.abs(scaled).max() >= 2.0**53):
            return None
        return scaled.astype("int64")


def _whole(column: np.ndarray) -> _Whole | None:
    """How ``column`` maps to integer codes (see :class:`_Whole`), or None when it does not
    hold whole multiples of 1 or of 1/7. Reads the column in slices; stores nothing of its size."""
    values = np.asarray(column)
    if values.size == 0 or values.dtype.kind not in "iubf":
        return None
    for scale in _SCALES if values.dtype.kind == "f" else (1.0,):
        low, high = None, None
        for start in range(0, values.size, _SLICE):
            whole = _slice_units(values[start : start + _SLICE], scale)
            if whole is None:
                break
            lo, hi = int(whole.min()), int(whole.max())
            low, high = (lo, hi) if low is None else (min(low, lo), max(high, hi))
        else:
            if high - low >= 2**62:
                return None
            return _Whole(low, high - low + 1, scale)
    return None


def _codes(column: np.ndarray, whole: _Whole, start: int, stop: int) -> np.ndarray:
    codes = _slice_units(np.asarray(column)[start:stop], whole.scale, check=False)
    codes -= whole.low
    return codes


def value_codes(column: np.ndarray, max_span: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes (intp, the index type numpy gathers fastest with) and the values they stand for,
    code ``c`` for ``values[c]``, when the column holds whole multiples of 1 or of 1/7 spanning
    at most ``max_span`` codes; else None. Unlike a factorisation the values are in increasing
    order, and some may not occur."""
    whole = _whole(column)
    if whole is None or whole.span > min(max_span, 2**31 - 1):
        return None
    codes = _codes(column, whole, 0, np.asarray(column).size).astype(np.intp, copy=False)
    values = np.arange(whole.low, whole.low + whole.span, dtype="float64")
    return codes, (values / whole.scale if whole.scale != 1.0 else values)


def _packed_sort(columns) -> tuple[np.ndarray, int] | None:
    """The integer route: each row's key (its codes, combined) shifted above its position, sorted,
    and the number of position bits; None when a column is not whole units or the key does not
    fit in 63 bits. Only the key array has the columns' length."""
    n = np.asarray(columns[0]).size
    position_bits = max(int(n - 1).bit_length(), 1)
    wholes = []
    span = 1
    for column in columns:
        whole = _whole(column)
        if whole is None:
            return None
        span *= whole.span
        if span >= 2 ** (63 - position_bits):
            return None
        wholes.append(whole)
    key = np.empty(n, dtype="int64")
    for start in range(0, n, _SLICE):
        stop = min(start + _SLICE, n)
        part = _codes(columns[0], wholes[0], start, stop)
        for column, whole in zip(columns[1:], wholes[1:], strict=True):
            part *= whole.span
            part += _codes(column, whole, start, stop)
        part <<= position_bits
        part |= np.arange(start, stop, dtype="int64")
        key[start:stop] = part
    key.sort()
    return key, position_bits


def _group_starts(key: np.ndarray, position_bits: int) -> np.ndarray:
    """Where each group of equal keys starts in the sorted packed keys."""
    parts = [np.zeros(1, dtype="int64")]
    for start in range(0, key.size - 1, _SLICE):
        group = key[start : start + _SLICE + 1] >> position_bits
        parts.append(np.flatnonzero(group[1:] != group[:-1]) + (start + 1))
    return np.concatenate(parts)


def _appearance_order(first: np.ndarray) -> np.ndarray:
    """The permutation that puts distinct rows in order of first appearance: one more sort of
    int64 values, each packing a first position above the distinct row's index."""
    index_bits = max(int(first.size - 1).bit_length(), 1)
    packed = first << index_bits
    packed |= np.arange(first.size, dtype="int64")
    packed.sort()
    packed &= (1 << index_bits) - 1
    return packed


def count_rows(*columns: np.ndarray, weights: np.ndarray | None = None):
    """Distinct rows of the given equal-length columns and how many rows (or how much weight)
    each stands for.

    Parameters
    ----------
    *columns : numpy.ndarray
        One-dimensional, all of the same length.
    weights : numpy.ndarray, optional
        One weight per row; the counts are then sums of weights.

    Returns
    -------
    first : numpy.ndarray of int64
        For each distinct row, the position of its first occurrence, in order of first appearance.
    counts : numpy.ndarray of float64
        Rows (or summed weights) per distinct row, in the same order. Weights are added in row
        order, so the sums equal those of ``numpy.bincount`` over :func:`group_rows` bit for bit.
    """
    packed = None if np.asarray(columns[0]).size == 0 else _packed_sort(columns)
    if packed is None:
        group, first = group_rows(*columns)
        counts = np.bincount(group, weights=weights, minlength=first.size)
        return first, counts.astype("float64")
    key, position_bits = packed
    mask = (1 << position_bits) - 1
    starts = _group_starts(key, position_bits)
    sizes = np.diff(starts, append=key.size)
    if weights is None:
        counts = sizes.astype("float64")
    else:
        # Within a group the positions ascend, so bincount adds each group's weights in row order.
        label = np.repeat(np.arange(starts.size), sizes)
        counts = np.bincount(label, weights=weights[key & mask], minlength=starts.size)
    first = key[starts] & mask
    order = _appearance_order(first)
    return first[order], counts[order]


#: Up to this many rows, a dict of row tuples labels them: the integer and hashing routes cost
#: some 50-90 µs of NumPy and pandas calls however few the rows (a model's predictions for one
#: customer or a handful, many times over in a fit's checks and the tests).
_FEW_ROWS = 64


def _group_few_rows(columns) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`group_rows` of a few rows of numbers by their tuples of Python numbers (equal
    numbers, 0.0 and -0.0 among them, are one key, as in the other routes); None where a column
    is not numeric or holds NaN, which those routes read their own way."""
    lists = []
    for column in columns:
        values = np.asarray(column)
        if values.dtype.kind not in "iubf" or (values.dtype.kind == "f" and np.isnan(values).any()):
            return None
        lists.append(values.ravel().tolist())
    index: dict = {}
    group, first = [], []
    for position, row in enumerate(zip(*lists, strict=True)):
        label = index.get(row)
        if label is None:
            label = index[row] = len(first)
            first.append(position)
        group.append(label)
    return np.array(group, dtype="int64"), np.array(first, dtype="int64")


def group_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label identical rows of the given equal-length columns.

    Returns
    -------
    group : numpy.ndarray of int64
        For each row, the index of its distinct row (0, 1, ... in order of first appearance).
    first : numpy.ndarray of int64
        For each distinct row, the position of its first occurrence.

    Notes
    -----
    Whole-unit columns go through one int64 sort (see the module docstring); other columns are
    factorised by hashing, the codes combined into one integer key and the key factorised again,
    which is O(n); a lexicographic sort falls in only when the combined key would overflow.
    """
    n = np.asarray(columns[0]).size
    if n <= _FEW_ROWS:
        few = _group_few_rows(columns)
        if few is not None:
            return few
    packed = None if n == 0 else _packed_sort(columns)
    if packed is not None:
        key, position_bits = packed
        starts = _group_starts(key, position_bits)
        first = key[starts] & ((1 << position_bits) - 1)
        order = _appearance_order(first)
        rank = np.empty(first.size, dtype="int64")
        rank[order] = np.arange(first.size)
        key &= (1 << position_bits) - 1
        group = np.empty(n, dtype="int64")
        group[key] = np.repeat(rank, np.diff(starts, append=n))
        return group, first[order]
    key = np.zeros(n, dtype="int64")
    span = 1
    for column in columns:
        codes, uniques = pd.factorize(np.asarray(column))
        span *= max(len(uniques), 1)
        if span >= 2**62:
            stacked = np.column_stack([np.asarray(c, dtype="float64") for c in columns])
            _, first, group = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
            return group.ravel().astype("int64"), first.astype("int64")
        key = key * len(uniques) + codes
    group, unique_keys = pd.factorize(key)
    first = np.empty(len(unique_keys), dtype="int64")
    first[group[::-1]] = np.arange(n - 1, -1, -1)
    return group.astype("int64"), first
