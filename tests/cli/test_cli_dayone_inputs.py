"""``clvmodel dayone-fit`` and ``clvmodel dayone``: lists that name nothing or a name twice,
repeated customer ids and tampered model files, each refused in the command line's own words
(before, they fitted models with no attribute effect, or named Python arguments and options
the user never passed)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.dayone import first_purchase_attributes

NUMERIC = ["first_purchase_amount", "first_purchase_quantity"]


def assert_one_line_error(result, *fragments: str) -> str:
    assert result.returncode == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The CDNOW sample's log and signup attributes (one repeated row in dup.csv), new signups
    (one repeated id in dup_signups.csv) and a fitted model file."""
    folder = tmp_path_factory.mktemp("dayone_inputs")
    tx = clv.datasets.load_cdnow_sample()
    tx.to_csv(folder / "tx.csv", index=False)
    attributes = first_purchase_attributes(tx, quantity_col="quantity")[NUMERIC]
    attributes.reset_index().to_csv(folder / "attributes.csv", index=False)
    attributes.iloc[[0, 0, *range(1, len(attributes))]].reset_index().to_csv(
        folder / "dup.csv", index=False
    )
    signups = attributes.iloc[:4].reset_index()
    signups.to_csv(folder / "signups.csv", index=False)
    signups.iloc[[0, 1, 1]].to_csv(folder / "dup_signups.csv", index=False)
    rfm = clv.rfm_summary(tx, observation_end="1998-06-30", time_unit="W")
    rfm.index = rfm.index.astype(str)
    attributes.index = attributes.index.astype(str)
    model = clv.DayOneModel(NUMERIC, log=NUMERIC, first_purchase_col=NUMERIC[0])
    model.fit(rfm, attributes).save(folder / "m.json")
    return folder


def fit(files, *options: str, attributes: str = "attributes.csv"):
    return run_cli("dayone-fit", "tx.csv", attributes, *options, "-o", "x.json", cwd=files)


@pytest.mark.parametrize(
    ("options", "flag"),
    [
        (["--covariates", ",,"], "--covariates ',,'"),
        (["--covariates", NUMERIC[0], "--covariates-on", ""], "--covariates-on ''"),
        (["--covariates", NUMERIC[0], "--covariates-on", " , "], "--covariates-on ' , '"),
    ],
)
def test_lists_that_name_nothing_are_refused(files, options, flag):
    # Both fitted a model that gave every signup 56.831, the population value.
    assert_one_line_error(fit(files, *options), flag, "names nothing")
    assert not (files / "x.json").exists()


@pytest.mark.parametrize(
    ("options", "flag"),
    [
        (["--covariates", f"{NUMERIC[0]},{NUMERIC[0]}"], "--covariates"),
        (["--covariates", NUMERIC[0], "--log", f"{NUMERIC[0]}, {NUMERIC[0]}"], "--log"),
    ],
)
def test_a_name_given_twice_is_named_by_its_option(files, options, flag):
    line = assert_one_line_error(fit(files, *options), f"{flag} names ['{NUMERIC[0]}']")
    assert "numeric names" not in line and "log names" not in line.replace("--log", "")


def test_repeated_ids_are_named_by_the_argument(files):
    line = assert_one_line_error(
        fit(files, "--covariates", NUMERIC[0], attributes="dup.csv"),
        "ATTRIBUTES lists 1 customer id(s) more than once",
    )
    assert "signup attributes" not in line
    through_fit = run_cli(
        "fit", "tx.csv", "--attributes", "dup.csv", "--covariates", NUMERIC[0], "-o", "y.json",
        cwd=files,
    )  # fmt: skip
    assert_one_line_error(through_fit, "--attributes lists 1 customer id(s)")
    scored = run_cli("dayone", "m.json", "dup_signups.csv", "-o", "s.csv", cwd=files)
    assert_one_line_error(scored, "SIGNUPS lists 1 customer id(s) more than once")


def tamper(files, name: str, change) -> str:
    document = json.loads((files / "m.json").read_text())
    change(document)
    (files / name).write_text(json.dumps(document))
    return name


@pytest.mark.parametrize(
    ("change", "kept", "rewritten"),
    [
        (
            lambda d: d["settings"].update(horizon_unit="X"),
            "horizon='X' is not a period",
            "--horizon",
        ),
        (
            lambda d: d["settings"].update(segment_band=float("nan")),
            "segment_band must be positive",
            "--segment-band",
        ),
    ],
)
def test_model_file_contents_are_not_rewritten_into_options(files, change, kept, rewritten):
    name = tamper(files, "bad.json", change)
    result = run_cli("dayone", name, "signups.csv", "-o", "s.csv", cwd=files)
    line = assert_one_line_error(result, "'bad.json' is not a valid Day One model file", kept)
    assert rewritten not in line


def test_contradicting_files_are_refused_before_scoring(files):
    name = tamper(files, "units.json", lambda d: d.update(time_unit="D"))
    result = run_cli("dayone", name, "signups.csv", "-o", "u.csv", cwd=files)
    assert_one_line_error(result, "'units.json'", "'time_unit' is 'D'")
    assert not (files / "u.csv").exists()
    name = tamper(files, "no_bg.json", lambda d: d.pop("bg"))
    result = run_cli("dayone", name, "signups.csv", "-o", "u.csv", cwd=files)
    line = assert_one_line_error(result, "the 'bg' model is missing")
    assert "not a JSON object" not in line
    scored = run_cli("dayone", "m.json", "signups.csv", "-o", "ok.csv", cwd=files)
    assert scored.returncode == 0, scored.stderr
    assert np.isfinite(np.loadtxt(files / "ok.csv", delimiter=",", skiprows=1, usecols=6)).all()
