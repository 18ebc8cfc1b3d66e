"""Tests of the inputs of ``clvmodel dayone-fit`` and ``clvmodel dayone``.

* ``dayone-fit`` read the attributes' kinds (numeric or categorical) from every row of ATTRIBUTES,
  customers without a purchase too: a text in one of their rows made a numeric attribute a
  categorical one with a level per value (a 913-level attribute and a 25-minute fit).
* The --observation-end warning said customers had no purchase when they had, after the end.
* A postgresql:// ATTRIBUTES, TRANSACTIONS, SIGNUPS or -o is refused up front (``dayone-fit``
  asked for a --table it cannot take, or ran the whole fit before failing on the output).
* ``--covariates signup_date`` took a date column for a categorical attribute with a level per
  day (84 on the CDNOW sample) and fitted for 50 s without a word.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli
from dayone_attributes import attributes_with_channel

import clvmodel as clv
from clvmodel.dayone import first_purchase_attributes

NUMERIC = ["first_purchase_amount", "first_purchase_quantity"]


def one_line_error(result) -> str:
    assert result.returncode == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def tx():
    return clv.datasets.load_cdnow_sample()


@pytest.fixture(scope="module")
def files(tx, tmp_path_factory):
    """The CDNOW sample's log; its attributes with a numeric ``age`` (as text, as a CSV holds
    it); the same plus 300 customers who never bought, with a text age each and a channel of
    their own."""
    folder = tmp_path_factory.mktemp("dayone")
    tx.to_csv(folder / "tx.csv", index=False)
    attributes = first_purchase_attributes(tx, quantity_col="quantity")[NUMERIC]
    rng = np.random.default_rng(1)
    attributes["age"] = rng.integers(18, 70, len(attributes)).astype(str)
    attributes["channel"] = rng.choice(["web", "email", "store"], len(attributes))
    attributes.reset_index().to_csv(folder / "attributes.csv", index=False)
    strangers = pd.DataFrame(
        {
            NUMERIC[0]: 10.0,
            NUMERIC[1]: 1.0,
            "age": [f"unknown {k}" for k in range(300)],
            "channel": [f"partner {k}" for k in range(300)],
        },
        index=pd.Index([f"Z{k}" for k in range(300)], name="customer_id"),
    )
    pd.concat([attributes, strangers]).reset_index().to_csv(folder / "extra.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def attributes(tx):
    return attributes_with_channel(tx)


@pytest.fixture(scope="module")
def folder(tx, attributes, tmp_path_factory):
    folder = tmp_path_factory.mktemp("review_dayone")
    tx.to_csv(folder / "tx.csv", index=False)
    table = attributes.assign(signup_date=attributes["signup_date"].dt.strftime("%Y-%m-%d"))
    table.reset_index().to_csv(folder / "attributes.csv", index=False)
    return folder


def _fitted_kinds(files, attributes: str, name: str):
    result = run_cli(
        "dayone-fit", "tx.csv", attributes, "--covariates", f"{NUMERIC[0]},age,channel",
        "--log", NUMERIC[0], "--drop-duplicates", "-o", name, cwd=files,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    model = clv.DayOneModel.load(files / name)
    levels = {e["name"]: e["levels"] for e in model.encoding_["categorical"]}
    return model.numeric, model.categorical, levels, result


def test_attribute_kinds_come_from_the_customers_fitted_on(files):
    plain = _fitted_kinds(files, "attributes.csv", "plain.json")
    extra = _fitted_kinds(files, "extra.csv", "extra.json")
    assert plain[:3] == extra[:3]
    assert "age" in extra[0] and extra[1] == ["channel"]
    assert len(extra[2]["channel"]) == 3
    assert "300 of the 2,657 customers in ATTRIBUTES have no purchase" in extra[3].stderr


def test_the_observation_end_warning_says_what_was_assumed(files):
    result = run_cli(
        "dayone-fit", "tx.csv", "extra.csv", "--covariates", NUMERIC[0], "--drop-duplicates",
        "--observation-end", "1997-02-15", "-o", "early.json", cwd=files,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    later = [line for line in result.stderr.splitlines() if "after --observation-end" in line]
    assert len(later) == 1, result.stderr
    assert "first purchase after --observation-end 1997-02-15" in later[0]
    assert "later --observation-end" in later[0] and "have no purchase" not in later[0]
    never = [line for line in result.stderr.splitlines() if "have no purchase" in line]
    assert len(never) == 1 and never[0].startswith("warning: 300 of"), result.stderr


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["dayone-fit", "tx.csv", "postgresql://u@localhost/db"], "ATTRIBUTES"),
        (["dayone-fit", "postgresql://u@localhost/db", "attributes.csv"], "TRANSACTIONS"),
        (["fit", "tx.csv", "--attributes", "postgres://u@localhost/db"], "--attributes"),
    ],
)
def test_a_database_input_is_refused_up_front(files, arguments, named):
    result = run_cli(*arguments, "--covariates", NUMERIC[0], "-o", "db.json", cwd=files)
    line = one_line_error(result)
    assert line.startswith(f"error: {named} postgres"), line
    assert "is a postgresql:// database" in line
    assert "CSV or Parquet" in line and "needs exactly one of --table" not in line


def test_dayone_refuses_a_database_to_score_or_write(files):
    _fitted_kinds(files, "attributes.csv", "m.json")
    line = one_line_error(
        run_cli("dayone", "m.json", "postgresql://h/db", "-o", "s.csv", cwd=files)
    )
    assert line.startswith("error: SIGNUPS postgresql://h/db is a postgresql:// database"), line
    line = one_line_error(
        run_cli("dayone", "m.json", "attributes.csv", "-o", "postgresql://h/db", cwd=files)
    )
    assert line.startswith("error: -o/--output postgresql://h/db is a postgresql://"), line
    # dayone-fit too, before any work (it ran the whole fit and then failed on the folder).
    line = one_line_error(
        run_cli(
            "dayone-fit",
            "tx.csv",
            "attributes.csv",
            "--covariates",
            NUMERIC[0],
            "-o",
            "postgresql://ann:secret@h/db",
            cwd=files,
        )  # fmt: skip
    )
    assert "-o/--output postgresql://ann:***@h/db is a postgresql://" in line, line


def test_the_command_line_refuses_a_date_attribute_at_once(folder):
    started = time.perf_counter()
    result = run_cli(
        "dayone-fit", "tx.csv", "attributes.csv", "--covariates", "signup_date,channel",
        "-o", "d.json", cwd=folder,
    )  # fmt: skip
    assert result.returncode == 2, result.output
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: attribute 'signup_date' holds dates (for example 1997-01-01")
    assert "as a number" in line and "--categorical" in line
    assert time.perf_counter() - started < 20
    assert not (folder / "d.json").exists()


def test_a_date_attribute_listed_as_categorical_is_refused_for_its_many_levels(folder):
    result = run_cli(
        "dayone-fit", "tx.csv", "attributes.csv", "--covariates", "signup_date",
        "--categorical", "signup_date", "-o", "d.json", cwd=folder,
    )  # fmt: skip
    assert result.returncode == 2, result.output
    assert "holds dates (84 distinct" in result.stderr
