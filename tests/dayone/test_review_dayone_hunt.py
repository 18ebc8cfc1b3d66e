"""Day One find-and-fix review: messages show values comma-separated like the rest of the library,
a repeated attribute column is refused in words, ids read as numbers in one table and text in the
other are named as the cause, and a categorical level of few fitting customers is warned about."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import clvmodel as clv

NUMERIC = ["first_purchase_amount", "first_purchase_quantity"]


def test_messages_list_values_comma_separated_not_as_python_lists(model, signups):
    signups["first_purchase_quantity"] = signups["first_purchase_quantity"].astype(float)
    signups.iloc[:2, signups.columns.get_loc("first_purchase_quantity")] = [-3.0, -2.5]
    with pytest.raises(clv.InputError) as negative:
        model.predict(signups)
    assert "(for example -3, -2.5)" in str(negative.value)
    assert "[" not in str(negative.value)


def test_more_examples_than_shown_end_with_dots(model, signups):
    signups["first_purchase_amount"] = np.nan
    with pytest.raises(clv.InputError) as missing:
        model.predict(signups)
    shown = ", ".join(str(i) for i in signups.index[:5])
    assert f"(for customers {shown} ...)" in str(missing.value)


def test_unseen_levels_are_quoted_text_not_a_list(model, signups):
    signups.iloc[:2, signups.columns.get_loc("channel")] = ["tv", "radio"]
    with pytest.raises(clv.InputError) as unseen:
        model.predict(signups)
    known = ", ".join(repr(level) for level in model.encoding_["categorical"][0]["levels"])
    assert "level(s) 'radio', 'tv' that the model never saw" in str(unseen.value)
    assert f"it knows {known}." in str(unseen.value)
    with pytest.warns(clv.ClvWarning, match=r"never saw \('radio', 'tv'\)"):
        model.predict(signups, unknown="baseline")


def test_a_repeated_attribute_column_is_refused_in_words(model, rfm, attributes, signups):
    doubled = signups.join(signups[["channel"]], rsuffix="_2").rename(
        columns={"channel_2": "channel"}
    )
    with pytest.raises(clv.InputError, match="more than one column named 'channel'"):
        model.predict(doubled)
    doubled = attributes.join(attributes[[NUMERIC[1]]], rsuffix="_2").rename(
        columns={f"{NUMERIC[1]}_2": NUMERIC[1]}
    )
    with pytest.raises(clv.InputError, match=f"more than one column named '{NUMERIC[1]}'"):
        clv.DayOneModel(NUMERIC, log=NUMERIC).fit(rfm, doubled)


def test_a_repeated_column_the_model_does_not_use_is_left_alone(model, signups):
    extra = signups.assign(note="a")
    extra = extra.join(extra[["note"]], rsuffix="_2").rename(columns={"note_2": "note"})
    table = model.predict(extra)
    assert np.allclose(table["day_one_value"], model.predict(signups)["day_one_value"])


def test_ids_as_numbers_beside_ids_as_text_are_named_as_the_cause(model, rfm, attributes):
    numbered = rfm.copy()
    numbered.index = numbered.index.astype("int64")
    with pytest.raises(clv.InputError, match="ids are numbers .* are text") as fit_error:
        clv.DayOneModel(NUMERIC, log=NUMERIC).fit(numbered, attributes)
    assert "read both the same way" in str(fit_error.value)
    with pytest.raises(clv.InputError, match="ids are numbers .* are text"):
        model.predict_with_history(numbered, attributes)


def test_some_missing_rows_of_same_typed_ids_get_no_type_hint(rfm, attributes):
    with pytest.raises(clv.InputError, match="no row for 1 of") as missing:
        clv.DayOneModel(NUMERIC, log=NUMERIC).fit(rfm, attributes.iloc[1:])
    assert "read both the same way" not in str(missing.value)


def test_loaded_segment_profiles_hold_the_fitted_counts_and_shares(model, tmp_path):
    loaded = clv.DayOneModel.load(model.save(tmp_path / "m.json"))
    profiles = model.segment_profiles_
    assert np.array_equal(loaded.segment_profiles_.to_numpy(), profiles.to_numpy(dtype=float))
    assert profiles["share"].sum() == pytest.approx(1.0)


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


def test_a_missing_attribute_when_scoring_gives_no_fitting_advice(model, signups):
    with pytest.raises(clv.InputError, match="there is no column 'channel'") as scoring:
        model.predict(signups.drop(columns="channel"))
    assert "fit the model without it" not in str(scoring.value)
    assert "the model was fitted with it" in str(scoring.value)
    with pytest.raises(clv.InputError, match="fitted with it"):
        model.predict(signups.drop(columns="first_purchase_amount"))


def test_a_missing_attribute_when_fitting_keeps_its_advice(rfm, attributes):
    with pytest.raises(clv.InputError, match="fit the model without it"):
        clv.DayOneModel(NUMERIC, ["region"], log=NUMERIC).fit(rfm, attributes)


def test_a_missing_quantity_column_names_quantity_col(transactions):
    with pytest.raises(clv.InputError, match="no column 'qty' in the transactions") as missing:
        clv.dayone.first_purchase_attributes(transactions, quantity_col="qty")
    assert "quantity_col=" in str(missing.value) and "attribute" not in str(missing.value)
