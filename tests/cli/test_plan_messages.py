"""What ``clvmodel plan`` tells its user.

plan measured T to the log's last date silently when the model records another observation end
(``score`` notes it on stderr); customers whose first purchase is after --observation-end were
dropped from the plan without a word (``score`` counts them as rejected); --tiers low,,high and
--quantiles 50%,50% were refused in the Python API's words ("tier labels must be non-empty
strings", "e.g. --thresholds 50%,80%")."""

import re

import pandas as pd
import pytest
from cli_run import run_cli
from published import PUBLISHED_BG

import clvmodel as clv

LAST = "1997-09-25"  # the log below ends by this date


LATER = "1997-12-31"  # the observation end a model is fitted to


EARLY = "1997-02-15"  # an observation end before many customers' first purchase


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plan_messages")
    log = clv.datasets.load_cdnow_sample()
    log = log[log["customer_id"].isin(log["customer_id"].unique()[::15])]
    log = log[log["date"] <= LAST].drop_duplicates()
    paths = {"folder": folder, "log": folder / "log.csv", "last": f"{log['date'].max():%Y-%m-%d}"}
    log.assign(date=log["date"].dt.strftime("%Y-%m-%d")).to_csv(paths["log"], index=False)
    paths["customers"] = log["customer_id"].nunique()
    paths["late_customers"] = int((log.groupby("customer_id")["date"].min() > EARLY).sum())
    for name, options in (("later", ["--observation-end", LATER]), ("default", [])):
        paths[name] = folder / f"{name}.json"
        result = run_cli("fit", paths["log"], "--model", "bgnbd", "-o", paths[name], *options)
        assert result.exit_code == 0, result.output
    return paths


def _plan(files, model, name, *options):
    output = files["folder"] / f"{name}.csv"
    result = run_cli("plan", files[model], files["log"], "-o", output, *options)
    assert result.exit_code == 0, result.output
    return result, pd.read_csv(output, dtype={"customer_id": str})


def test_plan_notes_an_observation_end_other_than_the_models(files):
    # `score` says so on stderr; `plan` measured T to the log's last date silently.
    result, _ = _plan(files, "later", "plan_later")
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1, result.stderr
    assert files["last"] in notes[0] and f"--observation-end {LATER}" in notes[0], notes
    # No note when the end is given, or the model records the same one.
    given, _ = _plan(files, "later", "plan_given", "--observation-end", LATER)
    same, _ = _plan(files, "default", "plan_same")
    for run in (given, same):
        assert "--observation-end" not in run.stderr, run.stderr


def test_plan_says_which_customers_of_the_log_it_left_out(files):
    # Customers whose first purchase is after --observation-end were dropped from the plan
    # without a word (`score` counts them as rejected).
    late = files["late_customers"]
    assert late > 0
    result, plan = _plan(files, "default", "plan_early", "--observation-end", EARLY)
    assert len(plan) == files["customers"] - late
    assert f"{late:,} more customer" in result.stdout, result.stdout
    assert "--observation-end" in result.stdout.split("more customer")[1].splitlines()[0]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--tiers", "low,,high"], r"--tiers low,,high leaves a tier without a name"),
        (["--tiers", "a,a,b"], r"--tiers a,a,b names 'a' more than once"),
        (["--quantiles", "0.5,0.5"], r"--quantiles 50%,50%: .* e\.g\. --quantiles 33\.3%"),
    ],
)
def test_plan_options_are_refused_in_the_command_lines_words(tmp_path, options, words):
    # --tiers low,,high was told "tier labels must be non-empty strings, got ('low', '',
    # 'high')" (the Python words), and --quantiles 50%,50% was shown "e.g. --thresholds 50%,80%".
    model = tmp_path / "bg.json"
    clv.BetaGeoModel.from_params(PUBLISHED_BG, time_unit="W").save(model)
    rfm = tmp_path / "rfm.csv"
    pd.DataFrame(
        {"customer_id": ["a", "b"], "frequency": [1, 0], "recency": [2.0, 0.0], "T": [5.0, 3.0]}
    ).to_csv(rfm, index=False)
    result = run_cli("plan", model, rfm, "-o", tmp_path / "plan.csv", *options)
    assert result.exit_code != 0
    assert re.search(words, result.output), result.output
    assert not (tmp_path / "plan.csv").exists()
