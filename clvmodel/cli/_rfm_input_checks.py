"""What ``clvmodel score`` and ``clvmodel plan`` say of an INPUT read as an RFM table: options of
a transaction log they would ignore, and the columns it lacks, in the words of the command line."""

from __future__ import annotations

import click

from clvmodel._rfm_source import RfmColumnsError
from clvmodel._rfm_sql import RFM_COLUMNS
from clvmodel.errors import InputError

#: Options that say how to read a transaction log, which an RFM table has no use for
#: (parameter name → flag); --observation-end has its own refusal (it names the end MODEL knows).
LOG_ONLY_OPTIONS = {
    "date_col": "--date-col",
    "date_format": "--date-format",
    "drop_duplicates": "--drop-duplicates",
    "amount_col": "--amount-col",
    "pushdown": "--pushdown/--no-pushdown",
}


def refuse_log_options(shown: str) -> None:
    """Refuse an option of a transaction log given on the command line (not left at its default)
    when INPUT is an RFM table, where it would be silently ignored.

    Parameters
    ----------
    shown : str
        INPUT as messages show it.

    Raises
    ------
    InputError
        Naming the first such option given.
    """
    ctx = click.get_current_context(silent=True)
    if ctx is None:  # called outside a command (a test of the reader)
        return
    for name, flag in LOG_ONLY_OPTIONS.items():
        source = ctx.get_parameter_source(name)
        if source is None or source in (
            click.core.ParameterSource.DEFAULT,
            click.core.ParameterSource.DEFAULT_MAP,
        ):
            continue
        raise InputError(
            f"{flag} applies to a transaction log, and INPUT {shown} is an RFM table (frequency, "
            f"recency, T, one row per customer): leave out {flag}."
        )


def rfm_columns_refusal(exc: RfmColumnsError, shown: str, date_col: str) -> InputError:
    """The refusal of an INPUT read as an RFM table that lacks columns, for the command line: an
    input with none of the RFM columns is rather a transaction log whose date column (--date-col)
    was not found, and one that lacks only monetary_value can be scored without a spend model.

    Parameters
    ----------
    exc : RfmColumnsError
        The reader's refusal.
    shown : str
        INPUT as messages show it.
    date_col : str
        --date-col.

    Returns
    -------
    InputError
    """
    if exc.missing == ("monetary_value",):
        return InputError(
            f"INPUT {shown} has no monetary_value column, which the spend model of MODEL needs; "
            "add the column, or pass --no-amount to score purchases, P(alive) and churn risk only."
        )
    if set(RFM_COLUMNS[:3]) <= set(exc.missing):
        return InputError(
            f"INPUT {shown} has no date column {date_col!r}, so it was read as an RFM table, but "
            f"it has none of the RFM columns frequency, recency, T either (its columns are "
            f"{list(exc.columns)}): for a transaction log, name its date column with --date-col."
        )
    return InputError(f"INPUT {shown}: {exc}")
