"""``clvmodel report --segment-column`` and ``--cac-file``: segments read as text alike from
CSV and Parquet files, checked per customer, and the CAC of each segment."""

from __future__ import annotations

import numpy as np
import pandas as pd

import clvmodel as clv
from clvmodel._reading import date_option, read_dates, whole_id_text
from clvmodel._reading_text import examples, trimmed_text_list
from clvmodel._table_ids import table_ids
from clvmodel.io import read_table


def cac_table(path: str, segment_column: str | None) -> dict:
    """--cac-file: one row per segment, its first column the segment and a ``cac`` column."""
    if segment_column is None:
        raise clv.InputError(
            f"--cac-file {path} gives a CAC per segment; say which column of TRANSACTIONS holds "
            "each customer's segment with --segment-column (e.g. --segment-column channel)."
        )
    table = read_table(path)
    names = {str(c).strip().lower(): c for c in table.columns}
    cost = names.get("cac", names.get("acquisition_cost"))
    if cost is None or len(table.columns) != 2:
        raise clv.InputError(
            f"--cac-file {path} must have two columns, the segment and 'cac' (one row per "
            f"segment, e.g. 'channel,cac' then 'web,25'); it has {list(map(str, table.columns))}."
        )
    keys = segment_texts(table[next(c for c in table.columns if c != cost)])
    if keys.isna().any():
        rows = [int(i) + 1 for i in np.flatnonzero(keys.isna())]
        raise clv.InputError(
            f"--cac-file {path}: row(s) {examples(rows)} (counting data rows from 1) have no "
            f"segment; give each row the segment it prices.{NO_SEGMENT}"
        )
    values = pd.to_numeric(table[cost], errors="coerce")
    bad = keys[(values.isna() | (values < 0)).to_numpy()].tolist()
    if bad:
        raise clv.InputError(
            f"--cac-file {path}: the CAC of segment(s) {bad[:5]} is missing, not a number or "
            "negative; give an amount ≥ 0 for each segment."
        )
    if keys.duplicated().any():
        raise clv.InputError(
            f"--cac-file {path} lists segment(s) {keys[keys.duplicated()].tolist()[:5]} twice."
        )
    return dict(zip(keys, values.astype(float), strict=True))


#: Why a segment written as a missing-value text is refused (the reading rule of every route).
NO_SEGMENT = (
    " A text that means a missing value ('NA', 'N/A', 'null', 'None', ..., in any case) is no "
    "segment: name such a segment otherwise (North America, say)."
)


def segment_texts(values: pd.Series) -> pd.Series:
    """Segments as text trimmed of white space, None where missing: null, NaN, empty or a
    missing-value text in any case, as a CSV file is read, whatever the file's format; a whole
    number as ids are (text "1.0" is "1", as the number 1.0 of a Parquet column reads)."""
    codes, uniques = pd.factorize(values)  # read once per distinct value; missing: -1
    texts = [None if t is None else t.strip() for t in trimmed_text_list(uniques)]
    texts = [whole_id_text(t) for t in texts]
    texts = trimmed_text_list(texts)  # " \tNA " is "NA" once the tab is gone: missing too
    return pd.Series(np.array([*texts, None], dtype=object)[codes], index=values.index)


def up_to_end(table: pd.DataFrame, date_col: str, date_format, observation_end) -> pd.Series:
    """Which rows fall on or before --observation-end (all when it is not given, or when the
    dates do not read: the report then says what is wrong with them)."""
    everything = pd.Series(True, index=table.index)
    if observation_end is None:
        return everything
    try:  # the dates as the report reads them
        dates = read_dates(table[date_col], date_format, date_col)
        end = date_option(observation_end, "observation_end", date_format)
    except clv.InputError:
        return everything
    end_day = int(np.datetime64(end.to_datetime64(), "D").astype("int64"))
    return pd.Series(dates.missing | (dates.day <= end_day), index=table.index)


def segments_as_text(table: pd.DataFrame, names, dates, cac) -> None:
    """--segment-column as text (as the segments of --cac-file), in place, checked: fixed per
    customer, given for every customer up to --observation-end, and every segment there priced
    by --cac-file (when given)."""
    source, column, customer_col = names
    if column not in table.columns:
        raise clv.InputError(
            f"--segment-column {column!r} is not a column of {source}; its columns are "
            f"{list(map(str, table.columns))}."
        )
    table[column] = segment_texts(table[column])
    in_period = up_to_end(table, *dates)
    ids = table_ids(table[customer_col])[0]
    segment = table[column]
    changing = segment.groupby(ids.to_numpy(), sort=False).nunique(dropna=False) > 1
    if changing.any():
        raise clv.InputError(
            f"--segment-column {column!r} changes within {int(changing.sum())} customer(s) of "
            f"{source} (for example {list(changing.index[changing][:3])}); give a column that is "
            "fixed per customer, such as the acquisition channel."
        )
    empty = segment.isna() & in_period & ids.notna()
    if empty.any():
        customers = pd.unique(ids[empty])
        raise clv.InputError(
            f"--segment-column {column!r} is empty for {len(customers)} customer(s) of {source} "
            f"(for example {list(customers[:5])}); give every customer a segment.{NO_SEGMENT}"
        )
    cac_file, costs = cac
    if cac_file is None:
        return
    missing = sorted(set(segment[in_period].dropna()) - set(costs), key=str)
    if missing:
        raise clv.InputError(
            f"--cac-file {cac_file} has no CAC for segment(s) {missing[:5]} of --segment-column "
            f"{column!r}; add a row for each (it lists {sorted(costs, key=str)[:5]})."
        )
