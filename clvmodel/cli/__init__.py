"""The ``clvmodel`` command line. It calls the public API only.

Each subcommand lives in its own module and registers itself on :data:`main` when that module is
imported; :data:`COMMANDS` says which module holds which command, so that ``clvmodel --help`` and
``clvmodel COMMAND`` import only what they need (numpy, pandas and scipy load with the command).
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from clvmodel._version import __version__
from clvmodel.cli import _guard
from clvmodel.errors import ClvError, ConvergenceError

# command -> (module that registers it, the one-line help ``clvmodel --help`` shows for it;
# tests/cli/test_cli.py checks these lines against the commands' own help).
COMMANDS = {
    "dayone": ("_dayone", "Predict the Day One value of new signups."),
    "dayone-fit": ("_dayone", "Fit a Day One model on customers and their signup attributes."),
    "demo": ("_demo", "Fit on the bundled CDNOW sample; compare CLV with the naive formula."),
    "evaluate": ("_evaluate", "Fit on a calibration period; check the predictions on the holdout."),
    "fit": ("_batch", "Fit a purchase model and Gamma-Gamma on a log; write one JSON file."),
    "plan": ("_plan", "Score churn risk and stage a price increase by risk tier."),
    "report": ("_report_command", "Write one self-contained HTML report of a transaction log."),
    "score": ("_batch", "Score every customer of a log or RFM table with fitted models."),
    "simulate": ("_simulate", "Write a synthetic transaction log from known parameters."),
    "subscriptions": ("_subscriptions", "Fit, score and plan subscribers (sBG, BdW)."),
}


class _ClvGroup(click.Group):
    """Turn clvmodel's own errors into one clear line and exit code 2, never a traceback; a
    SIGINT or SIGTERM into one line and exit code 130 or 143, temporary files removed.

    Commands are loaded on first use from the module :data:`COMMANDS` names."""

    def list_commands(self, ctx):
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(f"clvmodel.cli.{COMMANDS[cmd_name][0]}")
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx):
        from clvmodel._postgres_connect import one_catalog  # a command's connections share it

        with _guard.interruptible() as signals, _guard.warnings_as_lines(), one_catalog():
            try:
                result = super().invoke(ctx)
                from clvmodel.cli._options import flush_deprecations

                flush_deprecations(ctx)  # bare numbers and percent lists: one line each
                return result
            except click.exceptions.Exit:
                raise
            except click.ClickException as exc:  # a usage error may repeat a URI given as a value
                from clvmodel._postgres_connect import mask_password

                exc.message = mask_password(exc.message)
                raise
            except BaseException as exc:
                if signals.signum is not None:
                    click.echo(_guard.interrupted_message(signals.signum), err=True)
                    sys.exit(128 + signals.signum)
                _report(exc)


def _report(exc: BaseException) -> None:
    """Print ``exc`` as one line and exit, or re-raise it (KeyboardInterrupt, SystemExit)."""
    if isinstance(exc, ConvergenceError):
        click.echo(f"error: {_guard.cli_words(_guard.convergence_message(exc))}", err=True)
        sys.exit(2)
    if isinstance(exc, ClvError):
        click.echo(f"error: {_guard.cli_words(str(exc))}", err=True)
        sys.exit(2)
    from clvmodel._postgres_connect import mask_password  # a URI in a message: no password

    if isinstance(exc, BrokenPipeError):  # `clvmodel ... | head`: the reader has had enough
        _quiet_stdout()
        sys.exit(128 + 13)  # as a command killed by SIGPIPE, without an "error:" line
    if isinstance(exc, OSError):
        line = f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
        click.echo(mask_password(line), err=True)
        sys.exit(2)
    if not isinstance(exc, Exception) or os.environ.get("CLVMODEL_DEBUG"):
        raise exc
    click.echo(
        mask_password(
            f"error: unexpected failure ({type(exc).__name__}: {exc}); nothing was written. "
            "Rerun with CLVMODEL_DEBUG=1 for the traceback and please report it."
        ),
        err=True,
    )
    sys.exit(1)


def _quiet_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit raises no second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no file descriptor (a test's captured stdout)
        pass


@click.group(cls=_ClvGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="clvmodel")
def main():
    """Probabilistic customer lifetime value from transaction logs and subscription tables."""
