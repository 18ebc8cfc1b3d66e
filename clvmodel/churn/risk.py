"""Per-customer churn-risk scores (:func:`churn_risk`) and the one-line description of a score."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from clvmodel._units import (
    MAX_VALUE_STEPS,
    UNIT_NAMES,
    Duration,
    carries_unit,
    check_discount_rate,
    check_margin,
    convert_periods,
    deprecated_time_unit,
    model_unit,
    value_horizon,
)
from clvmodel.churn._scores import refuse_repeated_ids
from clvmodel.churn.tiers import DEFAULT_TIERS, _assign_tiers, _tier_rule
from clvmodel.errors import InputError
from clvmodel.models._table_unit import with_rfm_time_unit
from clvmodel.rfm import validate_rfm
from clvmodel.value import check_models, model_value

_SCORES = ("no_purchase", "not_alive")


def churn_risk(
    bg,
    data,
    horizon: str | float | Duration,
    gg=None,
    *,
    tiers: Sequence[str] = DEFAULT_TIERS,
    thresholds: Sequence[float] | None = None,
    quantiles: Sequence[float] | None = None,
    score: str = "no_purchase",
    clv_horizon: str | float | Duration | None = None,
    time_unit: str | None = None,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    interval: float | None = None,
    rfm_time_unit: str | None = None,
) -> pd.DataFrame:
    """Per-customer churn risk, P(alive), expected purchases and value, in labelled risk tiers.

    Parameters
    ----------
    bg : PurchaseModel
        Fitted purchase model: BG/NBD, MBG/NBD or Pareto/NBD, with or without covariates.
    data : pandas.DataFrame
        RFM table (``frequency``, ``recency``, ``T``, and ``monetary_value`` with ``gg``, and the
        covariate columns of a covariate model).
    horizon : str, float or Duration
        Window of the churn risk: a duration such as ``"39W"`` or ``"9M"``, or a bare number of
        the model's time units (weeks for a model fitted on ``time_unit="W"``); at most 100 years.
        Churn risk is the probability of no purchase in the next ``horizon``.
    gg : GammaGammaModel, optional
        Spend model; adds ``predicted_clv`` from :func:`clvmodel.customer_lifetime_value`.
    tiers : sequence of str
        Tier labels from the lowest risk to the highest.
    thresholds : sequence of float, optional
        Churn-risk cut points between tiers (fractions, increasing): with the default tiers and
        neither ``thresholds`` nor ``quantiles`` given, ``(0.5, 0.8)``.
    quantiles : sequence of float, optional
        Cut tiers at these quantiles of the churn risk instead, e.g. ``(1/3, 2/3)``.
    score : {"no_purchase", "not_alive"}
        ``"no_purchase"`` (default): P(no purchase in the next ``horizon`` | history).
        ``"not_alive"``: 1 − P(alive), kept for comparison only; it ranks customers badly (see
        Notes).
    clv_horizon : str, float or Duration, optional
        How far ahead ``predicted_clv`` counts: a duration such as ``"12M"`` (its unit is the
        discounting period), or a bare number of the model's time units (or of the deprecated
        ``time_unit``). Defaults to ``horizon`` (in its own unit when it carries one). Only with
        ``gg``: refused without it, as is a ``discount_rate`` other than 0.
    time_unit : {"D", "W", "M", "Y"}, optional
        Deprecated: the period of the CLV; write ``clv_horizon="12M"`` instead.
    interval : float, optional
        Add confidence intervals at this level (e.g. 0.9) from parameter uncertainty:
        ``churn_risk_lower``/``_upper``, ``probability_alive_lower``/``_upper``,
        ``expected_purchases_lower``/``_upper`` and, with ``gg``, ``clv_lower``/``_upper`` (see
        ``PurchaseModel.predict``). Tiers are assigned from the point estimates.
    discount_rate, margin : float
        Annual discount rate (0 ≤ d < 1) and profit margin (0 < m ≤ 1) of the CLV, as in
        :func:`clvmodel.customer_lifetime_value`. Keep ``margin=1`` (revenue) for
        :func:`price_increase_plan` unless you mean profit; the plan reads it from the scores.
        The margin is checked and recorded in ``attrs`` with or without ``gg`` (without it, it
        only sets the plan's default margin for the break-even churn).
    rfm_time_unit : {"D", "W"}, optional
        The time unit of the table's ``recency`` and ``T``, checked against the model's, for a
        table that does not record it (``rfm.join(attributes)``, merge and concat drop what
        :func:`clvmodel.rfm_summary` records); as ``time_unit=`` of the model's predictions.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``data`` (whose customer ids must not repeat): ``frequency``, ``recency``,
        ``T``, ``churn_risk``, ``probability_alive``, ``expected_purchases`` (in the horizon),
        ``predicted_clv`` (with ``gg``) and ``tier`` (an ordered categorical, lowest risk first).
        ``attrs`` records the horizon (in the model's time units) with its unit
        (``horizon_unit``), the horizon as given (``horizon_as_given`` with
        ``horizon_as_given_unit``: 3 and ``"M"`` for ``"3M"``), what the risk is in words
        (``risk_description``, in the units of the horizon as given), the score, tier labels
        and cut points (``tier_cuts``), the ``margin`` and, with ``gg``, the CLV settings
        (``clv_horizon`` with ``clv_horizon_unit``, ``discount_rate``).

    Notes
    -----
    In BG/NBD (Fader, Hardie and Lee 2005) a customer who is alive at T makes no purchase in
    (T, T + t] with probability ((α + T)/(α + T + t))^(r + x), the Poisson zero term averaged over
    the posterior Gamma(r + x, α + T) of λ; an alive customer can drop out only at a purchase, so
    no purchase also means still alive. Hence

        P(no purchase in (T, T + t] | x, t_x, T)
            = 1 − P(alive) · (1 − ((α + T)/(α + T + t))^(r + x)),

    with P(alive) from eq. (13) (:meth:`BetaGeoModel.probability_no_purchase`); MBG/NBD and
    Pareto/NBD give the same quantity from their own ``probability_no_purchase``. P(alive) is
    reported beside it, but it is not a churn score. BG/NBD, whose customers drop out only just
    after a repeat purchase, gives every customer without one P(alive) = 1, so 1 − P(alive) ranks
    long-silent one-time buyers as the safest customers. MBG/NBD (a customer may also drop out
    at the first purchase) and Pareto/NBD (at any time) give them P(alive) < 1, falling with T,
    but 1 − P(alive) is still the chance of having left already, whatever the ``horizon``.

    Tiers: tier k holds the risks in [cut_{k−1}, cut_k); a customer exactly at a cut belongs to the
    higher-risk tier. Quantile cuts are linear quantiles of the risks, which do not depend on the
    row order; the risk is computed once per distinct (frequency, recency, T), so equal histories
    have bit-for-bit equal risks and always share a tier. Many customers with the same history (say
    one purchase, same first day) can make quantile tiers unequal in size, or empty.

    Examples
    --------
    >>> import clvmodel as clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30")
    >>> bg = clv.BetaGeoModel.from_params(
    ...     {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, time_unit="W")
    >>> scores = clv.churn_risk(bg, rfm, horizon="39W")
    >>> scores["tier"].value_counts().sort_index().tolist()
    [305, 425, 1627]
    >>> bool(scores.loc["00004", "churn_risk"] < 0.5)
    True
    """
    # Long for its docstring only (the Notes say why the score is not 1 − P(alive)).
    if score not in _SCORES:
        raise InputError(f"score={score!r} is not known; use one of {list(_SCORES)}.")
    data = with_rfm_time_unit(
        data, rfm_time_unit, time_unit, function="churn_risk", horizon=clv_horizon, model=bg
    )
    period = deprecated_time_unit(time_unit, clv_horizon, name="clv_horizon")
    window, given = _window(bg, horizon, period)
    check_models(bg, gg, name="bg", spend_name="gg")
    margin = check_margin(margin)
    discount_rate = check_discount_rate(discount_rate)
    _refuse_value_settings_without_gg(gg, clv_horizon, discount_rate)
    rfm = validate_rfm(data)
    refuse_repeated_ids(rfm.index, "data")
    # The model evaluates each distinct history once: equal histories get identical risks.
    predictions = bg.predict(data, window, interval=interval)
    alive = predictions["probability_alive"].to_numpy()
    no_purchase = predictions["probability_no_purchase"].to_numpy()
    risk = no_purchase if score == "no_purchase" else 1.0 - alive
    # Rounding can push a probability a hair outside [0, 1]; clip so tiers and plans stay valid.
    risk = np.clip(risk, 0.0, 1.0)
    scores = pd.DataFrame(
        {
            "frequency": rfm.frequency,
            "recency": rfm.recency,
            "T": rfm.T,
            "churn_risk": risk,
            "probability_alive": alive,
            "expected_purchases": predictions["expected_purchases"].to_numpy(),
        },
        index=rfm.index,
    )
    recorded = getattr(bg, "time_unit_", None)
    attrs: dict[str, Any] = {"score": score, "horizon": window, "time_unit": recorded}
    # The margin is recorded even without gg: the plan takes it for its break-even churn. The
    # horizon is also kept as given ("3M" stays 3 months), the words of every label of the risk.
    attrs.update(horizon_unit=recorded, margin=margin)
    attrs.update(horizon_as_given=given.value, horizon_as_given_unit=given.unit)
    attrs["risk_description"] = _risk_description(attrs)
    clv_bounds = None
    if gg is not None:
        unit = model_unit(bg, period)
        span = _clv_span(horizon, window, unit, clv_horizon, period)
        value = model_value(bg, gg, data, span, discount_rate, margin, unit, interval=interval)
        if interval is not None:
            value, clv_bounds = value["predicted_clv"], value[["clv_lower", "clv_upper"]]
        scores["predicted_clv"] = value.to_numpy()
        attrs.update(
            clv_horizon=span.value,
            clv_time_unit=span.unit,
            clv_horizon_unit=span.unit,
            discount_rate=discount_rate,
        )
    labels, cuts, rule = _tier_rule(risk, tiers, thresholds, quantiles)
    scores["tier"] = _assign_tiers(risk, labels, cuts)
    attrs.update(rule, tiers=list(labels))
    if interval is not None:
        _add_intervals(scores, predictions, score, clv_bounds)
        attrs["interval"] = float(interval)
    scores.attrs.update(attrs)
    return scores


def _refuse_value_settings_without_gg(gg, clv_horizon, discount_rate: float) -> None:
    """``clv_horizon`` and ``discount_rate`` set ``predicted_clv`` only, which needs ``gg``:
    refused without it rather than ignored (a log without amounts has no value to discount)."""
    if gg is not None or (clv_horizon is None and discount_rate == 0):
        return
    name = "clv_horizon" if clv_horizon is not None else "discount_rate"
    shown = (
        f"clv_horizon={clv_horizon!r}" if clv_horizon is not None else f"{name}={discount_rate:g}"
    )
    raise InputError(
        f"{shown} sets predicted_clv, which needs a spend model: pass gg= (a fitted "
        f"clvmodel.GammaGammaModel), or leave {name} out: without gg the scores hold churn risk, "
        "P(alive) and expected purchases, no value."
    )


def _window(bg, horizon, period) -> tuple[float, Duration]:
    """The churn window in the model's time units (a duration converted, or a bare number), and
    the horizon as given (a bare number in the model's unit, None when the model has none)."""
    if carries_unit(horizon):
        unit = model_unit(bg, period)
        duration = value_horizon(horizon, default_unit=unit)
        return convert_periods(duration.value, duration.unit, unit), duration
    # A bare number counts the model's time units (bounded as days if the model does not say).
    recorded = getattr(bg, "time_unit_", None)
    unit = recorded or (period if period in ("D", "W") else "D")
    window = value_horizon(horizon, default_unit=unit).value
    return window, Duration(window, recorded)


def _clv_span(horizon, window: float, unit: str, clv_horizon, period) -> Duration:
    """The CLV horizon as a duration in the CLV period: ``clv_horizon``, else the churn window."""
    if clv_horizon is not None:
        return value_horizon(
            clv_horizon, period, default_unit=unit, name="clv_horizon", max_steps=MAX_VALUE_STEPS
        )
    if period is None and carries_unit(horizon):
        return value_horizon(horizon, default_unit=unit, max_steps=MAX_VALUE_STEPS)
    clv_period = period or unit
    return value_horizon(
        convert_periods(window, unit, clv_period),
        default_unit=clv_period,
        name="clv_horizon",
        max_steps=MAX_VALUE_STEPS,
    )


def _add_intervals(scores, predictions, score: str, clv_bounds) -> None:
    """The interval columns of :func:`churn_risk` (``interval=``), in place."""
    if score == "no_purchase":
        low = predictions["probability_no_purchase_lower"].to_numpy()
        high = predictions["probability_no_purchase_upper"].to_numpy()
    else:
        low = 1.0 - predictions["probability_alive_upper"].to_numpy()
        high = 1.0 - predictions["probability_alive_lower"].to_numpy()
    scores["churn_risk_lower"], scores["churn_risk_upper"] = low, high
    for name in ("probability_alive", "expected_purchases"):
        for side in ("lower", "upper"):
            scores[f"{name}_{side}"] = predictions[f"{name}_{side}"].to_numpy()
    if clv_bounds is not None:
        scores["clv_lower"] = clv_bounds["clv_lower"].to_numpy()
        scores["clv_upper"] = clv_bounds["clv_upper"].to_numpy()


def _risk_description(attrs: Mapping[str, Any]) -> str:
    """What the churn risk of scores with these ``attrs`` is, the horizon in the words it was
    given in ("P(no purchase in the next 3 months | history)")."""
    if isinstance(attrs.get("risk_description"), str):  # the scores say what it is
        return attrs["risk_description"]
    horizon, unit = attrs.get("horizon"), attrs.get("time_unit")
    if attrs.get("horizon_as_given") is not None:
        horizon, unit = attrs["horizon_as_given"], attrs.get("horizon_as_given_unit")
    if horizon is None:
        return "churn risk as given"
    if attrs.get("score") == "not_alive":
        return "churn risk = 1 − P(alive)"
    words = Duration(horizon, unit).words if unit in UNIT_NAMES else f"{horizon:g} time units"
    return f"churn risk = P(no purchase in the next {words} | history)"
