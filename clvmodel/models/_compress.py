"""Compressing a model's input to its distinct rows with counts, so that the likelihood costs
grow with distinct histories rather than customers (see :mod:`clvmodel._grouping` for the
integer-key route taken by day numbers).

:func:`compress_rfm` is the fit's fast route for a plain RFM table in whole days (or weeks): it
validates and compresses in one pass over the rows to one integer key per row, counted by
:mod:`clvmodel.models._key_counts`, without keeping the order of first appearance (the
distinct rows come in increasing key order)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from clvmodel._grouping import count_rows
from clvmodel.models._key_counts import KeyCounter

__all__ = [
    "RfmRows",
    "compress_rfm",
    "compress_rows",
    "weighted_compress",
    "weighted_sum",
]


#: The most values one column may span on the compressed route (its table of values: 128 MB).
_MAX_SPAN = 1 << 24


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


def weighted_compress(columns: tuple[np.ndarray, ...], weights: np.ndarray | None):
    """Distinct rows of ``columns`` (in order of first appearance) and the summed weights (or
    counts) of each, as float64."""
    first, counts = count_rows(*columns, weights=weights)
    return tuple(np.asarray(c)[first] for c in columns), counts


# Rows per slice of the one-pass RFM compression: a slice's temporaries stay in the CPU's cache.
_RFM_SLICE = 1 << 15
# Rows per chunk of integer keys counted at once (8 MB of keys).
_KEY_CHUNK = 1 << 20


class RfmRows(NamedTuple):
    """Distinct (frequency, recency, T) rows of a valid RFM table, in increasing order of
    (frequency, recency, T): each column's integer codes and the values they stand for. Recency
    and T are kept as codes only (the fit reads them so): at 10M customers their values were
    25 MB of fresh memory, slow to get from the kernel."""

    x: np.ndarray  # float64: the frequency of each distinct row
    codes: tuple[np.ndarray, np.ndarray, np.ndarray]  # intp: values[j] == tables[j][codes[j]]
    tables: tuple[np.ndarray, np.ndarray, np.ndarray]  # float64, increasing
    counts: np.ndarray  # float64: customers per distinct row
    n_customers: int

    @property
    def values(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The distinct rows' frequency, recency and T (float64)."""
        pairs = zip(self.tables[1:], self.codes[1:], strict=True)
        return (self.x, *(table[code] for table, code in pairs))


def _rfm_arrays(data) -> list[np.ndarray] | None:
    """The frequency, recency and T columns as one-dimensional numeric numpy arrays (not
    copied), or None when a column is missing, of another kind, or the lengths differ."""
    from clvmodel._rfm_validate import rfm_column

    if not isinstance(data, pd.DataFrame | Mapping):
        return None
    arrays = []
    for name in ("frequency", "recency", "T"):
        column = rfm_column(data, name)
        if column is None:
            return None
        values = np.asarray(column)
        if values.ndim != 1 or values.dtype.kind not in "iuf" or values.size == 0:
            return None
        arrays.append(values)
    if len({a.size for a in arrays}) > 1:
        return None
    return arrays


def _units(part: np.ndarray, scale: float) -> np.ndarray | None:
    """round(part · scale) as int64 when that gives back every value exactly (so NaN,
    infinities and other fractions fail); else None."""
    if part.dtype.kind in "iu":
        return part.astype("int64")
    with np.errstate(invalid="ignore", over="ignore"):
        if scale == 1.0:
            whole = part.astype("int64")
            return whole if (whole == part).all() else None
        scaled = np.rint(part * scale)
        if not (scaled / scale == part).all() or np.abs(scaled).max() >= 2.0**53:
            return None
        return scaled.astype("int64")


def _column_scale(values: np.ndarray, scales) -> tuple[float, int, int] | None:
    """The scale (1 for whole numbers, 7 for days in weeks) under which the column's first slice
    is whole, with the lowest and highest codes of the whole column at that scale; None when
    no scale fits or a value is negative, NaN or too large."""
    # Both extremes in one read of the column, a slice at a time (NaN propagates to both).
    lows, highs = [], []
    for start in range(0, values.size, _RFM_SLICE):
        part = values[start : start + _RFM_SLICE]
        lows.append(np.minimum.reduce(part))
        highs.append(np.maximum.reduce(part))
    low, high = np.min(lows), np.max(highs)
    if values.dtype.kind == "f" and not (np.isfinite(low) and np.isfinite(high)):
        return None
    if low < 0 or high >= 2**52:
        return None
    head = values[:_RFM_SLICE]
    for scale in scales if values.dtype.kind == "f" else (1.0,):
        if _units(head, scale) is not None:
            return scale, int(round(float(low) * scale)), int(round(float(high) * scale))
    return None


def compress_rfm(data, time_unit: str | None = None) -> RfmRows | None:
    """Validate an RFM table and collapse it to distinct (frequency, recency, T) rows in one
    pass over the rows, when its columns hold whole numbers (days, or days in weeks of 7).

    Each row becomes one integer key from the three columns' codes (converted slice by slice,
    with the checks of :func:`clvmodel.rfm.validate_rfm` done on the way or on the distinct
    rows); counting the keys (:class:`~clvmodel.models._key_counts.KeyCounter`, a chunk of
    rows at a time) gives the distinct rows and their counts. Returns None whenever the table
    is not of that kind or breaks a rule (a missing or non-finite value, a negative or
    fractional frequency, recency above T, a repeat buyer with recency 0 or, in a table that
    records its unit, more repeat purchases than days in recency, ...): the general route then
    handles it, with its error messages.

    Parameters
    ----------
    data : pandas.DataFrame or mapping of arrays
        An RFM table (names as accepted by :func:`clvmodel.rfm.validate_rfm`).
    time_unit : {"D", "W"}, optional
        The unit of a table that does not record it in ``attrs``, as for ``validate_rfm``.

    Returns
    -------
    RfmRows or None
    """
    from clvmodel._rfm_validate import table_time_unit

    arrays = _rfm_arrays(data)
    if arrays is None:
        return None
    x, t_x, age = arrays
    found = [
        _column_scale(x, (1.0,)),
        _column_scale(t_x, (1.0, 7.0)),
        _column_scale(age, (1.0, 7.0)),
    ]
    if any(f is None for f in found):
        return None
    spans = [high - low + 1 for _, low, high in found]
    total = spans[0] * spans[1] * spans[2]
    # A column spanning more values than a table of them can hold (a frequency of 2e12) is left
    # to the general route, which refuses it in words.
    if total >= 2**62 or max(spans) > _MAX_SPAN:
        return None
    # The keys are made and counted a chunk of rows at a time: no key array as long as the
    # table is ever held (on a 10M table, memory first touched costs as much as the sort did).
    counter = KeyCounter(total, keys=x.size)
    buffer = np.empty(min(x.size, _KEY_CHUNK), dtype=np.intp)  # one chunk's keys, reused
    for start in range(0, x.size, _KEY_CHUNK):
        key = _rfm_key([a[start : start + _KEY_CHUNK] for a in arrays], found, spans, buffer)
        if key is None:
            return None
        counter.add(key)
    frequency, codes, tables, counts = _decode(counter, found, spans)
    if _breaks_a_rule(frequency, codes, tables, table_time_unit(data, time_unit)):
        return None
    if not _spend_is_valid(data, x):
        return None
    return RfmRows(frequency, tuple(codes), tuple(tables), counts, x.size)


def _rfm_key(arrays, found, spans, buffer: np.ndarray) -> np.ndarray | None:
    """One integer per row, ((x − x_low) s_t + (t_x − t_low)) s_T + (T − T_low) in each column's
    units, built slice by slice into the start of ``buffer``; None when a value is not whole in
    its column's units."""
    x, t_x, age = arrays
    n = x.size
    # The lows are subtracted at once, as one offset.
    offset = (found[0][1] * spans[1] + found[1][1]) * spans[2] + found[2][1]
    key = buffer[:n]
    part = np.empty(min(n, _RFM_SLICE), dtype="int64")
    for start in range(0, n, _RFM_SLICE):
        stop = min(start + _RFM_SLICE, n)
        here = part[: stop - start]
        if x.dtype.kind in "iu":
            np.multiply(x[start:stop], spans[1], out=here, casting="unsafe")
        else:
            units = _units(x[start:stop], 1.0)
            if units is None:
                return None
            np.multiply(units, spans[1], out=here)
        for column, (scale, _, _), span in ((t_x, found[1], spans[2]), (age, found[2], None)):
            units = _units(column[start:stop], scale)
            if units is None:
                return None
            here += units
            if span is not None:
                here *= span
        here -= offset
        key[start:stop] = here
    return key


def _breaks_a_rule(frequency, codes, tables, unit: str | None) -> bool:
    """Whether a distinct row breaks a rule of validate_rfm that the conversion did not check:
    recency above T, recency without frequency, or repeat purchases in no time (recency 0, or
    more than the days in recency when the table records its unit). A slice at a time, so
    that the temporaries stay small: on 1.6M distinct rows, whole-column temporaries took
    0.1 s, most of it in first touches of fresh memory."""
    from clvmodel._rfm_validate import repeats_without_time

    for start in range(0, frequency.size, _RFM_SLICE):
        part = slice(start, start + _RFM_SLICE)
        x = frequency[part]
        t_x, age = (table[code[part]] for table, code in zip(tables[1:], codes[1:], strict=True))
        if (t_x > age * (1 + 1e-12) + 1e-12).any() or ((x == 0) & (t_x != 0)).any():
            return True
        if any(bad.any() for bad in repeats_without_time(x, t_x, unit)):
            return True
    return False


def _decode(counter: KeyCounter, found, spans):
    """The distinct keys' frequencies, each column's codes (intp) and table of values, and the
    keys' counts, decoded a piece of keys at a time into arrays of the final size (no array of
    all the keys)."""
    size, pieces = counter.pieces()
    codes = [np.empty(size, dtype=np.intp) for _ in spans]
    frequency, counts, start = np.empty(size), np.empty(size), 0
    tables = [np.arange(f[1], f[1] + span) / f[0] for f, span in zip(found, spans, strict=True)]
    for keys, found_counts in pieces:
        here = slice(start, start + keys.size)
        counts[here] = found_counts
        rest, code_T = np.divmod(keys, spans[2])
        for column, code in enumerate((*np.divmod(rest, spans[1]), code_T)):
            codes[column][here] = code
        np.take(tables[0], codes[0][here], out=frequency[here])
        start += keys.size
    return frequency, codes, tables, counts


def _spend_is_valid(data, x) -> bool:
    """validate_rfm's checks of ``monetary_value`` when the table has one: finite (or NaN, read
    as 0, where frequency is 0: no repeat purchase, no mean spend), and not negative for a
    repeat buyer."""
    from clvmodel._rfm_validate import rfm_column

    column = rfm_column(data, "monetary_value")
    if column is None:
        return True
    spend = np.asarray(column)
    if spend.ndim != 1 or spend.dtype.kind not in "iuf" or spend.size != x.size:
        return False
    if spend.dtype.kind == "f" and not np.isfinite(spend).all():
        odd = ~np.isfinite(spend)
        if not (np.isnan(spend[odd]) & (x[odd] == 0)).all():
            return False
    negative = spend < 0
    return not (negative.any() and (x[negative] > 0).any())


def weighted_sum(values: np.ndarray, counts: np.ndarray):
    """Σ_i values[..., i] counts[i]: per-row terms summed with the rows' counts.

    By einsum, not a BLAS product: a product over tens of thousands of rows wakes BLAS threads
    that then spin, costing several times the fit's CPU (measured: a Day One fit on CDNOW,
    8.1 → 1.8 CPU s).
    """
    return np.einsum("...i,i->...", values, counts)
