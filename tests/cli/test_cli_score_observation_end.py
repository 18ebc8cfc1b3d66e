"""``clvmodel score`` on a log without --observation-end measures T to the log's last purchase
date (the documented default), and says so on stderr when MODEL records another observation end
(``fit --observation-end``): it did so silently, so a model fitted to 2026-06-30 scored the log
that ended on 2025-12-29 with T six months shorter (mean P(alive) 0.590 instead of 0.485).

Also the help of --batch-size (it bounds memory) and of --rfm-time-unit (a recorded unit other
than the model's is refused, not converted).
"""

from __future__ import annotations

import pandas as pd
import pytest
from cli_run import run_cli
from rfm_rows import BG, GG

import clvmodel as clv
from clvmodel.cli._score_notes import observation_end_note
from clvmodel.models.bundle import ModelBundle

LAST = "1997-09-25"  # the last purchase date in the log below
LATER = "1997-12-31"  # the observation end MODEL is fitted to


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("observation_end")
    log = clv.datasets.load_cdnow_sample()
    log = log[log["customer_id"].isin(log["customer_id"].unique()[:150])]
    log = log[log["date"] <= LAST].drop_duplicates()
    assert f"{log['date'].max():%Y-%m-%d}" == LAST
    paths = {"folder": folder, "log": folder / "log.csv"}
    log.assign(date=log["date"].dt.strftime("%Y-%m-%d")).to_csv(paths["log"], index=False)
    for name, options in (("later", ["--observation-end", LATER]), ("default", [])):
        paths[name] = folder / f"{name}.json"
        result = run_cli("fit", paths["log"], "--model", "bgnbd", "-o", paths[name], *options)
        assert result.exit_code == 0, result.output
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    paths["unrecorded"] = ModelBundle(bg, clv.GammaGammaModel.from_params(GG)).save(
        folder / "unrecorded.json"
    )
    return paths


def _score(files, model, name, *options):
    output = files["folder"] / f"{name}.csv"
    result = run_cli("score", files[model], files["log"], "-o", output, *options)
    assert result.exit_code == 0, result.output
    return result, pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id")


def _notes(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if "--observation-end" in line]


def test_fit_records_the_observation_end_it_used(files):
    assert clv.load_models(files["later"]).metadata["observation_end"] == LATER
    assert clv.load_models(files["default"]).metadata["observation_end"] == LAST


def test_another_recorded_end_is_noted_on_stderr_and_the_default_kept(files):
    result, scores = _score(files, "later", "noted")
    notes = _notes(result)
    assert len(notes) == 1, result.stderr
    assert notes[0].startswith("note: ") and LAST in notes[0] and LATER in notes[0], notes
    assert f"--observation-end {LATER}" in notes[0], notes
    assert "--observation-end" not in result.stdout  # the note is not in the report's stdout
    # The default is unchanged: T measured to the last purchase date, as when it is given.
    _, to_last = _score(files, "later", "to_last", "--observation-end", LAST)
    pd.testing.assert_frame_equal(scores.sort_index(), to_last.sort_index())  # rows in any order
    # The model's own end gives other scores (what the note is about), and no note.
    given, to_model = _score(files, "later", "to_model", "--observation-end", LATER)
    assert _notes(given) == [], given.stderr
    weeks = (pd.Timestamp(LATER) - pd.Timestamp(LAST)).days / 7
    to_model = to_model.loc[scores.index]
    assert (to_model["T"] - scores["T"]).round(9).eq(round(weeks, 9)).all()
    assert to_model["probability_alive"].mean() < scores["probability_alive"].mean()


def test_no_note_when_the_model_records_the_same_end_or_none(files):
    for model in ("default", "unrecorded"):
        result, _ = _score(files, model, f"quiet_{model}")
        assert _notes(result) == [], (model, result.stderr)
        assert "note:" not in result.stderr, result.stderr


def test_the_note_names_both_dates_and_the_option():
    model = ModelBundle(clv.BetaGeoModel.from_params(BG, time_unit="W"))
    assert observation_end_note("m.json", model, pd.Timestamp(LAST)) is None  # none recorded
    model.metadata["observation_end"] = LAST
    assert observation_end_note("m.json", model, pd.Timestamp(LAST)) is None
    model.metadata["observation_end"] = LATER
    note = observation_end_note("m.json", model, pd.Timestamp(LAST))
    assert note == (
        f"note: T is measured to {LAST}, the last purchase date in INPUT, but MODEL m.json was "
        f"fitted to the observation end {LATER}; pass --observation-end {LATER} to measure T to "
        "that date instead."
    )


def _help(command: str, option: str) -> str:
    """The help of ``option`` in ``clvmodel COMMAND --help``, its lines joined."""
    result = run_cli(command, "--help")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(option))
    indent = len(lines[start]) - len(lines[start].lstrip())
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.strip() or len(line) - len(line.lstrip()) <= indent:
            break  # the next option
        block.append(line)
    return " ".join(" ".join(block).split())


def test_batch_size_help_says_it_bounds_memory():
    text = _help("score", "--batch-size")
    assert "memory" in text, text


@pytest.mark.parametrize("command", ["score", "plan"])
def test_rfm_time_unit_help_says_a_recorded_unit_is_refused_not_converted(command):
    text = _help(command, "--rfm-time-unit")
    assert "refused" in text and "never converted" in text, text
    assert "taken to be the one a Parquet file records" not in text, text
