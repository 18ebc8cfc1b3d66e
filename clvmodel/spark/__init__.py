"""clvmodel on Apache Spark: RFM summaries, fitting and scoring of Spark DataFrames.

Install with ``pip install clvmodel[spark]``; ``import clvmodel`` itself never needs pyspark.
The pipeline is the local one, distributed where the data are large and on the driver where they
are small:

- :func:`rfm_summary` and :func:`calibration_holdout_split` run in Spark SQL, with the query the
  DuckDB engine runs (same conventions, same numbers);
- :func:`fit` reduces the customers to their distinct (frequency, recency, T) histories with
  counts in Spark, collects those (small whatever the number of customers) and fits the same model
  classes on the driver;
- :func:`score` maps :func:`clvmodel.score_customers` over the partitions with ``mapInPandas``,
  the models travelling as JSON, and returns the columns of ``clvmodel score``.

A nightly job on a cluster is a few lines (``spark`` is the session)::

    import clvmodel.spark as clvs

    log = spark.read.parquet("transactions.parquet")
    models = clvs.fit(log, customer_col="customer_id", date_col="date", amount_col="amount")
    models.save("models.json")
    rfm = clvs.rfm_summary(log, customer_col="customer_id", date_col="date", amount_col="amount")
    clvs.score(rfm, models).write.mode("overwrite").parquet("scores")
"""

from __future__ import annotations

try:
    import pyspark  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "clvmodel.spark needs pyspark: install it with `pip install 'clvmodel[spark]'` (or run "
        "where Spark provides it, e.g. on Databricks)."
    ) from exc

from clvmodel.spark._holdout import calibration_holdout_split
from clvmodel.spark._models import distinct_histories, distinct_spends, fit
from clvmodel.spark._rejects import rejects
from clvmodel.spark._scoring import rfm_rejects, score
from clvmodel.spark._transactions import SparkTransactions, rfm_summary

__all__ = [
    "SparkTransactions",
    "calibration_holdout_split",
    "distinct_histories",
    "distinct_spends",
    "fit",
    "rejects",
    "rfm_rejects",
    "rfm_summary",
    "score",
]
