"""--rejects and --observation-end on the command line: a --rejects path that is a folder is
refused before any work, in the option's words (score, subscriptions); --observation-end is
refused with an RFM table INPUT of score and plan, whose T it would silently leave as it is (an
RFM table records no observation end), and the note about a newer log's end does not send it
back to the model's end. Also evaluate's --models that names no model (it shares the files)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from cli_run import error_line, run_cli
from published import PUBLISHED_BG

import clvmodel as clv

BG = PUBLISHED_BG


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review_rejects")
    log = clv.datasets.load_cdnow_sample()
    log = log[log["customer_id"].isin(log["customer_id"].unique()[:300])]
    paths = {"folder": folder, "log": folder / "log.csv", "rfm": folder / "rfm.parquet"}
    log.to_csv(paths["log"], index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)  # the sample repeats a few rows exactly
        rfm = clv.rfm_summary(log, observation_end="1997-09-30", time_unit="W")
    rfm.index.name = "customer_id"
    rfm.to_parquet(paths["rfm"])
    paths["models"] = folder / "models.json"
    result = run_cli("fit", paths["log"], "-o", paths["models"])
    assert result.returncode == 0, result.output
    paths["bg"] = folder / "bg.json"
    clv.BetaGeoModel.from_params(BG, time_unit="W").save(paths["bg"])
    return paths


def test_score_refuses_a_rejects_folder_before_reading_input(files, tmp_path):
    # Found in review: the folder was refused only when the rejects were written, after the
    # whole log was read and scored, in words that did not name --rejects.
    folder = tmp_path / "rejects"
    folder.mkdir()
    output = tmp_path / "scores.csv"
    result = run_cli("score", files["models"], files["log"], "-o", output, "--rejects", folder)
    assert result.returncode == 2
    line = error_line(result)
    assert "--rejects" in line and "folder" in line, line
    assert "repeat another row" not in result.output  # said after reading INPUT: not read
    assert not output.exists() and list(folder.iterdir()) == []


def test_score_refuses_a_rejects_folder_even_when_input_is_missing(files, tmp_path):
    # Before any work: the output paths are checked before INPUT is opened.
    result = run_cli(
        "score", files["models"], tmp_path / "absent.csv", "-o", tmp_path / "s.csv",
        "--rejects", tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--rejects" in error_line(result)


def test_subscriptions_refuse_a_rejects_folder_named_like_a_csv_file(tmp_path):
    table = tmp_path / "subs.csv"
    table.write_text(
        "customer_id,start,end\n1,2020-01-01,2020-05-01\n2,2020-01-01,\n3,2020-02-01,2020-03-01\n"
        "4,2020-02-01,\n5,2020-03-01,2020-09-01\n"
    )
    folder = tmp_path / "rejects.csv"
    folder.mkdir()
    result = run_cli("subscriptions", "fit", table, "-o", tmp_path / "m.json", "--rejects", folder)
    assert result.returncode == 2
    line = error_line(result)
    assert "--rejects" in line and "folder" in line, line


@pytest.mark.parametrize("command", ["score", "plan"])
def test_observation_end_is_refused_with_an_rfm_table(files, tmp_path, command):
    # Found in review: with an RFM table INPUT --observation-end was silently not used (T stays
    # as measured when the table was built), so the scores were not those the user asked for.
    model = files["models"] if command == "score" else files["bg"]
    result = run_cli(
        command, model, files["rfm"], "-o", tmp_path / "out.csv", "--observation-end",
        "1998-06-30",
    )  # fmt: skip
    assert result.returncode == 2
    line = error_line(result)
    assert "--observation-end" in line and "RFM table" in line, line
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("command", ["score", "plan"])
def test_an_rfm_table_without_observation_end_is_scored_as_it_is(files, tmp_path, command):
    model = files["models"] if command == "score" else files["bg"]
    output = tmp_path / "out.csv"
    result = run_cli(command, model, files["rfm"], "-o", output)
    assert result.returncode == 0, result.output
    written = pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id")
    if command == "score":  # T as in the table, not measured to another end
        rfm = pd.read_parquet(files["rfm"])
        assert written["T"].sort_index().to_numpy() == pytest.approx(
            rfm["T"].sort_index().to_numpy()
        )
    assert len(written) == 300


@pytest.mark.parametrize("command", ["score", "plan"])
def test_help_says_an_rfm_table_records_no_observation_end(command):
    result = run_cli(command, "--help")
    text = " ".join(result.stdout.split())
    assert "records no observation end" in text


def test_a_newer_log_is_not_told_to_go_back_to_the_model_end():
    # Found in review: scoring a newer log (the usual weekly run of a model fitted last month)
    # advised "--observation-end <model's end> to measure T to that date instead", which leaves
    # out every later purchase (or is refused when the log starts after that date).
    from clvmodel.cli._score_notes import observation_end_note
    from clvmodel.models.bundle import ModelBundle

    bundle = ModelBundle(clv.BetaGeoModel.from_params(BG, time_unit="W"))
    bundle.metadata["observation_end"] = "1997-09-30"
    note = observation_end_note("m.json", bundle, pd.Timestamp("1998-06-30"))
    assert "the scores are as of 1998-06-30" in note, note
    assert "left out" in note and "instead" not in note, note


def test_score_of_a_newer_log_notes_its_own_end(files, tmp_path):
    log = pd.read_csv(files["log"], dtype={"customer_id": str})
    early = tmp_path / "early.csv"
    log[log["date"] <= "1997-09-30"].to_csv(early, index=False)
    model = tmp_path / "early.json"
    assert run_cli("fit", early, "-o", model).returncode == 0
    result = run_cli("score", model, files["log"], "-o", tmp_path / "s.csv")
    assert result.returncode == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    last = log["date"].max()
    assert len(notes) == 1 and f"the scores are as of {last}" in notes[0], result.stderr


@pytest.mark.parametrize("models", [",", " , "])
def test_evaluate_models_without_a_name_says_so(files, tmp_path, models):
    # Found in review: "--models ',': unknown model(s) []".
    result = run_cli(
        "evaluate", files["log"], "--calibration-end", "1997-06-30", "--models", models,
        "-o", tmp_path / "ev",
    )  # fmt: skip
    assert result.returncode == 2
    line = error_line(result)
    assert "names no model" in line and "[]" not in line, line
