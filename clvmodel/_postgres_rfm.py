"""The transaction log's checks and RFM summary run inside PostgreSQL: only aggregates cross the
wire.

For a table (or query) whose columns have clean types, a customer id of an integer or text type,
a ``date``/``timestamp`` date and a numeric amount (or none), the row checks, the reject reasons
and the RFM summary are the SQL of :mod:`clvmodel._reading_sql` and :mod:`clvmodel._rfm_sql` in
PostgreSQL's spelling, the rules every other route applies. Other types (text dates, text amounts,
a ``date_format``) are read through the Parquet spool of :mod:`clvmodel._postgres_read` instead,
where DuckDB reads them by the same rules as a file.

Every query runs in one ``REPEATABLE READ`` transaction, so the counts, the rejects and the
summary all describe the same snapshot of the table even while it is being written to.
"""

from __future__ import annotations

import contextlib
import weakref

import numpy as np
import pandas as pd

from clvmodel import _reading_sql, _rfm_sql
from clvmodel._postgres_connect import (
    connect,
    display,
    rollback_quietly,
    sqlstate,
    translate_error,
)
from clvmodel._postgres_read import (
    base_type,
    describe_source,
    nullable_integer,
    quote_name_part,
    relation_sql,
    require_columns,
    source_name,
)
from clvmodel._reading_sql import Dialect, id_sql, reject_reason_sql
from clvmodel._rfm_common import as_rfm_frame
from clvmodel._rfm_sql import rfm_query
from clvmodel.errors import InputError
from clvmodel.rfm import TIME_UNITS, check_not_in_future, day_number, observation_end_day
from clvmodel.value import observed_years

__all__ = ["PostgresLog", "can_push_down", "push_down"]

_PG = Dialect("postgres")
_INTEGERS = ("smallint", "integer", "bigint")
_TEXTS = ("text", "character varying", "character", "varchar", "char", "bpchar")
_NUMBERS = (*_INTEGERS, "real", "double precision", "numeric")
_DATES = ("date", "timestamp without time zone", "timestamp with time zone")


def can_push_down(types: dict, customer_col: str, date_col: str, amount_col, date_format) -> bool:
    """Whether the columns' PostgreSQL types let the checks and the summary run in SQL."""
    return (
        date_format is None
        and base_type(types[customer_col]) in (*_INTEGERS, *_TEXTS)
        and base_type(types[date_col]) in _DATES
        and (amount_col is None or base_type(types[amount_col]) in _NUMBERS)
    )


def push_down(source, needed: dict[str, str]) -> PostgresLog | None:
    """The log of ``source`` (a :class:`clvmodel.engine.TransactionSource` of a PostgreSQL URI)
    summarised inside the server, or None when its ``pushdown`` is False or, left unset, the
    columns' types do not allow it (:func:`can_push_down`); ``needed``: role -> column."""
    if source.pushdown is False:
        return None
    what = source_name(source.table)
    types = describe_source(source.path, source.table, source.query)
    require_columns(types, needed, f"{what} at {display(source.path)}")
    columns = (source.customer_col, source.date_col, source.amount_col)
    if not can_push_down(types, *columns, source.date_format):
        if source.pushdown:
            raise InputError(
                f"cannot summarise {what} inside PostgreSQL: the columns' types are "
                f"{ {c: types[c] for c in needed.values()} }; it takes integer or text ids, "
                "date or timestamp dates and numeric amounts. Leave pushdown unset."
            )
        return None
    return PostgresLog(
        source.path, source.table, source.query, types, *columns, source.observation_end,
        source.time_unit, source.drop_duplicates,
    )  # fmt: skip


class PostgresLog:
    """The methods of :class:`clvmodel.engine.TransactionSource` for a PostgreSQL table or
    query whose column types pass :func:`can_push_down`; the engine delegates to it."""

    def __init__(self, uri, table, query, types, customer_col, date_col, amount_col,
                 observation_end, time_unit, drop_duplicates):  # fmt: skip
        self.uri, self.what = uri, source_name(table)
        self.amount_col = amount_col
        self.with_amount = amount_col is not None
        self.time_unit = time_unit
        self.customer_type = types[customer_col]  # for writing scores back
        self.text_ids = base_type(types[customer_col]) in _TEXTS
        relation = relation_sql(table, query)
        customer, _ = id_sql(quote_name_part(customer_col), "text" if self.text_ids else "integer",
                             _PG)  # fmt: skip
        if amount_col is None:
            amount, raw_amount = "CAST(1 AS DOUBLE PRECISION)", "NULL"
        else:
            value = f"CAST({quote_name_part(amount_col)} AS DOUBLE PRECISION)"
            # NaN is a missing amount, as in every route; PostgreSQL's NaN equals itself. A
            # numeric Infinity is a non-numeric amount, as the text 'Infinity' in a CSV file.
            infinite = (
                f" OR abs({value}) = 'Infinity'"
                if base_type(types[amount_col]) == "numeric"
                else ""
            )
            amount = f"CASE WHEN {value} = 'NaN'{infinite} THEN NULL ELSE {value} END"
            raw_amount = f"CAST({quote_name_part(amount_col)} AS TEXT)"
        date = quote_name_part(date_col)
        self.typed = (
            f"SELECT {customer} AS customer_id, FALSE AS id_too_large, FALSE AS id_fractional, "
            f"CASE WHEN isfinite({date}) THEN CAST({date} AS DATE) END AS day, {amount} AS amount, "
            f"CAST({date} AS TEXT) AS raw_date, {raw_amount} AS raw_amount FROM {relation}"
        )
        self.connection = connect(uri)
        self._finalizer = weakref.finalize(self, _close, self.connection)
        try:
            self.end = self._begin(observation_end)
        except BaseException:
            # The snapshot's lock on the table is released now, not when the error (kept by a
            # notebook as its last traceback) lets go of this object: it would block DDL.
            self.close()
            raise
        reason = reject_reason_sql(f"{self.end:%Y-%m-%d}", self.with_amount, _PG)
        self.checked = f"(SELECT *, {reason} AS reason FROM ({self.typed}) AS t) AS checked"
        day = "(day - DATE '1970-01-01') AS purchase_day"
        valid = f"(SELECT customer_id, {day}, amount, raw_date FROM ({self.typed}) AS t " \
                f"WHERE ({reason}) IS NULL)"  # fmt: skip
        purchases = (
            f"(SELECT DISTINCT customer_id, purchase_day, amount, raw_date FROM {valid} AS v)"
            if drop_duplicates
            else valid
        )
        unit = TIME_UNITS[time_unit]
        self.rfm_sql = f"({rfm_query(purchases + ' AS p', day_number(self.end), unit, _PG)}) AS r"
        self._inputs = None  # the fitting inputs, taken once

    def _begin(self, observation_end) -> pd.Timestamp:
        """Open the snapshot every query reads; the end of observation (by default the last
        usable day)."""
        self._run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        self._run("SET LOCAL TIME ZONE 'UTC'")
        # The rejects show dates as the spooled route does (2020-03-04), whatever the user's
        # DateStyle (SQL, DMY would show 04/03/2020).
        self._run("SET LOCAL DateStyle = 'ISO'")
        if observation_end is not None:
            return pd.Timestamp(np.datetime64(observation_end_day(observation_end, None), "D"))
        usable = reject_reason_sql("9999-12-31", self.with_amount, _PG)
        latest = self._one(f"SELECT MAX(day) FROM ({self.typed}) AS t WHERE ({usable}) IS NULL")
        if latest is None:
            self._raise_nothing_valid(None)
        end = pd.Timestamp(latest)
        check_not_in_future(day_number(end), "observation_end=")
        return end

    # ------------------------------------------------------------------------------------------
    def _run(self, sql: str):
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else None
        except Exception as exc:  # noqa: BLE001 - driver errors become one InputError
            raise self._error(exc) from None
        finally:
            cursor.close()

    def _error(self, exc: BaseException) -> InputError:
        """A driver error as one line; a numeric amount beyond double precision (1e400) named."""
        overflow = sqlstate(exc) == "22003" and "double precision" in str(exc)
        if overflow and self.amount_col is not None:
            return InputError(
                f"the amount column {self.amount_col!r} of {self.what} at {display(self.uri)} "
                "holds a value beyond the range of double precision (about 1.8e308); fix or "
                "remove that row, or read without pushdown (--no-pushdown) to list it with the "
                "rejected rows."
            )
        return translate_error(exc, self.uri, f"read {self.what} from")

    def _one(self, sql: str):
        return self._run(sql)[0][0]

    def _frame(self, sql: str, exact_ints: bool = False) -> pd.DataFrame:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
            # Integer ids stay exact integers beside NULLs (not floats: 2**53 + 1 would change).
            mapper = nullable_integer if exact_ints else None
            return cursor.fetch_arrow_table().to_pandas(types_mapper=mapper)
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc) from None
        finally:
            cursor.close()

    def close(self) -> None:
        self._finalizer()

    def _raise_nothing_valid(self, end):
        rows = self._one(f"SELECT COUNT(*) FROM ({self.typed}) AS t")
        if rows == 0:
            raise InputError(
                f"{self.what} at {display(self.uri)} has no rows: there is nothing to read."
            )
        reason = reject_reason_sql(
            "9999-12-31" if end is None else f"{end:%Y-%m-%d}", self.with_amount, _PG
        )
        reasons = dict(self._run(
            f"SELECT reason, COUNT(*) FROM (SELECT {reason} AS reason FROM ({self.typed}) AS t) "
            "AS r WHERE reason IS NOT NULL GROUP BY 1"
        ))  # fmt: skip
        raise _reading_sql.nothing_usable_error(
            reasons, end, lambda: self._one(f"SELECT MIN(day) FROM ({self.typed}) AS t")
        )

    # ------------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        row = self._run(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE reason IS NOT NULL), "
            "COUNT(DISTINCT customer_id), "
            "COUNT(DISTINCT customer_id) FILTER (WHERE reason IS NULL), "
            f"COUNT(*) FILTER (WHERE customer_id IS NULL) FROM {self.checked}"
        )[0]
        return _reading_sql.log_counts(row, self.duplicate_rows())

    def duplicate_rows(self) -> int:
        if not self.with_amount:
            return 0
        return int(self._one(_reading_sql.duplicate_rows_sql(self.checked)))

    def row_counts(self) -> dict[str, int]:
        row = self._run(
            f"SELECT COUNT(*), COUNT(*) FILTER (WHERE reason IS NOT NULL) FROM {self.checked}"
        )[0]
        return {"rows": row[0], "rejected_rows": row[1]}

    def rejects(self, rejected_rows: int | None = None) -> pd.DataFrame:
        if rejected_rows == 0:
            return _reading_sql.no_rejects()
        order = 'customer_id COLLATE "C"' if self.text_ids else "customer_id"
        return self._frame(
            f"""
            SELECT * FROM (
                SELECT customer_id, raw_date AS date, raw_amount AS amount, reason
                FROM {self.checked} WHERE reason IS NOT NULL
                UNION ALL
                SELECT customer_id, NULL, NULL, 'no valid transaction' FROM (
                    SELECT customer_id FROM {self.checked} WHERE customer_id IS NOT NULL
                    GROUP BY customer_id HAVING COUNT(*) FILTER (WHERE reason IS NULL) = 0
                ) AS none_valid
            ) AS rejected
            ORDER BY reason COLLATE "C", {order}, date COLLATE "C", CAST(amount AS TEXT) COLLATE "C"
            """,
            exact_ints=True,
        )

    def check_usable(self) -> dict[str, int]:
        counts = self.counts()
        if counts["valid_customers"] == 0:
            self._raise_nothing_valid(self.end)
        return counts

    def _rfm_select(self) -> str:
        return f'SELECT customer_id, frequency, recency, "T", monetary_value FROM {self.rfm_sql}'

    def rfm(self) -> pd.DataFrame:
        return as_rfm_frame(self._frame(self._rfm_select()), self.time_unit, self.with_amount)

    def rfm_batches(self, batch_size: int = 500_000):
        cursor = self.connection.cursor()
        try:
            cursor.execute(self._rfm_select())
            pending = None
            for batch in cursor.fetch_record_batch():
                frame = batch.to_pandas()
                pending = frame if pending is None else pd.concat([pending, frame])
                while len(pending) >= batch_size:
                    chunk, pending = pending.iloc[:batch_size], pending.iloc[batch_size:]
                    yield as_rfm_frame(chunk.copy(), self.time_unit, self.with_amount)
            if pending is not None and len(pending):
                yield as_rfm_frame(pending.copy(), self.time_unit, self.with_amount)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc) from None
        finally:
            cursor.close()

    def distinct_histories(self) -> pd.DataFrame:
        return self._fitting_inputs()[0].copy()

    def distinct_spends(self) -> pd.DataFrame:
        return self._fitting_inputs()[1].copy()

    def naive_inputs(self) -> dict[str, float]:
        row = self._fitting_inputs()[2]
        return _rfm_sql.naive_inputs(row, observed_years(int(row[3]), day_number(self.end)))

    def _fitting_inputs(self):
        """Histories, spends and the naive totals from one summary in the server."""
        if self._inputs is None:
            frame = self._frame(_rfm_sql.fitting_inputs_sql(self.rfm_sql, postgres=True))
            self._inputs = _rfm_sql.split_fitting_inputs(frame, self.time_unit)
        return self._inputs


def _close(connection) -> None:
    rollback_quietly(connection)  # a cut connection is closed all the same, not left to the GC
    with contextlib.suppress(Exception):
        connection.close()
