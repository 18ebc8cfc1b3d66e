"""Transaction logs in Spark: typed and checked rows, their rejects and the RFM summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clvmodel._reading import AFTER_END, check_amount_texts
from clvmodel._reading_sql import (
    amount_sql,
    customer_id_kind,
    date_dictionary,
    date_text_sql,
    id_sql,
    id_too_large_sql,
    kind_of,
    nothing_usable_error,
    odd_amounts_sql,
    reject_id_sql,
    reject_reason_sql,
)
from clvmodel.errors import InputError
from clvmodel.rfm import TIME_UNITS, check_not_in_future, day_number, observation_end_day
from clvmodel.spark._common import (
    SPARK,
    check_column_kinds,
    check_on_invalid,
    column_types,
    quote_name,
    session_today,
    strftime_pattern,
    summarise,
    usable_sql,
)

__all__ = ["SparkTransactions", "rfm_summary"]


@dataclass
class SparkTransactions:
    """A transaction log in a Spark DataFrame, typed and checked row by row.

    Parameters
    ----------
    data : pyspark.sql.DataFrame
        One row per purchase.
    customer_col, date_col, amount_col : str
        Column names; ``amount_col=None`` for a log without amounts.
    date_format : str, optional
        strftime pattern of text or whole-number dates, e.g. ``"%d/%m/%Y"`` (Spark patterns such
        as ``"yyyyMMdd"`` are translated); without it dates are read by the shared rules of
        :mod:`clvmodel._reading` (ISO, or ``NN/NN/YYYY`` when a value settles the order).
    observation_end : date-like, optional
        End of observation (inclusive); defaults to the last purchase date, which must not be in
        the future.
    time_unit : {"W", "D"}
        Unit of recency and ``T``.
    drop_duplicates : bool
        Leave out valid rows that repeat another one exactly (same customer, date as written and
        amount); :meth:`duplicate_rows` counts them either way.

    Notes
    -----
    The rules are those of every route (:mod:`clvmodel._reading`, as SQL in
    :mod:`clvmodel._reading_sql`): a row with a missing (or ``"NaN"``) or fractional customer id,
    or a floating-point one beyond 2**53 (too large to be exact, which its reason says), a
    missing or unparseable date or one before 1900, a missing, non-numeric, non-finite, negative
    or absurd (beyond ±1e12) amount, or a date after ``observation_end`` is rejected with that
    reason. Text dates are read through a dictionary of their distinct values (one small
    collect), so ambiguous or mixed formats raise as in pandas. A timestamp's day is its
    calendar day in the Spark session's time zone (``spark.sql.session.timeZone``).
    """

    data: object
    customer_col: str = "customer_id"
    date_col: str = "date"
    amount_col: str | None = "amount"
    date_format: str | None = None
    observation_end: object = None
    time_unit: str = "W"
    drop_duplicates: bool = False

    def __post_init__(self):
        if self.time_unit not in TIME_UNITS:
            raise InputError(f"time_unit={self.time_unit!r} is not supported; use 'D' or 'W'.")
        types = column_types(self.data)
        if self.data.isStreaming:  # else Spark's AnalysisException at the first collect
            raise InputError(
                "the transactions are a streaming DataFrame (spark.readStream); an RFM summary "
                "needs the whole log at once: read it with spark.read (e.g. the files or the "
                "table the stream writes to)."
            )
        needed = {"customer": self.customer_col, "date": self.date_col}
        if self.amount_col is not None:
            needed["amount"] = self.amount_col
        missing = [f"{role} column {name!r}" for role, name in needed.items() if name not in types]
        if missing:
            raise InputError(
                f"the DataFrame has no {', '.join(missing)}; its columns are {list(types)}. Name "
                "the right ones with customer_col=, date_col= and amount_col=."
            )
        check_column_kinds(types, {"customer": self.customer_col, "amount": self.amount_col})
        self.session = self.data.sparkSession
        self.date_format = strftime_pattern(self.date_format)
        id_kind = customer_id_kind(types[self.customer_col])
        customer, fractional = id_sql(quote_name(self.customer_col), id_kind, SPARK)
        day = self._day_sql(types)  # sets the dictionary of date texts when one is needed
        date_text = "CAST(NULL AS STRING)" if self._dates is None else self._date_text
        self.typed = self.data.selectExpr(
            f"{customer} AS customer_id",
            f"{id_too_large_sql(quote_name(self.customer_col), id_kind, SPARK)} AS id_too_large",
            f"{fractional} AS id_fractional",
            f"{reject_id_sql(quote_name(self.customer_col), id_kind, SPARK)} AS reject_id",
            f"{day} AS day",
            f"{date_text} AS date_text",
            f"{self._amount_sql(types)} AS amount",
            f"CAST({quote_name(self.date_col)} AS STRING) AS raw_date",
            "CAST(NULL AS STRING)"
            if self.amount_col is None
            else f"CAST({quote_name(self.amount_col)} AS STRING)",
        ).toDF(
            "customer_id",
            "id_too_large",
            "id_fractional",
            "reject_id",
            "day",
            "date_text",
            "amount",
            "raw_date",
            "raw_amount",
        )
        if self._dates is not None:
            from pyspark.sql import functions as F

            days = self.session.createDataFrame(self._dates, "date_text string, day_number long")
            self.typed = (
                self.typed.join(F.broadcast(days), "date_text", "left")
                .withColumn("day", F.expr(SPARK.date_of_day("day_number")))
                .drop("date_text", "day_number")
            )
        if self.amount_col is not None:  # before the end: amounts all '12,50' are not 'no row'
            self._check_amounts()
        self.end = self._observation_end()
        self.end_day = day_number(self.end)
        reason = reject_reason_sql(self.end.strftime("%Y-%m-%d"), self.amount_col is not None,
                                   SPARK)  # fmt: skip
        self.checked = self.typed.selectExpr("*", f"{reason} AS reason")

    # ----------------------------------------------------------------------------------------------
    def _day_sql(self, types: dict[str, str]) -> str:
        """The day of typed dates (with or without ``date_format``, which is for text dates);
        for text (or numbers with ``date_format``), the date text to look up in the dictionary of
        distinct date texts read by the shared rules."""
        column, kind = quote_name(self.date_col), kind_of(types[self.date_col])
        self._dates = self._odd_amounts = None
        if kind == "date":
            return column
        if kind == "timestamp":
            return f"CAST({column} AS DATE)"
        if self.date_format is None and kind in ("integer", "float"):
            raise InputError(
                f"column {self.date_col!r} holds numbers ({types[self.date_col]}), which are "
                "ambiguous as dates; pass date_format=, e.g. '%Y%m%d' (or Spark's 'yyyyMMdd') for "
                "19970101."
            )
        if kind == "other":
            raise InputError(
                f"column {self.date_col!r} is of type {types[self.date_col]}, not a date, time or "
                "text."
            )
        text = date_text_sql(column, kind, SPARK)
        texts = self.data.selectExpr(f"{text} AS t").distinct().selectExpr("t", "false AS odd")
        odd = self._odd_amounts_query(types)
        if odd is not None:  # the texts _check_amounts reads, collected in the same job
            texts = texts.unionByName(odd.selectExpr("amount AS t", "true AS odd"))
        rows = texts.collect()
        if odd is not None:
            self._odd_amounts = [row[0] for row in rows if row[1]]
        texts = [row[0] for row in rows if not row[1]]
        self._dates = date_dictionary(texts, self.date_format, self.date_col)
        self._date_text = text
        return "CAST(NULL AS DATE)"

    def _amount_sql(self, types: dict[str, str]) -> str:
        if self.amount_col is None:
            return "CAST(1.0 AS DOUBLE)"
        return amount_sql(quote_name(self.amount_col), kind_of(types[self.amount_col]), SPARK)

    def _odd_amounts_query(self, types: dict[str, str]):
        """A few amount texts with a currency or a comma, or true/false (None unless amounts are
        text or booleans, which every route refuses in words)."""
        kind = None if self.amount_col is None else types[self.amount_col]
        if kind is None or not (kind_of(kind) == "text" or kind == "boolean"):
            return None
        self.data.selectExpr(
            f"{self._amount_sql(types)} AS amount",
            f"CAST({quote_name(self.amount_col)} AS STRING) AS raw_amount",
        ).createOrReplaceTempView("clv_typed_amounts")
        return self.session.sql(odd_amounts_sql("clv_typed_amounts", SPARK))

    def _check_amounts(self) -> None:
        """Refuse amounts written with a currency or a decimal comma (text columns only)."""
        odd = self._odd_amounts
        if odd is None:
            query = self._odd_amounts_query(dict(self.data.dtypes))
            if query is None:
                return
            odd = [row[0] for row in query.collect()]
        check_amount_texts(odd, self.amount_col)

    def _observation_end(self) -> pd.Timestamp:
        self._reasons = self._usable = None
        today = session_today(self.session)  # the day a timestamp has today, in Spark
        if self.observation_end is not None:
            end_day = observation_end_day(self.observation_end, self.date_format, today=today)
            return pd.Timestamp(np.datetime64(end_day, "D"))
        # One pass gives the last usable day and the rejected rows by reason: with the end of
        # observation on the last usable day no row falls after it, so the reasons that ignore
        # the end are the reasons (kept for reason_counts).
        from pyspark.sql import functions as F

        rows = (
            self.typed.selectExpr(f"{usable_sql(self.amount_col is not None)} AS reason", "day")
            .groupBy("reason")
            .agg(F.max("day").alias("latest"), F.count("*").alias("count"))
            .collect()
        )
        self._count_reasons(rows)
        latest = next((row["latest"] for row in rows if row["reason"] is None), None)
        if latest is None:
            self.raise_nothing_valid()
        check_not_in_future(day_number(pd.Timestamp(latest)), "observation_end=", today)
        return pd.Timestamp(latest)

    def _count_reasons(self, rows) -> None:
        """Keep the rejected rows by reason and the usable rows (``reason`` NULL) of ``rows``."""
        counts = {row["reason"]: int(row["count"]) for row in rows}
        self._usable, self._reasons = counts.pop(None, 0), Counter(counts)

    def raise_nothing_valid(self):
        """Raise the error for a log without one usable row, as the other routes say it: an end
        of observation before the first purchase, or the rejected rows by reason."""
        reasons = self.reason_counts()
        if not reasons:
            raise InputError("the DataFrame has no rows: there is nothing to read.")
        first_day = self.typed.selectExpr("min(day)").first  # asked for only when needed
        raise nothing_usable_error(reasons, getattr(self, "end", None), lambda: first_day()[0])

    def check_usable(self) -> None:
        """Raise as :meth:`raise_nothing_valid` unless a row is usable (a short pass over the
        data when the rows were not counted yet)."""
        usable = self.checked.where("reason IS NULL")
        if self._usable == 0 or (self._usable is None and usable.isEmpty()):
            self.raise_nothing_valid()

    # ----------------------------------------------------------------------------------------------
    def purchases(self):
        """Valid purchases: ``customer_id``, ``purchase_day`` (days since 1970-01-01), amount."""
        valid = self.checked.where("reason IS NULL")
        if self.drop_duplicates and self.amount_col is not None:
            valid = valid.dropDuplicates(["customer_id", "raw_date", "amount"])
        return valid.selectExpr("customer_id", "unix_date(day) AS purchase_day", "amount")

    def duplicate_rows(self) -> int:
        """Valid rows that repeat another valid row exactly (same customer, date as written and
        amount; 0 without amounts, where copies change nothing). One pass over the data."""
        if self.amount_col is None:
            return 0
        valid = self.checked.where("reason IS NULL")
        counts = valid.groupBy("customer_id", "raw_date", "amount").count()
        extra = counts.where("count > 1").selectExpr("sum(count - 1) AS n").collect()[0]["n"]
        return int(extra or 0)

    def reason_counts(self) -> Counter:
        """Rejected rows by reason (one pass over the data, none when the end of observation was
        read from the data: that pass counted them)."""
        if self._reasons is None:
            self._count_reasons(self.checked.groupBy("reason").count().collect())
        return Counter(self._reasons)

    def raise_on_invalid(self, reasons: Counter | None = None) -> None:
        """Raise :class:`~clvmodel.InputError` if a row is invalid (a purchase after the end of
        observation is not: it is ignored, as by :func:`clvmodel.rfm_summary`)."""
        reasons = self.reason_counts() if reasons is None else reasons
        invalid = {reason: n for reason, n in reasons.items() if reason != AFTER_END}
        if invalid:
            listed = ", ".join(f"{n:,} {reason!r}" for reason, n in sorted(invalid.items()))
            raise InputError(
                f"{sum(invalid.values()):,} row(s) of the transactions cannot be used ({listed}). "
                "List them with clvmodel.spark.rejects(...) and fix them, or pass "
                "on_invalid='drop' to leave them out."
            )
        self.check_usable()  # every row may fall after the end of observation

    def rfm(self, extra: bool = False):
        """The RFM summary, one row per customer with a valid purchase (a Spark DataFrame).

        With ``extra``, also ``orders``, ``revenue`` and ``first_day`` for the naive formula.
        """
        return summarise(self.session, self.purchases(), self.end_day, self.time_unit, extra)

    def rejects(self):
        """Rejected rows (``customer_id``, raw ``date`` and ``amount``, ``reason``), and one row per
        customer none of whose rows could be used (reason ``no valid transaction``)."""
        from pyspark.sql import functions as F

        rows = self.checked.where("reason IS NOT NULL").selectExpr(
            "reject_id AS customer_id", "raw_date AS date", "raw_amount AS amount", "reason"
        )
        unusable = (
            self.checked.where("customer_id IS NOT NULL")
            .groupBy("customer_id")
            .agg(
                F.count("reason").alias("rejected"),
                F.count("*").alias("rows"),
                F.min("reject_id").alias("shown_id"),
            )
            .where("rejected = rows")
            .selectExpr(
                "shown_id AS customer_id",
                "CAST(NULL AS STRING) AS date",
                "CAST(NULL AS STRING) AS amount",
                "'no valid transaction' AS reason",
            )
        )
        return rows.unionByName(unusable)


def rfm_summary(
    transactions,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str | None = "amount",
    observation_end=None,
    time_unit: str = "W",
    date_format: str | None = None,
    on_invalid: str = "raise",
    drop_duplicates: bool = False,
):
    """The RFM summary of a Spark transaction log, computed in Spark SQL.

    Same conventions and numbers as :func:`clvmodel.rfm_summary` (Fader, Hardie and Lee 2005):
    purchases of one customer on one day are one purchase day with their amounts added up;
    ``frequency`` counts repeat purchase days, ``recency`` is the time from the first purchase to
    the last, ``T`` the customer's age at ``observation_end``, and ``monetary_value`` the mean
    amount of the repeat purchase days (0 without one). Purchases after ``observation_end`` are
    ignored.

    Parameters
    ----------
    transactions : pyspark.sql.DataFrame
        One row per purchase.
    customer_col, date_col, amount_col : str
        Column names; ``amount_col=None`` leaves out ``monetary_value``.
    observation_end : date-like, optional
        End of observation (inclusive); defaults to the last purchase date.
    time_unit : {"W", "D"}
        Unit of ``recency`` and ``T``.
    date_format : str, optional
        strftime pattern of the dates (e.g. ``"%d/%m/%Y"``; Spark's ``"yyyyMMdd"`` style is
        translated, a trailing time dropped), as in :func:`clvmodel.rfm_summary`.
    on_invalid : {"raise", "drop"}
        Rows that cannot be used (see :class:`SparkTransactions`): raise an
        :class:`~clvmodel.InputError` (default; costs one pass over the data) or leave them out
        (list them with :func:`rejects`; a short pass checks that a row is left).
    drop_duplicates : bool
        Leave out rows that repeat another row exactly (count them with
        ``SparkTransactions(...).duplicate_rows()``); by default they are kept.

    Returns
    -------
    pyspark.sql.DataFrame
        ``customer_id``, ``frequency`` (long), ``recency``, ``T`` and, with amounts,
        ``monetary_value`` (doubles); one row per customer with a valid purchase.
    """
    check_on_invalid(on_invalid)
    source = SparkTransactions(
        transactions, customer_col, date_col, amount_col, date_format, observation_end, time_unit,
        drop_duplicates,
    )  # fmt: skip
    if on_invalid == "raise":
        source.raise_on_invalid()  # which checks that some row is usable
    else:
        source.check_usable()
    summary = source.rfm()
    return summary if amount_col is not None else summary.drop("monetary_value")
