"""DECIMAL customer ids (a Snowflake NUMBER or Spark DecimalType export, DECIMAL(38,0)) are exact
at any size: read as written, never through a float, on the DuckDB routes for RFM tables and
transaction logs (they were rejected as "too large" floats, or two merged into one)."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from clvmodel._reading import ID_NOT_WHOLE
from clvmodel._rfm_source import RfmSource
from clvmodel.engine import TransactionSource

ROWS = {"frequency": [2.0, 1.0, 0.0, 1.0], "recency": [10.0, 5.0, 0.0, 4.0],
        "T": [30.0, 20.0, 25.0, 12.0], "monetary_value": [20.0, 15.0, 0.0, 9.0]}  # fmt: skip


def _write(path, ids, type_, columns):
    table = {"customer_id": pa.array(ids, type_), **{k: pa.array(v) for k, v in columns.items()}}
    pq.write_table(pa.table(table), path)
    return path


def test_rfm_decimal_ids_beyond_2_53_stay_apart_and_as_written(tmp_path):
    ids = [Decimal(2**53), Decimal(2**53 + 1), Decimal(10**30), Decimal("0")]
    path = _write(tmp_path / "rfm.parquet", ids, pa.decimal128(38, 0), ROWS)
    source = RfmSource(path)
    assert len(source.rejects()) == 0
    scored = [i for batch in source.batches(time_unit="W") for i in batch.index]
    assert sorted(scored) == sorted(str(i) for i in ids)


def test_rfm_decimal_ids_with_a_scale_are_whole_or_rejected(tmp_path):
    ids = [Decimal("3.00"), Decimal("7.50"), Decimal("12.00"), Decimal("-4.00")]
    path = _write(tmp_path / "rfm.parquet", ids, pa.decimal128(10, 2), ROWS)
    source = RfmSource(path)
    rejects = source.rejects()
    assert rejects["reason"].tolist() == [ID_NOT_WHOLE]
    assert rejects["customer_id"].tolist() == ["7.50"]  # shown as written
    scored = [i for batch in source.batches(time_unit="W") for i in batch.index]
    assert sorted(scored) == ["-4", "12", "3"]


def test_log_decimal_ids_beyond_2_53_are_customers_not_rejects(tmp_path):
    ids = [Decimal(2**53), Decimal(2**53 + 1), Decimal(2**53)]
    columns = {"date": ["2025-01-01", "2025-01-02", "2025-02-01"], "amount": [1.0, 2.0, 3.0]}
    path = _write(tmp_path / "log.parquet", ids, pa.decimal128(38, 0), columns)
    source = TransactionSource(path, observation_end="2025-06-30")
    assert len(source.rejects()) == 0
    rfm = source.rfm()
    assert sorted(rfm.index) == [str(2**53), str(2**53 + 1)]
    assert rfm.loc[str(2**53), "frequency"] == 1
