"""Covariate columns whose values a fit cannot use as they are.

A covariate on a scale beyond floating point (1e160, 1e-170) is refused naming the column and
asking for other units, without numpy overflow warnings on the way (and not with the message of a
constant column); one on a large but usable scale (1e60) is fitted as in its own units. Columns
of dates, durations, periods or complex numbers are refused in words."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv


# --- Covariates on a scale beyond floating point ------------------------------------------------
@pytest.mark.parametrize("unit", [1e160, 1e-170])
def test_a_covariate_of_extreme_scale_is_refused_asking_for_other_units(unit, cdnow_rfm):
    data = cdnow_rfm.copy()
    rng = np.random.default_rng(0)
    data["repeat"] = unit * ((data["frequency"] > 0) + 0.1 * rng.random(len(data)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning on the way
        with pytest.raises(clv.InputError, match="'repeat'") as caught:
            clv.BetaGeoModel(dropout_covariates=["repeat"]).fit(data)
    assert "units" in str(caught.value) and "one value for every" not in str(caught.value)


def test_a_covariate_of_large_but_usable_scale_is_fitted_as_in_its_own_units(cdnow_rfm):
    data = cdnow_rfm.copy()
    rng = np.random.default_rng(0)
    data["z"] = rng.normal(size=len(data))
    data["z_big"] = data["z"] * 1e60
    small = clv.BetaGeoModel(purchase_covariates=["z"]).fit(data)
    big = clv.BetaGeoModel(purchase_covariates=["z_big"]).fit(data)
    np.testing.assert_allclose(big.params_.iloc[:4], small.params_.iloc[:4], rtol=1e-5)
    np.testing.assert_allclose(big.params_.iloc[4] * 1e60, small.params_.iloc[4], rtol=1e-5)
    np.testing.assert_allclose(
        big.standard_errors_.iloc[4] * 1e60, small.standard_errors_.iloc[4], rtol=1e-4
    )


# --- Covariate columns of dates, durations or complex numbers are refused -----------------------
@pytest.mark.parametrize(
    "column",
    [
        pd.Series(pd.date_range("2020-01-01", periods=4, freq="90D")),
        pd.Series(pd.date_range("2020-01-01", periods=4, freq="90D", tz="UTC")),
        pd.Series(pd.to_timedelta([10, 40, 90, 200], unit="D")),
        pd.Series(pd.period_range("2020-01", periods=4, freq="M")),
        pd.Series(np.array([1 + 0j, 2, 3, 4])),
    ],
    ids=["dates", "dates-tz", "durations", "periods", "complex"],
)
def test_covariates_that_are_not_plain_numbers_are_refused_in_words(column):
    data = pd.DataFrame({"frequency": [0, 1, 2, 3], "recency": [0, 2, 5, 9.0], "T": [10.0] * 4})
    data["signup"] = column.to_numpy() if column.dtype.kind == "c" else column.array
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(clv.InputError, match="'signup'.*number"):
            clv.BetaGeoModel(purchase_covariates=["signup"]).fit(data, time_unit="W")
