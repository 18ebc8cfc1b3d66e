"""The ``clvmodel`` command line. It calls the public API only.

Each subcommand lives in its own module and registers itself on :data:`main`.
"""

from __future__ import annotations

import os
import sys

import click

import clvmodel as clv
from clvmodel.cli import _guard


class _ClvGroup(click.Group):
    """Turn clvmodel's own errors into one clear line and exit code 2, never a traceback; a
    SIGINT or SIGTERM into one line and exit code 130 or 143, temporary files removed."""

    def invoke(self, ctx):
        with _guard.interruptible() as signals, _guard.warnings_as_lines():
            try:
                return super().invoke(ctx)
            except (click.exceptions.Exit, click.ClickException):
                raise
            except BaseException as exc:
                if signals.signum is not None:
                    click.echo(_guard.interrupted_message(signals.signum), err=True)
                    sys.exit(128 + signals.signum)
                _report(exc)


def _report(exc: BaseException) -> None:
    """Print ``exc`` as one line and exit, or re-raise it (KeyboardInterrupt, SystemExit)."""
    if isinstance(exc, clv.ConvergenceError):
        click.echo(f"error: {_guard.convergence_message(exc)}", err=True)
        sys.exit(2)
    if isinstance(exc, clv.ClvError):
        click.echo(f"error: {_guard.cli_words(str(exc))}", err=True)
        sys.exit(2)
    if isinstance(exc, OSError):
        click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        sys.exit(2)
    if not isinstance(exc, Exception) or os.environ.get("CLVMODEL_DEBUG"):
        raise exc
    click.echo(
        f"error: unexpected failure ({type(exc).__name__}: {exc}); nothing was written. "
        "Rerun with CLVMODEL_DEBUG=1 for the traceback and please report it.",
        err=True,
    )
    sys.exit(1)


@click.group(cls=_ClvGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(clv.__version__, prog_name="clvmodel")
def main():
    """Probabilistic customer lifetime value: BG/NBD and Gamma-Gamma from transaction logs."""


# Subcommands register themselves on ``main`` when imported.
from clvmodel.cli import _batch, _dayone, _demo, _evaluate, _plan, _simulate  # noqa: E402, F401
