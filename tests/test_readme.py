"""The README is a front page: its quick start is what CI runs, its quick tour runs as written,
and it stays short (the rest lives in docs/guide/, whose code runs in tests/test_guide_examples.py).
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _quick_start_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    heading = re.search(r"^#+\s*quick\s*-?start.*$", text, re.I | re.M)
    assert heading, "README has no Quick start heading"
    block = re.search(r"```bash\n(.*?)```", text[heading.end() :], re.S)
    assert block, "Quick start has no bash block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_has_two_commands_run_and_test():
    commands = _quick_start_commands()
    assert len(commands) == 2
    assert "clvmodel demo" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_exactly_the_readme_test_command():
    test_command = _quick_start_commands()[1]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_quick_tour_runs_as_written(tmp_path, monkeypatch):
    """Every command of the README's quick tour succeeds and writes what it says.

    The block runs as the guide's shell blocks do (tests/test_guide_examples.py): its ``clvmodel``
    and ``python -c`` commands in this process, anything else through bash.
    """
    from test_guide_examples import run_shell_block

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    heading = re.search(r"^###\s*Quick tour\s*$", text, re.M)
    assert heading, "README has no Quick tour"
    block = re.search(r"```bash\n(.*?)```", text[heading.end() :], re.S).group(1)
    monkeypatch.chdir(tmp_path)
    run_shell_block(block, "README.md, Quick tour")
    for written in ("models.json", "scores.parquet", "report.html", "holdout_evaluation"):
        assert (tmp_path / written).exists(), written
    import pyarrow.parquet as pq

    columns = pq.read_schema(tmp_path / "scores.parquet").names
    assert {"purchases_lower", "purchases_upper", "clv_lower", "clv_upper"} <= set(columns)


def test_readme_is_a_front_page():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move the detail to docs/guide/"


def test_what_demo_prints_is_what_it_prints():
    """Every line of the README's "What `clvmodel demo` prints" block (but the "..." of the
    abridgement) is a line of the demo's output, in order."""
    from cli_run import run_cli

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("What `clvmodel demo` prints")
    block = re.search(r"```\n(.*?)```", text[start:], re.S).group(1)
    quoted = [line for line in block.splitlines() if line.strip() and line.strip() != "..."]
    result = run_cli("demo")
    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()
    positions = [printed.index(line) if line in printed else -1 for line in quoted]
    assert -1 not in positions, [line for line in quoted if line not in printed]
    assert positions == sorted(positions)
