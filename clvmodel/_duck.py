"""DuckDB plumbing shared by the transaction and RFM readers: connections, relations, columns."""

from __future__ import annotations

import os
import re
import weakref
from pathlib import Path

from clvmodel._column_advice import ROLE_OPTIONS, missing_columns_advice
from clvmodel._files import CSV_DELIMITERS, csv_delimiter, csv_header_line
from clvmodel._reading_csv import check_csv_text
from clvmodel._reading_parquet import check_parquet_folder
from clvmodel.errors import InputError


def connect(memory_limit: str = "512MB", threads: int | None = None):
    """A DuckDB connection with bounded memory (it spills to disk beyond ``memory_limit``)."""
    import duckdb

    connection = duckdb.connect(":memory:")
    connection.execute(f"SET memory_limit = '{memory_limit}'")
    connection.execute("SET preserve_insertion_order = false")
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET enable_progress_bar = false")  # clvmodel shows its own
    if threads is not None:
        connection.execute(f"SET threads = {int(threads)}")
    return connection


def quote_name(name: str) -> str:
    """A column or table name quoted for DuckDB SQL."""
    return '"' + str(name).replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """A text quoted as a DuckDB SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


class Relation(str):
    """SQL that reads an input, used as a string; ``csv`` or ``parquet`` is the file (or folder)
    it reads, for the checks that need the file itself (a CSV's lines, Parquet's Arrow schema)."""

    csv: Path | None = None
    parquet: Path | None = None


def relation_sql(path: str | os.PathLike, table: str | None = None) -> Relation:
    """SQL for reading a CSV or Parquet file, or a table of a DuckDB database file."""
    location = Path(path)
    suffix = location.suffix.lower()
    if suffix in (".duckdb", ".db"):
        if not location.is_file():
            raise InputError(f"database file {str(location)!r} does not exist.")
        if not table:
            raise InputError(f"{str(location)!r} is a DuckDB database: name the table to read.")
        return Relation(f"source_db.{quote_name(table)}")
    if not location.exists():
        raise InputError(f"input {str(location)!r} does not exist.")
    if suffix == ".csv":
        relation = Relation(_csv_sql(location))
        relation.csv = location
        return relation
    if suffix in (".parquet", ".pq") or location.is_dir():
        target = str(location / "*.parquet") if location.is_dir() else str(location)
        gaps = check_parquet_folder(location) if location.is_dir() else {}
        relation = Relation(f"read_parquet({sql_literal(target)})")
        relation.parquet = location
        relation.gaps = gaps
        return relation
    raise InputError(
        f"cannot tell the format of {str(location)!r}: use .csv, .parquet (or a folder of them), "
        "or a .duckdb database with a table name."
    )


def _csv_sql(location: Path, options: str = "") -> str:
    return f"read_csv({sql_literal(str(location))}, all_varchar = true, header = true{options})"


#: The largest CSV file read with its dialect written out (see :func:`settle_csv_dialect`).
_SETTLED_CSV_BYTES = 4 * 2**20


def settle_csv_dialect(relation: str, columns: dict[str, str]) -> str:
    """``relation`` as :func:`column_types` settled it for a CSV file of at most 4 MiB: read
    with the dialect DuckDB sniffed written out (``sniff_csv``'s ``Prompt``: delimiter, quote,
    escape, line ending, the columns as text) and detection off; other relations, larger
    files, or ``columns`` of another input, unchanged.

    With detection on DuckDB sniffs the file again at every query (19 ms each on a 6,920-row
    file); with it off, it estimates ~42 rows for any CSV and misplans joins over a large one
    (``clvmodel fit`` on a 78 MB log: 8.1 s became 12.5 s). Measured in
    ``benchmarks/RESULTS.md`` (2026-12-05).

    Parameters
    ----------
    relation : str
        SQL reading the input, as :func:`relation_sql` gives it.
    columns : dict
        The input's columns and types, as :func:`column_types` found them.

    Returns
    -------
    str
        The SQL to read the input with from now on.
    """
    settled = getattr(columns, "settled", None)
    csv = getattr(relation, "csv", None)
    if settled is None or csv is None or settled.csv != csv:
        return relation
    return settled


def _settled_csv(connection, csv: Path) -> tuple[Relation, list[tuple]] | None:
    """A CSV file of at most 4 MiB read with the dialect DuckDB sniffs written out, and its
    ``DESCRIBE`` rows; None for a larger file, or where DuckDB cannot sniff it (the error is
    then met, and explained, with detection on)."""
    status = csv.stat() if csv.is_file() else None
    if status is None or status.st_size > _SETTLED_CSV_BYTES:
        return None
    # Sniffed once per connection and file version: a command that asks what a file holds,
    # then reads it, on one connection, sniffs it once.
    file = (str(csv.resolve()), status.st_size, status.st_mtime_ns, status.st_ino)
    known = _SNIFFED.setdefault(connection, {})
    return known[file] if file in known else known.setdefault(file, _sniffed_csv(connection, csv))


_SNIFFED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _sniffed_csv(connection, csv: Path) -> tuple[Relation, list[tuple]] | None:
    try:
        prompt = connection.execute(
            f"SELECT Prompt FROM sniff_csv({sql_literal(str(csv))}, all_varchar = true, "
            "header = true)"
        ).fetchall()[0][0]
        call = re.fullmatch(r"\s*FROM\s+(read_csv\(.*\))\s*;?\s*", prompt, re.S)
        settled = Relation(call.group(1))
        described = connection.execute(f"DESCRIBE SELECT * FROM {settled}").fetchall()
    except Exception:  # noqa: BLE001 - DuckDB's own error types, or a Prompt it cannot read back
        return None
    settled.csv = csv
    return settled, described


def attach_database(connection, path) -> None:
    """Attach a DuckDB database file read-only as ``source_db`` (other paths: nothing to do;
    already attached to this connection: nothing more to do)."""
    location = Path(path)
    if location.suffix.lower() not in (".duckdb", ".db"):
        return
    query = "SELECT path FROM duckdb_databases() WHERE database_name = 'source_db'"
    attached = [Path(row[0]).resolve() for row in connection.execute(query).fetchall()]
    if attached != [location.resolve()]:  # not yet attached to this connection
        connection.execute(f"ATTACH {sql_literal(str(location))} AS source_db (READ_ONLY)")


class Columns(dict):
    """Column name → DuckDB type of an input; ``unnamed`` lists the columns that have no name in
    a CSV file's header, which DuckDB names itself (``column0``, ``column2``: names the file
    does not show, so messages must not use them)."""

    unnamed: tuple[str, ...] = ()
    case_twins: dict[str, list[str]] | None = None  # names differing only in case, by lower case
    gaps: dict[str, tuple[str, str]] | None = None  # a folder's columns some files lack
    settled: Relation | None = None  # a small CSV read with its dialect written out


def column_types(connection, relation: str) -> Columns:
    """Column name → DuckDB type of ``relation``.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection
    relation : str
        SQL reading the input (a :class:`Relation` for a file).

    Returns
    -------
    Columns
        The types, with the columns that have no name in a CSV file's header.

    Raises
    ------
    InputError
        When the input cannot be read, or is a CSV file that is empty, not UTF-8 (see
        :func:`clvmodel._reading_csv.check_csv_text`) or that DuckDB could not split into columns
        (see :func:`csv_shape_error`).
    """
    csv = getattr(relation, "csv", None)
    if csv is not None:
        check_csv_text(csv)
    # A small CSV file sniffed once, here, for every query that reads it.
    settled, described = (None if csv is None else _settled_csv(connection, csv)) or (None, None)
    if described is None:
        try:
            described = connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        except Exception as exc:  # duckdb raises its own error types for unreadable files
            shape = None if csv is None else csv_shape_error(exc, csv)
            error = InputError(f"cannot read the input: {str(exc).splitlines()[0]}")
            raise (shape or error) from None
    columns = Columns((row[0], row[1]) for row in described)
    columns.settled = settled
    one_column = csv is not None and len(columns) == 1
    delimiter = csv_delimiter(next(iter(columns))) if one_column else None
    if delimiter:
        # A header that holds a delimiter was not split: the sniffer found no dialect giving
        # every row as many fields as the header, and took each line as one field.
        raise _csv_shape_message(csv, _first_misfit(csv, delimiter))
    if csv is not None:
        columns.unnamed = _unnamed_columns(list(columns), csv)
    columns.gaps = getattr(relation, "gaps", None)
    if any(re.search(r"_\d+$", name) for name in columns):  # DuckDB's renamed duplicates
        columns.case_twins = _case_twins(relation)
    return columns


def _case_twins(relation) -> dict[str, list[str]]:
    """The names of a CSV header or Parquet schema that differ only in case, by their lower
    case: DuckDB renames all but the first (``amount`` after ``Amount`` is ``amount_1``)."""
    import csv as csv_module

    import pyarrow.parquet as pq

    csv, parquet = getattr(relation, "csv", None), getattr(relation, "parquet", None)
    if csv is not None:
        header = csv_header_line(csv).rstrip("\r\n").lstrip("\ufeff")
        names = next(csv_module.reader([header], delimiter=csv_delimiter(header) or ","), [])
    elif parquet is not None:
        files = sorted(parquet.glob("*.parquet")) if parquet.is_dir() else [parquet]
        names = pq.read_schema(files[0]).names
    else:
        return {}
    groups: dict[str, list[str]] = {}
    for name in dict.fromkeys(name.strip() for name in names):
        groups.setdefault(name.lower(), []).append(name)
    return {key: group for key, group in groups.items() if len(group) > 1}


def _unnamed_columns(names: list[str], csv) -> tuple[str, ...]:
    """DuckDB's names of the columns whose cell in the header of ``csv`` is empty (none when the
    header does not split into as many cells as DuckDB found columns)."""
    import csv as csv_module

    header = csv_header_line(csv).rstrip("\r\n").lstrip("\ufeff")  # a byte-order mark
    cells = next(csv_module.reader([header], delimiter=csv_delimiter(header) or ","), [])
    if len(cells) != len(names):
        return ()
    return tuple(name for name, cell in zip(names, cells, strict=True) if not cell.strip())


#: What DuckDB says when a CSV row has more or fewer fields than the header, once it has
#: settled the dialect (e.g. for a row beyond the lines it sniffed).
_FIELD_COUNT = re.compile(
    r"CSV Error on Line: (\d+).*?Expected Number of Columns: (\d+) Found: (\d+)", re.DOTALL
)


def csv_shape_error(exc: BaseException, csv: str | os.PathLike) -> InputError | None:
    """The error to raise for DuckDB's ``exc`` while reading the CSV file ``csv`` when a row
    of it has more or fewer fields than the header (naming the line when DuckDB gives it);
    None when ``exc`` is about something else."""
    text = str(exc)
    found = _FIELD_COUNT.search(text)
    if found:
        line, expected, fields = (int(group) for group in found.groups())
        return _csv_shape_message(csv, (line, fields, expected))
    delimiter = csv_delimiter(csv_header_line(csv))
    if "Error when sniffing file" in text and delimiter:
        # No dialect fits every sniffed row: is a row with a wrong number of fields the cause?
        misfit = _first_misfit(csv, delimiter)
        return None if misfit is None else _csv_shape_message(csv, misfit)
    return None


def _first_misfit(csv, delimiter: str) -> tuple[int, int, int] | None:
    """The first line of ``csv`` (read with ``delimiter``) with more or fewer fields than the
    header, as (line, its fields, the header's), from DuckDB's rejects table; None when DuckDB
    lists none or cannot tell."""
    import csv as csv_module

    connection = connect()
    try:
        options = f", delim = {sql_literal(delimiter)}, store_rejects = true"
        connection.execute(f"SELECT COUNT(*) FROM {_csv_sql(Path(csv), options)}").fetchall()
        first = connection.execute(
            "SELECT line, csv_line FROM reject_errors WHERE error_type IN "
            "('TOO MANY COLUMNS', 'MISSING COLUMNS') ORDER BY line LIMIT 1"
        ).fetchall()
    except Exception:  # a DuckDB without rejects tables, or a file it cannot read this way
        return None
    finally:
        connection.close()
    if not first:
        return None
    line, text = first[0]
    header = next(csv_module.reader([csv_header_line(csv)], delimiter=delimiter), [])
    fields = next(csv_module.reader([text], delimiter=delimiter), [])
    return int(line), len(fields), len(header)


def _csv_shape_message(csv, misfit: tuple[int, int, int] | None) -> InputError:
    """One line saying that ``csv`` does not split into the header's columns, and where."""
    name = CSV_DELIMITERS[csv_delimiter(csv_header_line(csv)) or ","]
    unquoted = f"an unquoted {name} in a value" + (", such as 1,234.50" if name == "comma" else "")
    quote = f"quote values that hold a {name}"
    complete = "give every row one field per column of the header"
    if misfit is None:
        where = "a row has more or fewer fields than the header"
        hint = f"{unquoted}, or a missing field? {quote}, and {complete}"
    else:
        line, fields, expected = misfit
        where = f"line {line} has {fields} fields where the header has {expected}"
        hint = f"{unquoted}? {quote}" if fields > expected else f"a missing field? {complete}"
    return InputError(f"cannot split {str(csv)!r} into columns consistently: {where} ({hint}).")


def require_roles(columns: dict[str, str], needed: dict[str, str]) -> None:
    """Refuse an input without the columns ``needed`` (role → column name), listing its own.

    Columns without a name in a CSV file's header (``columns.unnamed`` of a :class:`Columns`)
    are said to have none, not given DuckDB's names for them.

    Parameters
    ----------
    columns : dict
        Column name → type, as :func:`column_types` gives them.
    needed : dict
        Role (``"customer"``, ``"date"``, ``"amount"``, or an RFM column) → column name.

    Raises
    ------
    InputError
        When a needed column is missing, naming the options that name the right ones.
    """
    for name in needed.values():
        if name in (getattr(columns, "gaps", None) or {}):
            holder, lacking = columns.gaps[name]
            raise InputError(
                f"column {name!r} is in {holder!r} but not in {lacking!r}, and the files of "
                "a folder are read as one table: write the column in every file of the folder."
            )
    absent = {role: name for role, name in needed.items() if name not in columns}
    if not absent:
        _refuse_nested_ids(columns, needed.get("customer"))
        return
    twins = getattr(columns, "case_twins", None) or {}
    for name in absent.values():
        if name.lower() in twins:
            group = twins[name.lower()]
            raise InputError(
                f"the input has columns {' and '.join(map(repr, group))}, whose names differ "
                f"only in case: DuckDB does not tell them apart and reads only {group[0]!r}. "
                f"Rename {'them' if len(group) > 2 else 'one of them'} so that no two names "
                "differ only in case."
            )
    missing = ", ".join(f"{role} column {name!r}" for role, name in absent.items())
    unnamed = getattr(columns, "unnamed", ())
    if not unnamed:
        advice = missing_columns_advice(absent, columns)
        raise InputError(
            f"the input has no {missing}; its columns are {list(columns)}. {advice}".rstrip()
        )
    positions = [str(list(columns).index(name) + 1) for name in unnamed]
    several = len(positions) > 1
    where = (
        f"column{'s' if several else ''} {' and '.join(positions)} {'have' if several else 'has'}"
    )
    named = [name for name in columns if name not in unnamed]
    names = ", ".join(repr(name) for name in absent.values())
    options = [ROLE_OPTIONS[role] for role in absent if role in ROLE_OPTIONS]
    plural = "s" if len(absent) > 1 else ""
    other = "other names" if plural else "another name"
    given = f"; or {other}, given with {' and '.join(options)}" if options else ""
    raise InputError(
        f"the input has no {missing}; {where} no name in the file's header (its named columns "
        f"are {named}). Write the name{plural} in the header ({names}{given})."
    )


def arrow_reader(relation, batch_size: int):
    """A record-batch reader of a DuckDB relation: ``to_arrow_reader`` (DuckDB ≥ 1.1) or
    ``fetch_arrow_reader`` (DuckDB 1.0, the supported floor)."""
    reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
    return reader(batch_size)


def _refuse_nested_ids(columns: dict[str, str], name: str | None) -> None:
    """Refuse a customer id column of lists, structs or maps (each value would become one
    customer, shown as ``[1, 2]``), as the pandas and Spark routes refuse it."""
    kind = str(columns.get(name, "")) if name is not None else ""
    if kind.endswith("]") or kind.upper().startswith(("STRUCT", "MAP", "UNION")):
        raise InputError(
            f"column {name!r} holds nested values ({kind}), not customer ids; ids must be numbers "
            "or text, one per row (unnest or join nested values first)."
        )
