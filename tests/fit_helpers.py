"""A small simulated RFM table and a fit without warnings, shared by the tests of fits and of
model comparisons (tests/models/test_fit_weights.py, tests/test_compare_time_units.py, ...)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


def rfm_table(n=300, seed=1, unit="W"):
    """A small RFM table in weeks (some customers with repeat purchases), or the same customers
    in days."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(20.0, 40.0, n)
    frequency = rng.poisson(1.5, n) * (rng.uniform(size=n) < 0.7)
    recency = np.where(frequency > 0, T * rng.uniform(0.2, 1.0, n), 0.0)
    table = pd.DataFrame({"frequency": frequency, "recency": recency, "T": T})
    table.attrs["time_unit"] = "W"
    if unit == "D":
        table = table.assign(recency=7 * table["recency"], T=7 * table["T"])
        table.attrs["time_unit"] = "D"
    return table


def quiet_fit(model, data, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(data, **kwargs)
