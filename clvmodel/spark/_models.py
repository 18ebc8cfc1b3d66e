"""Fitting on Spark: customers reduced to distinct histories with counts, models fitted locally."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.errors import InputError
from clvmodel.models.base import PurchaseModel
from clvmodel.models.bundle import ModelBundle, fit_bundle, purchase_model
from clvmodel.spark._common import check_on_invalid, column_types, table_time_unit
from clvmodel.spark._transactions import SparkTransactions
from clvmodel.value import observed_years

__all__ = ["distinct_histories", "distinct_spends", "fit"]


def distinct_histories(rfm, time_unit: str | None = None) -> pd.DataFrame:
    """Distinct (frequency, recency, T) rows of a Spark RFM table, with customer counts, in
    increasing order (the same rows in the same order on every run: the fit adds them up).

    The result has one row per distinct history, so it stays small whatever the number of
    customers (recency and T take few values in whole days); fit with
    ``BetaGeoModel().fit(histories, weights=histories["customers"])``.

    Parameters
    ----------
    rfm : pyspark.sql.DataFrame
        ``frequency``, ``recency`` and ``T`` columns, as from :func:`rfm_summary`.
    time_unit : {"W", "D"}, optional
        The unit of recency and ``T``, recorded in ``attrs["time_unit"]``. By default the one
        :func:`rfm_summary` recorded in the columns' metadata (a given unit that contradicts it
        is refused), else weeks.

    Returns
    -------
    pandas.DataFrame
        ``frequency`` (int64), ``recency``, ``T`` and ``customers``.
    """
    time_unit = table_time_unit(rfm, time_unit) or "W"
    _require_columns(rfm, ("frequency", "recency", "T"))
    frame = (
        rfm.groupBy("frequency", "recency", "T")
        .count()
        .withColumnRenamed("count", "customers")
        .orderBy("frequency", "recency", "T")
        .toPandas()
    )
    frame = _checked_counts(frame, ("frequency", "recency", "T"))
    frame.attrs["time_unit"] = time_unit
    return frame


def distinct_spends(rfm) -> pd.DataFrame:
    """Distinct (frequency, monetary_value) rows of the repeat buyers of a Spark RFM table, with
    customer counts, in increasing order: what :class:`~clvmodel.GammaGammaModel` needs."""
    _require_columns(rfm, ("frequency", "monetary_value"))
    frame = (
        rfm.where("frequency IS NULL OR NOT frequency <= 0")  # a null is refused, not left out
        .groupBy("frequency", "monetary_value")
        .count()
        .withColumnRenamed("count", "customers")
        .orderBy("frequency", "monetary_value")
        .toPandas()
    )
    return _checked_counts(frame, ("frequency", "monetary_value"))


def _require_columns(rfm, columns) -> None:
    """Refuse a Spark RFM table without ``columns``, naming them (not Spark's AnalysisException)."""
    present = column_types(rfm)
    missing = [c for c in columns if c not in present]
    if missing:
        raise InputError(
            f"the RFM DataFrame has no column {', '.join(map(repr, missing))}; its columns are "
            f"{list(present)}. Make it with clvmodel.spark.rfm_summary, or rename its columns."
        )


def _checked_counts(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """The collected distinct rows with numeric values and a whole ``frequency`` (int64), or an
    InputError naming the values at fault: a null, a text or a fractional frequency would
    otherwise stop the fit with a pandas error, or (2.5 repeat purchases) be cut to 2 unseen."""
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        bad = ~np.isfinite(values.to_numpy())
        if column == "frequency":
            bad |= values.to_numpy() != np.round(values.to_numpy())
        if bad.any():
            shown = frame.loc[bad, column].head(5).tolist()
            raise InputError(
                f"the RFM DataFrame's {column} has {int(frame.loc[bad, 'customers'].sum())} "
                f"value(s) that are missing, not numbers"
                f"{' or not whole' if column == 'frequency' else ''} (for example {shown}); "
                "list such rows with clvmodel.spark.rfm_rejects, and drop or fix them."
            )
        frame[column] = values.astype("int64") if column == "frequency" else values
    return frame


# Over 80 lines for its numpydoc docstring (one entry per option); the body is short.
def fit(
    transactions,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str | None = "amount",
    observation_end=None,
    time_unit: str = "W",
    date_format: str | None = None,
    on_invalid: str = "raise",
    drop_duplicates: bool = False,
    model="bgnbd",
) -> ModelBundle:
    """Fit a purchase model and Gamma-Gamma on a Spark transaction log: what ``clvmodel fit``
    does locally.

    The RFM summary is computed in Spark and kept (``persist``) while three small aggregates are
    collected to the driver: the distinct (frequency, recency, T) histories with counts, the
    distinct (frequency, monetary value) rows of repeat buyers with counts, and the totals of the
    naive formula. The models are fitted from those counts with the same code as the DuckDB
    engine, so both give the same parameters.

    Parameters
    ----------
    transactions : pyspark.sql.DataFrame
        One row per purchase.
    customer_col, date_col, amount_col, observation_end, time_unit, date_format, on_invalid
        As in :func:`clvmodel.spark.rfm_summary`; without amounts only BG/NBD is fitted.
    drop_duplicates : bool
        Leave out rows that repeat another row exactly (as :func:`clvmodel.spark.rfm_summary`).
    model : str or PurchaseModel
        The purchase model: ``"bgnbd"`` (default), ``"mbgnbd"``, ``"pnbd"``, an unfitted model
        object without covariates, or ``"auto"`` (the lowest BIC), as in ``clvmodel fit
        --model``.

    Returns
    -------
    ModelBundle
        Save it with ``.save("models.json")``; score with :func:`clvmodel.spark.score` or
        ``clvmodel score``.

    Raises
    ------
    InputError
        As :func:`clvmodel.spark.rfm_summary`, and for a model object with covariates: the
        distinct histories carry none per customer.
    """
    check_on_invalid(on_invalid)
    if not (isinstance(model, str) and model.lower() == "auto"):
        purchase_model(model)  # an unknown name or another kind of model: before any Spark job
    _check_no_covariates(model)
    source = SparkTransactions(
        transactions, customer_col, date_col, amount_col, date_format, observation_end, time_unit,
        drop_duplicates,
    )  # fmt: skip
    reasons = source.reason_counts()
    if on_invalid == "raise":
        source.raise_on_invalid(reasons)
    rfm = source.rfm(extra=True).persist()
    try:
        histories = distinct_histories(rfm, time_unit)
        if histories.empty:
            source.raise_nothing_valid()
        spends = naive_inputs = None
        if amount_col is not None:
            spends = distinct_spends(rfm)
            naive_inputs = _naive_inputs(rfm, source.end_day)
    finally:
        rfm.unpersist()
    customers = int(histories["customers"].sum())
    return fit_bundle(
        histories,
        spends,
        naive_inputs,
        model=model,
        metadata={
            "engine": "spark",
            "customer_col": customer_col,
            "date_col": date_col,
            "amount_col": amount_col,
            "date_format": source.date_format,
            "drop_duplicates": drop_duplicates,
            "time_unit": time_unit,
            "observation_end": source.end.strftime("%Y-%m-%d"),
            "rejected_rows": int(sum(reasons.values())),
            "customers": customers,
        },
    )


def _check_no_covariates(model) -> None:
    """Refuse a purchase model object with covariates, before any pass over the data."""
    if not (isinstance(model, PurchaseModel) and model.has_covariates):
        return
    names = ", ".join([*model.purchase_covariates, *model.dropout_covariates])
    raise InputError(
        f"clvmodel.spark.fit fits models without covariates; this {type(model).__name__} has "
        f"covariates ({names}), and the distinct (frequency, recency, T) histories it fits on "
        "carry none per customer. Pass the model without covariates (or model='bgnbd', "
        "'mbgnbd', 'pnbd', 'auto'), or fit the covariate model locally on a pandas RFM table "
        "with the covariate columns: clvmodel.rfm_summary of the log (e.g. of log.toPandas()) "
        "with one column per covariate, then model.fit(rfm)."
    )


def _naive_inputs(rfm, end_day: int) -> dict[str, float]:
    from pyspark.sql import functions as F

    row = rfm.agg(F.count("*"), F.sum("orders"), F.sum("revenue"), F.min("first_day")).collect()[0]
    return {
        "customers": int(row[0]),
        "orders": int(row[1]),
        "revenue": float(row[2]),
        "years": observed_years(int(row[3]), end_day),
    }
