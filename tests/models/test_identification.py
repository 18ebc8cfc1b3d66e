"""Fits whose likelihood is flat along a ridge: they must say so, and never fail with a raw
floating-point error (as in a holdout evaluation of 300 customers of whom one bought again)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import clvmodel as clv
from clvmodel.models._identification import UNIDENTIFIED_LOG_SE


def _one_repeat_buyer(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 30, 300), unit="D")
    log = pd.DataFrame({"customer_id": np.arange(300), "date": days, "amount": 10.0})
    again = pd.DataFrame({"customer_id": [0], "date": [pd.Timestamp("2020-02-15")], "amount": 10.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.StatisticalWarning)
        calibration, _ = clv.calibration_holdout_split(
            pd.concat([log, again]), calibration_end="2020-03-01", observation_end="2020-04-01"
        )
    return calibration


def test_a_fit_on_a_flat_ridge_short_of_the_edge_warns_that_the_data_hardly_identify_it():
    """BG/NBD stops at a = 4.5e4, b = 2.2e-5 (inside the edge bounds of 1e5) where the
    log-likelihood is that of a = 1e7, b = 1e-7 to 1e-9: standard errors on the log scale of
    1e5 must be reported, not passed over in silence."""
    calibration = _one_repeat_buyer(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = clv.BetaGeoModel().fit(calibration)
    (found,) = [w for w in caught if "identify" in str(w.message)]
    message = str(found.message)
    assert issubclass(found.category, clv.StatisticalWarning)
    log_errors = model.standard_errors_ / model.params_
    assert (log_errors[["a", "b"]] > UNIDENTIFIED_LOG_SE).all()
    assert "identify a = " in message and "b = " in message
    # r and α are pinned down by the one-time buyers' ages: not named
    assert (log_errors[["r", "alpha"]] < UNIDENTIFIED_LOG_SE).all()
    assert "alpha" not in message and "r = " not in message


def _warnings_of(model_class, data) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model_class().fit(data)
    return [str(w.message) for w in caught]


def test_a_fit_running_to_huge_a_gives_a_warning_not_an_overflow_error():
    """On this table Newton's steps took a past 1e154, where a Python float's a**2 raised
    OverflowError from the Hessian."""
    messages = _warnings_of(clv.BetaGeoModel, _one_repeat_buyer(1))
    assert any("edge of its parameter space" in m for m in messages)


def test_a_well_identified_fit_gives_no_such_warning(cdnow_sample):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        rfm = clv.rfm_summary(cdnow_sample, observation_end="1997-09-30", time_unit="W")
    assert not [m for m in _warnings_of(clv.BetaGeoModel, rfm) if "identify" in m]
