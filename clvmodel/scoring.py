"""One table of per-customer predictions: what ``clvmodel score`` writes for each customer."""

from __future__ import annotations

import pandas as pd

from clvmodel.rfm import TIME_UNITS
from clvmodel.value import (
    PERIOD_DAYS,
    _check_rate,
    _model_unit,
    check_models,
    discounted_purchases,
    value_interval,
)

__all__ = ["INTERVAL_COLUMNS", "SCORE_COLUMNS", "score_customers"]

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
    horizon: float = 12.0,
    time_unit: str = "M",
    discount_rate: float = 0.0,
    margin: float = 1.0,
    naive_clv: float | None = None,
    *,
    interval: float | None = None,
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
    horizon : float
        Horizon for churn risk, expected purchases and CLV, in periods of ``time_unit``.
    time_unit : {"D", "W", "M", "Y"}
        Unit of ``horizon`` and the CLV discounting period.
    discount_rate : float
        Annual discount rate for CLV.
    margin : float
        Profit margin applied to spend.
    naive_clv : float, optional
        The naive formula's value over the same horizon (the same for every customer).
    interval : float, optional
        Add intervals at this level (e.g. 0.9), the columns of :data:`INTERVAL_COLUMNS`:
        confidence intervals of P(alive), churn risk, expected purchases and CLV from parameter
        uncertainty, and the prediction interval of the number of purchases in the horizon with
        its probability (see ``PurchaseModel.predict`` and
        :func:`clvmodel.customer_lifetime_value`).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``data``, with the columns of :data:`SCORE_COLUMNS` (then, with ``interval``,
        those of :data:`INTERVAL_COLUMNS`). ``churn_risk`` is the
        probability of no purchase within the horizon given the history
        (the model's ``probability_no_purchase``), not 1 − P(alive).
    """
    check_models(bg, gg)
    model_unit = _model_unit(bg, None)
    horizon_model = horizon * PERIOD_DAYS[time_unit] / TIME_UNITS[model_unit]
    table = pd.DataFrame(index=data.index)
    table["frequency"] = data["frequency"].to_numpy(dtype="int64")
    for column in ("recency", "T", "monetary_value"):
        table[column] = data[column].to_numpy(dtype="float64")
    predictions = bg.predict(data, horizon_model, interval=interval)
    table["probability_alive"] = predictions["probability_alive"].to_numpy()
    table["churn_risk"] = predictions["probability_no_purchase"].to_numpy()
    table["expected_purchases"] = predictions["expected_purchases"].to_numpy()
    if gg is None:
        # No spend model (a log without amounts): purchases and churn only, no value.
        table["expected_spend"] = float("nan")
        table["predicted_clv"] = float("nan")
    else:
        table["expected_spend"] = gg.expected_spend(data).to_numpy()
        # customer_lifetime_value's formula, reusing the spend computed above.
        margin = _check_rate("margin", margin, 0.0, 1.0)
        discounted = discounted_purchases(bg, data, horizon, discount_rate, time_unit)
        table["predicted_clv"] = margin * table["expected_spend"] * discounted
    table["naive_clv"] = float("nan") if naive_clv is None else float(naive_clv)
    if interval is None:
        return table
    for name, source in _INTERVAL_SOURCES.items():
        table[name] = predictions[source].to_numpy()
    if gg is None:
        table["clv_lower"] = table["clv_upper"] = float("nan")
    else:

        def at(purchase_model, spend_model):
            purchases = discounted_purchases(
                purchase_model, data, horizon, discount_rate, time_unit
            )
            return margin * spend_model.expected_spend(data).to_numpy() * purchases

        estimate = table["predicted_clv"].to_numpy()
        table["clv_lower"], table["clv_upper"] = value_interval(estimate, at, bg, gg, interval)
    return table
