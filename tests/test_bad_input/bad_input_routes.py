"""Run one transaction log through every reading route and compare what they give.

Routes: ``rfm_summary`` on the DataFrame, ``rfm_from_file`` on a CSV and on a Parquet copy, and
the DuckDB engine (``TransactionSource``) on the CSV, and the engine on a PostgreSQL table
holding the frame (when PostgreSQL and its driver are installed; see tests/postgres). Each result
is an RFM table with its index as text (a CSV has no types: integer ids come back as text there),
or the exception raised.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import clvmodel as clv
from clvmodel.engine import TransactionSource

ROUTES = ("frame", "csv", "parquet", "duckdb", "postgres")


def _postgres_uri() -> str | None:
    """The session's PostgreSQL server (tests/postgres/pg_server.py), None when not installed."""
    import sys
    from pathlib import Path

    folder = str(Path(__file__).resolve().parents[1] / "postgres")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    from pg_server import shared_server

    server = shared_server()
    return None if server is None else server.uri


def _postgres_route(frame: pd.DataFrame, options: dict):
    """The PostgreSQL route: ``frame`` loaded as a table (its Arrow types), read by the engine;
    None when there is no server or no driver (the supported-floor job installs neither extra),
    or the frame cannot be a table (mixed object column)."""
    import importlib.util

    if importlib.util.find_spec("adbc_driver_postgresql") is None:
        return None
    import adbc_driver_postgresql.dbapi as dbapi
    import pyarrow as pa

    uri = _postgres_uri()
    if uri is None:
        return None
    try:
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
    except Exception:  # e.g. an object column of ints and texts, as for Parquet
        return None
    connection = _loading_connection(dbapi, uri)
    try:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bad_input_log")
            cursor.adbc_ingest("bad_input_log", arrow, mode="create")
        connection.commit()
    except Exception:
        _LOADERS.pop(uri, None)
        connection.close()
        raise
    # The DuckDB connection of the DuckDB route reads the spool when the server does not do the
    # work: a new one per log would cost more than the queries.
    return TransactionSource(uri, table="bad_input_log", connection=_duckdb_connection(), **options)


_LOADERS: dict = {}


def _loading_connection(dbapi, uri: str):
    """One connection per server that loads the logs (connecting costs more than loading one),
    closed at exit before the server stops (atexit runs in reverse order of registration)."""
    if uri not in _LOADERS:
        import atexit

        _LOADERS[uri] = dbapi.connect(uri)
        atexit.register(_close_loading_connection, uri)
    return _LOADERS[uri]


def _close_loading_connection(uri: str) -> None:
    connection = _LOADERS.pop(uri, None)
    if connection is not None:
        connection.close()


_DUCKDB: list = []


def _duckdb_connection():
    """One DuckDB connection for every log read by the DuckDB route: a new in-memory database
    costs more than the queries on these small logs, and each source replaces the temporary
    views and the registered table of the one before."""
    if not _DUCKDB:
        from clvmodel.engine import connect

        _DUCKDB.append(connect())
    return _DUCKDB[0]


def _normal(rfm: pd.DataFrame) -> pd.DataFrame:
    """``rfm`` with its index as text, sorted, columns in name order; its attrs kept."""
    normal = rfm.copy()
    normal.index = normal.index.map(str)
    normal = normal.sort_index()[sorted(normal.columns)]
    normal.attrs = dict(rfm.attrs)
    return normal


def run_routes(frame: pd.DataFrame, folder, routes=ROUTES, **options) -> dict:
    """``{route: RFM table or exception}``; ``options`` go to every route (``on_invalid`` only to
    the pandas ones: the engine always rejects rows)."""
    csv = folder / "log.csv"
    frame.to_csv(csv, index=False)
    results = {}
    engine_options = {k: v for k, v in options.items() if k not in ("on_invalid", "truncate")}
    for route in routes:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", clv.ClvWarning)
                if route == "frame":
                    result = clv.rfm_summary(frame, **options)
                elif route == "csv":
                    result = clv.rfm_from_file(csv, **options)
                elif route == "parquet":
                    parquet = folder / "log.parquet"
                    try:
                        frame.to_parquet(parquet, index=False)
                    except Exception:  # e.g. an object column of ints and texts
                        continue
                    result = clv.rfm_from_file(parquet, **options)
                else:
                    if route == "postgres":
                        source = _postgres_route(frame, engine_options)
                        if source is None:
                            continue
                    else:
                        source = TransactionSource(
                            csv, connection=_duckdb_connection(), **engine_options
                        )
                    counts = source.check_usable()
                    rejects = source.rejects()
                    counts["no_valid_customers"] = int(
                        (rejects["reason"] == "no valid transaction").sum()
                    )
                    result = source.rfm()
                    result.attrs["counts"] = counts
            results[route] = _normal(result)
        except Exception as exc:  # noqa: BLE001 - the comparison is the point
            results[route] = exc
    return results


def assert_same_tables(results: dict, reference: pd.DataFrame | None = None) -> None:
    """Every route gave a table, all equal (to ``reference`` too when given)."""
    tables = {route: r for route, r in results.items()}
    failures = {route: r for route, r in tables.items() if isinstance(r, BaseException)}
    assert not failures, f"routes raised: {failures}"
    first_route, first = next(iter(tables.items()))
    if reference is not None:
        first, first_route = _normal(reference), "reference"
    for route, table in tables.items():
        assert list(table.index) == list(first.index), f"{route} vs {first_route}: customers"
        for column in first.columns:
            np.testing.assert_allclose(
                table[column].to_numpy(float),
                first[column].to_numpy(float),
                rtol=1e-12,
                err_msg=f"{route} vs {first_route}: {column}",
            )


def assert_all_raise(results: dict, *phrases: str) -> None:
    """Every route raised an InputError whose message contains each phrase."""
    for route, result in results.items():
        assert isinstance(result, clv.InputError), f"{route} gave {result!r}"
        for phrase in phrases:
            assert phrase in str(result), f"{route}: {phrase!r} not in {result}"
