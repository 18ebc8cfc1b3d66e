"""Subscriber data: from a subscription table or cohort survivor counts to per-subscriber rows.

The contractual models (:class:`clvmodel.ShiftedBetaGeoModel`,
:class:`clvmodel.BetaDiscreteWeibullModel`) read one row per subscriber with two columns:

``periods``
    whole billing periods completed. For a subscriber still active at the end of observation,
    the renewals made so far (they are paying for period ``periods + 1``); for one who cancelled,
    the periods paid for, the period in which they cancelled included (a cancellation takes
    effect at the end of the period already paid for).
``cancelled``
    1 if the subscriber has cancelled, 0 if still active (censored).

In the models' terms a cancelled row says the lifetime T equals ``periods`` and an active row says
T > ``periods``; each subscriber carries their own censoring point, so cohorts that started at
different dates fit together.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import numpy as np
import pandas as pd

from clvmodel._random import random_generator
from clvmodel._reading import date_option
from clvmodel._subscription_dates import (
    add_periods,
    observation_end_date,
    observed_until,
    parse_dates,
    periods_between,
)
from clvmodel._subscription_screen import screen_subscription_table
from clvmodel._subscription_table import (
    EXAMPLES,
    checked_subscriptions,
    subscriber_numbers,
    survival_rows,
)
from clvmodel._subscription_table import refuse_repeated_subscribers as refuse_repeated_subscribers
from clvmodel._units import check_number
from clvmodel.errors import InputError

__all__ = [
    "PERIODS",
    "SUBSCRIBER_COLUMNS",
    "from_subscription_table",
    "from_survival_counts",
    "parse_dates",
    "screen_subscription_table",
    "simulate_subscription_table",
    "validate_subscribers",
]

#: Billing periods understood by :func:`from_subscription_table`.
PERIODS = {"M": "months", "W": "weeks", "Y": "years"}
SUBSCRIBER_COLUMNS = ("periods", "cancelled")


def from_survival_counts(
    survivors: Sequence[float], period: str | None = None, *, weighted: bool = False
) -> pd.DataFrame:
    """Per-subscriber rows from the survivor counts of one cohort.

    Parameters
    ----------
    survivors : sequence of int
        ``survivors[0]`` subscribers joined; ``survivors[k]`` of them were still subscribed after
        their k-th renewal (the end of period k). Whole numbers that never increase.
    period : {"M", "W", "Y"}, optional
        The billing period, recorded in ``attrs["period"]``.
    weighted : bool, keyword-only
        One row per distinct (``periods``, ``cancelled``) with a column ``subscribers``, how
        many subscribers it stands for (at most ``len(survivors)`` rows, whatever the cohort's
        size): fit it with ``model.fit(rows, weights=rows["subscribers"])``. Needed beyond 10
        million subscribers, where one row each would not fit in memory.

    Returns
    -------
    pandas.DataFrame
        One row per subscriber (index ``subscriber``), columns ``periods`` and ``cancelled``:
        ``survivors[k-1] - survivors[k]`` rows with ``periods = k, cancelled = 1`` for each k,
        and ``survivors[-1]`` rows still active after ``len(survivors) - 1`` periods. With
        ``weighted``, those groups as one row each (index ``row``; groups of 0 left out).

    Raises
    ------
    InputError
        Fewer than two counts, counts that are negative, not whole, or increase; a cohort of
        more than 10 million subscribers without ``weighted=True``.

    Examples
    --------
    >>> from clvmodel import subscriptions
    >>> rows = subscriptions.from_survival_counts([1000, 631, 468])
    >>> rows.groupby(["periods", "cancelled"]).size().to_dict()
    {(1, 1): 369, (2, 0): 468, (2, 1): 163}
    >>> groups = subscriptions.from_survival_counts([1000, 631, 468], weighted=True)
    >>> groups.values.tolist()
    [[1.0, 1.0, 369.0], [2.0, 1.0, 163.0], [2.0, 0.0, 468.0]]
    """
    table = survival_rows(survivors, weighted)
    if period is not None:
        table.attrs["period"] = _check_period(period)
    return table


# Over 80 lines only by its numpydoc docstring (with an example): the body is 25 lines.
def from_subscription_table(
    table: pd.DataFrame,
    customer_col: str = "customer_id",
    start_col: str = "start",
    end_col: str = "end",
    observation_end=None,
    period: str = "M",
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """Per-subscriber rows (whole billing periods completed, cancelled or not) from a
    subscription table.

    Billing periods run from the start date in steps of one period (calendar months or years,
    the day clipped to the month's length, so a subscription started on 31 January renews on
    28 or 29 February; or weeks of seven days). An active subscriber's ``periods`` counts the
    renewal dates on or before ``observation_end``; a cancelled one's counts the periods begun
    before the end date (at least one). An end date after ``observation_end`` is a cancellation
    not yet effective: the subscriber counts as active. An ``observation_end`` without a time
    covers its whole day: a start, renewal or cancellation at 15:00 that day is observed. An end
    date without a time is the day of the cancellation, before any renewal that day: on the day
    of a start at 15:00 it is a same-day cancellation (one period, as when the start has no
    time), not an end before the start.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per subscription.
    customer_col, start_col, end_col : str
        Columns holding the subscriber id, the start date and the cancellation date (empty while
        the subscription runs).
    observation_end : date-like
        End of observation; every start date must be on or before it.
    period : {"M", "W", "Y"}
        Billing period: months (default), weeks or years.
    keep : str or sequence of str
        Further columns of ``table`` to carry over (a price per period, a plan, a channel).

    Returns
    -------
    pandas.DataFrame
        Indexed by subscriber id: ``periods``, ``cancelled``, ``observed_periods`` (completed by
        ``observation_end``; fits censor a cancellation in a period still running there, see
        ``ContractualModel.fit``), then the ``keep`` columns; ``attrs["period"]``: the period.

    Raises
    ------
    InputError
        A column is missing; an id is missing or repeated; a start date is missing, unreadable
        or after ``observation_end``; an end date is unreadable or before its start date; a
        date column holds numbers (``20240115``) or dates with a two-digit year (``03/04/24``);
        ``observation_end`` is a number or has a two-digit year. The message names the column
        and shows the offending values.

    Examples
    --------
    >>> import pandas as pd
    >>> from clvmodel import subscriptions
    >>> table = pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...                       "start": ["2024-01-31", "2024-01-15", "2024-06-01"],
    ...                       "end": [None, "2024-03-20", "2024-07-01"]})
    >>> rows = subscriptions.from_subscription_table(table, observation_end="2024-12-31")
    >>> rows[["periods", "cancelled"]].to_dict("index")
    {'a': {'periods': 11, 'cancelled': 0}, 'b': {'periods': 3, 'cancelled': 1}, 'c': {'periods': 1, 'cancelled': 1}}
    """  # noqa: E501
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"expected a DataFrame of subscriptions, got {type(table).__name__}.")
    period = _check_period(period)
    keep = [keep] if isinstance(keep, str) else list(keep)  # keep="price": one column
    ids, start, end, end_of_data = checked_subscriptions(
        table, customer_col, start_col, end_col, observation_end, keep
    )
    last = observed_until(end_of_data)
    cancelled = end.notna() & (end <= last)
    renewals = periods_between(start, pd.Series(last, index=start.index), period, False)
    begun = periods_between(start, end.where(cancelled, start), period, strict=True) + 1
    periods = np.where(cancelled, np.maximum(begun, 1), renewals)
    rows = pd.DataFrame(
        {"periods": periods.astype("int64"), "cancelled": cancelled.to_numpy().astype("int64"),
         "observed_periods": np.asarray(renewals, dtype="int64")},
        index=pd.Index(ids.to_numpy(), name=customer_col),
    )  # fmt: skip
    for column in keep:
        rows[column] = table[column].to_numpy()
    rows.attrs["period"] = period
    return rows


def simulate_subscription_table(
    model,
    n_subscribers: int,
    first_start,
    observation_end,
    period: str | None = None,
    random_state=None,
) -> pd.DataFrame:
    """A synthetic subscription table drawn from a contractual model, for tests and examples.

    Start dates are uniform over the days from ``first_start`` to ``observation_end``; each
    subscriber's lifetime T (periods paid for) is drawn from ``model`` (see its ``simulate``), and
    the cancellation date falls within their T-th period. Cancellations after ``observation_end``
    are not yet known: those subscribers have no end date.

    Parameters
    ----------
    model : ContractualModel
        With parameters (fitted or ``from_params``), without covariates.
    n_subscribers : int
    first_start, observation_end : date-like
    period : {"M", "W", "Y"}, optional
        Billing period: by default the model's (``model.period_``), else "M"; another than the
        model's is refused (its lifetimes count the model's periods).
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``start``, ``end`` (NaT while active) and the true ``lifetime``; readable
        by :func:`from_subscription_table` with ``observation_end`` and the model's period
        (``period=model.period_``; its default is months), which then recovers
        ``periods = lifetime`` for every cancelled subscriber.

    Examples
    --------
    >>> import clvmodel as clv
    >>> sbg = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.2})
    >>> table = clv.subscriptions.simulate_subscription_table(
    ...     sbg, 1000, "2022-01-01", "2024-12-31", random_state=1)
    >>> rows = clv.subscriptions.from_subscription_table(table, observation_end="2024-12-31")
    >>> cancelled = rows["cancelled"] == 1
    >>> bool((rows["periods"][cancelled] == table.set_index("customer_id")["lifetime"][cancelled])
    ...      .all())
    True
    """
    period = _simulated_period(model, period)
    rng = random_generator(random_state, "random_state")
    n = int(check_number("n_subscribers", n_subscribers, 0.0, 1e8))
    if n != n_subscribers:
        raise InputError(f"n_subscribers must be a whole number ≥ 0, got {n_subscribers!r}.")
    first, last = date_option(first_start, "first_start"), observation_end_date(observation_end)
    days = int((last.normalize() - first).days)
    if days < 0:
        raise InputError(
            f"first_start={first_start!r} is after observation_end={observation_end!r}."
        )
    start = pd.Series(first + pd.to_timedelta(rng.integers(0, days + 1, n), unit="D"))
    lifetime = model.simulate(n, observed_periods=2**40, random_state=rng)["lifetime"].to_numpy()
    # A lifetime that outlasts the observation period ends unseen (no end date): its dates are
    # computed as if it ended just after, which keeps them inside the timestamps pandas holds.
    shortest = {"W": 7, "M": 28, "Y": 365}[period]
    dated = np.minimum(lifetime, days // shortest + 3)
    before = add_periods(start, dated - 1, period)
    after = add_periods(start, dated, period)
    gap_days = (after - before).dt.days.to_numpy()
    offset = np.maximum(np.floor(rng.uniform(0.05, 1.0, n) * gap_days), 1).astype("int64")
    end = before + pd.to_timedelta(offset, unit="D")
    width = len(str(n))
    return pd.DataFrame(
        {
            "customer_id": [f"S{i:0{width}d}" for i in range(1, n + 1)],
            "start": start,
            "end": end.where(end <= last),
            "lifetime": lifetime.astype("int64"),
        }
    )


def validate_subscribers(
    data, period: str | None = None, name: str = "data"
) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Check a subscriber table and return ``periods`` (float), ``cancelled`` (bool) and the index.

    Parameters
    ----------
    data : pandas.DataFrame or mapping of array-likes
        With columns ``periods`` (whole numbers ≥ 0; ≥ 1 for cancelled rows) and ``cancelled``
        (0/1 or bool).
    period : {"M", "W", "Y"}, optional
        The billing period of the model the rows are for (its ``period_``): rows whose
        ``attrs["period"]`` records another one are refused. Not checked when either is unknown.
    name : str
        The argument's name, for messages.

    Returns
    -------
    periods, cancelled, index

    Raises
    ------
    InputError
        A column is missing, a value is missing, negative, not whole, or a cancelled subscriber
        has 0 periods; the rows were counted in another billing period than ``period``.
    """
    _check_same_period(data, period, name)
    if isinstance(data, pd.DataFrame):
        columns, index = list(data.columns), data.index
    elif isinstance(data, dict):
        columns = list(data)
        index = pd.RangeIndex(len(np.atleast_1d(next(iter(data.values()), []))))
    else:
        raise InputError(
            f"expected a DataFrame with columns {list(SUBSCRIBER_COLUMNS)}, got "
            f"{type(data).__name__}; build one with clvmodel.subscriptions.from_subscription_table "
            "or from_survival_counts."
        )
    missing = [c for c in SUBSCRIBER_COLUMNS if c not in columns]
    if missing:
        raise InputError(
            f"the subscriber table has no column {', '.join(map(repr, missing))}; it has "
            f"{list(map(str, columns))}. Build it with clvmodel.subscriptions.from_subscription_"
            "table(...) or from_survival_counts(...)."
        )
    periods = subscriber_numbers(data["periods"], "periods", len(index))
    cancelled = subscriber_numbers(data["cancelled"], "cancelled", len(index))
    bad = (periods < 0) | (periods != np.round(periods))
    if bad.any():
        raise InputError(
            f"'periods' must be whole numbers ≥ 0; got {periods[bad][:EXAMPLES].tolist()} at "
            f"rows {index[bad][:EXAMPLES].tolist()}."
        )
    bad = (cancelled != 0) & (cancelled != 1)
    if bad.any():
        raise InputError(
            f"'cancelled' must be 0 (active) or 1 (cancelled); got "
            f"{cancelled[bad][:EXAMPLES].tolist()} at rows {index[bad][:EXAMPLES].tolist()}."
        )
    cancelled = cancelled == 1
    bad = cancelled & (periods == 0)
    if bad.any():
        raise InputError(
            f"cancelled subscribers must have paid for at least one period, but rows "
            f"{index[bad][:EXAMPLES].tolist()} have periods = 0 and cancelled = 1; count the "
            "period in which they cancelled."
        )
    return periods, cancelled, index


# --------------------------------------------------------------------------------------------------
def _check_same_period(data, period, name: str) -> None:
    """Refuse rows counted in another billing period than the model's (27 weeks are not 27
    months); nothing to check when the rows or the model do not record theirs."""
    recorded = getattr(data, "attrs", {}).get("period")
    if period in PERIODS and recorded in PERIODS and recorded != period:
        raise InputError(
            f"{name} counts billing periods in {PERIODS[recorded]} ({name}.attrs['period'] = "
            f"{recorded!r}), but the model was fitted in {PERIODS[period]} (model.period_ = "
            f"{period!r}); build the rows with period={period!r} "
            f"(from_subscription_table(..., period={period!r})), or fit a model on these rows."
        )


def _simulated_period(model, period) -> str:
    """The billing period of a table drawn from ``model``: the model's, unless ``period`` names
    another (refused: lifetimes in weeks are no lifetimes in months)."""
    simulate = getattr(model, "simulate", None)
    if not callable(simulate) or "observed_periods" not in inspect.signature(simulate).parameters:
        raise InputError(
            "model must be a subscription model (ShiftedBetaGeoModel or "
            f"BetaDiscreteWeibullModel), got {type(model).__name__}."
        )
    own = getattr(model, "period_", None)
    period = _check_period((own or "M") if period is None else period)
    if own in PERIODS and own != period:
        raise InputError(
            f"period={period!r}, but the model counts lifetimes in {PERIODS[own]} "
            f"(model.period_ = {own!r}); leave period out or pass period={own!r}."
        )
    return period


def _check_period(period) -> str:
    if period not in PERIODS:
        raise InputError(
            f"period={period!r} is not a billing period; use 'M' (months), 'W' (weeks) or 'Y' "
            "(years)."
        )
    return period
