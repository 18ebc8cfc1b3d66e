"""The tests mirror the package (docs/development.md, "Layout"): a test file sits in the folder
of the subpackage it tests, or at the top for a top-level module or a theme documented there,
and is named after what it tests, never after how its tests came about."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).parent
PACKAGE = TESTS.parent / "clvmodel"
# Folders of tests that are not subpackages, each documented in docs/development.md.
CROSS_CUTTING = {"test_bad_input", "postgres"}
# Words that say how tests were found (a hunt, a review, leftovers of one), not what they test.
ORIGIN_WORDS = re.compile(r"(^|_)(hunt|review|leftovers?|findings?|fixes|followups?|misc)(_|$)")


def _test_files():
    return sorted(path.relative_to(TESTS) for path in TESTS.rglob("test_*.py"))


def test_test_folders_are_subpackages_or_documented_themes():
    subpackages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    folders = {path.parts[0] for path in _test_files() if len(path.parts) > 1}
    assert folders <= subpackages | CROSS_CUTTING, folders - subpackages - CROSS_CUTTING
    documented = (TESTS.parent / "docs" / "development.md").read_text(encoding="utf-8")
    assert all(f"tests/{folder}/" in documented for folder in CROSS_CUTTING)


def test_test_files_are_named_after_what_they_test():
    named_by_origin = [str(path) for path in _test_files() if ORIGIN_WORDS.search(path.stem)]
    assert named_by_origin == []


def test_test_file_names_are_unique():
    # No __init__.py in tests/: pytest imports each test module by its file name alone.
    names = [path.name for path in _test_files()]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
