"""The check of a prediction horizon, shared by the predictions for histories and for new
customers."""

from __future__ import annotations

import numpy as np

from clvmodel.errors import InputError

__all__ = ["check_horizon"]


def check_horizon(t, n: int | None) -> np.ndarray:
    """A horizon as a float array: finite, ≥ 0, one value or (given ``n``) one per customer."""
    try:
        values = np.asarray(t, dtype="float64")
    except (TypeError, ValueError):
        raise InputError(f"the horizon t must be a number of time units, got {t!r}.") from None
    if not np.all(np.isfinite(values)) or (values < 0).any():
        raise InputError(f"the horizon t must be finite and ≥ 0, got {t!r}.")
    if n is not None and values.ndim > 0 and values.size not in (1, n):
        raise InputError(f"t has {values.size} values; give one, or one per customer ({n}).")
    return values
