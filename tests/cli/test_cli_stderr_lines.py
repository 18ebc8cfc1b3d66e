"""What the command line writes to stderr besides its errors: a reader that closes the pipe early
(`clvmodel ... | head`) ends the command as a SIGPIPE would, without an "error: Broken pipe" line
that reads like a failure of the command; a warning repeated within one command is one line."""

from __future__ import annotations

import subprocess
import sys


def test_a_closed_stdout_ends_the_command_without_an_error_line(tmp_path):
    output = tmp_path / "log.csv"
    process = subprocess.Popen(
        [sys.executable, "-m", "clvmodel.cli", "simulate", "--customers", "5", "--seed", "1",
         "-o", str(output)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    process.stdout.close()  # the reader is gone before the command says anything
    stderr = process.stderr.read().decode()
    returncode = process.wait(timeout=120)
    process.stderr.close()
    assert "error" not in stderr.lower(), stderr
    assert "Traceback" not in stderr, stderr
    assert returncode == 128 + 13
    assert output.exists()  # the work was done before the line that could not be shown


def test_a_warning_repeated_within_one_command_is_one_line(capsys):
    # `subscriptions plan` predicts twice from the same table; the same warning (an attribute
    # far outside the fitted range) was printed once per prediction.
    import warnings

    from clvmodel.cli._guard import warnings_as_lines
    from clvmodel.errors import ClvWarning

    with warnings_as_lines():
        for where in range(2):  # two call sites: the default filter shows both
            warnings.warn_explicit("the same thing", ClvWarning, "x.py", 10 + where)
        warnings.warn_explicit("another thing", ClvWarning, "x.py", 20)
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["warning: the same thing", "warning: another thing"]
