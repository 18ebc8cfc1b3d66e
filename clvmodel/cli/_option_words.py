"""The command line's words for the messages of option dates (``observation_end=`` and such),
which the reading modules word for Python."""

from __future__ import annotations

__all__ = ["option_dates_in_cli_words"]

#: How the command line words the messages of option dates: it takes no datetime object, and its
#: --date-format reads the log's text dates too (ISO ones would all be rejected).
_OPTION_DATE_CLI_WORDS = {
    "'YYYY-MM-DD' or a datetime": "'YYYY-MM-DD'",
    ", or pass date_format= (e.g. '%d/%m/%Y') to say how to read it.": (
        " (--date-format, e.g. '%d/%m/%Y', reads it too, but the log's text dates are then read "
        "with that format as well: pass it only if they are written that way)."
    ),
}


def option_dates_in_cli_words(message: str) -> str:
    """``message`` with the Python wording of :mod:`clvmodel._reading_dates`'s option-date
    messages in the command line's (used by :func:`clvmodel.cli._guard.cli_words`)."""
    for python, cli in _OPTION_DATE_CLI_WORDS.items():
        message = message.replace(python, cli)
    return message
