"""What to do when an input (a PostgreSQL table or query, a file, a DuckDB table) lacks columns:
the options of the missing roles only, RFM columns' names, a name that differs only in case.

Shared by the PostgreSQL reader and DuckDB's (:func:`clvmodel._duck.require_roles`); the
command line's option for each role is stated here, once.
"""

from __future__ import annotations

from clvmodel._reading_text import header_advice

__all__ = ["ROLE_OPTIONS", "missing_columns_advice"]

#: The option that names the column of each role, on the command line.
ROLE_OPTIONS = {"customer": "--customer-col", "date": "--date-col", "amount": "--amount-col"}
_RFM_ROLES = ("frequency", "recency", "T", "monetary_value")


def missing_columns_advice(
    absent: dict[str, str], columns, postgres: bool = False, advice: str | None = None
) -> str:
    """What to do when an input lacks the columns ``absent`` (role → column name).

    Parameters
    ----------
    absent : dict
        The missing roles (``"customer"``, ``"date"``, ``"amount"``, or an RFM column) → name.
    columns : iterable of str
        The input's columns.
    postgres : bool
        The input is a PostgreSQL table or query (whose unquoted names fold to lower case).
    advice : str, optional
        What to do instead of naming options (e.g. for the Python API); the case note stays.

    Returns
    -------
    str
        The options naming the missing roles' columns only; for RFM columns, the names an RFM
        table needs; for a name present in another case, which one (``"T"`` quoted in SQL).
    """
    options = [ROLE_OPTIONS[role] for role in absent if role in ROLE_OPTIONS and not advice]
    rfm = [role for role in absent if role in _RFM_ROLES and not advice]
    advice = [advice] if advice else []
    lowered = {str(column).lower() for column in columns}
    if "date" in absent and {"frequency", "recency", "t"} <= lowered:
        options = []  # no other option helps: the input is RFM rows, not a log
        quoted = ' (the column "T" quoted, case-sensitive)' if "T" not in columns else ""
        advice.append(
            "It looks like an RFM table (one row per customer), not a transaction log (one row "
            f"per purchase): give the log here; `clvmodel score` and `clvmodel plan` take an "
            f"RFM table{quoted}."
        )
    if options:
        ones = "ones" if len(options) > 1 else "one"
        advice.append(f"Name the right {ones} with {' and '.join(options)}.")
    if rfm:
        advice.append(
            "An RFM table needs the columns frequency, recency and T (and monetary_value for "
            "spend), so named (a transaction log needs a date column instead, --date-col)."
        )
    by_lower = {str(column).lower(): column for column in columns}
    for name in absent.values():
        other = by_lower.get(name.lower())
        if other is not None and other != name:
            how = (
                f'PostgreSQL folds unquoted names to lower case: name the column "{name}", '
                f'quoted (ALTER TABLE ... RENAME COLUMN {other} TO "{name}")'
                if postgres
                else f"rename it {name}"
            )
            advice.append(
                f"Its column {other!r} is not {name!r} (names are case-sensitive): {how}."
            )
    return (" ".join(advice) + header_advice(columns)).strip()
