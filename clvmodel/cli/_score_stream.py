"""Streaming scores for ``clvmodel score``: batch after batch into a CSV or Parquet file, or
into PostgreSQL tables swapped in together."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np

from clvmodel._files import write_together
from clvmodel.errors import InputError


def scored_tables(batches, total, bundle, horizon, discount, margin, naive, interval=None):
    """Score batch after batch (``horizon`` a :class:`~clvmodel._units.Duration`, also the CLV's
    period): Arrow tables with ``customer_id`` first, a progress bar on a terminal when ``total``
    is known."""
    # Looked up on _batch at call time, so that patching _batch.score_customers takes effect.
    from clvmodel.cli import _batch

    show_progress = total is not None and sys.stderr.isatty()
    bar = None
    if show_progress:
        bar = click.progressbar(
            length=total, label="scoring", file=sys.stderr, show_pos=True, show_eta=True
        )
        bar.__enter__()
    try:
        for rfm in batches:
            no_amounts = "monetary_value" not in rfm.columns  # a log read without amounts
            if no_amounts:
                rfm = rfm.assign(monetary_value=0.0)
            table = _batch.score_customers(
                bundle.bg,
                bundle.gg,
                rfm,
                horizon=horizon,
                discount_rate=discount,
                margin=margin,
                naive_clv=naive,
                interval=interval,
            )
            if no_amounts:
                table["monetary_value"] = float("nan")
            table.index.name = "customer_id"
            yield _arrow_table(table)
            if show_progress:
                bar.update(len(table))
    finally:
        if show_progress:
            bar.__exit__(None, None, None)


def _arrow_table(table):
    """``pa.Table.from_pandas(table.reset_index(), preserve_index=False)``, the same table with
    the same schema and pandas metadata; with a numeric index and numpy columns, the columns are
    handed to Arrow without the copies ``reset_index`` and ``from_pandas`` make."""
    import pyarrow as pa

    frame_columns = [table[name] for name in table.columns]
    if table.index.dtype.kind not in "iuf" or any(
        not isinstance(c.dtype, np.dtype) or c.dtype.kind not in "iuf" for c in frame_columns
    ):
        return pa.Table.from_pandas(table.reset_index(), preserve_index=False)
    # The schema of an empty slice: its pandas metadata depends on the dtypes only, here.
    schema = pa.Table.from_pandas(table.iloc[:0].reset_index(), preserve_index=False).schema
    arrays = [table.index.to_numpy(), *(c.to_numpy() for c in frame_columns)]
    # NaN becomes null, as from_pandas makes it; a column without NaN is taken without a copy.
    return pa.Table.from_arrays(
        [pa.array(a, from_pandas=a.dtype.kind == "f" and np.isnan(a).any()) for a in arrays],
        schema=schema,
    )


def stream_scores(
    batches,
    total,
    output,
    bundle,
    horizon,
    discount,
    margin,
    naive,
    rejects_path=None,
    rejected=None,
    interval=None,
):
    """Score batch after batch into ``output`` and write ``rejected`` to ``rejects_path``: both
    files replace the previous pair together, or neither does; returns the number scored."""
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    suffix = Path(output).suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise InputError(f"cannot tell the output format of {output!r}; use .csv or .parquet.")
    scored = 0

    def write(temporary: Path) -> None:
        nonlocal scored
        writer = None
        try:
            tables = scored_tables(
                batches, total, bundle, horizon, discount, margin, naive, interval
            )
            for arrow in tables:
                if writer is None:
                    writer = (
                        pa_csv.CSVWriter(temporary, arrow.schema)
                        if suffix == ".csv"
                        # Dictionary encoding buys nothing on float columns and costs time.
                        else pq.ParquetWriter(temporary, arrow.schema, use_dictionary=False)
                    )
                writer.write_table(arrow)
                scored += arrow.num_rows
            if writer is None:
                raise InputError("there is no valid customer to score.")
        finally:
            if writer is not None:
                writer.close()

    items = [(output, write)]
    if rejects_path is not None:
        items.append((rejects_path, lambda tmp: rejected.to_csv(tmp, index=False)))
    write_together(items)
    return scored


def stream_scores_to_postgres(
    tables, uri, output_table, rejects_table, rejected, customer_type, if_exists
):
    """Write the scored ``tables`` and the ``rejected`` rows as two PostgreSQL tables, swapped
    in together inside one transaction; returns the number scored."""
    import itertools

    import pyarrow as pa

    from clvmodel._postgres_write import TableSpec, postgres_type, write_tables

    first = next(tables, None)
    if first is None:
        raise InputError("there is no valid customer to score.")
    id_type = postgres_type(first.schema.field("customer_id").type, customer_type)
    columns = [
        (name, id_type if name == "customer_id" else postgres_type(first.schema.field(name).type))
        for name in first.column_names
    ]
    rejects = pa.Table.from_pandas(rejected.reset_index(drop=True), preserve_index=False)
    reject_columns = [  # the id first, under INPUT's name for it
        (name, id_type if i == 0 else postgres_type(rejects.schema.field(name).type))
        for i, name in enumerate(rejects.column_names)
    ]
    counts = write_tables(
        uri,
        [
            TableSpec(output_table, columns, itertools.chain([first], tables)),
            TableSpec(rejects_table, reject_columns, [rejects]),
        ],
        if_exists,
    )
    return counts[output_table]
