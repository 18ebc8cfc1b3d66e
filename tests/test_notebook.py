"""The walkthrough notebook runs top to bottom in a fresh kernel, as an analyst would run it.

CI executes ``notebooks/clv_walkthrough.ipynb`` with nbclient in the kernel named ``python3``, which
ipykernel provides from the environment running the tests (no ``ipykernel install`` needed), in an
empty working directory. Any failing cell fails the test; a missing nbclient, nbformat, ipykernel or
kernel fails it too, with a message that says what to install — nothing here is skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from notebook_run import check_committed_notebook, execute_notebook, missing_message, output_text

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "clv_walkthrough.ipynb"
BUILDER = ROOT / "notebooks" / "build_walkthrough.py"
CELL_TIMEOUT = 300  # seconds per cell
TOTAL_BUDGET = 240  # seconds for the whole notebook; it takes about 20 on a 2-core machine
MISSING = missing_message("the walkthrough notebook")


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook after running every cell, its run time, and the working directory used."""
    return execute_notebook(NOTEBOOK, tmp_path_factory, cell_timeout=CELL_TIMEOUT, missing=MISSING)


def test_every_cell_runs_without_error(executed):
    notebook, elapsed, _ = executed
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "the notebook has no code cells"
    unrun = [cell.id for cell in code if cell.execution_count is None]
    assert not unrun, f"cells not executed: {unrun}"
    errors = [
        (cell.id, output.get("ename"))
        for cell in code
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors, f"cells with errors: {errors}"
    assert elapsed < TOTAL_BUDGET, (
        f"the notebook took {elapsed:.0f} s; keep it well under {TOTAL_BUDGET} s"
    )


def test_figures_and_results_are_shown(executed):
    notebook, _, _ = executed
    images = [
        cell.id
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    # heat maps, tracking + conditional expectations, CLV vs naive, churn tiers, risk vs value
    assert len(images) >= 5, f"expected at least 5 figures, got {len(images)} (in {images})"
    # Every cell that calls a plot function shows its figure, with ax= or without (a plot
    # without ax= drew outside pyplot and Jupyter showed nothing: the model comparison).
    plotting = [
        cell.id
        for cell in notebook.cells
        if cell.cell_type == "code" and re.search(r"^\s*(\w+ = )?plot_\w+\(", cell.source, re.M)
    ]
    assert plotting and set(plotting) <= set(images), set(plotting) - set(images)
    text = output_text(notebook)
    # The published CDNOW fit, the batch job's accounting line, and the Day One check.
    assert "Log-likelihood -9582.43" in text
    assert "customers: 2,357 read = 2,357 scored + 0 rejected" in text
    assert "covariate model" in text and "no-covariate baseline" in text


def test_nothing_is_left_in_the_working_directory(executed):
    _, _, workdir = executed
    assert list(Path(workdir).iterdir()) == []


def test_committed_notebook_has_no_outputs_and_matches_its_builder():
    check_committed_notebook(NOTEBOOK, BUILDER, MISSING)
