"""``clvmodel dayone-fit`` and ``clvmodel dayone``: a round trip and one-line errors, in this
process (``run_cli``); each command's exit status and error line once through a real subprocess."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.dayone import first_purchase_attributes

FIT_OPTIONS = [
    "--covariates",
    "first_purchase_amount,first_purchase_quantity,channel",
    "--log",
    "first_purchase_amount,first_purchase_quantity",
    "--first-purchase-col",
    "first_purchase_amount",
    "--covariates-on",
    "purchase,spend",
]


def run(*args: str, cwd):
    """``clvmodel ARGS`` in this process, in the folder ``cwd``."""
    return run_cli(*args, cwd=cwd)


def run_process(*args: str, cwd) -> subprocess.CompletedProcess:
    """``python -m clvmodel.cli ARGS`` in a real process, in the folder ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "clvmodel.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A transaction log, signup attributes (with a made-up channel) and new signups, as CSV."""
    folder = tmp_path_factory.mktemp("dayone")
    tx = clv.datasets.load_cdnow_sample()
    tx.to_csv(folder / "tx.csv", index=False)
    attributes = first_purchase_attributes(tx, quantity_col="quantity")
    rng = np.random.default_rng(9)
    attributes["channel"] = rng.choice(["web", "email", "store"], size=len(attributes))
    attributes.reset_index().to_csv(folder / "attributes.csv", index=False)
    signups = attributes.iloc[:40].drop(columns=["signup_date", "signup_week"])
    signups.index = [f"new{i}" for i in range(len(signups))]
    signups.index.name = "customer_id"
    signups.reset_index().to_csv(folder / "signups.csv", index=False)
    unknown = signups.copy()
    unknown.iloc[0, unknown.columns.get_loc("channel")] = "tv"
    unknown.reset_index().to_csv(folder / "unknown.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def model_file(files):
    result = run("dayone-fit", "tx.csv", "attributes.csv", *FIT_OPTIONS, "-o", "m.json", cwd=files)
    assert result.returncode == 0, result.stderr
    assert "wrote m.json" in result.stdout
    assert "categorical 'channel': 3 levels" in result.stdout
    return files / "m.json"


def test_round_trip_fit_then_score(files, model_file):
    result = run("dayone", "m.json", "signups.csv", "-o", "scores.parquet", cwd=files)
    assert result.returncode == 0, result.stderr
    assert "scored 40 signups" in result.stdout
    scores = pd.read_parquet(files / "scores.parquet")
    assert len(scores) == 40
    assert scores.index.name == "customer_id" and scores.index[0] == "new0"
    assert set(scores["segment"]) <= {"below average", "average", "above average"}
    # The command agrees with the Python API on the same model file.
    signups = pd.read_csv(files / "signups.csv", dtype={"customer_id": str}).set_index(
        "customer_id"
    )
    want = clv.DayOneModel.load(model_file).predict(signups)
    np.testing.assert_allclose(scores["day_one_value"], want["day_one_value"], rtol=1e-12)
    np.testing.assert_array_equal(scores["segment"], want["segment"].astype(str))
    loaded = clv.DayOneModel.load(model_file)
    assert loaded.numeric == ["first_purchase_amount", "first_purchase_quantity"]
    assert loaded.categorical == ["channel"]


def test_unknown_category_is_one_line_error_then_baseline_with_warning(files, model_file):
    result = run_process("dayone", "m.json", "unknown.csv", "-o", "u.csv", cwd=files)
    assert_one_line_error(result, "'tv'", "--unknown baseline")
    assert not (files / "u.csv").exists()
    result = run(
        "dayone", "m.json", "unknown.csv", "-o", "u.csv", "--unknown", "baseline", cwd=files
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().startswith("warning: 1 customer(s)")
    assert len(pd.read_csv(files / "u.csv")) == 40


def test_missing_covariate_is_one_line_error(files):
    result = run_process(
        "dayone-fit", "tx.csv", "attributes.csv", "--covariates", "age", "-o", "x.json", cwd=files
    )
    assert_one_line_error(result, "'age'", "its columns are")
    assert not (files / "x.json").exists()


# In-process checks of the remaining error paths (the group turns ClvError into one line, exit 2).
@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["dayone", "nowhere.json", "signups.csv", "-o", "o.csv"], "does not exist"),
        (["dayone", "m.json", "signups.csv", "-o", "o.txt"], "use .csv or .parquet"),
        (["dayone", "m.json", "signups.csv", "-o", "o.csv", "--customer-col", "id"], "'id'"),
        (["dayone", "tx.csv", "signups.csv", "-o", "o.csv"], "not valid JSON"),
        (
            ["dayone-fit", "tx.csv", "attributes.csv", *FIT_OPTIONS, "--baseline", "web"],
            "COLUMN=LEVEL",
        ),
        (
            [
                "dayone-fit",
                "tx.csv",
                "attributes.csv",
                "--covariates",
                "signup_week",
                "--categorical",
                "channel",
            ],
            "not in --covariates",
        ),
        (
            [
                "dayone-fit",
                "tx.csv",
                "attributes.csv",
                "--covariates",
                "first_purchase_amount",
                "--log",
                "channel",
            ],
            "not numeric attributes",
        ),
    ],
)
def test_errors_are_one_line(files, model_file, args, fragment):
    if args[0] == "dayone-fit":
        args = [*args, "-o", "bad.json"]
    result = run_cli(*args, cwd=files)
    assert result.exit_code == 2, result.output
    # Warnings (duplicate rows in the fixture log) come first, each on one line of its own.
    lines = [x for x in result.stderr.strip().splitlines() if not x.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert fragment in lines[0]
    assert not (files / "bad.json").exists()
    assert not (files / "o.csv").exists()


def test_fit_with_covariate_options_writes_the_same_day_one_model(files, model_file):
    # `clvmodel fit` names the covariate columns and delegates to the Day One fit.
    options = FIT_OPTIONS[: FIT_OPTIONS.index("--covariates-on")]  # fit has the main options
    result = run(
        "fit", "tx.csv", "--attributes", "attributes.csv", *options, "-o", "f.json", cwd=files
    )
    assert result.returncode == 0, result.stderr
    from_fit = clv.DayOneModel.load(files / "f.json")
    signups = pd.read_csv(files / "signups.csv", dtype={"customer_id": str}).set_index(
        "customer_id"
    )
    assert from_fit.numeric == clv.DayOneModel.load(model_file).numeric
    assert from_fit.categorical == ["channel"]
    assert np.isfinite(from_fit.predict(signups)["day_one_value"]).all()
    lone = run("fit", "tx.csv", "--covariates", "channel", "-o", "g.json", cwd=files)
    assert_one_line_error(lone, "--attributes and --covariates go together")


def test_signup_ids_are_read_as_in_transaction_logs(files, model_file):
    # "new1 " and "new1" were scored as two signups; ids are trimmed, as log ids are.
    signups = pd.read_csv(files / "signups.csv", dtype={"customer_id": str}).head(3)
    signups.loc[0, "customer_id"] = "new1 "
    signups.to_csv(files / "padded.csv", index=False)
    result = run("dayone", "m.json", "padded.csv", "-o", "padded_out.csv", cwd=files)
    assert result.returncode == 2 and "more than once (for example new1)" in result.stderr
    signups.loc[0, "customer_id"] = " new0 "
    signups.to_csv(files / "trimmed.csv", index=False)
    result = run("dayone", "m.json", "trimmed.csv", "-o", "trimmed_out.csv", cwd=files)
    assert result.returncode == 0, result.stderr
    assert pd.read_csv(files / "trimmed_out.csv")["customer_id"].tolist() == [
        "new0",
        "new1",
        "new2",
    ]
