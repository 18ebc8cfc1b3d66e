"""The subscriptions notebook runs top to bottom in a fresh kernel: raw subscription rows → fit →
tiers → staged price plan.

As ``tests/test_notebook.py``: nbclient in the kernel ``python3`` from the test environment, an
empty working directory, and the committed notebook equal to its builder without outputs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from notebook_run import check_committed_notebook, execute_notebook, missing_message, output_text

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "subscriptions.ipynb"
BUILDER = ROOT / "notebooks" / "build_subscriptions.py"
MISSING = missing_message("the subscriptions notebook")


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    return execute_notebook(NOTEBOOK, tmp_path_factory, cell_timeout=120, missing=MISSING)


def test_runs_and_reaches_the_plan(executed):
    notebook, elapsed, workdir = executed
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert elapsed < 120
    text = output_text(notebook)
    # Raw rows: every row accepted or rejected; the three broken rows have their reasons.
    assert "3,503 rows = 3,500 accepted + 3 rejected" in text
    for reason in ("end date before start date", "missing customer id", "no start date"):
        assert reason in text
    # The fit recovers the simulated plan effect on β, ln(4/1.5) = 0.98, within 3 SE.
    row = re.search(r"beta:premium\s+(-?[\d.]+)\s+([\d.]+)", text)
    assert row is not None and abs(float(row[1]) - 0.981) < 3 * float(row[2])
    # The published cohort: naive MAE 7.12 vs sBG 2.88 (README, Fader & Hardie 2007 Table 1).
    assert "7.12" in text and "2.88" in text
    assert "P(cancel within the next 12 months | tenure)" in text
    assert "break-even churn" in text and "+8 %" in text
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs)
    assert list(Path(workdir).iterdir()) == []


def test_committed_notebook_has_no_outputs_and_matches_its_builder():
    check_committed_notebook(NOTEBOOK, BUILDER, MISSING)
