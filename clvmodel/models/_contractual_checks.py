"""The contractual models' checks of their prediction inputs (discount rate, price and margin,
periods ahead) and of a value they would return infinite.

Used by :class:`clvmodel.models._contractual_predictions.ContractualPredictions`."""

from __future__ import annotations

import numpy as np

from clvmodel._units import check_margin
from clvmodel.errors import InputError

__all__ = ["check_discount_rate", "check_periods_ahead", "check_price_and_margin", "finite_value"]


def check_discount_rate(discount_rate) -> float:
    """A discount rate per billing period: a fraction 0 ≤ d < 1 (a rate of 100 % or more per
    period is a percentage given as a number, or a unit mistake)."""
    try:
        d = float(discount_rate)
    except (TypeError, ValueError):
        raise InputError(
            f"discount_rate must be a number per billing period, got {discount_rate!r}."
        ) from None
    if not np.isfinite(d) or d < 0 or d >= 1:
        raise InputError(
            f"discount_rate must be a fraction per billing period, 0 ≤ d < 1, got "
            f"{discount_rate!r}; for 10 % a year with monthly billing use 1.10 ** (1 / 12) - 1."
        )
    return d


def check_price_and_margin(price, margin) -> tuple[np.ndarray, float]:
    """Prices as floats (finite, ≥ 0) and the margin (0 < m ≤ 1), or a clear error."""
    price = np.asarray(price, dtype="float64")
    if not np.all(np.isfinite(price)) or (price < 0).any():
        raise InputError(
            "price must be finite and ≥ 0 per period: one number, or one per subscriber."
        )
    return price, check_margin(margin)


def check_periods_ahead(k) -> np.ndarray:
    """Numbers of periods ahead as floats: whole numbers ≥ 0, or a clear error."""
    if np.asarray(k).dtype == bool:  # True is a mistake, not 1 period
        raise InputError(f"the number of periods ahead must be whole numbers ≥ 0, got {k!r}.")
    values = np.asarray(k, dtype="float64")
    if not np.all(np.isfinite(values)) or (values < 0).any() or (values != np.round(values)).any():
        raise InputError(f"the number of periods ahead must be whole numbers ≥ 0, got {k!r}.")
    return values


def periods_per_subscriber(k, n: int, name: str = "periods") -> np.ndarray:
    """:func:`check_periods_ahead` of ``k``, one number or one per subscriber (``n``): a scalar
    stays a scalar, an array is broadcast to ``(n,)``; another length is a clear error."""
    values = check_periods_ahead(k)
    if values.ndim == 0:
        return values
    if values.size not in (1, n):
        raise InputError(
            f"{name} must be one number or one per subscriber: got {values.size} for {n}."
        )
    return np.broadcast_to(values.reshape(-1), (n,))


def finite_value(lifetimes, d: float, what: str, heavy_tail: str):
    """The expected (discounted) numbers of payments behind a value, refused when one is
    infinite, as :func:`clvmodel.subscriber_churn_risk` refuses it.

    Parameters
    ----------
    lifetimes : float or array_like
        DEL(d) or DERL(d): expected discounted payments.
    d : float
        The discount rate per billing period they were computed at.
    what : str
        The value in words, for the message ("the residual value").
    heavy_tail : str
        The model's condition for an infinite expected lifetime ("α ≤ 1").

    Returns
    -------
    float or array_like
        ``lifetimes``, unchanged.

    Raises
    ------
    InputError
        A value is infinite: at d = 0 the model's expected lifetime is infinite.
    """
    if not np.all(np.isfinite(lifetimes)):
        raise InputError(
            f"{what} is infinite at discount_rate={d:g}: this model's expected lifetime is "
            f"infinite ({heavy_tail}, a heavy tail of loyal subscribers), so undiscounted "
            "payments never add up. Pass a discount_rate > 0 per billing period, e.g. "
            "annual_to_period_rate(0.1, 'M') for 10 % a year with monthly billing."
        )
    return lifetimes
