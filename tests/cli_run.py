"""Running ``clvmodel`` in the test process (click's CliRunner), with a real process's streams.

A fresh ``python -m clvmodel.cli`` pays about 1.5 CPU seconds of imports; the tests that are not
about the process itself (signals, peak memory, import time, a second process) run the command
here instead, through :func:`run_cli`, which keeps what a process would show:

* stdout and stderr apart, exactly, on every click from 8.1 (``CliRunner(mix_stderr=False)``
  there; from 8.2 on ``stderr`` is always separate), and ``output`` holding both;
* the exit code the command line's own error handling chose: exceptions stay caught as they are
  in a real run, but one that is not a ``SystemExit`` (a crash the command did not turn into an
  error line) fails the test with its traceback;
* the warning filters of a fresh interpreter, not pytest's (which shows every
  DeprecationWarning): a library's deprecation notice must not add a ``warning:`` line that a
  real run would not print;
* the working directory (``cwd=``, restored afterwards) and environment variables (``env=``, set
  only while the command runs); stdin is empty unless ``input=`` is given.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import traceback
import warnings
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from clvmodel.cli import main

# click 8.1 mixes stderr into stdout unless told not to; click 8.2 dropped the argument.
_SEPARATE = (
    {"mix_stderr": False}
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters
    else {}
)


def _fresh_interpreter_filters() -> None:
    """Replace the warning filters by those Python starts with (no -W option, not a dev build)."""
    warnings.resetwarnings()
    for category in (ImportWarning, ResourceWarning, PendingDeprecationWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")


@dataclass(frozen=True)
class CliResult:
    """What one ``clvmodel`` run printed and how it ended (``subprocess.CompletedProcess``-like)."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    output: str  # stdout and stderr, as a terminal would show them
    exception: BaseException | None  # the SystemExit of a non-zero exit, else None

    @property
    def exit_code(self) -> int:
        """The exit status, under click's name for it."""
        return self.returncode


def run_cli(*args, cwd=None, env=None, input=None) -> CliResult:
    """Run ``clvmodel ARGS...`` in this process and return what it printed and its exit status.

    Parameters
    ----------
    *args
        The command line after ``clvmodel``; paths and numbers are turned into strings.
    cwd : path, optional
        Working directory while the command runs (the previous one is restored).
    env : mapping, optional
        Environment variables set while the command runs (``None`` as a value unsets one).
    input : str or bytes, optional
        What the command reads on stdin.

    Returns
    -------
    CliResult
    """
    arguments = [os.fspath(arg) if isinstance(arg, os.PathLike) else str(arg) for arg in args]
    runner = CliRunner(**_SEPARATE)
    previous = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with warnings.catch_warnings():
            _fresh_interpreter_filters()
            result = runner.invoke(main, arguments, input=input, env=env, prog_name="clvmodel")
    finally:
        os.chdir(previous)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))
        pytest.fail(
            f"`clvmodel {' '.join(arguments)}` raised instead of exiting with an error line:\n"
            f"{trace}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}",
            pytrace=False,
        )
    # click 8.2+ interleaves both streams in `output`; 8.1 (unmixed) keeps only stdout there.
    output = result.output if not _SEPARATE else result.stdout + result.stderr
    return CliResult(
        arguments, result.exit_code, result.stdout, result.stderr, output, result.exception
    )


def error_line(result, forbidden=()) -> str:
    """The one ``error: ...`` line of a run that ended with exit status 2 (a refusal), checked
    free of each of ``forbidden`` (Python names where the command line should speak)."""
    assert result.returncode == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    for word in forbidden:
        assert word not in errors[0], (word, errors[0])
    return errors[0]


def run_cli_process(*args, timeout: float = 180) -> subprocess.CompletedProcess:
    """``python -m clvmodel.cli ARGS`` in a real process: for the tests that are about the process
    (its exit status and stderr as a shell sees them)."""
    return subprocess.run(
        [sys.executable, "-m", "clvmodel.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
