"""The README's quick start is what CI runs."""

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
