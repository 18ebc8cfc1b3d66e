"""Per-customer arguments given as a pandas Series (a horizon ``t``, ``weights``) matched to the
table's rows by customer id, not by position: a Series sorted or filtered apart from the table
would otherwise give each customer another customer's value without a word."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.errors import InputError

__all__ = ["align_to_index", "first_offenders"]

_SHOWN = 3  # ids named in a message


def align_to_index(values, index, argument: str):
    """``values`` in the order of ``index`` when it is a pandas Series, matched by id.

    Parameters
    ----------
    values : object
        The argument as given; anything but a Series (a number, list or array) is returned
        unchanged and keeps its positional meaning.
    index : pandas.Index or None
        The customer ids of the table's rows (None: no table, nothing to match).
    argument : str
        The argument's name, for the messages.

    Returns
    -------
    object
        The Series' values as a numpy array in the order of ``index``, or ``values`` itself.

    Raises
    ------
    InputError
        The Series repeats an id, lacks one of the table's ids or holds ids the table has not.
    """
    if not isinstance(values, pd.Series) or index is None:
        return values
    if values.index.equals(index):
        return values.to_numpy()
    if values.index.has_duplicates:
        raise InputError(
            f"{argument} repeats customer id(s) {_ids(values.index[values.index.duplicated()])}; "
            "give one value per customer of the table."
        )
    if index.has_duplicates:
        raise InputError(
            f"the table repeats customer id(s) {_ids(index[index.duplicated()])}, so {argument} "
            "given as a Series cannot be matched to its rows; pass an array in the table's row "
            "order instead."
        )
    missing = index.difference(values.index, sort=False)
    if len(missing):
        raise InputError(
            f"{argument} has no value for customer id(s) {_ids(missing)} of the table "
            f"({len(missing)} in all); give one value per customer (a Series is matched by id)."
        )
    extra = values.index.difference(index, sort=False)
    if len(extra):
        raise InputError(
            f"{argument} holds customer id(s) {_ids(extra)} that are not in the table "
            f"({len(extra)} in all); give one value per customer of the table (a Series is "
            "matched by id)."
        )
    return values.reindex(index).to_numpy()


def first_offenders(values, bad: np.ndarray) -> str:
    """The first entries of ``values`` flagged in ``bad``, as "-3.0 for customer id 'a'" (a
    Series) or "-3.0 at position 2", for a message that names them without printing the whole
    argument."""
    bad = np.asarray(bad, dtype=bool).reshape(-1)
    flat = np.asarray(values, dtype="float64").reshape(-1).tolist()
    positions = np.flatnonzero(bad)[:_SHOWN].tolist()
    if isinstance(values, pd.Series):
        ids = values.index[positions].tolist()
        shown = [f"{flat[p]!r} for customer id {i!r}" for i, p in zip(ids, positions, strict=True)]
    else:
        shown = [f"{flat[p]!r} at position {p}" for p in positions]
    more = int(bad.sum()) - len(positions)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def _ids(ids) -> str:
    shown = ", ".join(repr(i) for i in ids[:_SHOWN].tolist())
    return shown + (", ..." if len(ids) > _SHOWN else "")
