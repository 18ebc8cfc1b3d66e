"""Running a notebook of ``notebooks/`` in a fresh kernel, and checking it against its builder.

Shared by ``tests/test_notebook.py`` (the walkthrough) and ``tests/test_notebook_subscriptions.py``:
nbclient runs the notebook in the kernel named ``python3``, which ipykernel provides from the
environment running the tests (no ``ipykernel install`` needed), in an empty working directory. A
missing nbclient, nbformat, ipykernel or kernel fails the test with a message that says what to
install — nothing is skipped.
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import pytest

KERNEL = "python3"


def missing_message(what: str) -> str:
    """What to install to run ``what`` (e.g. "the walkthrough notebook")."""
    return (
        f"executing {what} needs nbclient, nbformat and ipykernel in the test environment; "
        "install the dev extra: pip install -e '.[dev]'"
    )


def import_nbformat(missing: str):
    """The nbformat module, or a test failure that says what to install."""
    try:
        import nbformat
    except ImportError as exc:
        pytest.fail(f"{missing} ({exc})", pytrace=False)
    return nbformat


def execute_notebook(path: Path, tmp_path_factory, *, cell_timeout: float, missing: str):
    """Run every cell of the notebook at ``path``; return it, its run time and the working folder.

    A failing cell fails the test and leaves the executed notebook beside pytest's temporary
    folders as ``<name>.failed.ipynb``.
    """
    nbformat = import_nbformat(missing)
    try:
        import ipykernel  # noqa: F401  (the kernel itself, started by nbclient)
        from jupyter_client.kernelspec import NoSuchKernel
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
    except ImportError as exc:
        pytest.fail(f"{missing} ({exc})", pytrace=False)

    notebook = nbformat.read(path, as_version=4)
    workdir = tmp_path_factory.mktemp(f"{path.stem}_cwd")
    # The kernel's default matplotlib backend (inline) draws the figures into the outputs as an
    # analyst sees them; a headless MPLBACKEND=Agg set for the test run would hide them.
    env = {name: value for name, value in os.environ.items() if name != "MPLBACKEND"}
    client = NotebookClient(notebook, kernel_name=KERNEL, timeout=cell_timeout)
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
        failed = tmp_path_factory.getbasetemp() / f"{path.stem}.failed.ipynb"
        nbformat.write(notebook, failed)
        pytest.fail(f"a notebook cell failed (executed notebook: {failed}):\n{exc}", pytrace=False)
    return notebook, time.perf_counter() - started, workdir


def output_text(notebook) -> str:
    """The text of every output of the notebook's code cells, one string."""
    return "\n".join(
        output.get("text", "") + output.get("data", {}).get("text/plain", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def check_committed_notebook(path: Path, builder: Path, missing: str) -> None:
    """The committed notebook is valid, has no outputs and equals what ``builder`` builds."""
    nbformat = import_nbformat(missing)
    committed = nbformat.read(path, as_version=4)
    nbformat.validate(committed)
    assert committed.metadata["kernelspec"]["name"] == KERNEL
    regenerate = f"python notebooks/{builder.name}"
    for cell in committed.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"cell {cell.id} has stored outputs; regenerate with {regenerate}"
            )
    # The builders import their shared helpers from their own folder, as when run as scripts.
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(builder.parent))
        spec = importlib.util.spec_from_file_location(builder.stem, builder)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        built = module.build()
    assert [(c.cell_type, c.id, c.source) for c in committed.cells] == [
        (c.cell_type, c.id, c.source) for c in built.cells
    ], f"the notebook differs from notebooks/{builder.name}; run {regenerate} to regenerate it"
