"""Errors about model files and model parameters in the words of the interface: options and
commands on the command line (no Python call, loader or dict), argument names in Python."""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pandas as pd
import pytest
from cli_run import error_line, run_cli
from published import PUBLISHED_BG, PUBLISHED_GG

import clvmodel as clv
from clvmodel.cli._guard import cli_words
from clvmodel.models.bundle import ModelBundle
from clvmodel.scoring import score_customers
from clvmodel.subscriptions import simulate_subscription_table

# Published CDNOW estimates (Fader, Hardie and Lee 2005), as in tests/cli/test_cli_vocabulary.py.
BG = PUBLISHED_BG
GG = PUBLISHED_GG
NAIVE = {"average_order_value": 35.0, "purchases_per_year": 2.5}
SBG = {"alpha": 0.7, "beta": 1.2}
#: Python that has no place in a command-line message.
PYTHON = ("fit(", "load_model", "load(", "(path)", "np.", "{'", "clvmodel.", "INTERVAL_COLUMNS")


_error_line = partial(error_line, forbidden=PYTHON)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A transaction log, signup attributes, a subscription table and model files of each kind."""
    folder = tmp_path_factory.mktemp("messages_models")
    log = clv.datasets.load_cdnow_sample()
    paths = {"log": folder / "tx.csv", "attributes": folder / "attributes.csv"}
    log.assign(date=log["date"].dt.strftime("%Y-%m-%d")).to_csv(paths["log"], index=False)
    ids = log["customer_id"].unique()
    rng = np.random.default_rng(0)
    attributes = pd.DataFrame(
        {"customer_id": ids, "age": rng.integers(18, 70, ids.size).astype(float)}
    )
    attributes.to_csv(paths["attributes"], index=False)
    sbg = clv.ShiftedBetaGeoModel.from_params(SBG, "M")
    table = simulate_subscription_table(sbg, 300, "2022-01-01", "2024-12-31", random_state=3)
    table = table.drop(columns="lifetime").assign(price=9.99)
    for column in ("start", "end"):
        table[column] = table[column].dt.strftime("%Y-%m-%d")
    paths["table"] = folder / "subscribers.csv"
    table.to_csv(paths["table"], index=False)
    paths["subscription"] = sbg.save(folder / "sbg.json")  # from parameters: no covariance
    gg = clv.GammaGammaModel.from_params(GG)
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    paths["models"] = folder / "models.json"
    ModelBundle(bg, gg, NAIVE, {"time_unit": "W"}).save(paths["models"])  # no covariance either
    paths["no_unit"] = folder / "no_unit.json"
    ModelBundle(clv.BetaGeoModel.from_params(BG), gg, NAIVE, {}).save(paths["no_unit"])
    paths["dayone"] = folder / "dayone.json"
    fitted = run_cli("dayone-fit", paths["log"], paths["attributes"], "--covariates", "age",
                     "--covariates-on", "purchase", "-o", paths["dayone"])  # fmt: skip
    assert fitted.exit_code == 0, fitted.output
    return paths


# Problem 1: a model file without a time unit.
def test_score_with_a_model_without_time_unit_says_refit_with_the_option(files, tmp_path):
    output = tmp_path / "scores.csv"
    line = _error_line(run_cli("score", files["no_unit"], files["log"], "-o", output))
    assert "does not record its time unit" in line and str(files["no_unit"]) in line
    assert "`clvmodel fit TRANSACTIONS --time-unit W" in line and "--time-unit D" in line
    assert not output.exists()


def test_time_unit_message_names_the_python_argument_and_translates_for_the_cli():
    bg, gg = clv.BetaGeoModel.from_params(BG), clv.GammaGammaModel.from_params(GG)
    rfm = pd.DataFrame({"frequency": [1], "recency": [10.0], "T": [30.0], "monetary_value": [20.0]})
    with pytest.raises(clv.InputError) as info:
        score_customers(bg, gg, rfm, "12M")
    message = str(info.value)
    assert "model.fit(rfm, time_unit='W')" in message
    assert "BetaGeoModel.from_params(params, time_unit='W')" in message
    # The same message reaching another command (plan) reads as command-line advice.
    line = cli_words(message)
    assert "--time-unit W" in line and "`clvmodel fit" in line
    assert not any(python in line for python in PYTHON), line


# Problem 2: --interval with a model file that holds no covariance of its parameters.
@pytest.mark.parametrize("command", ["score", "subscriptions score"])
def test_interval_without_covariance_is_refused_up_front_in_cli_terms(files, tmp_path, command):
    output = tmp_path / "scores.csv"
    if command == "score":
        args, model, fit = ["score", files["models"], files["log"]], files["models"], "clvmodel fit"
    else:
        model, fit = files["subscription"], "clvmodel subscriptions fit"
        args = ["subscriptions", "score", model, files["table"]]
    line = _error_line(run_cli(*args, "-o", output, "--interval", "0.9"))
    assert line.startswith("error: --interval needs the uncertainty of the parameters")
    assert f"MODEL {model}" in line and f"Refit it with `{fit}`" in line
    assert "leave --interval out" in line
    assert not output.exists()


def test_python_interval_message_names_fit_and_the_file_case():
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    rfm = pd.DataFrame({"frequency": [1], "recency": [10.0], "T": [30.0]})
    with pytest.raises(clv.InputError, match=r"saved without it\); intervals need .*with fit\(\)"):
        bg.predict(rfm, 4.0, interval=0.9)


# Problem 3: a model file of another kind than the command takes.
@pytest.mark.parametrize(
    ("args", "kind", "command"),
    [
        (["score", "@dayone", "@log"], "is a Day One model", "`clvmodel dayone` takes it"),
        (["score", "@subscription", "@log"], "is a subscription model (sBG)", "`clvmodel subscri"),
        (
            ["subscriptions", "score", "@models", "@table"],
            "is a bundle of models",
            "`clvmodel score`",
        ),
        (["subscriptions", "plan", "@dayone", "@table"], "is a Day One model", "`clvmodel dayone`"),
        (["dayone", "@models", "@attributes"], "not a Day One model", "`clvmodel score`"),
        (["dayone", "@subscription", "@attributes"], "subscription model (sBG)", "`clvmodel sub"),
        (["plan", "@dayone", "@log"], "is a Day One model", "`clvmodel dayone` takes it"),
    ],
)
def test_mixed_up_model_files_say_what_they_are_and_which_command_takes_them(
    files, tmp_path, args, kind, command
):
    words = [files[arg[1:]] if arg.startswith("@") else arg for arg in args]
    line = _error_line(run_cli(*words, "-o", tmp_path / "out.csv"))
    assert kind in line and command in line, line


def test_python_loaders_say_what_the_file_is_and_which_function_loads_it(files):
    with pytest.raises(clv.ModelFileError) as info:
        clv.DayOneModel.load(files["models"])
    assert "holds a bundle of models" in str(info.value)
    assert "load it with clvmodel.load_models(path)" in str(info.value)
    with pytest.raises(clv.ModelFileError, match=r"a Day One model.*DayOneModel\.load\(path\)"):
        clv.load_models(files["dayone"])
    with pytest.raises(clv.ModelFileError, match=r"a bundle of models \(.*\), not a single model"):
        clv.load_model(files["models"])
    (files["log"].parent / "other.json").write_text(json.dumps({"format": "x"}))
    with pytest.raises(clv.ModelFileError, match=r"not a clvmodel file .*'format' 'x'"):
        clv.load(files["log"].parent / "other.json")


# Problem 4: the help of score describes the interval columns in words.
def test_score_help_describes_the_interval_columns_without_python_names():
    result = run_cli("score", "--help")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "INTERVAL_COLUMNS" not in text and "clvmodel.scoring" not in text
    for column in ("probability_alive", "clv_lower", "clv_upper", "purchases_interval_mass"):
        assert column in text


# Problem 5: simulate's parameters, named by their options, with their ranges.
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--r", "-1"], ["'--r'", "0.0001<=x<=10000"]),
        (["--r", "1e300"], ["'--r'", "0.0001<=x<=10000"]),
        (["--b", "nan"], ["'--b'", "not a finite number"]),
        (["--alpha", "1e-300"], ["'--alpha'", "0.001<=x<=1000000"]),
    ],
)
def test_simulate_refuses_parameters_out_of_range_naming_the_option(tmp_path, args, words):
    output = tmp_path / "log.csv"
    result = run_cli("simulate", "--customers", "100", "-o", output, *args)
    assert result.exit_code == 2, result.output
    assert "Invalid value for" in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert "{'" not in result.stderr and "lam value" not in result.stderr
    assert not output.exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--r", "5", "--alpha", "0.01"], ["--r 5 and --alpha 0.01", "at most 1,000,000"]),
        (["--r", "0.001", "--alpha", "0.001"], ["--r 0.001 and --alpha 0.001", "lower --r"]),
        (["--customers", "100000000"], ["--customers 100,000,000", "50,000,000"]),
    ],
)
def test_simulate_refuses_simulations_too_large_to_draw(tmp_path, args, words):
    output = tmp_path / "log.csv"
    line = _error_line(run_cli("simulate", "--customers", "1000", "-o", output, *args))
    for word in words:
        assert word in line, line
    assert not output.exists()


def test_python_simulate_names_the_argument_and_refuses_rates_too_large():
    with pytest.raises(clv.InputError, match=r"bg_params\['r'\] must be a positive finite"):
        clv.simulate_transactions(10, {**BG, "r": -1.0})
    with pytest.raises(clv.InputError, match=r"gg_params\['v'\] must be a positive finite"):
        clv.simulate_customers(10, BG, gg_params={**GG, "v": float("nan")})
    with pytest.raises(clv.InputError, match=r"bg_params r and alpha give a customer"):
        clv.simulate_transactions(10, {**BG, "r": 1e300}, seed=1)
