"""Outputs never destroy inputs, scores and rejects are written as one unit, and outputs respect
the umask (issue 13, items 2 and 7)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
import clvmodel._files as files_module
from clvmodel._files import write_atomically, write_together
from clvmodel.io import write_table
from clvmodel.scoring import score_customers


def _invoke(*args):
    return run_cli(*args)


def _error(result) -> str:
    lines = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture(scope="module")
def work(tmp_path_factory, cdnow_sample):
    """The CDNOW sample as a CSV log and models fitted on its calibration period."""
    folder = tmp_path_factory.mktemp("outputs")
    tx = cdnow_sample
    log = folder / "log.csv"
    tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d")).to_csv(log, index=False)
    models = folder / "models.json"
    result = _invoke("fit", log, "--observation-end", "1997-09-30", "-o", models)
    assert result.exit_code == 0, result.output
    return {"folder": folder, "log": log, "models": models}


def _listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


# ---------------------------------------------------------------------------------------------
# An output that is an input is refused, whatever name it goes by


def test_score_refuses_to_overwrite_its_input(work, tmp_path):
    log = tmp_path / "log.csv"
    log.write_bytes(work["log"].read_bytes())
    before = log.read_bytes()
    result = _invoke("score", work["models"], log, "-o", log)
    assert result.exit_code == 2
    assert _error(result) == (
        f"error: -o/--output {log} is the input INPUT ({log}); writing it would destroy the "
        "input. Give -o/--output another file name."
    )
    assert log.read_bytes() == before
    assert _listing(tmp_path) == ["log.csv"]


def test_the_rejects_file_and_links_count_as_the_input(work, tmp_path):
    log = tmp_path / "log.csv"
    log.write_bytes(work["log"].read_bytes())
    before = log.read_bytes()
    symlink, hardlink = tmp_path / "alias.csv", tmp_path / "hard.csv"
    symlink.symlink_to(log)
    os.link(log, hardlink)
    models = work["models"]
    cases = [
        (["score", models, log, "-o", tmp_path / "s.csv", "--rejects", log], "--rejects"),
        (["score", models, symlink, "-o", log], "-o/--output"),
        (["score", models, log, "-o", hardlink], "-o/--output"),
        (["score", models, log, "-o", models], "-o/--output"),
    ]
    for args, flag in cases:
        result = _invoke(*args)
        assert result.exit_code == 2, args
        message = _error(result)
        assert message.startswith(f"error: {flag} ") and "writing it would destroy" in message
    assert log.read_bytes() == before and hardlink.read_bytes() == before
    result = _invoke(
        "score", models, log, "-o", tmp_path / "s.csv", "--rejects", tmp_path / "s.csv"
    )
    assert _error(result) == (
        f"error: -o/--output and --rejects are the same file ({tmp_path / 's.csv'}); give two "
        "names."
    )


def test_every_command_that_reads_a_file_refuses_to_overwrite_it(work, tmp_path):
    log = tmp_path / "log.csv"
    log.write_bytes(work["log"].read_bytes())
    before = log.read_bytes()
    rfm = tmp_path / "rfm.csv"
    clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30").rename_axis(
        "customer_id"
    ).to_csv(rfm)
    rfm_before = rfm.read_bytes()
    attributes = tmp_path / "attributes.csv"
    pd.DataFrame({"customer_id": ["1"], "channel": ["web"]}).to_csv(attributes, index=False)
    spend = tmp_path / "spend.csv"
    spend.write_text("a spend model with an odd name")
    evaluate_folder = tmp_path / "evaluation"
    evaluate_folder.mkdir()
    inside = evaluate_folder / "holdout_customers.csv"
    inside.write_bytes(before)
    cases = [
        ["fit", log, "-o", log],
        ["dayone-fit", log, attributes, "--covariates", "channel", "-o", attributes],
        ["dayone", work["models"], log, "-o", log],
        ["plan", work["models"], rfm, "-o", rfm],
        ["plan", work["models"], rfm, "-o", spend, "--spend-model", spend],
        ["evaluate", inside, "--calibration-end", "1997-09-30", "-o", evaluate_folder],
    ]
    for args in cases:
        result = _invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "writing it would destroy the input" in _error(result), args
    assert "-o/--output (its holdout_customers.csv)" in _error(_invoke(*cases[-1]))
    assert log.read_bytes() == before and inside.read_bytes() == before
    assert rfm.read_bytes() == rfm_before
    assert spend.read_text() == "a spend model with an odd name"


def test_an_output_inside_an_input_folder_is_refused(work, tmp_path):
    folder = tmp_path / "log"
    folder.mkdir()
    clv.datasets.load_cdnow_sample().to_parquet(folder / "part-0.parquet")
    result = _invoke("score", work["models"], folder, "-o", folder / "scores.parquet")
    assert result.exit_code == 2
    assert "is inside the input folder INPUT" in _error(result)
    assert _listing(folder) == ["part-0.parquet"]


# ---------------------------------------------------------------------------------------------
# Scores and rejects: one unit


def _previous_pair(folder: Path) -> tuple[Path, Path]:
    scores, rejects = folder / "scores.csv", folder / "scores.rejects.csv"
    scores.write_text("previous scores\n")
    rejects.write_text("previous rejects\n")
    return scores, rejects


def _assert_previous_pair(folder: Path, scores: Path, rejects: Path, extra=()) -> None:
    assert scores.read_text() == "previous scores\n"
    assert rejects.read_text() == "previous rejects\n"
    assert _listing(folder) == sorted(["scores.csv", "scores.rejects.csv", *extra])


def test_an_unusable_rejects_path_leaves_the_previous_pair(work, tmp_path):
    scores, rejects = _previous_pair(tmp_path)
    # A folder that does not exist: refused before any scoring.
    result = _invoke(
        "score", work["models"], work["log"], "-o", scores,
        "--rejects", tmp_path / "missing" / "r.csv",
    )  # fmt: skip
    assert result.exit_code == 2
    assert _error(result) == (
        f"error: cannot write --rejects {tmp_path / 'missing' / 'r.csv'}: folder "
        f"'{tmp_path / 'missing'}' does not exist; create it first."
    )
    _assert_previous_pair(tmp_path, scores, rejects)
    # A path that is a folder: the scores are complete, but the rejects rename fails, so the
    # scores already renamed are put back.
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep").write_text("x")
    result = _invoke(
        "score", work["models"], work["log"], "--observation-end", "1997-09-30",
        "-o", scores, "--rejects", tmp_path / "taken",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    _assert_previous_pair(tmp_path, scores, rejects, extra=["taken"])
    assert _listing(tmp_path / "taken") == ["keep"]


def test_a_failure_while_scoring_leaves_the_previous_pair(work, tmp_path, monkeypatch):
    import clvmodel.cli._batch as batch

    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise clv.InputError("the disk is full")
        return score_customers(*args, **kwargs)

    monkeypatch.setattr(batch, "score_customers", failing)
    scores, rejects = _previous_pair(tmp_path)
    result = _invoke(
        "score", work["models"], work["log"], "--observation-end", "1997-09-30",
        "-o", scores, "--batch-size", "400",
    )  # fmt: skip
    assert result.exit_code == 2
    assert _error(result) == "error: the disk is full"
    _assert_previous_pair(tmp_path, scores, rejects)


def test_a_successful_run_replaces_both_files(work, tmp_path):
    scores, rejects = _previous_pair(tmp_path)
    result = _invoke(
        "score", work["models"], work["log"], "--observation-end", "1997-09-30", "-o", scores
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(scores)) == 2357
    assert len(pd.read_csv(rejects)) == 1959  # purchases after the observation end
    assert _listing(tmp_path) == ["scores.csv", "scores.rejects.csv"]


def test_concurrent_writers_never_mix_their_pairs(tmp_path, monkeypatch):
    # Run A pauses after each rename; run B, starting meanwhile, would (without the lock) put
    # its pair in between: A's scores, B's scores, B's rejects, then A's rejects.
    real_replace = os.replace

    def slow_replace(source, target):
        pause = Path(source).read_text().startswith("A")
        real_replace(source, target)
        if pause:
            time.sleep(0.1)

    monkeypatch.setattr(files_module.os, "replace", slow_replace)
    scores, rejects = tmp_path / "s.csv", tmp_path / "s.rejects.csv"

    def run(name: str, delay: float) -> None:
        time.sleep(delay)
        write_together(
            [
                (scores, lambda tmp: tmp.write_text(name)),
                (rejects, lambda tmp: tmp.write_text(name)),
            ]
        )

    for round_ in range(4):
        threads = [
            threading.Thread(target=run, args=(f"A{round_}", 0.0)),
            threading.Thread(target=run, args=(f"B{round_}", 0.02)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert scores.read_text() == rejects.read_text()
        assert scores.read_text() in (f"A{round_}", f"B{round_}")
    assert _listing(tmp_path) == ["s.csv", "s.rejects.csv"]  # no lock file, no temporary left


def test_write_together_writes_nothing_when_one_writer_fails(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("old a")

    def broken(tmp):
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_together([(first, lambda tmp: tmp.write_text("new a")), (second, broken)])
    assert first.read_text() == "old a" and not second.exists()
    assert _listing(tmp_path) == ["a.txt"]


def test_a_folder_as_the_output_path_is_refused_before_any_work(tmp_path):
    # Was a raw IsADirectoryError from the final rename, after the work was done.
    model = clv.BetaGeoModel.from_params(dict(r=0.24, alpha=4.4, a=0.79, b=2.4), "W")
    with pytest.raises(clv.InputError, match="it is a folder; give a file's path"):
        model.save(tmp_path)
    with pytest.raises(clv.InputError, match="it is a folder"):
        write_atomically(tmp_path, lambda tmp: pytest.fail("written"))
    assert _listing(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# Permissions follow the umask


@pytest.fixture
def umask():
    previous = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(previous)


def test_outputs_follow_the_umask(work, tmp_path, umask):
    umask(0o022)
    result = _invoke(
        "score", work["models"], work["log"], "--observation-end", "1997-09-30",
        "-o", tmp_path / "s.parquet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _invoke("fit", work["log"], "-o", tmp_path / "m.json").exit_code == 0
    for name in ("s.parquet", "s.rejects.csv", "m.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name
    umask(0o027)
    write_table(pd.DataFrame({"x": [1]}), tmp_path / "t.csv")
    write_atomically(tmp_path / "u.txt", lambda tmp: tmp.write_text("u"))
    assert (tmp_path / "t.csv").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "u.txt").stat().st_mode & 0o777 == 0o640


@pytest.fixture(scope="module")
def whole_log(cdnow_sample, tmp_path_factory):
    """The CDNOW sample as ``to_csv`` writes it, models that ``clvmodel fit`` fits on all of it,
    and its RFM tables to 1997-09-30 in days and in weeks (read-only: tests copy what they
    change)."""
    import warnings

    folder = tmp_path_factory.mktemp("whole_log")
    log, models = folder / "log.csv", folder / "m.json"
    cdnow_sample.to_csv(log, index=False)
    assert run_cli("fit", log, "-o", models).exit_code == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        tables = {
            u: clv.rfm_summary(cdnow_sample, observation_end="1997-09-30", time_unit=u)
            for u in "DW"
        }
    return {"log": log, "models": models, "rfm": tables}


def test_score_converts_an_rfm_file_in_the_unit_it_is_told(tmp_path, whole_log):
    # An RFM file records no time unit: --rfm-time-unit says it, and recency and T are converted
    # to the model's (issue 13, item 5); without it, a note says the model's was assumed.
    days = whole_log["rfm"]["D"].rename_axis("customer_id")
    days.to_csv(tmp_path / "rfm.csv")
    arguments = ["score", whole_log["models"], tmp_path / "rfm.csv", "-o", tmp_path / "s.csv"]
    converted = run_cli(*arguments, "--rfm-time-unit", "D")
    assert converted.exit_code == 0 and "pass --rfm-time-unit" not in converted.output
    told = pd.read_csv(tmp_path / "s.csv", dtype={"customer_id": str}).set_index("customer_id")
    weeks = whole_log["rfm"]["W"].rename_axis("customer_id")
    weeks.to_csv(tmp_path / "rfm.csv")
    assert run_cli(*arguments, "--rfm-time-unit", "W").exit_code == 0
    expected = pd.read_csv(tmp_path / "s.csv", dtype={"customer_id": str}).set_index("customer_id")
    np.testing.assert_allclose(
        told["probability_alive"],
        expected.loc[told.index, "probability_alive"],
        rtol=1e-9,
        atol=1e-12,
    )
    days.to_csv(tmp_path / "rfm.csv")
    unchecked = run_cli(*arguments)
    assert unchecked.exit_code == 0 and "pass --rfm-time-unit" in unchecked.output
    assumed = pd.read_csv(tmp_path / "s.csv", dtype={"customer_id": str}).set_index("customer_id")
    assert not np.allclose(
        assumed["probability_alive"], expected.loc[assumed.index, "probability_alive"]
    )


def test_score_reads_the_time_unit_a_parquet_rfm_file_records(tmp_path, whole_log):
    # rfm_summary(..., time_unit="D").to_parquet records its unit: score read the days as the
    # model's weeks, CLV 5.8× too low; it now refuses, or converts when told, as plan.
    for unit, table in whole_log["rfm"].items():
        table.rename_axis("customer_id").to_parquet(tmp_path / f"rfm_{unit}.parquet")

    def score(unit, *options):
        output = tmp_path / f"s_{unit}{''.join(options)}.csv"
        result = run_cli("score", whole_log["models"], tmp_path / f"rfm_{unit}.parquet", "-o",
                         output, *options)  # fmt: skip
        return result, output

    refused, written = score("D")
    assert refused.exit_code != 0 and "records that its recency and T are in days" in refused.output
    assert "--rfm-time-unit D" in refused.output and not written.exists()
    contradicted, _ = score("D", "--rfm-time-unit", "W")
    assert contradicted.exit_code != 0 and "records that its recency and T" in contradicted.output
    converted, days = score("D", "--rfm-time-unit", "D")
    in_weeks, weeks = score("W")
    assert converted.exit_code == 0 and in_weeks.exit_code == 0
    assert "taken to be in the model's time unit" not in in_weeks.output  # recorded, not assumed
    clv_days = pd.read_csv(days)["predicted_clv"].sum()
    assert clv_days == pytest.approx(pd.read_csv(weeks)["predicted_clv"].sum(), rel=1e-12)


@pytest.mark.parametrize("command", ["score", "plan"])
def test_rfm_time_unit_is_refused_for_a_transaction_log(tmp_path, command, whole_log):
    # A log has no recency and T of its own (it is summarised in the model's unit): the option
    # was silently ignored.
    output = tmp_path / "out.csv"
    arguments = [whole_log["models"], whole_log["log"], "-o", output, "--rfm-time-unit", "D"]
    result = run_cli(command, *arguments)
    assert result.exit_code == 2 and not output.exists()
    assert "--rfm-time-unit is for an RFM table INPUT" in result.output
    assert "transaction log" in result.output
