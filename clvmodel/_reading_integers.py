"""Integer columns of a Parquet file read exactly: as pandas' nullable integers (``Int64``, ...)
where they hold a null, which pandas would otherwise widen to float64 (rounding ids above 2**53)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["exact_integers", "nullable_integer_dtype"]


def nullable_integer_dtype(arrow_type):
    """The pandas nullable dtype of an Arrow integer type (a ``types_mapper`` for Arrow's
    ``to_pandas``).

    Parameters
    ----------
    arrow_type : pyarrow.DataType
        Any Arrow type.

    Returns
    -------
    pandas.api.extensions.ExtensionDtype or None
        ``Int64``, ``UInt32``, ... for an integer type (nulls stay missing, values exact); None
        for other types (Arrow's default conversion).
    """
    import pyarrow as pa

    if not pa.types.is_integer(arrow_type):
        return None
    sign = "Int" if pa.types.is_signed_integer(arrow_type) else "UInt"
    return pd.api.types.pandas_dtype(f"{sign}{arrow_type.bit_width}")


def exact_integers(frame: pd.DataFrame, location: Path, schema) -> pd.DataFrame:
    """``frame`` read from the Parquet file ``location`` (Arrow ``schema``), with its integer
    columns that hold a null as nullable integers (``Int64``): pandas widens them to float64,
    which rounds ids above 2**53 (and the null row would make the whole id column look
    inexact)."""
    import pyarrow.parquet as pq

    widened = [
        name
        for name in frame.columns
        if name in schema.names
        and nullable_integer_dtype(schema.field(name).type) is not None
        and pd.api.types.is_float_dtype(frame[name].dtype)
    ]
    if not widened:
        return frame
    exact = pq.read_table(location, columns=widened)
    for name in widened:
        column = exact.column(name)
        frame[name] = column.to_pandas(types_mapper=nullable_integer_dtype).array
    return frame
