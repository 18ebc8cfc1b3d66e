"""The walkthrough notebook runs top to bottom in a fresh kernel, as an analyst would run it.

CI executes ``notebooks/clv_walkthrough.ipynb`` with nbclient in the kernel named ``python3``, which
ipykernel provides from the environment running the tests (no ``ipykernel install`` needed), in an
empty working directory. Any failing cell fails the test; a missing nbclient, nbformat, ipykernel or
kernel fails it too, with a message that says what to install — nothing here is skipped.
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "clv_walkthrough.ipynb"
BUILDER = ROOT / "notebooks" / "build_walkthrough.py"
KERNEL = "python3"
CELL_TIMEOUT = 300  # seconds per cell
TOTAL_BUDGET = 240  # seconds for the whole notebook; it takes about 20 on a 2-core machine
MISSING = (
    "executing the walkthrough notebook needs nbclient, nbformat and ipykernel in the test "
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
    """The notebook after running every cell, its run time, and the working directory used."""
    nbformat = _nbformat()
    try:
        import ipykernel  # noqa: F401  (the kernel itself, started by nbclient)
        from jupyter_client.kernelspec import NoSuchKernel
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
    except ImportError as exc:
        pytest.fail(f"{MISSING} ({exc})", pytrace=False)

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    workdir = tmp_path_factory.mktemp("notebook_cwd")
    # The kernel's default matplotlib backend (inline) draws the figures into the outputs as an
    # analyst sees them; a headless MPLBACKEND=Agg set for the test run would hide them.
    env = {name: value for name, value in os.environ.items() if name != "MPLBACKEND"}
    client = NotebookClient(notebook, kernel_name=KERNEL, timeout=CELL_TIMEOUT)
    started = time.perf_counter()
    try:
        with pytest.MonkeyPatch.context() as patch:
            # The kernel's connection file goes to a temporary folder, not ~/.local/share/jupyter.
            patch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path_factory.mktemp("jupyter_runtime")))
            client.execute(cwd=str(workdir), env=env)
    except NoSuchKernel as exc:
        pytest.fail(
            f"no Jupyter kernel named {KERNEL!r} ({exc}); it comes with ipykernel: "
            "pip install ipykernel (part of the dev extra) in the environment running the tests.",
            pytrace=False,
        )
    except CellExecutionError as exc:
        failed = tmp_path_factory.getbasetemp() / "clv_walkthrough.failed.ipynb"
        nbformat.write(notebook, failed)
        pytest.fail(f"a notebook cell failed (executed notebook: {failed}):\n{exc}", pytrace=False)
    elapsed = time.perf_counter() - started
    return notebook, elapsed, workdir


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
    text = "\n".join(
        output.get("text", "") + output.get("data", {}).get("text/plain", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    # The published CDNOW fit, the batch job's accounting line, and the Day One check.
    assert "Log-likelihood -9582.43" in text
    assert "customers: 2,357 read = 2,357 scored + 0 rejected" in text
    assert "covariate model" in text and "no-covariate baseline" in text


def test_nothing_is_left_in_the_working_directory(executed):
    _, _, workdir = executed
    assert list(Path(workdir).iterdir()) == []


def test_committed_notebook_has_no_outputs_and_matches_its_builder():
    nbformat = _nbformat()
    committed = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(committed)
    assert committed.metadata["kernelspec"]["name"] == KERNEL
    for cell in committed.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"cell {cell.id} has stored outputs; regenerate with "
                "python notebooks/build_walkthrough.py"
            )
    spec = importlib.util.spec_from_file_location("build_walkthrough", BUILDER)
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    built = builder.build()
    assert [(c.cell_type, c.id, c.source) for c in committed.cells] == [
        (c.cell_type, c.id, c.source) for c in built.cells
    ], "the notebook differs from notebooks/build_walkthrough.py; run that script to regenerate it"
