"""DuckDB engine: the same RFM as the pandas path, rejected rows with reasons, fitting inputs."""

import duckdb
import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel import _reading_sql
from clvmodel.engine import RfmSource, TransactionSource

RFM_COLUMNS = ["frequency", "recency", "T", "monetary_value"]


def _assert_same_rfm(engine_rfm, pandas_rfm):
    pandas_rfm = pandas_rfm.set_axis(pandas_rfm.index.astype(str))
    engine_rfm = engine_rfm.set_axis(engine_rfm.index.astype(str)).loc[pandas_rfm.index]
    assert len(engine_rfm) == len(pandas_rfm)
    for column in ["frequency", "recency", "T"]:
        np.testing.assert_array_equal(engine_rfm[column], pandas_rfm[column], err_msg=column)
    # Sums of floating-point amounts depend on the order of addition, which SQL leaves open.
    np.testing.assert_allclose(
        engine_rfm["monetary_value"], pandas_rfm["monetary_value"], rtol=1e-12
    )


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory, cdnow_sample, cdnow_log_files):
    tx = cdnow_sample
    csv, parquet = cdnow_log_files
    database = tmp_path_factory.mktemp("cdnow") / "tx.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.register("frame", tx)
        connection.execute("CREATE TABLE purchases AS SELECT * FROM frame")
    return tx, csv, parquet, database


@pytest.mark.parametrize("kind", ["csv", "parquet", "duckdb"])
@pytest.mark.parametrize("time_unit", ["W", "D"])
def test_engine_rfm_equals_pandas_on_cdnow(sample_files, kind, time_unit):
    tx, csv, parquet, database = sample_files
    path, table = {
        "csv": (csv, None),
        "parquet": (parquet, None),
        "duckdb": (database, "purchases"),
    }[kind]
    source = TransactionSource(path, table=table, observation_end="1997-09-30", time_unit=time_unit)
    expected = clv.rfm_summary(tx, observation_end="1997-09-30", time_unit=time_unit)
    _assert_same_rfm(source.rfm(), expected)


def test_engine_rfm_equals_pandas_on_full_cdnow(tmp_path):
    tx = clv.datasets.load_cdnow()
    path = tmp_path / "full.parquet"
    tx.to_parquet(path)
    source = TransactionSource(path, time_unit="D")
    _assert_same_rfm(source.rfm(), clv.rfm_summary(tx, time_unit="D"))


def test_engine_rfm_equals_pandas_on_simulated_log(tmp_path):
    tx = clv.simulate_transactions(
        20_000,
        {"r": 0.5, "alpha": 30.0, "a": 0.8, "b": 2.5},
        {"p": 6.0, "q": 3.8, "v": 15.0},
        seed=4,
    )
    path = tmp_path / "sim.parquet"
    tx.to_parquet(path)
    end = tx["date"].max()
    source = TransactionSource(path, time_unit="D")
    _assert_same_rfm(source.rfm(), clv.rfm_summary(tx, observation_end=end, time_unit="D"))
    batches = list(source.rfm_batches(batch_size=3_000))
    assert len(batches) > 1
    _assert_same_rfm(pd.concat(batches), clv.rfm_summary(tx, observation_end=end, time_unit="D"))


def test_fitting_on_distinct_histories_equals_fitting_on_customers(sample_files, fitted_bg):
    tx, csv, _, _ = sample_files
    source = TransactionSource(csv, observation_end="1997-09-30")
    histories = source.distinct_histories()
    assert histories["customers"].sum() == tx["customer_id"].nunique()
    compressed = clv.BetaGeoModel().fit(histories, weights=histories["customers"].to_numpy())
    direct = fitted_bg  # tests/conftest.py: BetaGeoModel().fit of the same RFM table, in weeks
    np.testing.assert_allclose(compressed.params_, direct.params_, rtol=1e-8)
    assert compressed.log_likelihood_ == pytest.approx(direct.log_likelihood_, rel=1e-12)
    spends = source.distinct_spends()
    gg = clv.GammaGammaModel().fit(spends, weights=spends["customers"].to_numpy())
    assert gg.n_customers_ == 946  # repeat buyers in the calibration period


@pytest.fixture
def messy_csv(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_text(
        "customer_id,date,amount\n"
        "a,2024-01-01,10\n"
        "a,2024-02-01,20\n"
        ",2024-01-05,5\n"  # missing id
        "b,not a date,5\n"  # unparseable date
        "b,2024-01-03,-4\n"  # negative amount
        "c,2024-01-04,abc\n"  # non-numeric amount
        "c,2024-01-04,nan\n"  # a missing value (issue 13: as pandas reads it, not "not finite")
        "d,2024-03-01,7\n"
        "d,2024-09-01,8\n"  # after observation end
        "e,2024-01-09,\n"  # missing amount
    )
    return path


def test_rejected_rows_have_reasons_and_counts_add_up(messy_csv):
    source = TransactionSource(messy_csv, observation_end="2024-06-30", time_unit="D")
    counts = source.counts()
    assert counts["rows"] == 10 and counts["rejected_rows"] == 7
    rejects = source.rejects()
    reasons = rejects.groupby("reason").size().to_dict()
    assert reasons == {
        "missing customer id": 1,
        "missing or unparseable date": 1,
        "negative amount": 1,
        "missing or non-numeric amount": 3,
        "after observation end": 1,
        "no valid transaction": 3,  # b, c and e have no usable row
    }
    scored = source.rfm()
    assert sorted(scored.index) == ["a", "d"]
    customers_with_id = {"a", "b", "c", "d", "e"}
    no_valid = set(rejects.loc[rejects["reason"] == "no valid transaction", "customer_id"])
    assert set(scored.index) | no_valid == customers_with_id
    assert not set(scored.index) & no_valid


def test_whole_number_dates(tmp_path):
    # Issue 13: text like 19970101 in a CSV is ISO 8601's basic form (YYYYMMDD), read as such by
    # every route; a numeric column still needs a format.
    path = tmp_path / "ints.csv"
    path.write_text("customer_id,date,amount\n1,19970101,5\n1,19970115,6\n2,19970102,3\n")
    for date_format in (None, "%Y%m%d"):
        source = TransactionSource(
            path, date_format=date_format, observation_end="1997-01-31", time_unit="D"
        )
        rfm = source.rfm()
        assert rfm.loc["1", "frequency"] == 1 and rfm.loc["1", "recency"] == 14.0
        assert rfm.loc["2", "T"] == 29.0
    numbers = tmp_path / "ints.parquet"
    pd.read_csv(path).to_parquet(numbers)
    with pytest.raises(clv.InputError, match="date format"):
        TransactionSource(numbers)
    rfm = TransactionSource(
        numbers, date_format="%Y%m%d", observation_end="1997-01-31", time_unit="D"
    ).rfm()
    assert rfm.loc[1, "recency"] == 14.0


def test_future_dates_need_an_explicit_end(tmp_path):
    path = tmp_path / "future.csv"
    path.write_text("customer_id,date,amount\n1,2999-01-01,5\n")
    with pytest.raises(clv.InputError, match="future"):
        TransactionSource(path)


@pytest.mark.parametrize(
    "kwargs, phrase",
    [
        ({"customer_col": "client"}, "no customer column 'client'"),
        ({"amount_col": "price"}, "columns are"),
    ],
)
def test_missing_columns_are_named(sample_files, kwargs, phrase):
    _, csv, _, _ = sample_files
    with pytest.raises(clv.InputError, match=phrase):
        TransactionSource(csv, **kwargs)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(clv.InputError, match="does not exist"):
        TransactionSource(tmp_path / "nothing.parquet")
    odd = tmp_path / "data.xlsx"
    odd.write_text("x")
    with pytest.raises(clv.InputError, match="format"):
        TransactionSource(odd)


def test_rfm_source_rejects_invalid_rows(tmp_path):
    path = tmp_path / "rfm.csv"
    pd.DataFrame(
        {
            "customer_id": ["ok", "late", "neg", "frac", "nanval", "norep"],
            "frequency": [2, 1, -1, 1.5, 1, 0],
            "recency": [5.0, 9.0, 1.0, 1.0, None, 3.0],
            "T": [10.0, 8.0, 5.0, 5.0, 5.0, 5.0],
            "monetary_value": [10.0, 10.0, 1.0, 1.0, 1.0, 0.0],
        }
    ).to_csv(path, index=False)
    source = RfmSource(path)
    reasons = source.rejects().set_index("customer_id")["reason"].to_dict()
    assert reasons == {
        "late": "recency > T",
        "neg": "frequency is not a whole number >= 0",
        "frac": "frequency is not a whole number >= 0",
        "nanval": "missing or non-numeric value",
        "norep": "recency > 0 without repeat purchase",
    }
    (batch,) = list(source.batches())
    assert list(batch.index) == ["ok"]


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_rejects_are_in_a_set_order_within_a_customer(tmp_path, suffix):
    # Rows of one customer with one reason came in the order the scan met them, which DuckDB's
    # parallel scan leaves open: two runs could write different rejects files.
    from clvmodel.engine import open_transaction_log

    dates = pd.date_range("1997-01-01", periods=40, freq="D")[::-1]
    log = pd.DataFrame(
        {"customer_id": 7, "date": dates, "amount": np.r_[-1.0, np.arange(-40.0, -1.0)]}
    )
    log = pd.concat([log, pd.DataFrame({"customer_id": [8], "date": dates[:1], "amount": 5.0})])
    path = tmp_path / f"tx.{suffix}"
    log.to_csv(path, index=False) if suffix == "csv" else log.to_parquet(path, index=False)
    source = open_transaction_log(path, observation_end="1997-03-01")
    rejects = source.rejects()
    ours = rejects[rejects["reason"] != "no valid transaction"]
    assert len(ours) == 40
    assert list(ours["date"]) == sorted(ours["date"])


def test_rfm_source_rejects_repeated_ids_in_a_set_order(tmp_path):
    path = tmp_path / "rfm.csv"
    pd.DataFrame(
        {
            "customer_id": ["a"] * 30 + ["b"],
            "frequency": [*range(30, 0, -1), 1],
            "recency": 5.0,
            "T": 10.0,
            "monetary_value": 1.0,
        }
    ).to_csv(path, index=False)
    rejects = RfmSource(path).rejects()
    assert set(rejects["customer_id"]) == {"a"}
    assert list(rejects["frequency"]) == list(range(1, 31))


@pytest.mark.skipif(
    int(duckdb.__version__.split(".")[0]) < 2,
    reason="DuckDB 1.x's fsum is Kahan's sum, not correctly rounded: its last bit can depend "
    "on the order of the rows (documented in docs/guide/batch_cli.md)",
)
def test_amounts_add_up_to_the_same_bits_whatever_the_row_order(tmp_path):
    # DuckDB added a customer's amounts in the order its threads met them: the same log gave
    # monetary values differing in the last bits from run to run, and so did a fitted model.
    rng = np.random.default_rng(5)
    rows = 20_000
    log = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 500, rows),
            "date": pd.Timestamp("1997-01-01") + pd.to_timedelta(rng.integers(0, 60, rows), "D"),
            "amount": np.round(rng.lognormal(3, 1.5, rows), 2),
        }
    )
    frames = []
    for order, name in ((np.arange(rows), "a"), (rng.permutation(rows), "b")):
        log.iloc[order].to_parquet(tmp_path / f"{name}.parquet", index=False)
        rfm = TransactionSource(tmp_path / f"{name}.parquet", observation_end="1997-03-31").rfm()
        frames.append(rfm.sort_index())
    assert frames[0]["frequency"].gt(10).mean() > 0.9
    np.testing.assert_array_equal(frames[0]["monetary_value"], frames[1]["monetary_value"])


class _RecordingConnection:
    """A DuckDB connection that records the SQL passed to ``execute``."""

    def __init__(self, connection):
        self._connection = connection
        self.executed = []

    def execute(self, sql, *args, **kwargs):
        self.executed.append(sql)
        return self._connection.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._connection, name)


def _recorded_source(path, **options):
    from clvmodel.engine import connect

    connection = _RecordingConnection(connect())
    return TransactionSource(path, connection=connection, **options), connection.executed


def test_a_fit_summarises_the_log_once_for_its_three_inputs(sample_files, cdnow_sample):
    # Histories, spends and the naive totals each summarised the whole log again: three reads
    # of a CSV file where one does.
    source, executed = _recorded_source(sample_files[1], observation_end="1997-09-30")
    before = len(executed)
    histories = source.distinct_histories()
    spends = source.distinct_spends()
    naive = source.naive_inputs()
    assert sum("clv_rfm" in sql for sql in executed[before:]) == 1
    with pytest.warns(clv.ClvWarning, match="repeat another row"):
        rfm = clv.rfm_summary(cdnow_sample, observation_end="1997-09-30")
    assert histories["customers"].sum() == len(rfm) == naive["customers"]
    assert spends["customers"].sum() == (rfm["frequency"] > 0).sum()
    assert len(histories) == len(rfm.groupby(["frequency", "recency", "T"]))
    assert naive["orders"] == (rfm["frequency"] + 1).sum()


def test_scoring_counts_rows_and_duplicates_once_and_no_customers(sample_files):
    # Score took the rows' counts, then the duplicates, then (before the summary) the customer
    # counts, which took the duplicates again: three extra scans of the log.
    source, executed = _recorded_source(sample_files[1], observation_end="1997-09-30")
    before = len(executed)
    counts = source.row_counts()
    assert source.duplicate_rows() == source.duplicate_rows() == 9
    batches = list(source.rfm_batches(1_000))
    assert source.row_counts() == counts
    assert sum(len(batch) for batch in batches) == 2357
    assert len(executed) - before == 1  # the rows' counts with the duplicates
    assert not any("COUNT(DISTINCT customer_id)" in sql for sql in executed)


def test_the_counts_take_the_duplicates_in_the_same_scan(sample_files):
    source, executed = _recorded_source(sample_files[1], observation_end="1997-09-30")
    before = len(executed)
    counts = source.counts()
    assert len(executed) - before == 1
    assert counts["duplicate_rows"] == source.duplicate_rows() == 9
    assert len(executed) - before == 1
    # The same number as counting each group of equal rows.
    query = _reading_sql.duplicate_rows_sql("clv_checked")
    assert source.connection.execute(query).fetchall()[0][0] == 9


def test_a_source_closes_the_duckdb_connection_it_opened_and_no_other(sample_files):
    _, csv, _, _ = sample_files
    with TransactionSource(csv, observation_end="1997-09-30") as own:
        assert own.counts()["valid_customers"] == 2357
    with pytest.raises(duckdb.ConnectionException):
        own.connection.execute("SELECT 1")
    own.close()  # a second close does nothing

    connection = duckdb.connect()
    with TransactionSource(csv, connection=connection) as lent:
        lent.rfm()
    assert connection.execute("SELECT 1").fetchall() == [(1,)]  # the caller's, still open


def test_every_route_of_open_transaction_log_closes_in_a_with_block(sample_files):
    from clvmodel.engine import ParquetLogSource, open_transaction_log

    _, csv, parquet, _ = sample_files
    for path, kind in ((parquet, ParquetLogSource), (csv, TransactionSource)):
        with open_transaction_log(path, observation_end="1997-09-30") as log:
            assert type(log) is kind
            assert len(log.rfm()) == 2357
