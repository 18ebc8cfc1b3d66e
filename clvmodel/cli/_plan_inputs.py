"""What ``clvmodel plan`` reads besides MODEL: the --spend-model file, and INPUT as an RFM
table (checked, its rows named as in the file) or a transaction log summarised."""

from __future__ import annotations

from typing import NamedTuple

import click
import numpy as np
import pandas as pd

import clvmodel as clv
from clvmodel._reading import date_option, examples, read_dates
from clvmodel._rfm_source import nameless_first_column, require_rfm_columns
from clvmodel._rfm_validate import RECOMPUTE_ADVICE, readable_examples, validate_rfm
from clvmodel._table_ids import table_ids
from clvmodel._units import UNIT_NAMES, convert_periods
from clvmodel.cli import _guard
from clvmodel.cli._rfm_input_checks import refuse_log_options
from clvmodel.models._persistence import describe_model_file
from clvmodel.models.bundle import foreign_file

_RFM_COLUMNS = {
    "frequency": ("frequency", "frequency_cal", "x"),
    "recency": ("recency", "recency_cal", "t_x"),
    "T": ("T", "T_cal"),
    "monetary_value": ("monetary_value", "monetary_value_cal"),
}
_STORED_INDEX = "\x00index"  # a Parquet file's index as a column (a name no column has)


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


def _indexed(frame: pd.DataFrame, column, shown: str, where: str) -> pd.DataFrame:
    """``frame`` indexed by its customer ids in ``column`` (``where`` in the messages), read as
    transaction logs read them (``" 3 "`` is ``3``, ``3.0`` is ``3``); missing, fractional and
    repeated ids refused."""
    ids, missing, not_whole = table_ids(frame[column])
    if missing.any():
        raise clv.InputError(
            f"INPUT {shown}: {int(missing.sum())} row(s) have no customer id {where} "
            f"({_file_rows(np.flatnonzero(missing))}); give every customer an id, or drop "
            "those rows."
        )
    if not_whole.any():
        rows = np.flatnonzero(not_whole)
        raise clv.InputError(
            f"INPUT {shown}: {rows.size} customer id(s) {where} are not whole numbers "
            f"({_file_rows(rows)}: {readable_examples(frame[column].iloc[rows[:6]])}); ids are "
            "codes: write them as text or whole numbers."
        )
    repeated = ids.duplicated(keep=False).to_numpy()
    if repeated.any():
        twice = pd.unique(ids[repeated])
        raise clv.InputError(
            f"INPUT {shown}: {twice.size} customer id(s) {where} appear on more than one row "
            f"(for example {readable_examples(twice)}; {_file_rows(np.flatnonzero(repeated))}); "
            "an RFM table has one row per customer: drop or merge the repeated rows."
        )
    table = frame.drop(columns=column)
    table.index = pd.Index(ids.to_numpy())
    return table


def _numbers(frame: pd.DataFrame, shown: str) -> pd.DataFrame:
    """The RFM columns of ``frame`` as float64; values that are not numbers, missing or infinite
    are refused, naming the rows and the customers, the values as written (but a missing
    ``monetary_value`` where frequency is 0, which the RFM checks read as 0)."""
    one_time = np.zeros(len(frame), dtype=bool)
    for key, aliases in _RFM_COLUMNS.items():
        for name in (a for a in aliases if a in frame.columns):
            raw = frame[name]
            numbers = pd.to_numeric(raw, errors="coerce").astype("float64")
            text = numbers.isna().to_numpy() & raw.notna().to_numpy()
            absent = ~np.isfinite(numbers.to_numpy()) & ~text
            if key == "frequency":
                one_time = numbers.to_numpy() == 0
            elif key == "monetary_value":  # no repeat purchase, no mean spend
                absent &= ~(one_time & numbers.isna().to_numpy())
            for bad, what in ((text, "are not numbers"), (absent, "are missing or infinite")):
                if bad.any():
                    rows = np.flatnonzero(bad)
                    values = readable_examples(raw.iloc[rows[:6]], frame.index[rows[:6]])
                    raise clv.InputError(
                        f"INPUT {shown}: column {name!r} holds {rows.size} value(s) that {what} "
                        f"({_file_rows(rows)}; for example {values}); fix or drop those rows."
                    )
            frame[name] = numbers
    return frame


def _rfm_from_file(frame: pd.DataFrame, customer_col: str, shown: str, spend: bool, units):
    """An RFM table read from the file ``shown``: customer ids as the index, numeric RFM
    columns (``monetary_value`` too for a ``spend`` model; without one it is left out, whatever
    it holds), recency and T converted from the first of ``units`` to the second, checked, rows
    named as in the file."""
    frame = frame.copy()
    if not spend:  # no spend model: monetary_value (empty in score's output) is not used
        frame = frame.drop(columns=[c for c in _RFM_COLUMNS["monetary_value"] if c in frame])
    if customer_col in frame.columns:
        frame = _indexed(frame, customer_col, shown, f"in column {customer_col!r}")
        frame.index.name = customer_col
    elif (nameless := nameless_first_column(frame.columns)) is not None:
        # A CSV written with its index (as clvmodel writes them) has the ids in a nameless column.
        frame = _indexed(frame, nameless, shown, "in the first, nameless column")
        frame.index.name = customer_col
    elif frame.index.nlevels == 1 and not isinstance(frame.index, pd.RangeIndex):
        # A Parquet file written with its index: pandas restored the column its metadata names
        # (index_columns), the one score reads (parquet_index_column); the ids read as above.
        ids = frame.rename_axis(_STORED_INDEX).reset_index()
        frame = _indexed(ids, _STORED_INDEX, shown, "in the index stored in the Parquet file")
        frame.index.name = customer_col
    else:  # no ids: refused, as score refuses it, rather than numbered by row
        require_rfm_columns(frame.columns, customer_col, label=f"INPUT {shown}")
    frame = _converted(_numbers(frame, shown), *units)
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


def recorded_attrs(path) -> dict:
    """What :func:`clvmodel.rfm_summary` recorded about a table (its ``attrs``, such as
    ``time_unit``) in a Parquet file written by pandas; empty for other inputs.

    Parameters
    ----------
    path : str or path-like
        INPUT.

    Returns
    -------
    dict
    """
    import json

    import pyarrow.parquet as pq

    try:
        metadata = pq.read_schema(path).metadata or {}
        return dict(json.loads(metadata.get(b"PANDAS_ATTRS", b"{}")))
    except (OSError, ValueError, TypeError):  # not a Parquet file (pyarrow's errors are these)
        return {}


def rfm_unit(attrs: dict, shown: str, unit: str, rfm_time_unit) -> tuple[str, bool]:
    """The unit of an RFM table's recency and T, and whether it was assumed to be the model's
    ``unit`` (neither given nor recorded).

    Their unit is --rfm-time-unit, else the one a Parquet file written from
    :func:`clvmodel.rfm_summary` records; a recorded unit that differs from --rfm-time-unit, or
    from the model's without the option, is refused rather than scored in the wrong unit.
    """
    recorded = attrs.get("time_unit")
    recorded = recorded if recorded in ("D", "W") else None
    if rfm_time_unit is not None and recorded is not None and rfm_time_unit != recorded:
        raise clv.InputError(
            f"--rfm-time-unit {rfm_time_unit}: INPUT {shown} records that its recency and T are "
            f"in {UNIT_NAMES[recorded]}, not {UNIT_NAMES[rfm_time_unit]}; pass --rfm-time-unit "
            f"{recorded}, or leave the option out."
        )
    if rfm_time_unit is None and recorded is not None and recorded != unit:
        raise clv.InputError(
            f"INPUT {shown} records that its recency and T are in {UNIT_NAMES[recorded]}, but "
            f"the model was fitted in {UNIT_NAMES[unit]}; pass --rfm-time-unit {recorded} to "
            f"have them converted to {UNIT_NAMES[unit]}, or rebuild the table in "
            f"{UNIT_NAMES[unit]}."
        )
    return rfm_time_unit or recorded or unit, rfm_time_unit is None and recorded is None


def _converted(frame: pd.DataFrame, given: str, unit: str) -> pd.DataFrame:
    """``frame`` with its recency and T converted from the unit ``given`` to ``unit``."""
    if given != unit:
        factor = convert_periods(1.0, given, unit)
        for name in (*_RFM_COLUMNS["recency"], *_RFM_COLUMNS["T"]):
            if name in frame.columns:
                frame[name] = frame[name] * factor
    frame.attrs["time_unit"] = unit
    return frame


def _is_rfm(columns) -> bool:
    return all(any(a in columns for a in _RFM_COLUMNS[n]) for n in ("frequency", "recency", "T"))


def customer_table(frame, shown, gg, unit, columns, reading, drop_duplicates, rfm_time_unit=None):
    """INPUT as an RFM table (read as it is, or summarised from a log), what it was, and whether
    the time unit of an RFM table's recency and T was assumed to be the model's.

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
    rfm_time_unit : {"D", "W"}, optional
        --rfm-time-unit: the unit of an RFM table's recency and T, converted to ``unit``.

    Returns
    -------
    CustomerTable
        The RFM table (recency and T in ``unit``), ``"RFM table"`` or ``"transaction log"``,
        whether an RFM table's unit was taken to be the model's, neither given nor recorded, and
        for a log its observation end and the customers left out (first purchase after it).

    Raises
    ------
    InputError
        An RFM table with repeated, missing or fractional ids, values that are not numbers, or
        a recorded time unit other than --rfm-time-unit, or than the model's without the option;
        an RFM table with --observation-end.
    """
    customer_col, date_col, amount_col = columns.values()
    if _is_rfm(frame.columns):
        if reading["observation_end"] is not None:
            raise clv.InputError(rfm_observation_end_refusal(shown))
        refuse_log_options(shown)  # else silently not used
        given, assumed = rfm_unit(frame.attrs, shown, unit, rfm_time_unit)
        rfm = _rfm_from_file(frame, customer_col, shown, gg is not None, (given, unit))
        return CustomerTable(rfm, "RFM table", assumed)
    if rfm_time_unit is not None:
        raise clv.InputError(log_time_unit_refusal(shown))
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
    # The log's end: the one given, else its last purchase date (every date was read, or
    # rfm_summary raised).
    end = reading["observation_end"]
    if end is None:
        days = read_dates(frame[date_col], reading["date_format"], date_col).day
        end = pd.Timestamp(np.datetime64(int(days.max()), "D"))
    else:
        end = date_option(end, "--observation-end", reading["date_format"])
    left_out = int(rfm.attrs.get("rejected_customers", 0))
    return CustomerTable(rfm, "transaction log", False, end, left_out)


class CustomerTable(NamedTuple):
    """What :func:`customer_table` read: the RFM table, its kind and how it was made."""

    rfm: pd.DataFrame
    source: str  # "RFM table" or "transaction log"
    assumed: bool  # an RFM table's time unit taken to be the model's
    end: pd.Timestamp | None = None  # a log's observation end
    left_out: int = 0  # customers of a log whose first purchase is after its end


#: --rfm-time-unit, of `score` and `plan`: the unit of an RFM table INPUT's recency and T.
RFM_TIME_UNIT_OPTION = click.option(
    "--rfm-time-unit",
    type=click.Choice(["D", "W"]),
    default=None,
    help="For an RFM table INPUT: the time unit of its recency and T, converted to the "
    "model's. Without this option it is the unit a Parquet file written from rfm_summary "
    "records (a CSV file records none), else the model's. A recorded unit is never converted "
    "on its own: one other than this option, or without it other than the model's, is refused; "
    "pass it as --rfm-time-unit to have it converted.",
)


def assumed_unit_note(unit: str) -> str:
    """The note of `score` and `plan` when an RFM table's recency and T were taken to be in the
    model's time unit ``unit`` (a CSV file does not record theirs)."""
    return (
        f"note: the RFM table's recency and T were taken to be in the model's time unit "
        f"({UNIT_NAMES[unit]}); pass --rfm-time-unit to give theirs (converted to the model's)."
    )


def rfm_observation_end_refusal(shown: str) -> str:
    """Why --observation-end is refused for INPUT ``shown``, an RFM table: its T was measured to
    the end the table was built with, a date it does not record (:func:`clvmodel.rfm_summary`
    records its time unit, not its end), so that date can be neither moved nor checked.

    Parameters
    ----------
    shown : str
        INPUT as the messages name it.

    Returns
    -------
    str
    """
    return (
        f"--observation-end is for a transaction log INPUT, but {shown} is an RFM table: its T "
        "is already measured to the end it was built with (a date the table does not record), "
        "and is scored as it is. Leave the option out, or give the transaction log as INPUT."
    )


def log_time_unit_refusal(shown: str) -> str:
    """Why --rfm-time-unit is refused for INPUT ``shown``, a transaction log (which has no
    recency and T of its own: it is summarised in the model's time unit)."""
    return (
        f"--rfm-time-unit is for an RFM table INPUT, but {shown} is a transaction log, "
        "summarised in the model's time unit; leave the option out."
    )
