"""Tests of the messages of ``DayOneModel.fit`` and ``predict``.

Values are listed comma-separated like the rest of the library (not as Python lists), examples
beyond those shown end with dots, unseen levels are quoted text; a missing attribute when scoring
says the model was fitted with it (not to fit without it), while fitting keeps that advice.
"""

from __future__ import annotations

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
