"""The tables of clvmodel.evaluate_holdout's report, and of coverage_comparison, for counts and
segments.

The predicted-vs-actual table bins predicted purchases (counts, not probabilities) as
reliability_table bins probabilities, and keeps each bin's mean actual purchases (a guard beside
reliability_table's refusal of counts). A segment given with the whole holdout table was told only
"make both with one calibration_holdout_split call", which the user did: it is told how to align
(interval_coverage takes the whole holdout table for a segment, evaluate_holdout not).
coverage_comparison of a segment without heavy buyers reported meets_target False for its empty
groups, as if their intervals had missed."""

import pytest
from published import PUBLISHED_BG

import clvmodel as clv


@pytest.mark.filterwarnings("ignore::clvmodel.errors.ClvWarning")
def test_holdout_predictions_binned_against_counts_keep_their_mean_actual():
    # The holdout report bins predicted purchases (counts, not probabilities) the same way.
    tx = clv.datasets.load_cdnow_sample()
    cal, hold = clv.calibration_holdout_split(
        tx, calibration_end="1997-09-30", observation_end="1998-06-30"
    )
    bg = clv.BetaGeoModel.from_params(PUBLISHED_BG, time_unit="W")
    report = clv.evaluate_holdout(bg, cal, hold)
    table = report.predicted_vs_actual
    customers = report.customers
    assert table["customers"].sum() == len(customers)
    weighted = (table["mean_actual"] * table["customers"]).sum() / table["customers"].sum()
    assert weighted == pytest.approx(customers["actual_purchases"].mean())
    assert table["mean_actual"].max() > 1  # counts: a bin of heavy buyers buys more than once


@pytest.fixture(scope="module")
def split():
    tx = clv.datasets.load_cdnow_sample()
    calibration, holdout = clv.calibration_holdout_split(
        tx, "1997-09-30", "1998-06-30", drop_duplicates=True
    )
    return calibration, holdout, clv.BetaGeoModel().fit(calibration)


def test_a_segment_against_the_whole_holdout_table_is_told_how_to_align(split):
    # The message said only "make both with one calibration_holdout_split call", which the user
    # did; interval_coverage takes the whole holdout table for a segment, evaluate_holdout not.
    calibration, holdout, bg = split
    segment = calibration[calibration["frequency"] >= 3]
    with pytest.raises(clv.InputError, match=r"holdout\.loc\[calibration\.index\]"):
        clv.evaluate_holdout(bg, segment, holdout)
    report = clv.evaluate_holdout(bg, segment, holdout.loc[segment.index])
    assert report.summary["n_customers"] == len(segment)


def test_coverage_comparison_does_not_fail_groups_without_customers(split):
    # A segment without heavy buyers reported meets_target False for its empty groups, as if
    # their intervals had missed.
    calibration, holdout, bg = split
    segment = calibration[calibration["frequency"] < 2]
    table = clv.coverage_comparison([bg], segment, holdout)
    empty = table["customers"] == 0
    assert empty.sum() == 2
    assert table.loc[empty, "meets_target"].isna().all()
    assert table.loc[~empty, "meets_target"].notna().all()
