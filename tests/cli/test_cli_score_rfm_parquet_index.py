"""An RFM table written to Parquet with its index (``clv.write_table(clv.rfm_summary(log), ...)``,
``rfm.to_parquet(...)``): ``score`` and ``plan`` find the customer ids in the column the file's
pandas metadata names (``index_columns``), and score it as the same table written to CSV.

``score`` stopped with "no customer column 'customer_id' ... Name the right ones with
--customer-col, --date-col and --amount-col" (it looked only for a CSV file's nameless first
column, and named options an RFM table has no use for); ``plan`` wrote the ids under an empty
or another name, and numbered the rows of a table without ids as if they were customers.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from cli_run import error_line, run_cli
from rfm_rows import BG, GG, REPEATED, ROWS

import clvmodel as clv
from clvmodel import _rfm_source
from clvmodel.models.bundle import ModelBundle

#: How each Parquet file is written: (writer, index name).
WRITERS = {
    "write_table": ("write_table", None),  # __index_level_0__, as write_table writes rfm_summary
    "to_parquet_unnamed": ("to_parquet", None),
    "to_parquet_named": ("to_parquet", "shopper"),
    "to_parquet_customer_id": ("to_parquet", "customer_id"),
}
#: Words of a transaction log, which an RFM table's message must not name.
LOG_WORDS = ("--date-col", "--amount-col", "date column", "amount column")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rfm_parquet_index")
    log = clv.datasets.load_cdnow_sample()
    log = log[log["customer_id"].isin(log["customer_id"].unique()[:150])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)  # the sample repeats a few rows exactly
        rfm = clv.rfm_summary(log, observation_end="1997-09-30", time_unit="W")
    assert rfm.index.name is None  # as rfm_summary gives it
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    paths = {
        "folder": folder,
        "model": ModelBundle(bg, clv.GammaGammaModel.from_params(GG)).save(folder / "m.json"),
        "csv": folder / "rfm.csv",
    }
    rfm.to_csv(paths["csv"])  # the ids in a nameless first column: the route that worked
    for name, (writer, index_name) in WRITERS.items():
        paths[name] = folder / f"{name}.parquet"
        table = rfm.rename_axis(index_name)
        if writer == "write_table":
            clv.write_table(table, paths[name])
        else:
            table.to_parquet(paths[name])
    return paths, rfm


def _scores(paths, input_path, name, *options):
    output = paths["folder"] / f"{name}.csv"
    result = run_cli("score", paths["model"], input_path, "-o", output, *options)
    assert result.exit_code == 0, result.output
    return pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id").sort_index()


def _plan(paths, input_path, name):
    output = paths["folder"] / f"plan_{name}.csv"
    result = run_cli("plan", paths["model"], input_path, "-o", output, "--horizon", "39W")
    assert result.exit_code == 0, result.output
    return pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id").sort_index()


def test_the_index_column_is_the_one_the_pandas_metadata_names(files):
    paths, _ = files
    assert _rfm_source.parquet_index_column(paths["write_table"]) == "__index_level_0__"
    assert _rfm_source.parquet_index_column(paths["to_parquet_unnamed"]) == "__index_level_0__"
    assert _rfm_source.parquet_index_column(paths["to_parquet_named"]) == "shopper"
    assert _rfm_source.parquet_index_column(paths["csv"]) is None


def test_no_index_column_without_one_stored(tmp_path):
    frame = pd.DataFrame(ROWS)
    frame.to_parquet(tmp_path / "range.parquet")  # a RangeIndex: metadata only, no column
    frame.to_parquet(tmp_path / "none.parquet", index=False)
    two = frame.set_index([pd.Index(["a", "b", "c"]), pd.Index([1, 2, 3])])
    two.to_parquet(tmp_path / "two.parquet")  # two levels: no one id column
    for name in ("range", "none", "two"):
        assert _rfm_source.parquet_index_column(tmp_path / f"{name}.parquet") is None, name
    (tmp_path / "bad.parquet").write_text("not parquet")
    assert _rfm_source.parquet_index_column(tmp_path / "bad.parquet") is None
    assert _rfm_source.parquet_index_column(tmp_path / "missing.parquet") is None


@pytest.mark.parametrize("name", list(WRITERS))
def test_score_reads_the_ids_of_a_parquet_index_as_the_csv_route(files, name):
    paths, rfm = files
    expected = _scores(paths, paths["csv"], "from_csv")
    scores = _scores(paths, paths[name], name)
    assert len(scores) == len(rfm) == 150
    assert sorted(scores.index) == sorted(rfm.index.astype(str))
    pd.testing.assert_frame_equal(scores, expected, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("name", ["write_table", "to_parquet_named"])
def test_plan_reads_the_same_ids_under_the_customer_column(files, name):
    paths, rfm = files
    expected = _plan(paths, paths["csv"], "from_csv")
    plan = _plan(paths, paths[name], name)  # the ids written as customer_id, as from the CSV
    assert sorted(plan.index) == sorted(rfm.index.astype(str))
    pd.testing.assert_frame_equal(plan, expected, check_exact=False, rtol=1e-12)


def test_a_column_named_customer_id_still_wins_over_the_index(tmp_path):
    frame = pd.DataFrame({"customer_id": ["a", "b", "c"], **ROWS}, index=[7, 8, 9])
    frame.to_parquet(tmp_path / "both.parquet")  # the index holds row numbers, not ids
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    model = ModelBundle(bg, clv.GammaGammaModel.from_params(GG)).save(tmp_path / "m.json")
    result = run_cli("score", model, tmp_path / "both.parquet", "-o", tmp_path / "s.csv")
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(tmp_path / "s.csv")["customer_id"]) == ["a", "b", "c"]


def test_repeated_ids_in_a_parquet_index_are_rejected_as_in_a_column(tmp_path):
    frame = pd.DataFrame(ROWS, index=pd.Index(["3", "3", "5977"], name="shopper"))
    frame.to_parquet(tmp_path / "twice.parquet")
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    model = ModelBundle(bg, clv.GammaGammaModel.from_params(GG)).save(tmp_path / "m.json")
    result = run_cli("score", model, tmp_path / "twice.parquet", "-o", tmp_path / "s.csv")
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(tmp_path / "s.csv", dtype=str)["customer_id"]) == ["5977"]
    rejects = pd.read_csv(tmp_path / "s.rejects.csv", dtype=str)
    assert rejects[["customer_id", "reason"]].values.tolist() == [["3", REPEATED]] * 2


@pytest.fixture()
def no_ids(tmp_path):
    """An RFM table without ids (a RangeIndex, which pandas stores as metadata only)."""
    pd.DataFrame(ROWS).to_parquet(tmp_path / "no_ids.parquet")
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    model = ModelBundle(bg, clv.GammaGammaModel.from_params(GG)).save(tmp_path / "m.json")
    return model, tmp_path / "no_ids.parquet"


@pytest.mark.parametrize("command", ["score", "plan"])
def test_a_table_without_ids_is_refused_naming_what_an_rfm_table_needs(no_ids, tmp_path, command):
    model, table = no_ids
    line = error_line(run_cli(command, model, table, "-o", tmp_path / "out.csv"), LOG_WORDS)
    assert "has no customer id column 'customer_id'" in line, line
    assert "--customer-col" in line and "index pandas stores in a Parquet file" in line, line
    assert "'frequency', 'recency', 'T', 'monetary_value'" in line, line  # its columns
    assert not (tmp_path / "out.csv").exists()


def test_a_missing_rfm_column_is_named_with_the_names_an_rfm_table_needs(files, tmp_path):
    paths, rfm = files
    rfm.drop(columns="recency").to_parquet(tmp_path / "no_recency.parquet")
    result = run_cli(
        "score", paths["model"], tmp_path / "no_recency.parquet", "-o", tmp_path / "s.csv"
    )
    line = error_line(result, LOG_WORDS + ("customer id column",))  # the ids were found
    assert "has no column 'recency'" in line, line
    assert "must be named frequency, recency, T, monetary_value" in line, line
