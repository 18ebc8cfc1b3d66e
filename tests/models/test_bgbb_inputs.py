"""BG/BB's inputs: functions of calendar time refuse the model, horizons are whole numbers of
opportunities, bad sizes and shapes end in InputError naming the argument, and messages show plain
numbers and kinds of model.

The parameters are those of Fader, Hardie and Shang (2010), "Customer-base analysis in a
discrete-time noncontractual setting", Marketing Science 29(6), on the donations data:
α = 1.204, β = 0.750, γ = 0.657, δ = 2.783.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from published import PUBLISHED_BG

import clvmodel as clv
from clvmodel.errors import InputError, ModelFileError
from clvmodel.models.beta_geo_beta_binom import BetaGeoBetaBinomModel
from clvmodel.value import check_models

PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
# BG/NBD on the CDNOW sample, Fader, Hardie and Lee (2005), "Counting your customers the easy way".
BG = PUBLISHED_BG
COLUMNS = ["frequency", "recency", "n_periods"]
HORIZON = "whole number of opportunities \\(occasions"


@pytest.fixture(scope="module")
def model():
    return BetaGeoBetaBinomModel.from_params(PUBLISHED)


@pytest.fixture(scope="module")
def donors(model):
    return model.simulate(2000, 6, random_state=1)[COLUMNS]


@pytest.fixture(scope="module")
def fitted(donors):
    return BetaGeoBetaBinomModel().fit(donors)


def _purchase_model_message(model, name: str) -> str:
    """The refusal of customer_lifetime_value's check, naming the argument ``name``."""
    with pytest.raises(InputError) as refused:
        check_models(model, name=name)
    return str(refused.value)


# 1. and 2. Functions of calendar time ------------------------------------------------------------
@pytest.mark.parametrize("unit", ["D", "W"])
def test_tracking_table_refuses_bgbb_as_customer_lifetime_value_does(model, unit):
    # Before, time_unit="D" gave a table counting each day as an opportunity (52,581.8 expected
    # repeat transactions against 4,339) and "W" a 7,902-character message printing an array.
    with pytest.raises(InputError) as refused:
        clv.tracking_table(model, clv.datasets.load_cdnow_sample(), "1997-09-30", time_unit=unit)
    assert str(refused.value) == _purchase_model_message(model, "bg")


def test_coverage_refuses_bgbb_before_predicting(fitted, donors):
    # Before: a raw AttributeError (no purchase_distribution) after predicting with a calendar
    # duration read as a number of opportunities.
    holdout = pd.DataFrame({"frequency_holdout": 0, "duration_holdout": 5.0}, index=donors.index)
    calls = [
        (lambda: clv.interval_coverage(fitted, donors, holdout, interval=0.9), "model"),
        (lambda: clv.coverage_comparison({"BG/BB": fitted}, donors, holdout), "models['BG/BB']"),
    ]
    for call, name in calls:
        with pytest.raises(InputError) as refused:
            call()
        assert str(refused.value) == _purchase_model_message(fitted, name)
    with pytest.raises(InputError) as refused:  # a list: labelled as compare_models labels it
        clv.coverage_comparison([fitted], donors, holdout)
    assert str(refused.value).startswith("models[") and "BetaGeoBetaBinomModel" in str(
        refused.value
    )


def test_coverage_comparison_refuses_before_evaluating_any_model(fitted, donors):
    # A purchase model listed first is not evaluated (its own check would say the holdout table
    # is not in its time unit); the BG/BB model after it is refused first.
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    holdout = pd.DataFrame({"frequency_holdout": 0, "duration_holdout": 5.0}, index=donors.index)
    with pytest.raises(InputError) as refused:
        clv.coverage_comparison({"BG/NBD": bg, "BG/BB": fitted}, donors, holdout)
    assert str(refused.value) == _purchase_model_message(fitted, "models['BG/BB']")


# 3. Horizons are opportunities, not calendar time ----------------------------------------------
@pytest.mark.parametrize("horizon", ["12M", "52W", "1Y", "six", clv.Duration(12, "M")])
@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("n_star", lambda m, d, h: m.expected_purchases(d, h)),
        ("n_star", lambda m, d, h: m.predict(d, h)),
        ("n", lambda m, d, h: m.expected_purchases_new(h)),
        ("m", lambda m, d, h: m.probability_alive(d, m=h)),
        ("n", lambda m, d, h: m.probability_of_purchases(1, h)),
    ],
)
def test_calendar_horizons_are_refused_in_words(model, donors, name, call, horizon):
    with pytest.raises(InputError, match=HORIZON) as refused:
        call(model, donors.head(3), horizon)
    assert str(refused.value).startswith(f"{name}=")
    assert "calendar duration" in str(refused.value)


@settings(max_examples=30, deadline=None)
@given(count=st.integers(0, 10**6), unit=st.sampled_from(["D", "W", "M", "Y", " months"]))
def test_any_duration_text_is_refused_naming_it(model, count, unit):
    text = f"{count}{unit}"
    with pytest.raises(InputError, match=HORIZON) as refused:
        model.expected_purchases_new(text)
    assert str(refused.value).startswith(f"n={text!r}: ")


# 4. Sizes and shapes ---------------------------------------------------------------------------
def test_an_empty_table_predicts_empty_columns_with_intervals(fitted, donors):
    # Before: IndexError in the count's prediction interval.
    full = fitted.predict(donors.head(2), 5, interval=0.9)
    empty = fitted.predict(donors.iloc[:0], 5, interval=0.9)
    assert empty.shape == (0, 12)
    assert list(empty.columns) == list(full.columns)


@pytest.mark.parametrize(
    ("customers", "periods", "message"),
    [
        (10, 0, "n_periods must be at least 1 opportunity"),
        (-1, 6, "n_customers must be one whole number ≥ 0, got -1"),
        (
            10,
            2.7,
            "n_periods must be one whole number of opportunities ≥ 0, got 2.7",
        ),  # was 2, silently
        (2.5, 6, "n_customers must be one whole number ≥ 0, got 2.5"),
        ([3, 4], 6, r"n_customers must be one whole number ≥ 0, got \[3, 4\]"),
        (10, [6, 7], r"n_periods must be one whole number of opportunities ≥ 0, got \[6, 7\]"),
    ],
)
def test_simulate_refuses_bad_sizes(model, customers, periods, message):
    with pytest.raises(InputError, match=message):
        model.simulate(customers, periods, random_state=0)


def test_simulate_keeps_zero_customers(model):
    assert model.simulate(0, 6, random_state=0).shape == (0, 6)


def test_probability_of_purchases_takes_one_n(model):
    with pytest.raises(InputError, match=r"n must be one whole number .* got \[6, 6\]"):
        model.probability_of_purchases([0, 1], [6, 6])


def test_expected_purchases_takes_one_horizon_or_one_per_row(model, donors):
    rows = donors.head(3)
    with pytest.raises(InputError, match=r"one per row \(3\), got 2: \[1, 2\]"):
        model.expected_purchases(rows, [1, 2])
    each = model.expected_purchases(rows, [1, 2, 3])
    for k, horizon in enumerate([1, 2, 3]):
        one = model.expected_purchases(rows.iloc[[k]], horizon)
        assert each.iloc[k] == pytest.approx(one.iloc[0], rel=1e-15)


def test_a_mapping_of_single_values_is_one_customer(model):
    # Before: TypeError (len() of an int) in validate_opportunities.
    single = model.probability_alive({"frequency": 1, "recency": 2, "n_periods": 3})
    table = model.probability_alive(
        pd.DataFrame({"frequency": [1], "recency": [2], "n_periods": [3]})
    )
    assert single.tolist() == table.tolist()
    with pytest.raises(InputError, match="must have one length"):
        model.probability_alive({"frequency": [1, 0], "recency": [2, 0], "n_periods": 3})


# 5. Plain words --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("row", "shown"), [((3, 2, 6), "[(3, 2, 6)] at [0]"), ((1.5, 2, 6), "[(1.5, 2, 6)] at [0]")]
)
def test_row_messages_show_plain_numbers(model, row, shown):
    with pytest.raises(InputError) as refused:
        model.probability_alive(pd.DataFrame([row], columns=COLUMNS))
    assert str(refused.value).endswith(f"(frequency, recency, n_periods) = {shown}.")
    assert "np." not in str(refused.value)


def test_argument_messages_show_plain_numbers(model):
    rows = pd.DataFrame([(3, 3, 6)], columns=COLUMNS)
    with pytest.raises(InputError) as refused:
        model.probability_alive(rows, m=np.array([1.0, 2.0]))
    assert str(refused.value).endswith("got [1, 2].")
    with pytest.raises(InputError) as refused:
        model.expected_purchases_new(np.arange(0.5, 100.0))
    assert str(refused.value).endswith("got [0.5, 1.5, 2.5, 3.5, 4.5, … (100 values)].")


def test_a_bundle_refuses_a_bgbb_model_when_built(fitted):
    # Before: saved, then every loader refused it as "a BetaGeoBetaBinomModel, not a PurchaseModel".
    with pytest.raises(InputError) as refused:
        clv.ModelBundle(fitted)
    assert "holds a BG/BB model, not a purchase model (BG/NBD, MBG/NBD or Pareto/NBD)" in str(
        refused.value
    )
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    with pytest.raises(InputError, match=r"holds a BG/BB model, not a spend model \(Gamma-Gamma\)"):
        clv.ModelBundle(bg, fitted)
    with pytest.raises(InputError, match=r"holds a str, not a purchase model"):
        clv.ModelBundle("bg.json")


def test_a_bundle_file_holding_bgbb_is_refused_in_words(fitted, tmp_path):
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    path = clv.ModelBundle(bg).save(tmp_path / "bundle.json")
    document = json.loads(path.read_text())
    document["models"]["bg"] = fitted.to_dict()  # as ModelBundle.save wrote it before
    path.write_text(json.dumps(document))
    for load in (clv.load_models, clv.load):
        with pytest.raises(ModelFileError) as refused:
            load(path)
        message = str(refused.value)
        assert (
            "holds a BG/BB model, not a purchase model (BG/NBD, MBG/NBD or Pareto/NBD)" in message
        )
        assert "no clvmodel command takes it" in message
        assert "BetaGeoBetaBinomModel" not in message and "PurchaseModel" not in message


def test_no_time_unit_is_taken_or_stored(donors, tmp_path):
    # BG/BB stored a calendar unit ("D" from a table's attrs, "W" given) and wrote it to its file,
    # which then let calendar-time functions run on it.
    with pytest.raises(InputError, match="BG/BB counts opportunities"):
        BetaGeoBetaBinomModel.from_params(PUBLISHED, time_unit="D")
    with pytest.raises(InputError, match="time_unit='W': BG/BB counts opportunities"):
        BetaGeoBetaBinomModel().fit(donors, time_unit="W")
    tagged = donors.copy()
    tagged.attrs["time_unit"] = "D"
    fitted = BetaGeoBetaBinomModel().fit(tagged)
    assert fitted.time_unit_ is None and tagged.attrs["time_unit"] == "D"
    path = fitted.save(tmp_path / "bgbb.json")
    assert json.loads(path.read_text())["time_unit"] is None
    document = json.loads(path.read_text())
    document["time_unit"] = "D"
    path.write_text(json.dumps(document))
    with pytest.raises(ModelFileError, match="BG/BB counts opportunities"):
        clv.load(path)
