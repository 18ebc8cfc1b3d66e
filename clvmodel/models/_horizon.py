"""The check of a prediction horizon, shared by the predictions for histories and for new
customers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._units import Duration, check_number, parse_duration
from clvmodel.errors import InputError
from clvmodel.models._alignment import align_to_index, first_offenders

__all__ = ["check_horizon", "one_horizon"]

#: Kinds of numpy arrays that convert to numbers without being numbers of time units.
_NOT_NUMBERS = {"m": "a duration", "M": "a date", "U": "text", "S": "text", "b": "true/false"}


def check_horizon(
    t, n: int | None, index=None, *, name: str = "t", unit: str | None = None
) -> np.ndarray:
    """A horizon as a float array: finite, ≥ 0, one value or (given ``n``) one per customer.

    A pandas Series is matched to the table's rows by customer id (``index``, the table's
    index), anything else by position; ``name`` is the argument's name in the messages. A
    duration (``"39W"``, ``"9M"``, :class:`~clvmodel.Duration`) is converted to ``unit``, the
    model's calendar time unit ("D" or "W"), and refused without one.
    """
    t = _in_model_units(t, unit, name)
    given = t
    t = align_to_index(t, index, name)
    kind = _NOT_NUMBERS.get(np.asarray(t).dtype.kind)
    if kind is not None:  # numpy would read a duration of 7 days as 7 of the model's units
        raise InputError(
            f"the horizon {name} must be a number of time units (the model's unit: weeks for "
            f"a model fitted in weeks), got {kind} ({type(given).__name__}); give the number, "
            "for example 52 for a year in weeks."
        )
    try:
        values = np.asarray(t, dtype="float64")
    except (TypeError, ValueError):
        raise InputError(f"the horizon {name} must be a number of time units, got {t!r}.") from None
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        if values.ndim == 0:
            raise InputError(f"the horizon {name} must be finite and ≥ 0, got {given!r}.")
        if isinstance(given, pd.Series) and values.ndim == 1:  # named by id, in the table's order
            given = pd.Series(values, index=given.index if index is None else index)
        offenders = first_offenders(given if np.shape(given) == values.shape else values, bad)
        raise InputError(f"the horizon {name} must be finite and ≥ 0; got {offenders}.")
    if n is not None and values.ndim > 1:
        raise InputError(
            f"{name} has shape {values.shape}; give one number, or a one-dimensional array with "
            f"one value per customer ({n})."
        )
    if n is not None and values.ndim > 0 and values.size not in (1, n):
        raise InputError(f"{name} has {values.size} values; give one, or one per customer ({n}).")
    return values


def _in_model_units(t, unit: str | None, name: str):
    """``t`` as a number of the model's time units when it is a duration; else as given."""
    if not isinstance(t, str | Duration):
        return t
    try:
        duration = parse_duration(t, name=name, allow_zero=True)
    except InputError:
        if isinstance(t, Duration):
            raise
        return t  # text that is no duration ("52"): refused as text below
    if unit not in ("D", "W"):
        raise InputError(
            f"the horizon {name}={str(t)!r} is a duration, but the model records no calendar "
            f"time unit (days or weeks) to convert it to; give {name} as a number of the "
            "model's periods (a model made by from_params records its unit when given "
            "time_unit='W' or 'D')."
        )
    return duration.to(unit)


def one_horizon(t, name: str = "t") -> float:
    """One horizon for every customer: a finite number ≥ 0 of time units.

    Parameters
    ----------
    t : float
        The horizon as given.
    name : str
        The argument's name, for the messages.

    Returns
    -------
    float

    Raises
    ------
    InputError
        ``t`` is not a number, is negative or not finite, or holds several values (an array or
        Series, named by size and first offending value, not printed whole).
    """
    if np.ndim(t) == 0:  # one value: a number (not text, a bool or None), finite, ≥ 0
        return check_number(f"the horizon {name}", t, low=0.0)
    values = check_horizon(t, None, name=name)  # names a bad value of a Series by customer id
    raise InputError(
        f"{name} must be one number for every customer, got {values.size} values "
        f"({type(t).__name__}); score each horizon in its own call."
    )
