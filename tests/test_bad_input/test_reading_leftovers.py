"""Reading defects found by the command-line hunt (notes/hunt_cli):

1. An int64 Parquet id column with a null was widened to float64 by the reader itself, and then
   refused whole as "too large to be held exactly" (plan, evaluate, report, subscriptions).
2. ``date_format`` turned typed date and timestamp columns into text and read them with the
   pattern, so that every row was rejected.
3. ``clvmodel plan -o missing/plan.csv`` failed only after reading its input.
4. With every RFM row rejected, the error listed five reasons and said nothing of the others.
5. Command-line wording: no "or a datetime", patterns a shell would split quoted, the two
   patterns of an ambiguous column quoted alike.
"""

from __future__ import annotations

import datetime
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_run import error_line, run_cli

import clvmodel as clv
from clvmodel._reading import MISSING_ID
from clvmodel._subscription_stream import read_batches
from clvmodel.cli._guard import cli_words
from clvmodel.engine import TransactionSource
from clvmodel.models.bundle import ModelBundle

# Published CDNOW estimates (Fader, Hardie and Lee 2005): a models file without fitting.
BG = {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}
GG = {"p": 6.25, "q": 3.74, "v": 15.44}
END = "1997-09-30"
BIG = 2**60  # ids 2**60 + 1 and 2**60 + 2 are one float64 (its spacing there is 256)
INEXACT = "too large to be held exactly"


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reading_leftovers")
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    return ModelBundle(bg, clv.GammaGammaModel.from_params(GG)).save(folder / "models.json")


@pytest.fixture(scope="module")
def small_log():
    tx = clv.datasets.load_cdnow_sample()
    first = sorted(tx["customer_id"].unique())[:60]
    return tx[tx["customer_id"].isin(first)].reset_index(drop=True)


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


# ---------------------------------------------------------------------------------------------
# 1. Integer ids with a null stay exact integers


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


def test_rfm_from_file_keeps_big_ids_apart_and_leaves_out_the_null_row(small_log, tmp_path):
    path = tmp_path / "log.parquet"
    pq.write_table(_big_id_table(small_log, missing_row=3), path)
    rfm = clv.rfm_from_file(path, observation_end=END, on_invalid="drop")
    whole = pq.read_table(path).column("customer_id").drop_null().to_pylist()
    assert sorted(int(i) for i in rfm.index) == sorted(set(whole))
    # The same log with text ids: the same customers, the same histories.
    text = small_log.assign(
        customer_id=[
            str(i) if i is not None else None
            for i in _big_id_table(small_log, 3).column(0).to_pylist()
        ]
    )
    reference = clv.rfm_summary(text, observation_end=END, on_invalid="drop")
    ours = rfm.set_axis(rfm.index.astype("int64").astype(str))
    pd.testing.assert_frame_equal(
        ours.loc[reference.index], reference, check_index_type=False, check_dtype=False
    )


def test_plan_on_big_ids_with_a_null_says_the_id_is_missing_not_too_large(
    model, small_log, tmp_path
):
    path = tmp_path / "log.parquet"
    pq.write_table(_big_id_table(small_log, missing_row=3), path)
    result = run_cli("plan", model, path, "--observation-end", END, "-o", tmp_path / "plan.csv")
    line = error_line(result)
    assert (
        INEXACT not in line and "no customer id" in line and "data rows 4 counted from 1" in line
    ), line
    # Without the null row the ids are kept exact through to the output.
    clean = tmp_path / "clean.parquet"
    pq.write_table(_big_id_table(small_log.drop(index=3), None), clean)
    result = run_cli("plan", model, clean, "--observation-end", END, "-o", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    planned = pd.read_csv(tmp_path / "p.csv", dtype={"customer_id": str})
    assert planned["customer_id"].map(int).min() > BIG
    assert planned["customer_id"].nunique() == small_log.drop(index=3)["customer_id"].nunique()


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


# ---------------------------------------------------------------------------------------------
# 2. date_format is for text dates: typed dates are read as they are


def test_date_format_leaves_typed_dates_alone_in_rfm_summary(small_log):
    reference = clv.rfm_summary(small_log, observation_end=END)
    as_dates = small_log.assign(date=small_log["date"].dt.date)  # object column of dates
    for frame in (small_log, as_dates):
        got = clv.rfm_summary(frame, observation_end=END, date_format="%d/%m/%Y")
        pd.testing.assert_frame_equal(got, reference)


def test_date_format_reads_the_text_of_a_column_mixing_dates_and_texts(small_log):
    reference = clv.rfm_summary(small_log, observation_end=END)
    mixed = small_log["date"].dt.date.astype(object)
    odd = small_log.index % 2 == 1
    mixed[odd] = small_log.loc[odd, "date"].dt.strftime("%d/%m/%Y")
    got = clv.rfm_summary(small_log.assign(date=mixed), observation_end=END,
                          date_format="%d/%m/%Y")  # fmt: skip
    pd.testing.assert_frame_equal(got, reference)


@pytest.mark.parametrize("typed", ["date32", "timestamp"])
def test_date_format_leaves_typed_dates_alone_in_the_engine_and_score(
    model, small_log, tmp_path, typed
):
    path = tmp_path / f"{typed}.parquet"
    dates = small_log["date"].dt.date if typed == "date32" else small_log["date"]
    small_log.assign(date=dates).to_parquet(path, index=False)
    plain = TransactionSource(path, observation_end=END).rfm().sort_index()
    formatted = TransactionSource(path, observation_end=END, date_format="%d/%m/%Y").rfm()
    formatted = formatted.sort_index()
    assert len(plain) == small_log["customer_id"].nunique()
    pd.testing.assert_frame_equal(formatted, plain)
    outputs = {}
    for name, extra in (("plain", []), ("formatted", ["--date-format", "%d/%m/%Y"])):
        outputs[name] = tmp_path / f"{typed}_{name}.csv"
        result = run_cli("score", model, path, "-o", outputs[name], "--observation-end", END,
                         *extra)  # fmt: skip
        assert result.exit_code == 0, result.output
    scored = {name: pd.read_csv(o, dtype={"customer_id": str}).sort_values("customer_id",
                                                                    ignore_index=True)
              for name, o in outputs.items()}  # fmt: skip
    assert len(scored["plain"]) == small_log["customer_id"].nunique()
    pd.testing.assert_frame_equal(scored["formatted"], scored["plain"])


def test_plan_with_a_date_format_reads_a_typed_log(model, small_log, tmp_path):
    path = tmp_path / "log.parquet"
    small_log.to_parquet(path, index=False)
    outputs = {}
    for name, extra in (("plain", []), ("formatted", ["--date-format", "%d/%m/%Y"])):
        outputs[name] = tmp_path / f"plan_{name}.csv"
        result = run_cli("plan", model, path, "--observation-end", "30/09/1997",
                         "-o", outputs[name], *extra)  # fmt: skip
        assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_csv(outputs["formatted"]),
                                  pd.read_csv(outputs["plain"]))  # fmt: skip


def test_the_ambiguous_option_says_date_format_reads_the_log_too(model, small_log, tmp_path):
    path = tmp_path / "log.csv"
    small_log.to_csv(path, index=False)
    result = run_cli("score", model, path, "-o", tmp_path / "s.csv", "--observation-end",
                     "03/04/1997")  # fmt: skip
    line = error_line(result, forbidden=("date_format=",))
    assert "Write it as 'YYYY-MM-DD'" in line
    assert "the log's text dates are then read with that format as well" in line, line
    assert "to say how to read it" not in line


# ---------------------------------------------------------------------------------------------
# 3. plan checks its output folder before any work


def test_plan_refuses_a_missing_output_folder_up_front(model, tmp_path):
    output = tmp_path / "missing" / "plan.csv"
    # The input does not exist either: the output is checked first, as score and fit do.
    result = run_cli("plan", model, tmp_path / "absent.csv", "-o", output)
    line = error_line(result)
    assert "-o/--output" in line and "does not exist; create it first" in line, line
    assert "absent.csv" not in line


# ---------------------------------------------------------------------------------------------
# 4. Every RFM row rejected: the reasons not listed are counted


def test_an_rfm_table_with_every_row_rejected_counts_the_unlisted_reasons(model, tmp_path):
    rows = [
        ("a1", "", 1, 5, 10), ("a2", "", 1, 5, 10), ("a3", "", 1, 5, 10),  # missing value
        ("b1", -1, 1, 5, 10), ("b2", -1, 1, 5, 10),  # frequency below 0
        ("c1", 1, 6, 5, 10), ("c2", 1, 6, 5, 10),  # recency > T
        ("d1", 0, 2, 5, 10),  # recency without repeat purchases
        ("e1", 1, -2, 5, 10),  # negative recency
        ("f1", 2, 0, 5, 10),  # repeat buyer with recency 0
        ("g1", 1, 2, 5, -10),  # negative monetary value
    ]  # fmt: skip
    table = tmp_path / "rfm.csv"
    pd.DataFrame(rows, columns=["customer_id", "frequency", "recency", "T", "monetary_value"]
                 ).to_csv(table, index=False)  # fmt: skip
    result = run_cli("score", model, table, "-o", tmp_path / "s.csv")
    line = error_line(result)
    assert f"none of the {len(rows)} rows" in line, line
    shown = [int(n) for n in re.findall(r"[;:] (\d+) ", line)]
    assert len(shown) == 5
    assert "; and 2 row(s) for 2 other reason(s)" in line, line
    assert sum(shown) + 2 == len(rows)


# ---------------------------------------------------------------------------------------------
# 5. Command-line wording


def test_an_unreadable_option_date_on_the_cli_names_the_cli_form(model, small_log, tmp_path):
    path = tmp_path / "log.csv"
    small_log.to_csv(path, index=False)
    for written, shown in (("Sep 30 1997", "'Sep 30 1997'"), ("31/02/1997", "31/02/1997")):
        result = run_cli("score", model, path, "-o", tmp_path / "s.csv",
                         "--observation-end", written)  # fmt: skip
        line = error_line(result)
        assert "datetime" not in line and "'YYYY-MM-DD'" in line, line
        assert f"--observation-end {shown} is not a date" in line, line
    # The Python API keeps its own words: a datetime is an answer there.
    with pytest.raises(clv.InputError, match="or a datetime"):
        clv.rfm_summary(small_log, observation_end="Sep 30 1997")


def test_patterns_a_shell_would_split_or_offered_in_pairs_are_quoted():
    month_names = (
        "no value in column 'date' is a date in a format clvmodel reads without being told "
        "(for example '18 Jan 1997'); pass date_format= with a strftime pattern, e.g. "
        "date_format='%d %b %Y' for '05 Jan 2025', or write dates as YYYY-MM-DD."
    )
    assert "e.g. --date-format '%d %b %Y' for '05 Jan 2025'" in cli_words(month_names)
    both = (
        "no value settles it; pass date_format='%d/%m/%Y' (day first) or '%m/%d/%Y' (month first)."
    )
    assert cli_words(both) == (
        "no value settles it; pass --date-format '%d/%m/%Y' (day first) or '%m/%d/%Y' "
        "(month first)."
    )
    assert cli_words("pass date_format='%Y%m%d' for 19970101.") == (
        "pass --date-format %Y%m%d for 19970101."
    )


def test_the_month_name_and_ambiguous_column_messages_on_the_cli(model, small_log, tmp_path):
    named = tmp_path / "named.csv"
    small_log.assign(date=small_log["date"].dt.strftime("%d %b %Y")).to_csv(named, index=False)
    line = error_line(run_cli("score", model, named, "-o", tmp_path / "s.csv"))
    assert "--date-format '%d %b %Y'" in line, line
    both_ways = small_log[small_log["date"].dt.day <= 12]
    ambiguous = tmp_path / "ambiguous.csv"
    both_ways.assign(date=both_ways["date"].dt.strftime("%d/%m/%Y")).to_csv(ambiguous, index=False)
    line = error_line(run_cli("score", model, ambiguous, "-o", tmp_path / "s.csv"))
    assert "--date-format '%d/%m/%Y' (day first) or '%m/%d/%Y' (month first)" in line, line
    assert np.all(both_ways["date"].dt.day <= 12)
