"""The suite's per-test time limit (pytest-timeout, ``timeout`` in ``pyproject.toml``) ends a test
that hangs, even one blocked in a C call, and names it.

A PostgreSQL lock left behind once made ``DROP TABLE`` wait for ever in a test's teardown: the run
stalled, silently, until CI's own limit. This runs the project's settings on a test that blocks
in a C call, with the limit lowered to one second.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_suite_has_a_limit_per_test(pytestconfig):
    assert 60 <= float(pytestconfig.getini("timeout")) <= 600
    assert pytestconfig.getini("timeout_method") == "thread"


def test_a_test_blocked_in_c_code_fails_at_the_limit_with_its_stack(tmp_path):
    hanging = tmp_path / "test_hanging.py"
    hanging.write_text(
        "import threading\n\n\n"
        "def test_waits_for_ever():\n"
        "    lock = threading.Lock()\n"
        "    lock.acquire()\n"
        "    lock.acquire()  # blocks in C\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir",
         str(tmp_path), "-p", "no:cacheprovider", "-n", "0", "-o", "timeout=1", str(hanging)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode != 0
    assert "Timeout" in run.stdout + run.stderr
    assert "test_waits_for_ever" in run.stdout + run.stderr  # the stack names the test
