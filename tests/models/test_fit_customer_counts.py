"""How many customers a fit describes.

BG/BB counts customers, not distinct histories: n_customers_ of 1,000 customers with 8 distinct
histories is 1,000, with or without weights, and is saved to (and loaded from) model files. A
table of distinct histories with a column of customers per row that weights= does not read
(lifetimes' donations data and its 'weights' column, or the 'customers' column of Spark's
distinct_histories) was fitted as one customer per row without a word: every model now warns,
naming the column and how to pass it."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from fit_helpers import quiet_fit
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel.models.beta_geo_beta_binom import BetaGeoBetaBinomModel

# Eight BG/BB histories over 6 opportunities: (frequency, recency, n_periods).
HISTORIES = [(0, 0, 6), (1, 1, 6), (1, 3, 6), (2, 4, 6), (3, 6, 6), (6, 6, 6), (4, 5, 6), (2, 6, 6)]


PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


# --- BG/BB counts customers, not distinct histories ----------------------------------------------
def bgbb_table(repeats):
    rows = [history for history, k in zip(HISTORIES, repeats, strict=False) for _ in range(k)]
    return pd.DataFrame(rows, columns=["frequency", "recency", "n_periods"])


def test_bgbb_n_customers_counts_customers_and_is_saved():
    data = bgbb_table([125] * 8)  # 1000 customers, 8 distinct histories
    model = quiet_fit(clv.BetaGeoBetaBinomModel(), data)
    assert model.n_customers_ == 1000
    assert model.n_distinct_rows_ == 8
    weighted = quiet_fit(clv.BetaGeoBetaBinomModel(), data, weights=np.ones(len(data)))
    assert weighted.n_customers_ == model.n_customers_
    document = model.to_dict()  # the count saved to model files (and loaded from them)
    assert document["fit"]["n_customers"] == 1000
    assert type(model).from_dict(document).n_customers_ == 1000


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=8), st.booleans())
def test_bgbb_prepare_counts_every_customer(repeats, weighted):
    data = bgbb_table(repeats)
    if len(data) < 2:
        return
    weights = np.ones(len(data)) if weighted else None
    _, counts, n_customers = clv.BetaGeoBetaBinomModel()._prepare(data, weights)
    assert n_customers == len(data) == sum(repeats)
    assert counts.sum() == n_customers
    assert counts.size == sum(k > 0 for k in repeats)


# --- A column of customers per row that weights= does not read ------------------------------
@pytest.mark.filterwarnings("ignore:BetaGeoBetaBinomModel ended on the edge")
def test_bgbb_fit_warns_when_a_column_of_customers_per_row_is_not_read():
    """lifetimes' donations data (22 distinct histories with a 'weights' column) fitted without
    weights= described 22 donors, not 11,104, with only an edge-of-space warning: the unread
    column is named."""
    rng = np.random.default_rng(7)
    model = BetaGeoBetaBinomModel.from_params(PUBLISHED)
    donors = model.simulate(3000, 6, random_state=rng)[["frequency", "recency", "n_periods"]]
    table = donors.value_counts().rename("weights").reset_index()
    with pytest.warns(clv.ClvWarning, match=r"column 'weights' of customers per row.*"
                      r"pass weights=data\['weights'\]"):  # fmt: skip
        try:
            BetaGeoBetaBinomModel().fit(table)
        except clv.ClvError:
            pass  # the fit of the distinct rows may fail: the warning came first
    with warnings.catch_warnings():
        warnings.simplefilter("error", clv.ClvWarning)
        fitted = BetaGeoBetaBinomModel().fit(table, weights=table["weights"])
        assert fitted.n_customers_ == 3000
        BetaGeoBetaBinomModel().fit(donors)  # no such column: no warning


def test_any_model_warns_of_an_unread_column_of_customers_per_row(cdnow_rfm):
    """The same mistake with BG/NBD on a table of distinct histories (Spark's distinct_histories
    has a 'customers' column): each row counted as one customer, without a word."""
    table = (
        cdnow_rfm[["frequency", "recency", "T"]].value_counts().rename("customers").reset_index()
    )
    with pytest.warns(clv.ClvWarning, match=r"column 'customers' of customers per row"):
        clv.BetaGeoModel().fit(table)
    with warnings.catch_warnings():
        warnings.simplefilter("error", clv.ClvWarning)
        weighted = clv.BetaGeoModel().fit(table, weights=table["customers"])
    assert weighted.n_customers_ == len(cdnow_rfm)
