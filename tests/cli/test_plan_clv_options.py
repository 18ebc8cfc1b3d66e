"""Tests of ``clvmodel plan``'s CLV options with a models file without a spend model.

--clv-horizon and --discount-rate were ignored when the models file has no spend model
(``clvmodel fit --no-amount``); they are refused, naming --spend-model.
"""

from __future__ import annotations

import pytest
from cli_run import error_line, run_cli
from journey_log_helpers import BG

import clvmodel as clv
from clvmodel.models import ModelBundle


@pytest.fixture(scope="module")
def purchase_only(journey_log, tmp_path_factory):
    """A models file without a spend model (``clvmodel fit --no-amount``) and the log."""
    folder = tmp_path_factory.mktemp("purchase_only")
    path, models = folder / "log.csv", folder / "models.json"
    journey_log.drop(columns="amount").to_csv(path, index=False)
    bundle = ModelBundle(clv.BetaGeoModel.from_params(BG, time_unit="W"), None, None, {})
    bundle.metadata["time_unit"] = "W"
    bundle.save(models)
    return models, path


@pytest.mark.parametrize(
    "options",
    [
        ["--clv-horizon", "12M"],
        ["--discount-rate", "0.1"],
        ["--clv-horizon", "26W", "--discount-rate", "5%"],
    ],
)
def test_plan_refuses_clv_options_without_a_spend_model(purchase_only, options, tmp_path):
    models, path = purchase_only
    out = tmp_path / "plan.csv"
    result = run_cli("plan", models, path, "-o", out, *options)
    line = error_line(result, forbidden=("clv_horizon", "discount_rate", "gg="))
    for flag in options[::2]:
        assert flag in line
    assert "needs a spend model" in line and "--spend-model" in line and not out.exists()
    plain = run_cli("plan", models, path, "-o", out, "--margin", "0.3")
    assert plain.returncode == 0, plain.stderr  # the margin sets the break-even churn
