"""What a command says is what it computed: demo's title shows the discount rate given, score of
a log in days writes what the Python API computes, and simulate counts one customer in the
singular."""

import re

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.scoring import score_customers


@pytest.mark.parametrize("rate, shown", [("0.125", "12.5%"), ("0.005", "0.5%"), ("0.1", "10%")])
def test_demo_title_shows_the_discount_rate_given(rate, shown):
    # Was "(discount 12% a year)" for --discount-rate 0.125 and "0%" for 0.005.
    out = run_cli("demo", "--top", "1", "--discount-rate", rate).stdout
    title = next(line for line in out.splitlines() if line.startswith("Top 1 customers"))
    assert re.search(r"discount (\S+) a year", title).group(1) == shown


def test_score_of_a_day_log_matches_the_python_api(tmp_path):
    # Checked and fine: weeks horizon, discount, margin and intervals on a model fitted in days.
    log = tmp_path / "log.csv"
    assert run_cli("simulate", "--customers", "120", "--seed", "4", "-o", str(log)).returncode == 0
    model, out = tmp_path / "m.json", tmp_path / "s.csv"
    assert run_cli("fit", str(log), "--time-unit", "D", "-o", str(model)).returncode == 0
    args = ["--horizon", "52W", "--discount-rate", "10%", "--margin", "0.3", "--interval", "0.9"]
    result = run_cli("score", str(model), str(log), "-o", str(out), *args)
    assert result.returncode == 0, result.stderr
    bundle = clv.load_models(model)
    rfm = clv.rfm_summary(pd.read_csv(log), time_unit="D")
    expected = score_customers(
        bundle.bg, bundle.gg, rfm, horizon="52W", discount_rate=0.1, margin=0.3, interval=0.9
    )
    got = pd.read_csv(out, index_col="customer_id").loc[expected.index]
    for column in expected.columns.drop("naive_clv"):
        np.testing.assert_allclose(got[column], expected[column], rtol=1e-9, err_msg=column)


def test_simulate_of_one_customer_says_customer(tmp_path):
    result = run_cli("simulate", "--customers", "1", "--seed", "3", "-o", tmp_path / "one.csv")
    assert result.returncode == 0, result.output
    rows = len(pd.read_csv(tmp_path / "one.csv"))
    assert "of 1 customer " in result.stdout, result.stdout
    assert f"{rows} transaction{'s' if rows != 1 else ''} " in result.stdout, result.stdout
