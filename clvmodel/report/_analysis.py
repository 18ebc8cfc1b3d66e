"""Every number of the report, from clvmodel's public functions on one transaction log.

Two fits on the same log: one on the calibration period, checked on the holdout that follows
(the holdout section and the naive formula against the model per segment), and one on the whole
log up to the end of observation, which values the customers from that day on (value,
segments, CLV:CAC, churn tiers and the price plan).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

import clvmodel as clv
from clvmodel._naive import customer_segments
from clvmodel._reading import date_option, read_dates
from clvmodel._reading_text import missing_texts_as_nan
from clvmodel._table_ids import table_ids
from clvmodel._units import Duration, convert_periods
from clvmodel.churn.plan import EMPTY_TIERS
from clvmodel.errors import InputError, StatisticalWarning
from clvmodel.evaluation.alignment import HOLDOUT_END_ADVICE, HOLDOUT_END_SOURCE
from clvmodel.report._fits import (  # SinglePriceError: the command line catches it from here
    CALIBRATION_FIT,
    WHOLE_LOG_FIT,
    SinglePriceError,  # noqa: F401
    check_calibration,
    purchase_model,
    spend_model,
)
from clvmodel.report._notes import HOLDOUT_CHECK, VALUE_SECTIONS, Notes
from clvmodel.report._payback import without_free_payback

#: Width of the "around average" band of net CLV: mean ± 20 % (as DayOneModel's segments).
AVERAGE_BAND = 0.2
BANDS = ("below average", "around average", "above average")
_SEGMENT = "__report_segment__"


@dataclass(frozen=True)
class Settings:
    """How the report was asked for (validated)."""

    calibration_end: Any
    observation_end: Any
    customer_col: str
    date_col: str
    amount_col: str
    time_unit: str
    date_format: str | None
    margin: float
    cost_per_order: Any
    cost_per_period: Any
    acquisition_cost: Any
    horizon: float  # months: the economics section counts payback and costs by the month
    value_horizon: Duration  # the horizon as given, its unit the period of the value functions
    discount_rate: float
    churn_horizon: Duration  # as given: the report says it in its own unit
    increases: tuple[float, ...]
    stage_wait: float
    segment_name: str | None

    @property
    def horizon_words(self) -> str:
        """The value horizon in the words it was given in: "24 months", "1.5 years"."""
        return self.value_horizon.words


@dataclass(frozen=True)
class PerSegment:
    """A table's rows per segment and its row of all customers, kept apart: the total is no
    label among the segments', so a segment may be called anything ("all" too)."""

    segments: pd.DataFrame | None  # one row per segment; None without segments
    total: pd.Series  # all customers together


@dataclass
class Analysis:
    """The public functions' outputs the report shows."""

    settings: Settings
    customers: int
    transactions: int  # rows of the log up to the observation end
    purchase_days: int  # what the models count as purchases: one per customer and day
    first_date: pd.Timestamp
    last_date: pd.Timestamp
    naive_vs_model: PerSegment
    values: pd.DataFrame  # clv_table: predicted_clv beside naive_clv, per customer
    naive: pd.DataFrame  # naive_clv over the horizon (per segment with segments)
    economics: pd.DataFrame  # cac_payback (or net_clv without a CAC), per customer
    unit_summary: PerSegment | None  # unit_economics_summary (None without a CAC)
    bands: pd.Series  # below / around / above average net CLV, per customer
    band_cuts: dict[str, float]
    holdout: Any  # HoldoutReport
    scores: pd.DataFrame  # churn_risk
    plan: Any  # PriceIncreasePlan
    notes: list[str] = field(default_factory=list)
    #: The category each note was raised with (the first, when a text came more than once).
    note_categories: dict[str, type[Warning]] = field(default_factory=dict)


def _segments_by_customer(log: pd.DataFrame, segments, customer_col: str) -> pd.Series | None:
    """Each customer's segment, from a column of the log (fixed per customer) or a Series;
    missing-value texts (``NA``, ``n/a``, `` null ``) are no segment but a missing one."""
    if segments is None:
        return None
    if isinstance(segments, str):
        if segments not in log.columns:
            raise InputError(
                f"segments={segments!r} is not a column of the transactions; the columns are "
                f"{list(map(str, log.columns))}."
            )
        found = customer_segments(log, customer_col, segments, "segments")
    elif isinstance(segments, pd.Series):
        found = missing_texts_as_nan(segments)
    else:
        raise InputError(
            "segments must be a column of the transactions or a pandas Series indexed by "
            f"customer id, got {type(segments).__name__}."
        )
    return found.rename(segments if isinstance(segments, str) else (found.name or "segment"))


def _in_report_words(note: str) -> str:
    """A warning of the public functions in build_report's words: its holdout period ends on
    observation_end, not on a calibration end plus a holdout table's duration_holdout."""
    advice = "Pass an observation_end no later than the last transaction, or leave it out."
    return note.replace(HOLDOUT_END_SOURCE, "(observation_end)").replace(HOLDOUT_END_ADVICE, advice)


def _per_segment(per_segment: pd.DataFrame | None, overall: pd.DataFrame) -> PerSegment:
    """The rows per segment (None without segments) and the one row of ``overall``, a function's
    output for all customers together, whatever its label."""
    return PerSegment(per_segment, overall.iloc[0])


def analyse(log: pd.DataFrame, segments, settings: Settings) -> Analysis:
    """Run the public API for the report; warnings are collected into ``notes``, each saying
    which fit raised it when only one did (:mod:`clvmodel.report._notes`)."""
    notes = Notes()
    with notes.fit(None):
        analysis = _analyse(log, segments, settings, notes)
    analysis.note_categories = notes.collect(_in_report_words)
    analysis.notes = list(analysis.note_categories)
    return analysis


def _analyse(log: pd.DataFrame, segments, s: Settings, notes: Notes) -> Analysis:
    columns = {"customer_col": s.customer_col, "date_col": s.date_col, "amount_col": s.amount_col}
    with notes.fit(HOLDOUT_CHECK):
        cal, hold = clv.calibration_holdout_split(
            log, s.calibration_end, s.observation_end, time_unit=s.time_unit,
            date_format=s.date_format, **columns,
        )  # fmt: skip
    log, days, s = _with_read_dates(log, s)
    if s.observation_end is None:
        observation_end = pd.Timestamp(np.datetime64(int(days.max()), "D"))
    else:
        observation_end = date_option(s.observation_end, "observation_end")
    segment = _segments_by_customer(log, segments, s.customer_col)
    with notes.fit(HOLDOUT_CHECK):
        check, holdout = _holdout_check(log, cal, hold, segment, observation_end, s, columns)
    with notes.fit(VALUE_SECTIONS):
        return _value(log, days, segment, observation_end, s, columns, check, holdout)


def _value(log, days, segment, observation_end, s: Settings, columns, check, holdout) -> Analysis:
    """The value sections' numbers, from models fitted on the whole log, and the analysis."""
    end_day = observation_end.to_datetime64().astype("datetime64[D]").astype("int64")
    rfm = clv.rfm_summary(log, observation_end=observation_end, time_unit=s.time_unit, **columns)
    bg = purchase_model(rfm, WHOLE_LOG_FIT)
    gg = spend_model(rfm, s.amount_col)
    per_customer = _per_customer(segment, rfm.index)
    horizon = s.value_horizon
    naive = _naive_values(log, segment, observation_end, s, columns)
    values = clv.clv_table(
        bg, gg, rfm, horizon, naive=naive, segments=per_customer,
        discount_rate=s.discount_rate, margin=s.margin,
    )  # fmt: skip
    economics, unit_summary = _economics(bg, gg, rfm, per_customer, s)
    bands, cuts = _bands(economics["net_clv"])
    scores = clv.churn_risk(
        bg, rfm, s.churn_horizon, gg, clv_horizon=horizon,
        discount_rate=s.discount_rate, margin=s.margin,
    )  # fmt: skip
    plan = _price_plan(scores, s)

    return Analysis(
        settings=s,
        customers=len(rfm),
        transactions=int((days <= end_day).sum()),
        purchase_days=int(rfm["frequency"].sum()) + len(rfm),
        first_date=pd.Timestamp(np.datetime64(int(days.min()), "D")),
        last_date=observation_end,
        naive_vs_model=check,
        values=values,
        naive=naive,
        economics=economics,
        unit_summary=unit_summary,
        bands=bands,
        band_cuts=cuts,
        holdout=holdout,
        scores=scores,
        plan=plan,
    )


def _with_read_dates(log: pd.DataFrame, s: Settings):
    """The log with its dates read once as :func:`clvmodel.rfm_summary` reads them (the format
    settled from the column's values or ``date_format``, the wall-clock day of zoned timestamps)
    as naive datetimes, for the functions below (given no ``date_format``); each row's day (days
    since 1970-01-01); and the settings with their dates in ISO form when ``date_format`` read
    them. Dates written differently on one day (another time, say) stay apart by microseconds:
    the exact-duplicate rows those functions count are those of the log as written."""
    read = read_dates(log[s.date_col], s.date_format, s.date_col)
    apart = pd.factorize(read.tag)[0].astype("int64")  # < one day: the day stays as read
    ticks = read.day.astype("datetime64[D]").astype("datetime64[us]") + apart.astype("m8[us]")
    dates = pd.Series(np.where(read.missing, np.datetime64("NaT", "us"), ticks), index=log.index)
    log = log.assign(**{s.date_col: dates})
    if s.date_format is not None:  # 30/09/1997 is refused without the format
        s = replace(s, **{
            name: date_option(getattr(s, name), name, s.date_format).strftime("%Y-%m-%d")
            for name in ("calibration_end", "observation_end") if getattr(s, name) is not None
        })  # fmt: skip
    return log, read.day[~read.missing], s


def _holdout_check(log, cal, hold, segment, observation_end, s: Settings, columns):
    """The naive formula against the model per segment (then all customers), and the holdout
    report, from models fitted on the calibration period."""
    check_calibration(cal)
    bg_cal = purchase_model(cal, CALIBRATION_FIT)
    gg_cal = spend_model(cal, s.amount_col)
    overall = clv.naive_vs_model(bg_cal, gg_cal, log, s.calibration_end, observation_end, **columns)
    by_segment = None
    if segment is not None:
        by_segment = clv.naive_vs_model(
            bg_cal, gg_cal, log, s.calibration_end, observation_end, segment, **columns
        )
    check = _per_segment(by_segment, overall)
    holdout = clv.evaluate_holdout(
        bg_cal, cal, hold, gg_cal, transactions=log, customer_col=s.customer_col,
        date_col=s.date_col,
    )  # fmt: skip
    return check, holdout


def _price_plan(scores: pd.DataFrame, s: Settings):
    """The staged price increase on the scores' own tiers; tiers without customers are noted
    with the report's own arguments (it takes no thresholds or quantiles)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=rf"tier\(s\) .* {re.escape(EMPTY_TIERS)}", category=StatisticalWarning
        )
        plan = clv.price_increase_plan(scores, increases=s.increases, stage_wait=s.stage_wait)
    counts = plan.stages.set_index("tier")["customers"]
    empty = [str(tier) for tier, n in counts.items() if n == 0]
    if empty:
        cuts = ", ".join(f"{100 * c:g} %" for c in scores.attrs.get("tier_cuts", ()))
        warnings.warn(
            f"churn tier(s) {empty} have no customers, so their price stage is empty; the "
            f"report cuts churn risk (no purchase within churn_horizon) at {cuts}. Choose "
            "another churn_horizon, or check observation_end: days after the last transaction "
            "raise every risk.",
            StatisticalWarning,
            stacklevel=2,
        )
    return plan


def _per_customer(segment: pd.Series | None, customers: pd.Index) -> pd.Series | None:
    """Each customer's segment, in the order of ``customers``; every one must have one."""
    if segment is None:
        return None
    per_customer = segment.reindex(customers)
    if per_customer.isna().any():
        missing = list(per_customer.index[per_customer.isna()][:5])
        raise InputError(
            f"segments has no value for {int(per_customer.isna().sum())} customer(s) "
            f"(for example {missing}); give every customer a segment."
        )
    return per_customer


def _naive_values(log, segment, observation_end, s: Settings, columns) -> pd.DataFrame:
    """The naive formula's CLV over the horizon, per segment when there are segments."""
    segmented_log = log
    if segment is not None:
        ids = table_ids(log[s.customer_col])[0]
        segmented_log = log.assign(**{_SEGMENT: ids.map(segment).to_numpy()})
    years = convert_periods(s.value_horizon.value, s.value_horizon.unit, "Y")
    naive = clv.naive_clv(
        segmented_log, years, margin=s.margin, observation_end=observation_end,
        segment_col=None if segment is None else _SEGMENT, **columns,
    )  # fmt: skip
    if segment is not None:
        naive.index.name = segment.name
    return naive


def _economics(bg, gg, rfm, per_customer, s: Settings):
    """Net CLV per customer (with CAC and payback when a CAC is given) and, with a CAC, the unit
    economics per segment and for all customers."""
    horizon = s.value_horizon
    # The report's cost per period is per month, its payback in months: the functions count
    # both in periods of the horizon's unit.
    months = convert_periods(1.0, horizon.unit, "M")
    money = {"cost_per_order": s.cost_per_order,
             "cost_per_period": _times(s.cost_per_period, months)}  # fmt: skip
    common = dict(discount_rate=s.discount_rate, margin=s.margin, **money)
    if s.acquisition_cost is None:
        return clv.net_clv(bg, gg, rfm, horizon, segments=per_customer, **common), None
    economics = clv.cac_payback(
        bg, gg, rfm, s.acquisition_cost, horizon, segments=per_customer, **common
    )
    economics["payback_periods"] = economics["payback_periods"] * months
    overall = clv.unit_economics_summary(economics, by=None)
    by_segment = None if per_customer is None else clv.unit_economics_summary(economics)
    return economics, without_free_payback(_per_segment(by_segment, overall), economics)


def _times(cost, factor: float):
    """A cost (a number, or a mapping or Series segment → number) times ``factor``; what is not
    a number is left for the functions to refuse."""
    if factor == 1.0 or cost is None:
        return cost
    if isinstance(cost, pd.Series):
        return cost * factor if pd.api.types.is_numeric_dtype(cost) else cost
    if isinstance(cost, Mapping):
        return {key: _times(value, factor) for key, value in cost.items()}
    if isinstance(cost, int | float | np.integer | np.floating) and not isinstance(cost, bool):
        return cost * factor
    return cost


def _bands(net: pd.Series) -> tuple[pd.Series, dict[str, float]]:
    """Below, around (mean ± AVERAGE_BAND · |mean|) and above average net CLV, and the cuts."""
    mean = float(net.mean())
    cuts = {
        "mean": mean,
        "low": mean - AVERAGE_BAND * abs(mean),
        "high": mean + AVERAGE_BAND * abs(mean),
    }
    codes = np.where(net < cuts["low"], 0, np.where(net > cuts["high"], 2, 1))
    bands = pd.Series(
        pd.Categorical.from_codes(codes, categories=list(BANDS), ordered=True),
        index=net.index,
        name="band",
    )
    return bands, cuts


def check_costs(name: str, value) -> Any:
    """A cost given as a number or a mapping segment → number, passed on as it is."""
    if value is None or isinstance(value, Mapping | pd.Series):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"{name} must be a number or a mapping segment → number, got {value!r}.")
    return float(value)
