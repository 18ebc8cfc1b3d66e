"""The house rules of docs/development.md, checked on the source: data flows one way through the
layers, no module imports another module's private name, and modules stay small."""

from __future__ import annotations

import ast
import fnmatch
import functools
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "clvmodel"

# In flow order; a module may import from its own layer and the layers before it.
LAYERS = [
    ("foundation", ["_units", "errors", "_version", "_files", "_grouping", "_random", "_caller"]),
    ("reading", ["_reading", "_reading_*"]),
    (
        "data",
        ["rfm", "_rfm_common", "_rfm_read", "_rfm_rows", "_rfm_validate", "_holdout_split"]
        + ["_parquet_log", "subscriptions", "_subscription_table", "_subscription_screen"]
        + ["_subscription_dates", "_table_ids", "datasets", "simulate", "opportunities"]
        + ["_simulate_covariates"],
    ),
    ("models", ["models", "models.*"]),
    ("value", ["value", "_value*", "_naive*", "scoring", "economics", "_unit_flows"]),
    (
        "analysis",
        ["evaluation", "evaluation.*", "holdout", "coverage", "_coverage_target", "compare"]
        + ["_correlation"]
        + ["metrics", "churn", "churn.*", "dayone", "dayone.*", "subscription_value"]
        + ["_subscription_naive", "subscription_churn", "loading"],
    ),
    (
        "io",
        [
            "io",
            "engine",
            "_duck",
            "_column_advice",
            "_duck_log",
            "_rfm_sql",
            "_rfm_source",
            "_source_closing",
            "_postgres_*",
        ]
        + ["_subscription_stream"],
    ),
    ("edges", ["cli", "cli.*", "spark", "spark.*", "report", "report.*", "plotting", "plotting.*"]),
]

# Imports against the flow, each with its reason.
ALLOWED_UPWARD = {
    # rfm_from_file reads a CSV (or a Parquet file the fast route cannot take) with the I/O
    # layer's reader, imported inside the function.
    ("rfm", "io"),
}


# A comment giving the reason a function is long says so ("over 80 lines for its docstring").
REASON = re.compile(r"over 80|docstring|long", re.IGNORECASE)


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _layer(module: str) -> int | None:
    for index, (_, patterns) in enumerate(LAYERS):
        if any(fnmatch.fnmatch(module, pattern) for pattern in patterns):
            return index
    return None


@functools.cache
def _parsed(source: str) -> ast.Module:
    """The syntax tree of a module's source, parsed once for the tests that walk it (parsing the
    package is most of their time)."""
    return ast.parse(source)


@pytest.fixture(scope="module", autouse=True)
def _forget_the_trees():
    """Free the cached trees and import lists once this module's tests are done."""
    yield
    _parsed.cache_clear()
    _imports_in.cache_clear()


def _imports(path: Path):
    """(imported module, imported names, line) for every ``clvmodel`` import, at any depth."""
    return _imports_in(path.read_text(encoding="utf-8"))


@functools.cache
def _imports_in(source: str) -> tuple:
    """The imports of one module's source, found once for the tests that check them (walking
    every node of the package's trees costs as much as a test)."""
    found = []
    for node in ast.walk(_parsed(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("clvmodel"):
            module = node.module.removeprefix("clvmodel").removeprefix(".")
            names = tuple(alias.name for alias in node.names)
            if module:
                found.append((module, names, node.lineno))
            else:  # from clvmodel import _reading: modules, not names
                found.extend((name, (), node.lineno) for name in names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("clvmodel."):
                    found.append((alias.name.removeprefix("clvmodel."), (), node.lineno))
    return tuple(found)


def test_every_module_has_a_layer():
    unplaced = [name for name, _ in _modules() if name and _layer(name) is None]
    assert not unplaced, f"place these modules in a layer of LAYERS: {unplaced}"


def test_data_flows_one_way():
    against = []
    for name, path in _modules():
        if not name:  # the package root is the facade over every layer
            continue
        own = _layer(name)
        for module, _, line in _imports(path):
            target = _layer(module)
            if target is None:
                target = _layer(module.split(".")[0])
            if target is not None and target > own and (name, module) not in ALLOWED_UPWARD:
                against.append(
                    f"{name} ({LAYERS[own][0]}) imports {module} ({LAYERS[target][0]}), line {line}"
                )
    assert not against, "\n".join(against)


def _subpackage(module: str, is_package: bool) -> str:
    return module if is_package else module.rpartition(".")[0]


def test_no_private_name_crosses_a_package():
    """Private names stay inside their subpackage (``clvmodel.churn``, ``clvmodel.cli``, ...);
    what the top-level modules share lives in internal modules under public names."""
    modules = dict(_modules())
    packages = {name for name, path in modules.items() if path.name == "__init__.py"}
    private = []
    for name, path in modules.items():
        home = _subpackage(name, name in packages)
        for module, names, line in _imports(path):
            for imported in names:
                if not imported.startswith("_") or imported.startswith("__"):
                    continue
                if f"{module}.{imported}" in modules:  # a module, not a name
                    continue
                target_home = _subpackage(module, module in packages)
                if home and home == target_home:
                    continue
                private.append(f"{name} line {line}: from {module} import {imported}")
    assert not private, "\n".join(private)


@pytest.mark.parametrize("limit", [400])
def test_modules_stay_small(limit):
    large = {
        name: length
        for name, path in _modules()
        if (length := len(path.read_text(encoding="utf-8").splitlines())) > limit
    }
    assert not large, f"split these modules by job (over {limit} lines): {large}"


def test_long_functions_say_why():
    """A function over 80 lines carries a comment saying why (above it or in its body)."""
    silent = []
    for name, path in _modules():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        joined = "\n".join(lines)
        # The file's own text when it is these lines ending in a newline (the same tree).
        for node in ast.walk(_parsed(text if joined + "\n" == text else joined)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.end_lineno - node.lineno + 1 <= 80:
                    continue
                start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                span = lines[start - 2 : node.end_lineno]
                if not any(line.strip().startswith("#") and REASON.search(line) for line in span):
                    silent.append(f"{name}.{node.name} ({node.end_lineno - node.lineno + 1})")
    assert not silent, f"over 80 lines with no comment giving the reason: {silent}"


def test_the_package_shows_its_public_names():
    """``dir(clvmodel)`` (what tab completion offers) is the public API, each name loads, and
    the module's own helpers (``importlib``, ``TYPE_CHECKING``) stay out of sight."""
    import clvmodel

    assert dir(clvmodel) == sorted(clvmodel.__all__)
    assert {"importlib", "TYPE_CHECKING", "annotations"}.isdisjoint(dir(clvmodel))
    for name in clvmodel.__all__:
        assert getattr(clvmodel, name) is not None, name
