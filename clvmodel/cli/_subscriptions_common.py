"""Pieces shared by ``clvmodel subscriptions fit | score | plan``: the table options, output
checks, INPUT screened batch by batch, and the writers of the outputs."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
import pandas as pd

import clvmodel as clv
from clvmodel._subscription_dates import default_observation_end
from clvmodel._subscription_stream import (
    BATCH_ROWS,
    blank_cells,
    read_batches,
    survey,
    table_columns,
)
from clvmodel.cli import _output_paths
from clvmodel.errors import InputError
from clvmodel.io import format_of
from clvmodel.subscriptions import from_subscription_table, screen_subscription_table

PERIOD_CHOICE = click.Choice(["M", "W", "Y"])
PERIOD_NAMES = {"M": "months", "W": "weeks", "Y": "years"}
PERIODS_PER_YEAR = {"M": 12, "W": 52, "Y": 1}
MODELS = {"sbg": clv.ShiftedBetaGeoModel, "bdw": clv.BetaDiscreteWeibullModel}


def table_options(function):
    """--customer-col, --start-col, --end-col, --observation-end and --rejects."""
    options = [
        click.option("--customer-col", default="customer_id", show_default=True,
                     help="Subscriber-id column of INPUT."),
        click.option("--start-col", default="start", show_default=True,
                     help="Start-date column."),
        click.option("--end-col", default="end", show_default=True,
                     help="Cancellation-date column, empty while the subscription runs."),
        click.option("--observation-end", default=None,
                     help="Date up to which cancellations are known, YYYY-MM-DD [default: the "
                     "latest start or end date in INPUT]."),
        click.option("--rejects", default=None,
                     help="Where to list rejected rows with a reason each [OUTPUT.rejects.csv]."),
        click.option("--batch-size", type=click.IntRange(min=1), default=None,
                     help=f"Rows of INPUT read at a time [{BATCH_ROWS:,}]; memory grows with it."),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


def rejects_file_path(output: str, rejects: str | None) -> Path:
    if rejects:
        return Path(rejects)
    target = Path(output)
    return target.with_name(target.stem + ".rejects.csv")


def check_outputs(output: str, rejects_path: Path, inputs: dict, suffixes) -> None:
    from clvmodel.cli._no_database import refuse_database_inputs, refuse_database_outputs

    command = click.get_current_context().command_path.split(" ", 1)[-1]
    refuse_database_inputs(inputs, command)
    refuse_database_outputs({"-o/--output": output, "--rejects": rejects_path}, command)
    if Path(output).suffix.lower() not in suffixes:
        raise InputError(f"-o/--output {output}: give a file ending in {' or '.join(suffixes)}.")
    _output_paths.check_rejects_file(rejects_path)
    outputs = {"-o/--output": output, "--rejects": str(rejects_path)}
    _output_paths.check_output_folders(outputs)
    _output_paths.refuse_overwrite(outputs, inputs)


def has_columns(columns, path: str, wanted: dict) -> None:
    """Every column named in ``wanted`` (flag → column) exists, else one line naming the flag."""
    for flag, column in wanted.items():
        if column not in columns:
            names = list(map(str, columns))
            # One header cell holding the names: a file separated by ';' or tabs, not commas.
            separator = next((s for s in (";", "\t", "|") if len(names) == 1 and s in names[0]),
                             None)  # fmt: skip
            advice = (
                f"Name the right column with {flag}."
                if separator is None
                else f"INPUT seems separated by {separator!r}: save it with commas (CSV) or as "
                "Parquet."
            )
            raise InputError(
                f"{path} has no column {column!r} ({flag}); its columns are {names}. {advice}"
            )


def reject_levels(accepted, rejects, levels, customer_col, positions):
    """Move rows of ``accepted`` whose value in a categorical column is empty, or not one of the
    levels the model was fitted on (``levels``: column → list, or None for any), to ``rejects``."""
    for column, known in levels.items():
        text = accepted[column].astype(str).str.strip()
        blank = blank_cells(accepted[column])  # "N/A" in a Parquet file too, as in a CSV
        unknown = ~blank & (~text.isin(known).to_numpy() if known is not None else False)
        for mask, reason in (
            (blank, f"{column} is missing"),
            (unknown, f"{column} is not one of the fitted levels {known}"),
        ):
            if np.any(mask):
                extra = pd.DataFrame(
                    {
                        "row": positions[accepted.index[mask]].to_numpy() + 1,
                        customer_col: accepted[customer_col].to_numpy()[mask],
                        "reason": reason,
                    }
                )
                rejects = pd.concat([rejects, extra], ignore_index=True)
        accepted = accepted.loc[~(blank | unknown)]
    return accepted, rejects.sort_values("row", kind="stable").reset_index(drop=True)


class SubscriptionTable:
    """INPUT read in batches (see :mod:`clvmodel._subscription_stream`): a first pass over the id,
    date and ``extra`` columns, then :meth:`screened` yields the accepted rows of each batch while
    the rejects go to the spool beside the rejects file."""

    def __init__(self, path, options, batch_size, *, extra=(), amounts=None, prices=()):
        self.path, self.batch_size = path, batch_size
        self.customer_col, self.start_col, self.end_col = (
            options["customer_col"], options["start_col"], options["end_col"])  # fmt: skip
        self.columns = table_columns(path)
        wanted = {"--customer-col": self.customer_col, "--start-col": self.start_col,
                  "--end-col": self.end_col}  # fmt: skip
        has_columns(self.columns, path, wanted)
        given = options["observation_end"]
        if given is not None:  # checked (and read) as the screening reads it
            blank = pd.DataFrame(columns=[self.customer_col, self.start_col, self.end_col])
            given = screen_subscription_table(blank, self.customer_col, self.start_col,
                                              self.end_col, given)[2]  # fmt: skip
        dates = (self.start_col, self.end_col) if given is None else ()
        self.survey = survey(path, self.customer_col, dates, extra, batch_size,
                             ordered=(self.start_col, self.end_col), amounts=amounts,
                             prices=prices)  # fmt: skip
        # The flag to check when every row is rejected for a column's values (see check_usable).
        self.column_flags = {self.customer_col: "--customer-col", self.start_col: "--start-col",
                             self.end_col: "--end-col"}  # fmt: skip
        if given is None:
            given = default_observation_end(self.survey.latest)
        self.end = given
        self.accepted = 0

    def screened(self, spool, *, numeric=(), nonnegative=(), levels=None, indicators=None):
        """Per batch, the accepted rows (dates parsed, ``numeric`` columns as floats, those in
        ``nonnegative`` ≥ 0, the ``indicators`` added as 0/1 columns); rejects go to ``spool``
        numbered in the table."""
        offset = 0
        for frame in read_batches(self.path, self._columns(numeric, levels), self.batch_size):
            frame = frame.reset_index(drop=True)
            accepted, rejects = self._screen(frame, numeric, nonnegative)
            positions = pd.Series(np.arange(len(frame)), index=frame.index)
            accepted, rejects = reject_levels(accepted, rejects, levels or {}, self.customer_col,
                                               positions)  # fmt: skip
            for name, (column, level) in (indicators or {}).items():
                accepted = accepted.assign(**{name: (accepted[column].astype(str).str.strip()
                                                     == level).astype("float64")})  # fmt: skip
            spool.add(rejects, offset)
            offset += len(frame)
            self.accepted += len(accepted)
            if len(accepted):
                yield accepted

    def accepted_values(self, columns):
        """Per batch, the raw ``columns`` of the rows whose id and dates are accepted (nothing
        spooled or counted): to settle over those rows whether a covariate is numeric."""
        for frame in read_batches(self.path, self._columns(columns, None), self.batch_size):
            yield self._screen(frame.reset_index(drop=True), (), ())[0][list(columns)]

    def _columns(self, numeric, levels) -> list:
        return list(dict.fromkeys([self.customer_col, self.start_col, self.end_col, *numeric,
                                   *(levels or {})]))  # fmt: skip

    def _screen(self, frame, numeric, nonnegative):
        accepted, rejects, _ = screen_subscription_table(
            frame, self.customer_col, self.start_col, self.end_col, self.end,
            numeric_cols=numeric, nonnegative_cols=nonnegative,
            id_counts=self.survey.id_counts, day_first=self.survey.day_first,
        )  # fmt: skip
        return accepted, rejects

    def check_usable(self, spool) -> None:
        """One line when every row was rejected."""
        if self.accepted:
            return
        if not self.survey.rows:
            raise InputError(
                f"{self.path} has no rows: there is no subscriber to use; check that INPUT is the "
                "right file."
            )
        common = spool.reasons.most_common(3)
        shown = "; ".join(f"{n:,} × {reason}" for reason, n in common)
        raise InputError(
            f"no usable subscriber in {self.path}: all {self.survey.rows:,} row(s) rejected "
            f"({shown}). Check {_advice([reason for reason, _ in common], self.column_flags)}."
        )


_REASON_FLAGS = {"customer id": "--customer-col", "start date": "--start-col",
                 "end date": "--end-col", "observation end": "--observation-end"}  # fmt: skip


def _advice(reasons, column_flags) -> str:
    """The flags behind the rejection ``reasons`` (of ids, dates, a price or a covariate column),
    for the message when every row is rejected; the id and date flags when none is known."""
    flags = []
    for reason in reasons:
        flags += [flag for words, flag in _REASON_FLAGS.items() if words in reason]
        flags += [flag for column, flag in column_flags.items() if reason.startswith(f"{column} ")]
    flags = list(dict.fromkeys(flags)) or [
        "--customer-col", "--start-col", "--end-col", "--observation-end"]  # fmt: skip
    return ", ".join(flags[:-1]) + " and " + flags[-1] if len(flags) > 1 else flags[0]


def subscriber_rows(accepted, options, end, period, keep):
    rows = from_subscription_table(
        accepted, customer_col=options["customer_col"], start_col=options["start_col"],
        end_col=options["end_col"], observation_end=end, period=period, keep=keep,
    )  # fmt: skip
    return rows


def table_writer(frame: pd.DataFrame, path) -> callable:
    if format_of(Path(path)) == "csv":
        return lambda tmp: frame.to_csv(tmp, index=True)
    return lambda tmp: frame.to_parquet(
        tmp, index=True, coerce_timestamps="us", allow_truncated_timestamps=True
    )


class BatchWriter:
    """Scores appended batch by batch to a CSV (pandas, header once) or Parquet file (Arrow)."""

    def __init__(self, path: Path, output):
        self.path, self.csv = path, format_of(Path(output)) == "csv"
        self._handle = self._parquet = None

    def write(self, frame: pd.DataFrame) -> None:
        if self.csv:
            first = self._handle is None
            if first:
                self._handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            frame.to_csv(self._handle, index=True, header=first)
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=True)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.path, table.schema)
        self._parquet.write_table(table)

    def close(self) -> None:
        for handle in (self._handle, self._parquet):
            if handle is not None:
                handle.close()
