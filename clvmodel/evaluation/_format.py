"""Plain-text and JSON forms of the report's tables (internal)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def render(table: pd.DataFrame) -> str:
    """Plain text, with three decimals in a column of small numbers and one in a column of large
    ones (counts and totals)."""

    def formatter(column: pd.Series):
        numbers = pd.to_numeric(column, errors="coerce")
        large = bool((numbers.abs() >= 100).any())

        def number(value) -> str:
            if not isinstance(value, float | np.floating):
                return str(value)
            if not math.isfinite(value):
                return "n/a"
            return f"{value:,.1f}" if large else f"{value:.3f}"

        return number

    formatters = {
        name: formatter(table[name])
        for name in table.columns
        if pd.api.types.is_float_dtype(table[name])
    }
    return table.to_string(formatters=formatters, na_rep="n/a")


def jsonable(value):
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, int | str):
        return value
    return str(value)


def records(table: pd.DataFrame, index: bool = True) -> list[dict[str, Any]]:
    frame = table.reset_index() if index else table
    return [jsonable(row) for row in frame.to_dict(orient="records")]
