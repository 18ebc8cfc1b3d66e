"""Reading and writing tables: CSV and Parquet files, with clear errors and atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from clvmodel._files import write_atomically
from clvmodel.errors import InputError

__all__ = ["read_table", "write_table"]

_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise InputError(
            f"cannot tell the format of {str(path)!r} from its extension; use .csv or .parquet."
        )
    return _FORMATS[suffix]


def read_table(path: str | os.PathLike, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` or ``.parquet`` file.
    columns : list of str, optional
        Columns to read; a missing one raises an error that lists the columns the file has.

    Returns
    -------
    pandas.DataFrame
        CSV ids are read as strings (leading zeros survive); dates are left for
        :func:`clvmodel.rfm_summary` to parse.

    Raises
    ------
    InputError
        The file does not exist, has an unknown extension, cannot be parsed, or lacks a column.
    """
    location = Path(path)
    kind = _format_of(location)
    if not location.is_file():
        raise InputError(f"input file {str(location)!r} does not exist.")
    try:
        if kind == "csv":
            header = pd.read_csv(location, nrows=0).columns
            _check_columns(location, header, columns)
            frame = pd.read_csv(location, usecols=columns, dtype=str, keep_default_na=True)
        else:
            import pyarrow.parquet as pq

            header = pq.read_schema(location).names
            _check_columns(location, header, columns)
            frame = pd.read_parquet(location, columns=columns)
    except InputError:
        raise
    except Exception as exc:  # parsers raise many types; all mean "unreadable file"
        raise InputError(f"cannot read {str(location)!r} as {kind}: {exc}") from None
    return frame


def _check_columns(location: Path, header, columns) -> None:
    if columns is None:
        return
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(
            f"{str(location)!r} has no column {', '.join(map(repr, missing))}; its columns are "
            f"{list(header)}."
        )


def write_table(frame: pd.DataFrame, path: str | os.PathLike, index: bool = True) -> Path:
    """Write a DataFrame to CSV or Parquet (by extension) atomically.

    Returns
    -------
    pathlib.Path
        The path written; after a failure nothing is left at that path.
    """
    location = Path(path)
    kind = _format_of(location)
    if kind == "csv":
        return write_atomically(location, lambda tmp: frame.to_csv(tmp, index=index))
    # Microsecond timestamps: Spark (and other Parquet readers) reject pandas' nanoseconds.
    return write_atomically(
        location,
        lambda tmp: frame.to_parquet(
            tmp, index=index, coerce_timestamps="us", allow_truncated_timestamps=True
        ),
    )
