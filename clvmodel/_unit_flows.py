"""Cash flows per period behind :mod:`clvmodel.economics`: survival, costs, payback."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from clvmodel._table_ids import segment_series
from clvmodel._units import (
    MAX_VALUE_STEPS,
    Duration,
    check_discount_rate,
    check_margin,
    convert_periods,
    model_unit,
    per_period_rate,
    period_days,
    value_horizon,
)
from clvmodel.errors import InputError
from clvmodel.scoring import warn_bare_months
from clvmodel.value import check_models

_CHUNK = 50_000  # customers per block of the (customers × periods) payback arrays


def survival_if_alive(model, p, x, T, t):
    """P(alive at T + t | alive at T) on distinct histories, from the model's own function."""
    hook = getattr(type(model), "_survival_if_alive", None)
    if hook is None:
        raise InputError(
            f"{type(model).__name__} has no formula for P(alive at a future time); use a BG/NBD, "
            "MBG/NBD or Pareto/NBD purchase model."
        )
    return hook(p, x, T, t)


# --------------------------------------------------------------------------------------------------
# Costs, given globally or per segment
def _segments_of(segments, frame, index) -> pd.Series | None:
    """Each customer's segment: from a column of ``frame`` or a Series indexed like ``index``."""
    if segments is None:
        return None
    if isinstance(segments, str):
        if frame is None or segments not in frame.columns:
            raise InputError(
                f"segments={segments!r} is not a column of the table; its columns are "
                f"{[] if frame is None else list(map(str, frame.columns))}. Pass a column name or "
                "a Series of segments."
            )
        found = pd.Series(frame[segments].to_numpy(), index=index)
    elif isinstance(segments, pd.Series):
        found = segment_series(segments).reindex(index)
    else:
        raise InputError(
            f"segments must be a column name or a pandas Series indexed like the table, got "
            f"{type(segments).__name__}."
        )
    if found.isna().any():
        raise InputError(
            f"segments has no value for {int(found.isna().sum())} customer(s) (for example "
            f"{list(found.index[found.isna()][:5])}); give every customer a segment (a text such "
            "as 'NA', 'N/A' or 'null' means no value, as in a CSV file)."
        )
    return found.rename("segment")


def _amount(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(
            f"{name} must be a number or a mapping from segment to number, got {value!r}."
        )
    if not (math.isfinite(value) and value >= 0):
        raise InputError(f"{name} must be finite and ≥ 0, got {value!r}.")
    return float(value)


def _per_customer(name: str, value, segment: pd.Series | None, n: int) -> np.ndarray:
    """A cost as one number per customer, from a number or a mapping segment → number."""
    if not isinstance(value, (Mapping, pd.Series)):
        return np.full(n, _amount(name, value))
    if segment is None:
        raise InputError(
            f"{name} is given per segment ({list(value.keys())[:5]}); pass segments= (a column "
            "name or a Series) to say which segment each customer is in. A mapping or Series "
            f"is read as one {name} per segment, never per customer: to give customers their "
            "own costs, put customers with the same cost in one segment."
        )
    if isinstance(value, pd.Series) and value.index.has_duplicates:
        repeated = list(dict.fromkeys(value.index[value.index.duplicated()]))
        raise InputError(
            f"{name} gives segment(s) {repeated[:5]} more than once; give each segment one "
            f"{name} (for example {name}.groupby(level=0).first() keeps the first)."
        )
    table = {key: _amount(f"{name}[{key!r}]", amount) for key, amount in value.items()}
    missing = sorted(set(segment.unique()) - set(table), key=str)
    if missing:
        raise InputError(
            f"{name} has no value for segment(s) {missing[:5]} of segments; add them to {name} "
            f"(it has {sorted(table, key=str)[:5]})."
        )
    return segment.map(table).to_numpy(dtype="float64")


# --------------------------------------------------------------------------------------------------
# Expected purchases and survival per period
def value_span(horizon, time_unit, default_unit: str = "M", warn_as: str | None = None) -> Duration:
    """The horizon of the unit economics as a duration whose unit is the period: ``"24M"``, or a
    bare number of periods of ``time_unit`` (default ``default_unit``). With ``warn_as`` (the
    public function's name, which calls this directly), a bare number read in months by default
    gets the FutureWarning of :func:`clvmodel.scoring.warn_bare_months`."""
    if time_unit is not None:
        period_days(time_unit)  # refuses anything but D, W, M, Y, naming time_unit
        time_unit = time_unit.upper()
    span = value_horizon(horizon, time_unit, default_unit=default_unit, max_steps=MAX_VALUE_STEPS)
    if warn_as is not None and time_unit is None and default_unit == "M":
        warn_bare_months(horizon, warn_as, stacklevel=4)
    return span


def _periods(span: Duration, discount_rate):
    """Period ends (in periods), their lengths and discount factors."""
    rate = check_discount_rate(discount_rate)
    steps = math.ceil(span.value - 1e-12)
    ends = np.minimum(np.arange(1, steps + 1, dtype="float64"), span.value)
    lengths = np.diff(ends, prepend=0.0)
    factors = (1.0 + per_period_rate(rate, span.unit)) ** -ends  # a partial last period: its end
    return ends, lengths, factors


def _blocks(model, data, ends_model):
    """Blocks of at most ``_CHUNK`` customers with, for each: the customers' positions, P(alive
    now), expected purchases in each period and P(alive) at each period end. Customers are taken
    in the order of their distinct history, so that each block evaluates only the distinct
    histories it holds."""
    _, p, (x, t_x, age, *_), group, _ = model._rows(data)
    cls = type(model)
    order = np.argsort(group, kind="stable")
    for start in range(0, order.size, _CHUNK):
        customers = order[start : start + _CHUNK]
        low, high = group[customers[0]], group[customers[-1]] + 1
        part = {k: (v[low:high] if np.ndim(v) else v) for k, v in p.items()}
        xs, ts, ages = x[low:high], t_x[low:high], age[low:high]
        with np.errstate(all="ignore"):
            alive = model._alive(part, xs, ts, ages)
            cumulative = np.column_stack(
                [cls._expected_if_alive(part, xs, ages, t) for t in ends_model]
            )
            purchases = alive[:, None] * np.diff(cumulative, axis=1, prepend=0.0)
            survival = alive[:, None] * np.column_stack(
                [survival_if_alive(model, part, xs, ages, t) for t in ends_model]
            )
        local = group[customers] - low
        yield customers, alive[local], purchases[local], survival[local]


def _payback(cumulative, cac, positions):
    """First time the cumulative margin (columns: time 0, then each period end) reaches the CAC,
    linear within the period; NaN if never."""
    reached = cumulative >= cac[:, None]
    first = reached.argmax(axis=1)
    rows = np.arange(first.size)
    k = np.maximum(first, 1)
    before, after = cumulative[rows, k - 1], cumulative[rows, k]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.clip((cac - before) / (after - before), 0.0, 1.0)
    time = np.where(first == 0, 0.0, positions[k - 1] + share * (positions[k] - positions[k - 1]))
    return np.where(reached[rows, first], time, np.nan)


_COLUMNS = (
    "probability_alive",
    "expected_purchases",
    "expected_spend",
    "expected_active_periods",
    "gross_margin",
    "order_costs",
    "service_costs",
    "net_clv",
)


def economics_table(
    model,
    spend,
    data,
    span: Duration,
    discount_rate,
    margin,
    costs,
    segments,
    *,
    segment_frame=None,
    unit=None,
    acquisition_cost=None,
    first_purchase=None,
):
    """The per-customer table of net CLV over ``span`` (see :func:`value_span`), with the payback
    columns when ``acquisition_cost`` is given, computed in blocks of customers so that memory
    stays bounded (block × periods)."""
    check_models(model)
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be an RFM table (a DataFrame), got {type(data).__name__}.")
    margin = check_margin(margin)
    ends, lengths, factors = _periods(span, discount_rate)
    ends_model = convert_periods(ends, span.unit, model_unit(model, unit))
    n = len(data)
    frame = data if segment_frame is None else segment_frame
    segment = _segments_of(segments, frame, data.index)
    per_order = _per_customer("cost_per_order", costs[0], segment, n)
    per_period = _per_customer("cost_per_period", costs[1], segment, n)
    cac = None
    if acquisition_cost is not None:
        cac = _per_customer("acquisition_cost", acquisition_cost, segment, n)
    initial = np.zeros(n) if first_purchase is None else margin * first_purchase - per_order
    spend = np.broadcast_to(np.asarray(spend, dtype="float64"), (n,))
    out = {name: np.empty(n) for name in (*_COLUMNS, "payback_periods")}
    positions = np.concatenate([[0.0], ends])
    for rows, alive, purchases, survival in _blocks(model, data, ends_model):
        discounted = purchases @ factors
        flows = factors * (
            (margin * spend[rows] - per_order[rows])[:, None] * purchases
            - per_period[rows, None] * lengths * survival
        )
        out["probability_alive"][rows] = alive
        out["expected_purchases"][rows] = purchases.sum(axis=1)
        out["expected_spend"][rows] = spend[rows]
        out["expected_active_periods"][rows] = survival @ lengths
        out["gross_margin"][rows] = margin * spend[rows] * discounted
        out["order_costs"][rows] = per_order[rows] * discounted
        out["service_costs"][rows] = per_period[rows] * (survival @ (factors * lengths))
        out["net_clv"][rows] = initial[rows] + flows.sum(axis=1)
        if cac is not None:
            cumulative = np.cumsum(np.column_stack([initial[rows], flows]), axis=1)
            out["payback_periods"][rows] = _payback(cumulative, cac[rows], positions)
    table = pd.DataFrame({name: out[name] for name in _COLUMNS}, index=data.index)
    if segment is not None:
        table.insert(0, "segment", segment.to_numpy())
    if first_purchase is not None:
        table.insert(0, "first_purchase_margin", initial)
    if cac is not None:
        table["acquisition_cost"] = cac
        with np.errstate(divide="ignore", invalid="ignore"):
            table["clv_to_cac"] = np.where(cac > 0, table["net_clv"].to_numpy() / cac, np.nan)
        table["payback_periods"] = out["payback_periods"]
        table["paid_back"] = table["payback_periods"].notna()
    return table
