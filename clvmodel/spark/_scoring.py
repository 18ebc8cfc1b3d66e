"""Scoring on Spark: :func:`clvmodel.score_customers` mapped over partitions with mapInPandas."""

from __future__ import annotations

import json
import os
import warnings

from clvmodel._reading_sql import customer_id_kind
from clvmodel._rfm_common import time_unit_days
from clvmodel._rfm_sql import RFM_COLUMNS, rfm_id_sql, rfm_reject_reason, spend_sql
from clvmodel._units import (
    MAX_VALUE_STEPS,
    UNIT_NAMES,
    Duration,
    carries_unit,
    check_discount_rate,
    check_margin,
    check_unit,
    value_horizon,
)
from clvmodel.errors import InputError
from clvmodel.models.bundle import ModelBundle, bundle_from_document, load_models
from clvmodel.scoring import SCORE_COLUMNS, score_customers, warn_bare_months
from clvmodel.spark._common import (
    SPARK,
    check_column_kinds,
    check_on_invalid,
    column_types,
    quote_name,
    table_time_unit,
)
from clvmodel.value import horizon_years

__all__ = ["rfm_rejects", "score"]

_ROWS_PER_PIECE = 200_000
#: Column kinds (clvmodel._reading_sql.customer_id_kind) read as numbers; text is read as such.
_VALUE_KINDS = ("integer", "float", "decimal", "text")


def _checked_rfm(rfm, customer_col: str, time_unit: str | None = None, given: str | None = None):
    """The rows of ``rfm`` with the normalised ``customer_id``, ``shown_id`` (the id as a rejects
    list shows it: a fractional or too-large float as written), ``id_problem``, the values as
    doubles and the ``reason`` a row cannot be scored (NULL when it can), by the rules of
    ``clvmodel score`` on an RFM file (:class:`clvmodel._rfm_source.RfmSource`); ``time_unit``,
    the unit of recency, bounds repeat purchases by the days in recency. ``given``: the unit
    ``rfm``'s recency and T are in, converted to ``time_unit`` (as ``--rfm-time-unit`` does)."""
    days = None if time_unit is None else time_unit_days(time_unit)
    types = column_types(rfm)
    missing = [c for c in (customer_col, *RFM_COLUMNS) if c not in types]
    if missing:
        raise InputError(
            f"the RFM DataFrame has no column {', '.join(map(repr, missing))}; its columns are "
            f"{list(types)}. Make it with clvmodel.spark.rfm_summary, or name the customer column "
            "with customer_col=."
        )
    values = {c: types[c] for c in RFM_COLUMNS}  # an array or a date: not an AnalysisException
    odd = [f"{c} ({t})" for c, t in values.items() if customer_id_kind(t) not in _VALUE_KINDS]
    if odd:
        raise InputError(
            f"the RFM DataFrame's {', '.join(odd)} should hold numbers; make the table with "
            "clvmodel.spark.rfm_summary, or cast the columns to numbers (e.g. .cast('double'))."
        )
    check_column_kinds(types, {"customer": customer_col})  # nested ids: refused, not grouped
    kind = customer_id_kind(types[customer_col])
    customer, shown, problem = rfm_id_sql(quote_name(customer_col), kind, SPARK)
    casts = [f"try_cast({quote_name(c)} AS DOUBLE)" for c in RFM_COLUMNS[:3]]
    # Missing where frequency is 0 (no repeat purchase, no mean spend): 0, as validate_rfm.
    spend_kind = customer_id_kind(types["monetary_value"])
    casts.append(spend_sql(quote_name("monetary_value"), casts[0], spend_kind, SPARK))
    if given is not None and given != time_unit:  # days / 7.0: the weeks of rfm_summary exactly
        scale = f" * {time_unit_days(given)!r}D / {time_unit_days(time_unit)!r}D"
        casts = [f"{cast}{scale}" if c in ("recency", "T") else cast
                 for c, cast in zip(RFM_COLUMNS, casts, strict=True)]  # fmt: skip
    casts = [f"{cast} AS {c}" for c, cast in zip(RFM_COLUMNS, casts, strict=True)]
    typed = rfm.selectExpr(
        f"{customer} AS customer_id", f"{shown} AS shown_id", f"{problem} AS id_problem", *casts
    )
    # Ids that are one after normalising (3 and 3.0, "a " and "a") on two rows: a repeated id,
    # whose rows are all rejected, as on the DuckDB route.
    id_rows = "count(customer_id) OVER (PARTITION BY customer_id)"
    other = rfm_reject_reason(SPARK, "id_problem", days)
    reason = (
        f"CASE WHEN {id_rows} > 1 THEN concat('customer id appears on ', "
        f"CAST({id_rows} AS STRING), ' rows') ELSE {other} END"
    )
    return typed.selectExpr(*typed.columns, f"{reason} AS reason")


def _plain_columns(frame):
    """Columns backed by numpy, not Arrow: pandas' Arrow-backed text (the default for strings
    from pandas 3) is chunked after ``concat``, and Spark's Arrow writer takes only single-chunk
    arrays ("Cannot convert pyarrow.lib.ChunkedArray to pyarrow.lib.Array", issue 13)."""
    import pandas as pd

    for column in frame.columns:
        dtype = frame[column].dtype
        if isinstance(dtype, pd.StringDtype | pd.ArrowDtype) or dtype.kind not in "biufcmM":
            frame[column] = frame[column].to_numpy(dtype=object)
    return frame


def _as_bundle(models) -> ModelBundle:
    """A bundle from a bundle, a fitted purchase model (with no spend model), a
    ``(purchase_model, spend_model)`` pair, or the path of a models file."""
    from clvmodel.models.base import PurchaseModel
    from clvmodel.models.gamma_gamma import GammaGammaModel

    if isinstance(models, ModelBundle):
        return models
    if isinstance(models, PurchaseModel):
        return ModelBundle(bg=models)
    if (
        isinstance(models, tuple)
        and len(models) == 2
        and isinstance(models[0], PurchaseModel)
        and (models[1] is None or isinstance(models[1], GammaGammaModel))
    ):
        return ModelBundle(bg=models[0], gg=models[1])
    if isinstance(models, str | os.PathLike):
        return load_models(models)
    raise InputError(
        f"models must be a ModelBundle (from clvmodel.spark.fit or clvmodel.load_models), a "
        "fitted purchase model, a (purchase model, GammaGammaModel) pair of fitted models, or the "
        f"path of a models file; got {type(models).__name__}."
    )


def _scorable_bundle(models) -> ModelBundle:
    """:func:`_as_bundle`, refused when the partitions could not score with it: a purchase model
    without its time unit, or one with covariates (the RFM table carries none per customer)."""
    bundle = _as_bundle(models)
    if bundle.bg.time_unit_ is None:
        raise InputError(
            "the purchase model does not record its time unit (weeks or days: the unit of recency "
            "and T it was fitted on), so the RFM table cannot be scored with it; refit it with "
            "clvmodel.spark.fit(..., time_unit='W') or `clvmodel fit --time-unit W` (or 'D'), or "
            f"build it with one, {type(bundle.bg).__name__}.from_params(params, time_unit='W')."
        )
    covariates = {
        "purchase": [*bundle.bg.purchase_covariates, *bundle.bg.dropout_covariates],
        "spend": list(getattr(bundle.gg, "spend_covariates", ())),
    }
    for which, names in covariates.items():
        if names:
            raise InputError(
                f"the {which} model has covariates ({', '.join(names)}); clvmodel.spark.score "
                "takes models without covariates. Fit them with clvmodel.spark.fit, or score the "
                "covariate model locally with clvmodel.score_customers on an RFM table (pandas) "
                "that has the covariate columns."
            )
    return bundle


def _scoring_unit(rfm, bundle: ModelBundle, time_unit: str | None) -> str:
    """The unit of ``rfm``'s recency and T (converted to the model's by :func:`score`):
    ``time_unit``, else the one :func:`clvmodel.spark.rfm_summary` recorded, which must then be
    the model's, else the model's."""
    model_unit = bundle.bg.time_unit_
    table_unit = table_time_unit(rfm, time_unit)
    if time_unit is None and table_unit is not None and table_unit != model_unit:
        raise InputError(
            f"the RFM DataFrame records that its recency and T are in {UNIT_NAMES[table_unit]} "
            f"(clvmodel.spark.rfm_summary(..., time_unit={table_unit!r})), but the model was "
            f"fitted in {UNIT_NAMES[model_unit]}; pass time_unit={table_unit!r} to have them "
            f"converted to {UNIT_NAMES[model_unit]}, or rebuild the table with "
            f"time_unit={model_unit!r}."
        )
    return table_unit or model_unit


def rfm_rejects(rfm, customer_col: str = "customer_id", time_unit: str | None = None):
    """Rows of a Spark RFM table that cannot be scored, with the reason each.

    The rules are those of ``clvmodel score`` on an RFM file. Customer ids are read as in a
    transaction log: text trimmed, ``"7.0"`` as ``"7"``, whole-number floats as integers, so
    ``3`` and ``3.0`` are one customer, and on two rows a repeated id ("customer id appears on 2
    rows"). A row is also rejected for a missing id or value (but a ``monetary_value`` missing
    where frequency is 0, which is 0 there, as in :func:`clvmodel.rfm.validate_rfm`), a
    fractional float id ("customer id is not a whole number") or one beyond 2**53 (too large to
    hold an exact id), a value that is not finite, a negative or fractional frequency,
    negative recency or ``T``, recency > ``T``, recency > 0 without a repeat purchase, repeat
    purchases with recency 0, more repeat purchases than days in recency (with ``time_unit``),
    or a negative spend.

    Parameters
    ----------
    rfm : pyspark.sql.DataFrame
        One row per customer with ``frequency``, ``recency``, ``T`` and ``monetary_value``.
    customer_col : str
        Customer-id column of ``rfm``.
    time_unit : {"D", "W"}, optional
        The unit of ``recency`` and ``T``: frequency counts repeat purchase days, so a repeat
        buyer with more of them than days in recency is rejected. By default the unit
        :func:`clvmodel.spark.rfm_summary` recorded in the columns' metadata (a given unit that
        contradicts it is refused); for a table that records none, only repeat purchases with
        recency 0 are rejected.

    Returns
    -------
    pyspark.sql.DataFrame
        ``customer_id`` (as written where it is no id, e.g. ``"1.5"``; normalised otherwise),
        the four values as doubles and ``reason``.
    """
    time_unit = table_time_unit(rfm, time_unit)
    checked = _checked_rfm(rfm, customer_col, time_unit).where("reason IS NOT NULL")
    return checked.selectExpr("shown_id AS customer_id", *RFM_COLUMNS, "reason")


def _score_horizon(horizon, horizon_unit) -> Duration:
    """The horizon of :func:`score` as a Duration: ``"12M"`` as written, a bare number in the
    deprecated ``horizon_unit`` (with a DeprecationWarning at the caller of :func:`score`) or in
    months."""
    period = None
    if horizon_unit is not None:
        period = check_unit(horizon_unit, "horizon_unit")
        if carries_unit(horizon):
            raise InputError(
                f"horizon={str(horizon)!r} already carries its unit; drop horizon_unit="
                f"{horizon_unit!r}."
            )
        try:
            shown = f"{float(horizon):g}"
        except (TypeError, ValueError):
            shown = "<number>"
        warnings.warn(
            f"horizon_unit= is deprecated for the value period; pass horizon='{shown}{period}' (a "
            "duration with its unit) instead of horizon_unit=.",
            DeprecationWarning,
            stacklevel=3,
        )
    else:
        warn_bare_months(horizon, "clvmodel.spark.score", stacklevel=4)
    return value_horizon(horizon, period, default_unit="M", max_steps=MAX_VALUE_STEPS)


def _valid_rows(checked, on_invalid: str, time_unit: str):
    """The scorable rows of a checked RFM table (without the reason column); ``time_unit``, the
    one the table was checked in, is named in the error."""
    if on_invalid == "raise":
        # Checked in the scoring pass itself (a separate count would compute the input twice):
        # the first invalid row stops the job with this message.
        message = (
            "concat('row of the RFM table cannot be scored (customer ', "
            "coalesce(CAST(shown_id AS STRING), 'NULL'), ': ', reason, "
            f"'); list such rows with clvmodel.spark.rfm_rejects(..., time_unit=''{time_unit}''), "
            "or pass on_invalid=''drop'' to leave them out')"
        )
        valid = checked.where(f"reason IS NULL OR raise_error({message}) IS NULL")
    else:
        valid = checked.where("reason IS NULL")
        if valid.isEmpty() and not checked.isEmpty():  # short passes, as rfm_summary's drop
            _raise_none_scorable(checked)
    return valid.drop("shown_id", "id_problem", "reason")


def _raise_none_scorable(checked):
    """Raise for an RFM table none of whose rows can be scored, with the reasons (as the DuckDB
    route's ``clvmodel._rfm_source.RfmSource.check_usable``), instead of an empty result."""
    from pyspark.sql import functions as F

    counts = checked.groupBy("reason").agg(F.count("*").alias("n"), F.min("shown_id").alias("id"))
    rows = counts.orderBy(F.desc("n"), "reason").collect()
    listed = "; ".join(f"{r['n']:,} {r['reason']} (e.g. customer {r['id']!r})" for r in rows[:5])
    if len(rows) > 5:  # the counts shown must add up to the rows
        listed += f"; and {sum(r['n'] for r in rows[5:]):,} row(s) for other reasons"
    raise InputError(
        f"none of the {sum(r['n'] for r in rows):,} rows of the RFM DataFrame can be scored: "
        f"{listed}. Fix those values (list them with clvmodel.spark.rfm_rejects), or rebuild "
        "the table with clvmodel.spark.rfm_summary."
    )


def _partition_scorer(document: str, time_unit: str, options: dict):
    """The function mapInPandas runs on each partition: the models read back from JSON, and
    :func:`clvmodel.score_customers` applied to pieces of about ``_ROWS_PER_PIECE`` rows."""

    def score_frame(models, frame):
        frame = frame.set_index("customer_id")
        frame.attrs["time_unit"] = time_unit
        scores = score_customers(models.bg, models.gg, frame, **options)
        return _plain_columns(scores.rename_axis("customer_id").reset_index())

    def score_partition(batches):
        import pandas as pd

        models = bundle_from_document(json.loads(document), "models sent to the executors")
        # Arrow hands over ~10,000 rows at a time; scoring larger pieces shares more work
        # (distinct histories) and costs less overhead, in memory still bounded per piece.
        pending, rows = [], 0
        for frame in batches:
            pending.append(frame)
            rows += len(frame)
            if rows >= _ROWS_PER_PIECE:
                yield score_frame(models, pd.concat(pending, ignore_index=True))
                pending, rows = [], 0
        if rows:
            yield score_frame(models, pd.concat(pending, ignore_index=True))

    return score_partition


# Over 80 lines for its numpydoc docstring (one entry per option); the body is short.
def score(
    rfm,
    models: ModelBundle | str | os.PathLike,
    horizon: str | float | Duration = "12M",
    horizon_unit: str | None = None,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    customer_col: str = "customer_id",
    on_invalid: str = "raise",
    time_unit: str | None = None,
):
    """Score every customer of a Spark RFM table: the columns of ``clvmodel score``.

    The models go to the executors as JSON (never a pickle); each partition is scored in Arrow
    batches by :func:`clvmodel.score_customers`, so the numbers are those of the local path.

    Parameters
    ----------
    rfm : pyspark.sql.DataFrame
        One row per customer with ``frequency``, ``recency``, ``T`` and ``monetary_value`` (as
        from :func:`clvmodel.spark.rfm_summary`); ``monetary_value`` may be left out when the
        models have no spend model. Recency and ``T`` are in the unit ``time_unit``.
    models : ModelBundle, PurchaseModel, (purchase model, GammaGammaModel) or path
        Fitted models, without covariates and recording their time unit: a bundle from
        :func:`clvmodel.spark.fit` or :func:`clvmodel.load_models`, a pair of fitted model
        objects (e.g. ``(clv.BetaGeoModel().fit(rfm), clv.GammaGammaModel().fit(rfm))``), a
        purchase model alone, or the path of a file written by ``clvmodel fit`` or
        ``ModelBundle.save``. Without a spend model (fitted without amounts, or a purchase model
        alone) purchases, P(alive) and churn risk are scored, and ``expected_spend``,
        ``predicted_clv`` and ``naive_clv`` are null, as in ``clvmodel score``, and so is
        ``monetary_value`` (not read: it may be missing, empty or anything).
    horizon : str, float or Duration
        Horizon of churn risk, expected purchases and CLV: a duration such as ``"12M"`` or
        ``"39W"`` (its unit is also CLV's discounting period), at most 100 years. A bare number
        counts months (or periods of the deprecated ``horizon_unit``).
    horizon_unit : {"D", "W", "M", "Y"}, optional
        Deprecated: the unit of a bare-number ``horizon``; write ``horizon="12M"`` instead.
    discount_rate : float
        Annual discount rate of CLV, a fraction (0.1 = 10 %).
    margin : float
        Profit margin applied to spend, a fraction (0.3 = 30 %).
    customer_col : str
        Customer-id column of ``rfm``; it is ``customer_id`` in the result.
    on_invalid : {"raise", "drop"}
        Rows that cannot be scored (see :func:`rfm_rejects`): stop the job with an error naming
        the customer and the reason when the result is computed (default; no extra pass over
        the data), or leave them out (an error if none is left: short passes check it).
    time_unit : {"D", "W"}, optional
        The unit of the table's ``recency`` and ``T``, converted to the models' (as ``clvmodel
        score --rfm-time-unit`` does): a table in days scores with a weekly model. By default the
        unit :func:`clvmodel.spark.rfm_summary` recorded in the columns' metadata, which must be
        the models' (another is refused, not scored as if it were theirs; a given unit that
        contradicts it is refused too), and for a table that records none (one made otherwise,
        or whose recency or ``T`` was recomputed) the models' unit.

    Returns
    -------
    pyspark.sql.DataFrame
        ``customer_id`` and the columns of :data:`clvmodel.scoring.SCORE_COLUMNS`.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, LongType, StructField, StructType

    check_on_invalid(on_invalid)
    bundle = _scorable_bundle(models)
    span = _score_horizon(horizon, horizon_unit)
    if bundle.gg is not None:  # checked here, not in the partitions (a Python worker's traceback)
        discount_rate, margin = check_discount_rate(discount_rate), check_margin(margin)
    given = _scoring_unit(rfm, bundle, time_unit)  # the table's unit, converted to the model's
    # The unit score_customers is told the rows are in, and so checks their recency in.
    time_unit = bundle.bg.time_unit_
    no_amounts = bundle.gg is None
    if no_amounts:  # no spend model: amounts not checked nor used, null in the result
        columns = [c for c in rfm.columns if c != "monetary_value"]
        rfm = rfm.select(*map(quote_name, columns), F.lit(0.0).alias("monetary_value"))
    valid = _valid_rows(_checked_rfm(rfm, customer_col, time_unit, given), on_invalid, given)
    naive = bundle.naive_clv(horizon_years(span.value, span.unit), margin=margin)
    options = {
        "horizon": span,
        "discount_rate": discount_rate,
        "margin": margin,
        "naive_clv": naive,
    }
    scorer = _partition_scorer(json.dumps(bundle.to_dict()), time_unit, options)
    fields = [valid.schema["customer_id"]]
    for column in SCORE_COLUMNS:
        kind = LongType() if column == "frequency" else DoubleType()
        fields.append(StructField(column, kind, True))
    scores = valid.mapInPandas(scorer, StructType(fields))
    return scores.withColumn("monetary_value", F.lit(None).cast("double")) if no_amounts else scores
