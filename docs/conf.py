"""Sphinx configuration of the clvmodel documentation.

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html`` (``tests/test_docs.py``
runs the same). The API reference is generated from the docstrings (autosummary + numpydoc); the
walkthrough notebook is rendered as stored, without executing it (myst-nb, execution off).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import clvmodel  # noqa: E402

project = "clvmodel"
author = "the clvmodel authors"
copyright = "the clvmodel authors"  # noqa: A001 (Sphinx's name)
release = version = clvmodel.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",  # Markdown pages (it includes myst-parser) and the rendered notebook
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "figures", "**.ipynb_checkpoints"]
templates_path = ["_templates"]

# The API reference: one page per public name, from the docstrings.
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"  # the numpydoc sections state the types
numpydoc_show_class_members = False  # the class template lists the members
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Markdown (MyST) and the notebook: render, never execute.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

html_theme = "pydata_sphinx_theme"
html_title = f"clvmodel {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
html_static_path: list[str] = []

# The walkthrough notebook lives in notebooks/; render a copy of it (not executed, outputs as
# stored).
_NOTEBOOK = ROOT / "notebooks" / "clv_walkthrough.ipynb"
_RENDERED = DOCS / "_notebooks" / "clv_walkthrough.ipynb"
_RENDERED.parent.mkdir(exist_ok=True)
if not _RENDERED.exists() or _RENDERED.read_bytes() != _NOTEBOOK.read_bytes():
    shutil.copyfile(_NOTEBOOK, _RENDERED)


def _listed_names(text: str) -> set[str]:
    return set(re.findall(r"^\s+clvmodel\.([A-Za-z_][\w.]*)\s*$", text, re.M))


# A public name of ``clvmodel.__all__`` that no section of api/index.rst lists yet still gets a
# page: api/other.rst lists it (written here, before autosummary makes the stubs).
_MODULES = {"datasets", "economics", "subscriptions"}
_UNLISTED = sorted(
    set(clvmodel.__all__)
    - _MODULES
    - _listed_names((DOCS / "api" / "index.rst").read_text(encoding="utf-8"))
)
_OTHER = DOCS / "api" / "other.rst"
if _UNLISTED:
    _OTHER.write_text(
        "Other\n=====\n\nPublic names not yet sorted into a section.\n\n"
        ".. autosummary::\n   :toctree: generated\n\n"
        + "".join(f"   clvmodel.{name}\n" for name in _UNLISTED),
        encoding="utf-8",
    )
elif _OTHER.exists():
    _OTHER.unlink()


def _link_other(app, docname, source):
    if docname == "api/index" and _UNLISTED:
        source[0] += "\n.. toctree::\n   :hidden:\n\n   other\n"


def _compile_numpydoc_template_once() -> None:
    """Let numpydoc compile its docstring template once per build instead of once per docstring.

    ``numpydoc.docscrape_sphinx.get_doc_object`` makes a new Jinja environment for every
    docstring, so the template is parsed and compiled about 760 times, an eighth of the build's
    CPU time; the compiled template is the same every time (same loader, same template paths
    within a build), so the first one is reused. The HTML written is byte-identical.
    """
    try:
        from numpydoc import docscrape_sphinx
    except ImportError:
        return
    plain = getattr(docscrape_sphinx.SandboxedEnvironment, "plain_environment", None)
    plain = plain or docscrape_sphinx.SandboxedEnvironment
    compiled = {}  # fresh for each build: this file runs once per build

    class _CompileOnceEnvironment(plain):
        plain_environment = plain

        def get_template(self, name, parent=None, globals=None):
            if globals is not None:  # numpydoc passes none; a template with its own globals
                return super().get_template(name, parent, globals)
            if (name, parent) not in compiled:
                compiled[name, parent] = super().get_template(name, parent)
            return compiled[name, parent]

    docscrape_sphinx.SandboxedEnvironment = _CompileOnceEnvironment


_compile_numpydoc_template_once()


def setup(app):
    app.connect("source-read", _link_other)
