"""SIGINT and SIGTERM during `clvmodel score`: one line, exit code 130 or 143, temporary files
removed, the previous outputs intact (issue 13, items 7 and 10). Real processes, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import clvmodel as clv

# `clvmodel score` with each batch slowed down, so that the signal surely arrives mid-write; it
# touches the marker file named in its environment once a batch is scored (the lazy imports of
# the first batch are then done, and the signal lands in the scoring loop).
_SLOW_SCORE = """
import os
import pathlib
import signal
import time
import clvmodel.cli._batch as batch
from clvmodel.cli import main

real = batch.score_customers
marker = pathlib.Path(os.environ["CLVMODEL_TEST_SCORED_MARKER"])

def slow(*args, **kwargs):
    time.sleep(0.2)
    result = real(*args, **kwargs)
    marker.touch()
    return result

batch.score_customers = slow
# SIGINT as a terminal gives it: a run started in the background without job control (a test
# runner launched with `&`) inherits SIGINT ignored, which the command rightly keeps.
signal.signal(signal.SIGINT, signal.default_int_handler)
main()
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, cdnow_sample, fitted_bg, fitted_gg):
    # fitted_bg and fitted_gg (tests/conftest.py): BetaGeoModel().fit(rfm) and
    # GammaGammaModel().fit(rfm) on the sample's RFM to 1997-09-30 in weeks, shared read-only.
    folder = tmp_path_factory.mktemp("signals")
    log = folder / "log.parquet"
    cdnow_sample.to_parquet(log)
    models = folder / "models.json"
    clv.models.bundle.ModelBundle(bg=fitted_bg, gg=fitted_gg, naive=None, metadata={}).save(models)
    script = folder / "slow_score.py"
    script.write_text(_SLOW_SCORE)
    return {"log": log, "models": models, "script": script}


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_while_scoring_cleans_up_and_says_so(
    inputs, tmp_path, tmp_path_factory, signum, code
):
    scores, rejects = tmp_path / "scores.csv", tmp_path / "scores.rejects.csv"
    marker = tmp_path_factory.mktemp("marker") / "scored"
    scores.write_text("previous scores\n")
    rejects.write_text("previous rejects\n")
    process = subprocess.Popen(
        [
            sys.executable, str(inputs["script"]), "score", str(inputs["models"]),
            str(inputs["log"]), "--observation-end", "1997-09-30", "-o", str(scores),
            "--batch-size", "100",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CLVMODEL_TEST_SCORED_MARKER": str(marker)},
    )  # fmt: skip
    try:
        # Wait until the run has scored a batch and is writing its temporary files (24 slow
        # batches: several seconds).
        deadline = time.monotonic() + 60
        while not marker.exists() or not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the run never started writing"
            time.sleep(0.02)
        time.sleep(0.3)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == code, stderr
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("warning: ")]
    assert lines == [
        f"error: interrupted by {signal.Signals(signum).name}; temporary files were removed and "
        "outputs not yet complete were not written (the previous files are unchanged)."
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.csv", "scores.rejects.csv"]
    assert scores.read_text() == "previous scores\n"
    assert rejects.read_text() == "previous rejects\n"


def test_a_signal_the_run_was_started_ignoring_stays_ignored():
    # `nohup` or `&` without job control start the command with SIGINT ignored: the guard must
    # leave it so (a run its user meant to survive a Ctrl-C must not stop on one), while it
    # still takes SIGTERM over, and both dispositions are as before once the block is left.
    from clvmodel.cli import _guard

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    term = signal.getsignal(signal.SIGTERM)
    try:
        with _guard.interruptible():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) not in (term, signal.SIG_IGN, signal.SIG_DFL)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) == term
    finally:
        signal.signal(signal.SIGINT, previous)
