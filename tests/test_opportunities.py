"""opportunity_summary: transaction logs to BG/BB's (frequency, recency, n_periods) table.

References
----------
[FHS10] Fader, P. S., Hardie, B. G. S. and Shang, J. (2010). Customer-base analysis in a
        discrete-time noncontractual setting. Marketing Science 29(6), 1086-1108. §2: a customer
        acquired at occasion 0 has n later opportunities; x counts those with a transaction and
        t_x is the last of them (0 if none). The donations estimates: α = 1.204, β = 0.750,
        γ = 0.657, δ = 2.783.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.errors import InputError

PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
COLUMNS = ["frequency", "recency", "n_periods"]


def _log(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date"])


def test_a_hand_worked_donor():
    # First active in 1995 (the acquisition; its second gift does not count), then in 1996 and
    # 1999, observed through 2001: the opportunities are 1996, ..., 2001, so n = 2001 − 1995 = 6;
    # x = 2 (1996 and 1999); t_x = 1999 − 1995 = 4. The gift of 2002 is after the end.
    log = _log([(7, "1995-03-01"), (7, "1995-11-20"), (7, "1996-04-02"), (7, "1996-12-24"),
                (7, "1999-05-17"), (7, "2002-01-05")])  # fmt: skip
    table = clv.opportunity_summary(log, "Y", observation_end="2001-12-31")
    assert table.loc[7].tolist() == [2, 4, 6]
    assert table.attrs["occasion"] == "Y"
    assert table.attrs["purchase_days_after_end"] == 1
    # Observed through 30 June 2001, 2001 is not a whole occasion: n = 2000 − 1995 = 5, and a
    # gift in March 2001 is left out (counted), so x and t_x stay 2 and 4.
    log = pd.concat([log, _log([(7, "2001-03-09")])])
    table = clv.opportunity_summary(log, "Y", observation_end="2001-06-30")
    assert table.loc[7].tolist() == [2, 4, 5]
    assert table.attrs["days_in_partial_occasion"] == 1
    assert table.attrs["observation_end"] == "2000-12-31"


def test_the_donation_log_of_the_problem_report():
    # First gifts in 2000; observed through 2006, so n = 6 for all. Donor 1 gave in 2002 and 2005
    # (x = 2, t_x = 2005 − 2000 = 5), donor 3 in 2001 (x = 1, t_x = 1), donors 2 and 4 never again.
    log = _log([(1, "2000-03-01"), (1, "2002-03-05"), (1, "2005-02-27"), (2, "2000-03-02"),
                (3, "2000-03-01"), (3, "2001-03-01"), (4, "2000-03-03")])  # fmt: skip
    table = clv.opportunity_summary(log, observation_end="2006-12-31")
    assert table.to_numpy().tolist() == [[2, 5, 6], [0, 0, 6], [1, 1, 6], [0, 0, 6]]
    assert table.index.tolist() == [1, 2, 3, 4]
    model = clv.BetaGeoBetaBinomModel.from_params(PUBLISHED)
    assert model.probability_alive(table).notna().all()  # a table BG/BB takes


@pytest.mark.parametrize(
    ("occasion", "rows", "end", "expected"),
    [
        # Months: January 2020 first; February (1, twice) and May (4); through June: n = 5.
        ("M", [("2020-01-31",), ("2020-02-01",), ("2020-02-15",), ("2020-05-10",)], "2020-06-30",
         [2, 4, 5]),
        # Weeks run Monday to Sunday: Sunday 1 January 2023 closes week 0, Monday 2 January opens
        # week 1; through Sunday 15 January: n = 2, one gift in week 1.
        ("W", [("2023-01-01",), ("2023-01-02",)], "2023-01-15", [1, 1, 2]),
        # Days: day 0 is 10 March, active on days 0 (twice), 2 and 3; through 14 March: n = 4.
        ("D", [("2021-03-10",), ("2021-03-10",), ("2021-03-12",), ("2021-03-13",)], "2021-03-14",
         [2, 3, 4]),
    ],
)  # fmt: skip
def test_months_weeks_and_days(occasion, rows, end, expected):
    log = _log([(1, day) for (day,) in rows])
    table = clv.opportunity_summary(log, occasion, observation_end=end)
    assert table.loc[1].tolist() == expected


def test_customers_without_an_opportunity_are_left_out_and_counted():
    log = _log([(1, "2019-05-01"), (2, "2020-05-01"), (3, "2020-12-31")])
    table = clv.opportunity_summary(log, "Y", observation_end="2020-12-31")
    assert table.index.tolist() == [1]
    assert table.attrs["customers_without_opportunity"] == 2
    with pytest.raises(InputError, match="no customer has an occasion after their first"):
        clv.opportunity_summary(log.iloc[1:], "Y", observation_end="2020-12-31")


def test_the_checks_of_rfm_summary_apply():
    log = _log([(1, "2019-05-01"), (1, "2020-05-01"), (None, "2020-06-01"), (2, "not a date")])
    with pytest.raises(InputError, match="occasion='Q' is not supported"):
        clv.opportunity_summary(log.iloc[:2], "Q")
    with pytest.raises(InputError, match="missing"):
        clv.opportunity_summary(log, observation_end="2020-12-31")
    kept = clv.opportunity_summary(log, observation_end="2020-12-31", on_invalid="drop")
    assert kept.loc[1].tolist() == [1, 1, 1]
    assert sum(kept.attrs["rejected_rows"].values()) == 2
    with pytest.raises(InputError, match="after observation_end"):
        clv.opportunity_summary(log.iloc[:2], observation_end="2019-12-31", truncate=False)
    with pytest.raises(InputError, match="before the first transaction"):
        clv.opportunity_summary(log.iloc[:2], observation_end="2018-12-31")
    with pytest.raises(InputError, match="has not ended yet"):
        clv.opportunity_summary(_log([(1, "2019-05-01"), (1, str(dt.date.today()))]))
    renamed = log.iloc[:2].rename(columns={"customer_id": "donor", "date": "when"})
    table = clv.opportunity_summary(renamed, "Y", "2020-12-31", customer_col="donor",
                                    date_col="when")  # fmt: skip
    assert table.loc[1].tolist() == [1, 1, 1]


# Against brute force ---------------------------------------------------------------------------
def _occasion(day: dt.date, occasion: str) -> int:
    """The occasion of a day from Python's calendar (ordinal 1 is Monday 1 January of year 1)."""
    return {"Y": day.year, "M": 12 * day.year + day.month - 1,
            "W": (day.toordinal() - 1) // 7, "D": day.toordinal()}[occasion]  # fmt: skip


def _brute_force(rows, end: dt.date, occasion: str) -> dict:
    last = _occasion(end + dt.timedelta(days=1), occasion) - 1
    seen: dict = {}
    for customer, day in rows:
        if day <= end:
            seen.setdefault(customer, set()).add(_occasion(day, occasion))
    out = {}
    for customer, active in seen.items():
        first = min(active)
        later = {o for o in active if first < o <= last}
        if first < last:
            out[customer] = [len(later), max(later) - first if later else 0, last - first]
    return out


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 2500)), min_size=1, max_size=40),
    end=st.integers(0, 3000),
    occasion=st.sampled_from(["Y", "M", "W", "D"]),
)
def test_matches_a_brute_force_count(rows, end, occasion):
    start = dt.date(1990, 1, 1)
    days = [(c, start + dt.timedelta(days=d)) for c, d in rows]
    end_day = start + dt.timedelta(days=end)
    expected = _brute_force(days, end_day, occasion)
    log = _log([(c, d.isoformat()) for c, d in days])
    if end_day < min(d for _, d in days):
        return  # refused: before the first transaction
    if not expected:
        with pytest.raises(InputError, match="no customer has an occasion"):
            clv.opportunity_summary(log, occasion, observation_end=end_day.isoformat())
        return
    table = clv.opportunity_summary(log, occasion, observation_end=end_day.isoformat())
    assert {k: v.tolist() for k, v in table.iterrows()} == expected
    assert table.index.tolist() == [c for c in dict.fromkeys(c for c, _ in rows) if c in expected]


# Against simulated BG/BB customers ---------------------------------------------------------------
def _write_log(table: pd.DataFrame, first: int, occasion: str, rng) -> pd.DataFrame:
    """One transaction per active occasion of each customer, on a random day of it, and some
    repeats: the acquisition at occasion ``first``, one at ``first + recency`` and the other
    frequency − 1 at random before it (given (x, t_x, n), every such pattern is equally likely
    under BG/BB, whose likelihood depends on the history only through x, t_x and n [FHS10])."""
    customers, offsets = [], []
    for customer, (x, t_x) in zip(table.index, table[["frequency", "recency"]].to_numpy(),
                                  strict=True):  # fmt: skip
        others = rng.choice(np.arange(1, t_x), size=x - 1, replace=False) if x > 1 else []
        active = [0, *([t_x] if x else []), *others]
        active += list(rng.choice(active, size=rng.integers(0, 3)))  # repeats in an occasion
        customers += [customer] * len(active)
        offsets += active
    number = first + np.asarray(offsets, dtype="int64")
    periods = pd.period_range(pd.Period("1995-01-02", freq=occasion), periods=12, freq=occasion)
    start = periods.start_time[number]
    length = (periods.end_time.normalize() - periods.start_time).days.to_numpy()[number] + 1
    date = start + pd.to_timedelta(np.floor(rng.uniform(size=number.size) * length), unit="D")
    order = rng.permutation(number.size)
    return pd.DataFrame({"customer_id": np.asarray(customers)[order],
                         "date": date.strftime("%Y-%m-%d")[order]})  # fmt: skip


@pytest.mark.parametrize("occasion", ["Y", "M", "W", "D"])
def test_returns_the_simulated_table(occasion):
    truth = clv.BetaGeoBetaBinomModel.from_params(PUBLISHED)
    rng = np.random.default_rng(5)
    # Two cohorts observed to the end of occasion 6: acquired at 0 (n = 6) and at 2 (n = 4).
    old = truth.simulate(3000, 6, random_state=1)[COLUMNS]
    new = truth.simulate(2000, 4, random_state=2)[COLUMNS].set_axis(np.arange(3000, 5000))
    log = pd.concat([_write_log(old, 0, occasion, rng), _write_log(new, 2, occasion, rng)])
    periods = pd.period_range(pd.Period("1995-01-02", freq=occasion), periods=7, freq=occasion)
    end = periods[-1].end_time.strftime("%Y-%m-%d")
    table = clv.opportunity_summary(log, occasion, observation_end=end)
    expected = pd.concat([old, new])
    pd.testing.assert_frame_equal(table.sort_index(), expected, check_dtype=False,
                                  check_index_type=False)  # fmt: skip
    assert (table.dtypes == "int64").all()


def test_a_fit_on_it_recovers_the_parameters():
    truth = clv.BetaGeoBetaBinomModel.from_params(PUBLISHED)
    simulated = truth.simulate(20_000, 6, random_state=3)[COLUMNS]
    log = _write_log(simulated, 0, "Y", np.random.default_rng(4))
    table = clv.opportunity_summary(log, "Y", observation_end="2001-12-31")
    fitted = clv.BetaGeoBetaBinomModel().fit(table)
    errors = (fitted.params_ - pd.Series(PUBLISHED)) / fitted.standard_errors_
    assert (errors.abs() < 4).all(), errors.round(2).to_dict()
    assert fitted.standard_errors_.max() < 0.5  # the check above is not vacuous
