"""The contractual models' checks of their prediction inputs (discount rate, price and margin,
periods ahead, covariate columns) and of a value they would return infinite; and the censoring
of cancellations in a period still running, which their fit applies.

Used by :class:`clvmodel.models._contractual_predictions.ContractualPredictions` and
:class:`clvmodel.models._contractual.ContractualModel`."""

from __future__ import annotations

import numpy as np

from clvmodel._units import check_margin
from clvmodel.errors import InputError
from clvmodel.models._alignment import align_to_index

__all__ = [
    "censor_running_periods",
    "check_covariate_columns",
    "check_discount_rate",
    "check_periods_ahead",
    "check_price_and_margin",
    "finite_value",
]


def censor_running_periods(data, periods, cancelled) -> tuple[np.ndarray, np.ndarray]:
    """The rows a fit uses: a subscriber who cancelled in a period still running at the end of
    observation (``periods`` > ``data["observed_periods"]``, as
    :func:`clvmodel.subscriptions.from_subscription_table` records it) counts as active after
    the periods they completed.

    Of the subscribers in such a period, only those who have cancelled so far are known to
    leave in it; the others may still cancel before it ends. Counting the first as lifetimes
    and the others as survivors of the period before overstates churn (by several percent of
    the survival curve for yearly billing or a young base); censoring every one of them at the
    periods completed, which depends on their start date only, does not. Rows without the
    column (cohort counts, observed at period ends) are taken as they are.

    Parameters
    ----------
    data : pandas.DataFrame or mapping
        The subscriber rows, possibly with ``observed_periods``.
    periods, cancelled : numpy.ndarray
        From :func:`clvmodel.subscriptions.validate_subscribers`.

    Returns
    -------
    periods, cancelled : numpy.ndarray
    """
    columns = getattr(data, "columns", data if isinstance(data, dict) else ())
    if "observed_periods" not in columns:
        return periods, cancelled
    try:
        observed = np.asarray(data["observed_periods"], dtype="float64").reshape(-1)
    except (TypeError, ValueError):
        raise InputError("column 'observed_periods' must hold whole numbers ≥ 0.") from None
    whole = np.isfinite(observed) & (observed >= 0) & (observed == np.round(observed))
    if observed.shape != periods.shape or not whole.all():
        raise InputError(
            "column 'observed_periods' must hold a whole number ≥ 0 for every subscriber (the "
            "periods completed by the end of observation); fill it or drop the column."
        )
    running = cancelled & (periods > observed)
    return np.where(running, observed, periods), cancelled & ~running


def check_covariate_columns(model, data) -> None:
    """Name, in a subscription table's words, the model's covariate columns that ``data`` lacks
    (the shared covariate check speaks of RFM tables and time units)."""
    columns = getattr(data, "columns", None)
    if columns is None and isinstance(data, dict):
        columns = list(data)
    if columns is None:
        return
    names = dict.fromkeys([*model.alpha_covariates, *model.beta_covariates])
    missing = [name for name in names if name not in columns]
    if missing:
        raise InputError(
            f"the subscriber rows have no covariate column {', '.join(map(repr, missing))} (of "
            f"the model's alpha_covariates/beta_covariates); their columns are "
            f"{list(map(str, columns))}. Carry it over with from_subscription_table(..., "
            f"keep={missing!r}) or join it by subscriber id."
        )


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


def check_price_and_margin(price, margin, index=None) -> tuple[np.ndarray, float]:
    """Prices as floats (finite, ≥ 0) and the margin (0 < m ≤ 1), or a clear error; a pandas
    Series of prices is matched to the subscribers by id (``index``), not by position."""
    price = align_to_index(price, index, "price")
    try:
        price = np.asarray(price, dtype="float64")
    except (TypeError, ValueError):
        raise InputError(
            "price must be numbers per period: one number, or one per subscriber."
        ) from None
    if price.ndim > 1:  # a column as a 1 × n table: times DERL, a pandas ValueError
        raise InputError(
            f"price must be one number or one per subscriber (a flat list or a Series), got an "
            f"array of shape {price.shape}."
        )
    if not np.all(np.isfinite(price)) or (price < 0).any():
        raise InputError(
            "price must be finite and ≥ 0 per period: one number, or one per subscriber."
        )
    return price, check_margin(margin)


def check_periods_ahead(k) -> np.ndarray:
    """Numbers of periods ahead as floats: whole numbers ≥ 0, or a clear error."""
    kind = np.asarray(k).dtype.kind
    if kind == "b":  # True is a mistake, not 1 period
        raise InputError(f"the number of periods ahead must be whole numbers ≥ 0, got {k!r}.")
    if kind in "USO" and not _all_numbers(k):  # "12M", a Duration: not billing periods
        raise InputError(
            f"the number of periods ahead must be whole numbers ≥ 0 of the model's billing "
            f"period (renewal decisions), got {k!r}; for a year of monthly billing give 12."
        )
    values = np.asarray(k, dtype="float64")
    if not np.all(np.isfinite(values)) or (values < 0).any() or (values != np.round(values)).any():
        raise InputError(f"the number of periods ahead must be whole numbers ≥ 0, got {k!r}.")
    return values


def periods_per_subscriber(k, n: int, name: str = "periods", index=None) -> np.ndarray:
    """:func:`check_periods_ahead` of ``k``, one number or one per subscriber (``n``): a scalar
    stays a scalar, an array is broadcast to ``(n,)``; another length is a clear error. A pandas
    Series is matched to the subscribers by id (``index``, the table's index), not by position."""
    values = check_periods_ahead(align_to_index(k, index, name))
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


def _all_numbers(values) -> bool:
    """Whether every entry of ``values`` is a number (not text, not a Duration)."""
    flat = np.asarray(values, dtype=object).reshape(-1)
    return all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in flat)
