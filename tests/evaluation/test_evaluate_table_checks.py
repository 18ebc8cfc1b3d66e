"""clvmodel.evaluate_holdout, interval_coverage and tracking_table check the tables and models they
are given, in their own words.

Each refusal failed before its fix: max_frequency that is not a whole number; tracking_table of an
unfitted model, or of a spend model given as bg; customer ids held as numbers in one table and text
in the other; a segment given with the whole transaction log (tracking needs the cohort); missing
holdout durations or counts (pd.NA, None, text) raised conversion errors; a spend model given for
coverage was not named by the argument that holds it. A segment where nobody bought in the holdout
is still measured by interval_coverage (coverage 1, the PIT within [0, P(X = 0)]) and still refused
by evaluate_holdout.

The tests share one calibration/holdout split of the CDNOW sample and one BG/NBD fit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.coverage import randomised_pit
from clvmodel.errors import InputError, NotFittedError


@pytest.fixture(scope="module")
def split():
    tx = clv.datasets.load_cdnow_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the sample's duplicate rows
        cal, hold = clv.calibration_holdout_split(tx, "1997-09-30", "1998-06-30")
    return tx, cal, hold, clv.BetaGeoModel().fit(cal)


def test_the_coverage_of_a_segment_where_nobody_bought_is_measured(split):
    # Every count is 0 and inside [0, U]: the coverage is 1 and the PIT lies in [0, P(X = 0)].
    _, cal, hold, bg = split
    segment = cal.loc[hold.index[hold["frequency_holdout"] == 0][:200]]
    table = clv.interval_coverage(bg, segment, hold)
    assert table.loc["all", "customers"] == 200
    assert table.loc["all", "observed_coverage"] == 1.0
    assert table.loc["all", "observed_above"] == 0.0
    pit = randomised_pit(bg, segment, hold)
    p_zero = bg.purchase_distribution(segment, 39.0, max_purchases=0)[0].to_numpy()
    assert np.all((pit >= 0) & (pit <= p_zero + 1e-12))


def test_evaluate_holdout_still_refuses_a_holdout_where_nobody_bought(split):
    _, cal, hold, bg = split
    segment = cal.loc[hold.index[hold["frequency_holdout"] == 0][:200]]
    with pytest.raises(InputError, match="nobody in the calibration cohort bought"):
        clv.evaluate_holdout(bg, segment, hold.loc[segment.index])


@pytest.mark.parametrize("bad", [None, float("nan"), "7", 2.5, 0, [7]])
def test_max_frequency_that_is_not_a_whole_number_is_named(split, bad):
    _, cal, hold, bg = split
    with pytest.raises(InputError, match="max_frequency must be a whole number"):
        clv.evaluate_holdout(bg, cal, hold, max_frequency=bad)


def test_tracking_table_of_an_unfitted_model_says_call_fit_first(split):
    tx = split[0]
    with pytest.raises(NotFittedError, match="fit"):
        clv.tracking_table(clv.BetaGeoModel(), tx, "1997-09-30", "1998-06-30")
    with pytest.raises(NotFittedError, match="fit"):
        clv.tracking_table(clv.BetaGeoModel(), tx, "1997-09-30", "1998-06-30", time_unit="W")


def test_tracking_table_names_its_bg_argument_for_a_spend_model(split):
    tx = split[0]
    gg = clv.GammaGammaModel.from_params({"p": 6.0, "q": 4.0, "v": 15.0})
    with pytest.raises(InputError, match=r"^bg must be a fitted purchase model"):
        clv.tracking_table(gg, tx, "1997-09-30", "1998-06-30")


def _as_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    numbered = frame.copy()
    numbered.index = numbered.index.astype("int64")
    return numbered


def test_ids_held_as_numbers_in_one_table_and_text_in_the_other_are_named(split):
    _, cal, hold, bg = split
    with pytest.raises(InputError, match="numbers in calibration and text in the holdout"):
        clv.evaluate_holdout(bg, _as_numbers(cal), hold)
    with pytest.raises(InputError, match="text in calibration and numbers in the holdout"):
        clv.interval_coverage(bg, cal, _as_numbers(hold))


def test_transaction_ids_held_as_text_against_tables_of_numbers_are_named(split):
    tx, cal, hold, bg = split
    with pytest.raises(InputError, match="numbers in the calibration table and text in the "):
        clv.evaluate_holdout(bg, _as_numbers(cal), _as_numbers(hold), transactions=tx)


def test_a_segment_with_the_whole_log_is_told_that_tracking_needs_the_cohort(split):
    tx, cal, hold, bg = split
    segment = cal[cal["frequency"] >= 2]
    with pytest.raises(InputError, match="leave out transactions="):
        clv.evaluate_holdout(bg, segment, hold.loc[segment.index], transactions=tx)


@pytest.mark.parametrize("value", [pd.NA, None, "n/a"])
def test_a_missing_holdout_duration_is_named_not_a_conversion_error(split, value):
    _, cal, hold, bg = split
    broken = hold.astype({"duration_holdout": object})
    broken.iloc[2, broken.columns.get_loc("duration_holdout")] = value
    with pytest.raises(InputError, match=r"1 duration_holdout value\(s\) are missing") as error:
        clv.evaluate_holdout(bg, cal, broken)
    assert cal.index[2] in str(error.value)


def test_missing_holdout_counts_as_pd_na_are_named(split):
    _, cal, hold, bg = split
    broken = hold.astype({"frequency_holdout": object})
    broken.iloc[4, 0] = pd.NA
    with pytest.raises(InputError, match=r"1 frequency_holdout value\(s\) are missing"):
        clv.evaluate_holdout(bg, cal, broken)


def test_coverage_of_a_spend_model_names_the_argument_that_holds_it(split):
    _, cal, hold, bg = split
    gg = clv.GammaGammaModel.from_params({"p": 6.0, "q": 4.0, "v": 15.0})
    with pytest.raises(InputError, match=r"^model must be a fitted purchase model"):
        clv.interval_coverage(gg, cal, hold)
    with pytest.raises(InputError, match=r"^models\['spend'\] must be a fitted purchase model"):
        clv.coverage_comparison({"BG/NBD": bg, "spend": gg}, cal, hold)
