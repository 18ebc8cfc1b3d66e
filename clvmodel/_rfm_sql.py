"""The RFM summary as one SQL query that both engines run: DuckDB (files) and Spark (clusters).

The query reads a relation of valid purchases with three columns, ``customer_id``, ``purchase_day``
(whole days since 1970-01-01) and ``amount`` (a double), all on or before the end of observation,
and returns one row per customer. It keeps to SQL that DuckDB and Spark SQL read the same way:
integer day numbers instead of date arithmetic (whose functions differ), a window for each
customer's first day, explicit casts to DOUBLE, and no quoted identifiers. The conventions are those
of :func:`clvmodel.rfm_summary`: purchases on one day are one purchase day with their amounts added
up; ``frequency`` counts repeat purchase days; ``recency`` and ``T`` run from the first purchase day
to the last one and to the end of observation; ``monetary_value`` is the mean amount of the repeat
purchase days (0 without one).
"""

from __future__ import annotations

from clvmodel import _reading as rd
from clvmodel._reading import ID_TOO_LARGE  # defined with the other reasons; kept importable here
from clvmodel._reading_sql import id_sql, id_too_large_sql, reject_id_sql
from clvmodel._rfm_validate import RFM_BOUND, WHOLE_DAY_FLOOR, WHOLE_DAY_TOLERANCE

__all__ = [
    "ID_TOO_LARGE",
    "MORE_REPEATS_THAN_DAYS",
    "REPEATS_WITHOUT_TIME",
    "RFM_COLUMNS",
    "fitting_inputs_sql",
    "naive_inputs",
    "rfm_query",
    "rfm_id_sql",
    "rfm_reject_reason",
    "spend_sql",
    "split_fitting_inputs",
    "with_whole_frequency",
]

# The reasons a transaction row is rejected are in clvmodel._reading_sql (shared reading rules).

#: Columns of an RFM table, as scored.
RFM_COLUMNS = ("frequency", "recency", "T", "monetary_value")

# Why an RFM row is rejected, beyond the literal reasons of rfm_reject_reason: frequency counts
# repeat purchase days, so a repeat buyer's recency holds at least one day per repeat purchase
# (the rule of clvmodel.rfm.validate_rfm, there for the whole table).
#: A repeat buyer whose last purchase is on the day of the first.
REPEATS_WITHOUT_TIME = "repeat purchases with recency 0"
#: More repeat purchase days than days in recency (checked when the table's unit is known).
MORE_REPEATS_THAN_DAYS = "more repeat purchases than days in recency"


def rfm_query(purchases: str, end_day: int, unit_days: float, dialect=None) -> str:
    """SQL for the RFM summary of ``purchases`` (a table name, or a sub-query in parentheses).

    Parameters
    ----------
    purchases : str
        Relation with ``customer_id``, ``purchase_day`` (integer) and ``amount`` (double), holding
        only valid purchases on or before ``end_day``.
    end_day : int
        End of observation as a day number (days since 1970-01-01).
    unit_days : float
        Days per time unit of ``recency`` and ``T`` (1 or 7).
    dialect : clvmodel._reading_sql.Dialect, optional
        ``Dialect("postgres")`` for PostgreSQL, which spells ``DOUBLE`` as ``DOUBLE PRECISION``
        and folds an unquoted ``T`` to ``t``; ``Dialect("duckdb")`` adds amounts with
        compensated summation (below); the default text is the one DuckDB and Spark SQL share.

    Returns
    -------
    str
        A query with columns ``customer_id``, ``frequency``, ``recency``, ``T``,
        ``monetary_value``, ``orders`` (purchase days), ``revenue`` (total amount) and
        ``first_day`` (day number of the first purchase).
    """
    end_day = int(end_day)
    postgres = dialect is not None and dialect.postgres
    double = "DOUBLE PRECISION" if postgres else "DOUBLE"
    big_t = '"T"' if postgres else "T"
    unit = f"CAST({float(unit_days)!r} AS {double})"
    # DuckDB adds a group's values in whatever order its threads meet them: with SUM, half the
    # customers of a log with ~17 purchases each got totals differing in the last bits from one
    # run to the next, and so did the Gamma-Gamma fit. DuckDB 2.0's fsum gives the correctly
    # rounded total, whatever the order, for a cost within the runs' spread (benchmarks/
    # RESULTS.md, 2026-12-05); 1.x's is Kahan's sum, closer than SUM but not order-free.
    add = "fsum" if dialect is not None and dialect.name == "duckdb" else "SUM"
    # The repeat days' amounts are added up apart from the first day's: the total minus the
    # first day's amount loses the cents of small repeat purchases after a large first one
    # (0.01495 for a mean of 0.015 after 9.99e11), which the other routes keep.
    return f"""
        WITH purchase_days AS (
            SELECT customer_id, purchase_day, {add}(amount) AS amount,
                   MIN(purchase_day) OVER (PARTITION BY customer_id) AS start_day
            FROM {purchases}
            GROUP BY customer_id, purchase_day
        ), customers AS (
            SELECT customer_id,
                   MIN(purchase_day) AS first_day,
                   MAX(purchase_day) AS last_day,
                   COUNT(*) AS n_days,
                   {add}(amount) AS total,
                   {add}(CASE WHEN purchase_day > start_day THEN amount
                              ELSE CAST(0 AS {double}) END) AS repeat_total
            FROM purchase_days
            GROUP BY customer_id
        )
        SELECT customer_id,
               n_days - 1 AS frequency,
               CAST(last_day - first_day AS {double}) / {unit} AS recency,
               CAST({end_day} - first_day AS {double}) / {unit} AS {big_t},
               CASE WHEN n_days > 1
                    THEN repeat_total / CAST(n_days - 1 AS {double})
                    ELSE CAST(0 AS {double}) END AS monetary_value,
               n_days AS orders,
               total AS revenue,
               first_day
        FROM customers
    """


def rfm_id_sql(column: str, kind: str, dialect) -> tuple[str, str, str]:
    """SQL for the customer id of a table with one row per customer, by the rules of transaction
    logs (:mod:`clvmodel._reading`, "Customer ids"), so that every route sees the same customers.

    Text is trimmed, ``"7.0"`` is ``"7"`` and NaN-like texts are missing; a floating-point column
    gives whole numbers as integers (``3.0`` and ``3`` are one customer), while its fractional
    values and those beyond 2**53 are no id.

    Parameters
    ----------
    column : str
        The id column, quoted for the engine.
    kind : str
        Its kind, as :func:`clvmodel._reading_sql.kind_of` gives it.
    dialect : clvmodel._reading_sql.Dialect
        The engine's spellings.

    Returns
    -------
    customer : str
        The normalised id; NULL where it is missing or no id.
    shown : str
        The id a rejects list shows: the normalised id, or the value as written when it is no id.
    problem : str
        Why a present value is no id (:data:`clvmodel._reading.ID_TOO_LARGE` or "customer id
        is not a whole number"), NULL otherwise.
    """
    customer, fractional = id_sql(column, kind, dialect)
    shown = reject_id_sql(column, kind, dialect)
    if kind not in ("float", "decimal"):
        return customer, shown, "NULL"
    too_large = id_too_large_sql(column, kind, dialect)
    problem = (
        f"CASE WHEN {too_large} THEN {dialect.literal(ID_TOO_LARGE)} "
        f"WHEN {fractional} THEN {dialect.literal(rd.ID_NOT_WHOLE)} END"
    )
    return customer, shown, problem


def spend_sql(column: str, frequency: str, kind: str, dialect) -> str:
    """SQL for the ``monetary_value`` of an RFM table's row as DOUBLE, read as
    :func:`clvmodel.rfm.validate_rfm` reads it: 0 where it is missing for a customer without
    repeat purchases (no repeat purchase, no mean spend), NULL where it does not parse.

    Missing is NULL, NaN or, in a text column, a missing-value text (``""``, ``"NA"``, ...,
    :data:`clvmodel._reading.MISSING_TEXTS`); other text that is no number stays NULL (a
    reject, "missing or non-numeric value"), and so does a missing value of a repeat buyer.

    Parameters
    ----------
    column : str
        The ``monetary_value`` column, quoted for the engine.
    frequency : str
        SQL for the row's frequency as DOUBLE (NULL where it did not parse).
    kind : str
        The column's kind, as :func:`clvmodel._reading_sql.customer_id_kind` gives it.
    dialect : clvmodel._reading_sql.Dialect
        The engine's spellings.

    Returns
    -------
    str
    """
    value = dialect.try_double(column)
    missing = f"{column} IS NULL OR {dialect.is_nan(value)}"
    if kind == "text":
        texts = ", ".join(dialect.literal(t) for t in rd.MISSING_TEXTS)
        missing += f" OR lower({dialect.trim(dialect.text(column))}) IN ({texts})"
    return f"CASE WHEN {frequency} = 0 AND ({missing}) THEN CAST(0 AS DOUBLE) ELSE {value} END"


def rfm_reject_reason(
    dialect, id_problem: str | None = None, unit_days: float | None = None
) -> str:
    """SQL ``CASE`` giving why a row of an RFM table cannot be scored (NULL when it can).

    Parameters
    ----------
    dialect : clvmodel._reading_sql.Dialect
        Spells the NaN test.
    id_problem : str, optional
        SQL for why the row's id is no id (the ``problem`` of :func:`rfm_id_sql`, or a column
        holding it), the first reason checked; without it only a NULL id is one.
    unit_days : float, optional
        Days per unit of the row's ``recency`` as written (1 for days, 7 for weeks): a repeat
        buyer with more repeat purchases than days in recency, a whole number of them (see
        :func:`clvmodel._rfm_validate.repeats_without_time`), is rejected
        (:data:`MORE_REPEATS_THAN_DAYS`, against the whole number of days as
        :func:`clvmodel.rfm.validate_rfm` counts it). Without it only recency 0 bounds them
        (:data:`REPEATS_WITHOUT_TIME`).

    Returns
    -------
    str
        The ``CASE`` expression, over a row whose ``customer_id``, ``frequency``, ``recency``,
        ``T`` and ``monetary_value`` are already cast (id normalised or kept, values to DOUBLE,
        NULL where a value did not parse; ``monetary_value`` by :func:`spend_sql`, so 0 where it
        is missing for a customer without repeat purchases).
    """
    missing = " OR ".join(f"{v} IS NULL" for v in RFM_COLUMNS)
    not_finite = " OR ".join(
        f"{dialect.is_nan(v)} OR abs({v}) = CAST('Infinity' AS DOUBLE)" for v in RFM_COLUMNS
    )
    id_check = "" if id_problem is None else f"WHEN {id_problem} IS NOT NULL THEN {id_problem}"
    days_check = ""
    if unit_days is not None:
        # As repeats_without_time: a whole number of days bounds frequency, rounded.
        days = f"(recency * CAST({float(unit_days)!r} AS DOUBLE))"
        tolerance = f"{WHOLE_DAY_TOLERANCE!r} * greatest({WHOLE_DAY_FLOOR!r}, {days})"
        whole = f"abs({days} - round({days})) <= {tolerance}"
        days_check = f"WHEN frequency > round({days}) AND {whole} THEN '{MORE_REPEATS_THAN_DAYS}'"
    return f"""
        CASE {id_check}
             WHEN customer_id IS NULL THEN 'missing customer id'
             WHEN {missing} THEN 'missing or non-numeric value'
             WHEN {not_finite} THEN 'value is not finite'
             WHEN frequency < 0 OR frequency <> round(frequency)
                  THEN 'frequency is not a whole number >= 0'
             WHEN frequency > {RFM_BOUND!r} THEN 'frequency beyond 1e12'
             WHEN abs(monetary_value) > {RFM_BOUND!r} THEN 'monetary_value beyond ±1e12'
             WHEN recency < 0 OR T < 0 THEN 'negative recency or T'
             WHEN recency > T THEN 'recency > T'
             WHEN frequency = 0 AND recency <> 0 THEN 'recency > 0 without repeat purchase'
             WHEN frequency > 0 AND recency = 0 THEN '{REPEATS_WITHOUT_TIME}'
             {days_check}
             WHEN frequency > 0 AND monetary_value < 0 THEN 'negative monetary_value'
        END
    """


# The aggregates of the summary a fit needs, as DuckDB and PostgreSQL run them (``"T"`` quoted for
# PostgreSQL, where unquoted names fold to lower case); ``rfm`` is a table name or a sub-query.
def fitting_inputs_sql(rfm: str, postgres: bool = False) -> str:
    """SQL giving, in one pass over ``rfm``, the distinct (frequency, recency, T) rows with the
    customers each stands for (``grouping`` 1), the distinct (frequency, monetary_value) rows
    with their repeat buyers (``grouping`` 6, ``repeat`` > 0) and the naive formula's totals
    (``grouping`` 15): a fit needs all three, and three queries would each summarise the whole
    log again (three reads of a CSV file instead of one). DuckDB's
    revenue is a compensated sum (as in :func:`rfm_query`); PostgreSQL's sums are cast back to
    the types its separate queries gave."""
    orders, revenue = "SUM(orders)", "fsum(revenue)"
    if postgres:
        orders, revenue = "CAST(SUM(orders) AS BIGINT)", "CAST(SUM(revenue) AS DOUBLE PRECISION)"
    return f"""
        SELECT GROUPING(frequency, recency, "T", monetary_value) AS grouping,
               frequency, recency, "T", monetary_value,
               COUNT(*) AS customers, COUNT(*) FILTER (WHERE frequency > 0) AS repeat,
               {orders} AS orders, {revenue} AS revenue, MIN(first_day) AS first_day
        FROM {rfm}
        GROUP BY GROUPING SETS ((frequency, recency, "T"), (frequency, monetary_value), ())
    """


def split_fitting_inputs(frame, time_unit: str):
    """``(histories, spends, totals)`` from the result of :func:`fitting_inputs_sql`: the frames
    of distinct (frequency, recency, T) and of repeat buyers' (frequency, monetary_value), each
    with ``customers`` (whole frequencies, the histories' ``time_unit`` recorded), and the row
    (customers, orders, revenue, first day)."""
    histories = frame.loc[frame["grouping"] == 1, ["frequency", "recency", "T", "customers"]]
    spends = frame.loc[(frame["grouping"] == 6) & (frame["repeat"] > 0)]
    spends = spends[["frequency", "monetary_value", "repeat"]].rename(
        columns={"repeat": "customers"}
    )
    totals = frame.loc[frame["grouping"] == 15].iloc[0]
    return (
        with_whole_frequency(histories.reset_index(drop=True), time_unit),
        with_whole_frequency(spends.reset_index(drop=True)),
        tuple(totals[["customers", "orders", "revenue", "first_day"]]),
    )


def with_whole_frequency(frame, time_unit: str | None = None):
    """``frame`` (distinct rows with a ``frequency``) with integer frequencies, and the time unit
    recorded in ``attrs`` when given."""
    frame["frequency"] = frame["frequency"].astype("int64")
    if time_unit is not None:
        frame.attrs["time_unit"] = time_unit
    return frame


def naive_inputs(row, years: float) -> dict[str, float]:
    """The naive CLV formula's inputs from a row of customers, orders and revenue, and the
    observed years."""
    return {
        "customers": int(row[0]),
        "orders": int(row[1]),
        "revenue": float(row[2]),
        "years": float(years),
    }
