"""``clvmodel subscriptions fit | score | plan``: counts that add up, rejects with reasons, atomic
outputs never over an input, one-line errors in the command line's words, billing periods.

The test table is drawn from two sBG populations (plan "basic": α = 0.7, β = 1.5; "premium":
α = 0.7, β = 4.0, so the premium coefficient on β is ln(4/1.5) = 0.981), plus six broken rows.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.subscriptions import from_subscription_table, simulate_subscription_table

END = "2024-12-31"
BROKEN = pd.DataFrame(
    {
        "customer_id": ["X1", "X2", "X3", "X4", None, "B0001"],
        "start": ["2023-01-01", "not a date", "2023-05-01", "", "2023-01-01", "2023-01-01"],
        "end": [None, None, "2023-02-01", None, None, None],
        "plan": ["basic", "basic", "basic", "basic", "basic", "basic"],
        "price": ["abc", "9.99", "9.99", "9.99", "9.99", "9.99"],
    }
)
# Reasons by input row (1-based) for `fit`, which needs no price: X1 is fine there.
FIT_REASONS = {
    1: "customer id appears on 2 rows",
    2502: "start date is not a readable date",
    2503: "end date before start date",
    2504: "no start date",
    2505: "missing customer id",
    2506: "customer id appears on 2 rows",
}


def _group(alpha, beta, n, seed, prefix, plan, price):
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": alpha, "beta": beta})
    table = simulate_subscription_table(model, n, "2022-01-01", END, random_state=seed)
    table["customer_id"] = prefix + table["customer_id"].str[1:]
    return table.drop(columns="lifetime").assign(plan=plan, price=price)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("subscriptions")
    table = pd.concat(
        [
            _group(0.7, 1.5, 1500, 1, "B", "basic", 9.99),
            _group(0.7, 4.0, 1000, 2, "P", "premium", 19.99),
        ],
        ignore_index=True,
    )
    for column in ("start", "end"):
        table[column] = table[column].dt.strftime("%Y-%m-%d")
    table = pd.concat([table, BROKEN], ignore_index=True)
    path = folder / "subs.csv"
    table.to_csv(path, index=False)
    table.astype({"price": str}).to_parquet(folder / "subs.parquet", index=False)
    model = folder / "model.json"
    result = run_cli(
        "subscriptions", "fit", path, "-o", model, "--observation-end", END, "--covariates", "plan"
    )
    assert result.exit_code == 0, result.output
    return {"folder": folder, "table": path, "model": model, "fit": result, "frame": table}


def _invoke(*args):
    return run_cli("subscriptions", *args)


def _error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_fit_counts_rejects_and_model_file(files):
    out = files["fit"].stdout
    assert "subscribers: 2,506 read = 2,500 fitted + 6 rejected" in out
    rejects = pd.read_csv(files["folder"] / "model.rejects.csv")
    assert dict(zip(rejects["row"], rejects["reason"], strict=True)) == FIT_REASONS
    document = json.loads(files["model"].read_text())
    assert document["time_unit"] == "M" and document["format_version"] == 1
    model = clv.load(files["model"])
    assert model.period_ == "M"
    assert model.alpha_covariates == model.beta_covariates == ["plan=premium"]
    # Simulation recovery through the command line: β's premium coefficient is ln(4/1.5).
    estimate, se = model.params_, model.standard_errors_
    assert abs(estimate["beta:plan=premium"] - math.log(4 / 1.5)) < 3 * se["beta:plan=premium"]
    assert abs(estimate["alpha:plan=premium"]) < 3 * se["alpha:plan=premium"]
    assert abs(estimate["alpha"] - 0.7) < 3 * se["alpha"]


def test_score_every_subscriber_is_in_the_output_or_rejected(files, tmp_path):
    output = tmp_path / "scores.csv"
    result = _invoke("score", files["model"], files["table"], "-o", output,
                     "--observation-end", END, "--margin", "0.6")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2,506 read = 2,499 scored + 7 rejected" in result.stdout
    scores = pd.read_csv(output, dtype={"customer_id": str})
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv", dtype={"customer_id": str})
    assert len(scores) + len(rejects) == len(files["frame"])
    assert set(rejects["row"]) == {*FIT_REASONS, 2501}  # X1: price "abc"
    assert "price is missing" in rejects.set_index("row").loc[2501, "reason"]
    # The scores are the model's predictions for the subscriber rows of the accepted table.
    model = clv.load(files["model"])
    accepted = files["frame"].drop(index=[r - 1 for r in rejects["row"]])
    rows = from_subscription_table(accepted.assign(**{"plan=premium": (
        accepted["plan"] == "premium").astype(float)}), observation_end=END,
        keep=["plan=premium"])  # fmt: skip
    scores = scores.set_index("customer_id")
    np.testing.assert_array_equal(scores["periods"], rows["periods"])
    np.testing.assert_allclose(scores["probability_cancel"], model.probability_cancel(rows, 12))
    d = 1.1 ** (1 / 12) - 1
    derl = model.discounted_expected_residual_lifetime(rows, d).to_numpy()
    np.testing.assert_allclose(scores["residual_value"], scores["price"] * 0.6 * derl, rtol=1e-9)
    assert (scores.loc[scores.cancelled == 1, "residual_value"] == 0).all()


def test_score_interval_adds_the_limits_of_the_python_api(files, tmp_path):
    output = tmp_path / "scores.parquet"
    result = _invoke("score", files["model"], files["table"], "-o", output,
                     "--observation-end", END, "--margin", "0.6", "--interval", "0.9")  # fmt: skip
    assert result.exit_code == 0, result.output
    scores = pd.read_parquet(output)  # indexed by customer_id
    model = clv.load(files["model"])
    rows = scores[["periods", "cancelled"]].assign(
        **{"plan=premium": files["frame"].set_index("customer_id").loc[scores.index, "plan"]
           .eq("premium").astype(float).to_numpy()}
    )  # fmt: skip
    expected = model.predict(rows, 12, 1.1 ** (1 / 12) - 1, interval=0.9)
    for name in ("probability_cancel", "derl"):
        for side in ("lower", "upper"):
            np.testing.assert_allclose(scores[f"{name}_{side}"], expected[f"{name}_{side}"])
    np.testing.assert_allclose(
        scores["residual_value_upper"], scores["price"] * 0.6 * scores["derl_upper"]
    )
    active = scores[scores.cancelled == 0]
    assert (active["residual_value_lower"] < active["residual_value"]).all()
    assert (active["residual_value"] < active["residual_value_upper"]).all()
    line = _error_line(_invoke("score", files["model"], files["table"], "-o", tmp_path / "x.csv",
                               "--observation-end", END, "--interval", "90"))  # fmt: skip
    assert "--interval 90" in line and not (tmp_path / "x.csv").exists()


def test_plan_counts_and_stages(files, tmp_path):
    output = tmp_path / "plan.parquet"
    result = _invoke("plan", files["model"], files["table"], "-o", output,
                     "--observation-end", END, "--horizon", "6", "--quantiles", "33.3,66.7",
                     "--margin", "0.6", "--stage-wait", "4", "--start", "2025-02-03")  # fmt: skip
    assert result.exit_code == 0, result.output
    assignments = pd.read_parquet(output)
    planned, cancelled = len(assignments), 2506 - 7 - len(assignments)
    assert f"2,506 read = {planned:,} planned + {cancelled:,} already cancelled + 7 rejected" in (
        result.stdout
    )
    # The active simulated subscribers, but the first (B0001 appears twice: rejected).
    assert planned == files["frame"].iloc[1:2500]["end"].isna().sum()
    assert "P(cancel within the next 6 months | tenure)" in result.stdout
    assert "break-even churn" in result.stdout
    assert set(assignments["increase"]) == {0.05, 0.025, 0.0}
    by_stage = assignments.groupby("stage")["churn_risk"]
    assert (by_stage.max().iloc[:-1].to_numpy() < by_stage.min().iloc[1:].to_numpy()).all()


def test_parquet_input_and_weekly_billing(files, tmp_path):
    model = tmp_path / "weekly.json"
    result = _invoke("fit", files["folder"] / "subs.parquet", "-o", model, "--billing-period",
                     "W", "--observation-end", END)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert clv.load(model).period_ == "W"
    output = tmp_path / "weekly.csv"
    result = _invoke("score", model, files["folder"] / "subs.parquet", "-o", output,
                     "--observation-end", END)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "churn risk within 52 weeks" in result.stdout


def test_yearly_billing_round_trips(files, tmp_path):
    model = tmp_path / "yearly.json"
    result = _invoke("fit", files["table"], "-o", model, "--billing-period", "Y",
                     "--observation-end", END)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(model.read_text())["time_unit"] == "Y"


@pytest.mark.parametrize("holdout", [[], ["--holdout-periods", "6"]])
def test_auto_model_choice(files, tmp_path, holdout):
    model = tmp_path / "auto.json"
    result = _invoke("fit", files["table"], "-o", model, "--model", "auto",
                     "--observation-end", END, *holdout)  # fmt: skip
    assert result.exit_code == 0, result.output
    rule = "holdout log-likelihood" if holdout else "BIC"
    assert f"model chosen by {rule}" in result.stdout
    assert "sBG" in result.stdout and "BdW" in result.stdout
    assert type(clv.load(model)).__name__ in ("ShiftedBetaGeoModel", "BetaDiscreteWeibullModel")


def test_errors_are_one_line_and_write_nothing(files, tmp_path):
    table, model = files["table"], files["model"]
    out = tmp_path / "out.csv"
    cases = [
        (("fit", table, "-o", tmp_path / "m.json", "--end-col", "cancel"), "--end-col"),
        (("fit", table, "-o", tmp_path / "m.csv"), ".json"),
        (("fit", table, "-o", tmp_path / "m.json", "--holdout-periods", "3"), "--model auto"),
        (("fit", table, "-o", tmp_path / "m.json", "--covariates", "region"), "--covariates"),
        (("fit", tmp_path / "none.csv", "-o", tmp_path / "m.json"), "does not exist"),
        (("score", model, table, "-o", table), "destroy the input"),
        (("score", model, table, "-o", out, "--rejects", table), "destroy the input"),
        (("score", model, table, "-o", out, "--billing-period", "W"), "--billing-period W"),
        (("score", model, table, "-o", out, "--horizon", "0"), "--horizon 0"),
        (("score", model, table, "-o", out, "--discount-rate", "1.5"), "--discount-rate 1.5"),
        (("score", model, table, "-o", out, "--discount-rate", "0"), "--discount-rate"),
        (("score", model, table, "-o", out, "--price-col", "amount"), "--price-col"),
        (("score", table, table, "-o", out), "not valid JSON"),
        (("plan", model, table, "-o", out, "--increases", "2,5,0"), "--increases"),
        (("score", model, table, "-o", tmp_path / "no" / "x.csv"), "does not exist"),
    ]
    for args, words in cases:
        line = _error_line(_invoke(*args))
        assert words in line, (args, line)
    assert not out.exists() and not (tmp_path / "m.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_purchase_model_and_unusable_table(files, tmp_path):
    bg = clv.BetaGeoModel.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}, "W")
    path = bg.save(tmp_path / "bg.json")
    line = _error_line(_invoke("score", path, files["table"], "-o", tmp_path / "s.csv"))
    assert "not a subscription model" in line and "subscriptions fit" in line
    broken = tmp_path / "broken.csv"
    BROKEN.iloc[1:5].to_csv(broken, index=False)
    line = _error_line(_invoke("fit", broken, "-o", tmp_path / "m.json"))
    assert "no usable subscriber" in line and "all 4 row(s) rejected" in line


def test_a_failed_run_leaves_the_previous_output(files, tmp_path):
    output = tmp_path / "scores.csv"
    output.write_text("previous\n")
    result = _invoke("score", files["model"], files["table"], "-o", output, "--discount-rate", "0")
    _error_line(result)
    assert output.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]


def test_subprocess_exit_code_and_one_line(files, tmp_path):
    command = [sys.executable, "-m", "clvmodel.cli", "subscriptions", "score",
               str(files["model"]), str(files["table"])]  # fmt: skip
    bad = subprocess.run([*command, "-o", str(tmp_path / "t.csv"), "--horizon", "-2"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--horizon -2" in bad.stderr
    assert bad.stdout == "" and not (tmp_path / "t.csv").exists()


def test_unseen_and_missing_levels_are_rejected(files, tmp_path):
    assert json.loads(files["model"].read_text())["covariate_levels"] == {
        "plan": ["basic", "premium"]
    }
    extra = pd.DataFrame(
        {"customer_id": ["G1", "G2"], "start": ["2023-01-01", "2023-02-01"], "end": [None, None],
         "plan": ["gold", None], "price": ["9", "9"]}
    )  # fmt: skip
    table = pd.concat([files["frame"].iloc[1:201], extra], ignore_index=True)
    path = tmp_path / "levels.csv"
    table.to_csv(path, index=False)
    result = _invoke("score", files["model"], path, "-o", tmp_path / "s.csv", "--observation-end",
                     END)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "202 read = 200 scored + 2 rejected" in result.stdout
    rejects = pd.read_csv(tmp_path / "s.rejects.csv")
    assert rejects["reason"].tolist() == [
        "plan is not one of the fitted levels ['basic', 'premium']",
        "plan is missing",
    ]
    assert rejects["row"].tolist() == [201, 202]


def test_levels_survive_a_resave_and_a_file_without_them_is_refused(files, tmp_path):
    # clv.load(...).save(...) dropped the levels, and `score` then took "gold" for the baseline.
    resaved = clv.load(files["model"]).save(tmp_path / "resaved.json")
    table = files["frame"].iloc[1:21].assign(plan="gold")
    path = tmp_path / "gold.csv"
    table.to_csv(path, index=False)
    result = _invoke("score", resaved, path, "-o", tmp_path / "s.csv", "--observation-end", END)
    assert "all 20 row(s) rejected (20 × plan is not one of the fitted levels" in _error_line(
        result
    )
    document = json.loads(files["model"].read_text())
    del document["covariate_levels"]
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(document))
    line = _error_line(
        _invoke("score", bare, path, "-o", tmp_path / "s.csv", "--observation-end", END)
    )
    assert "does not record their levels" in line and "subscriptions fit" in line
    assert not (tmp_path / "s.csv").exists()


def test_the_default_observation_end_covers_the_latest_day_as_the_option_does(tmp_path):
    """Without --observation-end the table's latest date ends observation, and a date covers its
    whole day: a renewal at 15:00 on the day of the latest row (10:00) is observed, as with
    --observation-end of that day (it was not: same printed date, other periods and risks)."""
    table = tmp_path / "subs.csv"
    table.write_text(
        "customer_id,start,end,price\nA,2025-05-01T15:00,,10\nB,2025-06-01T10:00,,10\n"
        "C,2025-01-01,2025-03-15,10\nD,2024-11-01,,10\n"
    )
    model = tmp_path / "model.json"
    assert _invoke("fit", table, "-o", model, "--observation-end", "2025-06-01").returncode == 0
    default, given = tmp_path / "default.csv", tmp_path / "given.csv"
    assert _invoke("score", model, table, "-o", default).returncode == 0
    assert (
        _invoke("score", model, table, "-o", given, "--observation-end", "2025-06-01").returncode
        == 0
    )
    scores = pd.read_csv(default, index_col="customer_id")
    pd.testing.assert_frame_equal(scores, pd.read_csv(given, index_col="customer_id"))
    assert scores.loc["A", "periods"] == 1
