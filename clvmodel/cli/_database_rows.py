"""Naming a database input's bad rows: by their place in the rows as read, not "after the header".

The reading modules name bad rows by their positions counted from 0, which the command line turns
into a file's "data rows ... counted from 1 after the header" (and the RFM-table route of `plan`
into "row(s) ..., counting from 1 under the header"). A table or query read from PostgreSQL has
no header: its rows are counted in the order the server returned them.
"""

from __future__ import annotations

from contextlib import contextmanager

from clvmodel._postgres_connect import is_postgres_uri
from clvmodel.cli._option_words import reading_messages_in_cli_words
from clvmodel.errors import InputError

#: How a file's rows are counted: a transaction log's (evaluate, plan), an RFM table's (plan).
_FILE_ORDERS = ("counted from 1 after the header", "counting from 1 under the header")
_DATABASE_ORDER = (
    "counted from 1 in the order read from the database, which is the query's ORDER BY or else "
    "the table's storage order"
)


@contextmanager
def database_row_words(path):
    """Within the block, an :class:`~clvmodel.InputError` naming bad rows of ``path`` (when it is
    a ``postgresql://`` input) counts them in the order read, not after a header."""
    if not is_postgres_uri(path):
        yield
        return
    try:
        yield
    except InputError as exc:
        text = reading_messages_in_cli_words(str(exc))
        for file_order in _FILE_ORDERS:
            text = text.replace(file_order, _DATABASE_ORDER)
        exc.args = (text, *exc.args[1:])
        raise
