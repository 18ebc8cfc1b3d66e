"""Library warnings name the user's line, however deep in clvmodel they are raised.

A fixed ``stacklevel`` is right for one call path: a degenerate sBG fit warned from
``clvmodel/models/_contractual.py`` (its ``fit`` calls the shared one), and a covariate far
outside its fitted range from ``clvmodel/models/_predictions.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import clvmodel as clv
from clvmodel._caller import outside_stacklevel


def caught_in(call) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, clv.ClvWarning)]


def test_a_degenerate_subscription_fit_warns_at_the_callers_line():
    # Every subscriber churns at the same rate: no heterogeneity, so α and β run off together.
    table = pd.DataFrame({"periods": np.arange(400) % 8 + 1, "cancelled": np.arange(400) % 3 == 0})
    caught = caught_in(lambda: clv.ShiftedBetaGeoModel().fit(table))
    assert caught and all(w.filename == __file__ for w in caught), [w.filename for w in caught]
    assert any("edge of its parameter space" in str(w.message) for w in caught)


def test_a_degenerate_purchase_fit_warns_at_the_callers_line():
    rng = np.random.default_rng(0)
    n = 300
    rfm = pd.DataFrame({"frequency": rng.poisson(2.0, n).astype(float), "T": 52.0})
    rfm["recency"] = np.where(rfm["frequency"] > 0, 52.0 * rng.uniform(0.8, 1.0, n), 0.0)
    caught = caught_in(lambda: clv.BetaGeoModel().fit(rfm, time_unit="W"))
    assert caught and all(w.filename == __file__ for w in caught), [w.filename for w in caught]


def test_outside_stacklevel_counts_the_frames_up_to_the_caller():
    assert outside_stacklevel() == 1  # called from here: this frame is already outside
