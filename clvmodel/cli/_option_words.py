"""The command line's words for messages the reading modules word for Python: option dates
(``observation_end=`` and such) and the positions of bad rows."""

from __future__ import annotations

import re

__all__ = ["reading_messages_in_cli_words"]

#: "row positions 2, 7 from 0" (a DataFrame's positions, as Python counts them).
_ROW_POSITIONS = re.compile(r"\brow positions ((?:\d+, )*\d+)( \.\.\.)? from 0\b")

#: How the command line words the messages of option dates: it takes no datetime object, and its
#: --date-format reads the log's text dates too (ISO ones would all be rejected).
_OPTION_DATE_CLI_WORDS = {
    "'YYYY-MM-DD' or a datetime": "'YYYY-MM-DD'",
    ", or pass date_format= (e.g. '%d/%m/%Y') to say how to read it.": (
        " (--date-format, e.g. '%d/%m/%Y', reads it too, but the log's text dates are then read "
        "with that format as well: pass it only if they are written that way)."
    ),
}


def reading_messages_in_cli_words(message: str) -> str:
    """``message`` with the Python wording of the reading modules' messages about option dates
    and bad rows in the command line's (used by :func:`clvmodel.cli._guard.cli_words`): a
    table's bad rows are named as a file's data rows counted from 1 ("data rows 3, 8"), not by
    their positions counted from 0 as Python has them."""
    for python, cli in _OPTION_DATE_CLI_WORDS.items():
        message = message.replace(python, cli)

    def counted_from_one(match: re.Match) -> str:
        rows = ", ".join(str(int(n) + 1) for n in match.group(1).split(", "))
        return f"data rows {rows}{match.group(2) or ''} counted from 1 after the header"

    return _ROW_POSITIONS.sub(counted_from_one, message)
