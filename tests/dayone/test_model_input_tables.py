"""Tests of the RFM and attribute tables ``DayOneModel.fit`` and ``predict`` read.

* A repeated attribute column is refused in words; a repeated column the model does not use is
  left alone.
* Ids read as numbers in one table and as text in the other are named as the cause of the
  missing rows (and no such hint is given when both are read alike).
* A table ``rfm_summary`` recorded in days, fitted with ``time_unit='W'``, gave a model labelled
  weeks whose rates were per day: refused.
* ``fit`` refused a missing first purchase in rows it leaves out, and an RFM column of any name
  that an attribute shares (only the RFM columns clash).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.dayone import first_purchase_attributes

NUMERIC = ["first_purchase_amount", "first_purchase_quantity"]


@pytest.fixture(scope="module")
def tx():
    return clv.datasets.load_cdnow_sample()


@pytest.fixture(scope="module")
def rfm_and_attributes(tx):
    rfm = clv.rfm_summary(tx, observation_end="1998-06-30", time_unit="W", drop_duplicates=True)
    return rfm, first_purchase_attributes(tx, quantity_col="quantity")[NUMERIC]


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


def test_fit_refuses_a_time_unit_that_contradicts_the_table(transactions, attributes):
    """A table rfm_summary recorded in days, fitted with time_unit='W', gave a model labelled
    weeks whose rates were per day: its 13-month Day One value counted 56 days."""
    days = clv.rfm_summary(transactions, observation_end="1998-06-30", time_unit="D")
    model = clv.DayOneModel(
        ["first_purchase_amount"], log=["first_purchase_amount"], covariates_on=("purchase",)
    )
    with pytest.raises(clv.InputError, match="time_unit='W' contradicts the table's own"):
        model.fit(days, attributes, time_unit="W")
    assert model.fit(days, attributes, time_unit="D").time_unit_ == "D"


def test_a_missing_first_purchase_of_a_row_left_out_is_no_error(rfm_and_attributes):
    rfm, attributes = rfm_and_attributes
    stranger = pd.DataFrame({NUMERIC[0]: [np.nan], NUMERIC[1]: [1.0]}, index=["stranger"])
    model = clv.DayOneModel(NUMERIC, first_purchase_col=NUMERIC[0])
    with pytest.warns(clv.ClvWarning, match="left out of the fit"):
        model.fit(rfm, pd.concat([attributes, stranger]))
    with pytest.raises(clv.InputError):  # a customer fitted on still needs one
        model.fit(rfm, attributes.assign(**{NUMERIC[0]: attributes[NUMERIC[0]].where(
            attributes.index != rfm.index[0])}))  # fmt: skip


def test_only_the_rfm_columns_clash_with_attribute_names(rfm_and_attributes):
    rfm, attributes = rfm_and_attributes
    extended = rfm.assign(**{NUMERIC[0]: 1.0})  # another column of the RFM table
    model = clv.DayOneModel(NUMERIC).fit(extended, attributes)
    reference = clv.DayOneModel(NUMERIC).fit(rfm, attributes)
    pd.testing.assert_series_equal(model.bg_.params_, reference.bg_.params_)
    with pytest.raises(clv.InputError, match="clash with RFM columns"):
        clv.DayOneModel(["recency"]).fit(rfm, attributes.assign(recency=attributes[NUMERIC[0]]))
