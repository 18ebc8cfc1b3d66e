"""Fixtures shared by the model tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def with_covariate(cdnow_rfm):
    """The CDNOW sample's RFM table (weeks) with a random covariate and a 0/1 attribute."""
    rng = np.random.default_rng(1)
    data = cdnow_rfm.copy()
    data["z"] = rng.normal(size=len(data))
    data["member"] = rng.random(len(data)) < 0.4
    data.attrs = dict(cdnow_rfm.attrs)
    return data
