"""Review finding: ``dayone-fit --covariates signup_date`` took a date column for a categorical
attribute with a level per day (84 on the CDNOW sample) and fitted for 50 s without a word; the
Python API did the same with ``categorical=["signup_date"]``, and took any number of levels."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.dayone import first_purchase_attributes


@pytest.fixture(scope="module")
def tx():
    return clv.datasets.load_cdnow_sample()


@pytest.fixture(scope="module")
def rfm(tx):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        return clv.rfm_summary(tx, observation_end="1997-09-30")


@pytest.fixture(scope="module")
def attributes(tx):
    table = first_purchase_attributes(tx)
    table["channel"] = np.random.default_rng(0).choice(["web", "store", "app"], len(table))
    return table


@pytest.fixture(scope="module")
def folder(tx, attributes, tmp_path_factory):
    folder = tmp_path_factory.mktemp("review_dayone")
    tx.to_csv(folder / "tx.csv", index=False)
    table = attributes.assign(signup_date=attributes["signup_date"].dt.strftime("%Y-%m-%d"))
    table.reset_index().to_csv(folder / "attributes.csv", index=False)
    return folder


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


@pytest.mark.parametrize("as_text", [False, True])
def test_python_refuses_a_date_attribute_as_categorical(rfm, attributes, as_text):
    table = attributes.loc[rfm.index]
    if as_text:
        table = table.assign(signup_date=table["signup_date"].dt.strftime("%d/%m/%Y"))
    model = clv.DayOneModel(categorical=["signup_date"])
    with pytest.raises(clv.InputError, match=r"'signup_date' holds dates \(84 distinct"):
        model.fit(rfm, table)


def test_python_refuses_a_categorical_attribute_with_very_many_levels(rfm, attributes):
    table = attributes.loc[rfm.index]
    table = table.assign(shop=[f"shop {k % 60}" for k in range(len(table))])
    with pytest.raises(clv.InputError, match=r"'shop' has 60 levels .*at most 50"):
        clv.DayOneModel(categorical=["shop"]).fit(rfm, table)
