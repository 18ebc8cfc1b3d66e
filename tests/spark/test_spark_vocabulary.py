"""clvmodel.spark.score speaks the one vocabulary of issue 14: ``horizon="12M"`` carries its unit,
a bare number keeps its old meaning (months), ``horizon_unit=`` still works but is deprecated.

Marked ``spark``; one small RFM table (60 CDNOW customers) in the shared local session.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from clvmodel.errors import InputError
from clvmodel.scoring import SCORE_COLUMNS, score_customers

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def small(spark, cdnow_rfm, fitted_bg, fitted_gg):
    """Models fitted on the CDNOW sample, and 60 of its customers as a Spark RFM table.

    The session's summary of the sample's calibration period (to 1997-09-30, in weeks) and its
    BG/NBD and Gamma-Gamma fits, shared with the other Spark tests: not refitted here.
    """
    models = (fitted_bg, fitted_gg)
    some = cdnow_rfm.iloc[:60].copy()
    frame = spark.createDataFrame(some.rename_axis("customer_id").reset_index())
    return models, some, frame


def _scores(clvs, frame, models, **options):
    table = clvs.score(frame, models, discount_rate=0.1, margin=0.4, **options).toPandas()
    return table.set_index("customer_id").sort_index()


def test_spark_horizon_carries_its_unit_and_horizon_unit_is_deprecated(clvs, small):
    models, rfm, frame = small
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        weeks = _scores(clvs, frame, models, horizon="26W")
        bare = _scores(clvs, frame, models, horizon=6)  # a bare number: months, as before
    assert not [w for w in caught if "deprecated" in str(w.message) and "horizon" in str(w.message)]
    # ... but it says that it reads months, where customer_lifetime_value reads the model's unit.
    months = [
        w for w in caught if issubclass(w.category, FutureWarning) and "6 months" in str(w.message)
    ]
    assert len(months) == 1 and months[0].filename == __file__
    with pytest.warns(DeprecationWarning, match="horizon_unit= is deprecated.*horizon='6M'"):
        old = _scores(clvs, frame, models, horizon=6, horizon_unit="M")
    local = {
        horizon: score_customers(*models, rfm, horizon=horizon, discount_rate=0.1, margin=0.4)
        for horizon in ("26W", "6M")
    }
    for got, horizon in ((weeks, "26W"), (bare, "6M"), (old, "6M")):
        expected = local[horizon].sort_index()
        assert list(got.index) == list(expected.index)
        for column in SCORE_COLUMNS:
            np.testing.assert_allclose(
                got[column], expected[column], rtol=1e-12, equal_nan=True, err_msg=column
            )
    # 26 weeks is not 6 months: the unit is read, not dropped.
    assert not np.allclose(weeks["predicted_clv"], bare["predicted_clv"])
    with pytest.raises(InputError, match="already carries its unit"):
        clvs.score(frame, models, horizon="6M", horizon_unit="M")
    with pytest.raises(InputError, match="horizon_unit"):
        clvs.score(frame, models, horizon=6, horizon_unit="Q")
