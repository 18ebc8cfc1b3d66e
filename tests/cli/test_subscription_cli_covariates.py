"""``clvmodel subscriptions fit --covariates``: which rows are fitted, how each covariate is read.

- A numeric covariate may be any finite number (only `score`/`plan`'s price must be ≥ 0): a
  standardised covariate, negative on half the rows, is fitted on every row, whatever the order of
  --covariates, and the fit equals the Python API's on the same table.
- Whether a covariate is numeric, and the levels of a text one, come from the rows fitted: a level
  seen only on a rejected row is no level (nor the baseline), and one text cell in a column of
  numbers rejects that row instead of turning the column into ~100 indicator columns.
- The models' refusals of constant or linearly dependent covariates are worded for --covariates.

The reference is the Python API (``screen_subscription_table``, ``from_subscription_table`` and the
models' ``fit``), not numbers produced by the command itself.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.subscriptions import (
    from_subscription_table,
    screen_subscription_table,
    simulate_subscription_table,
)

END = "2024-12-31"
MODELS = {"sbg": clv.ShiftedBetaGeoModel, "bdw": clv.BetaDiscreteWeibullModel}


def _group(beta, n, seed, prefix, plan):
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.8, "beta": beta})
    table = simulate_subscription_table(model, n, "2022-01-01", END, random_state=seed)
    table["customer_id"] = prefix + table["customer_id"].str[1:]
    for column in ("start", "end"):
        table[column] = table[column].dt.strftime("%Y-%m-%d")
    return table.drop(columns="lifetime").assign(plan=plan, price="9.99")


@pytest.fixture(scope="module")
def frame():
    table = pd.concat(
        [_group(1.5, 500, 21, "B", "basic"), _group(3.0, 400, 22, "P", "premium")],
        ignore_index=True,
    ).sample(frac=1.0, random_state=4, ignore_index=True)
    rng = np.random.default_rng(5)
    age = rng.integers(18, 80, len(table))
    table["age"] = age.astype(str)
    table["age_z"] = (age - age.mean()) / age.std()  # negative on about half the rows
    table["w"] = rng.normal(size=len(table))
    assert (table["age_z"] < 0).mean() > 0.4 and (table["w"] < 0).mean() > 0.4
    return table


def _fit(tmp_path, table, covariates, *args, name="t"):
    path = tmp_path / f"{name}.csv"
    table.to_csv(path, index=False)
    result = run_cli("subscriptions", "fit", path, "-o", tmp_path / f"{name}.json",
                     "--observation-end", END, "--covariates", covariates, *args)  # fmt: skip
    return result, tmp_path / f"{name}.json", tmp_path / f"{name}.rejects.csv"


def _error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def _reference(table, numeric, model="sbg"):
    """The Python API on the whole table with ``numeric`` covariates and plan=premium."""
    accepted, rejects, end = screen_subscription_table(
        table, observation_end=END, numeric_cols=numeric, nonnegative_cols=()
    )
    accepted = accepted.assign(**{"plan=premium": (accepted["plan"] == "premium").astype(float)})
    covariates = [*numeric, "plan=premium"]
    rows = from_subscription_table(accepted, observation_end=end, keep=covariates)
    fitted = MODELS[model](alpha_covariates=covariates, beta_covariates=covariates).fit(rows)
    return fitted, rejects


@pytest.mark.parametrize(
    ("covariates", "model"),
    [("age_z,w,plan", "sbg"), ("w,age_z,plan", "sbg"), ("age_z,plan", "bdw")],
)
def test_negative_numeric_covariates_are_fitted_on_every_row(frame, tmp_path, covariates, model):
    # Every row with a negative first numeric covariate was rejected ("age_z is missing or not a
    # number ≥ 0"), which was half the table here and changed alpha:age_z tenfold.
    result, path, rejects = _fit(tmp_path, frame, covariates, "--model", model)
    assert result.exit_code == 0, result.output
    assert f"{len(frame):,} read = {len(frame):,} fitted + 0 rejected" in result.stdout
    assert pd.read_csv(rejects).empty
    numeric = [c for c in covariates.split(",") if c != "plan"]
    reference, _ = _reference(frame, numeric, model)
    fitted = clv.load(path)
    assert fitted.n_customers_ == len(frame)
    assert list(fitted.params_.index) == list(reference.params_.index)
    np.testing.assert_allclose(fitted.params_.to_numpy(), reference.params_.to_numpy(),
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(fitted.log_likelihood_, reference.log_likelihood_, rtol=1e-9)


def test_score_and_plan_keep_negative_covariates_and_refuse_negative_prices(frame, tmp_path):
    result, model, _ = _fit(tmp_path, frame, "age_z,plan")
    assert result.exit_code == 0, result.output
    table = frame.copy()
    table.loc[3, "price"] = "-1"
    path = tmp_path / "in.csv"
    table.to_csv(path, index=False)
    for command, output in (("score", "s.csv"), ("plan", "p.csv")):
        done = run_cli("subscriptions", command, model, path, "-o", tmp_path / output,
                       "--observation-end", END)  # fmt: skip
        assert done.exit_code == 0, done.output
        rejects = pd.read_csv(tmp_path / output.replace(".csv", ".rejects.csv"))
        assert rejects["row"].tolist() == [4]
        assert rejects["reason"].tolist() == ["price is missing or not a number ≥ 0"]
    scores = pd.read_csv(tmp_path / "s.csv")
    assert len(scores) == len(frame) - 1


def test_screen_rejects_below_zero_only_in_the_columns_named():
    table = pd.DataFrame({"customer_id": ["a", "b", "c"], "start": ["2024-01-05"] * 3,
                          "end": None, "z": ["-1.5", "2", "x"],
                          "price": ["9", "-1", "9"]})  # fmt: skip
    both = ["z", "price"]
    ok, rejects, _ = screen_subscription_table(table, observation_end=END, numeric_cols=both,
                                               nonnegative_cols=["price"])  # fmt: skip
    assert ok["customer_id"].tolist() == ["a"] and ok["z"].tolist() == [-1.5]
    assert rejects["reason"].tolist() == ["price is missing or not a number ≥ 0",
                                          "z is missing or not a number"]  # fmt: skip
    ok, rejects, _ = screen_subscription_table(table, observation_end=END, numeric_cols=both,
                                               nonnegative_cols=())  # fmt: skip
    assert ok["customer_id"].tolist() == ["a", "b"]
    with pytest.raises(clv.InputError, match="nonnegative_cols"):
        screen_subscription_table(table, numeric_cols=["z"], nonnegative_cols=["price"])


@pytest.fixture(scope="module")
def plan_only_reference(frame):
    """``_reference(frame, [])``: the Python API's fit with plan=premium alone, fitted once."""
    return _reference(frame, [])[0]


@pytest.mark.parametrize("level", ["aaa", "zzz"])
def test_a_level_seen_only_on_a_rejected_row_is_no_level(
    frame, plan_only_reference, tmp_path, level
):
    # "aaa" became the baseline ("['plan=basic', 'plan=premium'] are linearly dependent ... drop 1
    # of them") and "zzz" a constant indicator ("'plan=zzz' is constant ... drop it").
    bad = frame.iloc[[0]].assign(customer_id="X1", start="not a date", plan=level)
    table = pd.concat([frame, bad], ignore_index=True)
    reference = plan_only_reference
    for size in ("64", "100000"):  # the rejected row in the last of 15 batches, or in the one
        result, path, rejects = _fit(tmp_path, table, "plan", "--batch-size", size)
        assert result.exit_code == 0, result.output
        assert f"{len(table):,} read = {len(frame):,} fitted + 1 rejected" in result.stdout
        assert pd.read_csv(rejects)["reason"].tolist() == ["start date is not a readable date"]
        assert json.loads(path.read_text())["covariate_levels"] == {"plan": ["basic", "premium"]}
        np.testing.assert_allclose(clv.load(path).params_.to_numpy(),
                                   reference.params_.to_numpy(), rtol=1e-6)  # fmt: skip


def test_one_text_cell_in_a_numeric_column_rejects_that_row(frame, tmp_path):
    # One "unknown" made age a text column: 60-odd levels, 120-odd coefficients.
    table = frame.copy()
    table.loc[5, "age"] = "unknown"
    result, path, rejects = _fit(tmp_path, table, "age,plan", "--batch-size", "50")
    assert result.exit_code == 0, result.output
    assert f"{len(table):,} read = {len(table) - 1:,} fitted + 1 rejected" in result.stdout
    written = pd.read_csv(rejects)
    assert written["row"].tolist() == [6]
    assert written["reason"].tolist() == ["age is missing or not a number"]
    model = clv.load(path)
    assert model.alpha_covariates == ["age", "plan=premium"]
    assert json.loads(path.read_text())["covariate_levels"] == {"plan": ["basic", "premium"]}
    reference, _ = _reference(table, ["age"])
    np.testing.assert_allclose(model.params_.to_numpy(), reference.params_.to_numpy(), rtol=1e-6)


def test_a_column_is_numeric_when_most_accepted_values_are_numbers(frame, tmp_path):
    table = frame.iloc[:300].copy()
    # Text on most rows, but every one of those rows is rejected (no start date): numeric.
    table["mixed"] = table["age"]
    table.loc[:199, "mixed"] = "unknown"
    table.loc[:199, "start"] = None
    result, path, _ = _fit(tmp_path, table, "mixed", name="numeric")
    assert result.exit_code == 0, result.output
    assert "300 read = 100 fitted + 200 rejected" in result.stdout
    assert clv.load(path).alpha_covariates == ["mixed"]
    # Mostly text among the accepted rows, one number among them: a text column, "7" a level.
    table = frame.iloc[:300].copy()
    table.loc[0, "plan"] = "7"
    result, path, _ = _fit(tmp_path, table, "plan", name="text")
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text())["covariate_levels"] == {"plan": ["7", "basic", "premium"]}


def test_constant_and_dependent_covariates_are_refused_in_cli_words(frame, tmp_path):
    table = frame.assign(same=frame["age_z"] * 2 + 1, flat="3", tier=frame["plan"] + "-tier")
    cases = [
        ("age_z,same", "--covariates age_z, same: a combination of these columns is the same"),
        ("plan,tier", "--covariates plan, tier: a combination of these columns is the same"),
        ("flat,plan", "--covariates flat: the column takes one value for every subscriber"),
    ]
    for covariates, expected in cases:
        line = _error_line(_fit(tmp_path, table, covariates)[0])
        assert expected in line and "out of --covariates" in line, line
        assert "drop" not in line and "=" not in line.split(":")[1], line
    # Every subscriber who started by the end of calibration is on the basic plan.
    late = table.assign(plan=np.where(table["start"] > "2024-06-30", table["plan"], "basic"))
    line = _error_line(_fit(tmp_path, late, "plan", "--model", "auto", "--holdout-periods", "6")[0])
    assert "--covariates plan: the column takes one value for every subscriber fitted to " in line
    assert "(the calibration of --holdout-periods)" in line and "'premium'" in line


def test_a_text_column_with_one_level_among_the_rows_fitted_is_refused(frame, tmp_path):
    table = frame.iloc[:50].assign(plan="basic")
    table.loc[0, ["plan", "start"]] = ["premium", "not a date"]
    line = _error_line(_fit(tmp_path, table, "plan")[0])
    assert "--covariates plan: every subscriber fitted has the same plan ('basic')" in line
    assert "leave it out of --covariates" in line
