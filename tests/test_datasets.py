"""The bundled CDNOW data: sizes, columns and types as published by Fader, Hardie and Lee (2005)."""

from __future__ import annotations

import pandas as pd
import pytest

import clvmodel as clv

# Published sizes: the full CDNOW cohort (23,570 customers who first bought in Q1 1997, followed
# to the end of June 1998) and the 1/10 sample used in the BG/NBD and Gamma-Gamma papers.
DATASETS = {
    "full": (clv.datasets.load_cdnow, 69_659, 23_570),
    "sample": (clv.datasets.load_cdnow_sample, 6_919, 2_357),
}
FIRST_DAY = pd.Timestamp("1997-01-01")
LAST_DAY = pd.Timestamp("1998-06-30")


@pytest.fixture(scope="module", params=sorted(DATASETS))
def dataset(request):
    loader, rows, customers = DATASETS[request.param]
    return loader(), rows, customers


def test_row_and_customer_counts(dataset):
    frame, rows, customers = dataset
    assert len(frame) == rows
    assert frame["customer_id"].nunique() == customers


def test_columns_in_order(dataset):
    frame, _, _ = dataset
    assert list(frame.columns) == ["customer_id", "date", "quantity", "amount"]


def test_column_types(dataset):
    frame, _, _ = dataset
    assert pd.api.types.is_string_dtype(frame["customer_id"])
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    assert getattr(frame["date"].dt, "tz", None) is None
    assert pd.api.types.is_integer_dtype(frame["quantity"])
    assert pd.api.types.is_float_dtype(frame["amount"])


def test_customer_ids_are_zero_padded_strings(dataset):
    frame, _, _ = dataset
    ids = frame["customer_id"]
    assert all(isinstance(v, str) for v in ids.head(1000))
    # Ids keep their leading zeros ("00004", not 4).
    assert ids.str.fullmatch(r"\d{5}").all()
    assert "00004" in set(ids)


def test_no_missing_values(dataset):
    frame, _, _ = dataset
    assert not frame.isna().any().any()


def test_dates_within_study_period(dataset):
    frame, _, _ = dataset
    assert frame["date"].min() >= FIRST_DAY
    assert frame["date"].max() <= LAST_DAY
    # Dates are whole days.
    assert (frame["date"] == frame["date"].dt.normalize()).all()


def test_cohort_first_purchases_in_first_quarter_1997(dataset):
    frame, _, _ = dataset
    first = frame.groupby("customer_id")["date"].min()
    assert first.min() >= FIRST_DAY
    assert first.max() <= pd.Timestamp("1997-03-31")


def test_quantities_and_amounts_are_plausible(dataset):
    frame, _, _ = dataset
    assert (frame["quantity"] >= 1).all()
    assert (frame["amount"] >= 0).all()


def test_loaders_return_independent_copies():
    first = clv.datasets.load_cdnow_sample()
    first.loc[0, "amount"] = -1.0
    del first["quantity"]
    second = clv.datasets.load_cdnow_sample()
    assert second.loc[0, "amount"] >= 0
    assert "quantity" in second.columns
