"""Unit economics: net CLV after the cost to serve, CLV:CAC and CAC payback.

Over periods k = 1 … K of a horizon (months by default), ending at t_k after the end of
observation T, with discount factors d_k = (1 + i)^−t_k (i the annual rate converted to the period;
t_k = k but for a fractional last period, discounted at its own end),
a customer's net CLV is

    net CLV = Σ_k d_k [(margin · s − c_order) · ΔE_k − c_period · ℓ_k · S_k],

where s is the expected spend per purchase (Gamma-Gamma), ΔE_k = E[Y(t_k)] − E[Y(t_{k−1})] the
expected purchases in period k given the history, ℓ_k the length of the period (1 but for a
fractional last one) and S_k = P(alive at T + t_k | history) the probability of still being a
customer at its end. ``c_order`` is the cost per order (picking, shipping, payment fees) and
``c_period`` the cost of each period of relationship (support, accounts, mailings).

S_k = P(alive at T | history) · P(alive at T + t | alive at T), the second factor in closed form:

* BG/NBD and MBG/NBD drop out only at purchases, after each with probability p. Given alive at
  T, with λ ~ Gamma(r′, α′) and p ~ Beta(a, b′) the posterior (b′ = b + x, or b + x + 1 for
  MBG/NBD), the chance of dropping out by T + t is E[1 − e^(−λpt)] = E[p · (1 − e^(−λpt))/p]:
  weighting the Beta by p turns it into Beta(a + 1, b′), so
  P(alive at T + t | alive at T) = 1 − a/(a + b′) · E_alive(t; a + 1), E_alive being the model's
  expected purchases of an alive customer (Fader, Hardie and Lee 2005, eq. 10 / P(alive)) at
  a + 1. This equals (α′/(α′+t))^r′ ₂F₁(r′, b′; a + b′; t/(α′+t)).
* Pareto/NBD: the lifetime is exponential with rate μ ~ Gamma(s, β + T) given alive at T, so
  P(alive at T + t | alive at T) = ((β + T)/(β + T + t))^s.

CAC payback is the time at which the *expected* cumulative discounted net margin first reaches
the acquisition cost, linear within a period; it is not the mean of the random payback time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._naive_segments import naive_vs_model
from clvmodel._reading_text import missing_texts_as_nan
from clvmodel._unit_flows import economics_table, survival_if_alive, value_span
from clvmodel._units import Duration, carries_unit, convert_periods, model_unit, parse_duration
from clvmodel._value_economics_summary import unit_economics_summary
from clvmodel.errors import InputError
from clvmodel.models._horizon import one_horizon
from clvmodel.models._table_unit import with_rfm_time_unit
from clvmodel.value import check_models

__all__ = ["cac_payback", "day_one_payback", "naive_vs_model", "net_clv", "probability_alive_at",
           "unit_economics_summary"]  # fmt: skip


def probability_alive_at(model, data, t, *, rfm_time_unit: str | None = None) -> pd.Series:
    """P(alive at T + t | history): the probability that a customer is still a customer ``t``
    model time units after the end of observation.

    Parameters
    ----------
    model : PurchaseModel
        Fitted BG/NBD, MBG/NBD or Pareto/NBD model (with or without covariates).
    data : pandas.DataFrame
        RFM table with ``frequency``, ``recency`` and ``T``.
    t : float, str or Duration
        Time after T (≥ 0): a duration such as ``"52W"`` or ``"12M"``, or a bare number of the
        model's time units.
    rfm_time_unit : {"D", "W"}, optional
        The time unit of the table's ``recency`` and ``T``, checked against the model's, for a
        table that does not record it (``rfm.join(attributes)``, merge and concat drop what
        :func:`clvmodel.rfm_summary` records); as ``time_unit=`` of the model's predictions.

    Returns
    -------
    pandas.Series
        Indexed like ``data``; at t = 0 it is ``model.probability_alive(data)``.

    Notes
    -----
    P(alive at T | history) · P(alive at T + t | alive at T), the second factor in closed form
    (module docstring): 1 − a/(a + b′) · E_alive(t; a + 1) for BG/NBD and MBG/NBD,
    ((β + T)/(β + T + t))^s for Pareto/NBD.

    Examples
    --------
    >>> import pandas as pd
    >>> import clvmodel as clv
    >>> bg = clv.BetaGeoModel.from_params(dict(r=0.2426, alpha=4.4137, a=0.7930, b=2.4262), "W")
    >>> rfm = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    >>> from clvmodel.economics import probability_alive_at
    >>> now, later = (float(probability_alive_at(bg, rfm, t).iloc[0]) for t in (0.0, 52.0))
    >>> round(now, 3), round(later, 3)
    (0.727, 0.532)
    """
    check_models(model)
    data = with_rfm_time_unit(data, rfm_time_unit, function="probability_alive_at")
    if carries_unit(t):
        horizon = convert_periods(*parse_duration(t, name="t", allow_zero=True), model_unit(model))
    else:
        horizon = one_horizon(t)  # names a bad value of a Series, without printing it whole
    rfm, p, (x, t_x, age, *_), group, _ = model._rows(data)
    with np.errstate(all="ignore"):
        values = model._alive(p, x, t_x, age) * survival_if_alive(model, p, x, age, horizon)
    return pd.Series(values[group], index=rfm.index, name="probability_alive_at")


def net_clv(
    bg,
    gg,
    data,
    horizon: str | float | Duration,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    time_unit: str | None = None,
    *,
    cost_per_order=0.0,
    cost_per_period=0.0,
    segments=None,
    rfm_time_unit: str | None = None,
) -> pd.DataFrame:
    """Net customer lifetime value: discounted margin minus the cost to serve.

    Parameters
    ----------
    bg : PurchaseModel
        Fitted BG/NBD, MBG/NBD or Pareto/NBD model (with or without covariates).
    gg : GammaGammaModel
        Fitted spend model (its ``expected_spend`` is the spend per future purchase).
    data : pandas.DataFrame
        RFM table with ``frequency``, ``recency``, ``T`` and ``monetary_value``.
    horizon : str, float or Duration
        A duration such as ``"24M"`` or ``"2Y"`` (its unit is the period), or a bare number of
        periods of ``time_unit``; above 0 and at most 100 years (a fractional last period counts
        pro rata). Without ``time_unit`` a bare number counts months, with a FutureWarning:
        :func:`clvmodel.customer_lifetime_value` reads one in the model's time unit.
    discount_rate : float
        Annual discount rate, a fraction 0 ≤ d < 1, converted to the period and applied at the
        end of each period.
    margin : float
        Share of revenue that is gross profit, a fraction 0 < m ≤ 1.
    time_unit : {"M", "W", "D", "Y"}, optional
        The period of a bare-number ``horizon``: months of 365.25/12 days (default), weeks, days
        or years.
    cost_per_order : float or mapping
        Cost of serving one order, in money; or a mapping (dict or Series) segment → cost.
    cost_per_period : float or mapping
        Cost of each period a customer stays a customer; or a mapping segment → cost.
    segments : str or pandas.Series, optional
        Each customer's segment (acquisition channel, cohort …): a column of ``data`` or a
        Series indexed like it; needed by per-segment costs and copied to the result.
    rfm_time_unit : {"D", "W"}, optional
        The time unit of the table's ``recency`` and ``T``, checked against the model's, for a
        table that does not record it (``rfm.join(attributes)``, merge and concat drop what
        :func:`clvmodel.rfm_summary` records); as ``time_unit=`` of the model's predictions.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``data``: ``segment`` (with ``segments``), ``probability_alive``,
        ``expected_purchases`` and ``expected_active_periods`` over the horizon (undiscounted),
        ``expected_spend``, then the discounted ``gross_margin``, ``order_costs``,
        ``service_costs`` and ``net_clv`` = gross margin − order costs − service costs.

    Notes
    -----
    net CLV = Σ_k d_k [(margin · s − cost_per_order) ΔE_k − cost_per_period · ℓ_k · S_k], with
    ΔE_k the expected purchases of period k and S_k = P(alive at its end | history) from
    :func:`probability_alive_at` (see :mod:`clvmodel.economics`). ``gross_margin`` equals
    :func:`clvmodel.customer_lifetime_value` with the same models, data, discount rate, margin
    and a horizon that carries its unit (``"12M"``); a bare number is read in months here and in
    the model's time unit there.

    Examples
    --------
    >>> import clvmodel as clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeoModel().fit(rfm), clv.GammaGammaModel().fit(rfm)
    >>> from clvmodel.economics import net_clv
    >>> table = net_clv(bg, gg, rfm, horizon="12M", margin=0.3, cost_per_order=2.0,
    ...                 cost_per_period=0.25)
    >>> bool((table["net_clv"] < table["gross_margin"]).all())
    True
    """
    # Over 80 lines for its docstring only; the cash flows are in _unit_flows.economics_table.
    check_models(bg, gg, spend_required=True)
    data = with_rfm_time_unit(data, rfm_time_unit, function="net_clv")
    span = value_span(horizon, time_unit, warn_as="net_clv")
    spend = gg.expected_spend(data).to_numpy(dtype="float64")
    costs = (cost_per_order, cost_per_period)
    segments, frame = _segments_read(segments, data)
    return economics_table(
        bg, spend, data, span, discount_rate, margin, costs, segments, segment_frame=frame
    )


def _segments_read(segments, frame):
    """``segments`` and the table its column name refers to (``frame``, or one column of it)
    with missing-value texts (``NA``, ``n/a``, `` null ``) as missing: a customer so labelled
    has no segment (:func:`clvmodel._reading_text.missing_texts_as_nan`)."""
    if isinstance(segments, pd.Series):
        return missing_texts_as_nan(segments), frame
    if not (isinstance(segments, str) and isinstance(frame, pd.DataFrame)):
        return segments, frame  # None, or what economics_table refuses in words
    column = frame[segments] if segments in frame.columns else None
    if not isinstance(column, pd.Series):  # not a column (or a repeated name): refused there
        return segments, frame
    read = missing_texts_as_nan(column)
    return segments, frame if read is column else pd.DataFrame({segments: read.to_numpy()})


def cac_payback(
    bg,
    gg,
    data,
    acquisition_cost,
    horizon: str | float | Duration,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    time_unit: str | None = None,
    *,
    cost_per_order=0.0,
    cost_per_period=0.0,
    segments=None,
    rfm_time_unit: str | None = None,
) -> pd.DataFrame:
    """CLV:CAC and the time until a customer's discounted net margin covers its acquisition cost.

    Counted from the end of observation (the forecast start); for new signups see
    :func:`day_one_payback`.

    Parameters
    ----------
    bg, gg, data, horizon, discount_rate, margin, time_unit
        As in :func:`net_clv` (a bare-number ``horizon`` without ``time_unit`` counts months,
        with a FutureWarning).
    acquisition_cost : float or mapping
        CAC per customer, or a mapping segment (channel) → CAC.
    cost_per_order, cost_per_period, segments, rfm_time_unit
        As in :func:`net_clv`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`net_clv`, then ``acquisition_cost``, ``clv_to_cac`` (net CLV /
        CAC, NaN when the CAC is 0), ``payback_periods`` (in periods: the horizon's unit, or
        ``time_unit``; NaN when not within the horizon) and ``paid_back`` (within the horizon).
        A CAC of 0 has nothing to pay back: its ``payback_periods`` is NaN, ``paid_back`` False.

    Notes
    -----
    The payback is the first time at which the expected cumulative discounted net margin
    Σ_{j ≤ k} d_j [(margin · s − cost_per_order) ΔE_j − cost_per_period · ℓ_j · S_j] reaches the
    CAC, interpolated linearly within the period where it does. This is the payback of the
    expected cash flow, not the expected value of the (random) payback time.

    Examples
    --------
    >>> import clvmodel as clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeoModel().fit(rfm), clv.GammaGammaModel().fit(rfm)
    >>> from clvmodel.economics import cac_payback
    >>> table = cac_payback(bg, gg, rfm, acquisition_cost=5.0, horizon="24M", margin=0.3,
    ...                     discount_rate=0.1)
    >>> bool(table.loc[table["paid_back"], "payback_periods"].between(0, 24).all())
    True
    """
    check_models(bg, gg, spend_required=True)
    data = with_rfm_time_unit(data, rfm_time_unit, function="cac_payback")
    span = value_span(horizon, time_unit, warn_as="cac_payback")
    spend = gg.expected_spend(data).to_numpy(dtype="float64")
    segments, frame = _segments_read(segments, data)
    return _without_payback_of_nothing(economics_table(
        bg, spend, data, span, discount_rate, margin, (cost_per_order, cost_per_period),
        segments, segment_frame=frame, acquisition_cost=acquisition_cost,
    ))  # fmt: skip


def _without_payback_of_nothing(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with a CAC of 0 not paid back (NaN): there is nothing to pay back."""
    free = ~(table["acquisition_cost"].to_numpy(dtype="float64") > 0)
    table.loc[free, "payback_periods"] = np.nan
    table.loc[free, "paid_back"] = False
    return table


def day_one_payback(
    model,
    signups: pd.DataFrame,
    acquisition_cost,
    horizon: str | float | Duration | None = None,
    time_unit: str | None = None,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    *,
    cost_per_order=0.0,
    cost_per_period=0.0,
    segments=None,
    unknown: str = "error",
) -> pd.DataFrame:
    """Net CLV, CLV:CAC and CAC payback of new signups from a fitted Day One model.

    A signup is a customer of age 0 with no repeat purchase, scored with their own parameters
    from their attributes. When the model counts the first purchase (``first_purchase_col``),
    its net margin, margin · amount − cost_per_order, is earned at time 0 (undiscounted).

    Parameters
    ----------
    model : DayOneModel
        Fitted Day One model.
    signups : pandas.DataFrame
        One row per new customer with the model's attributes, as in ``DayOneModel.predict``.
    acquisition_cost : float or mapping
        CAC per signup, or a mapping segment (channel) → CAC.
    horizon : str, float or Duration, optional
        A duration such as ``"13M"`` (its unit is the period) or a bare number of periods of
        ``time_unit``; defaults to the model's horizon (13 months unless set otherwise).
    time_unit : {"M", "W", "D", "Y"}, optional
        The period of a bare-number ``horizon`` (of the default one too, whose length it keeps);
        defaults to the model's ``horizon_unit``.
    discount_rate, margin, cost_per_order, cost_per_period
        As in :func:`net_clv`.
    segments : str or pandas.Series, optional
        A column of ``signups`` (such as the acquisition channel) or a Series indexed like it.
    unknown : {"error", "baseline"}
        Unseen categorical levels, as in ``DayOneModel.predict``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``signups``: ``first_purchase_margin``, the columns of :func:`net_clv`
        (``net_clv`` includes the first purchase margin), ``acquisition_cost``, ``clv_to_cac``,
        ``payback_periods`` and ``paid_back`` as in :func:`cac_payback`.

    Examples
    --------
    >>> import clvmodel as clv
    >>> tx = clv.datasets.load_cdnow_sample()
    >>> rfm = clv.rfm_summary(tx, observation_end="1997-09-30")
    >>> signup = clv.dayone.first_purchase_attributes(tx).loc[rfm.index]
    >>> model = clv.DayOneModel(["first_purchase_amount"], log=["first_purchase_amount"],
    ...                         first_purchase_col="first_purchase_amount").fit(rfm, signup)
    >>> from clvmodel.economics import day_one_payback
    >>> table = day_one_payback(model, signup.iloc[:3], acquisition_cost=8.0, margin=0.3)
    >>> table["paid_back"].dtype.name
    'bool'
    """
    # Over 80 lines for its docstring only; the cash flows are in _unit_flows.economics_table.
    if not callable(getattr(model, "encode", None)):
        raise InputError(
            f"model must be a fitted clvmodel.DayOneModel, got {type(model).__name__}; for "
            "customers with a history use cac_payback(bg, gg, rfm, ...)."
        )
    model._check_fitted()
    if horizon is None:  # the model's horizon (13 months), in periods of time_unit if given
        period = value_span(1.0, time_unit, default_unit=model.horizon_unit).unit
        horizon = convert_periods(model.horizon, model.horizon_unit, period)
    span = value_span(horizon, time_unit, default_unit=model.horizon_unit)
    design = model.encode(signups, unknown=unknown)
    rows = pd.DataFrame({"frequency": 0.0, "recency": 0.0, "T": 0.0}, index=design.index)
    rows = rows.join(design)
    rows.attrs["time_unit"] = model.time_unit_
    spend = model.gg_.expected_spend_new(design).to_numpy(dtype="float64")
    counted = model.first_purchase_col is not None
    segments, frame = _segments_read(segments, signups)
    table = economics_table(
        model.bg_, spend, rows, span, discount_rate, margin, (cost_per_order, cost_per_period),
        segments, segment_frame=frame, unit=model.time_unit_, acquisition_cost=acquisition_cost,
        first_purchase=model._first_purchase(signups) if counted else None,
    )  # fmt: skip
    if not counted:
        table.insert(0, "first_purchase_margin", 0.0)
    return _without_payback_of_nothing(table)
