"""The holdout report's reading of its coverage table (clvmodel.evaluation._coverage_reading):
which groups miss issue 15's bar (within 3 points of the model's probability, not more than 3
below the nominal level), by how much, on which side, and whether that can be luck."""

from __future__ import annotations

import pandas as pd

from clvmodel.evaluation._coverage_reading import coverage_reading


def _table(changes=None) -> pd.DataFrame:
    rows = {
        "customers": 1000,
        "observed_coverage": 0.95,
        "predicted_mass": 0.96,
        "standard_error": 0.006,
        "observed_above": 0.03,
        "predicted_above": 0.025,
        "observed_below": 0.02,
        "actual_mean": 1.0,
        "expected_mean": 1.0,
    }
    table = pd.DataFrame([rows] * 3, index=pd.Index(["all", "0", "4+"], name="group"))
    for (group, column), value in (changes or {}).items():
        table.loc[group, column] = value
    table["difference"] = table["observed_coverage"] - table["predicted_mass"]
    table.attrs["interval"] = 0.9
    return table


def test_a_table_within_the_bar_says_so_in_one_line():
    assert coverage_reading(_table()) == [
        "Every group's observed coverage is within 3 points of the model's probability: "
        "the intervals hold on this holdout."
    ]


def test_a_group_short_above_the_interval_is_named_with_its_numbers():
    table = _table(
        {
            ("4+", "observed_coverage"): 0.90,
            ("4+", "observed_above"): 0.09,
            ("4+", "actual_mean"): 4.2,
            ("4+", "expected_mean"): 3.8,
        }
    )
    lines = coverage_reading(table)
    assert lines[0] == (
        "Group 4+ (1,000 customers): 0.900 inside against 0.960 expected, 6.0 points off "
        "(10.0 standard errors); 9.0 % above the interval where the model expects 2.5 %; mean "
        "purchases 4.20 actual, 3.80 predicted."
    )
    assert lines[1].startswith("A miss of two standard errors or more is unlikely to be luck")
    assert len(lines) == 2


def test_a_group_short_below_the_interval_compares_with_the_mass_below():
    # P(X < L) = 1 − P(L ≤ X ≤ U) − P(X > U) = 1 − 0.96 − 0.025.
    table = _table({("0", "observed_coverage"): 0.92, ("0", "observed_below"): 0.06})
    table.loc["0", "standard_error"] = 0.03
    assert "6.0 % below the interval where the model expects 1.5 %" in coverage_reading(table)[0]
    assert coverage_reading(table)[-1] == (
        "Within two standard errors: in groups this small, that can be luck."
    )


def test_coverage_too_far_below_the_nominal_level_misses_even_at_its_mass():
    table = _table({("all", "observed_coverage"): 0.85, ("all", "predicted_mass"): 0.86})
    assert coverage_reading(table)[0].startswith("Group all (1,000 customers): 0.850 inside")


def test_groups_without_customers_and_tables_without_a_level_say_nothing_wrong():
    empty = _table({("4+", "customers"): 0, ("4+", "observed_coverage"): float("nan")})
    assert coverage_reading(empty)[0].startswith("Every group's observed coverage")
    unknown = _table()
    unknown.attrs.clear()
    assert coverage_reading(unknown) == []
