"""Reading and writing tables: CSV and Parquet files and PostgreSQL tables, with clear errors and
atomic writes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from clvmodel._files import csv_delimiter, csv_header_line, write_atomically
from clvmodel._postgres_connect import is_postgres_uri, mask_password
from clvmodel._reading_csv import check_csv_text
from clvmodel._reading_integers import exact_integers
from clvmodel._reading_text import CSV_CELLS, header_advice
from clvmodel.errors import InputError

__all__ = ["read_table", "write_table"]

_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_PARQUET, _POSTGRES = "a Parquet file", "a PostgreSQL table"  # what write_table's errors name


def format_of(path: Path) -> str:
    """The table format of ``path`` from its extension: "csv" or "parquet".

    Parameters
    ----------
    path : pathlib.Path
        A file name ending in .csv or .parquet (any case).

    Returns
    -------
    str
        "csv" or "parquet".
    """
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        if re.match(r"(?i)postgres(ql)?:/", str(path)):  # a URI seen as a path (one slash)
            raise InputError(
                f"{mask_password(path)} is a postgresql:// database, not a file: give a .csv or "
                ".parquet file here."
            )
        raise InputError(
            f"cannot tell the format of {str(path)!r} from its extension; use .csv or .parquet."
        )
    return _FORMATS[suffix]


def _file_path(path) -> Path:
    """``path`` as a :class:`pathlib.Path` (``~`` expanded), else an error naming ``path``."""
    if not isinstance(path, str | os.PathLike) or isinstance(path, bytes):
        raise InputError(
            "path must be a file name (text or a pathlib.Path) or a postgresql:// URI, got "
            f"{type(path).__name__}."
        )
    return Path(path).expanduser()


def read_table(
    path: str | os.PathLike,
    columns: list[str] | None = None,
    *,
    table: str | None = None,
    query: str | None = None,
) -> pd.DataFrame:
    """Read a CSV or Parquet file, or a PostgreSQL table or query, into a DataFrame.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` or ``.parquet`` file, or a ``postgresql://`` connection URI (user, password,
        host and database from the URI, the ``PG*`` environment variables or ``~/.pgpass``;
        needs ``pip install 'clvmodel[postgres]'``).
    columns : list of str, optional
        Columns to read; a missing one raises an error that lists the columns the source has.
    table, query : str, optional
        With a PostgreSQL URI, exactly one: the table (``schema.table`` allowed) or a
        ``SELECT`` query to read. Rows are streamed in Arrow batches.

    Returns
    -------
    pandas.DataFrame
        CSV cells are read as strings (leading zeros of ids survive; dates are left for
        :func:`clvmodel.rfm_summary` to parse); a cell that is empty or a missing-value text
        (``NA``, ``N/A``, ``null``, ``None``, ``NaN``, ... in any case, see
        :data:`clvmodel._reading.MISSING_TEXTS`) is missing (NaN), in every column, as on every
        route that reads CSV files (a segment meant as North America needs another name than
        ``NA``). PostgreSQL columns keep their types, except:
        ``numeric`` and ``money`` arrive as exact strings (``"1.50"``; the RFM functions read
        them as numbers, :func:`pandas.to_numeric` converts them); ``interval`` and the exotic
        types (``inet``, ``cidr``, ``macaddr``, ranges, ``tsvector``, ``bit``, ``timetz``,
        enums, ...) as text as PostgreSQL prints them (``"1 day 02:00:00"``); ``uuid`` as
        :class:`uuid.UUID`; arrays as NumPy arrays.

    Raises
    ------
    InputError
        The file does not exist, has an unknown extension, cannot be parsed, or lacks a column;
        the server cannot be reached, refuses the credentials or the privilege, or has no such
        table (the message never shows the password).

    Examples
    --------
    >>> import clvmodel as clv
    >>> tx = clv.read_table("postgresql://analyst@db/shop", table="sales.orders")
    ... # doctest: +SKIP
    """
    # Over 80 lines for its docstring (the PostgreSQL types).
    columns = [columns] if isinstance(columns, str) else columns  # one column, not its letters
    if is_postgres_uri(path):
        from clvmodel._postgres_read import read_frame

        return read_frame(str(path), table=table, query=query, columns=columns)
    if table is not None or query is not None:
        raise InputError(
            "table= and query= read from a postgresql:// database, not from "
            f"{mask_password(repr(str(path)))}."
        )
    location = _file_path(path)
    kind = format_of(location)
    if not location.is_file():
        what = "is a folder; give a file's path" if location.is_dir() else "does not exist"
        raise InputError(f"input file {str(location)!r} {what}.")
    try:
        if kind == "csv":
            dialect, header = _csv_header(location)
            _check_columns(location, header, columns)
            # Every column is parsed, then the ones asked for kept: with usecols, pandas drops
            # the extra fields of a ragged row ("a,2020-02-01,1,234.50" would read as amount 1).
            frame = pd.read_csv(location, **CSV_CELLS, **dialect)
            frame = frame if columns is None else frame[list(columns)]
        else:
            import pyarrow.parquet as pq

            schema = pq.read_schema(location)
            _check_columns(location, schema.names, columns)
            frame = exact_integers(pd.read_parquet(location, columns=columns), location, schema)
    except InputError:
        raise
    except Exception as exc:  # parsers raise many types; all mean "unreadable file"
        raise _unreadable(location, kind, exc) from None
    return frame


def _csv_header(location: Path, *, check_text: bool = True) -> tuple[dict, pd.Index]:
    """How a CSV file is separated (``read_csv`` options) and its column names; first (unless
    ``check_text`` is False) refused in words when empty or not UTF-8, a pass over the file."""
    if check_text:
        check_csv_text(location)
    separator = csv_delimiter(csv_header_line(location)) or ","
    dialect = {"sep": separator, "skipinitialspace": True}
    return dialect, pd.read_csv(location, nrows=0, **dialect).columns


def file_columns(path: str | os.PathLike) -> list[str] | None:
    """The column names of a CSV or Parquet file, as :func:`read_table` reads them.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` or ``.parquet`` file.

    Returns
    -------
    list of str or None
        The names; None when the file cannot be read (:func:`read_table` then says why).
    """
    location = Path(path)
    try:
        if not location.is_file():
            return None
        if format_of(location) == "csv":
            # The header only: read_table checks the whole text when it reads the file.
            return [str(name) for name in _csv_header(location, check_text=False)[1]]
        import pyarrow.parquet as pq

        return list(pq.read_schema(location).names)
    except Exception:  # unreadable: read_table reports it in its own words
        return None


def _unreadable(location: Path, kind: str, exc: Exception) -> InputError:
    """The error for a file the parser could not read; a ragged CSV row is named by its line."""
    ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if ragged:
        fields, line, seen = ragged.groups()
        return InputError(
            f"cannot read {str(location)!r} as csv: line {line} has {seen} fields where the "
            f"header has {fields} (an unquoted comma in a value, such as 1,234.50? quote such "
            "values or remove the separator)."
        )
    return InputError(f"cannot read {str(location)!r} as {kind}: {exc}")


def _check_columns(location: Path, header, columns) -> None:
    if columns is None:
        return
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(
            f"{str(location)!r} has no column {', '.join(map(repr, missing))}; its columns are "
            f"{list(header)}.{header_advice(header)}"
        )


def write_table(
    frame: pd.DataFrame,
    path: str | os.PathLike,
    index: bool = True,
    *,
    table: str | None = None,
    if_exists: str = "fail",
    column_types: dict[str, str] | None = None,
) -> Path | str:
    """Write a DataFrame to CSV or Parquet (by extension), or to a PostgreSQL table, atomically.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (a Series is written as its one column); with ``index=True`` its index is
        written as a first column (named after the index, or ``customer_id`` for an unnamed one
        in a database). Column names that mix types, and index names that are not text, are
        written as text.
    path : str or path-like
        A ``.csv`` or ``.parquet`` file, or a ``postgresql://`` connection URI.
    index : bool
        Write the index.
    table : str, optional
        The PostgreSQL table to write (required with a URI; ``schema.table`` allowed).
    if_exists : {"fail", "replace", "append"}
        For a PostgreSQL table that exists: raise (the default), swap in the new table in one
        transaction (readers see the old rows or the new ones, never a mix), or add the rows.
    column_types : dict, optional
        PostgreSQL types of some columns (e.g. ``{"customer_id": "varchar(12)"}``); the others
        get the natural type of their values (bigint, double precision, text, ...).

    Returns
    -------
    pathlib.Path or str
        The path written, or the table name; after a failure nothing is left at that path and
        the previous table is untouched.

    Raises
    ------
    InputError
        For Parquet or PostgreSQL: two columns share a name, or a column (or the index) holds
        values of mixed types (numbers and text) or of a type they cannot store. For
        PostgreSQL with ``index=True``: the index is a MultiIndex, or its name (``customer_id``
        when unnamed) is a column's too. Also: the server refused or lost the write, or the
        table exists with ``if_exists="fail"``.

    Examples
    --------
    >>> import clvmodel as clv
    >>> clv.write_table(scores, "postgresql://analyst@db/shop", table="clv_scores",
    ...                    if_exists="replace")  # doctest: +SKIP
    """
    if isinstance(frame, pd.Series):  # one column
        frame = frame.to_frame()
    elif not isinstance(frame, pd.DataFrame):
        raise InputError(f"frame must be a pandas DataFrame, not {type(frame).__name__}.")
    frame = _text_names(frame)
    if is_postgres_uri(path):
        if not table:
            raise InputError("writing to a postgresql:// database needs table= (the table name).")
        _write_postgres(frame, str(path), table, index, if_exists, column_types or {})
        return table
    location = _file_path(path)
    kind = format_of(location)
    if kind == "csv":
        return write_atomically(location, lambda tmp: frame.to_csv(tmp, index=index))
    _check_column_names(frame, _PARQUET)
    return write_atomically(location, lambda tmp: _write_parquet(frame, tmp, index))


def _write_parquet(frame: pd.DataFrame, tmp: Path, index: bool) -> None:
    import pyarrow as pa

    try:
        # Microsecond timestamps: Spark (and other Parquet readers) reject pandas' nanoseconds.
        frame.to_parquet(tmp, index=index, coerce_timestamps="us", allow_truncated_timestamps=True)
    except pa.ArrowException as exc:
        raise _unwritable(frame, index, _PARQUET, exc) from None


def _write_postgres(frame, uri, table, index, if_exists, column_types) -> None:
    import pyarrow as pa

    from clvmodel._postgres_write import TableSpec, postgres_type, write_tables

    _check_column_names(frame, _POSTGRES)
    flat = _index_as_column(frame).reset_index() if index else frame
    try:
        arrow = pa.Table.from_pandas(flat, preserve_index=False)
    except pa.ArrowException as exc:
        raise _unwritable(frame, index, _POSTGRES, exc) from None
    columns = [
        (name, postgres_type(arrow.schema.field(name).type, column_types.get(name)))
        for name in arrow.column_names
    ]
    write_tables(uri, [TableSpec(table, columns, [arrow])], if_exists)


def _text_names(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its column and index names as text when they mix types (``0`` and
    ``"amount"``) or the index's are not text: Arrow stores names as text, and warns that such
    names would not come back as they were."""
    names = frame.columns
    kinds = {type(name) for name in names}
    mixed = len(kinds) > 1 and not isinstance(names, pd.MultiIndex)
    odd_index = any(n is not None and not isinstance(n, str) for n in frame.index.names)
    if not (mixed or odd_index):
        return frame
    frame = frame.copy(deep=False)
    if mixed:
        frame.columns = names.map(str)
    if odd_index:
        frame.index = frame.index.set_names(
            [None if n is None else str(n) for n in frame.index.names]
        )
    return frame


def _check_column_names(frame: pd.DataFrame, target: str) -> None:
    """Refuse column names that repeat (as text, as Arrow stores them): the copies would be
    lost, or the file unreadable."""
    seen, repeated = set(), []
    for name in map(str, frame.columns):
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    if repeated:
        raise InputError(
            f"frame has more than one column named {', '.join(map(repr, repeated))}, which "
            f"{target} cannot hold; rename or drop the copies before writing it."
        )


def _index_as_column(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its index named as the database column it becomes (``customer_id`` when
    unnamed); a MultiIndex, or a name a column has already, is refused."""
    if isinstance(frame.index, pd.MultiIndex):
        raise InputError(
            f"frame has a MultiIndex (levels {list(frame.index.names)}) and index=True writes "
            "the index as one column of a PostgreSQL table; move the levels into columns with "
            "frame.reset_index() and pass index=False."
        )
    name = str(frame.index.name or "customer_id")
    if name in map(str, frame.columns):
        whose = "the index has" if frame.index.name else "an unnamed index gets"
        raise InputError(
            f"frame has a column {name!r}, the name {whose} with index=True in a PostgreSQL "
            "table; pass index=False to leave the index out, or rename the index "
            "(frame.rename_axis('new_name'))."
        )
    return frame.rename_axis(name)


def _unwritable(frame: pd.DataFrame, index: bool, target: str, exc: Exception) -> InputError:
    """The error for a frame Arrow cannot convert, naming the column (or index level) at fault
    and the types its values mix."""
    import pyarrow as pa

    suspects = [(f"column {str(c)!r}", frame.iloc[:, i]) for i, c in enumerate(frame.columns)]
    if index:
        levels = frame.index.nlevels
        suspects += [
            ("the index" if levels == 1 else f"index level {name!r}", level.to_series())
            for name, level in zip(
                frame.index.names, map(frame.index.get_level_values, range(levels)), strict=True
            )
        ]
    for what, values in suspects:
        try:
            pa.array(values, from_pandas=True)
        except pa.ArrowException:
            kinds = sorted({type(v).__name__ for v in values.dropna()}) or [str(values.dtype)]
            if len(kinds) > 1:
                held, fix = f"mixes {' and '.join(kinds)} values", "to one type"
            else:
                held, fix = f"holds {kinds[0]} values", "to numbers, dates or text"
            return InputError(
                f"{what} of frame {held}, which one column of {target} cannot hold; convert it "
                f"{fix} before writing (.astype(str) makes text)."
            )
    reason = exc.args[0] if exc.args else exc
    return InputError(f"cannot write frame to {target}: {reason}.")
