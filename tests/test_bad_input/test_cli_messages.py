"""The command line speaks in flags, checks rates and horizons one way, and says "cannot fit"
instead of crashing (issue 13, items 6 and 10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli
from figure_stubs import draw_figures_without_rendering
from published import PUBLISHED_BG

import clvmodel as clv
from clvmodel.cli._guard import cli_words, convergence_message


def _invoke(*args):
    return run_cli(*args)


def _error(result) -> str:
    assert "unexpected failure" not in result.output, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("messages")
    tx = clv.datasets.load_cdnow_sample()
    tx = tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d"))
    paths = {"folder": folder}

    def save(name, frame):
        paths[name] = folder / f"{name}.csv"
        frame.to_csv(paths[name], index=False)

    save("log", tx)
    first_rows = tx.groupby("customer_id", as_index=False).first()
    save("attributes", first_rows[["customer_id", "quantity"]])
    save("no_amount", tx[["customer_id", "date"]])
    save("two_rows", tx.head(2))  # one customer, two purchases
    first = tx.sort_values("date").groupby("customer_id").head(1)
    save("no_repeat", first)  # every customer bought once
    single = tx[tx["customer_id"] == tx["customer_id"].iloc[0]]
    save("single", single)
    paths["models"] = folder / "models.json"
    fitted = _invoke("fit", paths["log"], "--observation-end", "1997-09-30", "-o", paths["models"])
    assert fitted.exit_code == 0, fitted.output
    return paths


# ---------------------------------------------------------------------------------------------
# One range check for rates and horizons, the same words in every command


def test_discount_rate_is_a_fraction_everywhere(logs, tmp_path):
    expected = (
        "error: --discount-rate 5 is not a fraction between 0 and 1 (1 excluded); 10 % a year "
        "is 0.1."
    )
    commands = [
        ["score", logs["models"], logs["log"], "-o", tmp_path / "s.csv"],
        ["plan", logs["models"], logs["log"], "-o", tmp_path / "p.csv"],
        ["demo"],
    ]
    for command in commands:
        result = _invoke(*command, "--discount-rate", "5")
        assert result.exit_code == 2, command
        assert _error(result) == expected, command
    assert list(tmp_path.iterdir()) == []


def test_margin_and_negative_rates(logs, tmp_path):
    score = ["score", logs["models"], logs["log"], "-o", tmp_path / "s.csv"]
    cases = [
        (
            [*score, "--margin", "30"],
            "error: --margin 30 is not a fraction above 0 and at most 1; a 30 % margin is 0.3.",
        ),
        (
            ["demo", "--discount-rate", "-0.1"],
            "error: --discount-rate -0.1 is not a fraction between 0 and 1 (1 excluded); 10 % a "
            "year is 0.1.",
        ),
        (
            ["plan", logs["models"], logs["log"], "-o", tmp_path / "p.csv", "--margin", "0"],
            "error: --margin 0 is not a fraction above 0 and at most 1; a 30 % margin is 0.3.",
        ),
        (
            [*score, "--discount-rate", "nan"],
            "error: --discount-rate nan is not a fraction between 0 and 1 (1 excluded); 10 % a "
            "year is 0.1.",
        ),
    ]
    for args, expected in cases:
        result = _invoke(*args)
        assert result.exit_code == 2 and _error(result) == expected, args


def test_horizons_are_positive_and_at_most_a_hundred_years(logs, tmp_path):
    score = ["score", logs["models"], logs["log"], "-o", tmp_path / "s.csv"]
    plan = ["plan", logs["models"], logs["log"], "-o", tmp_path / "p.csv"]
    cases = [
        ([*score, "--horizon", "0"], "--horizon 0 (months)", "1200 months"),
        ([*score, "--horizon", "101", "--horizon-unit", "Y"], "--horizon 101 (years)", "100 years"),
        ([*plan, "--horizon", "-3"], "--horizon -3 (weeks)", "5217.86 weeks"),
        ([*plan, "--clv-horizon", "6000"], "--clv-horizon 6000 (weeks)", "5217.86 weeks"),
        (["demo", "--horizon", "1300"], "--horizon 1300 (months)", "1200 months"),
        (
            ["dayone-fit", logs["log"], logs["log"], "--covariates", "quantity", "--horizon",
             "inf", "-o", tmp_path / "d.json"],
            "--horizon inf (months)", "1200 months",
        ),
    ]  # fmt: skip
    for args, start, longest in cases:
        result = _invoke(*args)
        assert result.exit_code == 2, args
        assert _error(result) == (
            f"error: {start} is not a horizon above 0 and at most 100 years ({longest})."
        )
    assert list(tmp_path.iterdir()) == []


def test_score_discount_rate_means_the_same_as_in_python(logs, tmp_path):
    # 0.1 is 10 % a year in `score`, as in clv.customer_lifetime_value.
    output = tmp_path / "s.csv"
    result = _invoke(
        "score", logs["models"], logs["log"], "--observation-end", "1997-09-30", "-o", output,
        "--discount-rate", "0.1", "--horizon", "24",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id")
    bundle = clv.load_models(logs["models"])
    tx = pd.read_csv(logs["log"], dtype={"customer_id": str})
    rfm = clv.rfm_summary(tx, observation_end="1997-09-30")
    value = clv.customer_lifetime_value(bundle.bg, bundle.gg, rfm, horizon="24M", discount_rate=0.1)
    np.testing.assert_allclose(scores.loc[value.index, "predicted_clv"], value, rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# Messages in flags, not Python


def test_python_keywords_become_flags():
    assert cli_words("choose a later observation_end; pass time_unit='D'.") == (
        "choose a later --observation-end; pass --time-unit D."
    )
    assert cli_words("name it with customer_col= or pass amount_col=None") == (
        "name it with --customer-col or pass --no-amount"
    )
    assert cli_words("calibration_end='someday' is not a date") == (
        "--calibration-end someday is not a date"
    )
    assert cli_words("If they are copies, pass drop_duplicates=True.") == (
        "If they are copies, pass --drop-duplicates."
    )
    # A keyword closing a sentence keeps its full stop (the value pattern took the "." for one).
    assert cli_words("Name them with date_col= and amount_col=.") == (
        "Name them with --date-col and --amount-col."
    )
    assert cli_words("pass margin=0.3 or margin=-1.5e-3") == "pass --margin 0.3 or --margin -1.5e-3"
    # Column names and plain words are left alone.
    assert cli_words("column 'customer_id' has no margin; horizon too short") == (
        "column 'customer_id' has no margin; horizon too short"
    )


def test_pandas_recipes_become_the_date_format_flag():
    message = (
        "column 'date' holds numbers ([19970101] ...), which are ambiguous as dates; convert it "
        "first, e.g. pd.to_datetime(df[col].astype(str), format='%Y%m%d') for values like "
        "19970101."
    )
    assert cli_words(message) == (
        "column 'date' holds numbers ([19970101] ...), which are ambiguous as dates; give the "
        "format with --date-format, e.g. --date-format %d/%m/%Y or %Y%m%d."
    )
    zones = (
        "the dates in column 'date' mix time zones or offsets (x); convert them to one time "
        "zone first, e.g. pd.to_datetime(df[col], utc=True).dt.tz_convert('Europe/Berlin')."
    )
    assert cli_words(zones) == (
        "the dates in column 'date' mix time zones or offsets (x); write the dates in one time "
        "zone (UTC, say) in the file."
    )


def test_a_convergence_checklist_becomes_one_line_of_cli_advice():
    error = clv.ConvergenceError(
        "BetaGeoModel did not converge after 38 iterations (largest gradient 1.65). Things to "
        "try:\n  1. check the RFM table;\n  3. pass initial_params= near plausible values;\n"
        "  4. raise max_iter=."
    )
    assert convergence_message(error) == (
        "cannot fit: BetaGeoModel did not converge after 38 iterations (largest gradient "
        "1.65). Check that the log has many customers, some with repeat purchases (`clvmodel "
        "score` lists the rows left out), or try the other --time-unit."
    )
    # The subscription and spend models get advice about their own tables and flags.
    for model, words in (
        ("ShiftedBetaGeoModel", "--billing-period"),
        ("GammaGammaModel", "--no-amount"),
    ):
        message = convergence_message(
            clv.ConvergenceError(f"{model} did not converge. Things to try")
        )
        assert words in message and "--time-unit" not in message


def test_evaluate_names_its_own_flags(logs, tmp_path):
    result = _invoke(
        "evaluate", logs["log"], "--calibration-end", "someday", "-o", tmp_path / "out"
    )
    assert result.exit_code == 2
    assert _error(result).startswith("error: --calibration-end someday is not a date")


# ---------------------------------------------------------------------------------------------
# Data no model can be fitted on: "cannot fit", never "unexpected failure"


def test_logs_too_small_to_fit(logs, tmp_path):
    one = (
        "error: cannot fit: the log has 1 customer(s) with a usable purchase; the models describe "
        "how customers differ, which takes many customers (hundreds at least)."
    )
    for name in ("two_rows", "single"):
        result = _invoke("fit", logs[name], "-o", tmp_path / "m.json")
        assert result.exit_code == 2 and _error(result) == one, name
        result = _invoke(
            "evaluate", logs[name], "--calibration-end", "1997-01-10", "-o", tmp_path / "e"
        )
        assert result.exit_code == 2 and _error(result) == one, name
    assert list(tmp_path.iterdir()) == []


def test_no_repeat_buyers_cannot_be_fitted(logs, tmp_path):
    result = _invoke("fit", logs["no_repeat"], "-o", tmp_path / "m.json")
    assert result.exit_code == 2
    assert _error(result) == (
        "error: cannot fit: none of the 2,357 customers bought again after their first purchase "
        "day, so the log says nothing about the repeat-purchase rate; use a longer period (a "
        "later --observation-end) or a log with repeat purchases."
    )
    result = _invoke(
        "evaluate", logs["no_repeat"], "--calibration-end", "1997-02-15", "-o", tmp_path / "e"
    )
    assert result.exit_code == 2
    assert "a later --calibration-end" in _error(result)
    result = _invoke(
        "dayone-fit", logs["no_repeat"], logs["attributes"], "--covariates", "quantity",
        "-o", tmp_path / "d.json",
    )  # fmt: skip
    assert result.exit_code == 2
    assert _error(result).startswith("error: cannot fit: none of the 2,357 customers bought")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# A log without amounts: --no-amount to fit, and `score` scores it


def test_fit_on_a_log_without_amounts_points_to_no_amount(logs, tmp_path):
    result = _invoke("fit", logs["no_amount"], "-o", tmp_path / "m.json")
    assert result.exit_code == 2
    assert _error(result) == (
        "error: the input has no amount column 'amount'; its columns are ['customer_id', "
        "'date']. Name the right one with --amount-col. For a "
        "log without amounts pass --no-amount (purchases and P(alive) only)."
    )


def test_a_log_without_amounts_fits_and_scores_purchases(logs, tmp_path):
    models, output = tmp_path / "m.json", tmp_path / "s.csv"
    result = _invoke(
        "fit", logs["no_amount"], "--observation-end", "1997-09-30", "--no-amount", "-o", models
    )
    assert result.exit_code == 0, result.output
    bundle = clv.load_models(models)
    assert bundle.gg is None and bundle.metadata["amount_col"] is None
    result = _invoke(
        "score", models, logs["no_amount"], "--observation-end", "1997-09-30", "-o", output,
        "--horizon", "39W",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        f"note: {models} has no spend model (fitted without amounts), so monetary_value, "
        "expected_spend, predicted_clv and naive_clv are empty."
    )
    scores = pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id")
    assert len(scores) == 2357
    for column in ("monetary_value", "expected_spend", "predicted_clv", "naive_clv"):
        assert scores[column].isna().all(), column
    # The purchase columns equal the Python API's on the same log.
    tx = pd.read_csv(logs["no_amount"], dtype={"customer_id": str})
    rfm = clv.rfm_summary(tx, amount_col=None, observation_end="1997-09-30")
    bg = clv.BetaGeoModel().fit(rfm)
    np.testing.assert_allclose(bundle.bg.params_, bg.params_, rtol=1e-6)
    predicted = bundle.bg.predict(rfm, 39)
    scored = scores.loc[rfm.index]
    np.testing.assert_allclose(scored["probability_alive"], predicted["probability_alive"])
    np.testing.assert_allclose(scored["expected_purchases"], predicted["expected_purchases"])
    np.testing.assert_allclose(scored["churn_risk"], predicted["probability_no_purchase"])


def test_a_one_row_rfm_table_is_scored(logs, tmp_path):
    table = tmp_path / "rfm.csv"
    table.write_text("customer_id,frequency,recency,T,monetary_value\nc1,2,10,30,20\n")
    output = tmp_path / "s.csv"
    result = _invoke("score", logs["models"], table, "-o", output, "--horizon", "12")
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(output).set_index("customer_id")
    bundle = clv.load_models(logs["models"])
    rfm = pd.DataFrame(
        {"frequency": [2], "recency": [10.0], "T": [30.0], "monetary_value": [20.0]}, index=["c1"]
    )
    value = clv.customer_lifetime_value(bundle.bg, bundle.gg, rfm, horizon="12M")
    assert scored.loc["c1", "predicted_clv"] == pytest.approx(value.iloc[0], rel=1e-9)


# ---------------------------------------------------------------------------------------------
# --date-format and --drop-duplicates reach the reading layer in every command that reads a log


@pytest.fixture
def figures_not_rendered(monkeypatch):
    """``evaluate`` draws every figure (its code runs, and may warn or fail as before) but writes
    an empty PNG file: rendering was most of an ``evaluate`` run, and the test reads the fitted
    model (``tests/cli/test_cli_evaluate.py`` checks the images)."""
    draw_figures_without_rendering(monkeypatch)


def test_date_format_reads_day_first_logs_in_evaluate_and_plan(
    logs, tmp_path, figures_not_rendered
):
    tx = pd.read_csv(logs["log"], dtype={"customer_id": str})
    day_first = tmp_path / "day_first.csv"
    tx.assign(date=pd.to_datetime(tx["date"]).dt.strftime("%d/%m/%Y")).to_csv(
        day_first, index=False
    )
    result = _invoke(
        "evaluate", day_first, "--calibration-end", "1997-09-30", "--date-format", "%d/%m/%Y",
        "-o", tmp_path / "evaluation",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # Fader, Hardie and Lee (2005), "Counting your customers the easy way", section 5.
    published = PUBLISHED_BG
    fitted = clv.load_model(tmp_path / "evaluation" / "bgnbd.json").params_
    for name, value in published.items():
        assert fitted[name] == pytest.approx(value, abs=6e-4), name
    outputs = {}
    for name, path, extra in [
        ("iso", logs["log"], []),
        ("day_first", day_first, ["--date-format", "%d/%m/%Y"]),
    ]:
        outputs[name] = tmp_path / f"plan_{name}.csv"
        result = _invoke(
            "plan", logs["models"], path, "--observation-end", "1997-09-30",
            "-o", outputs[name], *extra,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_csv(outputs["iso"]), pd.read_csv(outputs["day_first"]))


def test_drop_duplicates_reaches_the_summary(logs, tmp_path):
    tx = pd.read_csv(logs["log"], dtype={"customer_id": str})
    duplicated = int(tx.duplicated().sum())
    assert duplicated > 0  # the CDNOW sample repeats a few rows exactly
    plans = {}
    for flag in ([], ["--drop-duplicates"]):
        output = tmp_path / f"plan{len(flag)}.csv"
        result = _invoke("plan", logs["models"], logs["log"], "-o", output, *flag)
        assert result.exit_code == 0, result.output
        warned = [x for x in result.output.splitlines() if "repeat another row exactly" in x]
        assert len(warned) == (0 if flag else 1), result.output
        if not flag:
            assert warned[0].startswith(f"warning: {duplicated} row(s) repeat another row")
            assert warned[0].endswith("pass --drop-duplicates.")
        plans[len(flag)] = pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id")
    expected = clv.rfm_summary(tx, drop_duplicates=True, time_unit="W")
    kept = clv.rfm_summary(tx, time_unit="W")
    changed = expected.index[expected["monetary_value"] != kept["monetary_value"]]
    assert len(changed) > 0
    assert not np.allclose(
        plans[0].loc[changed, "predicted_clv"], plans[1].loc[changed, "predicted_clv"]
    )
    same = expected.index.difference(changed)
    np.testing.assert_allclose(plans[0].loc[same, "churn_risk"], plans[1].loc[same, "churn_risk"])


def test_python_recipes_become_command_line_advice():
    cases = {
        "1 value(s) in column 'amount' are beyond ±1e+12 (for example ['1e+308']); fix or drop "
        "those rows. Or pass on_invalid='drop' to leave such rows out "
        "(clvmodel.rfm.transaction_rejects lists them).": "1 value(s) in column 'amount' are "
        "beyond ±1e+12 (for example ['1e+308']); fix or drop those rows. `clvmodel fit` and "
        "`clvmodel score` leave such rows out and list them.",
        "column 'amount' holds amounts written with a currency (for example '$29.33'); amounts "
        "must be plain numbers: remove the currency from the column (e.g. "
        "df['amount'].str.replace('$', '').astype(float)) and keep one currency per log.": "column "
        "'amount' holds amounts written with a currency (for example '$29.33'); amounts must be "
        "plain numbers: remove the currency from the column and keep one currency per log.",
        "column 'amount' holds amounts with a comma (for example '29,33'); amounts must be plain "
        "numbers with a decimal point: read the file with pandas.read_csv(..., decimal=',') (or "
        "thousands=','), or replace the commas.": "column 'amount' holds amounts with a comma "
        "(for example '29,33'); amounts must be plain numbers with a decimal point; replace the "
        "commas in the file (29,33 becomes 29.33).",
    }
    for message, expected in cases.items():
        assert cli_words(message) == expected


@pytest.fixture(scope="module")
def bad_row_logs(logs):
    """The log with bad rows of four kinds, one CSV each, written once for every command."""
    tx = pd.read_csv(logs["log"], dtype=str)
    frames = {
        "currency": tx.assign(amount="$" + tx["amount"]),
        "comma": tx.assign(amount=tx["amount"].str.replace(".", ",", regex=False)),
        "huge": tx.assign(amount=tx["amount"].where(tx.index != 5, "1e308")),
        "no_id": tx.assign(customer_id=tx["customer_id"].where(tx.index > 10, "")),
    }
    folder = logs["folder"] / "bad_rows"
    folder.mkdir()
    paths = {name: folder / f"{name}.csv" for name in frames}
    for name, frame in frames.items():
        frame.to_csv(paths[name], index=False)
    return paths


@pytest.mark.parametrize("command", ["plan", "evaluate", "dayone-fit", "fit"])
def test_messages_about_bad_rows_carry_no_python(logs, bad_row_logs, tmp_path, command):
    arguments = {
        "plan": lambda log: ["plan", logs["models"], log, "-o", tmp_path / "p.csv"],
        "evaluate": lambda log: [
            "evaluate", log, "--calibration-end", "1997-09-30", "-o", tmp_path / "e"
        ],
        "dayone-fit": lambda log: [
            "dayone-fit", log, logs["attributes"], "--covariates", "quantity",
            "-o", tmp_path / "d.json",
        ],
        "fit": lambda log: ["fit", log, "-o", tmp_path / "m.json"],
    }  # fmt: skip
    for name, log in bad_row_logs.items():
        result = _invoke(*arguments[command](log))
        assert "unexpected failure" not in result.output, (name, result.output)
        for python in ("df[", "pd.", "pandas.", "on_invalid", "_col=", "clvmodel.rfm", "=True"):
            assert python not in result.output, (name, python, result.output)


def test_fit_and_score_report_or_drop_duplicate_rows(logs, tmp_path):
    tx = pd.read_csv(logs["log"], dtype={"customer_id": str})
    calibration = tx[tx["date"] <= "1997-09-30"]
    duplicated = int(calibration.duplicated().sum())
    assert duplicated > 0
    scores = {}
    for flag in ([], ["--drop-duplicates"]):
        output = tmp_path / f"s{len(flag)}.csv"
        result = run_cli(
            "score", logs["models"], logs["log"], "--observation-end", "1997-09-30",
            "-o", output, *flag,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        if flag:
            assert result.stdout.splitlines()[0] == (
                f"left out {duplicated} row(s) that repeat another row exactly (--drop-duplicates)"
            )
        else:
            assert result.stderr.strip() == (
                f"warning: {duplicated} row(s) repeat another row exactly (same customer, date "
                "and amount); they count as separate purchases. If they are copies, pass "
                "--drop-duplicates."
            )
        scores[len(flag)] = pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id")
    # The dropped rows change exactly the customers the Python API says they change.
    kept = clv.rfm_summary(calibration, observation_end="1997-09-30")
    dropped = clv.rfm_summary(calibration, observation_end="1997-09-30", drop_duplicates=True)
    np.testing.assert_allclose(
        scores[1].loc[dropped.index, "monetary_value"], dropped["monetary_value"], rtol=1e-12
    )
    np.testing.assert_allclose(
        scores[0].loc[kept.index, "monetary_value"], kept["monetary_value"], rtol=1e-12
    )
    assert (kept["monetary_value"] != dropped["monetary_value"]).any()
