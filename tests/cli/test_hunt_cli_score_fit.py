"""Found by a hunt over ``clvmodel fit``, ``score``, ``demo`` and ``simulate``: what each command
says must be what it computed."""

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


@pytest.mark.parametrize("form", ["csv_index", "csv_named", "parquet_index"])
def test_an_rfm_table_without_monetary_value_says_so_and_names_no_amount(tmp_path, form):
    # Was, for a CSV written with its index: "column 1 has no name in the file's header ...
    # Write the name in the header ('monetary_value')", naming the ids' column; none said
    # --no-amount.
    log = tmp_path / "log.csv"
    assert run_cli("simulate", "--customers", "50", "--seed", "2", "-o", str(log)).returncode == 0
    model = tmp_path / "m.json"
    assert run_cli("fit", str(log), "-o", str(model)).returncode == 0
    rfm = clv.rfm_summary(pd.read_csv(log)).drop(columns="monetary_value")
    path = tmp_path / ("rfm.parquet" if form == "parquet_index" else "rfm.csv")
    if form == "parquet_index":
        rfm.to_parquet(path)
    else:
        rfm.rename_axis("customer_id" if form == "csv_named" else None).to_csv(path)
    result = run_cli("score", str(model), str(path), "-o", str(tmp_path / "s.csv"))
    assert result.returncode != 0
    error = result.stderr
    assert "no monetary_value column" in error and "--no-amount" in error, error
    assert "no name in the file's header" not in error
    # With --no-amount the same table scores.
    ok = run_cli("score", str(model), str(path), "-o", str(tmp_path / "s.csv"), "--no-amount")
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("command", ["fit", "score"])
@pytest.mark.parametrize("limit", ["1KB", "16MB"])
def test_too_small_a_memory_limit_names_the_option(tmp_path, command, limit):
    # Was "unexpected failure (OutOfMemoryException: ... SET memory_limit='...GB' ...) ...
    # please report it" at 16MB and "cannot read the input: Out of Memory Error" at 1KB.
    log = tmp_path / "log.csv"
    assert run_cli("simulate", "--customers", "300", "--seed", "1", "-o", str(log)).returncode == 0
    model = tmp_path / "m.json"
    assert run_cli("fit", str(log), "-o", str(model)).returncode == 0
    head = ["fit", str(log)] if command == "fit" else ["score", str(model), str(log)]
    out = tmp_path / ("m2.json" if command == "fit" else "s.csv")
    result = run_cli(*head, "-o", str(out), "--memory-limit", limit)
    if result.returncode == 0:  # enough on this machine (fewer threads): nothing to say
        return
    assert f"--memory-limit {limit}" in result.stderr, result.stderr
    assert "unexpected failure" not in result.stderr and "SET memory_limit" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_fit_on_an_rfm_table_says_it_reads_a_log(tmp_path, suffix):
    # Was: "the input has no customer column 'customer_id', date column 'date', amount column
    # 'amount'; column 1 has no name in the file's header ... Write the names in the header".
    log = tmp_path / "log.csv"
    assert run_cli("simulate", "--customers", "60", "--seed", "2", "-o", str(log)).returncode == 0
    rfm = clv.rfm_summary(pd.read_csv(log))
    path = tmp_path / f"rfm{suffix}"
    if suffix == ".csv":
        rfm.to_csv(path)
    else:
        rfm.to_parquet(path)
    result = run_cli("fit", str(path), "-o", str(tmp_path / "m.json"))
    assert result.returncode != 0
    assert "is an RFM table" in result.stderr and "transaction log" in result.stderr
    assert "no name in the file's header" not in result.stderr
