"""A segment written as a missing-value text (``NA``, ``n/a``, `` null ``, any case) is missing,
never a segment of its own, in every route (module docstring of :mod:`clvmodel._reading`,
"Missing values"): ``clvmodel report`` reads a Parquet log and a Parquet --cac-file as it reads
CSV files, a --cac-file row without a segment is refused naming the row (not priced as a segment
"nan"), and the Python functions that take ``segments`` (``net_clv``, ``cac_payback``,
``naive_vs_model``, ``build_report``, ``naive_clv``, ``clv_table``, ``unit_economics_summary``)
read such text in a DataFrame as missing too."""

import numpy as np
import pandas as pd
import pytest
from cli_run import error_line, run_cli
from figure_stubs import embed_figures_as_pixels

import clvmodel as clv
from clvmodel._reading_text import missing_text_mask, missing_texts_as_nan
from clvmodel.economics import cac_payback, naive_vs_model, net_clv

CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"
#: Written as pandas writes them to CSV and as a Parquet file or a database holds them.
MISSING_WORDS = ["NA", " n/a ", "null", "None", "#N/A"]


def _tiny_log(channel_of_third: str) -> pd.DataFrame:
    """Six customers, two purchases each; the third customer's channel is ``channel_of_third``
    (the command refuses the segments before it fits anything, so the log can be this small)."""
    ids = [f"c{i}" for i in range(6)]
    channels = ["web", "store", channel_of_third, "web", "store", "web"]
    return pd.DataFrame(
        {
            "customer_id": np.repeat(ids, 2),
            "date": ["1997-03-01", "1997-12-01"] * 6,
            "amount": np.linspace(10.0, 21.0, 12),
            "channel": np.repeat(channels, 2),
        }
    )


def _report(log_path, cac_path, out) -> str:
    result = run_cli(
        "report", log_path, "--calibration-end", CALIBRATION_END, "--segment-column", "channel",
        "--cac-file", cac_path, "-o", out,
    )  # fmt: skip
    assert result.returncode != 0 and not out.exists()
    return error_line(result)


# ---------------------------------------------------------------------------------------------
# 1. clvmodel report: a Parquet log reads a missing-value segment as a CSV log does


@pytest.mark.parametrize("word", MISSING_WORDS)
def test_parquet_log_refuses_a_missing_value_segment_as_the_csv_log_does(tmp_path, word):
    log = _tiny_log(word)
    csv_log, parquet_log = tmp_path / "seg.csv", tmp_path / "seg.parquet"
    log.to_csv(csv_log, index=False)
    log.to_parquet(parquet_log, index=False)
    cac = tmp_path / "cac.csv"
    pd.DataFrame({"channel": ["web", "store"], "cac": [10.0, 20.0]}).to_csv(cac, index=False)
    lines = {
        kind: _report(path, cac, tmp_path / f"{kind}.html")
        for kind, path in (("csv", csv_log), ("parquet", parquet_log))
    }
    expected = "--segment-column 'channel' is empty for 1 customer(s) of {} (for example ['c2'])"
    assert expected.format(csv_log) in lines["csv"]
    assert expected.format(parquet_log) in lines["parquet"]
    assert lines["parquet"].replace(str(parquet_log), str(csv_log)) == lines["csv"]


def test_parquet_log_with_number_segments_is_priced_by_a_csv_cac_file(tmp_path, monkeypatch):
    """Segments read as text alike from both formats: a Parquet column of 1.0 and 2.0 is the
    segments "1" and "2" that a CSV --cac-file (and a CSV log) writes, not "1.0" and "2.0"."""
    embed_figures_as_pixels(monkeypatch)  # the report's figures are not what is checked here
    tx = clv.datasets.load_cdnow_sample()
    ids = tx["customer_id"].unique()
    channel = dict(zip(ids, np.where(np.arange(ids.size) % 2, 1.0, 2.0), strict=True))
    log = tmp_path / "seg.parquet"
    tx.assign(channel=tx["customer_id"].map(channel)).to_parquet(log, index=False)
    cac = tmp_path / "cac.csv"
    cac.write_text("channel,cac\n1,10\n2,20\n")
    out = tmp_path / "r.html"
    result = run_cli(
        "report", log, "--calibration-end", CALIBRATION_END, "--segment-column", "channel",
        "--cac-file", cac, "--drop-duplicates", "-o", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.exists()


# ---------------------------------------------------------------------------------------------
# 2. clvmodel report: a --cac-file row without a segment


@pytest.mark.parametrize(
    ("kind", "word"),
    [("csv", "NA"), ("csv", ""), ("csv", "N/A "), ("parquet", "NA"), ("parquet", " null ")]
    + [("parquet", None)],
)
def test_cac_file_row_without_a_segment_is_refused_naming_the_row(tmp_path, kind, word):
    log = tmp_path / "seg.csv"
    _tiny_log("shop").to_csv(log, index=False)  # a segment the file does not price, either
    cac = tmp_path / f"cac.{kind}"
    table = pd.DataFrame({"channel": ["web", word, "store"], "cac": [10.0, 30.0, 20.0]})
    table.to_csv(cac, index=False) if kind == "csv" else table.to_parquet(cac, index=False)
    line = _report(log, cac, tmp_path / "r.html")
    assert f"--cac-file {cac}: row(s) 2 (counting data rows from 1) have no segment" in line
    assert "[nan" not in line and "'nan'" not in line


def test_cac_file_row_named_na_is_no_segment_of_a_parquet_log(tmp_path):
    """Both files Parquet, both saying "NA" (once priced as a segment "NA"): refused at the
    --cac-file's row, before any customer is valued."""
    log = tmp_path / "seg.parquet"
    _tiny_log("NA").to_parquet(log, index=False)
    cac = tmp_path / "cac.parquet"
    table = pd.DataFrame({"channel": ["web", "store", "NA"], "cac": [10.0, 20.0, 30.0]})
    table.to_parquet(cac, index=False)
    line = _report(log, cac, tmp_path / "r.html")
    assert f"--cac-file {cac}: row(s) 3 " in line


# ---------------------------------------------------------------------------------------------
# 3. The Python API: a DataFrame's missing-value texts are no segment


@pytest.fixture(scope="module")
def fitted():
    """The CDNOW sample up to the calibration end, with a channel per customer, and its fits."""
    tx = clv.datasets.load_cdnow_sample().drop_duplicates(["customer_id", "date", "amount"])
    ids = tx["customer_id"].unique()
    channel = pd.Series(np.where(np.arange(ids.size) % 2, "web", "store"), index=ids)
    tx["channel"] = tx["customer_id"].map(channel)
    rfm = clv.rfm_summary(tx, observation_end=CALIBRATION_END)
    rfm["channel"] = channel.reindex(rfm.index)
    return tx, rfm, clv.BetaGeoModel().fit(rfm), clv.GammaGammaModel().fit(rfm)


def _with_word(values: pd.Series, rows, word: str) -> pd.Series:
    """``values`` (as objects) with ``word`` where ``rows`` (a boolean mask) is True."""
    return values.astype(object).where(~np.asarray(rows), word)


@pytest.mark.parametrize("word", ["NA", " n/a ", " null ", "NONE"])
@pytest.mark.parametrize("as_column", [True, False])
def test_net_clv_and_cac_payback_read_missing_value_texts_as_no_segment(fitted, word, as_column):
    _, rfm, bg, gg = fitted
    rfm = rfm.assign(channel=_with_word(rfm["channel"], np.arange(len(rfm)) < 3, word))
    segments = "channel" if as_column else rfm["channel"]
    cac = {"web": 10.0, "store": 20.0, word: 5.0}  # a price for it does not make it a segment
    for call in (
        lambda: net_clv(bg, gg, rfm, "12M", segments=segments),
        lambda: cac_payback(bg, gg, rfm, cac, "12M", segments=segments),
    ):
        with pytest.raises(clv.InputError, match=r"segments has no value for 3 customer\(s\)") as e:
            call()
        assert "'NA', 'N/A' or 'null' means no value" in str(e.value)  # why, in the message


def test_net_clv_reads_a_categorical_missing_value_text_as_no_segment(fitted):
    _, rfm, bg, gg = fitted
    channel = _with_word(rfm["channel"], np.arange(len(rfm)) < 2, "N/A").astype("category")
    with pytest.raises(clv.InputError, match=r"segments has no value for 2 customer\(s\)"):
        net_clv(bg, gg, rfm.assign(channel=channel), "12M", segments="channel")


def test_net_clv_keeps_segments_without_missing_value_texts(fitted):
    _, rfm, bg, gg = fitted
    table = net_clv(bg, gg, rfm, "12M", segments="channel")
    assert table["segment"].tolist() == rfm["channel"].tolist()


@pytest.mark.parametrize("as_column", [True, False])
def test_naive_vs_model_reads_missing_value_texts_as_no_segment(fitted, as_column):
    tx, rfm, bg, gg = fitted
    named = rfm.index[:4]
    tx = tx.assign(channel=_with_word(tx["channel"], tx["customer_id"].isin(named), "#N/A"))
    segments = "channel" if as_column else _with_word(rfm["channel"], rfm.index.isin(named), "#N/A")
    with pytest.raises(clv.InputError, match=r"segments has no value for 4 customer\(s\)"):
        naive_vs_model(bg, gg, tx, CALIBRATION_END, HOLDOUT_END, segments)


def test_naive_vs_model_calls_an_na_row_of_a_labelled_customer_a_gap(fitted):
    """A customer whose rows say "web" and "NA" has one segment, missing on some rows; it does
    not change between two segments."""
    tx, _, bg, gg = fitted
    first = tx["customer_id"].iloc[0]
    rows = tx.index[tx["customer_id"] == first]
    assert len(rows) > 1
    tx = tx.assign(channel=_with_word(tx["channel"], tx.index.isin(rows[1:]), "na"))
    with pytest.raises(clv.InputError, match=r"missing on some rows of 1 customer\(s\)"):
        naive_vs_model(bg, gg, tx, CALIBRATION_END, HOLDOUT_END, "channel")


@pytest.mark.parametrize("as_column", [True, False])
def test_build_report_reads_missing_value_texts_as_no_segment(fitted, as_column):
    tx, rfm, _, _ = fitted
    named = rfm.index[:5]
    tx = tx.assign(channel=_with_word(tx["channel"], tx["customer_id"].isin(named), " N/A "))
    segments = (
        "channel" if as_column else _with_word(rfm["channel"], rfm.index.isin(named), " N/A ")
    )
    with pytest.raises(clv.InputError, match=r"segments has no value for 5 customer\(s\)"):
        clv.build_report(tx, CALIBRATION_END, segments=segments, drop_duplicates=True)


# ---------------------------------------------------------------------------------------------
# 4. The other functions that group or look up by segment: naive_clv(segment_col=),
# clv_table(segments=), unit_economics_summary(by=); and the shared reading helpers


def _as_csv_reads_it(frame: pd.DataFrame, folder) -> pd.DataFrame:
    path = folder / "table.csv"
    frame.to_csv(path, index=False)
    return clv.read_table(path)


@pytest.mark.parametrize("word", MISSING_WORDS)
def test_naive_clv_reads_a_missing_value_segment_as_a_csv_file_does(word, tmp_path):
    log = _tiny_log(word)
    # before: a segment of its own named after the text, while the CSV route refused
    with pytest.raises(clv.InputError) as from_frame:
        clv.naive_clv(log, lifespan=1.0, segment_col="channel")
    with pytest.raises(clv.InputError) as from_csv:
        clv.naive_clv(_as_csv_reads_it(log, tmp_path), lifespan=1.0, segment_col="channel")
    assert str(from_frame.value) == str(from_csv.value)


def test_naive_clv_keeps_other_segments():
    table = clv.naive_clv(_tiny_log("mail"), lifespan=1.0, segment_col="channel")
    assert sorted(table.index) == ["mail", "store", "web"]


@pytest.mark.parametrize("word", MISSING_WORDS)
def test_unit_economics_summary_asks_for_a_value_instead_of_grouping_the_text(word):
    table = pd.DataFrame(
        {
            "segment": ["web", word, "web"],
            "net_clv": [30.0, 10.0, 5.0],
            "acquisition_cost": [10.0, 10.0, 10.0],
            "payback_periods": [2.0, 5.0, np.nan],
            "paid_back": [True, True, False],
        }
    )
    with pytest.raises(clv.InputError, match="has no value for 1 customer"):
        clv.unit_economics_summary(table)
    assert clv.unit_economics_summary(table.assign(segment="web")).index.tolist() == ["web"]


@pytest.mark.parametrize("word", MISSING_WORDS)
def test_clv_table_refuses_a_segment_written_as_missing_as_it_refuses_nan(
    word, fitted_bg, fitted_gg, cdnow_rfm
):
    naive = pd.DataFrame({"naive_clv": [50.0, 80.0]}, index=pd.Index(["web", "NA"]))
    segments = pd.Series("web", index=cdnow_rfm.index, dtype=object)
    segments.iloc[3] = word
    # before: the text was looked up as the segment "NA" of the naive table (priced at 80)
    with pytest.raises(clv.InputError, match="segments has no value for 1 customer"):
        clv.clv_table(fitted_bg, fitted_gg, cdnow_rfm, "12M", naive=naive, segments=segments)


def test_missing_text_mask_agrees_with_read_table_on_a_csv_file(tmp_path):
    values = pd.Series(["web", " NA", "n/a ", "Null", "", None, "N.A.", "nan", "store", "<NA>"])
    read = _as_csv_reads_it(pd.DataFrame({"v": values, "k": 1}), tmp_path)
    read_as_csv = read["v"].isna().to_numpy()
    assert missing_text_mask(values).tolist() == read_as_csv.tolist()
    cleaned = missing_texts_as_nan(values)
    assert cleaned.isna().tolist() == read_as_csv.tolist()
    assert cleaned[~cleaned.isna()].tolist() == ["web", "N.A.", "store"]
    numbers = pd.Series([1.0, np.nan])
    assert missing_texts_as_nan(numbers) is numbers
