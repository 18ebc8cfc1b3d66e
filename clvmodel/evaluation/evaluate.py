"""Calibration/holdout evaluation: how well do the predictions match what customers then did?

:func:`evaluate_holdout` fits nothing: it takes a model fitted on the calibration period, predicts
the holdout period that follows, and compares the predictions with what happened, beside the two
baselines described in :mod:`clvmodel.evaluation`.
"""

from __future__ import annotations

import warnings

import pandas as pd

from clvmodel._holdout_split import QUIET_END_WARNED
from clvmodel.coverage import interval_coverage
from clvmodel.errors import InputError, StatisticalWarning
from clvmodel.evaluation._customers import PREDICTOR_KEYS, compare_customers
from clvmodel.evaluation._shared import date
from clvmodel.evaluation._tables import (
    conditional_expectation,
    parameter_groups,
    period_transactions,
    score_quality,
)
from clvmodel.evaluation.alignment import check_against_transactions, checked_inputs
from clvmodel.evaluation.report import HoldoutReport
from clvmodel.evaluation.tracking import cohort_tracking, tracking_period_days
from clvmodel.metrics import binned_means, reliability_table
from clvmodel.models._interval_draws import COVARIANCE_PROBLEMS, covariance_problem
from clvmodel.models._intervals import check_level
from clvmodel.rfm import TIME_UNITS


# Over 80 lines for its numpydoc docstring (the Notes give each predictor's formula); body: 33.
def evaluate_holdout(
    bg,
    calibration: pd.DataFrame,
    holdout: pd.DataFrame,
    gg=None,
    *,
    transactions: pd.DataFrame | None = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    date_format: str | None = None,
    period: float | None = None,
    max_frequency: int = 7,
    bins: int = 10,
    interval: float | None = None,
) -> HoldoutReport:
    """Compare a fitted model's holdout predictions with what the customers did, beside baselines.

    Parameters
    ----------
    bg : PurchaseModel
        Any fitted purchase model (BG/NBD, MBG/NBD, Pareto/NBD, with or without covariates),
        fitted on ``calibration``.
    calibration : pandas.DataFrame
        Calibration RFM summary (``frequency``, ``recency``, ``T`` and, with ``gg``,
        ``monetary_value``), as returned by :func:`clvmodel.calibration_holdout_split`.
        ``lifetimes``' ``frequency_cal``-style names work too.
    holdout : pandas.DataFrame
        The holdout outcome for the same customers: ``frequency_holdout``, ``duration_holdout``
        (one length for everybody, in the model's time unit) and, with ``gg``,
        ``monetary_value_holdout``. Customers whose first purchase falls in the holdout are listed
        in ``holdout.attrs["new_customers"]`` by the split; they are counted in the report, as
        are those whose first purchase is after the end of the holdout period
        (``holdout.attrs["customers_after_end"]``, or counted in ``transactions``).
    gg : GammaGammaModel, optional
        Fitted spend model; adds spend and holdout revenue (value) to the comparison.
    transactions : pandas.DataFrame, optional
        The dated transactions the tables were made from. Needed for tracking (repeat transactions
        per period), which the report leaves out without them; they are also checked against the
        tables (same customers, first purchases, calibration and holdout counts), and new
        customers are counted from them.
    customer_col, date_col : str
        Column names in ``transactions``.
    date_format : str, optional
        How the dates in ``transactions`` are written (a strftime pattern such as
        ``"%d/%m/%Y"``), as in :func:`clvmodel.rfm_summary`.
    period : float, optional
        Tracking period in the model's time unit (whole days); 7 days by default.
    max_frequency : int
        Calibration repeat purchases from this number up are pooled into one class ("7+").
    interval : float, optional
        Also measure the coverage of prediction intervals of holdout purchases at this level
        (e.g. 0.9) with :func:`clvmodel.interval_coverage` (``report.coverage``). This needs the
        covariance of the parameters from a fit: without a usable one (a model built from
        parameters, or parameters that are not identified) a StatisticalWarning says why and
        ``report.coverage`` is None, as with ``clvmodel evaluate --interval``.
    bins : int
        Number of quantile bins for the predicted-vs-actual and reliability tables.

    Returns
    -------
    HoldoutReport
        Tables as DataFrame attributes, ``str(report)`` as text, ``report.to_dict()`` for JSON.

    Raises
    ------
    InputError
        The holdout is empty (no customers, zero length, or nobody bought in it); the time units of
        calibration, holdout and model differ; the two tables describe different customers; or the
        transactions do not match the tables.

    Notes
    -----
    The model predicts each customer's holdout purchases by the conditional expectation
    E[Y(t) | x, t_x, T] (eq. 10 of Fader, Hardie and Lee 2005, "Counting your customers the easy
    way") with t the holdout length; its churn scores at the end of calibration are P(alive)
    (eq. 13) and P(purchase in the holdout) = 1 − P(no purchase). The naive prediction is
    Σ_i (x_i + 1) / (n · max_i T_i) × t, every calibration purchase (first ones included) per
    customer per unit of time over the calibration period, times the holdout length; the own-rate
    prediction is x_i / T_i × t. With ``gg``, predicted spend per purchase is the Gamma-Gamma
    conditional expectation (eq. 5 of Hardie's note), the naive one the mean calibration repeat
    purchase amount (the only amounts in an RFM summary), and the own-rate one the customer's own
    mean (the naive mean without repeat purchases); holdout value is purchases × spend,
    undiscounted.

    Examples
    --------
    >>> import clvmodel as clv
    >>> tx = clv.datasets.load_cdnow_sample()
    >>> cal, hold = clv.calibration_holdout_split(tx, calibration_end="1997-09-30",
    ...                                           observation_end="1998-06-30")
    >>> bg = clv.BetaGeoModel().fit(cal)
    >>> report = clv.evaluate_holdout(bg, cal, hold, transactions=tx)
    >>> report.conditional_expectation["actual"].round(3).tolist()
    [0.237, 0.697, 1.393, 1.56, 2.532, 2.947, 3.862, 6.359]
    >>> int(report.tracking["actual_cumulative"].iloc[-1])
    4339
    """
    params, unit, holdout, rfm, actual, duration = checked_inputs(bg, calibration, holdout)
    x, age = rfm.frequency, rfm.T
    max_frequency = _whole_number(max_frequency, "max_frequency")
    _check_spend_model_and_bins(gg, bins)
    interval = _coverage_level(bg, interval)
    calibration_length = float(age.max())
    if calibration_length <= 0:
        raise InputError(
            "every customer has T = 0 (first purchase on the calibration end), so there is no "
            "calibration period to learn from; choose a later calibration end."
        )

    groups = parameter_groups(bg, calibration)
    reading = (customer_col, date_col, date_format)
    dated = _dated(
        groups, transactions, reading, (calibration, holdout), rfm, (actual, duration), unit, period
    )
    customers, naive_rate, metrics = compare_customers(
        bg, gg, calibration, holdout, rfm, actual, duration
    )
    summary = _summary(bg, params, unit, rfm, (actual, duration), naive_rate, dated)
    summary["spend_model_params"] = _spend_params(gg)
    return HoldoutReport(
        summary=summary,
        customers=customers,
        metrics=metrics,
        **_tables(customers, groups, age, x, max_frequency, bins),
        tracking=dated["tracking"],
        model_name=_model_name(bg),
        coverage=None
        if interval is None
        else interval_coverage(bg, calibration, holdout, interval),
    )


def _tables(customers: pd.DataFrame, groups, age, x, max_frequency: int, bins: int) -> dict:
    """The report's tables by calibration frequency and by score bin."""
    model, bought = customers["model_purchases"].to_numpy(), customers["bought"].to_numpy()
    actual = customers["actual_purchases"].to_numpy()
    probability_alive = customers["probability_alive"].to_numpy()
    probability_purchase = customers["probability_purchase"].to_numpy()
    columns = {
        name: customers[f"{name}_purchases"].to_numpy() for name in ("actual",) + PREDICTOR_KEYS
    }
    return {
        "conditional_expectation": conditional_expectation(x, columns, max_frequency),
        "period_transactions": period_transactions(groups, age, x, max_frequency),
        "predicted_vs_actual": binned_means(model, actual, bins=bins),
        "churn_scores": score_quality(probability_alive, probability_purchase, bought, bins),
        "reliability_alive": reliability_table(probability_alive, bought, bins=bins),
        "reliability_purchase": reliability_table(probability_purchase, bought, bins=bins),
    }


def _spend_params(gg) -> dict | None:
    if gg is None:
        return None
    return {k: float(v) for k, v in gg.params_.items()} if hasattr(gg, "params_") else {}


def _dated(groups, transactions, reading, tables, rfm, outcome, unit, period) -> dict:
    """Check the transactions against the tables; tracking, the calendar dates and the new
    customers from them. ``tables`` is (calibration, holdout) and ``outcome`` (holdout
    purchases, holdout length)."""
    calibration, holdout = tables
    if transactions is None:
        return {
            "tracking": None,
            "calibration_day": None,
            "end_day": None,
            "new_customers": list(holdout.attrs.get("new_customers", [])),
            "new_purchases": None,
            "after_end": holdout.attrs.get("customers_after_end"),
        }
    actual, duration = outcome
    first, repeats, calibration_day, end_day, new_customers, new_purchases, after_end = (
        check_against_transactions(
            transactions,
            reading,
            calibration,
            rfm.frequency,
            rfm.T,
            actual,
            duration,
            unit,
            warned=bool(holdout.attrs.get(QUIET_END_WARNED)),
        )  # fmt: skip
    )
    unit_days = TIME_UNITS[unit]
    tracking = cohort_tracking(
        groups,
        first,
        repeats,
        calibration_day,
        end_day,
        unit_days,
        tracking_period_days(period, unit, unit_days),
        unit,
    )
    return {
        "tracking": tracking,
        "calibration_day": calibration_day,
        "end_day": end_day,
        "new_customers": new_customers,
        "new_purchases": new_purchases,
        "after_end": after_end,
    }


def _model_name(bg) -> str:
    return bg.label + (" with covariates" if bg.has_covariates else "")


def _summary(bg, params, unit, rfm, outcome, naive_rate, dated) -> dict:
    """The report's ``summary``: cohort, periods, purchases, new customers and parameters (the
    spend model's are added by the caller)."""
    actual, duration = outcome
    x, bought = rfm.frequency, actual > 0
    calibration_length = float(rfm.T.max())
    return {
        "n_customers": int(x.size),
        "time_unit": unit,
        "calibration_length": calibration_length,
        "holdout_length": duration,
        "calibration_end": date(dated["calibration_day"]),
        "observation_end": date(dated["end_day"]),
        "calibration_repeat_purchases": int(x.sum()),
        "holdout_purchases": int(actual.sum()),
        "holdout_buyers": int(bought.sum()),
        "holdout_buyer_share": float(bought.mean()),
        "naive_rate": naive_rate,
        "n_new_customers": len(dated["new_customers"]),
        "new_customers": [str(c) for c in dated["new_customers"]],
        "new_customer_purchases": dated["new_purchases"],
        "n_customers_after_end": None if dated["after_end"] is None else int(dated["after_end"]),
        "model": type(bg).__name__,
        "model_params": dict(zip(bg.params_.index, map(float, params), strict=True)),
    }


def _coverage_level(bg, interval) -> float | None:
    """``interval`` checked, or None with a StatisticalWarning when the model cannot draw the
    uncertainty of its parameters: the rest of the evaluation stands without the coverage."""
    if interval is None:
        return None
    level = check_level(interval)
    problem = covariance_problem(bg)
    if problem is None:
        return level
    advice = (
        "fit it with fit(), or load the file of a fitted model"
        if problem == "missing"
        else "refit it on more data, or evaluate another model"
    )
    warnings.warn(
        f"interval={interval!r}: the coverage of prediction intervals is not measured "
        f"(report.coverage is None): the {bg.label} {COVARIANCE_PROBLEMS[problem]}, so its "
        f"intervals cannot be drawn; {advice}.",
        StatisticalWarning,
        stacklevel=3,
    )
    return None


def _check_spend_model_and_bins(gg, bins) -> None:
    """``gg``: None or a fitted spend model; ``bins``: a whole number ≥ 1."""
    if gg is not None:
        if not hasattr(gg, "expected_spend"):
            raise InputError(
                "gg must be a fitted spend model (clvmodel.GammaGammaModel), got "
                f"{type(gg).__name__}."
            )
        gg._check_fitted()  # NotFittedError before any work
    _whole_number(bins, "bins")


def _whole_number(value, name: str) -> int:
    """``value`` as an int, or an InputError naming ``name`` unless it is a whole number ≥ 1."""
    try:
        whole = not isinstance(value, bool) and int(value) == value and value >= 1
    except (TypeError, ValueError, OverflowError):  # None, NaN, infinity, a list
        whole = False
    if not whole:
        raise InputError(f"{name} must be a whole number ≥ 1, got {value!r}.")
    return int(value)
