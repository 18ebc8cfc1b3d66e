"""``clvmodel subscriptions`` fit, score and plan on covariates and prices.

Covariates that are the id or a date column are refused, numbers written with a currency sign or
a comma (prices and covariates) and true/false prices are refused naming the flag, a plan with no
active subscriber says so in the command line's words, the advice for rejected rows names the
flag behind the rejections, a text covariate with many levels gives no pandas warning, a start
during the calibration's last day counts in the holdout, and a file separated by semicolons is
named so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cli_run import error_line, run_cli

import clvmodel as clv
from clvmodel.subscriptions import simulate_subscription_table

END = "2024-12-31"


@pytest.fixture(scope="module")
def frame():
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.5})
    table = simulate_subscription_table(model, 300, "2022-01-01", END, random_state=3)
    table = table.drop(columns="lifetime")
    for column in ("start", "end"):
        table[column] = table[column].dt.strftime("%Y-%m-%d")
    rng = np.random.default_rng(3)
    table["plan"] = np.where(rng.random(len(table)) < 0.5, "basic", "premium")
    table["income"] = rng.integers(20, 90, len(table)) * 1000
    table["price"] = "9.99"
    return table


@pytest.fixture(scope="module")
def model_file(frame, tmp_path_factory):
    folder = tmp_path_factory.mktemp("subscriptions")
    path = folder / "subs.csv"
    frame.to_csv(path, index=False)
    model = folder / "model.json"
    result = run_cli("subscriptions", "fit", path, "-o", model, "--observation-end", END,
                     "--covariates", "income")  # fmt: skip
    assert result.returncode == 0, result.output
    return model


@pytest.mark.parametrize("column", ["start", "end", "customer_id"])
def test_a_covariate_that_is_the_id_or_a_date_column_is_refused(frame, tmp_path, column):
    # Before: `start` failed with "column 'start' holds numbers (0.0, 1.0, ...)" (its values
    # had been replaced by level codes) and `customer_id` fitted one level per subscriber.
    path = tmp_path / "subs.csv"
    frame.to_csv(path, index=False)
    result = run_cli("subscriptions", "fit", path, "-o", tmp_path / "m.json",
                     "--observation-end", END, "--covariates", f"plan,{column}")  # fmt: skip
    line = error_line(result)
    assert f"--covariates {column}" in line and "holds numbers" not in line
    assert not (tmp_path / "m.json").exists()


@pytest.mark.parametrize("written", ["{:,}", "${}", "{} EUR"])
def test_a_numeric_covariate_written_with_commas_or_a_currency_is_refused(frame, tmp_path, written):
    # Before: read as a text covariate, one level per value (a fit that did not converge,
    # or a silent categorical model of a number).
    path = tmp_path / "subs.csv"
    frame.assign(income=[written.format(v) for v in frame["income"]]).to_csv(path, index=False)
    result = run_cli("subscriptions", "fit", path, "-o", tmp_path / "m.json",
                     "--observation-end", END, "--covariates", "income")  # fmt: skip
    line = error_line(result)
    assert "--covariates income" in line and "plain numbers" in line
    assert "converge" not in line


@pytest.fixture(scope="module")
def plan_fit(frame, tmp_path_factory):
    """``subscriptions fit --covariates plan`` on the frame: its run and the model file."""
    folder = tmp_path_factory.mktemp("plan_covariate")
    path = folder / "subs.csv"
    frame.to_csv(path, index=False)
    model = folder / "m.json"
    result = run_cli("subscriptions", "fit", path, "-o", model,
                     "--observation-end", END, "--covariates", "plan")  # fmt: skip
    return result, model


def test_text_covariates_that_are_no_numbers_still_fit(plan_fit):
    result, model = plan_fit
    assert result.returncode == 0, result.output
    assert clv.load(model).alpha_covariates == ["plan=premium"]


@pytest.mark.parametrize("command", ["score", "plan"])
@pytest.mark.parametrize("price", ["$9.99", "9,99", "USD 9.99"])
def test_prices_with_a_currency_or_a_comma_are_refused_naming_the_flag(
    frame, model_file, tmp_path, command, price
):
    # Before: the rows with such a price were dropped to the rejects file one by one (a
    # smaller base and residual value, exit 0) or, all of them, with advice to check the
    # date columns.
    path = tmp_path / "subs.csv"
    prices = frame["price"].copy()
    prices.iloc[::7] = price
    frame.assign(price=prices).to_csv(path, index=False)
    output = tmp_path / "out.csv"
    result = run_cli("subscriptions", command, model_file, path, "-o", output)
    line = error_line(result)
    assert "--price-col price" in line and repr(price) in line
    assert not output.exists()


def test_a_numeric_covariate_with_commas_is_refused_when_scoring(frame, model_file, tmp_path):
    path = tmp_path / "subs.csv"
    income = frame["income"].astype(str)
    income.iloc[::5] = [f"{v:,}" for v in frame["income"].iloc[::5]]
    frame.assign(income=income).to_csv(path, index=False)
    result = run_cli("subscriptions", "score", model_file, path, "-o", tmp_path / "s.csv")
    line = error_line(result)
    assert "'income'" in line and "plain numbers" in line


def test_plain_prices_and_covariates_still_score(frame, model_file, tmp_path):
    path = tmp_path / "subs.csv"
    frame.to_csv(path, index=False)
    result = run_cli("subscriptions", "score", model_file, path, "-o", tmp_path / "s.csv")
    assert result.returncode == 0, result.output
    assert len(pd.read_csv(tmp_path / "s.csv")) == len(frame)


def test_plan_with_every_subscriber_cancelled_says_so_in_cli_words(frame, model_file, tmp_path):
    # Before: "data has no subscribers: there is nobody to score." (the Python argument).
    path = tmp_path / "subs.csv"
    gone = frame.assign(end=frame["end"].fillna(END))
    gone.to_csv(path, index=False)
    result = run_cli("subscriptions", "plan", model_file, path, "-o", tmp_path / "p.csv",
                     "--observation-end", END)  # fmt: skip
    line = error_line(result, forbidden=["data has"])
    assert "no active subscriber" in line and "--end-col" in line


def test_every_row_rejected_for_its_price_names_price_col(frame, model_file, tmp_path):
    # Before: the advice named only --customer-col, --start-col, --end-col, --observation-end.
    path = tmp_path / "subs.csv"
    frame.assign(price="-1").to_csv(path, index=False)
    result = run_cli("subscriptions", "score", model_file, path, "-o", tmp_path / "s.csv")
    line = error_line(result)
    assert "Check --price-col" in line and "--start-col" not in line


def test_every_row_rejected_for_its_dates_keeps_the_date_advice(frame, model_file, tmp_path):
    path = tmp_path / "subs.csv"
    frame.assign(start="not a date").to_csv(path, index=False)
    result = run_cli("subscriptions", "score", model_file, path, "-o", tmp_path / "s.csv")
    assert "--start-col" in error_line(result)


def test_many_levels_give_no_pandas_warning(frame, tmp_path):
    # Before: "warning: DataFrame is highly fragmented ..." from pandas, one column at a time.
    path = tmp_path / "subs.csv"
    frame.assign(region=[f"R{i % 120:03d}" for i in range(len(frame))]).to_csv(path, index=False)
    result = run_cli("subscriptions", "fit", path, "-o", tmp_path / "m.json",
                     "--observation-end", END, "--covariates", "region")  # fmt: skip
    assert "fragmented" not in result.output


def test_every_row_rejected_for_a_level_names_the_covariate(frame, plan_fit, tmp_path):
    fitted, model = plan_fit
    assert fitted.returncode == 0, fitted.output
    path = tmp_path / "subs.csv"
    frame.assign(plan="gold").to_csv(path, index=False)
    result = run_cli("subscriptions", "score", model, path, "-o", tmp_path / "s.csv")
    line = error_line(result)
    assert "Check column 'plan' (a covariate of MODEL)" in line and "--start-col" not in line


def test_a_start_during_the_last_day_of_calibration_is_judged_in_the_holdout(frame, tmp_path):
    # Before: subscribers who started at 15:00 on the calibration's last day were left out of
    # the holdout comparison (fewer holdout_subscribers than with the same start at midnight).
    counts = []
    for clock in ("00:00", "15:00"):
        path = tmp_path / f"subs_{clock[:2]}.csv"
        table = frame.copy()
        table.loc[:39, "start"], table.loc[:39, "end"] = f"2024-06-30 {clock}", None
        table.to_csv(path, index=False)
        result = run_cli("subscriptions", "fit", path, "-o", tmp_path / "m.json",
                         "--observation-end", END, "--model", "auto",
                         "--holdout-periods", "6")  # fmt: skip
        assert result.returncode == 0, result.output
        lines = result.stdout.splitlines()
        header = next(i for i, line in enumerate(lines) if "holdout_subscribers" in line)
        counts.append(int(lines[header + 1].split()[-1]))
    assert counts[0] == counts[1]


def test_a_file_separated_by_semicolons_is_named_so(frame, tmp_path):
    # Before: "has no column 'customer_id' ... Name the right column with --customer-col."
    path = tmp_path / "subs.csv"
    frame.to_csv(path, index=False, sep=";")
    result = run_cli("subscriptions", "fit", path, "-o", tmp_path / "m.json")
    assert "separated by ';'" in error_line(result)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_true_false_price_column_is_refused(frame, model_file, tmp_path, suffix):
    # Before: a Parquet boolean column was read as prices of 1 and 0 (a residual value for
    # every subscriber, exit 0); in a CSV every row was rejected with advice on the dates.
    path = tmp_path / f"subs{suffix}"
    flagged = frame.assign(price=np.arange(len(frame)) % 2 == 0)
    if suffix == ".csv":
        flagged.to_csv(path, index=False)
    else:
        flagged.to_parquet(path, index=False)
    result = run_cli("subscriptions", "score", model_file, path, "-o", tmp_path / "s.csv")
    line = error_line(result)
    assert "--price-col price" in line and "true/false" in line


def test_a_true_false_covariate_still_scores(frame, tmp_path):
    path = tmp_path / "subs.parquet"
    frame.assign(trial=np.arange(len(frame)) % 3 == 0).to_parquet(path, index=False)
    model = tmp_path / "m.json"
    fitted = run_cli("subscriptions", "fit", path, "-o", model, "--observation-end", END,
                     "--covariates", "trial")  # fmt: skip
    assert fitted.returncode == 0, fitted.output
    result = run_cli("subscriptions", "score", model, path, "-o", tmp_path / "s.csv")
    assert result.returncode == 0, result.output
