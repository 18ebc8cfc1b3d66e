"""The naive CLV formula per segment beside the model, checked on a holdout period:
:func:`clvmodel.economics.naive_vs_model`."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from clvmodel._naive import check_lifespan, customer_segments, naive_clv
from clvmodel._reading_text import missing_texts_as_nan
from clvmodel._rfm_validate import readable
from clvmodel._table_ids import segment_series, table_ids
from clvmodel._units import Duration, convert_periods, model_unit
from clvmodel.errors import ClvWarning, InputError
from clvmodel.rfm import calibration_holdout_split
from clvmodel.value import check_models, customer_lifetime_value

__all__ = ["naive_vs_model"]

_SEGMENT = "__segment__"


def _segment_column(transactions, segments, customer_col, cohort: pd.Index) -> pd.Series:
    """Each transaction's segment, from a column of the log or a Series indexed by customer;
    only the customers of the calibration ``cohort`` need one (NaN for the others)."""
    if segments is None:
        return pd.Series("all", index=transactions.index)
    ids = table_ids(transactions[customer_col])[0]
    if isinstance(segments, str):
        if segments not in transactions.columns:
            raise InputError(
                f"segments={segments!r} is not a column of the transactions; the columns are "
                f"{list(map(str, transactions.columns))}."
            )
        customer_segments(transactions, customer_col, segments, "segments")  # fixed per customer
        found = missing_texts_as_nan(transactions[segments])  # "NA" is no segment: missing
    elif isinstance(segments, pd.Series):  # looked up by the ids as the RFM summary reads them
        found = pd.Series(ids.map(segment_series(segments)).to_numpy(), index=transactions.index)
    else:
        raise InputError(
            "segments must be a column of the transactions or a pandas Series indexed by "
            f"customer id, got {type(segments).__name__}."
        )
    unlabelled = found.isna().to_numpy() & ids.isin(cohort)
    if unlabelled.any():
        missing = transactions.loc[unlabelled, customer_col].unique()
        raise InputError(
            f"segments has no value for {len(missing)} customer(s) (for example "
            f"{', '.join(readable(v) for v in missing[:5])}); give every customer with a "
            f"purchase in the calibration period a segment (a text such as 'NA', 'N/A' or "
            f"'null' means no value, as in a CSV file).{_id_type_hint(segments, ids)}"
        )
    return found


def _id_type_hint(segments, ids: pd.Index) -> str:
    """A sentence for when a segments Series is indexed by numbers and the log's customer ids
    are text, or the other way round (``4`` is not ``"4"``, nor ``"00004"``); else ``""``."""
    if not isinstance(segments, pd.Series) or segments.index.isin(ids).any():
        return ""
    numeric = [pd.api.types.is_numeric_dtype(i.dtype) for i in (segments.index, ids)]
    if numeric[0] == numeric[1]:
        return ""
    kinds = ["numbers" if n else "text" for n in numeric]
    return (
        f" The customer ids of segments are {kinds[0]} and the transactions' are {kinds[1]}: "
        "index segments by the ids as the transactions hold them."
    )


def naive_vs_model(
    bg,
    gg,
    transactions: pd.DataFrame,
    calibration_end,
    observation_end=None,
    segments=None,
    *,
    lifespan: float | None = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
) -> pd.DataFrame:
    """The naive formula per segment beside the model, and both checked on a holdout period.

    Per segment, the naive formula of the marketing literature, average order value × purchases
    per customer per year × lifespan (:func:`clvmodel.naive_clv` on the calibration period), and
    the model's mean CLV over the same lifespan (undiscounted revenue). Both then predict each
    customer's revenue in the holdout period: naive, AOV × purchases per year × holdout years
    for every customer of the segment (the formula assumes they are all still customers); the
    model, E[Y(holdout) | history] × E[spend | history].

    Parameters
    ----------
    bg, gg : PurchaseModel, GammaGammaModel
        Models fitted on the calibration RFM table of the same split.
    transactions : pandas.DataFrame
        One row per purchase, covering calibration and holdout.
    calibration_end, observation_end
        As in :func:`clvmodel.calibration_holdout_split`.
    segments : str or pandas.Series, optional
        A column of ``transactions`` fixed per customer (acquisition channel, cohort), or a
        Series indexed by customer id; without it one segment ``"all"``. Only the calibration
        cohort needs a segment: customers whose first purchase falls in the holdout are not part
        of the comparison (the calibration RFM table, ``cal["channel"]``, is a Series that fits).
    lifespan : float, optional
        Years of the naive formula's lifespan and the model's horizon in ``naive_clv`` and
        ``model_clv``, above 0 and at most 100; defaults to the holdout length.
    customer_col, date_col, amount_col : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Per segment (calibration cohort): ``customers``, ``average_order_value``,
        ``purchases_per_year``, ``naive_clv``, ``model_clv`` (means per customer over the
        lifespan), ``actual_holdout`` (mean revenue per customer in the holdout),
        ``naive_holdout`` and ``model_holdout`` (the predictions), ``naive_error`` and
        ``model_error`` (relative error of the segment's total, predicted / actual − 1; NaN,
        with a :class:`~clvmodel.ClvWarning` and a line in ``attrs["notes"]``, for a segment
        with no holdout revenue), and ``naive_mae`` and ``model_mae`` (mean absolute error per
        customer).

    Notes
    -----
    As in :func:`clvmodel.naive_clv`, ``purchases_per_year`` divides each segment's orders by
    the whole calibration window, from the first purchase in the log to ``calibration_end``: a
    segment whose customers arrived late (a recent cohort) is understated.

    Examples
    --------
    >>> import clvmodel as clv
    >>> tx = clv.datasets.load_cdnow_sample()
    >>> cal, _ = clv.calibration_holdout_split(tx, "1997-09-30", "1998-06-30")
    >>> bg, gg = clv.BetaGeoModel().fit(cal), clv.GammaGammaModel().fit(cal)
    >>> from clvmodel.economics import naive_vs_model
    >>> table = naive_vs_model(bg, gg, tx, "1997-09-30", "1998-06-30")
    >>> int(table.loc["all", "customers"])
    2357
    """
    # Over 80 lines for its docstring only; the comparison itself is in _compare.
    check_models(bg, gg, spend_required=True)
    unit = model_unit(bg)
    years = None if lifespan is None else check_lifespan(lifespan)
    if not isinstance(transactions, pd.DataFrame) or customer_col not in transactions.columns:
        raise InputError(
            f"transactions must be a DataFrame with a {customer_col!r} column (customer_col=)."
        )
    cal, hold = calibration_holdout_split(
        transactions, calibration_end, observation_end, customer_col, date_col, amount_col,
        time_unit=unit,
    )  # fmt: skip
    holdout_units = float(hold["duration_holdout"].iloc[0])
    holdout_years = convert_periods(holdout_units, unit, "Y")
    years = holdout_years if years is None else years
    found = _segment_column(transactions, segments, customer_col, cal.index)
    log = transactions.assign(**{_SEGMENT: found})
    with warnings.catch_warnings():  # the split above has warned about the log already
        warnings.simplefilter("ignore", ClvWarning)
        naive = naive_clv(
            log, years, customer_col, date_col, amount_col, segment_col=_SEGMENT,
            observation_end=calibration_end,
        )  # fmt: skip
    segment = customer_segments(log, customer_col, _SEGMENT).reindex(cal.index)
    table = _compare(bg, gg, cal, hold, naive, segment, holdout_units, holdout_years, years)
    name = segments if isinstance(segments, str) else getattr(segments, "name", None)
    table.index.name = name or "segment"
    return table


def _compare(bg, gg, cal, hold, naive, segment, holdout_units, holdout_years, years):
    """Per segment: the naive table beside the model's mean CLV, and both predictions of each
    customer's holdout revenue against the actual one."""
    actual = (hold["frequency_holdout"] * hold["monetary_value_holdout"]).to_numpy()
    spend = gg.expected_spend(cal).to_numpy()
    predicted = {
        "naive": (naive["purchases_per_year"] * naive["average_order_value"] * holdout_years)
        .reindex(segment.to_numpy())
        .to_numpy(),
        "model": bg.expected_purchases(cal, holdout_units).to_numpy() * spend,
    }
    model_clv = customer_lifetime_value(bg, gg, cal, Duration(years, "Y")).to_numpy()
    frame = pd.DataFrame(
        {
            "segment": segment.to_numpy(),
            "model_clv": model_clv,
            "actual_holdout": actual,
            "naive_holdout": predicted["naive"],
            "model_holdout": predicted["model"],
            "naive_abs": np.abs(predicted["naive"] - actual),
            "model_abs": np.abs(predicted["model"] - actual),
        }
    )
    means = frame.groupby("segment", sort=True).mean()
    table = naive[["customers", "average_order_value", "purchases_per_year", "naive_clv"]].copy()
    table = table.join(means[["model_clv", "actual_holdout", "naive_holdout", "model_holdout"]])
    # A relative error of nothing is undefined: NaN (with a note), not inf.
    actual = table["actual_holdout"].where(table["actual_holdout"] > 0)
    for name in ("naive", "model"):
        table[f"{name}_error"] = table[f"{name}_holdout"] / actual - 1.0
    table["naive_mae"] = means["naive_abs"]
    table["model_mae"] = means["model_abs"]
    table.attrs["notes"] = _zero_revenue_notes(table)
    for note in table.attrs["notes"]:
        warnings.warn(note, ClvWarning, stacklevel=3)
    return table


def _zero_revenue_notes(table: pd.DataFrame) -> list[str]:
    """Why ``naive_error`` and ``model_error`` are NaN for segments with no holdout revenue."""
    empty = [str(segment) for segment in table.index[~(table["actual_holdout"] > 0)]]
    if not empty:
        return []
    return [
        f"segment(s) {empty} had no revenue in the holdout period, so naive_error and "
        "model_error (predicted / actual − 1) are undefined there and left NaN; compare "
        "naive_mae and model_mae (mean absolute error per customer) instead."
    ]
