"""The documentation site: it builds with warnings as errors, and its links lead somewhere.

The build takes about 7 CPU seconds (autosummary pages for the public API, the notebook rendered
without executing it) and runs in the test process; it is skipped where Sphinx is not installed
(``pip install -e '.[docs]'``).
The code of the guide runs in ``tests/test_guide_examples.py``, which also keeps the inventory of
where each code block runs.
"""

import re
import shlex
import shutil
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GUIDE_PAGES = sorted(p.name for p in (DOCS / "guide").glob("*.md"))
# The Markdown the site and GitHub show: the README (the site's front page includes it) and the
# pages under docs/ (not the build output or the generated copies).
MARKDOWN = [ROOT / "README.md", *sorted(DOCS.glob("*.md")), *sorted((DOCS / "guide").glob("*.md"))]


def _readme_build_command() -> list[str]:
    """The ``sphinx-build`` line of the README's Documentation section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Documentation") :]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    (line,) = [ln for ln in block.splitlines() if ln.startswith("sphinx-build ")]
    return shlex.split(line)


def test_docs_build_with_warnings_as_errors(tmp_path, capsys, monkeypatch):
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    pytest.importorskip("myst_nb")
    pytest.importorskip("pydata_sphinx_theme")
    # autosummary writes its stub pages into the source tree: build from a copy of it (with the
    # notebook the walkthrough page renders).
    source = tmp_path / "docs"
    ignore = shutil.ignore_patterns("_build", "_notebooks", "generated", "other.rst")
    shutil.copytree(DOCS, source, ignore=ignore)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")  # index.md includes it
    # The README's command, with the copy as source and the output in tmp_path.
    command = _readme_build_command()
    assert command[1:] == ["-W", "--keep-going", "-b", "html", "docs", "docs/_build/html"]
    html = tmp_path / "html"
    paths = {"docs": str(source), "docs/_build/html": str(html)}
    args = [paths.get(a, a) for a in command[1:]]
    # In this process (clvmodel and its dependencies are imported already), as `sphinx-build -q`
    # would run: a fresh interpreter's warning filters (which hide the extensions' notices of
    # Sphinx API deprecations), and docs/conf.py's sys.path entry dropped afterwards.
    from sphinx.cmd.build import build_main

    capsys.readouterr()
    with monkeypatch.context() as patch, warnings.catch_warnings():
        warnings.resetwarnings()
        for category in (
            DeprecationWarning,
            PendingDeprecationWarning,
            ImportWarning,
            ResourceWarning,
        ):
            warnings.filterwarnings("ignore", category=category)
        patch.setattr(sys, "path", list(sys.path))
        # The session's objects are set aside from the cyclic collector (tests/conftest.py), so
        # the build's collections walk only its own, as in a fresh sphinx-build process.
        returncode = build_main(["-q", *args])
    assert returncode == 0, capsys.readouterr().err[-4000:]
    assert (html / "api" / "generated" / "clvmodel.BetaGeoModel.html").exists()
    assert (html / "_notebooks" / "clv_walkthrough.html").exists()
    for page in GUIDE_PAGES:
        assert (html / "guide" / page.replace(".md", ".html")).exists()

    # The front page is the README (included), the development page its build command.
    def text(page: str) -> str:
        return re.sub(r"<[^>]+>", "", (html / page).read_text(encoding="utf-8"))

    assert "pip install . && clvmodel demo" in text("index.html").replace("&amp;", "&")
    assert "sphinx-build -W --keep-going" in text("development.html")
    # Every public name has its page (docs/conf.py puts names that api/index.rst does not list yet
    # on an "Other" page).
    import clvmodel as clv
    import clvmodel.spark as clvs

    modules = {"datasets", "economics", "subscriptions"}
    names = [f"clvmodel.{n}" for n in clv.__all__ if n not in modules]
    names += [f"clvmodel.spark.{n}" for n in clvs.__all__]
    generated = html / "api" / "generated"
    assert [n for n in names if not (generated / f"{n}.html").exists()] == []


def test_every_guide_page_is_in_the_table_of_contents():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    assert [p for p in GUIDE_PAGES if f"guide/{p[:-3]}\n" not in index] == []


def _slug(heading: str) -> str:
    """The anchor GitHub and MyST (``myst_heading_anchors``) give a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {_slug(h) for h in re.findall(r"^#{1,6}\s+(.*)$", text, re.M)}


def test_every_relative_link_leads_to_a_file_and_heading():
    broken = []
    for path in MARKDOWN:
        text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            file, _, anchor = target.partition("#")
            resolved = (path.parent / file).resolve() if file else path
            where = f"{path.relative_to(ROOT)}: {target}"
            if not resolved.exists():
                broken.append(f"{where} (no such file)")
            elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                broken.append(f"{where} (no such heading)")
    assert broken == []
