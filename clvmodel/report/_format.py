"""Numbers as the report prints them, and the table, figure and section blocks it is made of."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

#: How the row of all customers is labelled (below the per-segment rows).
ALL = "All customers"


def total_label(segments) -> str:
    """The label of the row of all customers: :data:`ALL`, unless a segment is called that
    (then "All customers (total)", and so on), so that the total is never read as a segment.

    Parameters
    ----------
    segments : iterable
        The segments' values (compared as text, as the report shows them).

    Returns
    -------
    str
        A label that is none of the segments'.
    """
    taken = {str(segment) for segment in segments}
    label = ALL
    while label in taken:
        label = f"{label} (total)"
    return label


def with_total(rows) -> pd.DataFrame:
    """A table's rows per segment and of all customers as one frame, indexed as the report
    shows them.

    Parameters
    ----------
    rows : clvmodel.report._analysis.PerSegment
        The rows per segment (``segments``, None without segments) and of all customers
        (``total``).

    Returns
    -------
    pandas.DataFrame
        The segments' rows, their index as text, then the row of all customers, labelled by
        :func:`total_label`.
    """
    segments = rows.segments
    labels = [] if segments is None else [str(key) for key in segments.index]
    total = rows.total.to_frame().T.set_axis([total_label(labels)])
    return total if segments is None else pd.concat([segments.set_axis(labels), total])


def count(value) -> str:
    return f"{int(value):,}"


def money(value) -> str:
    """Two decimals below 1,000, whole numbers above (with thousands separators)."""
    value = float(value)
    if not math.isfinite(value):
        return "n/a"
    return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"


def percent(fraction, signed: bool = False) -> str:
    """A fraction as a percentage with one decimal ("12.3 %"; "+12.3 %" when signed)."""
    fraction = float(fraction)
    if not math.isfinite(fraction):
        return "n/a"
    return f"{100 * fraction:{'+' if signed else ''}.1f} %"


def ratio(value) -> str:
    value = float(value)
    return f"{value:.2f}" if math.isfinite(value) else "n/a"


def decimal(value, places: int = 2) -> str:
    value = float(value)
    return f"{value:,.{places}f}" if math.isfinite(value) else "n/a"


def months(value, horizon: str) -> str:
    """A payback in months, or "not within" the horizon (in words) when it is not reached."""
    value = float(value)
    return f"{value:.1f}" if math.isfinite(value) else f"not within {horizon}"


def segment_label(a) -> str:
    """What the report calls a segment: the name of the segment column, else "segment"."""
    name = a.settings.segment_name
    return name if name else "segment"


def day_text(value) -> str:
    """A date option as the report prints it: text as given, a date or timestamp as
    YYYY-MM-DD (not "1997-09-30 00:00:00"), with its time only when it has one."""
    if isinstance(value, str):
        return value
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{stamp:%Y-%m-%d}" if stamp == stamp.normalize() else str(stamp)


def first_upper(text: str) -> str:
    """``text`` with its first letter in upper case and the rest as written: a segment column's
    name heads a table column as the user wrote it ("UTM source", not "Utm source")."""
    return text[:1].upper() + text[1:]


def unit_words(unit) -> str:
    """The model's time unit in words (plural)."""
    return {"W": "weeks", "D": "days"}.get(unit, "periods")


@dataclass
class Cell:
    text: str
    numeric: bool = True


@dataclass
class Table:
    """A data table: one header column (the row labels, ``<th scope="row">``) and value columns."""

    id: str
    caption: str
    columns: list[str]  # the first names the row labels
    rows: list[tuple[str, list[Cell]]]
    note: str | None = None
    total_row: int | None = None  # the position of the row of all customers, if any

    @classmethod
    def from_frame(cls, id, caption, frame: pd.DataFrame, formats, label, note=None):
        """``formats``: column → (heading, formatter); the rows are the frame's index."""
        rows = []
        for key, row in frame.iterrows():
            cells = [Cell(formatter(row[column])) for column, (_, formatter) in formats.items()]
            rows.append((str(key), cells))
        headings = [label, *(heading for heading, _ in formats.values())]
        return cls(id, caption, headings, rows, note)

    @classmethod
    def with_total(cls, id, caption, rows, formats, label, note=None):
        """A table of a :class:`~clvmodel.report._analysis.PerSegment`: a row per segment, then
        the row of all customers, marked as the total (:func:`with_total`)."""
        table = cls.from_frame(id, caption, with_total(rows), formats, label, note)
        table.total_row = len(table.rows) - 1
        return table


@dataclass
class Figure:
    id: str
    title: str
    src: str
    width: int
    height: int
    alt: str
    how_to_read: str


@dataclass
class Section:
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    blocks: list[Table | Figure] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)


@dataclass
class Card:
    label: str
    value: str
    detail: str
    id: str
