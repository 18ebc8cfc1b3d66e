"""``close()`` and the ``with`` statement for the transaction-log sources of
:mod:`clvmodel.engine`.

A source read from PostgreSQL with the summary inside the server keeps one connection in a
``REPEATABLE READ`` transaction for its whole life, so that every query (counts, rejects,
summary) sees the same rows; the transaction holds a share lock on each table it read, which
blocks ``DROP``, ``ALTER`` and ``TRUNCATE`` of those tables. Left to the garbage collector, the
transaction ends when nothing refers to the source any more, and a traceback kept by a notebook
(or by a test's result) can delay that without end. Closing the source ends it at once.
"""

from __future__ import annotations

__all__ = ["ClosingSource"]


class ClosingSource:
    """A source usable in a ``with`` block, which closes it on leaving (on an error too)."""

    def close(self) -> None:
        """Release what the source holds (a source read into memory holds nothing). Closing
        twice does nothing; the counts, summaries and rejects are not to be asked for after."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
