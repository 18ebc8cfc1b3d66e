"""The subscriptions notebook runs top to bottom in a fresh kernel: raw subscription rows → fit →
tiers → staged price plan.

As ``tests/test_notebook.py``: nbclient in the kernel ``python3`` from the test environment, an
empty working directory, and the committed notebook equal to its builder without outputs.
"""

from __future__ import annotations

import importlib.util
import os
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "subscriptions.ipynb"
BUILDER = ROOT / "notebooks" / "build_subscriptions.py"
KERNEL = "python3"
MISSING = (
    "executing the subscriptions notebook needs nbclient, nbformat and ipykernel in the test "
    "environment; install the dev extra: pip install -e '.[dev]'"
)


def _nbformat():
    try:
        import nbformat
    except ImportError as exc:
        pytest.fail(f"{MISSING} ({exc})", pytrace=False)
    return nbformat


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nbformat = _nbformat()
    try:
        import ipykernel  # noqa: F401
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
    except ImportError as exc:
        pytest.fail(f"{MISSING} ({exc})", pytrace=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    workdir = tmp_path_factory.mktemp("subscriptions_notebook_cwd")
    env = {name: value for name, value in os.environ.items() if name != "MPLBACKEND"}
    client = NotebookClient(notebook, kernel_name=KERNEL, timeout=120)
    started = time.perf_counter()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path_factory.mktemp("jupyter_runtime")))
            client.execute(cwd=str(workdir), env=env)
    except CellExecutionError as exc:
        failed = tmp_path_factory.getbasetemp() / "subscriptions.failed.ipynb"
        nbformat.write(notebook, failed)
        pytest.fail(f"a notebook cell failed (executed notebook: {failed}):\n{exc}", pytrace=False)
    return notebook, time.perf_counter() - started, workdir


def _text(notebook) -> str:
    return "\n".join(
        output.get("text", "") + output.get("data", {}).get("text/plain", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def test_runs_and_reaches_the_plan(executed):
    notebook, elapsed, workdir = executed
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert elapsed < 120
    text = _text(notebook)
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
    nbformat = _nbformat()
    committed = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(committed)
    assert committed.metadata["kernelspec"]["name"] == KERNEL
    for cell in committed.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id
    spec = importlib.util.spec_from_file_location("build_subscriptions", BUILDER)
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    built = builder.build()
    assert [(c.cell_type, c.id, c.source) for c in committed.cells] == [
        (c.cell_type, c.id, c.source) for c in built.cells
    ], "the notebook differs from notebooks/build_subscriptions.py; run it to regenerate"
