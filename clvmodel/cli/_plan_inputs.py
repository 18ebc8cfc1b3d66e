"""What ``clvmodel plan`` reads besides MODEL: the --spend-model file, and INPUT as an RFM
table (checked, its rows named as in the file) or a transaction log summarised."""

from __future__ import annotations

import numpy as np
import pandas as pd

import clvmodel as clv
from clvmodel._reading import examples
from clvmodel._rfm_validate import RECOMPUTE_ADVICE, validate_rfm
from clvmodel.cli import _guard
from clvmodel.models._persistence import describe_model_file
from clvmodel.models.bundle import foreign_file

_RFM_COLUMNS = {
    "frequency": ("frequency", "frequency_cal", "x"),
    "recency": ("recency", "recency_cal", "t_x"),
    "T": ("T", "T_cal"),
    "monetary_value": ("monetary_value", "monetary_value_cal"),
}


def spend_model_file(path: str):
    """The spend model given with --spend-model: a Gamma-Gamma model file, or the spend model of
    a `clvmodel fit` models file; any other file is refused in the command line's words.

    Parameters
    ----------
    path : str
        The --spend-model option.

    Returns
    -------
    GammaGammaModel
    """
    takes = "--spend-model takes a Gamma-Gamma model file or the models file of `clvmodel fit`"
    described = describe_model_file(path)
    if described is None and (foreign := foreign_file(path)) is not None:
        raise clv.InputError(
            f"--spend-model {path} is not a clvmodel model file: {foreign}; {takes}."
        )
    words = "" if described is None else described[0]
    if words.startswith("a purchase model"):
        raise clv.InputError(
            f"--spend-model {path} is {words}, not a spend model; give it as MODEL, and the "
            "Gamma-Gamma model with --spend-model."
        )
    if described is not None and not words.startswith(("a spend model", "a bundle")):
        raise clv.InputError(
            f"--spend-model {path} is {words}, not a spend model: "
            f"{_guard.command_taking(words)}; {takes}."
        )
    if words.startswith("a bundle"):
        model = clv.load_models(path).gg
        if model is None:
            raise clv.InputError(
                f"--spend-model {path} holds no spend model: it was fitted without amounts; fit "
                "one on a log with amounts (`clvmodel fit` with --amount-col)."
            )
        return model
    return clv.load_model(path)  # a spend model, or a file its loader refuses with the reason


def _file_rows(positions: np.ndarray) -> str:  # as a reader of INPUT counts them
    return f"row(s) {examples(np.asarray(positions) + 1)}, counting from 1 under the header"


def _rfm_from_file(frame: pd.DataFrame, customer_col: str, shown: str, spend: bool):
    """An RFM table read from the file ``shown``: customer ids as the index, numeric RFM
    columns (``monetary_value`` too for a ``spend`` model), checked, rows named as in the file."""
    frame = frame.copy()
    if customer_col in frame.columns:
        frame = frame.set_index(customer_col)
    elif len(frame.columns) and (
        str(frame.columns[0]).startswith("Unnamed") or str(frame.columns[0]) == ""
    ):
        # A CSV written with its index (as clvmodel writes them) has the ids in a nameless column.
        frame = frame.set_index(frame.columns[0])
        frame.index.name = customer_col
    for aliases in _RFM_COLUMNS.values():
        for name in aliases:
            if name not in frame.columns:
                continue
            raw = frame[name]
            numbers = pd.to_numeric(raw, errors="coerce")
            bad = numbers.isna() & raw.notna()
            if bad.any():
                raise clv.InputError(
                    f"INPUT {shown}: column {name!r} holds {int(bad.sum())} value(s) that are "
                    f"not numbers ({_file_rows(np.flatnonzero(bad.to_numpy()))}, for example "
                    f"{raw[bad].head(3).tolist()}); fix or drop those rows."
                )
            frame[name] = numbers.astype("float64")
    if spend and not any(name in frame.columns for name in _RFM_COLUMNS["monetary_value"]):
        raise clv.InputError(
            f"INPUT {shown} has no column 'monetary_value', which the spend model needs for CLV; "
            f"its columns are {list(map(str, frame.columns))}."
        )
    try:
        validate_rfm(frame, rows=_file_rows)
    except clv.InputError as exc:
        advice = "Fix the file, or give the transaction log as INPUT with --observation-end."
        message = str(exc).replace(RECOMPUTE_ADVICE, advice)
        raise clv.InputError(f"INPUT {shown}: {message}") from None
    return frame


def _is_rfm(columns) -> bool:
    return all(any(a in columns for a in _RFM_COLUMNS[n]) for n in ("frequency", "recency", "T"))


def customer_table(frame, shown, gg, unit, columns, reading, drop_duplicates):
    """INPUT as an RFM table (read as it is, or summarised from a log) and what it was.

    Parameters
    ----------
    frame : pandas.DataFrame
        INPUT as read.
    shown : str
        INPUT as the messages name it.
    gg : GammaGammaModel or None
        The spend model; INPUT then needs amounts.
    unit : str
        The model's time unit, for a log's summary.
    columns, reading : dict
        ``customer_col``, ``date_col``, ``amount_col``; ``observation_end``, ``date_format``.
    drop_duplicates : bool
        Whether repeated rows of a log are dropped.

    Returns
    -------
    (pandas.DataFrame, str)
        The RFM table, and ``"RFM table"`` or ``"transaction log"``.
    """
    customer_col, date_col, amount_col = columns.values()
    if _is_rfm(frame.columns):
        return _rfm_from_file(frame, customer_col, shown, gg is not None), "RFM table"
    if date_col not in frame.columns:
        raise clv.InputError(
            f"{shown!r} is neither an RFM table (frequency, recency, T) nor a transaction "
            f"log with a date column {date_col!r}; its columns are "
            f"{list(map(str, frame.columns))}. Rename the columns or pass --date-col."
        )
    has_amount = amount_col in frame.columns
    if gg is not None and not has_amount:
        raise clv.InputError(
            f"--spend-model needs amounts, but {shown!r} has no column {amount_col!r}; "
            f"its columns are {list(map(str, frame.columns))}. Name it with --amount-col."
        )
    rfm = clv.rfm_summary(
        frame,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col if has_amount else None,
        time_unit=unit,
        drop_duplicates=drop_duplicates,
        **reading,
    )
    rfm.index.name = customer_col
    return rfm, "transaction log"
