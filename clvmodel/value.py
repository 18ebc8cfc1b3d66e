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

from clvmodel.errors import InputError
from clvmodel.models.base import PurchaseModel
from clvmodel.rfm import TIME_UNITS, clean_log, day_number, parse_date, validate_rfm

__all__ = ["PERIOD_DAYS", "clv_table", "customer_lifetime_value", "naive_clv"]

#: Length in days of the periods CLV can be counted in. A month is a twelfth of a Julian year.
PERIOD_DAYS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 365.25 / 12.0, "Y": 365.25}
_DAYS_PER_YEAR = 365.25


def observed_years(first_day: int, end_day: int) -> float:
    """Years observed from the first purchase day to the end day, both included (day numbers):
    the naive formula's denominator of purchases per customer per year."""
    return (end_day - first_day + 1) / _DAYS_PER_YEAR


def horizon_years(horizon: float, time_unit: str) -> float:
    """A horizon of ``horizon`` periods of ``time_unit`` (see :data:`PERIOD_DAYS`) in years."""
    return horizon * PERIOD_DAYS[time_unit] / _DAYS_PER_YEAR


def _period_days(time_unit: str) -> float:
    try:
        return PERIOD_DAYS[time_unit]
    except (KeyError, TypeError):
        raise InputError(
            f"time_unit={time_unit!r} is not supported for value; use one of "
            f"{sorted(PERIOD_DAYS)} (days, weeks, months, years)."
        ) from None


def check_models(purchase_model, spend_model=None, *, spend_required: bool = False) -> None:
    """Refuse, with a clear message, anything but a purchase model (and a spend model)."""
    if not isinstance(purchase_model, PurchaseModel):
        raise InputError(
            "the first model must be a fitted purchase model (clvmodel.BetaGeoModel, "
            "ModifiedBetaGeoModel or ParetoNBDModel), got "
            f"{type(purchase_model).__name__}."
        )
    if spend_model is None and not spend_required:
        return
    if not callable(getattr(spend_model, "expected_spend", None)):
        raise InputError(
            "value needs a fitted spend model (clvmodel.GammaGammaModel) as the second model, got "
            f"{type(spend_model).__name__}; fit one with clvmodel.GammaGammaModel().fit(rfm)."
        )


def _model_unit(bg, time_unit) -> str:
    unit = getattr(bg, "time_unit_", None)
    if unit is None:
        if time_unit is None:
            raise InputError(
                "the model does not record its time unit; pass time_unit= ('D' or 'W', the unit of "
                "recency and T the model was fitted on)."
            )
        return time_unit
    return unit


def _check_rate(name: str, value: float, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}.") from None
    if not (math.isfinite(number) and low <= number <= high):
        raise InputError(f"{name} must be between {low} and {high}, got {value!r}.")
    return number


def customer_lifetime_value(
    bg,
    gg,
    data,
    horizon: float,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    time_unit: str | None = None,
    *,
    interval=None,
    method: str = "delta",
    n_draws: int = 200,
    seed=0,
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
    horizon : float
        How far ahead to count, in periods of ``time_unit``.
    discount_rate : float
        Annual discount rate (0.1 for 10 % a year), converted to the period length and applied at
        the end of each period.
    margin : float
        Share of revenue that is profit (1.0 counts revenue).
    time_unit : {"D", "W", "M", "Y"}, optional
        Length of a period; defaults to the model's own time unit.
    interval : float, optional
        Also give a confidence interval of each customer's CLV at this level (e.g. 0.9) from the
        parameter uncertainty of both models: the delta method on the log scale at each model's
        sigma points (``method="delta"``; the two models are fitted separately, so their
        variances add), or percentiles over ``n_draws`` joint parameter draws (``"draws"``).
        It does not cover model misspecification.
    method, n_draws, seed
        See ``interval``.

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
    >>> value = clv.customer_lifetime_value(bg, gg, rfm, horizon=12, time_unit="M",
    ...                                     discount_rate=0.1)
    >>> bool((value >= 0).all())
    True
    """
    check_models(bg, gg, spend_required=True)
    margin = _check_rate("margin", margin, 0.0, 1.0)
    rfm = validate_rfm(data)
    discounted = discounted_purchases(bg, data, horizon, discount_rate, time_unit)
    spend = gg.expected_spend(data).to_numpy()
    value = pd.Series(margin * spend * discounted, index=rfm.index, name="predicted_clv")
    if interval is None:
        return value

    def at(purchase_model, spend_model):
        purchases = discounted_purchases(purchase_model, data, horizon, discount_rate, time_unit)
        return margin * spend_model.expected_spend(data).to_numpy() * purchases

    lower, upper = value_interval(value.to_numpy(), at, bg, gg, interval, method, n_draws, seed)
    return pd.DataFrame(
        {"predicted_clv": value, "clv_lower": lower, "clv_upper": upper}, index=rfm.index
    )


def value_interval(estimate, at, bg, gg, interval, method="delta", n_draws=200, seed=0):
    """Confidence interval of a value computed from a purchase and a spend model.

    Parameters
    ----------
    estimate : numpy.ndarray
        The value at both models' estimates.
    at : callable
        ``at(purchase_model, spend_model)`` recomputes the value with other parameters.
    bg, gg : fitted models
    interval : float
        Level.
    method : {"delta", "draws", "bootstrap"}
        Delta method on the log scale at each model's sigma points (variances add: the two models
        are fitted separately), or percentiles over joint parameter draws or over both models'
        bootstrap replicates (``model.bootstrap(data)`` first).
    n_draws, seed
        For ``method="draws"``.

    Returns
    -------
    lower, upper : numpy.ndarray
    """
    from scipy.special import ndtri

    level = float(interval)
    if not 0.0 < level < 1.0:
        raise InputError(f"interval must be strictly between 0 and 1, got {interval!r}.")
    if method in ("draws", "bootstrap"):
        purchase = bg.parameter_samples(method, n_draws, seed)
        spend = gg.parameter_samples(method, n_draws, seed)
        n = min(len(purchase), len(spend))  # bootstrap replicates that converged
        stacked = np.stack([at(b, g) for b, g in zip(purchase[:n], spend[:n], strict=True)])
        tail = (1.0 - level) / 2.0
        lower, upper = np.quantile(stacked, [tail, 1.0 - tail], axis=0)
        return lower, upper
    centre = np.log(np.maximum(estimate, 1e-300))
    variance = np.zeros(centre.size)
    for samples in (
        [at(b, gg) for b in bg.parameter_samples("delta")],
        [at(bg, g) for g in gg.parameter_samples("delta")],
    ):
        logs = np.log(np.maximum(np.stack(samples), 1e-300))
        variance += np.mean((logs - centre[None, :]) ** 2, axis=0)
    z = ndtri(1.0 - (1.0 - level) / 2.0)
    spread = z * np.sqrt(variance)
    return np.exp(centre - spread), np.exp(centre + spread)


def discounted_purchases(model, data, horizon, discount_rate, time_unit) -> np.ndarray:
    """Σ_k (E[Y(t_k)] − E[Y(t_{k−1})]) / (1 + d)^k per customer: the discounted expected purchases
    over ``horizon`` periods of ``time_unit``, from any purchase model (evaluated by the model once
    per distinct history).

    Parameters
    ----------
    model : PurchaseModel
        Fitted purchase model.
    data : pandas.DataFrame
        RFM table.
    horizon : float
        Number of periods.
    discount_rate : float
        Annual discount rate, converted to the period and applied at the end of each period.
    time_unit : {"D", "W", "M", "Y"} or None
        The period; defaults to the model's time unit.

    Returns
    -------
    numpy.ndarray
        One value per row of ``data``.
    """
    model_unit = _model_unit(model, None if time_unit not in TIME_UNITS else time_unit)
    period = time_unit or model_unit
    period_in_model_units = _period_days(period) / TIME_UNITS[model_unit]
    horizon = _check_rate("horizon", horizon, 0.0, 1e6)
    discount_rate = _check_rate("discount_rate", discount_rate, 0.0, 10.0)
    steps = math.ceil(horizon - 1e-12)
    if steps > 5000:
        raise InputError(
            f"a horizon of {horizon:g} periods of {period!r} means {steps} discounting steps; "
            "count in a longer period (time_unit='M' or 'Y')."
        )
    ends = np.minimum(np.arange(1, steps + 1, dtype="float64"), horizon) * period_in_model_units
    per_period_rate = (1.0 + discount_rate) ** (_period_days(period) / _DAYS_PER_YEAR) - 1.0
    factors = (1.0 + per_period_rate) ** -np.arange(1, steps + 1, dtype="float64")
    return model.discounted_expected_purchases(data, ends, factors).to_numpy()


def naive_clv(
    transactions: pd.DataFrame,
    lifespan: float,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    margin: float = 1.0,
    acquisition_cost: float = 0.0,
    segment_col: str | None = None,
    observation_end=None,
) -> pd.DataFrame:
    """The naive CLV formula, overall or per segment.

    CLV = average order value × purchases per customer per year × lifespan × margin, and the same
    minus the acquisition cost, with CLV:CAC. Orders are customer-days, as in the RFM summary.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase.
    lifespan : float
        Expected customer lifespan in years.
    customer_col, date_col, amount_col : str
        Column names.
    margin : float
        Share of revenue that is profit.
    acquisition_cost : float
        Cost of acquiring one customer (CAC); 0 leaves CLV:CAC undefined (NaN).
    segment_col : str, optional
        A column constant within each customer (for example the acquisition channel); one row per
        segment is returned. Without it, one row ``"all"``.
    observation_end : date-like, optional
        End of the period the rates are measured over; defaults to the last transaction date.

    Returns
    -------
    pandas.DataFrame
        Indexed by segment: ``customers``, ``orders``, ``average_order_value``,
        ``purchases_per_year``, ``lifespan_years``, ``naive_clv``, ``acquisition_cost``,
        ``naive_net_clv`` and ``clv_to_cac``.

    Examples
    --------
    >>> import clvmodel as clv
    >>> table = clv.naive_clv(clv.datasets.load_cdnow_sample(), lifespan=1.0)
    >>> int(table.loc["all", "customers"])
    2357
    """
    lifespan = _check_rate("lifespan", lifespan, 0.0, 1000.0)
    margin = _check_rate("margin", margin, 0.0, 1.0)
    acquisition_cost = _check_rate("acquisition_cost", acquisition_cost, 0.0, math.inf)
    log = clean_log(transactions, customer_col, date_col, amount_col)
    if observation_end is None:
        end_day = int(log.day.max())
    else:
        end_day = day_number(parse_date(observation_end, "observation_end"))
        keep = log.day <= end_day
        if not keep.any():
            raise InputError("observation_end is before every transaction.")
        log = type(log)(log.customers, log.customer_code[keep], log.day[keep], log.amount[keep])
    years = observed_years(int(log.day.min()), end_day)
    if segment_col is None:
        segment_of_customer = pd.Series("all", index=log.customers)
    else:
        if segment_col not in transactions.columns:
            raise InputError(
                f"segment_col={segment_col!r} is not a column; the columns are "
                f"{list(map(str, transactions.columns))}."
            )
        per_customer = transactions.groupby(customer_col, sort=False)[segment_col]
        if (per_customer.nunique(dropna=False) > 1).any():
            raise InputError(
                f"segment column {segment_col!r} changes within some customers; use a column that "
                "is fixed per customer, such as the acquisition channel."
            )
        segment_of_customer = per_customer.first().reindex(log.customers)
    segment = segment_of_customer.to_numpy()[log.customer_code]
    frame = pd.DataFrame({"segment": segment, "customer": log.customer_code, "amount": log.amount})
    grouped = frame.groupby("segment", sort=True)
    table = pd.DataFrame(
        {
            "customers": grouped["customer"].nunique(),
            "orders": grouped.size(),
            "revenue": grouped["amount"].sum(),
        }
    )
    table["average_order_value"] = table["revenue"] / table["orders"]
    table["purchases_per_year"] = table["orders"] / table["customers"] / years
    table["lifespan_years"] = lifespan
    table["naive_clv"] = (
        table["average_order_value"] * table["purchases_per_year"] * lifespan * margin
    )
    table["acquisition_cost"] = acquisition_cost
    table["naive_net_clv"] = table["naive_clv"] - acquisition_cost
    table["clv_to_cac"] = table["naive_clv"] / acquisition_cost if acquisition_cost > 0 else np.nan
    table.index.name = segment_col or "segment"
    return table.drop(columns="revenue")


def clv_table(
    bg,
    gg,
    data,
    horizon: float,
    naive: pd.DataFrame | float | None = None,
    segments: pd.Series | None = None,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    time_unit: str | None = None,
    acquisition_cost: float = 0.0,
) -> pd.DataFrame:
    """Per-customer predictions beside the naive formula, with CLV:CAC for both.

    Parameters
    ----------
    bg, gg : PurchaseModel, GammaGammaModel
        Fitted purchase and spend models.
    data : pandas.DataFrame
        RFM table.
    horizon, discount_rate, margin, time_unit
        As in :func:`customer_lifetime_value`.
    naive : pandas.DataFrame or float, optional
        Output of :func:`naive_clv` (one row, or one per segment with ``segments``), or a number.
    segments : pandas.Series, optional
        Each customer's segment, indexed like ``data``, to look up a per-segment naive value.
    acquisition_cost : float
        CAC per customer, for the CLV:CAC ratios (NaN when 0).

    Returns
    -------
    pandas.DataFrame
        Per customer: the RFM columns, ``probability_alive``, ``expected_purchases`` over the
        horizon, ``expected_spend``, ``predicted_clv``, ``naive_clv``, ``clv_to_cac`` and
        ``naive_clv_to_cac``, sorted as ``data``.
    """
    check_models(bg, gg, spend_required=True)
    rfm = validate_rfm(data, require=("frequency", "recency", "T", "monetary_value"))
    model_unit = _model_unit(bg, None if time_unit not in TIME_UNITS else time_unit)
    period = time_unit or model_unit
    horizon_model = horizon * _period_days(period) / TIME_UNITS[model_unit]
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
    table["expected_purchases"] = bg.expected_purchases(data, horizon_model).to_numpy()
    table["expected_spend"] = gg.expected_spend(data).to_numpy()
    table["predicted_clv"] = customer_lifetime_value(
        bg, gg, data, horizon, discount_rate=discount_rate, margin=margin, time_unit=time_unit
    ).to_numpy()
    if naive is None:
        table["naive_clv"] = np.nan
    elif isinstance(naive, pd.DataFrame):
        if segments is None:
            if len(naive) != 1:
                raise InputError("a per-segment naive table needs segments= (one per customer).")
            table["naive_clv"] = float(naive["naive_clv"].iloc[0])
        else:
            looked_up = pd.Series(segments).reindex(rfm.index).map(naive["naive_clv"])
            if looked_up.isna().any():
                raise InputError(
                    f"{int(looked_up.isna().sum())} customer(s) have a segment missing from the "
                    "naive table."
                )
            table["naive_clv"] = looked_up.to_numpy()
    else:
        table["naive_clv"] = _check_rate("naive", naive, -math.inf, math.inf)
    cac = _check_rate("acquisition_cost", acquisition_cost, 0.0, math.inf)
    table["clv_to_cac"] = table["predicted_clv"] / cac if cac > 0 else np.nan
    table["naive_clv_to_cac"] = table["naive_clv"] / cac if cac > 0 else np.nan
    return table
