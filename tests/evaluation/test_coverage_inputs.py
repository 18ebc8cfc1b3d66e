"""clvmodel.interval_coverage, randomised_pit and coverage_comparison read their tables as
evaluate_holdout does (before, lifetimes-style names crashed with a raw KeyError, a bad holdout
table crashed or was silently accepted, and two specifications of one model shared a label)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.coverage import randomised_pit

LIFETIMES_NAMES = {
    "frequency": "frequency_cal",
    "recency": "recency_cal",
    "T": "T_cal",
    "monetary_value": "monetary_value_cal",
}


@pytest.fixture(scope="module")
def split(cdnow_split):
    return cdnow_split  # tests/conftest.py: the sample split at 1997-09-30 / 1998-06-30, weeks


@pytest.fixture(scope="module")
def bg(cdnow_split_bg):
    return cdnow_split_bg  # tests/conftest.py: BG/NBD fitted on split[0] (shared, read-only)


def _with_attrs(frame: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    frame.attrs.update(like.attrs)
    return frame


def test_lifetimes_names_give_the_coverage_of_the_standard_names(bg, split):
    # Was KeyError: 'frequency' from both (evaluate_holdout without interval= took the names).
    cal, hold = split
    renamed = _with_attrs(cal.rename(columns=LIFETIMES_NAMES), cal)
    expected = clv.interval_coverage(bg, cal, hold)
    assert expected.loc["all", "observed_coverage"] == pytest.approx(0.947, abs=5e-4)
    pd.testing.assert_frame_equal(clv.interval_coverage(bg, renamed, hold), expected)
    report = clv.evaluate_holdout(bg, renamed, hold, interval=0.9)
    pd.testing.assert_frame_equal(report.coverage, expected)
    table = clv.coverage_comparison({"BG/NBD": bg}, renamed, hold)
    np.testing.assert_array_equal(table["customers"], expected["customers"])


def _negative(hold):
    return hold.assign(frequency_holdout=-hold["frequency_holdout"])


def _fractional(hold):
    return hold.assign(frequency_holdout=hold["frequency_holdout"] + 0.5)


def _no_duration(hold):
    return hold.drop(columns="duration_holdout")


def _two_lengths(hold):
    duration = hold["duration_holdout"].to_numpy(copy=True)
    duration[0] += 1.0
    return hold.assign(duration_holdout=duration)


def _customer_missing(hold):
    return hold.iloc[1:]


def _customer_missing_and_extra(hold):
    extra = hold.iloc[[0]].set_axis(pd.Index(["not in calibration"]))
    return pd.concat([hold.iloc[1:], extra])


BAD_HOLDOUTS = {
    # what interval_coverage did before: raw IndexError / silently 0.878 / raw KeyError /
    # clear errors of its own, in other words than evaluate_holdout's
    "negative": (_negative, "missing, negative or fractional"),
    "fractional": (_fractional, "missing, negative or fractional"),
    "no duration_holdout": (_no_duration, "no column 'duration_holdout'"),
    "two lengths": (_two_lengths, "differs between customers"),
    "customer missing": (_customer_missing, "different customers"),
    "customer missing, another extra": (_customer_missing_and_extra, "different customers"),
}


@pytest.mark.parametrize("case", sorted(BAD_HOLDOUTS))
def test_a_bad_holdout_table_is_refused_as_evaluate_holdout_refuses_it(bg, split, case):
    cal, hold = split
    change, message = BAD_HOLDOUTS[case]
    bad = _with_attrs(change(hold), hold)
    with pytest.raises(clv.InputError, match=message) as refused:
        clv.evaluate_holdout(bg, cal, bad)
    for function in (
        lambda: clv.interval_coverage(bg, cal, bad),
        lambda: clv.coverage_comparison([bg], cal, bad),
        lambda: randomised_pit(bg, cal, bad),
    ):
        with pytest.raises(clv.InputError) as caught:
            function()
        assert str(caught.value) == str(refused.value)


def test_the_holdout_of_more_customers_than_the_calibration_is_taken_for_them(bg, split):
    # The coverage of a segment with the whole holdout table (evaluate_holdout refuses it).
    cal, hold = split
    segment = _with_attrs(cal.iloc[::3], cal)
    expected = clv.interval_coverage(bg, segment, _with_attrs(hold.loc[segment.index], hold))
    pd.testing.assert_frame_equal(clv.interval_coverage(bg, segment, hold), expected)
    assert expected.loc["all", "customers"] == len(segment)


def test_a_calibration_customer_listed_twice_is_refused_by_the_coverage(bg, split):
    cal, hold = split
    twice = _with_attrs(pd.concat([cal, cal.iloc[[0]]]), cal)
    with pytest.raises(clv.InputError, match="more than once") as refused:
        clv.evaluate_holdout(bg, twice, hold)
    with pytest.raises(clv.InputError) as caught:
        clv.interval_coverage(bg, twice, hold)
    assert str(caught.value) == str(refused.value)


def test_the_pit_of_rows_that_share_an_id_checks_the_holdout_counts(bg, split):
    # randomised_pit lets rows share an id (tests/models/test_bootstrap_order.py); their
    # holdout counts are checked all the same, and each row takes its id's count.
    cal, hold = split
    shared = _with_attrs(pd.concat([cal.iloc[:50], cal.iloc[[3]]]), cal)
    part = _with_attrs(hold.loc[cal.index[:50]], hold)
    pit = randomised_pit(bg, shared, part, seed=1)
    assert pit.shape == (51,) and ((pit >= 0) & (pit <= 1)).all()
    with pytest.raises(clv.InputError, match="missing, negative or fractional"):
        randomised_pit(bg, shared, _with_attrs(_fractional(part), hold))


def test_a_plain_and_a_covariate_model_are_labelled_as_compare_models_labels_them(split):
    # Was refused: "2 models share the label(s) ['BG/NBD']".
    cal, hold = (_with_attrs(part.iloc[:600].copy(), part) for part in split)
    cal = _with_attrs(cal.assign(z=np.random.default_rng(0).normal(size=len(cal))), cal)
    plain = clv.BetaGeoModel().fit(cal)
    covariate = clv.BetaGeoModel(purchase_covariates=["z"]).fit(cal)
    table = clv.coverage_comparison([plain, covariate], cal, hold)
    labels = list(table.index.get_level_values("model").unique())
    assert labels == ["BG/NBD", "BG/NBD (purchase: z)"]
    compared = clv.compare_models(cal, hold, [clv.BetaGeoModel(), clv.BetaGeoModel(["z"])])
    assert sorted(compared.table["model"]) == labels
    pd.testing.assert_frame_equal(
        table.loc["BG/NBD (purchase: z)"].drop(columns="meets_target"),
        clv.interval_coverage(covariate, cal, hold),
    )
    with pytest.raises(clv.InputError, match=r"share the label\(s\) \['BG/NBD \(purchase: z\)'\]"):
        clv.coverage_comparison([covariate, covariate], cal, hold)


def test_the_pit_is_the_same_for_ids_as_numbers_and_as_text(split):
    # The randomisation followed the ids' order, and the integer 10 sorts after
    # 2 where the text "10" sorts before "2": the command line (ids as text) reported a PIT
    # p-value of 0.1125 where Python on the same log (integer ids) reported 0.9888.
    cal, hold = (_with_attrs(part.iloc[:500].copy(), part) for part in split)
    model = clv.BetaGeoModel().fit(cal)
    numbers = np.random.default_rng(1).permutation(np.arange(1, len(cal) + 1) * 7)
    as_numbers = [_with_attrs(part.set_axis(pd.Index(numbers)), part) for part in (cal, hold)]
    as_text = [
        _with_attrs(part.set_axis(pd.Index(numbers.astype(str))), part) for part in (cal, hold)
    ]
    as_floats = [_with_attrs(part.set_axis(pd.Index(numbers * 1.0)), part) for part in (cal, hold)]
    pits = [randomised_pit(model, *tables, seed=3) for tables in (as_numbers, as_text, as_floats)]
    np.testing.assert_array_equal(pits[0], pits[1])
    np.testing.assert_array_equal(pits[0], pits[2])
