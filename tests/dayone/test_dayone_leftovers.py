"""Day One leftovers: the first day's quantity of ids the log reader normalises, a seeded
evaluation split that does not depend on the log's row order, and datetime categorical levels
that do not depend on the other rows."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.dayone import evaluate_day_one, first_purchase_attributes

# A hand-made log: customer 4 buys 2 + 3 items ($15) on 2024-01-01 and 7 later; customer 21 buys
# 1 + 6 items ($5) on 2024-01-03, then 9 later.
LOG = pd.DataFrame(
    {
        "customer_id": ["4", "4", "21", "4", "21", "21"],
        "date": pd.to_datetime(
            ["2024-01-01", "2024-01-01", "2024-01-03", "2024-02-01", "2024-01-03", "2024-03-01"]
        ),
        "amount": [10.0, 5.0, 3.0, 8.0, 2.0, 6.0],
        "quantity": [2, 3, 1, 7, 6, 9],
    }
)
FIRST_DAY_QUANTITY = {"4": 5.0, "21": 7.0}  # sums of the first day's rows above
QUANTITY_BY_AMOUNT = {15.0: 5.0, 5.0: 7.0}  # the same, keyed by the first day's amount


@pytest.mark.parametrize(
    "spelling",
    [
        lambda i: i + " ",  # trailing space, as in CSV exports
        lambda i: " " + i,
        lambda i: i + ".0",  # a whole number written as text with zeros
    ],
)
def test_first_day_quantity_follows_the_ids_the_log_reader_reads(spelling):
    log = LOG.assign(customer_id=LOG["customer_id"].map(spelling))
    table = first_purchase_attributes(log, quantity_col="quantity")
    expected = table["first_purchase_amount"].map(QUANTITY_BY_AMOUNT)
    pd.testing.assert_series_equal(table["first_purchase_quantity"], expected, check_names=False)
    assert sorted(table.index) == sorted(clv.rfm_summary(log).index)


def test_first_day_quantity_of_a_padded_cdnow_id():
    # CDNOW sample, customer 00004: first day 1997-01-01, $29.33 for 2 CDs (the docstring example
    # of first_purchase_attributes).
    log = clv.datasets.load_cdnow_sample()
    log.loc[log["customer_id"] == "00004", "customer_id"] = "00004 "
    table = first_purchase_attributes(log, quantity_col="quantity")
    assert table.loc["00004", ["first_purchase_amount", "first_purchase_quantity"]].tolist() == [
        29.33,
        2.0,
    ]
    assert table["first_purchase_quantity"].notna().all()


@settings(max_examples=25, deadline=None)
@given(
    pads=st.lists(st.sampled_from(["", " ", "  ", ".0", ".00"]), min_size=6, max_size=6),
    order=st.permutations(range(6)),
)
def test_first_day_quantity_ignores_spelling_and_row_order(pads, order):
    log = LOG.assign(customer_id=[i + p for i, p in zip(LOG["customer_id"], pads, strict=True)])
    table = first_purchase_attributes(log.iloc[list(order)], quantity_col="quantity")
    assert table["first_purchase_quantity"].to_dict() == FIRST_DAY_QUANTITY


# --------------------------------------------------------------------------------------------------
# evaluate_day_one: the seeded split
@pytest.fixture(scope="module")
def evaluations():
    sample = clv.datasets.load_cdnow_sample()
    log = sample[sample["customer_id"].isin(sample["customer_id"].unique()[:800])]
    shuffled = log.sample(frac=1, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        return evaluate_day_one(log, seed=0), evaluate_day_one(shuffled, seed=0)


def test_the_seeded_split_does_not_depend_on_the_row_order(evaluations):
    given_order, shuffled = evaluations
    pd.testing.assert_index_equal(given_order.fit_customers, shuffled.fit_customers)
    pd.testing.assert_index_equal(given_order.predictions.index, shuffled.predictions.index)
    pd.testing.assert_frame_equal(given_order.metrics, shuffled.metrics, rtol=1e-9)


def test_the_split_halves_are_in_sorted_id_order(evaluations):
    result = evaluations[0]
    assert result.fit_customers.is_monotonic_increasing
    assert result.predictions.index.is_monotonic_increasing


# --------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------
# evaluate_day_one: the fits' warnings
def test_evaluation_warns_about_the_data_once_and_not_about_its_own_split():
    sample = clv.datasets.load_cdnow_sample()
    log = sample[sample["customer_id"].isin(sample["customer_id"].unique()[:800])].copy()
    counts = log.groupby("customer_id")["date"].nunique()
    # Three repeat buyers' purchases made free: the spend models leave them out, and say so.
    log.loc[log["customer_id"].isin(counts.index[counts > 1][:3]), "amount"] = 0.0
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        evaluate_day_one(log, seed=0)
    texts = [str(item.message) for item in seen]
    zero_spend = [text for text in texts if "monetary_value 0" in text]
    assert len(zero_spend) == 1, texts  # both fits read these histories; one warning
    # The evaluation customers' attributes are held back by design, not missing from the data.
    assert not any("not in the RFM table" in text for text in texts), texts
    assert len(texts) == len(set(texts)), texts
