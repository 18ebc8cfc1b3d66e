"""Refusing, up front, a ``postgresql://`` URI where a command reads or writes files only.

Without this, a URI given as ``-o`` became a file or folder literally named after it (password
included), and a URI given as an input met a later, misleading error ("needs --table").
"""

from __future__ import annotations

from collections.abc import Mapping

from clvmodel._postgres_connect import display, is_postgres_uri
from clvmodel.errors import InputError


def refuse_database_outputs(outputs: Mapping[str, object], command: str) -> None:
    """Raise when an output (option → path) of ``clvmodel {command}``, which writes no database
    table, is a ``postgresql://`` URI; the message shows it without its password."""
    for flag, path in outputs.items():
        if is_postgres_uri(path):
            raise InputError(
                f"{flag} {display(path)} is a postgresql:// database, but `clvmodel {command}` "
                "writes files only (no database tables); give a file or folder path with "
                f"{flag.split('/')[0]}."
            )


def refuse_database_inputs(inputs: Mapping[str, object], command: str) -> None:
    """Raise when an input (argument or option → path) of ``clvmodel {command}``, which reads
    files only, is a ``postgresql://`` URI; the message shows it without its password."""
    for name, path in inputs.items():
        if is_postgres_uri(path):
            raise InputError(
                f"{name} {display(path)} is a postgresql:// database, but `clvmodel {command}` "
                f"reads CSV or Parquet files only (it has no --table or --query); export the "
                f"table to a CSV or Parquet file and give its path as {name}."
            )
