"""Messages about model files and RFM rows in the words of the interface: options, arguments and
commands on the command line, the Python loader in Python, and rows counted as a reader of the
file counts them.

``clv.load_models`` on a model file of another kind says what it holds and which loader (and, on
the command line, which command) takes it; ``clvmodel plan`` refuses a MODEL or --spend-model
that is not what it takes up front, naming the command that takes it; ``clvmodel score`` says in
words that a file clvmodel did not write is no model file; bad RFM rows are named by customer
(score) or by 1-based row of the file (plan), and a table without a scorable row gives the
reasons. The model files of every kind are written once for the module.
"""

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

# Published CDNOW estimates (Fader, Hardie and Lee 2005), as in test_cli_messages_models.py.
BG = PUBLISHED_BG
GG = PUBLISHED_GG
SBG = {"alpha": 0.7, "beta": 1.2}
#: Python that has no place in a command-line message.
PYTHON = ("(path)", "clvmodel.load", "'format' is", "positions", "Model(", "GammaGammaModel")


_error_line = partial(error_line, forbidden=PYTHON)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A log, an RFM table, and model files of every kind and of none."""
    folder = tmp_path_factory.mktemp("messages_leftovers")
    log = clv.datasets.load_cdnow_sample()
    paths = {"log": folder / "tx.csv", "attributes": folder / "attributes.csv"}
    log.assign(date=log["date"].dt.strftime("%Y-%m-%d")).to_csv(paths["log"], index=False)
    ids = log["customer_id"].unique()
    ages = np.random.default_rng(0).integers(18, 70, ids.size).astype(float)
    pd.DataFrame({"customer_id": ids, "age": ages}).to_csv(paths["attributes"], index=False)
    paths["rfm"] = folder / "rfm.csv"
    pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "c4"],
            "frequency": [2.0, 0.0, 1.5, 3.0],
            "recency": [10.0, 0.0, 5.0, -1.0],
            "T": [30.0, 20.0, 25.0, 40.0],
            "monetary_value": [20.0, 0.0, 15.0, 30.0],
        }
    ).to_csv(paths["rfm"], index=False)
    paths["subscription"] = clv.ShiftedBetaGeoModel.from_params(SBG, "M").save(folder / "sbg.json")
    paths["spend"] = clv.GammaGammaModel.from_params(GG).save(folder / "gg.json")
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    paths["models"] = ModelBundle(bg, clv.GammaGammaModel.from_params(GG)).save(
        folder / "models.json"
    )
    foreign = {
        "other": json.dumps({"format": "lifetimes", "params": {}}),
        "no_format": json.dumps({"r": 0.24}),
        "broken": '{"format": "clvmodel-models", "models": ',
    }
    for name, text in foreign.items():
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(text, encoding="utf-8")
    paths["dayone"] = folder / "dayone.json"
    fitted = run_cli("dayone-fit", paths["log"], paths["attributes"], "--covariates", "age",
                     "--covariates-on", "purchase", "-o", paths["dayone"])  # fmt: skip
    assert fitted.exit_code == 0, fitted.output
    return paths


# Item 1: load_models on a single model of another kind says what it is, in Python's words.
@pytest.mark.parametrize(
    ("kind", "words", "command"),
    [
        ("subscription", "a subscription model (sBG)", "`clvmodel subscriptions score`"),
        ("spend", "a spend model (Gamma-Gamma)", "`clvmodel plan --spend-model`"),
    ],
)
def test_load_models_names_the_kind_and_the_python_loader(files, kind, words, command):
    with pytest.raises(clv.ModelFileError) as info:
        clv.load_models(files[kind])
    message = str(info.value)
    assert f"holds {words}, not purchase models" in message, message
    assert "load it with clvmodel.load(path)" in message, message
    for other in ("ShiftedBetaGeoModel", "GammaGammaModel", "`clvmodel", "clvmodel fit"):
        assert other not in message, (other, message)
    assert clv.load(files[kind]) is not None  # the loader named does load it
    # On the command line the same message names the command that takes the file.
    line = cli_words(message)
    assert command in line and "(path)" not in line, line


def test_load_models_says_a_foreign_json_file_is_not_a_clvmodel_file(files):
    with pytest.raises(clv.ModelFileError) as info:
        clv.load_models(files["other"])
    message = str(info.value)
    assert "is not a clvmodel file: it is JSON in another format ('lifetimes')" in message
    assert "'format' is" not in message and "`clvmodel" not in message, message


# Item 2: plan refuses a MODEL that is not purchase models, up front, naming the command.
@pytest.mark.parametrize(
    ("kind", "words", "command"),
    [
        ("dayone", "is a Day One model", "`clvmodel dayone` takes it"),
        ("subscription", "is a subscription model (sBG)", "`clvmodel subscriptions score`"),
        ("spend", "is a spend model (Gamma-Gamma)", "`clvmodel plan --spend-model` takes it"),
        ("other", "is not a clvmodel model file", "`clvmodel fit` writes"),
    ],
)
def test_plan_names_model_and_the_command_for_another_file(files, tmp_path, kind, words, command):
    output = tmp_path / "plan.csv"
    line = _error_line(run_cli("plan", files[kind], files["rfm"], "-o", output))
    assert line.startswith(f"error: MODEL {files[kind]} {words}"), line
    assert command in line and "`clvmodel plan` takes the models file" in line, line
    assert "holds a" not in line and not output.exists()


def test_plan_names_spend_model_for_a_file_of_another_kind(files, tmp_path):
    output = tmp_path / "plan.csv"
    arguments = ("plan", files["models"], files["rfm"], "--spend-model")
    line = _error_line(run_cli(*arguments, files["subscription"], "-o", output))
    assert f"--spend-model {files['subscription']} is a subscription model (sBG)" in line, line
    assert "`clvmodel subscriptions score`" in line, line
    line = _error_line(run_cli(*arguments, files["other"], "-o", output))
    assert "--spend-model" in line and "not a clvmodel model file" in line, line


# Item 3: score says, in words, that a file clvmodel did not write is no model file.
@pytest.mark.parametrize(
    ("kind", "seems"),
    [
        ("other", "it is JSON in another format ('lifetimes')"),
        ("no_format", "it is JSON without the format name"),
        ("broken", "it is not valid JSON (line 1"),
    ],
)
def test_score_says_a_foreign_file_is_not_a_model_file(files, tmp_path, kind, seems):
    output = tmp_path / "scores.csv"
    line = _error_line(run_cli("score", files[kind], files["rfm"], "-o", output))
    assert f"MODEL {files[kind]} is not a clvmodel model file: {seems}" in line, line
    assert "`clvmodel fit` writes" in line and "expected" not in line, line
    assert not output.exists()


# Item 4: bad RFM rows are named by customer (score) or by 1-based row of the file (plan).
def test_rfm_rows_are_named_as_users_count_them(files, tmp_path):
    output = tmp_path / "scores.csv"
    result = run_cli("score", files["models"], files["rfm"], "-o", output)
    assert result.exit_code == 0, result.output
    assert "positions" not in result.output and "counting from 0" not in result.output
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv", dtype={"customer_id": str})
    reasons = dict(zip(rejects["customer_id"], rejects["reason"], strict=True))
    assert reasons == {
        "c3": "frequency is not a whole number >= 0",
        "c4": "negative recency or T",
    }
    line = _error_line(run_cli("plan", files["models"], files["rfm"], "-o", tmp_path / "p.csv"))
    assert f"INPUT {files['rfm']}: 1 frequency value(s)" in line, line
    assert "row(s) 3, counting from 1 under the header" in line, line


def test_an_rfm_table_without_a_scorable_row_gives_the_reasons(files, tmp_path):
    """It said only "there is no valid customer to score"."""
    rfm = pd.read_csv(files["rfm"]).iloc[2:]  # c3 (fractional frequency), c4 (negative recency)
    rfm.to_csv(tmp_path / "bad.csv", index=False)
    result = run_cli("score", files["models"], tmp_path / "bad.csv", "-o", tmp_path / "s.csv")
    line = _error_line(result)
    assert f"none of the 2 rows of INPUT {tmp_path / 'bad.csv'} can be scored" in line, line
    assert "1 frequency is not a whole number >= 0 (e.g. customer 'c3')" in line, line
    assert "1 negative recency or T (e.g. customer 'c4')" in line, line
    assert not (tmp_path / "s.csv").exists()
