"""Churn-risk tiers and a staged price increase for subscribers.

The transaction route (:mod:`clvmodel.churn`) scores a customer by the probability of no purchase
within a horizon. A subscriber's departure is observed, so here the risk is the probability of
cancelling at one of the next ``horizon`` renewal decisions given the periods already paid for,

    churn_risk = P(T ≤ t + h | T > t) = 1 − S(t + h) / S(t),

from a fitted contractual model (:class:`clvmodel.ShiftedBetaGeoModel`,
:class:`clvmodel.BetaDiscreteWeibullModel`, with or without covariates). The value at stake is the
residual CLV, price × margin × DERL(d) (Fader and Hardie 2010, "Customer-base valuation in a
contractual setting"), the discounted margin of the payments still to come. The tiers and the
staged plan are those of the transaction route: :func:`clvmodel.churn.risk_tiers` and
:func:`clvmodel.price_increase_plan`, so per stage the plan reports the residual value, the extra
revenue i × price × DERL if nobody extra leaves, and the break-even extra churn i / (m + i).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from clvmodel._subscription_table import refuse_weighted_rows
from clvmodel._units import check_margin, check_number
from clvmodel.churn import (
    DEFAULT_TIERS,
    PriceIncreasePlan,
    default_tier_labels,
    price_increase_plan,
    risk_tiers,
)
from clvmodel.errors import InputError
from clvmodel.models._alignment import align_to_index
from clvmodel.models._contractual import ContractualModel, check_discount_rate
from clvmodel.subscriptions import PERIODS, refuse_repeated_subscribers, validate_subscribers

__all__ = ["annual_to_period_rate", "subscriber_churn_risk", "subscriber_price_plan"]

_PERIOD_WORDS = {"M": ("month", "months"), "W": ("week", "weeks"), "Y": ("year", "years")}


def _check_model(model) -> ContractualModel:
    if not isinstance(model, ContractualModel):
        raise InputError(
            f"model must be a fitted subscription model (ShiftedBetaGeoModel or "
            f"BetaDiscreteWeibullModel), got {type(model).__name__}; for purchase models use "
            "clvmodel.churn_risk."
        )
    model._check_fitted()
    return model


def _heavy_tail(model) -> str:
    """The model's quantity whose value ≤ 1 makes the expected lifetime infinite."""
    return "cα" if "c" in type(model).param_names else "α"


def _check_horizon(horizon) -> int:
    try:  # text and booleans are mistakes, not 12 or 1
        number = check_number("horizon", horizon, 1.0)
    except InputError:
        number = math.nan
    if not (math.isfinite(number) and number >= 1 and number == round(number)):
        raise InputError(
            f"horizon must be a whole number of billing periods ≥ 1 (renewal decisions), got "
            f"{horizon!r}; for example horizon=12 with monthly billing for a year."
        )
    return int(number)


def _prices(data: pd.DataFrame, price) -> np.ndarray | None:
    if price is None:
        return None
    if isinstance(price, str):
        if price not in data.columns:
            raise InputError(
                f"the subscribers have no price column {price!r}; their columns are "
                f"{list(map(str, data.columns))}. Pass price= as a number or the right column."
            )
        values = pd.to_numeric(data[price], errors="coerce").to_numpy(dtype="float64")
    else:  # a Series is matched by subscriber id, not by position
        try:
            given = np.asarray(align_to_index(price, data.index, "price"), dtype="float64")
        except (TypeError, ValueError):
            raise InputError(
                f"price must be a number, a column of data or one number per row, got {price!r}."
            ) from None
        if given.ndim > 1 or (given.ndim == 1 and given.size != len(data)):
            raise InputError(
                f"price must be one number or one per row of data (cancelled subscribers "
                f"included), got {given.size} for {len(data)} rows."
            )
        values = np.broadcast_to(given, (len(data),)).copy()
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} price(s) are missing, negative or not numbers (rows "
            f"{data.index[bad][:5].tolist()}); a price per billing period is a number ≥ 0."
        )
    return values


def _risk_table(model, active: pd.DataFrame, periods: np.ndarray, horizon: int) -> pd.DataFrame:
    """``periods``, ``churn_risk`` (of cancelling within ``horizon``) and ``retention`` of the
    active subscribers."""
    if active.empty:
        raise InputError(
            "every subscriber has cancelled: there is nobody to score. Pass the subscribers who "
            "are still active (cancelled = 0)."
        )
    risk = np.clip(model.probability_cancel(active, horizon).to_numpy(), 0.0, 1.0)
    return pd.DataFrame(
        {"periods": periods.astype("int64"), "churn_risk": risk, "retention": 1.0 - risk},
        index=active.index,
    )


def _add_residual_value(scores, model, active, prices, margin: float, d: float) -> None:
    """Add ``price``, ``derl`` and ``predicted_clv`` = price × margin × DERL(d) to ``scores``."""
    scores["price"] = prices
    scores["derl"] = derl = model.discounted_expected_residual_lifetime(active, d).to_numpy()
    if not np.isfinite(derl).all():
        raise InputError(
            f"the residual value is infinite at discount_rate={d:g}: this model's expected "
            f"lifetime is infinite ({_heavy_tail(model)} ≤ 1, a heavy tail of loyal "
            "subscribers), so undiscounted payments never add up. Pass a discount_rate > 0 per "
            "billing period, e.g. annual_to_period_rate(0.1, 'M') for 10 % a year with monthly "
            "billing."
        )
    scores["predicted_clv"] = scores["price"] * margin * scores["derl"]


def _add_limits(scores, model, active, horizon: int, priced: bool, margin, d, uncertainty):
    """Add the confidence limits of churn risk and retention and, with a price, of DERL and the
    residual value (``clv_lower``/``_upper``, which the price plan sums per stage)."""
    which = ["probability_cancel", "derl"] if priced else ["probability_cancel"]
    limits = model.predict(active, horizon, d if priced else None, which=which, **uncertainty)
    low = np.clip(limits["probability_cancel_lower"].to_numpy(), 0.0, 1.0)
    high = np.clip(limits["probability_cancel_upper"].to_numpy(), 0.0, 1.0)
    scores["churn_risk_lower"], scores["churn_risk_upper"] = low, high
    scores["retention_lower"], scores["retention_upper"] = 1.0 - high, 1.0 - low
    if not priced:
        return
    derl_low, derl_high = (limits[f"derl_{side}"].to_numpy() for side in ("lower", "upper"))
    if not np.isfinite(derl_high).all():
        raise InputError(
            f"the residual value's upper limit is infinite at discount_rate={d:g}: within the "
            "uncertainty of its parameters this model's expected lifetime can be infinite "
            f"({_heavy_tail(model)} near 1 or below). Pass a discount_rate > 0 per billing "
            "period, e.g. annual_to_period_rate(0.1, 'M') for 10 % a year with monthly billing."
        )
    scores["derl_lower"], scores["derl_upper"] = derl_low, derl_high
    scores["clv_lower"] = scores["price"] * margin * derl_low
    scores["clv_upper"] = scores["price"] * margin * derl_high


def subscriber_churn_risk(
    model,
    data,
    horizon: int,
    *,
    price=None,
    margin: float = 1.0,
    discount_rate: float = 0.0,
    tiers: Sequence[str] = DEFAULT_TIERS,
    thresholds: Sequence[float] | None = None,
    quantiles: Sequence[float] | None = None,
    interval: float | None = None,
    method: str = "delta",
    n_draws: int = 200,
    seed=0,
) -> pd.DataFrame:
    """Per-subscriber churn risk and residual value, in labelled risk tiers.

    Parameters
    ----------
    model : ContractualModel
        A fitted sBG or BdW model (covariates allowed: ``data`` then holds their columns).
    data : pandas.DataFrame
        Subscribers with ``periods`` and ``cancelled`` (see :mod:`clvmodel.subscriptions`).
        Subscribers who have already cancelled are left out (there is no price to raise); their
        number is in ``attrs["cancelled_left_out"]``.
    horizon : int
        Renewal decisions ahead (billing periods): churn risk is P(cancel within them).
    price : float, str or array_like, optional
        Price per billing period (one number, a column of ``data`` or one per row, a pandas
        Series matched by subscriber id); adds
        ``price``, ``derl`` and ``predicted_clv`` = price × margin × DERL.
    margin : float
        Share of the price kept as profit, in (0, 1]; 1 makes ``predicted_clv`` revenue.
    discount_rate : float
        Per billing period (for 10 % a year with monthly billing, ``1.1 ** (1 / 12) - 1``).
    tiers, thresholds, quantiles
        Tier labels (lowest risk first) and cut points, as in :func:`clvmodel.churn_risk`.
    interval : float, optional
        Also give confidence limits at this level (e.g. 0.9) from parameter uncertainty:
        ``churn_risk_lower``/``_upper``, ``retention_lower``/``_upper`` and, with a price,
        ``derl_lower``/``_upper`` and ``clv_lower``/``_upper`` (the model must come from
        ``fit``; see ``ContractualModel.predict``).
    method, n_draws, seed
        ``"delta"`` (the default), ``"draws"`` (``n_draws`` draws, ``seed``) or ``"bootstrap"``
        (after ``model.bootstrap(data)``).

    Returns
    -------
    pandas.DataFrame
        Indexed like the active rows of ``data``: ``periods``, ``churn_risk``, ``retention``
        (1 − churn risk), with a price ``price``, ``derl``, ``predicted_clv``, then the limits
        asked for and ``tier``.
        ``attrs`` records the horizon, billing period, margin, discount rate and the tier rule,
        which :func:`clvmodel.price_increase_plan` reads.

    Examples
    --------
    >>> import pandas as pd
    >>> import clvmodel as clv
    >>> from clvmodel.subscription_churn import subscriber_churn_risk
    >>> sbg = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182}, time_unit="Y")
    >>> subs = pd.DataFrame({"periods": [0, 1, 3, 10, 4], "cancelled": [0, 0, 0, 0, 1]})
    >>> scores = subscriber_churn_risk(sbg, subs, 1, price=100.0, margin=0.3,
    ...                                discount_rate=0.1, thresholds=(0.2, 0.3))
    >>> scores[["periods", "churn_risk", "predicted_clv", "tier"]].round(3)
       periods  churn_risk  predicted_clv    tier
    0        0       0.373         88.940    high
    1        1       0.244        123.104  medium
    2        3       0.144        163.272     low
    3       10       0.059        223.802     low
    """
    # Over 80 lines for its docstring and example (the body is about 30).
    model = _check_model(model)
    horizon = _check_horizon(horizon)
    refuse_weighted_rows(data, "subscriber_churn_risk")  # tiers and stage totals count rows
    periods, cancelled, index = validate_subscribers(data, getattr(model, "period_", None))
    refuse_repeated_subscribers(index)
    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(data)
    if len(data) == 0:
        raise InputError("data has no subscribers: there is nobody to score.")
    margin = check_margin(margin)
    d = check_discount_rate(discount_rate)
    prices = _prices(data, price)
    active = data.loc[~cancelled]
    scores = _risk_table(model, active, periods[~cancelled], horizon)
    if prices is not None:
        _add_residual_value(scores, model, active, prices[~cancelled], margin, d)
    if interval is not None:
        uncertainty = {"interval": interval, "method": method, "n_draws": n_draws, "seed": seed}
        _add_limits(scores, model, active, horizon, prices is not None, margin, d, uncertainty)
    scores["tier"], rule = risk_tiers(scores["churn_risk"].to_numpy(), tiers, thresholds, quantiles)
    period = getattr(model, "period_", None)
    unit = _PERIOD_WORDS.get(period, ("billing period", "billing periods"))[horizon > 1]
    scores.attrs.update(
        rule, score="cancel_within", horizon=float(horizon), time_unit=period,
        margin=margin if prices is not None else 1.0, discount_rate=d,
        cancelled_left_out=int(cancelled.sum()),
        risk_description=f"churn risk = P(cancel within the next {horizon} {unit} | tenure)",
    )  # fmt: skip
    return scores


def subscriber_price_plan(
    model,
    data,
    horizon: int,
    increases: Sequence[float] | Mapping[str, float] = (0.05, 0.025, 0.0),
    *,
    price,
    margin: float = 1.0,
    discount_rate: float = 0.0,
    tiers: Sequence[str] | None = None,
    thresholds: Sequence[float] | None = None,
    quantiles: Sequence[float] | None = None,
    stage_wait=None,
    start=None,
    interval: float | None = None,
    method: str = "delta",
    n_draws: int = 200,
    seed=0,
) -> PriceIncreasePlan:
    """Stage a price increase for subscribers by churn-risk tier, lowest risk first.

    Parameters
    ----------
    model, data, horizon, price, margin, discount_rate, interval, method, n_draws, seed
        As in :func:`subscriber_churn_risk` (``price`` is required: the value at stake). With
        ``interval`` each stage also gets ``mean_churn_risk``, ``total_predicted_clv`` and
        ``extra_revenue`` ``_lower``/``_upper``.
    increases : sequence of float or mapping
        One increase per tier as a fraction (0.05 for 5 %), from the lowest risk to the highest,
        never larger for a higher-risk tier.
    tiers : sequence of str, optional
        Tier labels, lowest risk first (default ``("low", "medium", "high")`` for three
        increases, ``("low", "high")`` for two).
    thresholds, quantiles : sequence of float, optional
        Churn-risk cut points or quantiles (default thresholds 0.5, 0.8 for three tiers).
    stage_wait, start
        Weeks between stages and the first start date, as in :func:`clvmodel.price_increase_plan`.

    Returns
    -------
    PriceIncreasePlan
        Per stage: subscribers, mean churn risk, ``total_predicted_clv`` (the residual value at
        stake, price × margin × DERL summed), ``extra_revenue`` = i × Σ price × DERL (if nobody
        extra cancels) and ``break_even_churn`` = i / (m + i), the share of the stage's value that
        may cancel because of the increase before it loses money.

    Notes
    -----
    Raising the price by i multiplies the margin per payment from m·p to (m + i)·p; if a share s
    of the stage's residual value leaves, profit goes from m·V/m to (1 − s)(m + i)·V/m, which
    breaks even at s* = i / (m + i): the break-even of the transaction route, with the residual
    CLV in place of the predicted CLV.

    Examples
    --------
    >>> import pandas as pd
    >>> import clvmodel as clv
    >>> from clvmodel.subscription_churn import subscriber_price_plan
    >>> sbg = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182}, time_unit="Y")
    >>> subs = pd.DataFrame({"periods": [0, 1, 3, 10], "cancelled": 0, "price": 100.0})
    >>> plan = subscriber_price_plan(sbg, subs, 1, (0.05, 0.0), price="price", margin=0.3,
    ...                              discount_rate=0.1, thresholds=(0.2,))
    >>> plan.stages[["tier", "customers", "total_predicted_clv", "break_even_churn"]].round(4)
    ... # doctest: +NORMALIZE_WHITESPACE
           tier  customers  total_predicted_clv  break_even_churn
    stage
    1       low          2             387.0736            0.1429
    2      high          2             212.0436            0.0000
    """
    labels = _plan_tiers(increases, tiers, cut=thresholds is not None or quantiles is not None)
    scores = subscriber_churn_risk(
        model, data, horizon, price=price, margin=margin, discount_rate=discount_rate,
        tiers=labels, thresholds=thresholds, quantiles=quantiles, interval=interval,
        method=method, n_draws=n_draws, seed=seed,
    )  # fmt: skip
    plan = price_increase_plan(scores, increases, stage_wait=stage_wait, start=start)
    plan.settings["billing_period"] = scores.attrs["time_unit"]
    plan.settings["discount_rate_per_period"] = scores.attrs["discount_rate"]
    plan.settings["cancelled_left_out"] = scores.attrs["cancelled_left_out"]
    return plan


def _plan_tiers(increases, tiers, cut: bool) -> tuple[str, ...]:
    """The tier labels of a price plan: ``tiers``, the keys of a mapping of increases, or the
    default labels for as many tiers as increases; other than three tiers need cut points."""
    if not hasattr(increases, "__len__") or isinstance(increases, str):  # an array is fine
        raise InputError(
            f"increases must be one fraction per tier, lowest risk first, such as (0.05, 0.025, "
            f"0.0), or a mapping tier → fraction; got {increases!r}."
        )
    n_tiers = len(increases)
    if isinstance(increases, Mapping) and tiers is None:
        tiers = tuple(increases)
    labels = tuple(tiers) if tiers is not None else default_tier_labels(n_tiers)
    if not cut and len(labels) != 3:
        raise InputError(
            f"{len(labels)} tiers need {len(labels) - 1} cut point(s): pass thresholds= (churn "
            "risks, e.g. (0.3,) for two tiers) or quantiles= (e.g. (0.5,))."
        )
    return labels


def annual_to_period_rate(annual_rate: float, period: str) -> float:
    """The discount rate per billing period equivalent to an annual one: (1 + d)^(1/n) − 1.

    Parameters
    ----------
    annual_rate : float
        Annual discount rate (0.1 for 10 %).
    period : {"M", "W", "Y"}
        Billing period: 12, 365.25 / 7 or 1 per year.

    Returns
    -------
    float

    Examples
    --------
    >>> round(annual_to_period_rate(0.1, "M"), 6)
    0.007974
    """
    if period not in PERIODS:
        raise InputError(f"period={period!r} is not a billing period; use 'M', 'W' or 'Y'.")
    per_year = {"M": 12.0, "W": 365.25 / 7.0, "Y": 1.0}[period]
    try:
        rate = check_discount_rate(annual_rate)
    except InputError:
        raise InputError(
            f"annual_rate must be a fraction per year, 0 ≤ rate < 1 (0.1 for 10 %), got "
            f"{annual_rate!r}."
        ) from None
    return math.expm1(math.log1p(rate) / per_year)
