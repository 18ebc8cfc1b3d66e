"""``date_format`` is for text dates: typed date and timestamp columns are read as they are.

``date_format`` turned typed date and timestamp columns into text and read them with the pattern,
so that every row was rejected: ``rfm_summary``, the DuckDB engine, ``score`` and ``plan`` now
read typed dates as they are, and only the text values with the pattern.
"""

from __future__ import annotations

import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.engine import TransactionSource

END = "1997-09-30"


def test_date_format_leaves_typed_dates_alone_in_rfm_summary(cdnow_small_log):
    reference = clv.rfm_summary(cdnow_small_log, observation_end=END)
    as_dates = cdnow_small_log.assign(
        date=cdnow_small_log["date"].dt.date
    )  # object column of dates
    for frame in (cdnow_small_log, as_dates):
        got = clv.rfm_summary(frame, observation_end=END, date_format="%d/%m/%Y")
        pd.testing.assert_frame_equal(got, reference)


def test_date_format_reads_the_text_of_a_column_mixing_dates_and_texts(cdnow_small_log):
    reference = clv.rfm_summary(cdnow_small_log, observation_end=END)
    mixed = cdnow_small_log["date"].dt.date.astype(object)
    odd = cdnow_small_log.index % 2 == 1
    mixed[odd] = cdnow_small_log.loc[odd, "date"].dt.strftime("%d/%m/%Y")
    got = clv.rfm_summary(cdnow_small_log.assign(date=mixed), observation_end=END,
                          date_format="%d/%m/%Y")  # fmt: skip
    pd.testing.assert_frame_equal(got, reference)


@pytest.mark.parametrize("typed", ["date32", "timestamp"])
def test_date_format_leaves_typed_dates_alone_in_the_engine_and_score(
    published_models, cdnow_small_log, tmp_path, typed
):
    path = tmp_path / f"{typed}.parquet"
    dates = cdnow_small_log["date"].dt.date if typed == "date32" else cdnow_small_log["date"]
    cdnow_small_log.assign(date=dates).to_parquet(path, index=False)
    plain = TransactionSource(path, observation_end=END).rfm().sort_index()
    formatted = TransactionSource(path, observation_end=END, date_format="%d/%m/%Y").rfm()
    formatted = formatted.sort_index()
    assert len(plain) == cdnow_small_log["customer_id"].nunique()
    pd.testing.assert_frame_equal(formatted, plain)
    outputs = {}
    for name, extra in (("plain", []), ("formatted", ["--date-format", "%d/%m/%Y"])):
        outputs[name] = tmp_path / f"{typed}_{name}.csv"
        result = run_cli("score", published_models, path, "-o", outputs[name],
                         "--observation-end", END, *extra)  # fmt: skip
        assert result.exit_code == 0, result.output
    scored = {name: pd.read_csv(o, dtype={"customer_id": str}).sort_values("customer_id",
                                                                    ignore_index=True)
              for name, o in outputs.items()}  # fmt: skip
    assert len(scored["plain"]) == cdnow_small_log["customer_id"].nunique()
    pd.testing.assert_frame_equal(scored["formatted"], scored["plain"])


def test_plan_with_a_date_format_reads_a_typed_log(published_models, cdnow_small_log, tmp_path):
    path = tmp_path / "log.parquet"
    cdnow_small_log.to_parquet(path, index=False)
    outputs = {}
    for name, extra in (("plain", []), ("formatted", ["--date-format", "%d/%m/%Y"])):
        outputs[name] = tmp_path / f"plan_{name}.csv"
        result = run_cli("plan", published_models, path, "--observation-end", "30/09/1997",
                         "-o", outputs[name], *extra)  # fmt: skip
        assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_csv(outputs["formatted"]),
                                  pd.read_csv(outputs["plain"]))  # fmt: skip
