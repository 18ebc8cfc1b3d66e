"""Column types for writing Arrow data into PostgreSQL: the natural PostgreSQL type of an Arrow
type, the Arrow type whose binary ``COPY`` form a PostgreSQL column accepts, and the cast between
them (:mod:`clvmodel._postgres_write` uses them)."""

from __future__ import annotations

from clvmodel._postgres_read import base_type

__all__ = ["COPY_TYPES", "arrow_type", "cast_for_copy", "postgres_type"]

_INTEGERS = {"smallint": "int16", "integer": "int32", "bigint": "int64"}
_TEXTS = ("text", "character varying", "character", "varchar", "char", "bpchar")
#: Column types that binary COPY fills from the Arrow type :func:`arrow_type` gives them.
COPY_TYPES = (*_INTEGERS, *_TEXTS, "double precision", "real", "boolean", "date",
              "timestamp without time zone", "timestamp with time zone")  # fmt: skip


def postgres_type(arrow_type, declared: str | None = None) -> str:
    """The column type for an Arrow type: ``declared`` (e.g. the source's customer-id type, a
    ``column_types=`` entry) when the values fit it, otherwise the natural PostgreSQL type.

    Integers fit an integer type; numbers (and their text) ``numeric`` and ``money``; floats
    ``real`` and ``double precision``; text any other type the server can cast it to (``uuid``,
    an enum, ``citext``, ...); dates, timestamps, durations and booleans their own types.
    """
    if declared is not None and _fits(arrow_type, base_type(declared)):
        return declared
    return _natural_type(arrow_type)


def _fits(arrow_type, base: str) -> bool:
    import pyarrow as pa

    text = pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
    if _is_uuid(arrow_type):
        return base in ("uuid", *_TEXTS)
    if base in _INTEGERS:
        return pa.types.is_integer(arrow_type)
    if base in ("numeric", "decimal", "money"):
        number = pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type)
        return number or pa.types.is_decimal(arrow_type) or text
    if base in ("double precision", "real", "float8", "float4"):
        return pa.types.is_floating(arrow_type)
    if base == "boolean":
        return pa.types.is_boolean(arrow_type)
    if base == "date":
        return pa.types.is_date(arrow_type)
    if base == "interval":
        return pa.types.is_duration(arrow_type)
    if base.startswith("timestamp"):
        return pa.types.is_timestamp(arrow_type)
    return text


def _is_uuid(arrow_type) -> bool:
    """Whether ``arrow_type`` is Arrow's UUID extension (pandas' ``uuid.UUID`` objects)."""
    return getattr(arrow_type, "extension_name", None) == "arrow.uuid"


def _natural_type(arrow_type) -> str:
    """The PostgreSQL type that holds the values of ``arrow_type``."""
    import pyarrow as pa

    if _is_uuid(arrow_type):
        return "uuid"
    if pa.types.is_int16(arrow_type) or pa.types.is_int8(arrow_type):
        return "smallint"
    if pa.types.is_int32(arrow_type):
        return "integer"
    if pa.types.is_uint64(arrow_type):
        return "numeric(20,0)"  # beyond bigint from 2**63
    if pa.types.is_integer(arrow_type):
        return "bigint"
    if pa.types.is_decimal(arrow_type):
        # The scale kept; the widest precision of the Arrow type, not the one pandas inferred
        # from the values written (numeric(3,2) would refuse an appended 100.00).
        widest = 38 if pa.types.is_decimal128(arrow_type) else 76
        return f"numeric({max(widest, arrow_type.precision)},{arrow_type.scale})"
    if pa.types.is_duration(arrow_type):
        return "interval"
    if pa.types.is_floating(arrow_type):
        return "double precision"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp with time zone" if arrow_type.tz else "timestamp without time zone"
    return "text"


def arrow_type(pg_type: str):
    """The Arrow type whose binary COPY form a column of ``pg_type`` accepts (text for the
    types COPY cannot fill: their values go through text, see :mod:`clvmodel._postgres_write`)."""
    import pyarrow as pa

    base = base_type(pg_type)
    if base in _INTEGERS:
        return getattr(pa, _INTEGERS[base])()
    if base == "interval":
        return pa.duration("us")
    if base in ("double precision", "real"):
        return pa.float64() if base != "real" else pa.float32()
    if base == "boolean":
        return pa.bool_()
    if base == "date":
        return pa.date32()
    if base.startswith("timestamp"):
        return pa.timestamp("us", tz="UTC" if "with time zone" in base else None)
    return pa.string()


def cast_for_copy(table, columns: list[tuple[str, str]]):
    """``table`` with each column cast to the Arrow type of its PostgreSQL type; times finer
    than PostgreSQL's microseconds are truncated to them (as Parquet files are written)."""
    import pyarrow as pa

    arrays = []
    for array, (_, pg_type) in zip(table.columns, columns, strict=True):
        target = arrow_type(pg_type)
        finer = (
            (pa.types.is_timestamp(array.type) and pa.types.is_timestamp(target))
            or (pa.types.is_duration(array.type) and pa.types.is_duration(target))
        ) and array.type.unit == "ns"
        if _is_uuid(array.type) and pa.types.is_string(target):
            arrays.append(_uuid_texts(array))
            continue
        arrays.append(array.cast(target, safe=not finer))
    return pa.Table.from_arrays(arrays, names=table.column_names)


def _uuid_texts(column):
    """A UUID extension column as its texts (``8f2f...-...``): Arrow does not cast it to text."""
    import uuid

    import pyarrow as pa

    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    values = [value for chunk in chunks for value in chunk.storage.to_pylist()]
    return pa.array([None if v is None else str(uuid.UUID(bytes=v)) for v in values], pa.string())
