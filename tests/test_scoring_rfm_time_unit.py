"""Scoring an RFM table joined with attributes, which loses the table's recorded time unit.

churn_risk, customer_lifetime_value and score_customers take rfm_time_unit= and score the joined
table as the original (and the unit reaches the model's check); the deprecated value period
time_unit= beside such a table reads like the table's unit, so it is refused, or warned about,
naming rfm_time_unit=; a covariate error names rfm_time_unit= too. The frequency/recency heat
map checks the table's unit against the model's as the scorers do."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.plotting.heatmaps import frequency_recency_grid, plot_frequency_recency
from clvmodel.scoring import score_customers

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def days(cdnow_sample):
    """A table in days, the same table joined with attributes (no recorded unit), and models
    fitted in days."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        rfm = clv.rfm_summary(cdnow_sample, observation_end="1997-09-30", time_unit="D")
    joined = rfm.join(pd.DataFrame({"segment": np.arange(len(rfm)) % 3}, index=rfm.index))
    assert "time_unit" not in joined.attrs
    return rfm, joined, clv.BetaGeoModel().fit(rfm), clv.GammaGammaModel().fit(rfm)


_SCORERS = {
    "churn_risk": lambda bg, gg, data, **kw: clv.churn_risk(bg, data, "3M", gg, **kw),
    "customer_lifetime_value": lambda bg, gg, data, **kw: clv.customer_lifetime_value(
        bg, gg, data, "12M", **kw
    ),
    "score_customers": lambda bg, gg, data, **kw: score_customers(bg, gg, data, "12M", **kw),
}


@pytest.mark.parametrize("name", list(_SCORERS))
def test_rfm_time_unit_scores_a_joined_table_as_the_original(days, name):
    rfm, joined, bg, gg = days
    score = _SCORERS[name]
    expected = score(bg, gg, rfm)
    result = score(bg, gg, joined, rfm_time_unit="D")
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(result[expected.columns], expected, check_like=True)
    else:
        pd.testing.assert_series_equal(result, expected)
    # The unit reaches the model's check: a weeks model refuses the days table.
    weekly = clv.BetaGeoModel.from_params(bg.params_.to_dict(), time_unit="W")
    with pytest.raises(clv.InputError, match="fitted in weeks"):
        score(weekly, gg, joined, rfm_time_unit="D")


@pytest.mark.parametrize("name", ["customer_lifetime_value", "score_customers"])
def test_time_unit_beside_a_joined_table_is_refused_naming_rfm_time_unit(days, name):
    """time_unit="D" reads like the table's unit, but is the deprecated value period: beside a
    horizon with its unit and a table that records none, the error points at rfm_time_unit=."""
    _, joined, bg, gg = days
    weekly = clv.BetaGeoModel.from_params(bg.params_.to_dict(), time_unit="W")
    with pytest.raises(clv.InputError, match=r"pass rfm_time_unit='D' instead"):
        _SCORERS[name](weekly, gg, joined, time_unit="D")


def test_time_unit_of_another_unit_than_the_models_warns_naming_rfm_time_unit(days):
    """A bare deprecated period still works (the deprecation path), with a warning when it
    differs from the model's unit beside a table that records none."""
    _, joined, bg, gg = days
    weekly = clv.BetaGeoModel.from_params(bg.params_.to_dict(), time_unit="W")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.warns(clv.ClvWarning, match=r"rfm_time_unit='D'"):
            clv.churn_risk(weekly, joined, "3M", gg, time_unit="D")
        with pytest.warns(clv.ClvWarning, match=r"rfm_time_unit='D'"):
            clv.customer_lifetime_value(weekly, gg, joined, 90, time_unit="D")


def test_rfm_time_unit_is_checked(days):
    rfm, joined, bg, gg = days
    with pytest.raises(clv.InputError, match=r"rfm_time_unit='M' is not supported"):
        clv.customer_lifetime_value(bg, gg, joined, "12M", rfm_time_unit="M")
    with pytest.raises(clv.InputError, match="contradicts the table's own time unit"):
        clv.churn_risk(bg, rfm, "3M", rfm_time_unit="W")


def test_covariate_advice_names_rfm_time_unit(fitted_bg, cdnow_rfm):
    model = clv.BetaGeoModel(purchase_covariates=["segment"])
    with pytest.raises(clv.InputError, match="rfm_time_unit= to customer_lifetime_value"):
        model.fit(cdnow_rfm)


# --- Heat maps --------------------------------------------------------------------------------
def test_heat_map_refuses_a_table_in_another_unit(published_bg, days):
    rfm = days[0]
    with pytest.raises(clv.InputError, match="fitted in weeks"):
        frequency_recency_grid(published_bg, rfm)
    with pytest.raises(clv.InputError, match="fitted in weeks"):
        plot_frequency_recency(published_bg, rfm)
