"""Tracking: actual and expected repeat transactions per calendar period, as in the tracking
figures of Fader, Hardie and Lee (2005), "Counting your customers the easy way"."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from clvmodel._holdout_split import QUIET_END_ADVICE, warn_of_quiet_end
from clvmodel._rfm_common import observation_end_day
from clvmodel._units import PERIOD_DAYS, UNIT_NAMES
from clvmodel.errors import InputError
from clvmodel.evaluation._shared import date, first_and_repeat_days, unit_words
from clvmodel.rfm import TIME_UNITS, clean_log, day_number, parse_date
from clvmodel.value import check_models


def cohort_tracking(
    segments,
    first_day: np.ndarray,
    repeat_day: np.ndarray,
    calibration_day: int,
    end_day: int,
    unit_days: float,
    period_days: int,
    time_unit: str | None,
) -> pd.DataFrame:
    """Actual and expected repeat transactions per period for a cohort, by calendar period.

    Periods are ``period_days`` long and aligned on the calibration end, so that one period boundary
    falls on it; the first period contains the cohort's first purchase and the last one ends at
    ``end_day`` (and may be shorter). A boundary at day b counts the purchases on days ≤ b.
    """
    start = int(first_day.min())
    n_calibration = (calibration_day - start) // period_days + 1
    n_holdout = -(-(end_day - calibration_day) // period_days)
    bounds = np.concatenate(
        [
            calibration_day - period_days * np.arange(n_calibration, -1, -1),
            np.minimum(calibration_day + period_days * np.arange(1, n_holdout + 1), end_day),
        ]
    )
    # Expected cumulative repeat transactions at boundary b: Σ_i E[X((b − first_i) / unit)], with
    # E[X(t)] of a new customer (for BG/NBD eq. (9) of Fader, Hardie and Lee 2005). Customers are
    # grouped by first-purchase day, so E[X] is evaluated once per whole-day age.
    # With covariates, each group of customers sharing their parameters is summed separately.
    span = end_day - start
    model_cumulative = np.zeros(bounds.size)
    for model, members in segments:
        per_day = np.bincount(first_day[members] - start, minlength=span + 1).astype("float64")
        expected_by_age = np.asarray(
            model.expected_purchases_new(np.arange(span + 1) / unit_days), dtype="float64"
        )
        for k, bound in enumerate(bounds):
            offset = int(bound) - start
            if offset >= 0:
                model_cumulative[k] += per_day[: offset + 1] @ expected_by_age[offset::-1]
    actual_cumulative = np.searchsorted(np.sort(repeat_day), bounds, side="right")

    n = bounds.size - 1
    table = pd.DataFrame(
        {
            "period": np.arange(1, n + 1),
            "start_date": pd.to_datetime((bounds[:-1] + 1).astype("datetime64[D]")),
            "end_date": pd.to_datetime(bounds[1:].astype("datetime64[D]")),
            "phase": np.where(np.arange(1, n + 1) <= n_calibration, "calibration", "holdout"),
            "actual_incremental": np.diff(actual_cumulative),
            "model_incremental": np.diff(model_cumulative),
            "actual_cumulative": actual_cumulative[1:],
            "model_cumulative": model_cumulative[1:],
        }
    )
    table.attrs.update(
        time_unit=time_unit, period=period_days / unit_days, calibration_periods=int(n_calibration)
    )
    return table


def tracking_period_days(period, time_unit: str | None, unit_days: float) -> int:
    """The tracking period in whole days (7 by default), from ``period`` time units."""
    if period is None:
        return 7  # weekly tracking, as in the papers, for both time units
    try:
        days = float(period) * unit_days
    except (TypeError, ValueError):
        raise InputError(f"period must be a number of time units, got {period!r}.") from None
    if not (math.isfinite(days) and days >= 1 and abs(days - round(days)) < 1e-9):
        raise InputError(
            f"period={period!r} {unit_words(time_unit)[1]} is not a whole number (≥ 1) of days; "
            "choose e.g. period=1 for weeks or period=7 for days."
        )
    return int(round(days))


# Over 80 lines for its numpydoc docstring (the Notes explain the age convention); body: 29.
def tracking_table(
    bg,
    transactions: pd.DataFrame,
    calibration_end,
    observation_end=None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    time_unit: str | None = None,
    period: float | None = None,
    date_format: str | None = None,
) -> pd.DataFrame:
    """Actual and expected repeat transactions per period of the cohort acquired by calibration.

    The cohort is every customer whose first purchase is on or before ``calibration_end``. Each
    customer's expectation starts at their own first purchase, so the expected cumulative number of
    repeat transactions at calendar time τ is Σ_i E[X(τ − first_i)], with E[X(t)] the BG/NBD
    expectation for a new customer (eq. 9 of Fader, Hardie and Lee 2005, "Counting your customers
    the easy way", whose tracking figures plot it for CDNOW).

    Parameters
    ----------
    bg : PurchaseModel
        A fitted purchase model without covariates (usually fitted on the calibration period).
    transactions : pandas.DataFrame
        One row per purchase; purchases on the same day count once, as in :func:`rfm_summary`.
    calibration_end : date-like
        Last day of the calibration period; one period boundary falls on it.
    observation_end : date-like, optional
        Last day tracked; defaults to the last transaction date. Later purchases are ignored.
    customer_col, date_col : str
        Column names.
    time_unit : {"W", "D"}, optional
        The model's time unit; defaults to ``bg.time_unit_``.
    period : float, optional
        Length of a tracking period in the model's time unit, a whole number of days; defaults
        to 7 days (1 for weeks, 7 for days).
    date_format : str, optional
        How the dates are written (a strftime pattern), as in :func:`clvmodel.rfm_summary`; also
        for ``calibration_end`` and ``observation_end`` given as text.

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period`` (1, 2, …), ``start_date`` and ``end_date`` (the period's
        first and last day), ``phase`` (``calibration`` or ``holdout``), ``actual_incremental``,
        ``model_incremental``, ``actual_cumulative`` and ``model_cumulative``. ``attrs`` holds
        ``time_unit``, ``period`` and ``calibration_periods`` (the number of calibration periods).

    Notes
    -----
    Periods are aligned so that one ends on ``calibration_end``; the first period contains the
    cohort's first purchase and the last ends on ``observation_end`` (it may be shorter). Ages are
    measured as :func:`rfm_summary` measures ``T``: a customer whose first purchase is on day f has
    age (b − f) at the end of day b, so the expected total at the calibration end is Σ_i E[X(T_i)].
    Fader, Hardie and Lee count one more day (a 1 January customer is 78 weeks old at the end of
    30 June 1998), which gives a number 0.1 % higher on CDNOW (4,166 instead of 4,161 repeat
    transactions at week 78 with the published parameters).

    Examples
    --------
    >>> import clvmodel as clv
    >>> bg = clv.BetaGeoModel.from_params(
    ...     {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, time_unit="W")
    >>> table = clv.tracking_table(bg, clv.datasets.load_cdnow_sample(), "1997-09-30",
    ...                            "1998-06-30")
    >>> int(table["period"].iloc[-1]), int(table["actual_cumulative"].iloc[-1])
    (78, 4339)
    """
    check_models(bg, name="bg")  # BG/BB counts opportunities, not calendar time
    bg._check_fitted()  # NotFittedError ("call fit first") before asking for its time unit
    if getattr(bg, "has_covariates", False):
        raise InputError(
            "tracking_table needs the customers' covariates for a model with covariates; use "
            "evaluate_holdout(model, calibration, holdout, transactions=...) instead."
        )
    unit = _model_time_unit(bg, time_unit)
    unit_days = TIME_UNITS[unit]
    period_days = tracking_period_days(period, unit, unit_days)
    log = clean_log(transactions, customer_col, date_col, None, date_format)
    calibration_day = day_number(parse_date(calibration_end, "calibration_end", date_format))
    last_day = int(log.day.max())
    end_day = (
        last_day
        if observation_end is None
        else observation_end_day(observation_end, date_format)  # not in the future
    )
    first_day, repeat_code, repeat_day = first_and_repeat_days(log)
    if not int(first_day.min()) <= calibration_day < end_day:
        raise InputError(
            f"calibration_end ({date(calibration_day):%Y-%m-%d}) must fall on or after the first "
            f"transaction ({date(int(first_day.min())):%Y-%m-%d}) and before the end of "
            f"observation ({date(end_day):%Y-%m-%d})."
        )
    # As evaluate_holdout: a holdout mostly after the data would show the model overpredicting.
    warn_of_quiet_end(
        last_day, (calibration_day, end_day), "(observation_end)", QUIET_END_ADVICE, 2
    )
    in_cohort = first_day <= calibration_day
    keep = in_cohort[repeat_code] & (repeat_day <= end_day)
    return cohort_tracking(
        [(bg, slice(None))], first_day[in_cohort], repeat_day[keep], calibration_day, end_day,
        unit_days, period_days, unit,
    )  # fmt: skip


def _model_time_unit(bg, time_unit) -> str:
    """``time_unit``, by default the model's, checked against the model's."""
    unit = time_unit if time_unit is not None else getattr(bg, "time_unit_", None)
    if unit is None:
        raise InputError(
            "the model does not record its time unit; pass time_unit='W' or 'D' (the unit of "
            "recency and T it was fitted on)."
        )
    if unit not in TIME_UNITS:
        raise InputError(f"time_unit={unit!r} is not supported; use 'D' or 'W'.")
    model_unit = getattr(bg, "time_unit_", None)
    if model_unit is not None and model_unit != unit:
        raise InputError(
            f"time_unit={unit!r} differs from the model's time unit {model_unit!r}; leave it out."
        )
    return unit


def tracking_period_name(table) -> tuple[str, str]:
    """What one period of a tracking table is called, and the same with its length.

    Parameters
    ----------
    table : pandas.DataFrame
        A tracking table (:func:`clvmodel.tracking_table`), whose ``attrs`` record the model's
        ``time_unit`` and the ``period`` length in it.

    Returns
    -------
    tuple of str
        ``("week", "week")`` for a period of 7 days (one week, or 7 days of a model in days),
        ``("day", "day")`` for one day, ``("period", "period of 4 weeks")`` for other lengths
        and ``("period", "period")`` when the table does not say.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame()
    >>> table.attrs.update(time_unit="D", period=7.0)
    >>> tracking_period_name(table)
    ('week', 'week')
    >>> table.attrs.update(time_unit="W", period=4.0)
    >>> tracking_period_name(table)
    ('period', 'period of 4 weeks')
    """
    unit = table.attrs.get("time_unit")
    length = table.attrs.get("period", 1.0)
    if unit not in ("D", "W") or length is None:
        return "period", "period"
    days = float(length) * PERIOD_DAYS[unit]
    for noun, span in (("day", 1.0), ("week", 7.0)):
        if math.isclose(days, span, rel_tol=1e-9):
            return noun, noun
    return "period", f"period of {float(length):g} {UNIT_NAMES[unit]}"
