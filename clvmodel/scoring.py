"""One table of per-customer predictions: what ``clvmodel score`` writes for each customer."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from clvmodel._rfm_validate import rfm_column
from clvmodel._units import (
    MAX_VALUE_STEPS,
    Duration,
    carries_unit,
    check_margin,
    check_number,
    convert_periods,
    deprecated_time_unit,
    model_unit,
    value_horizon,
)
from clvmodel._value_intervals import value_interval
from clvmodel._value_rows import ValueRows
from clvmodel.errors import InputError
from clvmodel.models._table_unit import with_rfm_time_unit
from clvmodel.value import check_models, discount_schedule

__all__ = ["INTERVAL_COLUMNS", "SCORE_COLUMNS", "score_customers", "warn_bare_months"]

#: Columns of :func:`score_customers`, in order.
SCORE_COLUMNS = (
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "probability_alive",
    "churn_risk",
    "expected_purchases",
    "expected_spend",
    "predicted_clv",
    "naive_clv",
)

# Interval columns of score_customers(..., interval=...) and the prediction each comes from.
_INTERVAL_SOURCES = {
    "probability_alive_lower": "probability_alive_lower",
    "probability_alive_upper": "probability_alive_upper",
    "churn_risk_lower": "probability_no_purchase_lower",
    "churn_risk_upper": "probability_no_purchase_upper",
    "expected_purchases_lower": "expected_purchases_lower",
    "expected_purchases_upper": "expected_purchases_upper",
    "purchases_lower": "purchases_lower",
    "purchases_upper": "purchases_upper",
    "purchases_interval_mass": "purchases_interval_mass",
}
#: Columns added by ``score_customers(..., interval=...)``, in order.
INTERVAL_COLUMNS = (*_INTERVAL_SOURCES, "clv_lower", "clv_upper")


def score_customers(
    bg,
    gg,
    data: pd.DataFrame,
    horizon: str | float | Duration = "12M",
    time_unit: str | None = None,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    naive_clv: float | None = None,
    *,
    interval: float | None = None,
    rfm_time_unit: str | None = None,
) -> pd.DataFrame:
    """Score customers with fitted models: P(alive), churn risk, expected purchases, spend and CLV.

    Parameters
    ----------
    bg, gg : PurchaseModel, GammaGammaModel
        Fitted purchase model (any of the family, with or without covariates; it must know its
        time unit, as fitted models do) and spend model; without a spend model (``gg=None``)
        ``expected_spend`` and ``predicted_clv`` are NaN.
    data : pandas.DataFrame
        RFM table: ``frequency``, ``recency``, ``T``, ``monetary_value``.
    horizon : str, float or Duration
        Horizon for churn risk, expected purchases and CLV: a duration such as ``"12M"`` or
        ``"39W"`` (its unit is also the CLV discounting period), at most 100 years. A bare number
        counts months (or periods of the deprecated ``time_unit``), with a FutureWarning:
        :func:`clvmodel.customer_lifetime_value` and :func:`clvmodel.churn_risk` read one in the
        model's time unit.
    time_unit : {"D", "W", "M", "Y"}, optional
        Deprecated: the unit of a bare-number ``horizon``; write ``horizon="12M"`` instead.
    discount_rate : float
        Annual discount rate for CLV, a fraction 0 ≤ d < 1 (0.1 for 10 % a year).
    margin : float
        Profit margin applied to spend, a fraction 0 < m ≤ 1.
    naive_clv : float, optional
        The naive formula's value over the same horizon (the same for every customer).
    interval : float, optional
        Add intervals at this level (e.g. 0.9), the columns of :data:`INTERVAL_COLUMNS`:
        confidence intervals of P(alive), churn risk, expected purchases and CLV from parameter
        uncertainty, and the prediction interval of the number of purchases in the horizon with
        its probability (see ``PurchaseModel.predict`` and
        :func:`clvmodel.customer_lifetime_value`).
    rfm_time_unit : {"D", "W"}, optional
        The time unit of the table's ``recency`` and ``T``, checked against the model's, for a
        table that does not record it (``rfm.join(attributes)``, merge and concat drop what
        :func:`clvmodel.rfm_summary` records); as ``time_unit=`` of the model's predictions.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``data``, with the columns of :data:`SCORE_COLUMNS` (then, with ``interval``,
        those of :data:`INTERVAL_COLUMNS`). ``churn_risk`` is the
        probability of no purchase within the horizon given the history
        (the model's ``probability_no_purchase``), not 1 − P(alive).
    """
    # Over 80 lines for its docstring only; the interval columns are in _clv_bounds.
    check_models(bg, gg)
    naive = _naive_number(naive_clv)
    data = with_rfm_time_unit(
        data, rfm_time_unit, time_unit, function="score_customers", horizon=horizon, model=bg
    )
    period = deprecated_time_unit(time_unit, horizon)
    if period is None:
        warn_bare_months(horizon, "score_customers")
    unit = model_unit(bg)
    span = value_horizon(horizon, period, default_unit="M", max_steps=MAX_VALUE_STEPS)
    if gg is not None:
        margin = check_margin(margin)
    horizon_model = convert_periods(span.value, span.unit, unit)
    # One pass over the histories gives the predictions and, with a spend model, the discounted
    # purchases of customer_lifetime_value's formula.
    schedule = None if gg is None else discount_schedule(bg, span, discount_rate)
    predictions = bg.predict(data, horizon_model, interval=interval, discounting=schedule)
    n = len(predictions)
    # The table's own columns under any name predict accepts (frequency_cal, x, t_x, ...);
    # without amounts, monetary_value is NaN.
    columns = {"frequency": np.asarray(rfm_column(data, "frequency"), dtype="int64")}
    for column in ("recency", "T", "monetary_value"):
        values = rfm_column(data, column)
        columns[column] = np.full(n, np.nan) if values is None else np.asarray(values, "float64")
    if rfm_column(data, "monetary_value") is not None:
        # A one-time buyer has no mean spend: a missing one reads as 0, as on every route
        # (validate_rfm, clvmodel score, spark.score). Without amounts the column stays empty.
        spend = columns["monetary_value"]
        one_time = (columns["frequency"] == 0) & np.isnan(spend)
        columns["monetary_value"] = np.where(one_time, 0.0, spend)
    columns["probability_alive"] = predictions["probability_alive"].to_numpy()
    columns["churn_risk"] = predictions["probability_no_purchase"].to_numpy()
    columns["expected_purchases"] = predictions["expected_purchases"].to_numpy()
    if gg is None:
        # No spend model (a log without amounts): purchases and churn only, no value.
        columns["expected_spend"] = np.full(n, np.nan)
        columns["predicted_clv"] = np.full(n, np.nan)
    else:
        columns["expected_spend"] = gg.expected_spend(data).to_numpy()
        discounted = predictions["discounted_expected_purchases"].to_numpy()
        columns["predicted_clv"] = margin * columns["expected_spend"] * discounted
    columns["naive_clv"] = np.full(n, naive)
    if interval is not None:
        for name, source in _INTERVAL_SOURCES.items():
            columns[name] = predictions[source].to_numpy()
        bounds = _clv_bounds(bg, gg, data, schedule, margin, columns, interval)
        columns["clv_lower"], columns["clv_upper"] = bounds
    return pd.DataFrame(columns, index=data.index)


def _naive_number(naive_clv) -> float:
    """``naive_clv`` as a float (NaN for None): a finite number, not text, nor the table of
    :func:`clvmodel.naive_clv`, whose value over the horizon is one of its cells."""
    if naive_clv is None:
        return float("nan")
    if isinstance(naive_clv, (pd.DataFrame, pd.Series)):
        raise InputError(
            f"naive_clv must be one number, the naive formula's value over the same horizon, got "
            f"a {type(naive_clv).__name__}; from the table of clvmodel.naive_clv(..., lifespan=<"
            "the horizon in years>), pass table.loc['all', 'naive_clv'] (clvmodel.clv_table "
            "takes a per-segment table)."
        )
    return check_number("naive_clv", naive_clv)


def _clv_bounds(bg, gg, data, schedule, margin, columns, interval):
    """The CLV interval columns of :func:`score_customers` (NaN without a spend model), given
    its ``columns`` so far: each parameter point is evaluated on the table's distinct rows
    (:class:`clvmodel._value_rows.ValueRows`), validated and grouped once."""
    if gg is None:
        return float("nan"), float("nan")
    rows = ValueRows(bg, gg, data, *schedule, margin)
    estimate = columns["predicted_clv"][rows.first]
    lower, upper = value_interval(estimate, rows, bg, gg, interval)
    return lower[rows.group], upper[rows.group]


def warn_bare_months(horizon, function: str, stacklevel: int = 3) -> None:
    """Warn (FutureWarning) when ``horizon`` is a bare number, which ``function`` reads in months
    while :func:`clvmodel.customer_lifetime_value` and :func:`clvmodel.churn_risk` read it in the
    model's time unit: the same call, 12, would mean 12 months in one and 12 weeks in the other.

    Parameters
    ----------
    horizon : str, float or Duration
        The horizon as given.
    function : str
        The public function's name, for the message.
    stacklevel : int
        Counted from this function (3: the caller of a public function that calls it directly).
    """
    if carries_unit(horizon):
        return
    try:
        shown = f"{float(horizon):g}"
    except (TypeError, ValueError):
        return  # not a number: value_horizon refuses it, naming the argument
    warnings.warn(
        f"{function} reads horizon={shown} (a number without a unit) as {shown} months, while "
        "customer_lifetime_value and churn_risk read a bare number in the model's time unit; "
        f"write horizon='{shown}M' (or the unit you mean, such as '{shown}W').",
        FutureWarning,
        stacklevel=stacklevel,
    )
