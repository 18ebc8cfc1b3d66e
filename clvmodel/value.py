"""Customer lifetime value: the models' discounted prediction, and the naive formula beside it.

The naive formula marketing teams use is

    CLV = average order value × purchases per year × expected lifespan (years) × margin − CAC,

one number for everybody (or per segment). The model-based value of a customer is instead

    CLV_i = margin × E[spend_i] × Σ_k (E[Y_i(t_k)] − E[Y_i(t_{k−1})]) / (1 + d)^k,

the expected purchases of each period from BG/NBD, given that customer's own history, times the
Gamma-Gamma expected spend, discounted at the end of each period (Fader, Hardie and Lee 2005,
"RFM and CLV", section on discounted expected residual transactions, in discrete periods).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

# naive_clv, observed_years (clvmodel._naive) and PERIOD_DAYS (clvmodel._units) are re-exported.
from clvmodel._naive import naive_clv
from clvmodel._naive import observed_years as observed_years
from clvmodel._rfm_validate import readable
from clvmodel._table_ids import segment_series
from clvmodel._units import (
    MAX_VALUE_STEPS,
    PERIOD_DAYS,
    Duration,
    check_discount_rate,
    check_margin,
    check_number,
    convert_periods,
    deprecated_time_unit,
    model_unit,
    per_period_rate,
    value_horizon,
)
from clvmodel._value_intervals import interval_level, value_interval
from clvmodel._value_rows import ValueRows
from clvmodel.errors import InputError
from clvmodel.models._discounted_rows import DiscountedRows
from clvmodel.models._table_unit import with_rfm_time_unit
from clvmodel.models.base import PurchaseModel
from clvmodel.rfm import validate_rfm

__all__ = ["PERIOD_DAYS", "clv_table", "customer_lifetime_value", "naive_clv"]


def horizon_years(horizon: float, time_unit: str) -> float:
    """A horizon of ``horizon`` periods of ``time_unit`` (see :data:`PERIOD_DAYS`) in years."""
    return convert_periods(horizon, time_unit, "Y")


def check_models(
    purchase_model,
    spend_model=None,
    *,
    spend_required: bool = False,
    name: str = "the first model",
    spend_name: str | None = None,
) -> None:
    """Refuse, with a clear message, anything but a purchase model (and a spend model); ``name``
    and ``spend_name`` say which arguments hold them (BG/BB counts purchase opportunities, not
    calendar time)."""
    if not isinstance(purchase_model, PurchaseModel):
        raise InputError(
            f"{name} must be a fitted purchase model (clvmodel.BetaGeoModel, "
            "ModifiedBetaGeoModel or ParetoNBDModel), got "
            f"{type(purchase_model).__name__}."
        )
    if spend_model is None and not spend_required:
        return
    if not callable(getattr(spend_model, "expected_spend", None)):
        if spend_name is not None:
            raise InputError(
                f"{spend_name} must be a fitted spend model (clvmodel.GammaGammaModel), got "
                f"{type(spend_model).__name__}; the purchase model is {name}."
            )
        why, then = ("", "")
        if spend_model is None:
            why = ": value is purchases × spend, so it needs amounts"
            then = (
                " A log without amounts gives purchases, P(alive) and churn risk (bg.predict, "
                "clvmodel.churn_risk), no value."
            )
        raise InputError(
            f"gg must be a fitted spend model (clvmodel.GammaGammaModel), got "
            f"{type(spend_model).__name__}{why}; fit one with clvmodel.GammaGammaModel().fit(rfm) "
            f"on an RFM table with monetary_value (rfm_summary(..., amount_col=...)).{then}"
        )


def customer_lifetime_value(
    bg,
    gg,
    data,
    horizon: str | float | Duration,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    time_unit: str | None = None,
    *,
    interval=None,
    method: str = "delta",
    n_draws: int = 200,
    seed=0,
    rfm_time_unit: str | None = None,
) -> pd.Series | pd.DataFrame:
    """Discounted expected value of each customer's purchases over a horizon.

    Parameters
    ----------
    bg : PurchaseModel
        Fitted purchase model (BG/NBD, MBG/NBD, Pareto/NBD, with or without covariates); its time
        unit is the one ``recency`` and ``T`` are measured in.
    gg : GammaGammaModel
        Fitted spend model.
    data : pandas.DataFrame
        RFM table with ``frequency``, ``recency``, ``T`` and ``monetary_value``.
    horizon : str, float or Duration
        How far ahead to count: a duration such as ``"12M"`` or ``"39W"`` (or
        ``Duration(12, "M")``), whose unit is also the discounting period; at most 100 years. A
        bare number counts periods of the model's own time unit (or of the deprecated
        ``time_unit``).
    discount_rate : float
        Annual discount rate, a fraction 0 ≤ d < 1 (0.1 for 10 % a year), converted to the period
        length and applied at the end of each period.
    margin : float
        Share of revenue that is profit, a fraction 0 < m ≤ 1 (1.0 counts revenue).
    time_unit : {"D", "W", "M", "Y"}, optional
        Deprecated: the period of a bare-number ``horizon``; write ``horizon="12M"`` instead.
    interval : float, optional
        Also give a confidence interval of each customer's CLV at this level (e.g. 0.9) from the
        parameter uncertainty of both models: the delta method on the log scale at each model's
        sigma points (``method="delta"``; the two models are fitted separately, so their
        variances add), percentiles over ``n_draws`` joint parameter draws (``"draws"``, the
        two models drawn independently), or over both models' bootstrap replicates
        (``"bootstrap"``, after ``model.bootstrap(data)`` on each). It does not cover model
        misspecification.
    method, n_draws, seed
        See ``interval``.
    rfm_time_unit : {"D", "W"}, optional
        The time unit of the table's ``recency`` and ``T``, checked against the model's, for a
        table that does not record it (``rfm.join(attributes)``, merge and concat drop what
        :func:`clvmodel.rfm_summary` records); as ``time_unit=`` of the model's predictions.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        ``predicted_clv`` per customer, indexed like ``data``; with ``interval`` a DataFrame with
        ``predicted_clv``, ``clv_lower`` and ``clv_upper``.

    Examples
    --------
    >>> import clvmodel as clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeoModel().fit(rfm), clv.GammaGammaModel().fit(rfm)
    >>> value = clv.customer_lifetime_value(bg, gg, rfm, horizon="12M", discount_rate=0.1)
    >>> bool((value >= 0).all())
    True
    """
    # Over 80 lines for its docstring only.
    check_models(bg, gg, spend_required=True)
    data = with_rfm_time_unit(
        data,
        rfm_time_unit,
        time_unit,
        function="customer_lifetime_value",
        horizon=horizon,
        model=bg,
    )
    period = deprecated_time_unit(time_unit, horizon)
    unit = model_unit(bg, period)
    span = value_horizon(horizon, period, default_unit=unit, max_steps=MAX_VALUE_STEPS)
    uncertainty = {"interval": interval, "method": method, "n_draws": n_draws, "seed": seed}
    return model_value(bg, gg, data, span, discount_rate, margin, unit, **uncertainty)


def model_value(
    bg, gg, data, span: Duration, discount_rate, margin, unit: str, *, interval=None, **draws
) -> pd.Series | pd.DataFrame:
    """:func:`customer_lifetime_value` over a horizon already read (``span``, its unit the
    period), for a model of time unit ``unit``; ``draws``: ``method``, ``n_draws``, ``seed``."""
    margin = check_margin(margin)
    if interval is not None:  # before the estimate's work
        interval_level(interval, draws.get("method", "delta"))
    rfm = validate_rfm(data)
    if interval is None:
        discounted = discounted_purchases(bg, data, span, discount_rate, fallback_unit=unit)
    else:  # the same values from the rows the intervals use: the table grouped once
        schedule = discount_schedule(bg, span, discount_rate, fallback_unit=unit)
        purchases = DiscountedRows(bg, data, *schedule, warn=True)
        discounted = purchases(bg)[purchases.group]
    spend = gg.expected_spend(data).to_numpy()
    value = pd.Series(margin * spend * discounted, index=rfm.index, name="predicted_clv")
    if interval is None:
        return value
    # Validated and grouped once; each parameter vector is then evaluated on the distinct rows,
    # on which a customer's value depends only, and the limits are scattered back once.
    rows = ValueRows(bg, gg, data, *schedule, margin, purchases)
    estimate = value.to_numpy()[rows.first]
    lower, upper = value_interval(estimate, rows, bg, gg, interval, **draws)
    return pd.DataFrame(
        {"predicted_clv": value, "clv_lower": lower[rows.group], "clv_upper": upper[rows.group]},
        index=rfm.index,
    )


def discounted_purchases(
    model, data, horizon, discount_rate, time_unit=None, *, fallback_unit=None
) -> np.ndarray:
    """Σ_k (E[Y(t_k)] − E[Y(t_{k−1})]) / (1 + d)^k per customer: the discounted expected purchases
    over a horizon of periods, from any purchase model (evaluated by the model once per distinct
    history).

    Parameters
    ----------
    model : PurchaseModel
        Fitted purchase model.
    data : pandas.DataFrame
        RFM table.
    horizon : str, float or Duration
        A duration (``"12M"``; its unit is the period) or a number of periods of ``time_unit``.
    discount_rate : float
        Annual discount rate, converted to the period and applied at the end of each period.
    time_unit : {"D", "W", "M", "Y"}, optional
        The period of a bare-number horizon; defaults to the model's time unit.
    fallback_unit : {"D", "W"}, optional
        The model's time unit, for a model that does not record it.

    Returns
    -------
    numpy.ndarray
        One value per row of ``data``.
    """
    ends, factors = discount_schedule(
        model, horizon, discount_rate, time_unit, fallback_unit=fallback_unit
    )
    return model.discounted_expected_purchases(data, ends, factors).to_numpy()


def discount_schedule(
    model, horizon, discount_rate, time_unit=None, *, fallback_unit=None
) -> tuple[np.ndarray, np.ndarray]:
    """The period ends, in the model's time unit, and the discount factor of each period that
    :func:`discounted_purchases` weighs the expected purchases with (arguments as there).

    Returns
    -------
    ends, factors : numpy.ndarray
        t_k = min(k, horizon) periods, and 1 / (1 + d)^t_k with d the rate per period: a last,
        partial period is discounted at its end, not a whole period later.
    """
    unit = model_unit(model, fallback_unit if fallback_unit is not None else time_unit)
    span = value_horizon(horizon, time_unit, default_unit=unit, max_steps=MAX_VALUE_STEPS)
    discount_rate = check_discount_rate(discount_rate)
    steps = math.ceil(span.value - 1e-12)
    periods = np.arange(1, steps + 1, dtype="float64")
    elapsed = np.minimum(periods, span.value)  # the last period may be a part of one
    ends = elapsed * convert_periods(1.0, span.unit, unit)
    factors = (1.0 + per_period_rate(discount_rate, span.unit)) ** -elapsed
    return ends, factors


def clv_table(
    bg,
    gg,
    data,
    horizon: str | float | Duration,
    naive: pd.DataFrame | float | None = None,
    segments: pd.Series | None = None,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    time_unit: str | None = None,
    acquisition_cost: float = 0.0,
    *,
    rfm_time_unit: str | None = None,
) -> pd.DataFrame:
    """Per-customer predictions beside the naive formula, with CLV:CAC for both.

    Parameters
    ----------
    bg, gg : PurchaseModel, GammaGammaModel
        Fitted purchase and spend models.
    data : pandas.DataFrame
        RFM table.
    horizon, discount_rate, margin, time_unit
        As in :func:`customer_lifetime_value` (``horizon="12M"``; ``time_unit`` is deprecated).
    naive : pandas.DataFrame or float, optional
        Output of :func:`naive_clv` (one row, or one per segment with ``segments``), or a number.
    segments : pandas.Series, optional
        Each customer's segment, indexed like ``data``, to look up a per-segment naive value.
    acquisition_cost : float
        CAC per customer, for the CLV:CAC ratios (NaN when 0).
    rfm_time_unit : {"D", "W"}, optional
        The time unit of the table's ``recency`` and ``T``, checked against the model's, for a
        table that does not record it (``rfm.join(attributes)``, merge and concat drop what
        :func:`clvmodel.rfm_summary` records); as ``time_unit=`` of the model's predictions.

    Returns
    -------
    pandas.DataFrame
        Per customer: the RFM columns, ``probability_alive``, ``expected_purchases`` over the
        horizon, ``expected_spend``, ``predicted_clv``, ``naive_clv``, ``clv_to_cac`` and
        ``naive_clv_to_cac``, sorted as ``data``.
    """
    check_models(bg, gg, spend_required=True)
    data = with_rfm_time_unit(
        data, rfm_time_unit, time_unit, function="clv_table", horizon=horizon, model=bg
    )
    period = deprecated_time_unit(time_unit, horizon)
    rfm = validate_rfm(data, require=("frequency", "recency", "T", "monetary_value"))
    unit = model_unit(bg, period)
    span = value_horizon(horizon, period, default_unit=unit, max_steps=MAX_VALUE_STEPS)
    margin = check_margin(margin)
    table = pd.DataFrame(
        {
            "frequency": rfm.frequency,
            "recency": rfm.recency,
            "T": rfm.T,
            "monetary_value": rfm.monetary_value,
        },
        index=rfm.index,
    )
    table["probability_alive"] = bg.probability_alive(data).to_numpy()
    horizon_model = convert_periods(span.value, span.unit, unit)
    table["expected_purchases"] = bg.expected_purchases(data, horizon_model).to_numpy()
    spend = gg.expected_spend(data).to_numpy()
    table["expected_spend"] = spend
    discounted = discounted_purchases(bg, data, span, discount_rate, fallback_unit=unit)
    table["predicted_clv"] = margin * spend * discounted
    table["naive_clv"] = _naive_per_customer(naive, segments, rfm.index)
    cac = check_number("acquisition_cost", acquisition_cost, 0.0, math.inf)
    table["clv_to_cac"] = table["predicted_clv"] / cac if cac > 0 else np.nan
    table["naive_clv_to_cac"] = table["naive_clv"] / cac if cac > 0 else np.nan
    return table


def _naive_per_customer(naive, segments, index):
    """The naive CLV of each customer: one number, or looked up by segment in a naive table."""
    if naive is None:
        return np.nan
    if isinstance(naive, pd.Series):  # check_number would print the whole Series
        raise InputError(
            "naive must be a number or the table of clvmodel.naive_clv (a DataFrame with a "
            "naive_clv column, one row per segment), got a Series; pass the table itself."
        )
    if not isinstance(naive, pd.DataFrame):
        return check_number("naive", naive)
    if "naive_clv" not in naive.columns:
        raise InputError(
            f"naive has no 'naive_clv' column (its columns are {list(map(str, naive.columns))}); "
            "pass the table of clvmodel.naive_clv."
        )
    if segments is None:
        if len(naive) != 1:
            raise InputError("a per-segment naive table needs segments= (one per customer).")
        return float(naive["naive_clv"].iloc[0])
    segment = segment_series(segments).reindex(index)
    if segment.isna().any():  # an id the Series does not have (or a Series indexed 0, 1, ...)
        missing = index[segment.isna().to_numpy()]
        raise InputError(
            f"segments has no value for {missing.size} customer(s) (for example "
            f"{', '.join(readable(v) for v in missing[:5])}); pass a Series indexed by the "
            "customer ids of data, with a segment for every customer."
        )
    looked_up = segment.map(naive["naive_clv"])
    if looked_up.isna().any():
        raise InputError(
            f"{int(looked_up.isna().sum())} customer(s) have a segment missing from the naive "
            "table."
        )
    return looked_up.to_numpy()
