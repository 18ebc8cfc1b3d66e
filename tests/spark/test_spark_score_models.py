"""clvmodel.spark.score with models the command line scores or refuses: without a spend model it
scores purchases as `clvmodel score` does; models it cannot score are refused when it is called,
not in a Python worker when the result is computed."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.models.bundle import ModelBundle

pytestmark = pytest.mark.spark

ROWS = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c"],
        "frequency": [1.0, 0.0, 4.0],
        "recency": [2.0, 0.0, 20.0],
        "T": [5.0, 5.0, 30.0],
        "monetary_value": [10.0, 0.0, 25.5],
    }
)


def _local(frame) -> pd.DataFrame:
    return frame.toPandas().set_index("customer_id").sort_index()


def test_models_without_spend_score_purchases_as_the_cli_does(clvs, spark, published_bg, tmp_path):
    # published_bg: BG/NBD with the published CDNOW parameters (Fader, Hardie and Lee 2005).
    model = ModelBundle(bg=published_bg).save(tmp_path / "m.json")
    ROWS.to_csv(tmp_path / "rfm.csv", index=False)
    cli = run_cli("score", model, tmp_path / "rfm.csv", "--rfm-time-unit", "W",
                  "-o", tmp_path / "cli.csv")  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    expected = pd.read_csv(tmp_path / "cli.csv").set_index("customer_id").sort_index()
    rfm = spark.createDataFrame(ROWS)
    scores = _local(clvs.score(rfm, published_bg))  # a purchase model alone
    assert list(scores.columns) == list(expected.columns)
    assert list(scores.index) == list(expected.index)
    for column in expected.columns:  # NaN (CLI) and null (Spark) where there is no value
        np.testing.assert_allclose(scores[column], expected[column], rtol=1e-9, err_msg=column)
    for column in ("expected_spend", "predicted_clv", "naive_clv"):
        assert scores[column].isna().all(), column
    assert scores["expected_purchases"].gt(0).all()
    # An RFM table without amounts (clvmodel.spark.rfm_summary(..., amount_col=None)) too.
    without = _local(clvs.score(rfm.drop("monetary_value"), str(model)))
    assert list(without.columns) == list(expected.columns)
    assert without["monetary_value"].isna().all()
    np.testing.assert_allclose(without["probability_alive"], expected["probability_alive"])


@pytest.mark.parametrize(
    ("kind", "message"),
    [("no time unit", r"does not record its time unit.*time_unit='W'"),
     ("covariates", r"purchase model has covariates \(z\).*clvmodel.score_customers"),
     ("spend covariates", r"spend model has covariates \(z\).*clvmodel.score_customers")],
)  # fmt: skip
def test_models_that_cannot_be_scored_are_refused_at_the_call(
    clvs, spark, published_bg, published_gg, kind, message
):
    # Refused by score() itself: before, the job failed only when computed, in a Python worker
    # (with a spend model with covariates, even when the table has the covariate column).
    params, gg = dict(published_bg.params_), published_gg
    if kind == "no time unit":
        bg = clv.BetaGeoModel.from_params(params)
    elif kind == "covariates":
        bg = clv.BetaGeoModel.from_params(
            {**params, "purchase:z": -0.1}, time_unit="W", purchase_covariates=["z"]
        )
    else:
        bg = published_bg
        gg = clv.GammaGammaModel.from_params(
            {**dict(published_gg.params_), "spend:z": 0.1}, spend_covariates=["z"]
        )
    rfm = spark.createDataFrame(ROWS.assign(z=[0.5, -1.0, 2.0]))
    with pytest.raises(InputError, match=message):
        clvs.score(rfm, ModelBundle(bg=bg, gg=gg))
    with pytest.raises(InputError, match=message):
        clvs.score(rfm, (bg, gg))  # a pair of models too


@pytest.mark.parametrize(
    "model",
    [clv.BetaGeoModel(purchase_covariates=["z"]), clv.ParetoNBDModel(dropout_covariates=["z"])],
)
def test_fit_refuses_a_covariate_model_with_a_spark_message(clvs, spark, model):
    # Before, the fit failed on the collected histories with the local advice to join the
    # covariates to the RFM table (rfm.join(attributes)), which has no meaning on Spark.
    tx = pd.DataFrame(
        {"customer_id": ["a", "a", "b"], "date": ["2024-01-01", "2024-02-01", "2024-01-05"],
         "amount": [1.0, 2.0, 3.0], "z": [0.1, 0.1, 0.2]}
    )  # fmt: skip
    with pytest.raises(InputError) as refused:
        clvs.fit(spark.createDataFrame(tx), model=model)
    message = str(refused.value)
    assert re.search(r"clvmodel.spark.fit fits models without covariates.*\(z\)", message)
    assert "rfm.join" not in message
    assert "clvmodel.rfm_summary" in message  # the local route, which takes covariates
