"""Every command that reads a CSV refuses an empty or non-UTF-8 file in words.

``fit`` and ``score`` did already; ``plan``, ``evaluate`` and ``subscriptions score`` (which read
through pandas) said "'utf-8' codec can't decode byte 0xe9 in position 3" and "No columns to parse
from file".
"""

from __future__ import annotations

import pytest
from cli_run import run_cli

import clvmodel as clv


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    here = tmp_path_factory.mktemp("csv_text")
    (here / "latin.csv").write_bytes(b"customer_id,date,amount\nCaf\xe9,1997-01-01,10\n")
    (here / "empty.csv").write_bytes(b"")
    return here


@pytest.mark.parametrize(
    "command",
    [
        ["plan", "MODEL", "FILE", "-o", "p.csv"],
        ["evaluate", "FILE", "--calibration-end", "1997-06-30", "-o", "ev"],
        ["subscriptions", "score", "MODEL", "FILE", "-o", "s.csv", "--billing-period", "M"],
    ],
    ids=["plan", "evaluate", "subscriptions score"],
)
@pytest.mark.parametrize(
    ("name", "words"),
    [("latin.csv", "'latin.csv' is not UTF-8 text: line 2"), ("empty.csv", "'empty.csv' is empty")],
)
def test_the_file_is_named_for_what_it_is(folder, command, name, words):
    model = "sub.json" if command[0] == "subscriptions" else "m.json"
    if not (folder / model).exists():
        if model == "m.json":
            rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), drop_duplicates=True)
            clv.BetaGeoModel().fit(rfm).save(folder / model)
        else:
            clv.ShiftedBetaGeoModel.from_params({"alpha": 1.0, "beta": 2.0}).save(folder / model)
    arguments = [model if a == "MODEL" else name if a == "FILE" else a for a in command]
    result = run_cli(*arguments, cwd=folder)
    assert result.returncode == 2, result.output
    assert result.stderr.startswith(f"error: {words}"), result.stderr
    assert "codec" not in result.stderr and "No columns" not in result.stderr
