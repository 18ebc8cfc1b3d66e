"""Tests of ``DayOneModel``'s categorical levels: datetime levels and rare levels.

A datetime level must not depend on the other rows (a midnight is 'YYYY-MM-DD' beside a time of
day), and older model files whose midnight levels were stored as '1997-01-01 00:00:00' still
score the same signups the same. A level of few fitting customers is warned about.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import clvmodel as clv

NUMERIC = ["first_purchase_amount", "first_purchase_quantity"]


# DayOneModel: datetime categorical levels
@pytest.fixture(scope="module")
def month_model(rfm, attributes):
    signups = attributes.assign(
        month=attributes["signup_date"].dt.to_period("M").dt.to_timestamp()
    )  # 1997-01-01, 1997-02-01, 1997-03-01: CDNOW's customers signed up in Q1 1997
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.StatisticalWarning)
        model = clv.DayOneModel(
            numeric=["first_purchase_amount"],
            categorical=["month"],
            log=["first_purchase_amount"],
            first_purchase_col="first_purchase_amount",
        ).fit(rfm, signups)
    return model, signups


def test_a_datetime_level_does_not_depend_on_the_other_rows(month_model):
    model, signups = month_model
    assert model.encoding_["categorical"][0]["levels"] == ["1997-01-01", "1997-02-01", "1997-03-01"]
    alone = model.predict(signups.loc[["00004"]])
    batch = signups.loc[["00004", "00021"]].copy()
    batch.loc["00021", "month"] = pd.Timestamp("1997-02-01 12:00")
    with pytest.warns(clv.ClvWarning, match=r"1997-02-01 12:00:00"):
        beside = model.predict(batch, unknown="baseline")
    assert beside.loc["00004", "day_one_value"] == alone.loc["00004", "day_one_value"]
    with pytest.raises(clv.InputError, match=r"'1997-02-01 12:00:00' that the model never"):
        model.predict(batch)


def test_datetime_levels_fitted_beside_times_of_day(rfm, attributes):
    # Fitted on midnights and one 12:00: the midnights are still 'YYYY-MM-DD'.
    signups = attributes.assign(month=attributes["signup_date"].dt.to_period("M").dt.to_timestamp())
    signups.loc["00004", "month"] = pd.Timestamp("1997-01-01 12:00")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.StatisticalWarning)
        model = clv.DayOneModel(categorical=["month"]).fit(rfm, signups)
    levels = model.encoding_["categorical"][0]["levels"]
    assert levels == ["1997-01-01", "1997-01-01 12:00:00", "1997-02-01", "1997-03-01"]
    one = signups.loc[["00021"]]
    assert model.predict(one).equals(model.predict(signups.loc[["00021", "00004"]]).loc[["00021"]])


def test_older_files_with_full_datetime_levels_still_match(month_model, tmp_path):
    # A model fitted beside a time of day stored its midnight levels as pandas wrote that column:
    # '1997-01-01 00:00:00'. Such a file still scores the same signups the same.
    model, signups = month_model
    path = model.save(tmp_path / "dayone.json")
    text = path.read_text()
    levels = model.encoding_["categorical"][0]["levels"]
    assert all(text.count(level) >= 2 for level in levels)  # the level and its covariate name
    for level in levels:
        text = text.replace(level, f"{level} 00:00:00")
    path.write_text(text)
    older = clv.DayOneModel.load(path)
    some = signups.groupby("month").head(10)
    pd.testing.assert_frame_equal(older.predict(some), model.predict(some))
    assert some["month"].nunique() == 3


def test_a_level_of_few_fitting_customers_is_warned_about(rfm, attributes):
    few = attributes.copy()
    few.iloc[:3, few.columns.get_loc("channel")] = "tv"
    with pytest.warns(
        clv.ClvWarning, match=r"'channel' has 1 level\(s\) with fewer than 10 .*'tv' \(3\)"
    ):
        clv.DayOneModel(NUMERIC, ["channel"], log=NUMERIC).fit(rfm, few)


def test_levels_of_enough_customers_are_not_warned_about(rfm, attributes):
    with warnings.catch_warnings():
        warnings.simplefilter("error", clv.ClvWarning)
        warnings.simplefilter("ignore", clv.StatisticalWarning)
        clv.DayOneModel(NUMERIC, ["channel"], log=NUMERIC).fit(rfm, attributes)
