"""Tests of ``DayOneModel``'s categorical attributes by the dtype of their column.

* A date column taken as a categorical attribute (``categorical=["signup_date"]``) had a level
  per day (84 on the CDNOW sample) and fitted for a long time without a word; any number of
  levels was taken. Both are refused.
* Levels read the same whatever the column's dtype: float and text codes find the int levels,
  a float fit gives integer levels and text is trimmed, and a model file saved before levels
  were normalised ('1.0', '2.0') still scores.
"""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from dayone_attributes import attributes_with_channel

import clvmodel as clv


@pytest.fixture(scope="module")
def tx():
    return clv.datasets.load_cdnow_sample()


@pytest.fixture(scope="module")
def rfm(tx):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        return clv.rfm_summary(tx, observation_end="1997-09-30")


@pytest.fixture(scope="module")
def attributes(tx):
    return attributes_with_channel(tx)


@pytest.fixture(scope="module")
def day_one(cdnow_sample):
    rfm = clv.rfm_summary(cdnow_sample, observation_end="1997-09-30", drop_duplicates=True)
    signup = clv.dayone.first_purchase_attributes(cdnow_sample, quantity_col="quantity").loc[
        rfm.index
    ]
    signup["channel"] = np.where(signup["first_purchase_quantity"] > 1, 2, 1)  # int64 codes
    model = clv.DayOneModel(
        ["first_purchase_amount"], categorical=["channel"], log=["first_purchase_amount"]
    ).fit(rfm, signup)
    return model, rfm, signup


@pytest.mark.parametrize("as_text", [False, True])
def test_python_refuses_a_date_attribute_as_categorical(rfm, attributes, as_text):
    table = attributes.loc[rfm.index]
    if as_text:
        table = table.assign(signup_date=table["signup_date"].dt.strftime("%d/%m/%Y"))
    model = clv.DayOneModel(categorical=["signup_date"])
    with pytest.raises(clv.InputError, match=r"'signup_date' holds dates \(84 distinct"):
        model.fit(rfm, table)


def test_python_refuses_a_categorical_attribute_with_very_many_levels(rfm, attributes):
    table = attributes.loc[rfm.index]
    table = table.assign(shop=[f"shop {k % 60}" for k in range(len(table))])
    with pytest.raises(clv.InputError, match=r"'shop' has 60 levels .*at most 50"):
        clv.DayOneModel(categorical=["shop"]).fit(rfm, table)


def test_float_and_text_codes_are_the_int_levels(day_one):
    model, _, signup = day_one
    new = signup.iloc[:40].copy()
    assert set(new["channel"]) == {1, 2}
    expected = model.predict(new)["day_one_value"]
    for codes in (new["channel"].astype(float), new["channel"].map({1: " 1.0", 2: "2 "})):
        with warnings.catch_warnings():
            warnings.simplefilter("error", clv.errors.ClvWarning)  # no 'never saw' warning
            for unknown in ("error", "baseline"):
                got = model.predict(new.assign(channel=codes), unknown=unknown)["day_one_value"]
                pd.testing.assert_series_equal(got, expected)
    assert model.encoding_["categorical"][0]["levels"] == ["1", "2"]


def test_float_fit_gives_integer_levels_and_trims_text(cdnow_sample, day_one):
    _, rfm, signup = day_one
    as_float = signup.assign(channel=signup["channel"].astype(float))
    as_text = signup.assign(channel=signup["channel"].map({1: " web", 2: "shop "}))
    fitted = {}
    for name, table in (("float", as_float), ("text", as_text)):
        fitted[name] = clv.DayOneModel(
            ["first_purchase_amount"], categorical=["channel"], log=["first_purchase_amount"],
            baselines={"channel": 2.0 if name == "float" else "shop"},
        ).fit(rfm, table)  # fmt: skip
    assert fitted["float"].encoding_["categorical"][0] == {
        "name": "channel", "levels": ["1", "2"], "baseline": "2",
    }  # fmt: skip
    assert fitted["text"].encoding_["categorical"][0]["levels"] == ["shop", "web"]
    new = as_text.iloc[:10].assign(channel=as_text["channel"].iloc[:10].str.strip())
    pd.testing.assert_series_equal(
        fitted["text"].predict(new)["day_one_value"],
        fitted["float"].predict(signup.iloc[:10])["day_one_value"],
    )


def test_a_model_file_with_float_levels_still_scores(day_one, tmp_path):
    """A model saved before levels were normalised holds '1.0' and '2.0' (and covariates named
    'channel=1.0'): it loads, and int, float and text codes all find their level."""
    model, _, signup = day_one
    path = tmp_path / "model.json"
    model.save(path)
    document = json.loads(path.read_text())

    def older(value):
        if isinstance(value, dict):
            return {older(k): older(v) for k, v in value.items()}
        if isinstance(value, list):
            return [older(v) for v in value]
        return re.sub(r"channel=(\d)$", r"channel=\1.0", value) if isinstance(value, str) else value

    document = older(document)
    entry = document["encoding"]["categorical"][0]
    entry["levels"] = [level + ".0" for level in entry["levels"]]
    entry["baseline"] += ".0"
    old_path = tmp_path / "old.json"
    old_path.write_text(json.dumps(document))
    loaded = clv.DayOneModel.load(old_path)
    assert loaded.encoding_["categorical"][0]["levels"] == ["1.0", "2.0"]
    new = signup.iloc[:40]
    expected = model.predict(new)["day_one_value"].to_numpy()
    for codes in (new["channel"], new["channel"].astype(float), new["channel"].astype(str)):
        got = loaded.predict(new.assign(channel=codes))["day_one_value"].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-12)
