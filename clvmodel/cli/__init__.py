"""The ``clvmodel`` command line. It calls the public API only.

Each subcommand lives in its own module and registers itself on :data:`main`.
"""

from __future__ import annotations

import os
import sys

import click

import clvmodel as clv


class _ClvGroup(click.Group):
    """Turn clvmodel's own errors into one clear line and exit code 2, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except clv.ClvError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except OSError as exc:
            click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("CLVMODEL_DEBUG"):
                raise
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
