"""A small CSV log is sniffed once: the dialect DuckDB found is written out when its columns are
read (``clvmodel._duck.column_types``) and used by every later query
(``clvmodel._duck.settle_csv_dialect``); it reads exactly what detection reads."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel import _duck
from clvmodel._duck import column_types, connect, relation_sql, settle_csv_dialect
from clvmodel._rfm_source import RfmSource


def _settled(path, connection=None):
    connection = connection or connect()
    relation = relation_sql(path)
    columns = column_types(connection, relation)
    return connection, relation, columns, settle_csv_dialect(relation, columns)


def test_a_small_csv_log_is_read_once_and_a_large_one_as_before(tmp_path, monkeypatch):
    """Each view over ``read_csv`` with detection on sniffed and parsed the file again at every
    query (19 ms for each sniff of a 6,920-row file): a small log is now read once, with the
    dialect written out, into a temporary table under the views; a log over 4 MiB is still read
    by the views, with detection on."""
    path = tmp_path / "log.csv"
    path.write_text("customer_id;date;amount\na;2024-01-02;3,5\nb;2024-01-05;2\na;2024-02-01;1\n")

    def view_and_rejects():
        log = clv.engine.open_transaction_log(path)
        try:
            (view,) = log.connection.execute(
                "SELECT sql FROM duckdb_views() WHERE view_name = 'clv_typed'"
            ).fetchall()[0]
            tables = log.connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            return view, [t[0] for t in tables], log.rejects()
        finally:
            log.connection.close()

    view, tables, rejects = view_and_rejects()
    assert "read_csv" not in view and "clv_typed_rows" in view, view
    assert tables == ["clv_typed_rows"]
    assert rejects["amount"].tolist() == ["3,5"]  # the semicolon file read as detection reads it
    monkeypatch.setattr(_duck, "_SETTLED_CSV_BYTES", path.stat().st_size - 1)
    view, tables, large = view_and_rejects()
    assert "read_csv" in view and "auto_detect" not in view and tables == [], view
    pd.testing.assert_frame_equal(large, rejects)


def test_an_rfm_file_is_sniffed_once_too(tmp_path):
    path = tmp_path / "rfm.csv"
    path.write_text("customer_id|frequency|recency|T|monetary_value\na|1|3|5|10\nb|0|0|4|0\n")
    source = RfmSource(path)
    try:
        (view,) = source.connection.execute(
            "SELECT sql FROM duckdb_views() WHERE view_name = 'clv_rfm_input'"
        ).fetchall()[0]
    finally:
        source.connection.close()
    assert re.search(r"auto_detect = (false|CAST\('f' AS BOOLEAN\))", view), view
    assert "delim = '|'" in view, view


def test_other_inputs_large_files_and_the_columns_of_another_input_are_left_alone(
    tmp_path, monkeypatch
):
    """With detection off DuckDB estimates ~42 rows of any CSV file and, on a 78 MB log, built
    its joins on the wrong side (fit 8.1 s -> 12.5 s): files over 4 MiB keep detection on."""
    path = tmp_path / "log.parquet"
    pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"], "amount": [1.0]}).to_parquet(path)
    connection = connect()
    relation = relation_sql(path)
    assert settle_csv_dialect(relation, column_types(connection, relation)) is relation
    path = tmp_path / "log.csv"
    path.write_text("customer_id,date,amount\na,2024-01-01,1\n")
    relation = relation_sql(path)
    columns = column_types(connection, relation)
    assert "auto_detect" in settle_csv_dialect(relation, columns)
    plain = {"customer_id": "VARCHAR", "date": "VARCHAR", "amount": "VARCHAR"}
    assert settle_csv_dialect(relation, plain) is relation
    other = tmp_path / "other.csv"
    other.write_text("customer_id,date,amount\nb,2024-01-01,2\n")
    assert settle_csv_dialect(relation_sql(other), columns) == relation_sql(other)
    monkeypatch.setattr(_duck, "_SETTLED_CSV_BYTES", path.stat().st_size - 1)
    columns = column_types(connection, relation)
    assert columns == plain
    assert settle_csv_dialect(relation, columns) is relation


_CELLS = st.text(alphabet=st.sampled_from(list("ab1 ;,|\t\"'.-\n#")), max_size=6)


@pytest.fixture(scope="module")
def examples_connection():
    """One DuckDB connection for every example below: a new database costs more than sniffing
    and reading a small file, and each example reads a new file (its own folder), which the
    connection has not sniffed before."""
    connection = connect()
    yield connection
    connection.close()


@settings(max_examples=60)
@given(
    rows=st.lists(st.tuples(_CELLS, _CELLS, _CELLS), min_size=1, max_size=12),
    delimiter=st.sampled_from([",", ";", "|", "\t"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    line_ending=st.sampled_from(["\n", "\r\n"]),
    byte_order_mark=st.booleans(),
    blank_lines=st.sampled_from(["", "\n", "\n\n"]),
)
def test_the_settled_dialect_reads_what_detection_reads(
    tmp_path_factory,
    examples_connection,
    rows,
    delimiter,
    quoting,
    line_ending,
    byte_order_mark,
    blank_lines,
):
    """Any small CSV file DuckDB can read (values with delimiters, quotes, line breaks or a
    comment sign, a byte-order mark, blank lines at the end): the same rows, or the same
    failure, with the sniffed dialect written out as with detection on."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, quoting=quoting, lineterminator=line_ending)
    writer.writerow(["customer_id", "date", "amount"])
    writer.writerows(rows)
    content = ("\ufeff" if byte_order_mark else "") + text.getvalue() + blank_lines
    path = tmp_path_factory.mktemp("dialect") / "log.csv"
    path.write_text(content, encoding="utf-8")
    try:
        connection, relation, columns, settled = _settled(path, examples_connection)
    except clv.InputError:
        return  # a file the reader refuses before any dialect is settled
    described = connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    assert list(columns.items()) == [(row[0], row[1]) for row in described]
    detected = _rows(connection, relation)
    assert _rows(connection, settled) == detected


def _rows(connection, relation):
    try:
        return connection.execute(f"SELECT * FROM {relation}").fetchall()
    except Exception as exc:  # noqa: BLE001 - DuckDB's own error types
        return type(exc).__name__


_ODD_FILES = {
    "lines before the header": "report of 2024\n\ncustomer_id,date,amount\na,2024-01-01,1\n",
    "a comment line": "customer_id,date,amount\n# a comment\na,2024-01-01,1\nb,2024-01-02,2\n",
    "carriage returns only": "customer_id,date,amount\ra,2024-01-01,1\rb,2024-01-02,2\r",
    "blank lines between rows": "customer_id,date,amount\na,2024-01-01,1\n\n\nb,2024-01-02,2\n",
    "a quoted line break": 'customer_id,date,amount\n"a\nb",2024-01-01,1\nc,2024-01-02,"2,5"\n',
    "a header only": "customer_id,date,amount\n",
    "a repeated column name": "id,date,date,amount\na,2024-01-01,x,1\n",
    "a nameless column": "customer_id,,amount\na,2024-01-01,1\n",
    "a trailing delimiter": "customer_id,date,amount,\na,2024-01-01,1,\n",
    "single and double quotes": "customer_id,date,amount\n'a',2024-01-01,1\n\"b\",2024-01-02,2\n",
}


@pytest.mark.parametrize("content", _ODD_FILES.values(), ids=_ODD_FILES.keys())
def test_odd_files_read_the_same_with_the_settled_dialect(tmp_path, content):
    path = tmp_path / "log.csv"
    path.write_text(content, encoding="utf-8")
    try:
        connection, relation, columns, settled = _settled(path)
    except clv.InputError:  # refused as before: the same check runs on the same columns
        return
    described = connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    assert list(columns.items()) == [(row[0], row[1]) for row in described]
    assert _rows(connection, settled) == _rows(connection, relation)


@pytest.mark.parametrize("kind", ["log", "rfm"])
def test_score_reads_a_small_csv_on_one_connection_sniffed_once(tmp_path, monkeypatch, kind):
    """``clvmodel score`` asked what its INPUT holds (a log or RFM rows) on a DuckDB connection
    of its own, sniffing the file there, then opened a second connection and sniffed it again to
    read it: 34-38 ms of a 150-170 ms score of the CDNOW sample. One connection now does both,
    and what it sniffed is kept for the file, as long as the connection is open."""
    import duckdb

    from tests.cli_run import run_cli

    log = tmp_path / "log.csv"
    rows = [(c, f"2024-0{m}-1{c}", 2.0 * m) for c in range(1, 7) for m in range(1, 2 + c % 3)]
    pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).to_csv(log, index=False)
    model, rfm = tmp_path / "model.json", tmp_path / "rfm.csv"
    assert run_cli("fit", log, "-o", model, "--time-unit", "D").returncode == 0
    summary = clv.rfm_summary(pd.read_csv(log), time_unit="D")
    summary.rename_axis("customer_id").reset_index().to_csv(rfm, index=False)
    connections, sniffs = [], []
    real_connect, real_sniff = duckdb.connect, _duck._sniffed_csv
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: connections.append(1) or real_connect())
    monkeypatch.setattr(_duck, "_sniffed_csv", lambda *a: sniffs.append(1) or real_sniff(*a))
    scored = run_cli("score", model, log if kind == "log" else rfm, "-o", tmp_path / "s.csv")
    assert scored.returncode == 0, scored.output
    assert (len(connections), len(sniffs)) == (1, 1)
    assert len(pd.read_csv(tmp_path / "s.csv")) == 6


def test_a_file_changed_on_an_open_connection_is_sniffed_again(tmp_path):
    """What a connection sniffed is kept by the file's size and time of change: a file
    rewritten with another delimiter is read with its new dialect, not the old one."""
    path = tmp_path / "log.csv"
    path.write_text("customer_id,date,amount\na,2024-01-02,3\n")
    connection = connect()
    try:
        first = column_types(connection, relation_sql(path))
        assert column_types(connection, relation_sql(path)).settled is first.settled
        path.write_text("customer_id;date;amount;note\na;2024-01-02;3;x\nb;2024-01-03;4;y\n")
        second = column_types(connection, relation_sql(path))
    finally:
        connection.close()
    assert list(first) == ["customer_id", "date", "amount"]
    assert list(second) == ["customer_id", "date", "amount", "note"]
    assert re.search(r"delim ?= ?';'", second.settled), second.settled
