"""Whether a given ``date_format`` fits a column's date texts, and which pattern would.

A ``date_format`` that reads none of a column's texts, or only some while another pattern reads
(nearly) all of them (``'%m/%d/%Y'`` given for day-first dates: the days above 12 are rejected,
the others silently read with day and month swapped), is refused here, with the values and the
pattern that reads them, never with advice to pass what was passed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._reading_dates import date_text_kind
from clvmodel._reading_text import NO_DAY, examples
from clvmodel.errors import InputError

#: Patterns tried for texts that are not numeric dates (month names, two-digit years).
_WORDED = (
    "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y", "%d-%b-%Y",
    "%d-%b-%y", "%d/%b/%Y", "%d.%m.%y", "%d/%m/%y", "%m/%d/%y", "%d-%m-%y", "%m-%d-%y",
)  # fmt: skip
#: Distinct texts a pattern is tried on: enough to judge a column, bounded for speed.
_SAMPLE = 5000
#: Share of the texts a pattern must read to be proposed: a few stray values ("unknown", a typo)
#: must not hide the pattern of all the others.
_MOST = 0.99


def _share_read(texts: list[str], pattern: str) -> float:
    parsed = pd.to_datetime(pd.Series(texts, dtype=object), format=pattern, errors="coerce")
    return float(parsed.notna().mean())


def _numeric_patterns(texts: list[str]) -> list[str]:
    """The patterns of texts written in one numeric way (:func:`date_text_kind`; other texts
    left aside): ISO, ``YYYYMMDD``, or ``NN/NN/YYYY`` in the order the values settle (both
    orders when none does)."""
    kinds = [kind for kind in map(date_text_kind, texts) if kind is not None]
    labels = {kind[0] for kind in kinds}
    if len(labels) != 1:
        return []
    (label,) = labels
    if label == "YYYYMMDD":
        return ["%Y%m%d"]
    if label.startswith("YYYY"):
        sep = label[4]
        return [f"%Y{sep}%m{sep}%d"]
    sep = label[2]
    day_first, month_first = f"%d{sep}%m{sep}%Y", f"%m{sep}%d{sep}%Y"
    first_big = any(kind[2] > 12 for kind in kinds)
    second_big = any(kind[3] > 12 for kind in kinds)
    if first_big and second_big:
        return []
    if first_big:
        return [day_first]
    if second_big:
        return [month_first]
    return [day_first, month_first]


def patterns_reading(texts, given: str | None = None, given_share: float = 0.0) -> list[str]:
    """strftime patterns other than ``given`` that read (nearly) every one of ``texts``.

    Parameters
    ----------
    texts : iterable of str
        Distinct date texts, trimmed, without a time and without missing values.
    given : str, optional
        The pattern already tried (never proposed).
    given_share : float
        The share of ``texts`` ``given`` reads: a pattern is proposed only if it reads more.

    Returns
    -------
    list of str
        Usually one pattern; two for ``NN/NN/YYYY`` dates no value settles (day first, then
        month first); none when no pattern of the few tried reads 99 % of them.
    """
    texts = list(texts)[:_SAMPLE]
    if not texts:
        return []
    candidates = [p for p in _numeric_patterns(texts) or _WORDED if p != given]
    shares = {p: _share_read(texts, p) for p in candidates}
    return [p for p, share in shares.items() if share >= _MOST and share > given_share]


def _proposal(patterns: list[str]) -> str:
    """What to pass instead, from :func:`patterns_reading`'s patterns."""
    if not patterns:
        return (
            "pass the pattern they are written in (strftime: %Y year, %m month, %d day, %b month "
            "name), or write the dates as YYYY-MM-DD"
        )
    if len(patterns) == 2:
        return (
            f"they read with date_format={patterns[0]!r} (day first) and with "
            f"date_format={patterns[1]!r} (month first): pass the one they are written in"
        )
    (pattern,) = patterns
    proposal = f"they read with date_format={pattern!r}"
    if pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
        proposal += " (or leave date_format out: such dates are read without it)"
    return proposal


def check_format_fits(texts, days: np.ndarray, date_format: str | None, column: str) -> None:
    """Refuse a ``date_format`` that reads none of ``texts``, or only some of them while another
    pattern reads more, and 99 % of them.

    Parameters
    ----------
    texts : sequence of str
        The distinct date texts of ``column`` (trimmed, without a time, none missing).
    days : numpy.ndarray
        Their day numbers as read with ``date_format`` (``NO_DAY`` where unreadable).
    date_format : str or None
        The pattern given; None (nothing to check) when the format was found from the values.
    column : str
        The column, for the message.

    Raises
    ------
    InputError
        Naming the pattern, a few values it does not read, and the pattern that reads them.
    """
    if date_format is None or len(texts) == 0:
        return
    unread = np.asarray(days) == NO_DAY
    if not unread.any():
        return
    texts = list(texts)
    missed = [text for text, bad in zip(texts, unread, strict=True) if bad]
    given_share = 1 - float(unread[:_SAMPLE].mean())
    patterns = patterns_reading(texts, date_format, given_share)
    if unread.all():
        raise InputError(
            f"date_format={date_format!r} matches none of the values in column {column!r} (for "
            f"example {examples(missed)}); {_proposal(patterns)}."
        )
    if patterns:  # some read, but wrongly: another pattern reads (nearly) every value
        raise InputError(
            f"date_format={date_format!r} does not match {len(missed):,} of the "
            f"{len(texts):,} distinct values in column {column!r} (for example "
            f"{examples(missed)}), and those it matches may be misread; {_proposal(patterns)}."
        )


def numbers_as_dates_error(values, column: str) -> InputError:
    """The error for a column of numbers read as dates without ``date_format``: the values, and
    the pattern that reads them when there is one (``'%Y%m%d'`` for ``19970101``).

    Parameters
    ----------
    values : sequence
        A few distinct values of the column (numbers).
    column : str
        The column, for the message.

    Returns
    -------
    InputError
    """
    values = list(values)
    if values and all(isinstance(v, bool | np.bool_) for v in values):
        return InputError(
            f"column {column!r} holds true/false values ({', '.join(map(str, values))}), not "
            "dates; name the date column with date_col=."
        )
    whole = [
        f"{v:.0f}"
        if isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_)
        and np.isfinite(v) and float(v).is_integer()
        else str(v)
        for v in values
    ]  # fmt: skip
    found = patterns_reading(whole)
    advice = (
        f"they read with date_format={found[0]!r}"
        if len(found) == 1
        else "pass date_format= with their pattern (e.g. date_format='%Y%m%d' for values like "
        "19970101), or convert the column to dates first"
    )
    return InputError(
        f"column {column!r} holds numbers ({', '.join(whole)}), which are ambiguous as dates; "
        f"give their date format: {advice}."
    )
