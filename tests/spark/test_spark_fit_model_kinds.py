"""clvmodel.spark.fit refuses a model it cannot fit before reading the log: it ran the whole RFM
job on the cluster and only then said "unknown purchase model BetaGeoBetaBinomModel()". No Spark
session is needed (the test only imports pyspark)."""

from __future__ import annotations

import pytest

from clvmodel.errors import InputError
from clvmodel.models.beta_geo_beta_binom import BetaGeoBetaBinomModel


@pytest.mark.parametrize(
    "model, words",
    [
        (BetaGeoBetaBinomModel(), r"is a BG/BB model, not a purchase model"),
        ("bg/nbd", r"unknown purchase model 'bg/nbd'"),
    ],
)
def test_spark_fit_refuses_a_model_it_cannot_fit_before_reading_the_log(model, words):
    """clvmodel.spark.fit(model=BetaGeoBetaBinomModel()) ran the whole RFM job on the cluster
    and only then said "unknown purchase model BetaGeoBetaBinomModel()". No Spark session is
    needed to see the refusal: the log (None here) is not read."""
    pytest.importorskip("pyspark")
    import clvmodel.spark as clvs

    with pytest.raises(InputError, match=words):
        clvs.fit(None, model=model)
