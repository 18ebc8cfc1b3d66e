"""Tests of the segment profiles in Day One model files (save and ``clv.load``).

The ``customers`` counts came back as float64 after save and load (JSON holds floats); a file
whose counts are not whole numbers is refused; the loaded profiles hold the fitted counts and
shares.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv


def test_loaded_segment_profiles_keep_the_fitted_dtypes(model, tmp_path):
    """The ``customers`` counts came back as float64 after save + load (JSON holds floats)."""
    loaded = clv.load(model.save(tmp_path / "dayone.json"))
    fitted = model.segment_profiles_
    assert fitted["customers"].dtype.kind == "i"
    pd.testing.assert_frame_equal(loaded.segment_profiles_, fitted, check_exact=True)
    assert loaded.segment_profiles_.dtypes.to_dict() == fitted.dtypes.to_dict()


@pytest.mark.parametrize("count", [12.5, -3.0, float("nan")])
def test_a_file_whose_counts_are_not_whole_numbers_is_refused(model, tmp_path, count):
    document = model.to_dict()
    column = document["segment_profiles"]["columns"].index("customers")
    document["segment_profiles"]["data"][0][column] = count
    path = tmp_path / "dayone.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(clv.ModelFileError, match="'customers' must hold whole numbers"):
        clv.load(path)


def test_loaded_segment_profiles_hold_the_fitted_counts_and_shares(model, tmp_path):
    loaded = clv.DayOneModel.load(model.save(tmp_path / "m.json"))
    profiles = model.segment_profiles_
    assert np.array_equal(loaded.segment_profiles_.to_numpy(), profiles.to_numpy(dtype=float))
    assert profiles["share"].sum() == pytest.approx(1.0)
