"""The ids of a table with one row per customer (a subscription table, Day One signups), read by
the rules of transaction logs (:mod:`clvmodel._reading`, "Customer
ids"): text trimmed of surrounding spaces (``"A "`` and ``"A"`` are one customer), a whole
number written with zeros as that number (``"7.0"`` is ``"7"``), blank and NaN-like texts
missing; whole-number floats as integers, fractional ones not an id, and a float column holding
ids above 2**53 (too large to be held exactly as floats) refused."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._reading import read_ids
from clvmodel._reading_text import missing_texts_as_nan
from clvmodel.errors import InputError

__all__ = ["canonical_ranks", "segment_series", "table_ids"]


def table_ids(raw: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """The ids of a table's id column, normalised.

    Parameters
    ----------
    raw : pandas.Series
        The id column as read.

    Returns
    -------
    ids : pandas.Series
        Indexed like ``raw``: integers (int64, or nullable Int64 where some are not ids) or
        text (object); missing where the id is missing or fractional.
    missing : numpy.ndarray
        Whether the row has no id (null, NaN, blank, or a text such as ``"NULL"``).
    not_whole : numpy.ndarray
        Whether the id is a fractional number in a numeric column.

    Raises
    ------
    InputError
        When a floating-point column holds ids above 2**53 (9,007,199,254,740,992): they are too
        large to be held exactly as floats, so the column must be read as text or integers.
    """
    read = read_ids(raw)
    unusable = read.missing | read.not_whole
    if read.values is not None:
        if unusable.any():
            values = pd.array(read.values, dtype="Int64")
            values[unusable] = pd.NA
        else:
            values = read.values
        ids = pd.Series(values, index=raw.index)
    else:
        labels = np.append(np.asarray(read.labels, dtype=object), None)
        ids = pd.Series(labels[read.codes], index=raw.index, dtype=object)
    return ids, read.missing, read.not_whole


def segment_series(segments, name: str = "segments") -> pd.Series:
    """``segments`` checked to be a pandas Series with one segment per customer id: refused, with
    a message naming ``name``, when it is another kind of sequence (a list has no customer ids to
    look up by) or when an id is repeated (a customer in two segments).

    Parameters
    ----------
    segments : object
        The argument as given.
    name : str
        The argument's name, for the messages.

    Returns
    -------
    pandas.Series
        ``segments``, with its missing-value texts (``NA``, ``n/a``) as NaN: no segment.
    """
    if not isinstance(segments, pd.Series):
        raise InputError(
            f"{name} must be a pandas Series indexed by customer id (one segment per customer), "
            f"got {type(segments).__name__}; for a list in the table's order write "
            f"pd.Series(values, index=table.index)."
        )
    repeated = segments.index[segments.index.duplicated()].unique()
    if len(repeated):
        raise InputError(
            f"{name} has {len(repeated)} customer id(s) more than once (for example "
            f"{', '.join(map(str, repeated[:5]))}); give each customer one segment."
        )
    return missing_texts_as_nan(segments)


def canonical_ranks(ids: pd.Index) -> np.ndarray:
    """Each row's rank in a canonical order of ``ids``, whatever order the rows came in and
    whatever type holds them: by the id's text, as a file holds it (the integer 10 and the text
    "10" rank alike, after "1" and before "2", so that a table read by the command line, which
    keeps ids as text, and the same table in Python rank their customers the same); ids of kinds
    that do not compare (numbers beside text, say) by kind first, then text (``1`` and ``"1"``
    stay apart).

    Parameters
    ----------
    ids : pandas.Index
        Customer ids; a repeated id has one rank.

    Returns
    -------
    numpy.ndarray
        Integer ranks (0 for the first id), one per row: ``np.argsort(ranks, kind="stable")``
        orders the rows, and :func:`numpy.lexsort` can break ties between repeats.
    """
    if pd.api.types.is_integer_dtype(ids.dtype):
        return pd.factorize(ids.astype(str), sort=True)[0]
    values = ids.to_numpy(dtype=object)
    texts = [_id_text(v) for v in values]
    kinds = {type(v).__name__ for v in values}
    if len(kinds) == 1 or kinds <= _NUMBER_KINDS:
        return pd.factorize(pd.Index(texts, dtype=object), sort=True)[0]
    keys = pd.MultiIndex.from_arrays([[type(v).__name__ for v in values], texts])
    return pd.factorize(keys, sort=True)[0]


#: Python and NumPy types of numeric ids, which rank together by their text.
_NUMBER_KINDS = {"int", "float", *(np.dtype(c).type.__name__ for c in "bhilqBHILQefd")}


def _id_text(value) -> str:
    """An id as text: a whole number by its digits (10.0 as "10"), anything else by ``str``."""
    if isinstance(value, float | np.floating) and np.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value)
