"""Day One segment profiles and encodings: silently wrong answers found, and their fixes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import clvmodel as clv


def test_loaded_segment_profiles_keep_the_fitted_dtypes(model, tmp_path):
    """The ``customers`` counts came back as float64 after save + load (JSON holds floats)."""
    loaded = clv.load(model.save(tmp_path / "dayone.json"))
    fitted = model.segment_profiles_
    assert fitted["customers"].dtype.kind == "i"
    pd.testing.assert_frame_equal(loaded.segment_profiles_, fitted, check_exact=True)
    assert loaded.segment_profiles_.dtypes.to_dict() == fitted.dtypes.to_dict()


@pytest.mark.parametrize("count", [12.5, -3.0, float("nan")])
def test_a_file_whose_counts_are_not_whole_numbers_is_refused(model, tmp_path, count):
    document = model.to_dict()
    column = document["segment_profiles"]["columns"].index("customers")
    document["segment_profiles"]["data"][0][column] = count
    path = tmp_path / "dayone.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(clv.ModelFileError, match="'customers' must hold whole numbers"):
        clv.load(path)


def test_evaluate_day_one_names_customers_without_attributes(transactions, attributes):
    """Attributes missing for evaluation customers raised a raw KeyError after both fits."""
    from clvmodel.dayone import evaluate_day_one

    rfm_ids = clv.rfm_summary(transactions, time_unit="W").index
    with pytest.raises(clv.InputError, match="no row for 3 of the") as error:
        evaluate_day_one(transactions, attributes.drop(rfm_ids[:3]))
    assert str(rfm_ids[0]) in str(error.value)


def test_evaluate_day_one_on_a_log_without_quantities(transactions):
    """quantity_col=None left first_purchase_quantity in the default attributes (refused as a
    missing attribute); the missing column's message said to leave quantity_col out, which
    keeps the default 'quantity'."""
    from clvmodel.dayone import evaluate_day_one

    log = transactions.drop(columns="quantity")
    with pytest.raises(clv.InputError, match="quantity_col=None"):
        evaluate_day_one(log)
    result = evaluate_day_one(log, quantity_col=None, covariates_on=("purchase", "spend"))
    assert result.model.numeric == ["first_purchase_amount", "signup_week"]
    assert result.model.log == ["first_purchase_amount"]
    # Attributes named explicitly are kept as given.
    with pytest.raises(clv.InputError, match="no column 'first_purchase_quantity'"):
        evaluate_day_one(log, quantity_col=None, numeric=["first_purchase_quantity"], log=[])


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
