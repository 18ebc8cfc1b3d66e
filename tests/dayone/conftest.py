"""The CDNOW sample, its RFM summary (weeks, to 1998-06-30) and signup attributes, shared by the
Day One tests."""

import warnings

import numpy as np
import pytest

import clvmodel as clv
from clvmodel.dayone import first_purchase_attributes

NUMERIC = ["first_purchase_amount", "first_purchase_quantity"]


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


@pytest.fixture(scope="module")
def model(rfm, attributes):
    """A Day One model with two logged numeric attributes and the channel (a module may define
    its own ``model``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.StatisticalWarning)
        return clv.DayOneModel(
            NUMERIC,
            ["channel"],
            log=NUMERIC,
            first_purchase_col="first_purchase_amount",
            covariates_on=("purchase", "spend"),
        ).fit(rfm, attributes)


@pytest.fixture()
def signups(attributes):
    """Ten signups' attributes, as ``model`` reads them."""
    return attributes.iloc[:10][NUMERIC + ["channel"]].copy()
