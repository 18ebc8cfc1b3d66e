"""The rejected rows of a Spark transaction log, listed even when no row is usable."""

from __future__ import annotations

import pandas as pd

from clvmodel.spark._transactions import SparkTransactions

__all__ = ["rejects"]

# An end of observation after every date: without an end no row is "after observation end", and a
# log without one usable row has no last purchase to end on (the pandas transaction_rejects reads
# the rows without an end, too).
_NO_END = pd.Timestamp("2200-01-01")


class _AllRows(SparkTransactions):
    """A log whose rows are checked without an end of observation unless one is given, so that
    a log with no usable row lists its rows rather than raising that none is usable."""

    def _observation_end(self) -> pd.Timestamp:
        if self.observation_end is not None:
            return super()._observation_end()
        self._reasons = self._usable = None
        return _NO_END


def rejects(
    transactions,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str | None = "amount",
    observation_end=None,
    date_format: str | None = None,
):
    """Rows of a Spark transaction log that cannot be used, each with the reason.

    Parameters
    ----------
    transactions : pyspark.sql.DataFrame
        One row per purchase.
    customer_col, date_col, amount_col, date_format : str
        As in :func:`clvmodel.spark.rfm_summary`.
    observation_end : date-like, optional
        End of observation: rows after it are listed as ``after observation end``. Without it no
        row is, and a log none of whose rows is usable lists them all (as
        :func:`clvmodel.rfm.transaction_rejects`), rather than raising.

    Returns
    -------
    pyspark.sql.DataFrame
        ``customer_id``, ``date`` and ``amount`` (as text, as read), ``reason``; plus one row per
        customer none of whose rows is usable (reason ``no valid transaction``).
    """
    return _AllRows(
        transactions, customer_col, date_col, amount_col, date_format, observation_end
    ).rejects()
