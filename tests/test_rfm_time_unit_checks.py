"""``rfm_time_unit=`` on every function that scores an RFM table with a fitted model: a table that
records no unit (``rfm.join(attributes)``, merge and concat drop it) was read in the model's unit,
so a table in days scored by a model fitted in weeks gave values several times too small, with no
way to say the table's unit. ``clv_table``, ``net_clv``, ``cac_payback``, ``probability_alive_at``
and ``DayOneModel.predict_with_history`` now take it, as ``customer_lifetime_value`` does."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.dayone import first_purchase_attributes
from clvmodel.economics import cac_payback, net_clv, probability_alive_at

_SCORERS = {
    "clv_table": lambda bg, gg, data, **kw: clv.clv_table(bg, gg, data, "12M", **kw),
    "net_clv": lambda bg, gg, data, **kw: net_clv(bg, gg, data, "12M", cost_per_order=1.0, **kw),
    "cac_payback": lambda bg, gg, data, **kw: cac_payback(bg, gg, data, 5.0, "12M", **kw),
    "probability_alive_at": lambda bg, gg, data, **kw: probability_alive_at(bg, data, "12M", **kw),
}


def _joined(rfm: pd.DataFrame) -> pd.DataFrame:
    """``rfm`` joined with an attribute: the same rows, no recorded unit."""
    joined = rfm.join(pd.DataFrame({"segment": np.arange(len(rfm)) % 3}, index=rfm.index))
    assert "time_unit" not in joined.attrs
    return joined


@pytest.fixture(scope="module")
def days_joined(cdnow_sample):
    """The CDNOW sample summarised in days, joined with an attribute (no recorded unit)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        days = clv.rfm_summary(cdnow_sample, observation_end="1997-09-30", time_unit="D")
    return _joined(days)


def _assert_same(result, expected):
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(result[expected.columns], expected)
    else:
        pd.testing.assert_series_equal(result, expected)


@pytest.mark.parametrize("name", list(_SCORERS))
def test_a_days_table_given_as_days_is_refused_by_a_weeks_model(
    fitted_bg, fitted_gg, days_joined, name
):
    """Without the argument the joined days table is read in weeks: about five times less value
    than the same customers summarised in weeks. Given its unit, it is refused."""
    with pytest.raises(clv.InputError, match="fitted in weeks"):
        _SCORERS[name](fitted_bg, fitted_gg, days_joined, rfm_time_unit="D")


@pytest.mark.parametrize("name", list(_SCORERS))
def test_a_joined_table_given_its_unit_scores_as_the_original(
    fitted_bg, fitted_gg, cdnow_rfm, name
):
    score = _SCORERS[name]
    _assert_same(score(fitted_bg, fitted_gg, _joined(cdnow_rfm), rfm_time_unit="W"),
                 score(fitted_bg, fitted_gg, cdnow_rfm))  # fmt: skip


@pytest.mark.parametrize("name", list(_SCORERS))
def test_rfm_time_unit_is_checked(fitted_bg, fitted_gg, cdnow_rfm, name):
    score = _SCORERS[name]
    with pytest.raises(clv.InputError, match=r"rfm_time_unit='M' is not supported"):
        score(fitted_bg, fitted_gg, _joined(cdnow_rfm), rfm_time_unit="M")
    with pytest.raises(clv.InputError, match="contradicts the table's own time unit 'W'"):
        score(fitted_bg, fitted_gg, cdnow_rfm, rfm_time_unit="D")


def test_clv_table_points_a_deprecated_time_unit_beside_a_joined_table_at_rfm_time_unit(
    fitted_bg, fitted_gg, days_joined
):
    """As in customer_lifetime_value: time_unit="D" is the deprecated value period, not the
    table's unit."""
    with pytest.raises(clv.InputError, match=r"pass rfm_time_unit='D' instead"):
        clv.clv_table(fitted_bg, fitted_gg, days_joined, "12M", time_unit="D")


# ---------------------------------------------------------------------------------------------
# DayOneModel.predict_with_history
@pytest.fixture(scope="module")
def day_one(cdnow_sample, cdnow_rfm):
    """A Day One model fitted in weeks and the customers' signup attributes."""
    attributes = first_purchase_attributes(cdnow_sample).loc[cdnow_rfm.index]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.StatisticalWarning)
        model = clv.DayOneModel(["first_purchase_amount"], log=["first_purchase_amount"])
        return model.fit(cdnow_rfm, attributes), attributes


def test_history_prediction_refuses_a_days_table_given_as_days(day_one, days_joined):
    model, attributes = day_one
    with pytest.raises(clv.InputError, match="time unit 'D' but the model in 'W'"):
        model.predict_with_history(days_joined, attributes, rfm_time_unit="D")


def test_history_prediction_of_a_joined_table_given_its_unit(day_one, cdnow_rfm):
    model, attributes = day_one
    expected = model.predict_with_history(cdnow_rfm, attributes)
    result = model.predict_with_history(_joined(cdnow_rfm), attributes, rfm_time_unit="W")
    pd.testing.assert_frame_equal(result, expected)


def test_history_prediction_checks_rfm_time_unit(day_one, cdnow_rfm):
    model, attributes = day_one
    with pytest.raises(clv.InputError, match=r"rfm_time_unit='M' is not supported"):
        model.predict_with_history(_joined(cdnow_rfm), attributes, rfm_time_unit="M")
    with pytest.raises(clv.InputError, match="contradicts the table's own time unit 'W'"):
        model.predict_with_history(cdnow_rfm, attributes, rfm_time_unit="D")
