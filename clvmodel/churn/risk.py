"""Per-customer churn-risk scores (:func:`churn_risk`) and the one-line description of a score."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from clvmodel.churn.tiers import DEFAULT_TIERS, _assign_tiers, _tier_rule
from clvmodel.errors import InputError
from clvmodel.rfm import TIME_UNITS, validate_rfm
from clvmodel.value import _model_unit, _period_days, check_models, customer_lifetime_value

_SCORES = ("no_purchase", "not_alive")
_UNIT_NAMES = {"D": "days", "W": "weeks"}


def _positive(name: str, value, high: float = 1e6) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number of time units, got {value!r}.") from None
    if not (math.isfinite(number) and 0.0 < number <= high):
        raise InputError(f"{name} must be a positive, finite number of time units, got {value!r}.")
    return number


def churn_risk(
    bg,
    data,
    horizon: float,
    gg=None,
    *,
    tiers: Sequence[str] = DEFAULT_TIERS,
    thresholds: Sequence[float] | None = None,
    quantiles: Sequence[float] | None = None,
    score: str = "no_purchase",
    clv_horizon: float | None = None,
    time_unit: str | None = None,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    interval: float | None = None,
) -> pd.DataFrame:
    """Per-customer churn risk, P(alive), expected purchases and value, in labelled risk tiers.

    Parameters
    ----------
    bg : PurchaseModel
        Fitted purchase model: BG/NBD, MBG/NBD or Pareto/NBD, with or without covariates.
    data : pandas.DataFrame
        RFM table (``frequency``, ``recency``, ``T``, and ``monetary_value`` with ``gg``, and the
        covariate columns of a covariate model).
    horizon : float
        Window of the churn risk, in the model's time unit (weeks for a model fitted on
        ``time_unit="W"``): churn risk is the probability of no purchase in the next ``horizon``.
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
    clv_horizon : float, optional
        How far ahead ``predicted_clv`` counts, in periods of ``time_unit``; defaults to
        ``horizon``, converted to those periods.
    time_unit : {"D", "W", "M", "Y"}, optional
        Period of the CLV (defaults to the model's unit), as in
        :func:`clvmodel.customer_lifetime_value`.
    interval : float, optional
        Add confidence intervals at this level (e.g. 0.9) from parameter uncertainty:
        ``churn_risk_lower``/``_upper``, ``probability_alive_lower``/``_upper``,
        ``expected_purchases_lower``/``_upper`` and, with ``gg``, ``clv_lower``/``_upper`` (see
        ``PurchaseModel.predict``). Tiers are assigned from the point estimates.
    discount_rate, margin : float
        Annual discount rate and profit margin of the CLV, as in
        :func:`clvmodel.customer_lifetime_value`. Keep ``margin=1`` (revenue) for
        :func:`price_increase_plan` unless you mean profit; the plan reads it from the scores.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``data``: ``frequency``, ``recency``, ``T``, ``churn_risk``,
        ``probability_alive``, ``expected_purchases`` (in the horizon), ``predicted_clv`` (with
        ``gg``) and ``tier`` (an ordered categorical, lowest risk first). ``attrs`` records the
        horizon, time unit, score, tier labels and cut points (``tier_cuts``) and the CLV settings.

    Notes
    -----
    In BG/NBD (Fader, Hardie and Lee 2005) a customer who is alive at T makes no purchase in
    (T, T + t] with probability ((α + T)/(α + T + t))^(r + x), the Poisson zero term averaged over
    the posterior Gamma(r + x, α + T) of λ; an alive customer can drop out only at a purchase, so
    no purchase also means still alive. Hence

        P(no purchase in (T, T + t] | x, t_x, T)
            = 1 − P(alive) · (1 − ((α + T)/(α + T + t))^(r + x)),

    with P(alive) from eq. (13) (:meth:`BetaGeoModel.probability_no_purchase`). P(alive) is reported
    beside it, but it is not a churn score: the model gives every customer without a repeat purchase
    P(alive) = 1, so 1 − P(alive) ranks long-silent one-time buyers as the safest customers.

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
    >>> scores = clv.churn_risk(bg, rfm, horizon=39)
    >>> scores["tier"].value_counts().sort_index().tolist()
    [305, 425, 1627]
    >>> bool(scores.loc["00004", "churn_risk"] < 0.5)
    True
    """
    if score not in _SCORES:
        raise InputError(f"score={score!r} is not known; use one of {list(_SCORES)}.")
    horizon = _positive("horizon", horizon)
    check_models(bg, gg)
    rfm = validate_rfm(data)
    # The model evaluates each distinct history once: equal histories get identical risks.
    predictions = bg.predict(data, horizon, interval=interval)
    alive = predictions["probability_alive"].to_numpy()
    no_purchase = predictions["probability_no_purchase"].to_numpy()
    expected = predictions["expected_purchases"].to_numpy()
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
            "expected_purchases": expected,
        },
        index=rfm.index,
    )
    model_unit = getattr(bg, "time_unit_", None)
    attrs: dict[str, Any] = {
        "score": score,
        "horizon": horizon,
        "time_unit": model_unit,
        "margin": 1.0,
    }
    if gg is not None:
        if clv_horizon is None:
            unit = _model_unit(bg, time_unit if time_unit in TIME_UNITS else None)
            period = time_unit or unit
            clv_horizon = horizon * TIME_UNITS[unit] / _period_days(period)
        clv_horizon = _positive("clv_horizon", clv_horizon)
        value = customer_lifetime_value(
            bg,
            gg,
            data,
            clv_horizon,
            discount_rate=discount_rate,
            margin=margin,
            time_unit=time_unit,
            interval=interval,
        )
        if interval is not None:
            value, clv_bounds = value["predicted_clv"], value[["clv_lower", "clv_upper"]]
        scores["predicted_clv"] = value.to_numpy()
        attrs.update(
            clv_horizon=clv_horizon,
            clv_time_unit=time_unit or model_unit,
            discount_rate=float(discount_rate),
            margin=float(margin),
        )
    labels, cuts, rule = _tier_rule(risk, tiers, thresholds, quantiles)
    scores["tier"] = _assign_tiers(risk, labels, cuts)
    attrs.update(rule, tiers=list(labels))
    if interval is not None:
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
        if gg is not None:
            scores["clv_lower"] = clv_bounds["clv_lower"].to_numpy()
            scores["clv_upper"] = clv_bounds["clv_upper"].to_numpy()
        attrs["interval"] = float(interval)
    scores.attrs.update(attrs)
    return scores


def _risk_description(attrs: Mapping[str, Any]) -> str:
    if isinstance(attrs.get("risk_description"), str):  # scores of other models say what it is
        return attrs["risk_description"]
    horizon = attrs.get("horizon")
    if horizon is None:
        return "churn risk as given"
    unit = _UNIT_NAMES.get(attrs.get("time_unit"), "time units")
    if attrs.get("score") == "not_alive":
        return "churn risk = 1 − P(alive)"
    return f"churn risk = P(no purchase in the next {horizon:g} {unit} | history)"
