"""What the notebook builders of this folder share: cells in, a notebook out, and the script's
command line (``python notebooks/build_X.py [OUT.ipynb]``)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def notebook_from_cells(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook of ``(kind, source)`` cells ("md" or "code"), without outputs, with stable ids.

    The kernel is ``python3``, which ipykernel provides from the environment running it.
    """
    notebook = new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    for number, (kind, source) in enumerate(cells):
        if kind == "md":
            cell = new_markdown_cell(source)
        elif kind == "code":
            cell = new_code_cell(source)
        else:
            raise ValueError(f"cell {number}: unknown kind {kind!r}; use 'md' or 'code'")
        cell["id"] = f"cell-{number:02d}"
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook


def write_notebook(notebook: nbformat.NotebookNode, argv: list[str], default: Path) -> None:
    """Write ``notebook`` to the path given on the command line, or to ``default``."""
    target = Path(argv[1]) if len(argv) > 1 else default
    nbformat.write(notebook, target)
    print(target)
