"""One vocabulary on the command line (issue 14): durations carry their unit ("12M", "52W"), shares
are fractions or percentages ("0.05", "5%"); the old bare forms still mean what they meant, with
one deprecation line each, and every mistake is one error line naming the option."""

from __future__ import annotations

import click
import pandas as pd
import pytest
from cli_run import run_cli
from published import PUBLISHED_BG, PUBLISHED_GG

import clvmodel as clv
from clvmodel.cli import COMMANDS, main
from clvmodel.cli._options import (
    DURATION_HELP,
    DurationParam,
    FractionListParam,
    FractionParam,
)
from clvmodel.models.bundle import ModelBundle
from clvmodel.subscriptions import simulate_subscription_table

# Published BG/NBD and Gamma-Gamma estimates on the CDNOW sample (Fader, Hardie and Lee 2005).
BG = PUBLISHED_BG
GG = PUBLISHED_GG
NAIVE = {"average_order_value": 35.0, "purchases_per_year": 2.5}


def _invoke(*args):
    return run_cli(*args)


def _deprecations(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("clvmodel: ")]


def _one_error(result, *words) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vocabulary")
    transactions = clv.datasets.load_cdnow_sample()
    keep = transactions["customer_id"].isin(transactions["customer_id"].unique()[:300])
    with pytest.warns(clv.ClvWarning, match="repeat another row"):
        rfm = clv.rfm_summary(transactions[keep], observation_end="1997-09-30")
    rfm.index.name = "customer_id"
    paths = {"folder": folder, "rfm": folder / "rfm.csv", "models": folder / "models.json"}
    rfm.to_csv(paths["rfm"])
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    ModelBundle(bg, clv.GammaGammaModel.from_params(GG), NAIVE, {"time_unit": "W"}).save(
        paths["models"]
    )
    return paths


def _score(files, name, *options):
    output = files["folder"] / f"{name}.csv"
    result = _invoke("score", files["models"], files["rfm"], "-o", output, "--rfm-time-unit", "W",
                     "--discount-rate", "0.1", *options)  # fmt: skip
    assert result.exit_code == 0, result.output
    return pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id"), result


def _plan(files, name, *options):
    output = files["folder"] / f"{name}.csv"
    result = _invoke("plan", files["models"], files["rfm"], "-o", output, *options)
    assert result.exit_code == 0, result.output
    return pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id"), result


# ---------------------------------------------------------------------------------------------
# Durations


def test_score_horizon_with_its_unit_equals_the_old_horizon_unit(files):
    new, result = _score(files, "new", "--horizon", "12M")
    assert _deprecations(result) == []
    old, result = _score(files, "old", "--horizon", "12", "--horizon-unit", "M")
    pd.testing.assert_frame_equal(new, old)
    assert _deprecations(result) == [
        "clvmodel: --horizon-unit is deprecated; read --horizon 12 --horizon-unit M as --horizon "
        "12M as before. Write --horizon 12M (it will be refused in a future release)."
    ]
    bare, result = _score(files, "bare", "--horizon", "12")
    pd.testing.assert_frame_equal(new, bare)
    assert len(_deprecations(result)) == 1 and "read as 12M as before" in result.stderr
    # The value period is the horizon's own unit, as in the Python API: month by month here.
    rfm = pd.read_csv(files["rfm"], dtype={"customer_id": str}).set_index("customer_id")
    bundle = clv.load_models(files["models"])
    value = clv.customer_lifetime_value(bundle.bg, bundle.gg, rfm, horizon="12M",
                                        discount_rate=0.1)  # fmt: skip
    pd.testing.assert_series_equal(
        new.loc[value.index, "predicted_clv"], value, check_names=False, rtol=1e-12
    )


def test_score_weeks_and_the_default(files):
    weeks, _ = _score(files, "weeks", "--horizon", "39W")
    old, _ = _score(files, "weeks_old", "--horizon", "39", "--horizon-unit", "W")
    pd.testing.assert_frame_equal(weeks, old)
    default, result = _score(files, "default")
    twelve, _ = _score(files, "twelve", "--horizon", "12M")
    pd.testing.assert_frame_equal(default, twelve)
    assert _deprecations(result) == []


def test_plan_52w_equals_the_bare_52_which_says_so_once(files):
    new, result = _plan(files, "plan_new", "--horizon", "52W", "--clv-horizon", "26W",
                        "--stage-wait", "8W")  # fmt: skip
    assert _deprecations(result) == []
    old, result = _plan(files, "plan_old", "--horizon", "52", "--clv-horizon", "26W",
                        "--stage-wait", "8W")  # fmt: skip
    pd.testing.assert_frame_equal(new, old)
    assert _deprecations(result) == [
        "clvmodel: --horizon 52 has no unit; read as 52W as before. Write --horizon 52W (bare "
        "numbers will be refused in a future release)."
    ]
    default, _ = _plan(files, "plan_default", "--clv-horizon", "26", "--stage-wait", "8")
    pd.testing.assert_frame_equal(new, default)


def test_plan_horizon_in_months_is_the_same_time_in_weeks(files):
    months, _ = _plan(files, "plan_months", "--horizon", "6M")
    weeks, _ = _plan(files, "plan_weeks", "--horizon", f"{365.25 / 2 / 7!r}W")
    pd.testing.assert_series_equal(months["churn_risk"], weeks["churn_risk"], rtol=1e-12)


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--horizon", "12X"], ["--horizon 12X is not a duration", "12M"]),
        (["--horizon", "soon"], ["--horizon soon is not a duration"]),
        (["--horizon", "0W"], ["--horizon 0W is not a horizon above 0"]),
        (["--horizon", "101Y"], ["--horizon 101Y", "at most 100 years"]),
        (["--clv-horizon", "-2M"], ["--clv-horizon -2M is not a horizon above 0"]),
        (["--stage-wait", "8X"], ["--stage-wait 8X is not a duration"]),
        (["--increases", "5%,abc"], ["--increases", "'abc' is not a number"]),
        (["--increases", "150%,0"], ["--increases: 150% is out of range"]),
        (["--thresholds", "0.5,100%"], ["--thresholds: 100% is out of range"]),
        (["--discount-rate", "100%"], ["--discount-rate 100% is not a fraction"]),
        (["--margin", "0%"], ["--margin 0% is not a fraction above 0 and at most 1"]),
    ],
)
def test_bad_values_are_one_line_naming_the_option(files, arguments, words):
    output = files["folder"] / "never.csv"
    result = _invoke("plan", files["models"], files["rfm"], "-o", output, *arguments)
    _one_error(result, *words)
    assert not output.exists()


def test_score_unit_mismatch_names_both_options(files):
    output = files["folder"] / "never.csv"
    result = _invoke("score", files["models"], files["rfm"], "-o", output,
                     "--horizon", "12M", "--horizon-unit", "W")  # fmt: skip
    _one_error(result, "--horizon 12M", "--horizon-unit W")
    assert not output.exists()


def test_a_failing_command_prints_only_its_error_not_the_deprecation(files):
    output = files["folder"] / "never.csv"
    result = _invoke("plan", files["models"], files["rfm"], "-o", output, "--horizon", "52",
                     "--increases", "2,5,0")  # fmt: skip
    _one_error(result, "--increases must not grow with risk")


# ---------------------------------------------------------------------------------------------
# Fractions


def test_increases_as_percentages_fractions_or_the_old_percent_list(files):
    percent, result = _plan(files, "inc_percent", "--increases", "5%,2.5%,0")
    assert _deprecations(result) == []
    fractions, result = _plan(files, "inc_fractions", "--increases", "0.05,0.025,0")
    assert _deprecations(result) == []
    old, result = _plan(files, "inc_old", "--increases", "5,2.5,0")
    pd.testing.assert_frame_equal(percent, fractions)
    pd.testing.assert_frame_equal(percent, old)
    assert sorted(percent["increase"].unique()) == [0.0, 0.025, 0.05]
    assert _deprecations(result) == [
        "clvmodel: --increases 5,2.5,0 has no % sign; read as percentages as before; write "
        "5%,2.5%,0 or 0.05,0.025,0 (bare percentages will be refused in a future release)."
    ]
    # The printed plan shows the increases as percentages, whichever way they were written.
    assert "+2.5 %" in result.stdout


def test_bare_fractions_say_how_they_are_read(files):
    # Before this release "0.5,0.25,0" meant 0.5 %: a bare list below 1 is now fractions, and the
    # command says so on stderr, so that an old command is not silently reinterpreted.
    _, bare = _plan(files, "note_bare", "--increases", "0.05,0.025,0")
    notes = [line for line in bare.stderr.splitlines() if line.startswith("note: ")]
    assert notes == [
        "note: --increases 0.05,0.025,0 is read as fractions: 5%,2.5%,0 (bare numbers were "
        "percentages before this release; write the % sign to silence this line)."
    ]
    _, signed = _plan(files, "note_signed", "--increases", "5%,2.5%,0")
    assert "note: " not in signed.stderr


def test_thresholds_and_quantiles_read_the_same_ways(files):
    new, _ = _plan(files, "cut_new", "--thresholds", "40%,0.7")
    old, result = _plan(files, "cut_old", "--thresholds", "40,70")
    pd.testing.assert_frame_equal(new, old)
    assert len(_deprecations(result)) == 1
    share, _ = _plan(files, "q_new", "--quantiles", "0.25,75%")
    share_old, _ = _plan(files, "q_old", "--quantiles", "25,75")
    pd.testing.assert_frame_equal(share, share_old)


def test_rates_read_a_percent_sign(files):
    fraction, _ = _score(files, "rate_fraction", "--margin", "0.3")
    percent, _ = _score(files, "rate_percent", "--margin", "30%")
    pd.testing.assert_frame_equal(fraction, percent)


# ---------------------------------------------------------------------------------------------
# Subscriptions: --horizon counts renewals; a duration is whole billing periods


@pytest.fixture(scope="module")
def subscriptions(tmp_path_factory):
    folder = tmp_path_factory.mktemp("subscription_vocabulary")
    model = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.5})
    table = simulate_subscription_table(model, 300, "2022-01-01", "2024-12-31", random_state=3)
    table = table.drop(columns="lifetime").assign(price=9.99)
    for column in ("start", "end"):
        table[column] = table[column].dt.strftime("%Y-%m-%d")
    paths = {"folder": folder, "table": folder / "subs.csv", "model": folder / "model.json"}
    table.to_csv(paths["table"], index=False)
    result = _invoke("subscriptions", "fit", paths["table"], "-o", paths["model"],
                     "--observation-end", "2024-12-31")  # fmt: skip
    assert result.exit_code == 0, result.output
    return paths


def _subscription_scores(paths, name, *options):
    output = paths["folder"] / f"{name}.csv"
    result = _invoke("subscriptions", "score", paths["model"], paths["table"], "-o", output,
                     "--observation-end", "2024-12-31", *options)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _deprecations(result) == []
    return pd.read_csv(output).set_index("customer_id")


def test_a_year_of_monthly_renewals_is_twelve(subscriptions):
    twelve = _subscription_scores(subscriptions, "twelve", "--horizon", "12")
    for written in ("1Y", "12M"):
        duration = _subscription_scores(subscriptions, written, "--horizon", written)
        pd.testing.assert_frame_equal(twelve, duration)
    default = _subscription_scores(subscriptions, "default")
    pd.testing.assert_frame_equal(twelve, default)
    six = _subscription_scores(subscriptions, "six", "--horizon", "6")
    assert (six["probability_cancel"] <= twelve["probability_cancel"]).all()


@pytest.mark.parametrize(
    ("horizon", "words"),
    [
        ("52W", ["--horizon 52W", "not a whole number", "months"]),
        ("1.5", ["--horizon 1.5 is not a whole number of renewals"]),
        ("0", ["--horizon 0 is not a number of renewals"]),
        ("2X", ["--horizon 2X is not a duration"]),
    ],
)
def test_subscription_horizons_that_are_not_whole_renewals(subscriptions, horizon, words):
    output = subscriptions["folder"] / "never.csv"
    result = _invoke("subscriptions", "score", subscriptions["model"], subscriptions["table"],
                     "-o", output, "--horizon", horizon)  # fmt: skip
    _one_error(result, *words)
    assert not output.exists()


# ---------------------------------------------------------------------------------------------
# --help says it one way


def _commands():
    for name in COMMANDS:
        command = main.get_command(click.Context(main), name)
        if isinstance(command, click.Group):
            yield from (command.commands[sub] for sub in command.commands)
        else:
            yield command


def test_every_duration_and_fraction_option_says_its_form_the_same_way():
    durations = fractions = 0
    for command in _commands():
        for param in command.params:
            if isinstance(param.type, DurationParam):
                durations += 1
                assert DURATION_HELP in param.help, (command.name, param.name)
            if isinstance(param.type, FractionParam | FractionListParam):
                fractions += 1
                help_text = param.help.replace("fractions (0.05 = 5 %)", "a fraction (0.1 = 10 %)")
                assert "a fraction (0.1 = 10 %)" in help_text, (command.name, param.name)
                assert "(10%)" in param.help or "(5%)" in param.help, (command.name, param.name)
    # score, demo, dayone-fit, dayone, report x2, plan x3, subscriptions plan (--stage-wait).
    assert durations == 10
    # discount rate and margin in score, demo, plan, report, subscriptions score and plan;
    # increases, thresholds and quantiles in plan and subscriptions plan; increases in report;
    # the interval's level in score, evaluate and subscriptions score.
    assert fractions == 22
