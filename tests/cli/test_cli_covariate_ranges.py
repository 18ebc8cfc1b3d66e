"""``clvmodel subscriptions score/plan`` with a covariate recorded in another unit than at the fit.

The model file keeps each covariate's fitted range; a table with ages in months scored by a model
fitted on ages in years gets one ``warning:`` line naming the column (each command used to score
it silently, and `plan` repeated the line once per prediction it makes).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.subscriptions import simulate_subscription_table

END = "2024-12-31"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ranges")
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.8, "beta": 2.0})
    table = simulate_subscription_table(model, 400, "2022-01-01", END, random_state=1)
    table = table.drop(columns="lifetime").assign(price=9.99)
    table["age"] = np.random.default_rng(2).uniform(18, 80, len(table))
    table.to_csv(folder / "years.csv", index=False)
    table.assign(age=table["age"] * 12).to_csv(folder / "months.csv", index=False)
    fitted = run_cli("subscriptions", "fit", "years.csv", "-o", "m.json", "--observation-end",
                     END, "--covariates", "age", cwd=folder)  # fmt: skip
    assert fitted.returncode == 0, fitted.output
    return folder, table


def test_the_model_file_records_the_fitted_range(files):
    folder, table = files
    ranges = json.loads((folder / "m.json").read_text())["fit"]["covariate_ranges"]
    assert ranges == {"age": [table["age"].min(), table["age"].max()]}


@pytest.mark.parametrize("command", ["score", "plan"])
@pytest.mark.parametrize("batch", [[], ["--batch-size", "50"]])
def test_ages_in_months_give_one_warning_line(files, command, batch):
    folder, table = files
    active = int((table["end"].isna()).sum())
    result = run_cli("subscriptions", command, "m.json", "months.csv", "-o", f"{command}.csv",
                     "--observation-end", END, *batch, cwd=folder)  # fmt: skip
    assert result.returncode == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "far outside" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"warning: {active} of {active} subscribers have 'age' far outside")
    same = run_cli("subscriptions", command, "m.json", "years.csv", "-o", f"y{command}.csv",
                   "--observation-end", END, cwd=folder)  # fmt: skip
    assert same.returncode == 0 and "far outside" not in same.stderr, same.stderr
