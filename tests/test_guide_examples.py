"""The user guide's code runs as written, each block in exactly one place.

Every Python block of ``docs/guide/*.md`` runs here, page by page in one namespace (a page's blocks
build on each other), except the pages whose code needs a service: ``spark.md`` runs in
``tests/spark/test_spark.py`` (a Spark session) and ``database.md`` in
``tests/postgres/test_postgres_guide.py`` (a PostgreSQL server). The shell blocks listed in
``COMMANDS`` run here too, in a folder holding the CDNOW sample as ``transactions.csv``: their
``clvmodel`` commands run in this process (:func:`run_shell_block`), as the console script would run
them; a block using shell syntax the runner does not reproduce runs through bash.
``test_every_code_block_runs_exactly_once`` keeps the inventory: a new Python or shell block in
the README or the docs fails it until it has a runner (or a reason in ``NOT_RUN``).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import warnings
from importlib.metadata import entry_points
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GUIDE = DOCS / "guide"
SHELL = {"bash", "sh", "shell", "console"}

# Pages whose Python blocks run elsewhere, with the test that runs them.
PYTHON_ELSEWHERE = {
    "spark.md": "tests/spark/test_spark.py::test_the_guide_spark_example_runs_as_written",
    "database.md": "tests/postgres/test_postgres_guide.py",
}
# Shell blocks run by test_guide_commands_run: (page, heading above the block).
COMMANDS = [
    ("holdout.md", "Checking the predictions on a holdout period"),
    ("price_plans.md", "From the command line"),
    ("report.md", "A report for marketers"),
    ("batch_cli.md", "Batch scoring from the command line"),
    ("day_one.md", "Command line"),
    ("subscriptions.md", "Subscriptions"),
]
# Shell blocks run by other tests: (file, heading) -> the test.
SHELL_ELSEWHERE = {
    ("README.md", "Quick start"): "CI (.ci/run) and ../shared/tools/fresh-check; "
    "tests/test_readme.py checks that CI runs the test command",
    ("README.md", "Quick tour"): "tests/test_readme.py::test_quick_tour_runs_as_written",
    ("README.md", "Documentation"): "tests/test_docs.py::test_docs_build_with_warnings_as_errors",
    ("docs/guide/database.md", "From a database"): "tests/postgres/test_postgres_guide.py",
}
# Shell blocks that no test runs, and why.
NOT_RUN = {
    ("docs/development.md", "Development"): "the full test suite and ruff: CI runs them",
    ("docs/guide/python.md", "Walkthrough notebook"): "Jupyter; tests/test_notebook.py executes "
    "the notebook itself",
    ("docs/guide/batch_cli.md", "Command line"): "a synopsis with placeholders",
}


def code_blocks(path: Path) -> list[tuple[str, str, str]]:
    """(heading above the block, language, code) of each fenced block of a Markdown file."""
    blocks, heading, lines = [], "", path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^(```+)\s*(\S*)", lines[i])
        if fence:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith(fence.group(1)))
            blocks.append((heading, fence.group(2), "\n".join(lines[i + 1 : end]) + "\n"))
            i = end + 1
            continue
        if lines[i].startswith("#"):
            heading = lines[i].lstrip("#").strip()
        i += 1
    return blocks


def _python_blocks(page: str) -> list[str]:
    return [code for _, lang, code in code_blocks(GUIDE / page) if lang == "python"]


PYTHON_PAGES = sorted(
    p.name for p in GUIDE.glob("*.md") if p.name not in PYTHON_ELSEWHERE and _python_blocks(p.name)
)


def _check_python(page: str, ns: dict) -> None:
    """What each page's prose quotes from its own code."""
    if page == "model_choice.md":
        assert ns["comparison"].table["model"].iloc[0] == "Pareto/NBD"
    elif page == "intervals.md":
        assert (ns["coverage"]["difference"].abs() <= 0.03).all()
    elif page == "subscriptions.md":
        assert ns["models"].table["holdout_mae"].round(2).tolist() == [2.56, 2.88]
        assert ns["naive"].errors["mae"].round(2).tolist() == [2.88, 7.12]
        assert ns["naive"].value["value"].round(2).tolist() == [374.29, 168.50, 205.27]
    elif page == "python.md":
        assert ns["bg"].params_["r"] > 0 and len(ns["table"]) == len(ns["rfm"])
    elif page == "day_one.md":
        assert len(ns["model"].predict(ns["new_signups"])) == 5
    elif page == "economics.md":
        check = ns["check"].round(2)
        assert check["actual_holdout"].tolist() == [19.16, 25.17, 55.97]
        assert check["naive_holdout"].tolist() == [41.31, 60.23, 148.10]
        assert check["model_holdout"].tolist() == [18.98, 22.13, 41.00]
    elif page == "holdout.md":
        assert round(ns["report"].metrics.loc[("purchases", "model"), "mae"], 3) == 0.785
    elif page == "price_plans.md":
        assert ns["plan"].stages["customers"].tolist() == [305, 425, 1627]


@pytest.mark.parametrize("page", PYTHON_PAGES)
def test_guide_python_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for number, block in enumerate(_python_blocks(page), 1):
            exec(compile(block, f"docs/guide/{page} (block {number})", "exec"), namespace)
    _check_python(page, namespace)
    import matplotlib.pyplot as plt

    plt.close("all")


def _command_block(page: str, heading: str) -> str:
    found = [c for h, lang, c in code_blocks(GUIDE / page) if h == heading and lang in SHELL]
    assert len(found) == 1, (page, heading, len(found))
    return found[0]


def _subscription_table(path: Path) -> None:
    import pandas as pd

    import clvmodel as clv
    from clvmodel.subscriptions import simulate_subscription_table

    groups = []
    for seed, (plan, beta, n, price) in enumerate(
        [("basic", 1.5, 600, 9.99), ("premium", 4.0, 400, 19.99)]
    ):
        model = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": beta})
        table = simulate_subscription_table(model, n, "2022-01-01", "2024-12-31", random_state=seed)
        table["customer_id"] = plan[0] + table["customer_id"].astype(str)
        groups.append(table.drop(columns="lifetime").assign(plan=plan, price=price))
    table = pd.concat(groups, ignore_index=True)
    for column in ("start", "end"):
        table[column] = table[column].dt.strftime("%Y-%m-%d")
    table.to_csv(path, index=False)


# Shell syntax run_shell_block reproduces: words, quotes, comments, `\` line continuations, and
# commands one per line or joined by `&&` (under `set -e` both stop at the first failure).
# Anything else in a command word (operators, expansions) leaves the block to bash.
_SHELL_OPERATORS = set(";|&<>()")
_SHELL_EXPANSIONS = set("$`*?[]{}~!")


def _shell_commands(block: str) -> list[list[str]] | None:
    """The commands of a shell block as argument lists, or None when the block needs bash."""
    commands: list[list[str]] = []
    for line in block.replace("\\\n", " ").splitlines():
        try:
            words, plain = shlex.split(line, comments=True), shlex.split(line)
        except ValueError:  # an unbalanced quote, perhaps inside a comment: leave it to bash
            return None
        rest = plain[len(words) :]
        if plain[: len(words)] != words or (rest and not rest[0].startswith("#")):
            return None  # a `#` inside a word, which shlex reads as a comment and bash does not
        while words:
            command = words[: words.index("&&")] if "&&" in words else words
            words = words[len(command) + 1 :] if len(command) < len(words) else []
            if command == [] or (not words and line.rstrip().endswith("&&")):
                return None
            if command[0] == "python" and len(command) == 3 and command[1] == "-c":
                if set(command[2]) & set("$`"):
                    return None
            elif command[0] != "clvmodel" or any(
                set(word) & (_SHELL_OPERATORS | _SHELL_EXPANSIONS) for word in command
            ):
                return None
            commands.append(command)
    return commands


def _check_console_script(env: dict) -> None:
    """The `clvmodel` a shell would find is this environment's script, which calls cli.main."""
    assert shutil.which("clvmodel", path=env["PATH"])
    (script,) = entry_points(group="console_scripts", name="clvmodel")
    assert script.value == "clvmodel.cli:main"


def run_shell_block(block: str, label: str) -> None:
    """Run a shell block of the docs, taken verbatim, in the working directory; fail on the first
    command that fails, with its stderr.

    ``clvmodel ...`` runs in this process through ``tests/cli_run.py`` (the console script's
    ``clvmodel.cli.main``, its exit code and its streams) and ``python -c CODE`` executes CODE as a
    fresh ``__main__``, which saves a Python start and its imports per command; a block with other
    programs or shell syntax runs as ``bash -euo pipefail -c BLOCK``.
    """
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    _check_console_script(env)
    commands = _shell_commands(block)
    if commands is None:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{label}:\n{done.stderr[-3000:]}"
        return
    from cli_run import run_cli

    for command in commands:
        if command[0] == "python":
            code = compile(command[2], f"{label}: python -c", "exec")
            try:
                with warnings.catch_warnings():
                    exec(code, {"__name__": "__main__"})
            except SystemExit as stop:  # sys.exit(): the exit status python would return
                assert stop.code in (0, None), f"{label}: python -c exited with {stop.code}"
            continue
        done = run_cli(*command[1:], env={"MPLBACKEND": "Agg"})
        assert done.returncode == 0, f"{label}: {shlex.join(command)}\n{done.stderr[-3000:]}"


def test_the_shell_block_runner_reads_what_it_reproduces():
    """Which blocks run in this process, and the argument lists it gives their commands."""
    block = (
        'clvmodel fit a.csv \\\n    -o "m 1.json"   # a comment\n'
        '\n# a line\nclvmodel x && python -c "print(1)"\n'
    )
    assert _shell_commands(block) == [
        ["clvmodel", "fit", "a.csv", "-o", "m 1.json"],
        ["clvmodel", "x"],
        ["python", "-c", "print(1)"],
    ]
    for needs_bash in (
        "clvmodel fit *.csv",
        "clvmodel fit a.csv | head",
        "clvmodel fit a.csv > out.txt",
        "clvmodel fit $LOG",
        "cd data && clvmodel fit a.csv",
        "OMP_NUM_THREADS=1 clvmodel fit a.csv",
        "clvmodel fit a.csv &&",
        "clvmodel fit a#b.csv",
        "clvmodel fit a.csv; clvmodel score",
        "python -c \"print('$HOME')\"",
        "python script.py",
    ):
        assert _shell_commands(needs_bash) is None, needs_bash


def test_a_block_the_runner_does_not_reproduce_runs_in_bash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_shell_block("printf 'a b' | wc -w > words.txt\n", "a pipe")
    assert (tmp_path / "words.txt").read_text().strip() == "2"
    with pytest.raises(AssertionError, match="a failing pipe"):
        run_shell_block("false | true\necho not reached > later.txt\n", "a failing pipe")
    assert not (tmp_path / "later.txt").exists()


@pytest.mark.parametrize("page, heading", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_guide_commands_run(page, heading, tmp_path, cdnow_sample, monkeypatch):
    cdnow_sample.to_csv(tmp_path / "transactions.csv", index=False)
    if page == "subscriptions.md":  # two plans of subscribers drawn from sBG
        _subscription_table(tmp_path / "subscriptions.csv")
    if page == "day_one.md":  # signup attributes, with a made-up channel, and new signups
        import numpy as np

        from clvmodel.dayone import first_purchase_attributes

        attributes = first_purchase_attributes(cdnow_sample, quantity_col="quantity")
        rng = np.random.default_rng(9)
        attributes["channel"] = rng.choice(["web", "email", "store"], size=len(attributes))
        attributes.reset_index().to_csv(tmp_path / "attributes.csv", index=False)
        signups = attributes.iloc[:40].drop(columns=["signup_date", "signup_week"])
        signups.index = [f"new{i}" for i in range(len(signups))]
        signups.rename_axis("customer_id").reset_index().to_csv(
            tmp_path / "signups.csv", index=False
        )
    monkeypatch.chdir(tmp_path)
    run_shell_block(_command_block(page, heading), f"docs/guide/{page}")
    written = {
        "holdout.md": "evaluation/holdout_report.json",
        "price_plans.md": "plan.csv",
        "report.md": "report.html",
        "batch_cli.md": "scores.parquet",
        "day_one.md": "day_one.parquet",
        "subscriptions.md": "plan.csv",
    }[page]
    assert (tmp_path / written).is_file(), written


def test_every_code_block_runs_exactly_once():
    """Each Python or shell block of the README and the docs has one runner, no block two."""
    files = [ROOT / "README.md", *sorted(DOCS.glob("*.md")), *sorted(GUIDE.glob("*.md"))]
    runners: dict[str, list[str]] = {}
    for path in files:
        name = path.relative_to(ROOT).as_posix()
        for number, (heading, lang, _) in enumerate(code_blocks(path), 1):
            if lang not in SHELL | {"python"}:
                continue  # output, a synopsis in plain text, an include directive
            where, key = [], (name, heading)
            page = path.name if path.parent == GUIDE else None
            if lang == "python":
                if page in PYTHON_PAGES:
                    where.append("test_guide_python_blocks_run")
                if page in PYTHON_ELSEWHERE:
                    where.append(PYTHON_ELSEWHERE[page])
            else:
                if page and (page, heading) in COMMANDS:
                    where.append("test_guide_commands_run")
                for table in (SHELL_ELSEWHERE, NOT_RUN):
                    if key in table:
                        where.append(table[key])
            runners[f"{name} block {number} ({lang}, under {heading!r})"] = where
    assert {block: where for block, where in runners.items() if len(where) != 1} == {}
    # Each page run elsewhere has the one Python block its test runs.
    for page in PYTHON_ELSEWHERE:
        assert len(_python_blocks(page)) == 1, page
    # Every entry of the tables above still names a block.
    listed = {(f"docs/guide/{p}", h) for p, h in COMMANDS} | set(SHELL_ELSEWHERE) | set(NOT_RUN)
    present = set()
    for path in files:
        name = path.relative_to(ROOT).as_posix()
        present |= {(name, h) for h, lang, _ in code_blocks(path) if lang in SHELL}
    assert listed - present == set()
