"""``clvmodel dayone-fit``, ``clvmodel fit --attributes`` and ``clvmodel dayone``: every message
names only options the command has, in plain numbers, and no input customer is dropped silently."""

from __future__ import annotations

import re

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
# Python's way of writing things, which has no place on the command line.
PYTHON = re.compile(r"np\.\w+\(|\w+=|\w+\(\.\.\.\)|on the command line")


def errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def warning_lines(result) -> list[str]:
    lines = result.stderr.splitlines()
    return [line for line in lines if line.startswith("warning: ") and "repeat another" not in line]


def assert_command_line_words(text: str) -> None:
    assert not PYTHON.search(text), text
    assert "  " not in text and " ." not in text, text


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The CDNOW sample log, its signup attributes with a made-up channel, and signups."""
    folder = tmp_path_factory.mktemp("dayone_messages")
    tx = clv.datasets.load_cdnow_sample()
    tx.to_csv(folder / "tx.csv", index=False)
    attributes = first_purchase_attributes(tx, quantity_col="quantity")
    attributes["channel"] = np.random.default_rng(9).choice(["web", "store"], len(attributes))
    table = attributes.reset_index()
    table.to_csv(folder / "attributes.csv", index=False)
    extra = table.head(3).assign(customer_id=["z1", "z2", "z3"])
    pd.concat([table, extra]).to_csv(folder / "extra.csv", index=False)
    table.iloc[5:].to_csv(folder / "short.csv", index=False)
    signups = table.head(10).drop(columns=["signup_date", "signup_week"])
    signups["customer_id"] = [f"new{i}" for i in range(10)]
    signups.to_csv(folder / "signups.csv", index=False)
    single = tx.groupby(["customer_id", "date"], as_index=False)["quantity"].sum()
    single.assign(amount=9.99).to_csv(folder / "single.csv", index=False)
    tx.drop(columns="amount").to_csv(folder / "no_amount.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def model_file(files):
    result = run_cli(
        "dayone-fit", "tx.csv", "attributes.csv", *FIT_OPTIONS, "-o", "m.json", cwd=files
    )
    assert result.returncode == 0, result.stderr
    return files / "m.json"


def score(files, table: pd.DataFrame, name: str):
    table.to_csv(files / name, index=False)
    return run_cli("dayone", "m.json", name, "-o", f"out_{name}", cwd=files)


# Problem 1: extreme attributes are scored, with a warning naming the attribute, count and range.
def test_scoring_far_outside_the_training_range_warns(files, model_file):
    signups = pd.read_csv(files / "signups.csv")
    signups.loc[[0, 1], "first_purchase_quantity"] = 1e9
    result = score(files, signups, "extreme.csv")
    assert result.returncode == 0, result.stderr
    (line,) = warning_lines(result)
    assert line.startswith("warning: 2 of 10 signups have 'first_purchase_quantity' far outside")
    assert re.search(r"\(1 to \d+\): 1e\+09, 1e\+09\.", line), line
    assert_command_line_words(line)
    assert len(pd.read_csv(files / "out_extreme.csv")) == 10  # every signup is in the output


# Problem 2: attribute rows without transactions, and customers without attribute rows.
def test_attribute_rows_without_purchases_are_reported(files, model_file):
    result = run_cli("dayone-fit", "tx.csv", "extra.csv", *FIT_OPTIONS, "-o", "e.json", cwd=files)
    assert result.returncode == 0, result.stderr
    assert warning_lines(result) == [
        "warning: 3 of the 2,360 customers in ATTRIBUTES have no purchase in TRANSACTIONS (for "
        "example z1, z2, z3); they are left out of the fit, which learns from what "
        "customers bought."
    ]


@pytest.mark.parametrize(
    ("command", "name"), [("dayone-fit", "ATTRIBUTES"), ("fit", "--attributes")]
)
def test_customers_without_attribute_rows_are_counted_in_the_files_terms(files, command, name):
    args = (
        ["tx.csv", "short.csv"]
        if command == "dayone-fit"
        else ["tx.csv", "--attributes", "short.csv"]
    )
    result = run_cli(command, *args, *FIT_OPTIONS[:6], "-o", "s.json", cwd=files)
    assert result.returncode == 2
    (line,) = errors(result)
    assert line.startswith(
        f"error: {name} has no row for 5 of the 2,357 customers who bought in TRANSACTIONS"
    )
    assert "RFM" not in line
    assert_command_line_words(line)


# Problem 3: scoring errors named --log and --categorical, which `dayone` lacks, and numpy reprs.
@pytest.mark.parametrize(
    ("value", "fragment"), [(-3.0, "(for example -3)"), ("two", "(for example two)")]
)
def test_scoring_errors_name_no_fitting_option_and_print_plain_numbers(
    files, model_file, value, fragment
):
    signups = pd.read_csv(files / "signups.csv").astype({"first_purchase_quantity": object})
    signups.loc[0, "first_purchase_quantity"] = value
    result = score(files, signups, "bad.csv")
    assert result.returncode == 2
    (line,) = errors(result)
    assert fragment in line
    assert "--log" not in line and "--categorical" not in line and "np.float64" not in line
    assert_command_line_words(line)


# Problem 4: "--unknown baseline (--unknown baseline on the command line)".
def test_the_unknown_level_error_names_the_option_once(files, model_file):
    signups = pd.read_csv(files / "signups.csv")
    signups.loc[0, "channel"] = "tv"
    result = score(files, signups, "tv.csv")
    (line,) = errors(result)
    assert line.count("--unknown baseline") == 1
    assert_command_line_words(line)


# Problem 5: `fit --attributes` ignored options of the plain fit; --no-amount gave a riddle.
@pytest.mark.parametrize(
    "extra",
    [
        ["--no-amount"],
        ["--model", "auto"],
        ["--calibration-end", "1997-09-30"],
        ["--table", "tx"],
        ["--memory-limit", "1GB"],
    ],
)
def test_fit_refuses_options_a_day_one_fit_cannot_honour(files, extra):
    result = run_cli(
        "fit",
        "tx.csv",
        "--attributes",
        "attributes.csv",
        "--covariates",
        "channel",
        *extra,
        "-o",
        "x.json",
        cwd=files,
    )
    assert result.returncode == 2
    assert f"Error: {extra[0]}" in result.stderr and "--attributes" in result.stderr
    assert not (files / "x.json").exists()


@pytest.mark.parametrize(
    "extra", [["--log", "x"], ["--categorical", "x"], ["--first-purchase-col", "x"]]
)
def test_fit_refuses_day_one_options_without_attributes(files, extra):
    result = run_cli("fit", "tx.csv", *extra, "-o", "x.json", cwd=files)
    assert result.returncode == 2
    assert f"Error: {extra[0]}" in result.stderr and "--attributes" in result.stderr


def test_fit_with_attributes_honours_the_purchase_model(files):
    args = ["tx.csv", "--attributes", "attributes.csv", "--covariates", "channel"]
    result = run_cli("fit", *args, "--model", "mbgnbd", "-o", "mb.json", cwd=files)
    assert result.returncode == 0, result.stderr
    assert clv.DayOneModel.load(files / "mb.json").purchase_model == "mbgnbd"


# Problem 6: a single price suggested --no-amount, which dayone-fit does not have.
def test_a_single_price_says_what_to_do_instead(files):
    result = run_cli(
        "dayone-fit", "single.csv", "attributes.csv", *FIT_OPTIONS, "-o", "p.json", cwd=files
    )
    assert result.returncode == 2
    (line,) = errors(result)
    assert "(9.99, a single price?)" in line and "--amount-col" in line
    assert "`clvmodel fit TRANSACTIONS --no-amount`" in line
    assert "Fit the purchase model without amounts (--no-amount)" not in line


def test_a_log_without_amounts_names_the_amount_option(files):
    result = run_cli(
        "dayone-fit", "no_amount.csv", "attributes.csv", *FIT_OPTIONS, "-o", "n.json", cwd=files
    )
    assert result.returncode == 2
    (line,) = errors(result)
    assert line.startswith("error: TRANSACTIONS has no amount column 'amount'")
    assert "--amount-col" in line and "--no-amount" not in line
    assert_command_line_words(line)
