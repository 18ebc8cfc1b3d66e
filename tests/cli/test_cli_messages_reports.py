"""Messages of ``clvmodel evaluate``, ``report`` and ``plan`` in the command line's words: the
options that set a value (``--observation-end``, ``--cac-file``, ``--thresholds``), files and
columns by name and rows counted from 1, never the Python API's argument names
(``duration_holdout``, ``acquisition_cost``, ``amount_col=None``) or 0-based positions."""

import numpy as np
import pandas as pd
import pytest
from cli_run import error_line, run_cli
from figure_stubs import draw_figures_without_rendering, embed_figures_as_pixels

import clvmodel as clv

CALIBRATION_END = "1997-09-30"
PAST_THE_DATA = "1999-12-31"  # the CDNOW sample ends on 1998-06-30


_error_line = error_line


@pytest.fixture(autouse=True)
def _figures_drawn_not_rendered(monkeypatch):
    """Every figure is drawn (its code runs, and may warn or fail as before) but not rendered:
    ``evaluate`` writes an empty PNG file, ``report`` embeds one pixel. These tests read
    messages and text; rendering was most of an ``evaluate`` run (``test_cli_evaluate`` and the
    report tests check the images)."""
    draw_figures_without_rendering(monkeypatch)
    embed_figures_as_pixels(monkeypatch)


def _warnings(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning: ")]


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    """The CDNOW sample as CSV files: as it is, with one channel per customer, with every amount
    equal, and without amounts."""
    folder = tmp_path_factory.mktemp("messages")
    tx = clv.datasets.load_cdnow_sample()
    tx["date"] = tx["date"].dt.strftime("%Y-%m-%d")
    ids = tx["customer_id"].unique()
    channel = dict(zip(ids, np.where(np.arange(ids.size) % 2, "web", "shop"), strict=True))
    paths = {name: folder / f"{name}.csv" for name in ("log", "segmented", "flat", "no_amount")}
    tx.to_csv(paths["log"], index=False)
    tx.assign(channel=tx["customer_id"].map(channel)).to_csv(paths["segmented"], index=False)
    tx.assign(amount=10.0).to_csv(paths["flat"], index=False)
    tx.drop(columns="amount").to_csv(paths["no_amount"], index=False)
    paths["web_only_cac"] = folder / "cac.csv"
    pd.DataFrame({"channel": ["web"], "cac": [20.0]}).to_csv(paths["web_only_cac"], index=False)
    return paths


@pytest.fixture(scope="module")
def rfm_files(tmp_path_factory):
    """A BG/NBD model file and RFM tables of eight customers (ids in the first, nameless column
    as clvmodel writes them), one clean and some with a bad value in one row."""
    folder = tmp_path_factory.mktemp("rfm_messages")
    rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), time_unit="W")
    model = folder / "bg.json"
    clv.BetaGeoModel().fit(rfm).save(model)
    head = rfm.head(8).copy()
    paths = {"model": model, "clean": folder / "clean.csv"}
    head.to_csv(paths["clean"])
    missing = head.copy()
    missing.iloc[3, missing.columns.get_loc("recency")] = np.nan  # data row 4: line 5
    paths["missing"] = folder / "missing.csv"
    missing.to_csv(paths["missing"])
    late = head.copy()
    late.iloc[2, late.columns.get_loc("recency")] = late["T"].iloc[2] + 5.0  # data row 3
    paths["late"] = folder / "late.csv"
    late.to_csv(paths["late"])
    return paths


# ---------------------------------------------------------------------------------------------
# 1. A holdout that runs past the data: the option that set its end


def test_evaluate_names_observation_end_for_a_holdout_past_the_data(logs, tmp_path):
    result = run_cli(
        "evaluate", logs["log"], "--calibration-end", CALIBRATION_END,
        "--observation-end", PAST_THE_DATA, "--drop-duplicates", "-o", tmp_path / "out",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    quiet = [line for line in _warnings(result) if "holdout period" in line]
    assert len(quiet) == 1, result.stderr
    assert "ends on 1999-12-31 (--observation-end)" in quiet[0]
    assert "the transactions end on 1998-06-30" in quiet[0]
    assert "duration_holdout" not in result.stderr
    assert "observation_end" not in result.stderr


def test_report_names_its_options_for_a_holdout_and_tiers_past_the_data(logs, tmp_path):
    output = tmp_path / "report.html"
    result = run_cli(
        "report", logs["log"], "--calibration-end", CALIBRATION_END,
        "--observation-end", PAST_THE_DATA, "--drop-duplicates", "-o", output,
        "--churn-horizon", "12M",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = _warnings(result)
    quiet = [line for line in lines if "holdout period" in line]
    assert len(quiet) == 1 and "(--observation-end)" in quiet[0], result.stderr
    # 5. Every customer is at high risk: the report has no --thresholds, it names its own options.
    tiers = [line for line in lines if "have no customers" in line]
    assert len(tiers) == 1, result.stderr
    assert "--churn-horizon" in tiers[0] and "--observation-end" in tiers[0]
    for python in ("duration_holdout", "churn_horizon", "observation_end", "thresholds"):
        assert python not in result.stderr
    # The notes listed in the report itself say the same.
    html = output.read_text(encoding="utf-8")
    assert "(--observation-end)" in html and "--churn-horizon" in html
    assert "duration_holdout" not in html and "churn_horizon" not in html
    # --churn-horizon 12M is said in months (it was converted to "52.1786 weeks").
    assert "no purchase in the next 12 months" in html and "52.1786" not in html


# ---------------------------------------------------------------------------------------------
# 2. --cac-file and --segment-column


def test_report_names_cac_file_for_a_segment_without_a_cost(logs, tmp_path):
    result = run_cli(
        "report", logs["segmented"], "--calibration-end", CALIBRATION_END, "--drop-duplicates",
        "--segment-column", "channel", "--cac-file", logs["web_only_cac"],
        "-o", tmp_path / "report.html",
    )  # fmt: skip
    line = _error_line(result)
    assert f"--cac-file {logs['web_only_cac']}" in line
    assert "['shop']" in line and "--segment-column 'channel'" in line
    assert "acquisition_cost" not in line and "mapping" not in line


def test_report_names_segment_column_for_a_customer_without_a_segment(logs, tmp_path):
    tx = pd.read_csv(logs["segmented"], dtype={"customer_id": str})
    tx.loc[tx["customer_id"] == tx["customer_id"].iloc[0], "channel"] = np.nan
    path = tmp_path / "unlabelled.csv"
    tx.to_csv(path, index=False)
    result = run_cli(
        "report", path, "--calibration-end", CALIBRATION_END, "--drop-duplicates",
        "--segment-column", "channel", "-o", tmp_path / "report.html",
    )  # fmt: skip
    line = _error_line(result)
    assert "--segment-column 'channel' is empty for 1 customer(s)" in line
    assert str(path) in line and "segments" not in line


# ---------------------------------------------------------------------------------------------
# 3. A single price, or no amounts


def test_evaluate_single_price_warning_has_no_python_advice(logs, tmp_path):
    result = run_cli(
        "evaluate", logs["flat"], "--calibration-end", CALIBRATION_END, "--drop-duplicates",
        "-o", tmp_path / "out",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    spend = [line for line in _warnings(result) if "no spend model" in line]
    assert len(spend) == 1, result.stderr
    assert "a single price?" in spend[0] and "purchases are" in spend[0]
    assert "amount_col" not in spend[0] and "--no-amount" not in spend[0]


def test_report_single_price_says_what_the_command_line_offers(logs, tmp_path):
    result = run_cli(
        "report", logs["flat"], "--calibration-end", CALIBRATION_END, "--drop-duplicates",
        "-o", tmp_path / "report.html",
    )  # fmt: skip
    line = _error_line(result)
    assert "a single price?" in line and "--amount-col 'amount'" in line
    assert "`clvmodel fit --no-amount`" in line and "`clvmodel evaluate`" in line
    assert "amount_col" not in line and "(--no-amount)" not in line
    assert "build_report" not in line and "rfm_summary" not in line


def test_report_without_an_amount_column_names_amount_col(logs, tmp_path):
    result = run_cli(
        "report", logs["no_amount"], "--calibration-end", CALIBRATION_END,
        "-o", tmp_path / "report.html",
    )  # fmt: skip
    line = _error_line(result)
    assert "no amount column 'amount' (--amount-col)" in line
    assert "--no-amount`" in line and "amount_col" not in line
    assert " ." not in line  # no option left dangling before the full stop


# ---------------------------------------------------------------------------------------------
# 4. An RFM file given to plan: the file, the column and the row as a reader counts them


def test_plan_names_the_file_column_and_row_of_a_missing_value(rfm_files, tmp_path):
    result = run_cli("plan", rfm_files["model"], rfm_files["missing"], "-o", tmp_path / "p.csv")
    line = _error_line(result)
    assert f"INPUT {rfm_files['missing']}" in line and "'recency'" in line
    assert "row(s) 4, counting from 1 under the header" in line
    assert "positions 3" not in line and "positions" not in line


def test_plan_gives_file_advice_for_recency_above_t(rfm_files, tmp_path):
    result = run_cli("plan", rfm_files["model"], rfm_files["late"], "-o", tmp_path / "p.csv")
    line = _error_line(result)
    assert "recency > T (row(s) 3, counting from 1 under the header)" in line
    assert "Fix the file" in line and "Recompute the summary" not in line
    assert "positions 2" not in line


# ---------------------------------------------------------------------------------------------
# 5. Empty tiers in plan: the options that cut them


def test_plan_empty_tiers_name_thresholds_and_quantiles(rfm_files, tmp_path):
    result = run_cli(
        "plan", rfm_files["model"], rfm_files["clean"], "-o", tmp_path / "p.csv",
        "--thresholds", "1%,2%",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    tiers = [line for line in _warnings(result) if "have no customers" in line]
    assert len(tiers) == 1, result.stderr
    assert "--thresholds or --quantiles" in tiers[0]
    assert "thresholds=" not in tiers[0] and "Check the thresholds" not in tiers[0]
