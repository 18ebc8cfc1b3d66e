"""Covariates scored in another unit than at the fit warn instead of giving silently wrong numbers.

A BG/NBD fitted on the CDNOW sample with an income covariate in thousands, scored with income in
dollars, predicted 0.0043 purchases per customer in the next 52 weeks on average (0.83 in the
fitted unit), without a word. A fitted
model now keeps each covariate's range over the customers fitted (``covariate_ranges_``, in the
``fit`` section of its file) and its predictions name the customers far outside it (see
:mod:`clvmodel.models._covariate_ranges` for what "far" means).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.models._covariate_ranges import far_outside


@pytest.fixture(scope="module")
def rfm():
    table = clv.rfm_summary(clv.datasets.load_cdnow_sample(), drop_duplicates=True)
    rng = np.random.default_rng(7)
    table["income"] = rng.uniform(20.0, 120.0, len(table))  # thousands of dollars
    table["score"] = rng.normal(size=len(table))  # a standardised covariate
    return table


@pytest.fixture(scope="module")
def model(rfm):
    return clv.BetaGeoModel(
        purchase_covariates=["income", "score"], dropout_covariates=["income"]
    ).fit(rfm)


def far_warnings(call) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if "far outside" in str(w.message)]


def test_the_fit_keeps_each_covariates_range(model, rfm):
    assert model.covariate_ranges_ == {
        "income": (rfm["income"].min(), rfm["income"].max()),
        "score": (rfm["score"].min(), rfm["score"].max()),
    }
    assert clv.BetaGeoModel().fit(rfm).covariate_ranges_ == {}


def test_income_in_units_instead_of_thousands_warns_once_at_the_callers_line(model, rfm):
    units = rfm.head(40).assign(income=rfm["income"].head(40) * 1000)
    right = model.expected_purchases(rfm.head(40), 52)
    caught = far_warnings(lambda: model.expected_purchases(units, 52))
    # The covariate acts on both processes but is named once; the numbers are far off.
    assert len(caught) == 1 and caught[0].category is clv.OutsideRangeWarning
    warning = caught[0].message  # what a batch job adds up
    assert (warning.name, warning.far, warning.total, warning.who) == (
        "income",
        40,
        40,
        "customers",
    )
    assert issubclass(clv.OutsideRangeWarning, clv.ClvWarning)
    message = str(caught[0].message)
    assert message.startswith("40 of 40 customers have 'income' far outside the range")
    low, high = model.covariate_ranges_["income"]
    assert f"({low:g} to {high:g})" in message and "another unit" in message
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wrong = model.expected_purchases(units, 52)
    assert not np.allclose(wrong, right, rtol=0.5)


def test_a_column_divided_by_a_thousand_warns_through_the_log_scale(rfm):
    in_units = rfm.assign(income=rfm["income"] * 1000)
    fitted = clv.BetaGeoModel(purchase_covariates=["income"]).fit(in_units)
    caught = far_warnings(lambda: fitted.probability_alive(rfm.head(10)))
    assert len(caught) == 1 and str(caught[0].message).startswith("10 of 10 customers")


def test_values_inside_or_near_the_range_do_not_warn(model, rfm):
    near = rfm.head(20).copy()
    near.loc[near.index[0], "income"] = 120.0 * 1.5  # beyond the range, by half its width
    near.loc[near.index[1], "income"] = 3.0  # a factor 7 below the smallest income
    near.loc[near.index[2], "score"] = -0.001
    assert far_warnings(lambda: model.expected_purchases(near, 52)) == []
    assert far_warnings(lambda: model.expected_purchases_new(52, near)) == []


def test_new_customers_spend_and_subscribers_are_checked_too(rfm):
    new = rfm.head(5).assign(income=1e6)
    bg = clv.BetaGeoModel(dropout_covariates=["income"]).fit(rfm)
    assert len(far_warnings(lambda: bg.expected_purchases_new(52, new))) == 1
    buyers = rfm[rfm["frequency"] > 0]
    gg = clv.GammaGammaModel(["income"]).fit(buyers)
    (warning,) = far_warnings(lambda: gg.expected_spend(buyers.head(3).assign(income=1e6)))
    assert str(warning.message).startswith("3 of 3 customers have 'income'")
    rng = np.random.default_rng(3)
    lifetimes = rng.geometric(rng.beta(1.0, 3.0, 400))  # heterogeneous churn, 8 periods seen
    table = pd.DataFrame({"periods": np.minimum(lifetimes, 8), "cancelled": lifetimes <= 8})
    table["age"] = rng.uniform(18, 80, len(table))
    sbg = clv.ShiftedBetaGeoModel(alpha_covariates=["age"]).fit(table)
    months = table.head(6).assign(age=table["age"].head(6) * 12, cancelled=False)
    assert len(far_warnings(lambda: sbg.retention_curve(months, 4))) == 1


def test_ranges_survive_the_model_file_and_older_files_check_nothing(model, rfm, tmp_path):
    loaded = clv.load_model(model.save(tmp_path / "m.json"))
    assert loaded.covariate_ranges_ == model.covariate_ranges_
    units = rfm.head(3).assign(income=rfm["income"].head(3) * 1000)
    assert len(far_warnings(lambda: loaded.expected_purchases(units, 52))) == 1
    document = model.to_dict()
    del document["fit"]["covariate_ranges"]  # a file written before the ranges were stored
    older = clv.BetaGeoModel.from_dict(json.loads(json.dumps(document)))
    assert not hasattr(older, "covariate_ranges_")
    assert far_warnings(lambda: older.expected_purchases(units, 52)) == []


@pytest.mark.parametrize(
    "change",
    [
        lambda ranges: ranges.pop("score"),
        lambda ranges: ranges.update(other=[0, 1]),
        lambda ranges: ranges.update(income=[5.0, 1.0]),
        lambda ranges: ranges.update(income=[1.0, 10**400]),
        lambda ranges: ranges.update(income=[1.0, "2"]),
        lambda ranges: ranges.update(income=[1.0]),
    ],
)
def test_a_damaged_range_is_a_model_file_error(model, change):
    document = json.loads(json.dumps(model.to_dict()))
    change(document["fit"]["covariate_ranges"])
    with pytest.raises(clv.ModelFileError, match="covariate_ranges"):
        clv.BetaGeoModel.from_dict(document)


def test_day_one_models_warn_in_attribute_words_only(rfm):
    attributes = rfm[["income"]].rename(columns={"income": "first_income"})
    model = clv.DayOneModel(numeric=["first_income"]).fit(rfm.drop(columns="income"), attributes)
    assert model.bg_.covariate_ranges_ is None and model.gg_.covariate_ranges_ is None
    caught = far_warnings(lambda: model.predict(attributes.head(4) * 1000))
    assert len(caught) == 1 and str(caught[0].message).startswith("4 of 4 signups")


@given(
    low=st.floats(-1e6, 1e6),
    width=st.floats(1e-3, 1e6),
    share=st.floats(0.0, 1.0),
    beyond=st.floats(1.0001, 1e3),
)
def test_inside_never_and_beyond_a_width_always_far(low, width, share, beyond):
    high = low + width
    inside = np.array([low + share * width, low, high])
    assert not far_outside(inside, low, high).any()
    assert not far_outside(np.array([high + 0.999 * width]), low, high, log_scale=False).any()
    outside = np.array([high + beyond * width, low - beyond * width])
    assert far_outside(outside, low, high).all()
