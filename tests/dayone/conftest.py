"""The CDNOW sample, its RFM summary (weeks, to 1998-06-30) and signup attributes, shared by the
Day One tests."""

import numpy as np
import pytest

import clvmodel as clv
from clvmodel.dayone import first_purchase_attributes


@pytest.fixture(scope="module")
def transactions():
    return clv.datasets.load_cdnow_sample()


@pytest.fixture(scope="module")
def rfm(transactions):
    return clv.rfm_summary(transactions, observation_end="1998-06-30", time_unit="W")


@pytest.fixture(scope="module")
def attributes(transactions):
    """Signup attributes of the CDNOW sample plus a made-up acquisition channel (seeded)."""
    table = first_purchase_attributes(transactions, quantity_col="quantity")
    rng = np.random.default_rng(5)
    table["channel"] = rng.choice(["web", "email", "store"], size=len(table), p=[0.5, 0.3, 0.2])
    return table
