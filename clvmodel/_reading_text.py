"""Texts in a table: missing-value texts, trimming, and examples for messages.

The lowest layer of the reading rules (:mod:`clvmodel._reading`), shared by the readers of ids,
dates (:mod:`clvmodel._reading_dates`) and amounts.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Texts read as a missing value, in every column and on every route (compared after trimming
#: spaces, ignoring case): pandas' defaults (which pandas compares as written) and ``nat``.
#: So ``"NA"`` is missing as a customer id, a date, an amount, a segment or an attribute level
#: alike, as pandas reads a CSV file and as a database export writes a null.
MISSING_TEXTS = (
    "", "nan", "-nan", "null", "none", "na", "n/a", "<na>", "nat",
    "#n/a", "#na", "#n/a n/a", "-1.#ind", "-1.#qnan", "1.#ind", "1.#qnan",
)  # fmt: skip

EXAMPLES = 5
#: Day number of a missing or unreadable date (the smallest int64).
NO_DAY = np.iinfo("int64").min


def examples(values) -> str:
    """The first few values, for messages."""
    values = list(values)
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values[:EXAMPLES])
    return shown + (" ..." if len(values) > EXAMPLES else "")


def is_text_like(series: pd.Series) -> bool:
    """Whether a column holds text (or mixed objects) rather than numbers, booleans or dates."""
    dtype = series.dtype
    return not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
    )


_MISSING_SET = frozenset(MISSING_TEXTS)


def _case_variants(text: str) -> list[str]:
    """Every way of writing ``text`` in upper and lower case ("na": "na", "nA", "Na", "NA")."""
    variants = [""]
    for char in text:
        cases = {char.lower(), char.upper()}
        variants = [start + case for start in variants for case in sorted(cases)]
    return variants


#: ``pandas.read_csv`` options that read every cell as the text written, except the missing-value
#: texts in any case (with or without one space after them: a reader skips the spaces before),
#: which are NaN, as every other route reads them. pandas' own list is compared as written, so
#: "Null", "NONE" or "NA " became a segment or an attribute level of their own. Listed for
#: pandas' parser rather than checked after reading: a pass over every cell cost 45 % more time
#: on a 3.3M-row log.
CSV_CELLS = {
    "dtype": str,
    "keep_default_na": False,
    "na_values": sorted(
        {v + end for text in MISSING_TEXTS for v in _case_variants(text) for end in ("", " ")}
    ),
}


def trimmed_texts(uniques) -> pd.Series:
    """Values as trimmed text (None where missing or a missing-value text)."""
    return pd.Series(trimmed_text_list(uniques), dtype=object)


def trimmed_text_list(uniques) -> list:
    """The values of :func:`trimmed_texts` as a list, None where missing (a loop over the
    distinct values, without pandas' per-call cost, which dominates for a small log)."""
    texts = [_as_text(value) for value in pd.Series(uniques, dtype=object).tolist()]
    return [None if text is None or text.lower() in _MISSING_SET else text for text in texts]


def missing_text_mask(values: pd.Series) -> np.ndarray:
    """Where a column is missing by the rule of every route: null, NaN, or (in a text column)
    text that is empty or one of :data:`MISSING_TEXTS` after trimming spaces, in any case, as a
    CSV file is read. Checked once per distinct value.

    Parameters
    ----------
    values : pandas.Series

    Returns
    -------
    numpy.ndarray of bool
    """
    if not is_text_like(values):
        return values.isna().to_numpy(dtype=bool)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    said = [text is None for text in trimmed_text_list(uniques)]
    return np.array([*said, True], dtype=bool)[codes]


def missing_texts_as_nan(values: pd.Series) -> pd.Series:
    """``values`` with its missing-value texts (``NA``, ``n/a``, `` null ``: see
    :func:`missing_text_mask`) as NaN, so that no such text becomes a segment, a level or a
    group of its own; ``values`` itself when it holds none.

    Parameters
    ----------
    values : pandas.Series

    Returns
    -------
    pandas.Series
    """
    if not is_text_like(values):
        return values
    said = missing_text_mask(values) & values.notna().to_numpy()
    return values.where(~said) if said.any() else values


def _as_text(value):
    if isinstance(value, str):
        return value.strip(" ")
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip(" ")


# A column name that reads as a value: a number or a date (digits and separators only), as in
# the first data row of a file without a header (pandas makes a repeated '1' into '1.1').
_VALUE_LIKE = re.compile(r"\s*[-+]?\d[\d.,:/_\- T]*\s*")


def header_advice(columns) -> str:
    """A sentence for an input whose column names look like values (most of them numbers or
    dates): its first data row was read as the header; or whose one column is named by several
    words (a file separated by spaces); empty otherwise."""
    names = [str(c) for c in columns]
    if len(names) == 1 and len(names[0].split()) > 1:
        return (
            f" Its one column, {names[0]!r}, holds several names separated by spaces: the file "
            "seems to be separated by spaces, which are not read as separators; separate its "
            "columns with commas or tabs (pandas reads it with sep=r'\\s+')."
        )
    data_like = [n for n in names if _VALUE_LIKE.fullmatch(n)]
    if len(names) < 2 or 2 * len(data_like) < len(names):
        return ""
    return (
        f" Its column names look like values ({', '.join(map(repr, data_like[:3]))}): the file "
        "seems to have no header row; add one naming the columns."
    )
