"""The report on the CDNOW sample, built once per run through ``clvmodel report``."""

from __future__ import annotations

import pandas as pd
import pytest
from cli_run import run_cli
from report_parsing import CAC, CALIBRATION_END, parse_report

import clvmodel as clv


@pytest.fixture(scope="session")
def report_inputs(tmp_path_factory):
    """The CDNOW sample as a CSV with each customer's first order size as the segment column
    (CDNOW has no acquisition channel), and a CAC file with one cost per segment."""
    folder = tmp_path_factory.mktemp("report_inputs")
    tx = clv.datasets.load_cdnow_sample()
    first = clv.dayone.first_purchase_attributes(tx, quantity_col="quantity")
    size = pd.cut(first["first_purchase_quantity"], [0, 1, 2, 99], labels=list(CAC))
    tx["first_order"] = tx["customer_id"].map(size.astype(str))
    log = folder / "transactions.csv"
    tx.to_csv(log, index=False)
    cac = folder / "cac.csv"
    pd.DataFrame({"first_order": list(CAC), "cac": list(CAC.values())}).to_csv(cac, index=False)
    return log, cac


@pytest.fixture(scope="session")
def cdnow_report(report_inputs, tmp_path_factory):
    """``clvmodel report`` on the CDNOW sample: the HTML file's path, its text and its parse."""
    log, cac = report_inputs
    target = tmp_path_factory.mktemp("report") / "report.html"
    result = run_cli(
        "report", log, "--calibration-end", CALIBRATION_END,
        "--segment-column", "first_order", "--cac-file", cac,
        "--margin", "0.3", "--cost-per-order", "1.5", "--cost-per-period", "0.1",
        "-o", target,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    return target, html, parse_report(html)
