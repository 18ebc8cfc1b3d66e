"""clvmodel.interval_coverage and coverage_comparison: the interval level.

A missing level raised a KeyError ('purchases_lower') from inside the coverage table; a level
written as text ("0.9") raised a TypeError (str − float) in coverage_comparison once every model's
coverage had been measured, although interval_coverage and evaluate_holdout read it as 0.9."""

import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.errors import InputError


@pytest.mark.parametrize("function", ["interval_coverage", "coverage_comparison"])
def test_a_missing_interval_level_is_named_not_a_key_error(cdnow_split, cdnow_split_bg, function):
    # Before: KeyError 'purchases_lower' from inside the coverage table.
    cal, hold = cdnow_split
    model = cdnow_split_bg if function == "interval_coverage" else [cdnow_split_bg]
    with pytest.raises(InputError, match="interval must be a level such as 0.9, got None"):
        getattr(clv, function)(model, cal, hold, None)


def test_coverage_comparison_reads_a_level_written_as_text(cdnow_split, cdnow_split_bg):
    # Before: TypeError (str − float) once every model's coverage had been measured;
    # interval_coverage and evaluate_holdout read "0.9" as 0.9.
    cal, hold = cdnow_split
    as_text = clv.coverage_comparison([cdnow_split_bg], cal, hold, "0.9")
    as_number = clv.coverage_comparison([cdnow_split_bg], cal, hold, 0.9)
    pd.testing.assert_frame_equal(as_text, as_number)
    assert as_text.attrs["interval"] == 0.9
