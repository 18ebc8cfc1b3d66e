"""Checks that a model, its calibration table, the holdout table and the transactions agree
(time units, customers, counts), before any comparison is made."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._holdout_split import warn_of_quiet_end
from clvmodel.errors import InputError
from clvmodel.evaluation._shared import (
    DAY_TOLERANCE,
    date,
    examples,
    first_and_repeat_days,
    id_kind_advice,
    whole_days,
)
from clvmodel.models.base import PurchaseModel
from clvmodel.rfm import TIME_UNITS, clean_log, validate_rfm

#: Where the end of the holdout period comes from, and what to do when it lies past the data, in
#: the Python API's words (the command line says which of its options set it instead).
HOLDOUT_END_SOURCE = "(the calibration end plus the holdout table's duration_holdout)"
HOLDOUT_END_ADVICE = (
    "Make the tables again with calibration_holdout_split(..., observation_end=...) no later "
    "than the last transaction, or check that duration_holdout is in the model's time unit."
)


def checked_inputs(bg, calibration, holdout, need_buyers: bool = True):
    """The checks of :func:`~clvmodel.evaluate_holdout` on its model and tables; with
    ``need_buyers=False`` (interval coverage) a holdout period where nobody bought is kept.

    Returns
    -------
    tuple
        The model's working parameters, the common time unit, the holdout table in calibration
        order, the calibration :class:`~clvmodel.rfm.RfmArrays`, the holdout purchase counts and
        the holdout length.
    """
    if not isinstance(calibration, pd.DataFrame):
        raise InputError(
            f"calibration must be a DataFrame, got {type(calibration).__name__}; make it with "
            "clvmodel.calibration_holdout_split."
        )
    if not isinstance(bg, PurchaseModel):
        bundle = isinstance(getattr(bg, "bg", None), PurchaseModel)  # a ModelBundle
        raise InputError(
            "bg must be a fitted purchase model (clvmodel.BetaGeoModel, ModifiedBetaGeoModel or "
            f"ParetoNBDModel), got {type(bg).__name__}; "
            + (
                "pass the bundle's models: bg=bundle.bg, gg=bundle.gg."
                if bundle
                else "gg is the optional fourth argument."
            )
        )
    params = bg._check_fitted()  # NotFittedError before any work
    unit = time_unit(bg, calibration, holdout)
    if len(calibration) == 0:
        raise InputError("the calibration table is empty: there are no customers to evaluate.")
    holdout = aligned_holdout(calibration, holdout)
    rfm = validate_rfm(calibration)
    actual, duration = holdout_counts(holdout, need_buyers)
    return params, unit, holdout, rfm, actual, duration


def time_unit(bg, calibration, holdout) -> str | None:
    sources = {
        "the calibration summary": calibration.attrs.get("time_unit"),
        "the holdout table": getattr(holdout, "attrs", {}).get("time_unit"),
        "the model": getattr(bg, "time_unit_", None),
    }
    known = {name: unit for name, unit in sources.items() if unit is not None}
    if len(set(known.values())) > 1:
        described = ", ".join(f"{name} is in {unit!r}" for name, unit in known.items())
        raise InputError(
            f"the time units differ: {described}. Make calibration and holdout with one "
            "calibration_holdout_split(..., time_unit=...) and fit the model on that calibration."
        )
    unit = next(iter(known.values()), None)
    if unit is not None and unit not in TIME_UNITS:
        raise InputError(f"time unit {unit!r} is not supported; use 'D' or 'W'.")
    return unit


def aligned_holdout(calibration: pd.DataFrame, holdout) -> pd.DataFrame:
    if not isinstance(holdout, pd.DataFrame):
        raise InputError(
            f"holdout must be a DataFrame, got {type(holdout).__name__}; make it with "
            "clvmodel.calibration_holdout_split."
        )
    if len(holdout) == 0:
        raise InputError(
            "the holdout table is empty: there are no customers to compare. Choose a calibration "
            "end inside the data, with transactions after it."
        )
    missing = [c for c in ("frequency_holdout", "duration_holdout") if c not in holdout.columns]
    if missing:
        raise InputError(
            f"the holdout table has no column {', '.join(map(repr, missing))}; it has "
            f"{list(map(str, holdout.columns))}. Make it with clvmodel.calibration_holdout_split."
        )
    for name, frame in (("calibration", calibration), ("holdout", holdout)):
        if frame.index.has_duplicates:
            repeated = frame.index[frame.index.duplicated()].unique()
            raise InputError(
                f"the {name} table lists {len(repeated)} customer(s) more than once "
                f"({examples(repeated)}); give one row per customer."
            )
    if not calibration.index.equals(holdout.index):
        only_cal = calibration.index.difference(holdout.index)
        only_hold = holdout.index.difference(calibration.index)
        if len(only_cal) or len(only_hold):
            parts = []
            if len(only_cal):
                parts.append(f"{len(only_cal)} only in calibration ({examples(only_cal)})")
            if len(only_hold):
                parts.append(f"{len(only_hold)} only in the holdout ({examples(only_hold)})")
            # Every calibration customer has a holdout row: most likely a segment of the
            # calibration table evaluated against the whole holdout table.
            fix = (
                " To evaluate a segment of the calibration table, pass "
                "holdout.loc[calibration.index]."
                if not len(only_cal)
                else ""
            )
            kinds = id_kind_advice(calibration.index, holdout.index, ("calibration", "the holdout"))
            raise InputError(
                "calibration and holdout describe different customers: "
                + "; ".join(parts)
                + ". Make both with one clvmodel.calibration_holdout_split call."
                + (kinds or fix)
            )
        holdout = holdout.loc[calibration.index]
    return holdout


def holdout_counts(holdout: pd.DataFrame, need_buyers: bool = True) -> tuple[np.ndarray, float]:
    # Missing values of any kind (pd.NA, None) and text that is not a number become NaN.
    counts, duration = (
        pd.to_numeric(holdout[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        for name in ("frequency_holdout", "duration_holdout")
    )
    bad = ~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts))
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} frequency_holdout value(s) are missing, negative or fractional "
            f"(customers {examples(holdout.index[bad])}); they count holdout purchase days."
        )
    missing = ~np.isfinite(duration)
    if missing.any():
        raise InputError(
            f"{int(missing.sum())} duration_holdout value(s) are missing or not numbers "
            f"(customers {examples(holdout.index[missing])}); it is the length of the holdout "
            "period, the same for everybody."
        )
    if (duration <= 0).any():
        raise InputError(
            "duration_holdout must be a positive length of time; the holdout period is empty. "
            "Choose an observation end after the calibration end."
        )
    if np.ptp(duration) > 1e-9 * duration.max():
        raise InputError(
            f"duration_holdout differs between customers ({duration.min():g} to "
            f"{duration.max():g}); a holdout evaluation needs one holdout period for everybody."
        )
    if need_buyers and counts.sum() == 0:
        raise InputError(
            "nobody in the calibration cohort bought in the holdout period, so there is nothing "
            "to compare with; choose an earlier calibration end or a later observation end."
        )
    return counts, float(duration[0])


def column(frame: pd.DataFrame, names: tuple[str, ...]):
    for name in names:
        if name in frame.columns:
            return frame[name]
    return None


def check_against_transactions(
    transactions, reading, calibration, x, age, holdout_counts, duration, unit, warned=False
):
    """Match the dated transactions to the calibration and holdout tables, and return what
    tracking needs: (first days of the cohort, repeat days, calibration day, end day, new ids,
    purchase days of new customers, number of customers first buying after the end day).
    ``warned``: the split already warned of a holdout period that runs on past the
    transactions."""
    if unit is None:
        raise InputError(
            "cannot tell the time unit, needed to place the transactions in time: build the "
            "tables with calibration_holdout_split(..., time_unit=...) or the model with "
            "BetaGeoModel.from_params(..., time_unit=...)."
        )
    unit_days = TIME_UNITS[unit]
    customer_col, date_col, date_format = reading
    log = clean_log(transactions, customer_col, date_col, None, date_format)
    first_day, repeat_code, repeat_day = first_and_repeat_days(log)
    position = log.customers.get_indexer(calibration.index)
    absent = position < 0
    if absent.any():
        raise InputError(
            f"{int(absent.sum())} calibration customer(s) have no transactions "
            f"({examples(calibration.index[absent])}); pass the transactions the calibration "
            f"summary was made from (same {customer_col!r} values)."
            + id_kind_advice(
                calibration.index,
                log.customers,
                ("the calibration table", f"the transactions' {customer_col!r} column"),
            )
        )
    first = first_day[position]
    implied = first + age * unit_days
    calibration_day = int(np.round(np.median(implied)))
    off = np.abs(implied - calibration_day) > DAY_TOLERANCE
    if off.any():
        raise InputError(
            f"the calibration T of {int(off.sum())} customer(s) "
            f"({examples(calibration.index[off])}) does not match their first purchase in the "
            "transactions and one calibration end; "
            "pass the transactions the calibration summary was made from, in the same time unit."
        )
    end_day = calibration_day + int(whole_days(duration * unit_days, "the holdout duration"))
    days = (calibration_day, end_day)
    in_cohort = first_day <= calibration_day
    if in_cohort.sum() != len(calibration):
        extra = log.customers[in_cohort & ~np.isin(np.arange(in_cohort.size), position)]
        raise InputError(
            f"{len(extra)} customer(s) bought in the calibration period but are not in the "
            f"calibration table ({examples(extra)}); make both tables from these transactions. "
            "Tracking compares the whole cohort with the model: to evaluate a segment of it, "
            "leave out transactions=."
        )
    repeats = (repeat_code, repeat_day, len(log.customers))
    _check_repeat_counts(calibration.index, position, repeats, (x, holdout_counts), days)
    if not warned:  # by calibration_holdout_split, which made the tables
        # stacklevel 4: the caller of evaluate_holdout (→ _dated → here)
        warn_of_quiet_end(int(log.day.max()), days, HOLDOUT_END_SOURCE, HOLDOUT_END_ADVICE, 4)
    new = (first_day > calibration_day) & (first_day <= end_day)
    new_ids = list(log.customers[new])
    all_days_new = np.isin(log.customer_code, np.flatnonzero(new)) & (log.day <= end_day)
    keep = in_cohort[repeat_code] & (repeat_day <= end_day)
    return (
        first,  # the cohort's first days, in calibration order
        repeat_day[keep],
        calibration_day,
        end_day,
        new_ids,
        int(all_days_new.sum()),
        int(np.count_nonzero(first_day > end_day)),
    )


def _check_repeat_counts(customers, position, repeats, given, days) -> None:
    """The calibration frequency and holdout counts of the tables (``given``) must equal the
    repeat purchase days counted in the transactions (``repeats``: code, day, number of codes)
    up to the calibration day and from then to the end day (``days``)."""
    repeat_code, repeat_day, n_codes = repeats
    calibration_day, end_day = days
    calibration_repeats = np.bincount(
        repeat_code[repeat_day <= calibration_day], minlength=n_codes
    )[position]
    in_holdout = (repeat_day > calibration_day) & (repeat_day <= end_day)
    holdout_repeats = np.bincount(repeat_code[in_holdout], minlength=n_codes)[position]
    for name, counted, expected in (
        ("calibration frequency", calibration_repeats, given[0]),
        ("frequency_holdout", holdout_repeats, given[1]),
    ):
        wrong = counted != expected
        if wrong.any():
            raise InputError(
                f"the {name} of {int(wrong.sum())} customer(s) "
                f"({examples(customers[wrong])}) differs from their purchase days in the "
                "transactions between "
                f"{date(calibration_day):%Y-%m-%d} and {date(end_day):%Y-%m-%d}; check that "
                "duration_holdout and T are in the model's time unit and that the tables were "
                "made from these transactions."
            )
