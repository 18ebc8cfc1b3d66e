"""A subscription table (CSV or Parquet) read in batches, for ``clvmodel subscriptions``.

Memory stays bounded by the batch size, except for two small per-row costs of the first pass:

- **Survey** (first pass, over the id, date and covariate columns only): the number of rows, the
  latest readable date (the default observation end), whether each covariate column holds
  numbers, text or both (a mixed column is settled over the accepted rows by the caller, and the
  levels of a text one are those of the rows fitted), and the ids that appear more than once in
  the whole table. Duplicates are found
  from a 64-bit hash per non-blank id (8 bytes a row, 8 MB per million rows); only when two hashes
  collide is the id column read once more, to count the candidate ids exactly. So a duplicate is
  rejected on every row it appears on, whichever batches those rows fall in.
- **Screening** (second pass): each batch is screened with
  :func:`clvmodel.subscriptions.screen_subscription_table` (the same checks and reasons as a table
  read whole, the whole-table id counts and observation end handed in), its rejects appended to a
  spool file with their row numbers in the whole table.

Batches are read as :func:`clvmodel.read_table` reads the whole file: CSV cells as text, empty
ones and missing-value texts (:data:`clvmodel._reading.MISSING_TEXTS`, any case) missing,
Parquet through Arrow (an integer column with missing values becomes nullable integers in every
batch, as it does in the whole table, so ids above 2**53 stay exact).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clvmodel._grouping import count_rows
from clvmodel._reading import MISSING_TEXTS, TRUE_FALSE, examples
from clvmodel._reading_csv import check_csv_text
from clvmodel._reading_integers import nullable_integer_dtype
from clvmodel._reading_text import CSV_CELLS
from clvmodel._subscription_dates import DateOrder, parse_dates
from clvmodel._table_ids import table_ids
from clvmodel.errors import InputError
from clvmodel.io import format_of

#: Rows per batch (the command line's ``--batch-size`` default).
BATCH_ROWS = 100_000
#: A text covariate with more distinct values than this is refused (numeric ones are not kept).
LEVEL_LIMIT = 1_000
#: A number written with a currency (sign or upper-case code) or a comma: "$9.99", "1,234",
#: "9,99", "USD 9.99", "45000 EUR". Not a number to pandas, so a price or covariate written so
#: would be rejected row by row or read as text levels.
_CURRENCY = r"(?:[$€£¥₹]|USD|EUR|GBP|JPY|CHF|CAD|AUD|NZD|CNY|INR|SEK|NOK|DKK|PLN|BRL|MXN|ZAR)"
_MONEY = re.compile(
    rf"^[+-]?{_CURRENCY}? ?[+-]?(?:[0-9][0-9,]*(?:[.][0-9]*)?|[.][0-9]+)(?: ?{_CURRENCY})?$"
)


def table_columns(path) -> list[str]:
    """The column names of a CSV or Parquet file, read from its header alone."""
    location = Path(path)
    kind = format_of(location)
    if not location.is_file():
        raise InputError(f"input file {str(location)!r} does not exist.")
    if kind == "csv":
        check_csv_text(location)  # empty or not UTF-8: said in words
    try:
        if kind == "csv":
            return [str(c) for c in pd.read_csv(location, nrows=0).columns]
        import pyarrow.parquet as pq

        return list(pq.read_schema(location).names)
    except Exception as exc:  # parsers raise many types; all mean "unreadable file"
        raise InputError(f"cannot read {str(location)!r} as {kind}: {exc}") from None


def read_batches(
    path, columns: Sequence[str], batch_rows: int | None = None
) -> Iterator[pd.DataFrame]:
    """The named columns of a CSV or Parquet file, ``batch_rows`` rows at a time."""
    location = Path(path)
    kind = format_of(location)
    columns = list(dict.fromkeys(columns))
    size = int(batch_rows or BATCH_ROWS)
    try:
        if kind == "csv":
            # Every column is tokenised (no usecols=): a line with more fields than the header,
            # such as an unquoted "1,234.50", must be refused, not read as a shifted row.
            # Spaces after a comma skipped, as clvmodel.read_table does (" NA" is missing there).
            with pd.read_csv(
                location, **CSV_CELLS, skipinitialspace=True, chunksize=size
            ) as reader:
                for chunk in reader:
                    yield chunk[columns].reset_index(drop=True)
            return
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(location)
        exact = _integers_with_nulls(parquet, columns)
        for batch in parquet.iter_batches(batch_size=size, columns=columns):
            frame = batch.to_pandas()
            if not set(columns) <= set(frame.columns):  # a stored pandas index came back as one
                frame = frame.reset_index()[columns]
            for name in exact:  # nullable integers in every batch, exact above 2**53
                frame[name] = (
                    batch.column(name).to_pandas(types_mapper=nullable_integer_dtype).array
                )
            yield frame
    except InputError:
        raise
    except Exception as exc:  # parsers raise many types; all mean "unreadable file"
        raise InputError(f"cannot read {str(location)!r} as {kind}: {exc}") from None


def _integers_with_nulls(parquet, columns) -> list[str]:
    """Integer columns with a missing value somewhere (read as nullable integers, as
    :func:`clvmodel.read_table` reads them)."""
    import pyarrow as pa

    schema = parquet.schema_arrow
    found = []
    for name in columns:
        if not pa.types.is_integer(schema.field(name).type):
            continue
        j = parquet.schema_arrow.get_field_index(name)
        nulls = []
        for g in range(parquet.metadata.num_row_groups):
            stats = parquet.metadata.row_group(g).column(j).statistics
            nulls.append(None if stats is None or not stats.has_null_count else stats.null_count)
        if None in nulls:  # no statistics: count them
            nulls = [b.column(0).null_count for b in parquet.iter_batches(columns=[name])]
        if sum(nulls):
            found.append(name)
    return found


@dataclass
class Survey:
    """What the first pass learns about the whole table.

    ``numeric`` tells per ``extra`` column whether its filled values are all numbers (True), none
    is (False, a text column) or both occur (None: settled over the accepted rows, see
    :func:`number_cells`); ``levels`` holds its distinct values (None beyond ``LEVEL_LIMIT``).
    """

    rows: int
    id_counts: pd.Series
    latest: pd.Timestamp
    numeric: dict
    levels: dict
    day_first: dict


def blank_cells(raw: pd.Series) -> np.ndarray:
    """Which cells of a covariate column are missing: empty, blank, or a text that means missing
    (``NULL``, ``N/A``, ``nan``, any case), as a CSV reads them; a Parquet file or a database
    export keeps such texts, which would otherwise be a level of a text covariate."""
    text = raw.astype(str).str.strip().str.lower()
    return (raw.isna() | text.isin(MISSING_TEXTS)).to_numpy(dtype=bool)


def number_cells(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Which cells of a covariate column are filled (see :func:`blank_cells`) and which of
    those read as numbers (as :func:`clvmodel.subscriptions.screen_subscription_table` reads
    them; infinite ones included, which it then rejects)."""
    filled = ~blank_cells(raw)
    numbers = filled.copy()
    numbers[filled] = pd.to_numeric(raw[filled], errors="coerce").notna().to_numpy()
    return filled, numbers


def money_cells(raw: pd.Series, filled: np.ndarray, numbers: np.ndarray) -> pd.Series:
    """The filled cells of ``raw`` that are no number to pandas but a number written with a
    currency or a comma (``"$9.99"``, ``"1,234"``, ``"9,99"``, ``"USD 9.99"``), as text."""
    text = raw[filled & ~numbers].astype(str).str.strip()
    return text[text.str.match(_MONEY) & text.str.contains(rf",|{_CURRENCY}", regex=True)]


def refuse_money(found: pd.Series, what: str) -> None:
    """An :class:`InputError` when ``found`` (see :func:`money_cells`) is not empty; ``what``
    names the column as the interface does (``--price-col price``)."""
    if len(found):
        raise InputError(
            f"{what}: the column holds numbers written with a currency or a comma (for example "
            f"{examples(found.unique()[:3].tolist())}); write them as plain numbers with a decimal "
            "point and no thousands separator (9.99, 45000), one currency per table."
        )


def refuse_flags(raw: pd.Series, what: str) -> None:
    """An :class:`InputError` when a price column holds true/false values (a flag, which pandas
    would read as the prices 1 and 0)."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        found = raw.dropna().astype(str)
    else:
        text = raw.dropna().astype(str).str.strip()
        found = text[text.str.match(TRUE_FALSE)]
    if len(found):
        raise InputError(
            f"{what}: the column holds true/false values (for example "
            f"{examples(found.unique()[:2].tolist())}), not prices; name the column of prices "
            "per billing period with --price-col."
        )


def survey(path, customer_col, date_cols=(), extra=(), batch_rows=None, *, ordered=(),
           amounts=None, prices=()) -> Survey:  # fmt: skip
    """First pass over the id column, the ``ordered`` date columns (the order of their
    ``NN/NN/YYYY`` dates, settled over the whole table), the ``date_cols`` among them (for the
    latest readable date), the ``extra`` columns (numbers, text or both, and their distinct
    values; refused, as ``--covariates``, when most of their text is numbers written with a
    currency or a comma) and the ``amounts`` (column → its name in messages: refused when a
    value is written so, and those in ``prices`` when they hold true/false); see the module
    notes."""
    amounts = dict(amounts or {})
    money = {c: [] for c in extra}  # a few examples of each covariate's money-like cells
    hashes, rows = [], 0
    ordered = list(dict.fromkeys([*ordered, *date_cols]))
    orders = {c: DateOrder(c) for c in ordered}
    # The latest date of each column if its dates are month first (False) or day first (True).
    highs = {c: {False: pd.NaT, True: pd.NaT} for c in date_cols}
    # Numbers, other filled values, and those of them written with a currency or a comma.
    counts = {c: np.zeros(3, "int64") for c in extra}
    levels = {c: set() for c in extra}
    for frame in read_batches(path, [customer_col, *ordered, *extra, *amounts], batch_rows):
        rows += len(frame)
        ids, given = _given_ids(frame[customer_col])
        hashes.append(pd.util.hash_pandas_object(ids[given], index=False).to_numpy())
        for column in ordered:
            batch = DateOrder(column)
            batch.add(frame[column])
            orders[column].merge(batch)
            if column in highs:
                for day_first in (False, True) if batch.seen() else (False,):
                    high = parse_dates(frame[column], column, day_first)[0].max()
                    highs[column][day_first] = _later(highs[column][day_first], high)
                if not batch.seen():
                    highs[column][True] = _later(highs[column][True], highs[column][False])
        for column in extra:
            raw = frame[column]
            filled, numbers = number_cells(raw)
            found = money_cells(raw, filled, numbers)
            counts[column] += (int(numbers.sum()), int(filled.sum() - numbers.sum()), len(found))
            money[column].extend(found.unique()[: 3 - len(money[column])].tolist())
            if levels[column] is not None:
                levels[column].update(set(raw[filled].astype(str).str.strip()))
                if len(levels[column]) > LEVEL_LIMIT:
                    levels[column] = None  # too many for a text column (refused below)
        for column, what in amounts.items():
            raw = frame[column]
            if column in prices:
                refuse_flags(raw, what)
            refuse_money(money_cells(raw, *number_cells(raw)), what)
    numeric = {}
    for column in extra:
        found, text, written = counts[column]
        if written and 2 * written >= text:  # most of its text is numbers (1,234 or $9.99)
            refuse_money(pd.Series(money[column]), f"--covariates {column}")
        numeric[column] = True if not text else (False if not found else None)
        if numeric[column] is False and levels[column] is None:
            raise too_many_levels(column)
    day_first = {c: order.day_first() for c, order in orders.items()}
    latest = pd.NaT
    for column, high in highs.items():
        latest = _later(latest, high[bool(day_first[column])])
    return Survey(rows, _repeated_ids(path, customer_col, hashes, batch_rows), latest, numeric,
                  {c: sorted(v) if v is not None else None for c, v in levels.items()},
                  day_first)  # fmt: skip


def _later(a, b):
    """The later of two timestamps, either of which may be NaT."""
    return a if pd.isna(b) or (not pd.isna(a) and a >= b) else b


def too_many_levels(column) -> InputError:
    """The error for a text covariate with more than ``LEVEL_LIMIT`` distinct values."""
    return InputError(
        f"--covariates {column}: the column holds text with more than {LEVEL_LIMIT:,} distinct "
        "values; a categorical covariate needs a few levels (group them, or leave it out)."
    )


def _repeated_ids(path, customer_col, hashes, batch_rows) -> pd.Series:
    """Ids on more than one row of the table, with their number of rows."""
    every = np.concatenate(hashes) if hashes else np.empty(0, "uint64")
    del hashes[:]
    values, counts = np.unique(every, return_counts=True)
    del every
    suspects = values[counts > 1]
    if suspects.size == 0:
        return pd.Series([], dtype="int64")
    found = []
    for frame in read_batches(path, [customer_col], batch_rows):
        ids, given = _given_ids(frame[customer_col])
        hashed = pd.util.hash_pandas_object(ids[given], index=False).to_numpy()
        found.append(ids[given][np.isin(hashed, suspects)])
    counted = pd.concat(found).value_counts()
    return counted[counted > 1]


def _given_ids(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The normalised ids of a batch (as the screening reads them, integers as int64 so that
    every batch hashes them alike) and which rows have one."""
    ids, missing, not_whole = table_ids(raw)
    given = ~(missing | not_whole)
    if ids.dtype == "Int64":  # exact: through float64, ids above 2**53 would be rounded
        ids = pd.Series(ids.to_numpy("int64", na_value=0), index=ids.index)
    return ids, given


class RejectsSpool:
    """The rejects CSV written batch by batch to a temporary file beside ``target``, to be moved
    into place by :func:`clvmodel._files.write_together` (see :meth:`move_to`)."""

    def __init__(self, target, customer_col: str):
        folder = Path(target).parent if str(Path(target).parent) else Path(".")
        try:
            handle, name = tempfile.mkstemp(prefix=f".{Path(target).name}.", suffix=".part",
                                            dir=folder)  # fmt: skip
        except OSError as exc:
            raise InputError(f"cannot write {str(target)!r}: {exc.strerror}.") from exc
        self.path = Path(name)
        self._file = os.fdopen(handle, "w", encoding="utf-8", newline="")
        pd.DataFrame(columns=["row", customer_col, "reason"]).to_csv(self._file, index=False)
        self.count = 0
        self.reasons: Counter = Counter()

    def add(self, rejects: pd.DataFrame, offset: int) -> None:
        """Append ``rejects`` (rows numbered within their batch) as rows ``offset + row``."""
        if rejects.empty:
            return
        rejects.assign(row=rejects["row"] + offset).to_csv(self._file, index=False, header=False)
        self.count += len(rejects)
        self.reasons.update(rejects["reason"])

    def move_to(self, temporary: Path) -> None:
        """A writer for ``write_together``: the finished spool becomes its temporary file."""
        self._file.close()
        os.replace(self.path, temporary)

    def discard(self) -> None:
        """Close and remove the spool (after a failure, or after :meth:`move_to`)."""
        self._file.close()
        self.path.unlink(missing_ok=True)


class DistinctRows:
    """Distinct rows of equal-column tables added batch by batch, with their counts, in order of
    first appearance in the whole stream (the order the models' own compression would give)."""

    def __init__(self):
        self._counts: dict = {}
        self._dtypes = None

    def add(self, frame: pd.DataFrame) -> None:
        """Count the rows of ``frame`` (numeric columns)."""
        if self._dtypes is None:
            self._dtypes = frame.dtypes.to_dict()
        if frame.empty:
            return
        arrays = [frame[c].to_numpy() for c in frame.columns]
        first, counts = count_rows(*(a.astype("float64") for a in arrays))
        keys = zip(*(a[first].tolist() for a in arrays), strict=True)
        for key, n in zip(keys, counts.tolist(), strict=True):
            self._counts[key] = self._counts.get(key, 0.0) + n

    def table(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The distinct rows and how many rows each stands for."""
        frame = pd.DataFrame(list(self._counts), columns=list(self._dtypes or []))
        return frame.astype(self._dtypes or {}), np.fromiter(self._counts.values(), "float64")
