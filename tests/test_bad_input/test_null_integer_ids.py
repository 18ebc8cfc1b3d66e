"""Integer ids with a null, across the reading routes: they stay exact integers.

An int64 Parquet id column with a null was widened to float64 by the reader itself, and then
refused whole as "too large to be held exactly" (``plan``, ``evaluate``, ``report``,
``subscriptions``): ``read_table``, ``rfm_from_file``, the subscription batches and the command
line keep such ids exact and leave out (or reject) the row without an id.
"""

from __future__ import annotations

import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from cli_run import error_line, run_cli

import clvmodel as clv
from clvmodel._reading import MISSING_ID
from clvmodel._subscription_stream import read_batches

END = "1997-09-30"
BIG = 2**60  # ids 2**60 + 1 and 2**60 + 2 are one float64 (its spacing there is 256)
INEXACT = "too large to be held exactly"


def _big_id_table(tx: pd.DataFrame, missing_row: int | None) -> pa.Table:
    """``tx`` with int64 ids 2**60 + k (k the customer's number) and, optionally, a null id."""
    codes = pd.factorize(tx["customer_id"])[0]
    ids = [BIG + int(k) + 1 for k in codes]
    if missing_row is not None:
        ids[missing_row] = None
    return pa.table(
        {"customer_id": pa.array(ids, pa.int64()), "date": pa.array(tx["date"].dt.date),
         "amount": pa.array(tx["amount"])}
    )  # fmt: skip


def test_read_table_keeps_integer_ids_with_a_null_exact(tmp_path):
    path = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"customer_id": pa.array([BIG + 1, None, BIG + 2], pa.int64()),
                             "small": pa.array([1, None, 3], pa.uint16()),
                             "plain": pa.array([1, 2, 3], pa.int64())}), path)  # fmt: skip
    frame = clv.read_table(path)
    assert frame["customer_id"].dtype == "Int64"
    assert frame["customer_id"].isna().tolist() == [False, True, False]
    assert int(frame["customer_id"].iloc[0]) == BIG + 1
    assert int(frame["customer_id"].iloc[2]) == BIG + 2
    assert frame["small"].dtype == "UInt16"
    assert frame["plain"].dtype == "int64"  # columns without a null are as before


def test_rfm_from_file_keeps_big_ids_apart_and_leaves_out_the_null_row(cdnow_small_log, tmp_path):
    path = tmp_path / "log.parquet"
    pq.write_table(_big_id_table(cdnow_small_log, missing_row=3), path)
    rfm = clv.rfm_from_file(path, observation_end=END, on_invalid="drop")
    whole = pq.read_table(path).column("customer_id").drop_null().to_pylist()
    assert sorted(int(i) for i in rfm.index) == sorted(set(whole))
    # The same log with text ids: the same customers, the same histories.
    text = cdnow_small_log.assign(
        customer_id=[
            str(i) if i is not None else None
            for i in _big_id_table(cdnow_small_log, 3).column(0).to_pylist()
        ]
    )
    reference = clv.rfm_summary(text, observation_end=END, on_invalid="drop")
    ours = rfm.set_axis(rfm.index.astype("int64").astype(str))
    pd.testing.assert_frame_equal(
        ours.loc[reference.index], reference, check_index_type=False, check_dtype=False
    )


def test_plan_on_big_ids_with_a_null_says_the_id_is_missing_not_too_large(
    published_models, cdnow_small_log, tmp_path
):
    path = tmp_path / "log.parquet"
    pq.write_table(_big_id_table(cdnow_small_log, missing_row=3), path)
    result = run_cli(
        "plan", published_models, path, "--observation-end", END, "-o", tmp_path / "plan.csv"
    )
    line = error_line(result)
    assert (
        INEXACT not in line and "no customer id" in line and "data rows 4 counted from 1" in line
    ), line
    # Without the null row the ids are kept exact through to the output.
    clean = tmp_path / "clean.parquet"
    pq.write_table(_big_id_table(cdnow_small_log.drop(index=3), None), clean)
    result = run_cli(
        "plan", published_models, clean, "--observation-end", END, "-o", tmp_path / "p.csv"
    )
    assert result.exit_code == 0, result.output
    planned = pd.read_csv(tmp_path / "p.csv", dtype={"customer_id": str})
    assert planned["customer_id"].map(int).min() > BIG
    assert (
        planned["customer_id"].nunique() == cdnow_small_log.drop(index=3)["customer_id"].nunique()
    )


def test_read_batches_give_exact_nullable_integers_in_every_batch(tmp_path):
    path = tmp_path / "subs.parquet"
    ids = [BIG + 1, BIG + 2, BIG + 3, None, BIG + 5, BIG + 6]
    pq.write_table(pa.table({"customer_id": pa.array(ids, pa.int64())}), path)
    batches = list(read_batches(path, ["customer_id"], batch_rows=3))
    assert [b["customer_id"].dtype for b in batches] == ["Int64", "Int64"]  # no null in the first
    values = pd.concat(batches)["customer_id"].tolist()
    assert [None if v is pd.NA else int(v) for v in values] == ids


def test_subscriptions_score_keeps_neighbouring_big_ids_and_rejects_the_null(tmp_path):
    sbg = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.5})
    model = sbg.save(tmp_path / "sbg.json")
    n = 12
    ids = [BIG + 1 + i for i in range(n)]  # neighbours: one float64 for every 256 of them
    ids[5] = None
    start = [datetime.date(2023, 1, 1) + datetime.timedelta(days=30 * i) for i in range(n)]
    end = [None if i % 3 else datetime.date(2024, 3, 1) for i in range(n)]
    path = tmp_path / "subs.parquet"
    pq.write_table(
        pa.table(
            {
                "customer_id": pa.array(ids, pa.int64()),
                "start": pa.array(start),
                "end": pa.array(end, pa.date32()),
                "price": [10.0] * n,
            }
        ),
        path,
    )
    output = tmp_path / "scores.parquet"
    result = run_cli("subscriptions", "score", model, path, "-o", output, "--observation-end",
                     "2024-06-30", "--batch-size", 4, "--billing-period", "M")  # fmt: skip
    assert result.exit_code == 0, result.output
    scores = pd.read_parquet(output)
    assert sorted(int(i) for i in scores.index) == sorted(i for i in ids if i is not None)
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv")
    assert rejects["reason"].tolist() == [MISSING_ID]
