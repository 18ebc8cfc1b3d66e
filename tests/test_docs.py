"""The documentation site: it builds with warnings as errors, and its code runs as written.

The build takes about 20 CPU seconds (autosummary pages for the public API, the notebook rendered
without executing it); it is skipped where Sphinx is not installed (``pip install -e '.[docs]'``).
"""

import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDE_PAGES = sorted(p.name for p in (DOCS / "guide").glob("*.md"))


def _python_blocks(page: str) -> list[str]:
    text = (DOCS / "guide" / page).read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


def test_docs_build_with_warnings_as_errors(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    pytest.importorskip("myst_nb")
    pytest.importorskip("pydata_sphinx_theme")
    # autosummary writes its stub pages into the source tree: build from a copy of it (with the
    # notebook the walkthrough page renders).
    source = tmp_path / "docs"
    ignore = shutil.ignore_patterns("_build", "_notebooks", "generated", "other.rst")
    shutil.copytree(DOCS, source, ignore=ignore)
    shutil.copytree(DOCS.parent / "notebooks", tmp_path / "notebooks")
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q"]
    result = subprocess.run(
        [*command, str(source), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    html = tmp_path / "html"
    assert (html / "api" / "generated" / "clvmodel.BetaGeoModel.html").exists()
    assert (html / "_notebooks" / "clv_walkthrough.html").exists()
    for page in GUIDE_PAGES:
        assert (html / "guide" / page.replace(".md", ".html")).exists()
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


@pytest.mark.parametrize(
    "page",
    [pytest.param(p, marks=pytest.mark.spark) if p == "spark.md" else p for p in GUIDE_PAGES],
)
def test_guide_python_blocks_run(page, tmp_path, monkeypatch, request):
    blocks = _python_blocks(page)
    if not blocks:
        pytest.skip(f"{page} has no Python code")
    monkeypatch.chdir(tmp_path)
    if page == "spark.md":
        pytest.importorskip("pyspark")
        request.getfixturevalue("spark")  # the suite's session: the page's getOrCreate() reuses it
        import clvmodel as clv

        params = {"r": 0.5, "alpha": 30.0, "a": 0.8, "b": 2.5}  # per day
        tx = clv.simulate_transactions(1_000, params, {"p": 6.0, "q": 3.8, "v": 15.0}, seed=3)
        tx.to_parquet("transactions.parquet", coerce_timestamps="us")  # Spark reads no ns
        # Spark resolves relative paths against the JVM's directory: make them absolute.
        for name in ["transactions.parquet", "scores"]:
            blocks = [b.replace(f'"{name}"', repr(str(tmp_path / name))) for b in blocks]
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for number, block in enumerate(blocks, 1):
            exec(compile(block, f"docs/guide/{page} (block {number})", "exec"), namespace)
    import matplotlib.pyplot as plt

    plt.close("all")
