"""``build_report``: a transaction log in, one self-contained HTML report out."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Mapping

import pandas as pd

from clvmodel._units import Duration, convert_periods, parse_duration
from clvmodel.errors import InputError

DEFAULT_TITLE = "Customer value: what customers are worth, and what to do about it"


def _positive(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{name} must be a finite number, got {value!r}.")
    if value <= 0:
        raise InputError(f"{name} must be above 0, got {value!r}.")
    return float(value)


def _increases(increases) -> tuple:
    """One price increase per churn tier of the report (``churn_risk``'s low, medium and high),
    checked for their number here: the price plan's own message names arguments build_report
    does not take (``tiers=``, ``thresholds=``)."""
    from clvmodel.churn import DEFAULT_TIERS

    n, example = len(DEFAULT_TIERS), "e.g. increases=(0.05, 0.025, 0.0)"
    if isinstance(increases, str | Mapping) or not isinstance(increases, Iterable):
        raise InputError(
            f"increases must be a sequence of {n} fractions, one per churn tier "
            f"({', '.join(DEFAULT_TIERS)}) from the lowest risk to the highest, {example}; "
            f"got {increases!r}."
        )
    values = tuple(increases)
    if len(values) != n:
        raise InputError(
            f"increases gives {len(values)} increase(s) {list(values)}, but the report has {n} "
            f"churn tiers ({', '.join(DEFAULT_TIERS)}): give {n}, from the lowest risk to the "
            f"highest, {example}."
        )
    return values


def _value_horizon(value) -> Duration:
    """The value horizon as given: a duration (``"18M"``, ``"1.5Y"``, a :class:`Duration`) whose
    unit is the period the value is discounted over, or a bare number of months."""
    if isinstance(value, Duration | str):
        return parse_duration(value, name="horizon", default_unit="M")
    return Duration(_positive("horizon", value), "M")


def _churn_horizon(value) -> Duration:
    """The churn horizon as given (``"9M"``, a :class:`Duration`), or a bare number of weeks."""
    if isinstance(value, Duration | str):
        return parse_duration(value, name="churn_horizon", default_unit="W")
    return Duration(_positive("churn_horizon", value), "W")


def _stage_wait(value) -> float:
    """The weeks between price stages: a duration (``"8W"``, ``"2M"``), as
    :func:`clvmodel.price_increase_plan` takes it, or a bare number of weeks."""
    if isinstance(value, Duration | str):
        return parse_duration(value, name="stage_wait", default_unit="W").to("W")
    return _positive("stage_wait", value)


# Over 80 lines for its 20 keyword options and their numpydoc docstring; the body is 33 lines.
def build_report(
    transactions: pd.DataFrame,
    calibration_end,
    path: str | os.PathLike | None = None,
    *,
    observation_end=None,
    segments=None,
    acquisition_cost=None,
    margin: float = 1.0,
    cost_per_order=0.0,
    cost_per_period=0.0,
    horizon="24M",
    discount_rate: float = 0.1,
    churn_horizon="39W",
    increases=(0.05, 0.025, 0.0),
    stage_wait: str | float | Duration = 8.0,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    time_unit: str = "W",
    date_format: str | None = None,
    drop_duplicates: bool = False,
    title: str = DEFAULT_TITLE,
) -> str:
    """A report for marketers, as one self-contained HTML file.

    From one transaction log: the naive formula against the model per segment, checked on a
    holdout period; how the predicted value is spread and concentrated; customers below,
    around and above average; net CLV, CLV:CAC and payback per segment; the holdout check; churn
    tiers and a staged price increase. Figures are embedded PNG images and the styles are
    inline, so the file opens anywhere (``file://``, an e-mail attachment) without a network.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase, covering calibration and holdout.
    calibration_end : date-like
        Last day of the calibration period (the holdout check fits on the purchases up to it).
    path : str or path-like, optional
        Where to write the HTML file (atomically); its folder must exist.
    observation_end : date-like, optional
        End of the holdout and of the observation; defaults to the last purchase date.
    segments : str or pandas.Series, optional
        A column of ``transactions`` fixed per customer (acquisition channel, cohort …) or a
        Series indexed by customer id; without it all customers form one segment.
    acquisition_cost : float or mapping, optional
        CAC per customer, or a mapping segment → CAC; without it CLV:CAC and payback are left
        out.
    margin : float
        Share of revenue that is gross profit (0 to 1).
    cost_per_order, cost_per_period : float or mapping
        Cost to serve per order and per month of relationship (or mappings segment → cost), as
        in :func:`clvmodel.net_clv`.
    horizon : str, float or Duration
        How far the value, CLV:CAC and payback count: a duration such as ``"24M"``, ``"1.5Y"``
        or ``"52W"``, whose unit is the period the value is discounted over (as in
        :func:`clvmodel.clv_table`), or a bare number of months.
    discount_rate : float
        Annual discount rate.
    churn_horizon : str, float or Duration
        Horizon of the churn risk (probability of no purchase within it): a duration such as
        ``"39W"`` or ``"9M"``, shown in the report as given, or a bare number of weeks.
    increases : sequence of float
        Price increases per churn-risk tier, lowest risk first, as fractions: three, for the
        tiers low, medium and high.
    stage_wait : str, float or Duration
        Time between the starts of the stages of the price increase: a duration such as ``"8W"``
        or ``"2M"``, or a bare number of weeks.
    customer_col, date_col, amount_col : str
        Column names.
    time_unit : {"W", "D"}
        Time unit of the models.
    date_format : str, optional
        strftime pattern of text dates, as in :func:`clvmodel.rfm_summary`.
    drop_duplicates : bool
        Leave out rows that repeat another row exactly (same customer, date and amount) instead
        of counting them as separate purchases.
    title : str
        Title of the report.

    Returns
    -------
    str
        The HTML document (also written to ``path`` when given).

    Notes
    -----
    Every number comes from clvmodel's public functions: :func:`clvmodel.naive_vs_model`,
    :func:`clvmodel.clv_table` with :func:`clvmodel.naive_clv`, :func:`clvmodel.cac_payback`
    (or :func:`clvmodel.net_clv`) with :func:`clvmodel.unit_economics_summary`,
    :func:`clvmodel.evaluate_holdout`, :func:`clvmodel.churn_risk` and
    :func:`clvmodel.price_increase_plan`. The holdout check and the naive formula comparison use
    models fitted on the calibration period; the value sections use models fitted on the whole
    log, counting from the end of observation. Customers are "around average" within ±20 % of
    the mean net CLV. Warnings raised on the way are listed at the end of the report and
    raised again.

    Examples
    --------
    >>> import clvmodel as clv
    >>> html = clv.build_report(clv.datasets.load_cdnow_sample(), "1997-09-30",
    ...                         margin=0.3, acquisition_cost=8.0)  # doctest: +SKIP
    >>> html.startswith("<!DOCTYPE html>")  # doctest: +SKIP
    True
    """
    from clvmodel.report import _analysis

    transactions = _checked_log(
        transactions, time_unit, path, drop_duplicates, (customer_col, date_col, amount_col)
    )
    value_horizon = _value_horizon(horizon)
    settings = _analysis.Settings(
        calibration_end=calibration_end,
        observation_end=observation_end,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        time_unit=time_unit,
        date_format=date_format,
        margin=margin,
        cost_per_order=_analysis.check_costs("cost_per_order", cost_per_order),
        cost_per_period=_analysis.check_costs("cost_per_period", cost_per_period),
        acquisition_cost=_analysis.check_costs("acquisition_cost", acquisition_cost),
        horizon=convert_periods(value_horizon.value, value_horizon.unit, "M"),
        value_horizon=value_horizon,
        discount_rate=discount_rate,
        churn_horizon=_churn_horizon(churn_horizon),
        increases=_increases(increases),
        stage_wait=_stage_wait(stage_wait),
        segment_name=_segment_name(segments),
    )
    analysis = _analysis.analyse(transactions, segments, settings)
    html = _html(analysis, title)
    if path is not None:
        from clvmodel._files import write_text_atomically

        write_text_atomically(path, html)
    for note in analysis.notes:
        category = analysis.note_categories.get(note)
        warnings.warn(note, _note_category(category), stacklevel=2)
    return html


def _checked_log(transactions, time_unit, path, drop_duplicates: bool, columns) -> pd.DataFrame:
    """The transactions (without exact repeats when asked), after the checks that are cheap
    enough to fail before the work: the table, the time unit and the output folder."""
    if not isinstance(transactions, pd.DataFrame):
        raise InputError(
            f"transactions must be a DataFrame with one row per purchase, got "
            f"{type(transactions).__name__}."
        )
    if time_unit not in ("W", "D"):
        raise InputError(f"time_unit must be 'W' (weeks) or 'D' (days), got {time_unit!r}.")
    _check_amounts(transactions, columns[2])
    if path is not None:
        from pathlib import Path

        from clvmodel._files import folder_of

        folder_of(Path(path))  # fail before the work when the folder does not exist
    if drop_duplicates:
        present = [c for c in columns if c in transactions.columns]
        transactions = transactions.drop_duplicates(subset=present)
    return transactions


def _check_amounts(transactions: pd.DataFrame, amount_col) -> None:
    """The report needs amounts: refuse ``amount_col=None`` or a missing amount column, saying
    what checks and predicts purchases alone."""
    if amount_col is None:
        problem = "amount_col=None: the report values customers by what they spend (value, CLV)"
    elif amount_col not in transactions.columns:
        problem = (
            f"the transactions have no amount column {amount_col!r} (amount_col=); their "
            f"columns are {list(map(str, transactions.columns))}. The report values customers "
            "by what they spend (value, CLV)"
        )
    else:
        return
    raise InputError(
        f"{problem}, so it needs amounts: name their column with amount_col=. For purchases "
        "alone, clvmodel.evaluate_holdout checks a purchase model on a holdout, and a purchase "
        "model fitted without amounts (on clvmodel.rfm_summary(..., amount_col=None)) predicts "
        "each customer's purchases."
    )


def _segment_name(segments) -> str | None:
    if isinstance(segments, str):
        return segments
    if isinstance(segments, pd.Series):
        return str(segments.name) if segments.name is not None else "segment"
    return None


def _html(analysis, title: str) -> str:
    """The report's HTML: summary cards, then the sections in reading order."""
    from clvmodel._version import __version__
    from clvmodel.report import _render, _sections, _sections_bands, _sections_plan

    cards = _sections.summary_cards(analysis)
    sections = [
        _sections.naive_section(analysis),
        _sections.value_section(analysis),
        _sections_bands.bands_section(analysis),
        _sections_plan.economics_section(analysis),
        _sections.holdout_section(analysis),
        _sections_plan.churn_section(analysis),
        _sections_plan.settings_section(analysis),
    ]
    lede = (
        f"{analysis.customers:,} customers with purchases from {analysis.first_date:%Y-%m-%d} "
        f"to {analysis.last_date:%Y-%m-%d}; value counted over the next "
        f"{analysis.settings.horizon_words} from {analysis.last_date:%Y-%m-%d}."
    )
    return _render.render(title, lede, cards, sections, __version__)


def _note_category(category: type[Warning] | None) -> type[Warning]:
    """The category a note is raised with: its own when it is one of clvmodel's warnings (a
    :class:`~clvmodel.StatisticalWarning` stays one), else :class:`~clvmodel.ClvWarning`."""
    from clvmodel.errors import ClvWarning

    if isinstance(category, type) and issubclass(category, ClvWarning):
        return category
    return ClvWarning
