"""What the Arrow schemas of a Parquet file or folder say before DuckDB reads it: whether every
file of a folder holds each column, as one kind of value, and the time zone of a timestamp column
(which DuckDB does not keep)."""

from __future__ import annotations

from pathlib import Path

from clvmodel.errors import InputError

__all__ = ["check_parquet_folder", "parquet_time_zone"]

#: The kind of an Arrow column of type null: no values (an empty or all-missing column).
_NO_VALUES = "null"


def _column_kind(kind) -> str:
    """What a Parquet column's Arrow type holds, as far as reading it goes: whole numbers, text,
    decimals, floating-point numbers, dates or local times, times with a time zone, true/false
    (or the type itself). Local and zoned times differ: DuckDB would cast one to the other at
    UTC, so a zoned file's purchases would fall on UTC days instead of their own zone's."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    for name, test in (
        ("whole numbers", pa.types.is_integer),
        ("text", lambda k: pa.types.is_string(k) or pa.types.is_large_string(k)),
        ("decimal numbers", pa.types.is_decimal),
        ("floating-point numbers", pa.types.is_floating),
        ("times with a time zone", lambda k: pa.types.is_timestamp(k) and k.tz is not None),
        (
            "dates or times without a time zone",
            lambda k: pa.types.is_date(k) or pa.types.is_timestamp(k),
        ),
        ("true/false values", pa.types.is_boolean),
    ):
        if test(kind):
            return name
    return str(kind)


def check_parquet_folder(folder: Path) -> dict[str, tuple[str, str]]:
    """Refuse a folder of Parquet files that DuckDB cannot read as one table without changing
    values: no file, or a column whose values are of another kind in one file than in another.

    DuckDB takes the first file's schema and casts the other files to it: text ids ``"007"``
    after integer ids in the first file become the integer 7 (and merge with customer 7).

    Returns the columns that some files lack, each with a file that has it and one that does
    not: DuckDB fails on them (or misses them) only when they are read, so the caller refuses
    them once it knows which columns it needs.
    """
    import pyarrow.parquet as pq

    files = sorted(folder.glob("*.parquet"))
    if not files:
        nested = next(iter(sorted(folder.rglob("*.parquet"))), None)
        where = "" if nested is None else (
            " of its own; its subfolders hold some (such as "
            f"{nested.relative_to(folder).as_posix()!r}), but only the files directly in the "
            "folder are read: give one subfolder, or move the files into one folder"
        )  # fmt: skip
        raise InputError(f"folder {str(folder)!r} holds no .parquet file{where}.")
    seen: dict[str, tuple[str, str]] = {}
    schemas: dict[str, set[str]] = {}
    for file in files:
        try:
            schema = pq.read_schema(file)
        except Exception as error:  # pyarrow's errors for a damaged or non-Parquet file
            raise InputError(f"cannot read {str(file)!r} as Parquet: {error}") from None
        schemas[file.name] = set(schema.names)
        for field in schema:
            kind = _column_kind(field.type)
            first = seen.setdefault(field.name, (kind, file.name))
            if first[0] == kind or kind == _NO_VALUES:  # read as missing values of first's type
                continue
            if first[0] == _NO_VALUES:  # DuckDB would cast the values to the null type
                raise InputError(
                    f"column {field.name!r} of {first[1]!r} holds no values (Arrow type null, as "
                    f"pandas writes an empty or all-missing column), and {file.name!r} holds "
                    f"{kind}: DuckDB reads every file of {str(folder)!r} with the types of its "
                    "first file. Write the column with one type in every file, or remove the file."
                )
            raise InputError(
                f"the files of {str(folder)!r} hold column {field.name!r} as different kinds "
                f"of values ({first[0]} in {first[1]!r}, {kind} in {file.name!r}); write it "
                "with one type in every file."
            )
    gaps = {}
    for name, (_, holder) in seen.items():
        lacking = next((f.name for f in files if name not in schemas[f.name]), None)
        if lacking is not None:
            gaps[name] = (holder, lacking)
    return gaps


def parquet_time_zone(relation: str, column: str) -> str | None:
    """The time zone the Arrow schema of the Parquet file (or each file of the folder) read by
    ``relation`` records for the timestamps of ``column``: None when it records none or
    ``relation`` reads no Parquet; files of one folder that record different zones are refused.
    DuckDB itself keeps only the instants (TIMESTAMPTZ), not the zone they were written in."""
    location = getattr(relation, "parquet", None)
    if location is None:
        return None
    import pyarrow.parquet as pq

    files = sorted(location.glob("*.parquet")) if location.is_dir() else [location]
    zones = set()
    for file in files:
        schema = pq.read_schema(file)
        kind = schema.field(column).type if column in schema.names else None
        if kind is not None and _column_kind(kind) != _NO_VALUES:  # no values, no zone
            zones.add(getattr(kind, "tz", None))
    if len(zones) > 1:
        raise InputError(
            f"the files of {str(location)!r} hold the timestamps of column {column!r} in "
            f"different time zones ({', '.join(sorted(map(str, zones)))}); write them in one time "
            "zone."
        )
    return zones.pop() if zones else None
