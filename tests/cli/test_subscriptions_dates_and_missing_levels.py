"""``clvmodel subscriptions`` on dates and missing or rare covariate levels.

A date-only end on the day of a start with a time (a same-day cancellation) is kept, not
rejected as an end before its start; covariates of a Parquet file holding "N/A", "null" or "" for
missing values are missing, as a CSV reads them; rare levels of a text covariate are warned about.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.subscriptions import simulate_subscription_table

END = "2024-12-31"
SAME_DAY = 6  # rows cancelled on the day they started, at 15:00


@pytest.fixture(scope="module")
def frame():
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.5})
    table = simulate_subscription_table(model, 400, "2022-01-01", END, random_state=5)
    table = table.drop(columns="lifetime")
    for column in ("start", "end"):
        table[column] = table[column].dt.strftime("%Y-%m-%d").astype(object)
    table.loc[: SAME_DAY - 1, "start"] = "2023-05-10 15:00"
    table.loc[: SAME_DAY - 1, "end"] = "2023-05-10"
    rng = np.random.default_rng(5)
    table["price"] = 9.99
    plan = np.where(rng.random(len(table)) < 0.5, "basic", "premium").astype(object)
    plan[SAME_DAY : SAME_DAY + 20] = "N/A"
    plan[SAME_DAY + 20 : SAME_DAY + 30] = "null"
    plan[SAME_DAY + 30 : SAME_DAY + 35] = ""
    table["plan"] = plan
    tier = rng.integers(1, 4, len(table)).astype(str).astype(object)
    tier[100:350] = "N/A"  # most of the column: still a numeric covariate with missing values
    table["tier"] = tier
    return table


def _reasons(path):
    return pd.read_csv(path, keep_default_na=False)["reason"].value_counts().to_dict()


def test_fit_and_score_keep_a_same_day_cancellation(frame, tmp_path):
    # Before: the rows "2023-05-10 15:00" → "2023-05-10" went to the rejects as
    # "end date before start date".
    path = tmp_path / "subs.csv"
    frame.drop(columns=["plan", "tier"]).to_csv(path, index=False)
    model = tmp_path / "m.json"
    fitted = run_cli("subscriptions", "fit", path, "-o", model, "--observation-end", END)
    assert fitted.returncode == 0, fitted.output
    assert "0 rejected" in fitted.output
    scores = tmp_path / "scores.csv"
    scored = run_cli("subscriptions", "score", model, path, "-o", scores,
                     "--observation-end", END)  # fmt: skip
    assert scored.returncode == 0, scored.output
    out = pd.read_csv(scores, index_col=0)
    same_day = out.loc[frame["customer_id"][:SAME_DAY]]
    assert same_day["periods"].eq(1).all() and same_day["cancelled"].eq(1).all()
    assert len(out) == len(frame)


@pytest.fixture(scope="module")
def fitted_pair(frame, tmp_path_factory):
    folder = tmp_path_factory.mktemp("na")
    results = {}
    for suffix in ("csv", "parquet"):
        path = folder / f"subs.{suffix}"
        frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path)
        model = folder / f"m_{suffix}.json"
        result = run_cli("subscriptions", "fit", path, "-o", model, "--observation-end", END,
                         "--covariates", "plan,tier")  # fmt: skip
        assert result.returncode == 0, result.output
        results[suffix] = (path, model, folder / f"m_{suffix}.rejects.csv")
    return results


def test_missing_texts_of_a_parquet_covariate_are_missing_as_in_a_csv(fitted_pair):
    # Before: from Parquet, "N/A" and "null" were levels of plan, and tier (mostly "N/A")
    # became a text covariate with the levels "1", "2", "3" and "N/A".
    for _, model, _ in fitted_pair.values():
        assert '"N/A"' not in model.read_text() and "tier=" not in model.read_text()
    models = {k: clv.load(model) for k, (_, model, _) in fitted_pair.items()}
    for model in models.values():
        assert "tier" in model.alpha_covariates
        assert "plan=premium" in model.alpha_covariates
        assert not any("N/A" in name or "null" in name for name in model.alpha_covariates)
    assert models["parquet"].covariate_levels_ == {"plan": ["basic", "premium"]}
    np.testing.assert_allclose(models["parquet"].params_, models["csv"].params_, rtol=1e-6)
    reasons = {k: _reasons(rejects) for k, (_, _, rejects) in fitted_pair.items()}
    assert reasons["parquet"] == reasons["csv"]
    assert set(reasons["parquet"]) <= {"plan is missing", "tier is missing or not a number"}


def test_score_rejects_a_missing_text_level_as_missing(fitted_pair, tmp_path):
    # Before: "N/A" in a Parquet file was "plan is not one of the fitted levels".
    path, model = fitted_pair["parquet"][0], fitted_pair["csv"][1]
    out = tmp_path / "scores.csv"
    result = run_cli("subscriptions", "score", model, path, "-o", out, "--observation-end", END)
    assert result.returncode == 0, result.output
    reasons = _reasons(tmp_path / "scores.rejects.csv")
    assert not any("fitted levels" in reason for reason in reasons)
    assert "plan is missing" in reasons


def test_rare_levels_of_a_text_covariate_are_warned_about(tmp_path):
    """A 40-level covariate on 200 subscribers (5 each): before, the fit ran for seconds and
    failed ("did not converge") without a word about the levels."""
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.5})
    table = simulate_subscription_table(model, 200, "2022-01-01", "2024-12-31", random_state=3)
    table = table.drop(columns="lifetime")
    table["region"] = [f"R{i % 40:02d}" for i in range(len(table))]
    table["plan"] = np.where(np.arange(len(table)) % 2 == 0, "basic", "premium")
    path = tmp_path / "subs.csv"
    table.to_csv(path, index=False, date_format="%Y-%m-%d")
    result = run_cli("subscriptions", "fit", path, "-o", tmp_path / "m.json",
                     "--observation-end", "2024-12-31", "--covariates", "region,plan")  # fmt: skip
    assert "warning: --covariates region has 40 of 40 levels with fewer than 10" in result.stderr
    assert "--covariates plan" not in result.stderr  # 100 subscribers each
