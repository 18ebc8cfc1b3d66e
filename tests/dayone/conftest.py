"""The CDNOW sample and its RFM summary (weeks, to 1998-06-30), shared by the Day One tests."""

import pytest

import clvmodel as clv


@pytest.fixture(scope="module")
def transactions():
    return clv.datasets.load_cdnow_sample()


@pytest.fixture(scope="module")
def rfm(transactions):
    return clv.rfm_summary(transactions, observation_end="1998-06-30", time_unit="W")
