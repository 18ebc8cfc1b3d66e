"""Issue 13, items 6 and 10: absurd amounts are rejects; unreadable ones get errors naming the
amount column; empty logs and an end before the data get their own messages.

1e308 used to score to infinity with "0 rejected"; "$12.50", "12,50", a header-only file and an
observation end before the data all said "no row has a readable date".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bad_input_routes import assert_all_raise, assert_same_tables, run_routes

import clvmodel as clv
from clvmodel.engine import TransactionSource


def _log(amounts, ids=None):
    n = len(amounts)
    return pd.DataFrame(
        {
            "customer_id": ids if ids is not None else ["a", "b"] * (n // 2) + ["a"] * (n % 2),
            "date": pd.date_range("2025-01-01", periods=n, freq="5D").strftime("%Y-%m-%d"),
            "amount": amounts,
        }
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (1e308, "amount beyond ±1e12"),
        (-1e13, "amount beyond ±1e12"),
        (np.inf, "amount is not finite"),
        (np.nan, "missing or non-numeric amount"),
        (-5.0, "negative amount"),
    ],
)
def test_absurd_amounts_are_rejects_with_reasons(tmp_path, value, reason):
    tx = _log([10.0, 20.0, value, 30.0, 40.0])
    with pytest.raises(clv.InputError, match="column 'amount'"):
        clv.rfm_summary(tx, observation_end="2025-06-30")
    rfm = clv.rfm_summary(tx, observation_end="2025-06-30", on_invalid="drop")
    assert rfm.attrs["rejected_rows"] == {reason: 1}
    assert np.isfinite(rfm.to_numpy()).all()
    parquet = tmp_path / "log.parquet"
    tx.to_parquet(parquet)
    pd.testing.assert_frame_equal(
        clv.rfm_from_file(parquet, observation_end="2025-06-30", on_invalid="drop"),
        rfm,
        check_like=True,
    )
    source = TransactionSource(parquet, observation_end="2025-06-30")
    assert source.rejects()["reason"].tolist() == [reason]
    assert np.isfinite(source.rfm().to_numpy()).all()


def test_text_amounts_agree_in_every_route(tmp_path):
    tx = _log(["10", " 20.5 ", "1e3", "+4", ".5", "inf", "1e308"])
    results = run_routes(tx, tmp_path, observation_end="2025-06-30", on_invalid="drop")
    assert_same_tables(results)
    frame = clv.rfm_summary(tx, observation_end="2025-06-30", on_invalid="drop")
    assert frame.attrs["rejected_rows"] == {
        "missing or non-numeric amount": 1,
        "amount beyond ±1e12": 1,
    }


@pytest.mark.parametrize(
    ("amounts", "phrase"),
    [
        (["$12.50", "$3.00", "$4.10"], "currency"),
        (["12.50 EUR", "3 EUR", "4 EUR"], "currency"),
        (["12,50", "3,00", "4,10"], "with a comma"),
        (["1,234.50", "3.00", "4.10"], "with a comma"),
    ],
)
def test_currency_and_decimal_commas_name_the_amount_column(tmp_path, amounts, phrase):
    results = run_routes(_log(amounts), tmp_path, observation_end="2025-06-30")
    assert_all_raise(results, "column 'amount'", phrase)
    for result in results.values():
        assert "readable date" not in str(result)


def test_header_only_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("customer_id,date,amount\n")
    with pytest.raises(clv.InputError, match="empty .a header but no rows"):
        clv.rfm_from_file(path)
    with pytest.raises(clv.InputError, match=r"no rows \(only a header\?\)"):
        TransactionSource(path).check_usable()


def test_observation_end_before_the_data(tmp_path):
    tx = _log([1.0, 2.0, 3.0])
    results = run_routes(tx, tmp_path, observation_end="2024-06-30")
    assert_all_raise(results, "before the first")
    for result in results.values():
        assert "readable date" not in str(result)


def _parquet_with_a_nan(path, column: str) -> None:
    """A log whose ``column`` (a DOUBLE) holds a real NaN, written by pyarrow as other tools do
    (pandas writes a missing float as null instead). Parquet writers leave NaN out of a column's
    min/max statistics, which stay finite here."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    values = {"customer_id": [1.0, 2.0, 3.0, 1.0], "amount": [5.0, 6.0, 7.0, 8.0]}
    values[column][1 if column == "customer_id" else 3] = np.nan  # every customer keeps a row
    days = pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-09"])
    table = pa.table(
        {
            "customer_id": pa.array(values["customer_id"], pa.float64()),
            "date": pa.array(days),
            "amount": pa.array(values["amount"], pa.float64()),
        }
    )
    pq.write_table(table, path)
    statistics = pq.read_metadata(path).row_group(0).column(table.schema.get_field_index(column))
    assert np.isfinite([statistics.statistics.min, statistics.statistics.max]).all()


@pytest.mark.parametrize(
    ("column", "reason"),
    [("amount", "missing or non-numeric amount"), ("customer_id", "missing customer id")],
)
def test_a_nan_in_a_parquet_double_column_is_a_reject_with_its_reason(tmp_path, column, reason):
    # DuckDB 2.0's isnan trusts the finite statistics and answers False for the NaN: the id's
    # NaN reached CAST(... AS BIGINT) (a ConversionException, "unexpected failure" on the command
    # line), and the amount's NaN was rejected as "amount beyond ±1e12".
    path = tmp_path / "log.parquet"
    _parquet_with_a_nan(path, column)
    source = TransactionSource(path, observation_end="2020-01-31")
    assert source.rejects()["reason"].tolist() == [reason]
    expected = clv.rfm_from_file(path, observation_end="2020-01-31", on_invalid="drop")
    assert expected.attrs["rejected_rows"] == {reason: 1}
    got = source.rfm()
    assert sorted(got.index.astype(str)) == sorted(expected.index.astype(str))
    np.testing.assert_allclose(
        got.sort_index().to_numpy(float), expected.sort_index().to_numpy(float), rtol=1e-12
    )


def test_a_nan_in_a_parquet_rfm_table_is_a_reject(tmp_path):
    """The same NaN in an RFM table read for scoring: 'value is not finite', not a valid row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from clvmodel.engine import RfmSource

    path = tmp_path / "rfm.parquet"
    columns = {
        "customer_id": pa.array(["a", "b", "c"]),
        "frequency": pa.array([0.0, 2.0, 3.0]),
        "recency": pa.array([0.0, 5.0, 9.0]),
        "T": pa.array([10.0, 12.0, 20.0]),
        "monetary_value": pa.array([0.0, np.nan, 4.0], pa.float64()),
    }
    pq.write_table(pa.table(columns), path)
    source = RfmSource(path)
    assert source.rejects()[["customer_id", "reason"]].values.tolist() == [
        ["b", "value is not finite"]
    ]
    assert source.counts() == {"rows": 3, "rejected_rows": 1}


def test_a_ragged_csv_row_is_refused_naming_its_line(tmp_path):
    # "1,234.50" unquoted gives its row a fourth field. Read with the columns asked for only,
    # pandas dropped the extra field and the amount became 1, silently; now the file is
    # refused, naming the line.
    path = tmp_path / "log.csv"
    path.write_text(
        "customer_id,date,amount\na,2020-01-01,10.00\na,2020-02-01,1,234.50\nb,2020-01-05,3\n"
    )
    with pytest.raises(clv.InputError, match="line 3 has 4 fields where the header has 3"):
        clv.rfm_from_file(path, observation_end="2020-06-30")
    with pytest.raises(clv.InputError, match="line 3 has 4 fields"):
        clv.read_table(path, columns=["customer_id", "date"])


@pytest.mark.parametrize(
    "text",
    [
        "customer_id;date;amount\na;2020-01-01;1.5\na;2020-02-01;2\nb;2020-01-05;3\n",
        "customer_id\tdate\tamount\na\t2020-01-01\t1.5\na\t2020-02-01\t2\nb\t2020-01-05\t3\n",
        "customer_id, date, amount\na, 2020-01-01, 1.5\na,2020-02-01,2\nb,2020-01-05,3\n",
    ],
    ids=["semicolon", "tab", "spaces after commas"],
)
def test_csv_dialects_read_alike_on_both_routes(tmp_path, text):
    # DuckDB's reader detects the separator and spaces after it; pandas read only commas, so
    # rfm_from_file refused files that the command line scored.
    path = tmp_path / "log.csv"
    path.write_text(text)
    python = clv.rfm_from_file(path, observation_end="2020-06-30", time_unit="D")
    engine = TransactionSource(path, observation_end="2020-06-30", time_unit="D").rfm()
    assert list(python.index) == ["a", "b"] and python.loc["a", "frequency"] == 1
    assert python.loc["a", "monetary_value"] == 2.0
    np.testing.assert_allclose(
        engine.loc[python.index, list(python.columns)].to_numpy(float), python.to_numpy(float)
    )


def test_a_log_without_an_amount_column_is_pointed_to_amount_col_none():
    log = pd.DataFrame({"customer_id": [1, 2], "date": ["2020-01-01", "2020-01-05"]})
    with pytest.raises(clv.InputError, match=r"amount_col=None for a log without amounts"):
        clv.rfm_summary(log)
