"""Day One input checks in the Python API: signups far outside the fitting range warn, attribute
rows of customers without purchases are reported, and messages speak Python with plain numbers."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv

NUMERIC = ["first_purchase_amount", "first_purchase_quantity"]
DATA = Path(__file__).parent / "data"


def clv_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, clv.ClvWarning)]


# Problem 1: extreme signup attributes were extrapolated silently.
def test_signups_far_outside_the_fitting_range_warn_with_the_attribute_count_and_range(
    model, signups, attributes
):
    assert set(model.attribute_ranges_) == set(NUMERIC)
    low, high = attributes["first_purchase_quantity"].agg(["min", "max"])
    assert model.attribute_ranges_["first_purchase_quantity"] == {"min": low, "max": high}
    signups.iloc[[0, 1], signups.columns.get_loc("first_purchase_quantity")] = 1e9
    signups.iloc[2, signups.columns.get_loc("first_purchase_amount")] = 1e12
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.predict(signups)
    messages = clv_warnings(caught)
    assert len(messages) == 2, messages
    quantity, amount = sorted(messages, key=lambda m: "quantity" not in m)
    assert quantity.startswith("2 of 10 signups have 'first_purchase_quantity' far outside")
    assert f"({low:g} to {high:g})" in quantity and "1e+09" in quantity
    assert amount.startswith("1 of 10 signups have 'first_purchase_amount' far outside")
    assert "1e+12" in amount and "np." not in amount
    assert caught[0].filename == __file__  # points at the caller of predict


def test_values_inside_or_near_the_range_do_not_warn(model, signups, attributes):
    high = attributes["first_purchase_quantity"].max()
    signups.iloc[0, signups.columns.get_loc("first_purchase_quantity")] = high * 1.5
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.predict(signups)
    assert clv_warnings(caught) == []


def test_ranges_survive_save_and_load_and_older_files_load_without_them(model, signups, tmp_path):
    loaded = clv.DayOneModel.load(model.save(tmp_path / "m.json"))
    assert loaded.attribute_ranges_ == model.attribute_ranges_
    signups.iloc[0, signups.columns.get_loc("first_purchase_quantity")] = 1e9
    with pytest.warns(clv.ClvWarning, match="far outside"):
        loaded.predict(signups)
    old = clv.DayOneModel.load(DATA / "dayone_v1_model.json")  # written before ranges existed
    assert old.attribute_ranges_ is None
    assert "attribute_ranges" not in old.to_dict()


@pytest.mark.parametrize(
    "change",
    [
        lambda ranges: ranges.pop("first_purchase_amount"),
        lambda ranges: ranges["first_purchase_amount"].update(min=10**400),
        lambda ranges: ranges["first_purchase_amount"].update(min=5.0, max=1.0),
    ],
)
def test_a_damaged_range_is_a_model_file_error(model, change):
    document = json.loads(json.dumps(model.to_dict()))
    change(document["attribute_ranges"])
    with pytest.raises(clv.ModelFileError, match="'attribute_ranges'"):
        clv.DayOneModel.from_dict(document)


# Problem 2: attribute rows of customers without transactions were dropped silently.
def test_attribute_rows_of_customers_not_in_the_rfm_table_are_reported(rfm, attributes):
    extra = attributes.head(3).copy()
    extra.index = ["x1", "x2", "x3"]
    table = pd.concat([attributes, extra])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", clv.StatisticalWarning)
        fitted = clv.DayOneModel(["first_purchase_amount"], log=["first_purchase_amount"]).fit(
            rfm, table
        )
    messages = clv_warnings(caught)
    assert messages == [
        f"3 of the {len(table)} rows of the signup attributes are of customers not in the RFM "
        "table (for example x1, x2, x3); they are left out of the fit."
    ]
    assert caught[0].filename == __file__
    assert fitted.segment_profiles_["customers"].sum() == len(rfm)


# Problem 3: numpy reprs, and fit-time advice (log=, categorical=) when scoring.
def test_scoring_messages_print_plain_numbers_and_no_fit_time_advice(model, signups):
    signups["first_purchase_quantity"] = signups["first_purchase_quantity"].astype(float)
    signups.iloc[0, signups.columns.get_loc("first_purchase_quantity")] = -3.0
    with pytest.raises(clv.InputError) as negative:
        model.predict(signups)
    assert "(for example -3)" in str(negative.value)
    assert "np.float64" not in str(negative.value) and "log=" not in str(negative.value)
    signups["first_purchase_quantity"] = signups["first_purchase_quantity"].astype(object)
    signups.iloc[0, signups.columns.get_loc("first_purchase_quantity")] = "two"
    with pytest.raises(clv.InputError, match="not numeric") as text:
        model.predict(signups)
    assert "categorical=" not in str(text.value)


def test_fitting_messages_keep_their_advice_with_plain_numbers(rfm, attributes):
    table = attributes.copy()
    table.iloc[0, table.columns.get_loc("first_purchase_quantity")] = -3.0
    with pytest.raises(clv.InputError) as caught:
        clv.DayOneModel(["first_purchase_quantity"], log=["first_purchase_quantity"]).fit(
            rfm, table
        )
    message = str(caught.value)
    assert "(for example -3)" in message and "out of log= to enter it as it is" in message
    assert "np.float64" not in message


def test_a_negative_first_purchase_is_refused_before_fitting(rfm, attributes):
    table = attributes.copy()
    table.iloc[:2, table.columns.get_loc("first_purchase_amount")] = -1.0
    model = clv.DayOneModel(["signup_week"], first_purchase_col="first_purchase_amount")
    with pytest.raises(clv.InputError) as caught:
        model.fit(rfm, table)
    message = str(caught.value)
    assert "the signup attributes have 2 negative first purchase amount(s)" in message
    assert "np." not in message and "categorical=" not in message


# Problem 4: the unknown-level hint named the command line's option twice.
def test_the_unknown_level_hint_names_the_argument_once(model, signups):
    signups.iloc[0, signups.columns.get_loc("channel")] = "tv"
    with pytest.raises(clv.InputError) as caught:
        model.predict(signups)
    message = str(caught.value)
    assert message.count("unknown='baseline'") == 1
    assert "command line" not in message and "--unknown" not in message


# Problem 6: a single price suggested amount_col=None, which DayOneModel does not take.
def test_a_single_price_says_what_a_day_one_model_can_do_instead(rfm, attributes):
    flat = rfm.copy()
    flat["monetary_value"] = np.where(flat["frequency"] > 0, 9.99, 0.0)
    model = clv.DayOneModel(["first_purchase_amount"], log=["first_purchase_amount"])
    with pytest.raises(clv.InputError) as caught:
        model.fit(flat, attributes)
    message = str(caught.value)
    assert "(9.99, a single price?)" in message and "BetaGeoCovariateModel" in message
    assert "amount_col" not in message
