"""Signup attributes with a made-up acquisition channel, shared by the tests of ``clvmodel
dayone-fit`` (tests/cli/test_dayone_inputs.py) and of DayOneModel's levels by dtype
(tests/dayone/test_model_level_dtypes.py): a plain module, imported by those test files."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.dayone import first_purchase_attributes


def attributes_with_channel(tx: pd.DataFrame) -> pd.DataFrame:
    """``first_purchase_attributes(tx)`` plus a ``channel`` of "web", "store" or "app" (seeded)."""
    table = first_purchase_attributes(tx)
    table["channel"] = np.random.default_rng(0).choice(["web", "store", "app"], len(table))
    return table
