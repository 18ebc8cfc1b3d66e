"""Messages of the Python API in its own words: the argument that sets a value
(``duration_holdout``, ``observation_end``, ``acquisition_cost``, ``thresholds=``), and rows as
index labels of a DataFrame or positions said to count from 0."""

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.rfm import validate_rfm

CALIBRATION_END = "1997-09-30"
PAST_THE_DATA = "1999-12-31"  # the CDNOW sample ends on 1998-06-30


def _caught(function, *args, **kwargs) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        function(*args, **kwargs)
    return [str(warning.message) for warning in caught]


def test_evaluate_holdout_past_the_data_names_the_arguments(cdnow_sample):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        cal, hold = clv.calibration_holdout_split(cdnow_sample, CALIBRATION_END, PAST_THE_DATA)
        bg = clv.BetaGeoModel().fit(cal)
    # The split warned already (and says so in the holdout table's attrs, so that evaluate does
    # not repeat it); a table that lost its attrs is warned of here.
    assert hold.attrs.pop("quiet_end_warned") is True
    messages = _caught(clv.evaluate_holdout, bg, cal, hold, transactions=cdnow_sample)
    quiet = [m for m in messages if "holdout period" in m]
    assert len(quiet) == 1, messages
    assert (
        "ends on 1999-12-31 (the calibration end plus the holdout table's duration_holdout)"
        in (quiet[0])
    )
    assert "the transactions end on 1998-06-30" in quiet[0]
    assert "calibration_holdout_split(..., observation_end=...)" in quiet[0]


@pytest.fixture
def rfm():
    return pd.DataFrame(
        {"frequency": [0, 2, 5, 1], "recency": [0.0, 10.0, 20.0, 3.0], "T": [30.0] * 4},
        index=pd.Index(["a", "b", "c", "d"], name="customer_id"),
    )


def test_validate_rfm_names_rows_of_a_dataframe_by_index_label(rfm):
    rfm.loc["c", "recency"] = 40.0
    with pytest.raises(clv.InputError) as info:
        validate_rfm(rfm)
    message = str(info.value)
    assert "recency > T (index label(s) 'c')" in message
    assert "observation_end" in message and "positions" not in message


def test_validate_rfm_names_rows_of_a_mapping_from_zero(rfm):
    columns = {name: rfm[name].to_numpy() for name in rfm.columns}
    columns["T"] = np.array([30.0, 30.0, 30.0, np.nan])
    with pytest.raises(clv.InputError, match=r"'T' .*\(row\(s\) 3, counting from 0\)"):
        validate_rfm(columns)


def test_validate_rfm_names_rows_as_a_caller_counts_them(rfm):
    rfm.loc["b", "frequency"] = -1
    with pytest.raises(clv.InputError, match=r"for example -1; line\(s\) 3\)"):
        validate_rfm(rfm, rows=lambda positions: f"line(s) {positions[0] + 2}")


def test_price_increase_plan_empty_tiers_name_the_arguments(cdnow_rfm, fitted_bg):
    scores = clv.churn_risk(fitted_bg, cdnow_rfm, 52)
    messages = _caught(
        clv.price_increase_plan, scores, (0.05, 0.025, 0.0), thresholds=(0.001, 0.002)
    )
    tiers = [m for m in messages if "have no customers" in m]
    assert len(tiers) == 1, messages
    assert "cut at churn risk 0.001, 0.002" in tiers[0]
    assert "thresholds= or quantiles=" in tiers[0]


def test_cac_payback_names_acquisition_cost_for_a_segment_without_a_cost(
    cdnow_rfm, fitted_bg, fitted_gg
):
    segments = pd.Series(
        np.where(np.arange(len(cdnow_rfm)) % 2, "web", "shop"), index=cdnow_rfm.index
    )
    with pytest.raises(clv.InputError) as info:
        clv.cac_payback(fitted_bg, fitted_gg, cdnow_rfm, {"web": 20.0}, "24M", segments=segments)
    message = str(info.value)
    assert "acquisition_cost has no value for segment(s) ['shop']" in message
    assert "add them to acquisition_cost" in message


def test_build_report_single_price_names_the_arguments(cdnow_sample):
    flat = cdnow_sample.assign(amount=10.0)
    with pytest.raises(clv.InputError) as info:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", clv.ClvWarning)
            clv.build_report(flat, CALIBRATION_END, drop_duplicates=True)
    message = str(info.value)
    assert "a single price?" in message and "'amount'" in message
    assert "build_report cannot value them" in message
    assert "amount_col=None" in message and "--no-amount" not in message
