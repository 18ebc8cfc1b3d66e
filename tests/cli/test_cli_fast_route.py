"""The CLI's fast route for Parquet logs (numpy, no DuckDB) against the DuckDB route.

For a Parquet log of typed columns `clvmodel fit` and `clvmodel score` read the log with
:class:`clvmodel.engine.ParquetLogSource`; everything else goes to
:class:`clvmodel.engine.TransactionSource` (DuckDB). The DuckDB route is the reference: on clean
and dirty logs (missing ids, dates and amounts, NaN, infinite, huge and negative amounts, dates
before 1900 or after the end of observation, exact copies), with integer and text ids, the fast
route must give the same counts, the same rejects (same rows, same texts, same reasons, same
order up to rows DuckDB itself may order either way), the same RFM rows and the same scores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel import engine
from clvmodel.cli import main

_REJECT_KEY = ["reason", "customer_id", "date", "amount"]


def _cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _duckdb_only(monkeypatch):
    """Send every log to the DuckDB route from now on."""
    monkeypatch.setattr(engine.ParquetLogSource, "open", classmethod(lambda cls, *a, **k: None))


def _dirty_log(seed: int, n: int = 3000, text_ids: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = pd.array(rng.integers(1, 400, n), dtype="Int64")
    ids[rng.random(n) < 0.02] = pd.NA
    base = pd.Timestamp("2020-01-01")
    dates = pd.Series(
        base
        + pd.to_timedelta(rng.integers(0, 700, n), "D")
        + pd.to_timedelta(rng.integers(0, 3, n), "h")
    )
    dates[rng.random(n) < 0.02] = pd.NaT
    dates[rng.random(n) < 0.01] = pd.Timestamp("1850-05-01")
    amount = rng.gamma(2.0, 10.0, n).round(2)
    for value, share in ((np.nan, 0.02), (-5.5, 0.02), (np.inf, 0.01), (2e12, 0.01)):
        amount[rng.random(n) < share] = value
    frame = pd.DataFrame({"customer_id": ids, "date": dates, "amount": amount})
    frame.loc[frame["customer_id"] == 7, "amount"] = np.nan  # a customer with no usable row
    if text_ids:
        frame["customer_id"] = frame["customer_id"].map(
            lambda v: None if pd.isna(v) else f"c{v}", na_action=None
        )
    return pd.concat([frame, frame.iloc[:60]], ignore_index=True)  # exact copies


def _sorted_rejects(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(str).sort_values(_REJECT_KEY).reset_index(drop=True)


def _spend_per_customer(distinct: pd.DataFrame) -> pd.DataFrame:
    """(frequency, monetary_value) once per repeat buyer, in order. Each route adds a customer's
    amounts in its own order, so two customers with the same amounts in another order can share
    one distinct spend in one route and differ in the last bit (two distinct rows) in the other:
    the spends agree per customer, not the grouping."""
    rows = distinct.loc[distinct.index.repeat(distinct["customers"].astype("int64"))]
    spends = ["frequency", "monetary_value"]
    return rows[spends].sort_values(spends).reset_index(drop=True)


def _assert_same_source(path, connection=None, **options):
    """The fast route and DuckDB agree on everything the CLI reads from a log (DuckDB's route on
    ``connection``, default a new one)."""
    fast = engine.open_transaction_log(path, naive=True, **options)
    assert isinstance(fast, engine.ParquetLogSource)
    duck = engine.TransactionSource(path, connection=connection or engine.connect(), **options)
    assert fast.end == duck.end
    assert fast.counts() == duck.counts()
    assert fast.row_counts() == duck.row_counts()
    counts = duck.row_counts()["rejected_rows"]
    ours, theirs = fast.rejects(counts), duck.rejects(counts)
    assert list(ours.columns) == list(theirs.columns)
    assert ours.dtypes.to_dict() == theirs.dtypes.to_dict()
    # Same order by (reason, id), the contract of the rejects file.
    pd.testing.assert_frame_equal(
        ours[["reason", "customer_id"]].astype(str), theirs[["reason", "customer_id"]].astype(str)
    )
    pd.testing.assert_frame_equal(_sorted_rejects(ours), _sorted_rejects(theirs))
    pd.testing.assert_frame_equal(
        fast.rfm().sort_index(), duck.rfm().sort_index(), check_exact=False, rtol=1e-12
    )
    histories = ["frequency", "recency", "T"]
    pd.testing.assert_frame_equal(
        fast.distinct_histories().sort_values(histories).reset_index(drop=True),
        duck.distinct_histories().sort_values(histories).reset_index(drop=True),
    )
    if options.get("amount_col", "amount") is not None:
        pd.testing.assert_frame_equal(
            _spend_per_customer(fast.distinct_spends()),
            _spend_per_customer(duck.distinct_spends()),
            check_exact=False,
            rtol=1e-12,
        )
        ours, theirs = fast.naive_inputs(), duck.naive_inputs()
        assert ours.pop("revenue") == pytest.approx(theirs.pop("revenue"), rel=1e-12)
        assert ours == theirs


@pytest.fixture(scope="module")
def duck_connection():
    """One DuckDB connection for every log of this module read by DuckDB's route: a new
    in-memory database costs more than the queries on a small log, and each source replaces
    the temporary views and registered tables of the one before."""
    connection = engine.connect()
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def dirty_logs():
    """``_dirty_log(1)`` with integer ids and with text ids, made once for the module."""
    return {text_ids: _dirty_log(1, text_ids=text_ids) for text_ids in (False, True)}


@pytest.mark.parametrize("text_ids", [False, True])
@pytest.mark.parametrize("end", [None, "2021-06-30"])
@pytest.mark.parametrize("drop", [False, True])
def test_dirty_log_same_as_duckdb(tmp_path, dirty_logs, duck_connection, text_ids, end, drop):
    path = tmp_path / "log.parquet"
    dirty_logs[text_ids].to_parquet(path, index=False)
    _assert_same_source(
        path, connection=duck_connection, observation_end=end, drop_duplicates=drop, time_unit="W"
    )


def test_dates_and_no_amounts_same_as_duckdb(tmp_path, duck_connection):
    log = _dirty_log(2)
    log["date"] = log["date"].dt.date  # a Parquet date32 column
    path = tmp_path / "log.parquet"
    log.to_parquet(path, index=False)
    _assert_same_source(
        path, connection=duck_connection, time_unit="D", observation_end="2021-03-01"
    )
    _assert_same_source(path, connection=duck_connection, time_unit="D", amount_col=None)


_DAYS = st.integers(-40_000, 800)  # some before 1900, some after the end of observation
_AMOUNTS = st.one_of(
    st.none(),
    st.sampled_from([0.0, -0.0, 1.5, 10.0, -3.0, float("nan"), float("inf"), -float("inf"), 5e12]),
    st.floats(0, 1000, allow_nan=False).map(lambda v: round(v, 2)),
)
_ROW = st.tuples(st.one_of(st.none(), st.integers(1, 8)), st.one_of(st.none(), _DAYS), _AMOUNTS)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(_ROW, min_size=1, max_size=40),
    copies=st.integers(0, 5),
    text_ids=st.booleans(),
    unit=st.sampled_from(["s", "ms", "us", "ns", "date"]),
    end=st.one_of(st.none(), st.integers(0, 800)),
    drop=st.booleans(),
)
def test_any_dirty_rows_same_as_duckdb(
    tmp_path, duck_connection, rows, copies, text_ids, unit, end, drop
):
    rows = rows + rows[:copies]
    ids = [None if i is None else (f"id{i}" if text_ids else i) for i, _, _ in rows]
    day0 = np.datetime64("2020-01-01", "D")
    days = [None if d is None else int((day0 + d).astype("int64")) for _, d, _ in rows]
    if unit == "date":
        dates = pa.array(days, pa.int32()).cast(pa.date32())
    else:
        per_day = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400 * 10**9}
        ticks = [None if d is None else d * per_day[unit] + 3_600 for d in days]
        dates = pa.array(ticks, pa.int64()).cast(pa.timestamp(unit))
    table = pa.table(
        {
            "customer_id": pa.array(ids, pa.string() if text_ids else pa.int64()),
            "date": dates,
            "amount": pa.array([a for _, _, a in rows], pa.float64()),
        }
    )
    path = tmp_path / f"h{abs(hash((tuple(rows), copies, text_ids, unit, end, drop)))}.parquet"
    pq.write_table(table, path, row_group_size=16)
    options = {"drop_duplicates": drop, "time_unit": "D"}
    if end is not None:
        options["observation_end"] = str(day0 + end)
    end_text = options.get("observation_end")
    fast = engine.ParquetLogSource.open(path, "customer_id", "date", "amount", end_text, "D", drop)
    if fast is not None:
        _assert_same_source(path, connection=duck_connection, **options)
    else:  # no usable row: DuckDB's route says why
        with pytest.raises(clv.InputError):
            source = engine.TransactionSource(path, connection=duck_connection, **options)
            source.check_usable()


def test_the_same_amounts_in_another_order_agree(tmp_path, duck_connection):
    # Found when a fresh clone's run drew such a log: twelve customers with the same five
    # amounts, each in another order, over several row groups. Their sums differ in the last
    # bit with the order of addition, and the two routes group them into 6 and 7 distinct spends.
    rng = np.random.default_rng(0)
    rows = [
        (customer, 3 * k, amount)
        for customer in range(12)
        for k, amount in enumerate(rng.permutation([0.1, 0.2, 0.3, 0.7, 1.1]))
    ]
    rng.shuffle(rows)
    table = pa.table({
        "customer_id": pa.array([c for c, _, _ in rows], pa.int64()),
        "date": pa.array([18_262 + d for _, d, _ in rows], pa.int32()).cast(pa.date32()),
        "amount": pa.array([a for _, _, a in rows], pa.float64()),
    })  # fmt: skip
    path = tmp_path / "orders.parquet"
    pq.write_table(table, path, row_group_size=16)
    _assert_same_source(path, connection=duck_connection, drop_duplicates=False, time_unit="D")


def test_other_inputs_take_the_duckdb_route(tmp_path):
    log = _dirty_log(3, n=200)
    log.to_csv(tmp_path / "log.csv", index=False)
    assert isinstance(engine.open_transaction_log(tmp_path / "log.csv"), engine.TransactionSource)
    text = log.assign(date=log["date"].dt.strftime("%Y-%m-%d"))
    text.to_parquet(tmp_path / "text_dates.parquet", index=False)
    source = engine.open_transaction_log(tmp_path / "text_dates.parquet")
    assert isinstance(source, engine.TransactionSource)
    # Text ids the reading rules rewrite (" 7", "7.0") are left to DuckDB's normalisation.
    odd = log.assign(customer_id=log["customer_id"].map(lambda v: f"{v}.0", na_action="ignore"))
    odd.to_parquet(tmp_path / "odd_ids.parquet", index=False)
    source = engine.open_transaction_log(tmp_path / "odd_ids.parquet")
    assert isinstance(source, engine.TransactionSource)
    folder = tmp_path / "folder"
    folder.mkdir()
    log.to_parquet(folder / "part.parquet", index=False)
    assert isinstance(engine.open_transaction_log(folder), engine.TransactionSource)
    source = engine.open_transaction_log(tmp_path / "odd_ids.parquet", date_format="%Y-%m-%d")
    assert isinstance(source, engine.TransactionSource)


def _score_both(tmp_path, monkeypatch, log_path, *extra):
    model = tmp_path / "model.json"
    _cli("fit", log_path, "--observation-end", "2021-06-30", "-o", model)
    fast = _cli("score", model, log_path, "-o", tmp_path / "fast.parquet", *extra)
    _duckdb_only(monkeypatch)
    duck = _cli("score", model, log_path, "-o", tmp_path / "duck.parquet", *extra)
    first = lambda text: text.splitlines()[-1].split("(reasons")[0]  # noqa: E731
    assert first(fast.output) == first(duck.output)
    ours = pd.read_parquet(tmp_path / "fast.parquet").set_index("customer_id").sort_index()
    theirs = pd.read_parquet(tmp_path / "duck.parquet").set_index("customer_id").sort_index()
    pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-10)
    ours = pd.read_csv(tmp_path / "fast.rejects.csv", dtype=str, keep_default_na=False)
    theirs = pd.read_csv(tmp_path / "duck.rejects.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(
        ours[["reason", "customer_id"]], theirs[["reason", "customer_id"]]
    )
    pd.testing.assert_frame_equal(_sorted_rejects(ours), _sorted_rejects(theirs))
    return ours


@pytest.mark.parametrize("text_ids", [False, True])
def test_cli_score_same_scores_and_rejects_file(tmp_path, monkeypatch, text_ids):
    path = tmp_path / "log.parquet"
    _dirty_log(4, text_ids=text_ids).to_parquet(path, index=False)
    rejects = _score_both(tmp_path, monkeypatch, path, "--observation-end", "2021-06-30")
    assert {"negative amount", "after observation end", "no valid transaction"} <= set(
        rejects["reason"]
    )


def test_cli_score_clean_log_with_copies_dropped(tmp_path, monkeypatch):
    log = clv.datasets.load_cdnow_sample()
    log = pd.concat([log, log.iloc[:30]], ignore_index=True)
    path = tmp_path / "cdnow.parquet"
    log.to_parquet(path, index=False)
    _score_both(tmp_path, monkeypatch, path, "--drop-duplicates")


@pytest.mark.parametrize("drop", [[], ["--drop-duplicates"]])
def test_cli_fit_same_model(tmp_path, monkeypatch, drop):
    # CDNOW, whose Gamma-Gamma fit is well determined (on the random dirty logs above a 1e-15
    # change of the spends moves it by 1e-5, as does DuckDB's own order of summation), with
    # copies and bad rows added.
    log = clv.datasets.load_cdnow_sample()
    bad = log.iloc[:40].copy()
    bad.loc[bad.index[:10], "amount"] = -1.0
    bad.loc[bad.index[10:20], "customer_id"] = None
    bad.loc[bad.index[20:30], "amount"] = np.nan
    path = tmp_path / "log.parquet"
    pd.concat([log, bad], ignore_index=True).to_parquet(path, index=False)
    _cli("fit", path, *drop, "-o", tmp_path / "fast.json")
    _duckdb_only(monkeypatch)
    _cli("fit", path, *drop, "-o", tmp_path / "duck.json")
    ours, theirs = clv.load_models(tmp_path / "fast.json"), clv.load_models(tmp_path / "duck.json")
    np.testing.assert_allclose(ours.bg.params_, theirs.bg.params_, rtol=1e-8)
    np.testing.assert_allclose(ours.gg.params_, theirs.gg.params_, rtol=1e-8)
    keep = ("rows", "rejected_rows", "customers", "observation_end", "time_unit")
    assert {k: ours.metadata[k] for k in keep} == {k: theirs.metadata[k] for k in keep}
