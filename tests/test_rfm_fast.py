"""The fast RFM routes: ``rfm_from_file`` on Parquet (numpy arrays straight from Arrow) and the
sort-free, hash-free paths inside ``rfm_summary`` (integer ids coded by value, logs already in
customer/day order, pieces summarised in threads).

Each is checked against a plain-Python summary written from the definitions, and against the
general route (``rfm_summary`` of the file read with pandas), exactly."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvmodel as clv
from clvmodel import _rfm_rows as rows_module
from clvmodel.io import read_table

BASE = pd.Timestamp("2021-03-01")
COLUMNS = ["frequency", "recency", "T", "monetary_value"]


# --------------------------------------------------------------------------------------------------
# Helpers.
def day_numbers(dates):
    """Whole days since 1970-01-01 of each (timezone-naive) date, time of day dropped, as ints."""
    stamps = pd.DatetimeIndex(dates if np.ndim(dates) else [dates]).to_numpy()
    return stamps.astype("datetime64[D]").astype("int64").tolist()


def reference_rfm(tx, end, unit_days=7.0, amount=True):
    """RFM from the definitions with a dictionary of purchase days per customer (plain Python, no
    grouping code shared with clvmodel); customers in order of first appearance."""
    (end_day,) = day_numbers(pd.Timestamp(end))
    amounts = tx["amount"].astype(float).tolist() if amount else [0.0] * len(tx)
    spend: dict = {}
    for customer, day, value in zip(
        tx["customer_id"].tolist(), day_numbers(tx["date"]), amounts, strict=True
    ):
        days = spend.setdefault(customer, {})  # first appearance counts late rows too
        if day <= end_day:
            days[day] = days.get(day, 0.0) + value
    rows = {}
    for customer, days in spend.items():
        if days:
            ordered = sorted(days)
            repeat = len(ordered) - 1
            later = sum(days[d] for d in ordered[1:]) / repeat if repeat else 0.0
            rows[customer] = (repeat, ordered[-1] - ordered[0], end_day - ordered[0], later)
    frequency, span, age, later = list(zip(*rows.values(), strict=True)) or ([], [], [], [])
    table = pd.DataFrame(
        {
            "frequency": np.array(frequency, dtype="int64"),
            "recency": np.array(span, dtype="int64") / unit_days,
            "T": np.array(age, dtype="int64") / unit_days,
            "monetary_value": np.array(later, dtype="float64"),
        },
        index=list(rows),
    )
    return table if amount else table.drop(columns="monetary_value")


def late_purchase_days(tx, end):
    """Distinct (customer, day) pairs of the purchases after the day of ``end``."""
    (end_day,) = day_numbers(pd.Timestamp(end))
    pairs = zip(tx["customer_id"].tolist(), day_numbers(tx["date"]), strict=True)
    return len({(customer, day) for customer, day in pairs if day > end_day})


def assert_exact(ours, expected, rtol=1e-12):
    """Same index (values, order, dtype); frequency, recency and T to the bit; spend to rtol."""
    pd.testing.assert_index_equal(ours.index, expected.index, exact=False)
    assert list(ours.columns) == list(expected.columns)
    for column in ours.columns:
        got, want = ours[column], expected[column]
        if column == "monetary_value":
            np.testing.assert_allclose(
                got.to_numpy(), want.to_numpy(), rtol=rtol, atol=0, err_msg=column
            )
        else:
            assert got.dtype == want.dtype, column
            np.testing.assert_array_equal(got.to_numpy(), want.to_numpy(), err_msg=column)


def general_route(path, **kwargs):
    """What rfm_from_file must equal: the file read with pandas, then rfm_summary."""
    return clv.rfm_summary(read_table(path), **kwargs)


def simulated_log(n_customers=400, seed=3):
    log = clv.simulate_transactions(
        n_customers,
        {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 2.5},
        {"p": 6.0, "q": 3.8, "v": 15.0},
        acquisition_days=60,
        observation_days=200,
        seed=seed,
    )
    # Same-day repeats (including on first days), as real logs have.
    extra = log.sample(frac=0.2, random_state=seed).assign(amount=lambda f: f["amount"] / 3)
    return pd.concat([log, extra], ignore_index=True)


def shuffled(frame, seed=0):
    positions = np.random.default_rng(seed).permutation(len(frame))
    return frame.iloc[positions].reset_index(drop=True)


def by_customer_and_day(frame):
    return frame.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def sim():
    return simulated_log()


@pytest.fixture
def small_pieces():
    """Pieces of a few rows, so that small logs are cut at many customer boundaries."""
    with mock.patch.object(rows_module, "_PIECE_ROWS", 7):
        yield


# --------------------------------------------------------------------------------------------------
# rfm_summary's fast paths against the reference.
ID_KINDS = {
    "dense int": lambda ids: ids.astype("int64"),
    "int32": lambda ids: ids.astype("int32"),
    "uint64 near the top": lambda ids: ids.astype("uint64") + np.uint64(2**63 + 5),
    "negative int": lambda ids: ids.astype("int64") - 10_000,
    "sparse int": lambda ids: ids.astype("int64") * 1_000_003 + 7,
    "string": lambda ids: ids.astype(str),
}
ORDERS = {"shuffled": shuffled, "by customer and day": by_customer_and_day}


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("ids", ID_KINDS)
@pytest.mark.parametrize("observation_end", [None, "2024-05-15"])
def test_rfm_summary_equals_reference(sim, ids, order, observation_end, small_pieces):
    tx = ORDERS[order](sim.assign(customer_id=ID_KINDS[ids](sim["customer_id"].to_numpy())))
    end = tx["date"].max().normalize() if observation_end is None else observation_end
    ours = clv.rfm_summary(tx, observation_end=observation_end)
    assert_exact(ours, reference_rfm(tx, end))
    assert ours.index.dtype == tx["customer_id"].dtype


def test_dense_integer_ids_are_coded_by_value_and_sparse_ones_hashed():
    day_span = 100
    dense = np.array([7, 3, 5, 3, 4, 3], dtype="int64")  # range 5 ≤ 6 rows
    codes, customers = rows_module.customer_codes(dense, day_span)
    assert customers.labels is None and customers.offset == 3
    np.testing.assert_array_equal(codes, [4, 0, 2, 0, 1, 0])
    sparse = np.array([7, 3, 10**12, 3], dtype="int64")  # a range far longer than the log
    codes, customers = rows_module.customer_codes(sparse, day_span)
    assert customers.labels is not None
    np.testing.assert_array_equal(codes, [0, 1, 2, 1])  # first appearance


def test_sorted_rows_are_not_sorted_again():
    customers = rows_module.Customers(3, offset=0, dtype=np.dtype("int64"))

    def sorted_log(codes, days):
        rows = rows_module.Rows(
            np.array(codes, dtype="int64"), customers, np.array(days), np.ones(len(codes))
        )
        return rows_module.sort_by_customer_day(rows, end_day=max(days))

    assert sorted_log([0, 0, 1, 2, 2], [5, 9, 1, 1, 1]).was_sorted
    unsorted = sorted_log([0, 2, 1, 0], [5, 1, 1, 9])
    assert not unsorted.was_sorted
    key, order, amount, _tag = unsorted.piece(slice(None))  # issue 13: piece() also gives tags
    np.testing.assert_array_equal(key >> unsorted.shift, [0, 0, 1, 2])
    np.testing.assert_array_equal(order, [0, 3, 2, 1])


def test_late_first_appearance_still_orders_customers():
    """A customer's first row may be a purchase after observation_end: the order of first
    appearance counts it (as pandas' factorize does), whatever the id coding."""
    rows = [(2, "2021-03-20", 1.0), (1, "2021-03-02", 2.0), (2, "2021-03-03", 4.0)]
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    for ids in (tx["customer_id"], tx["customer_id"].astype(str)):
        ours = clv.rfm_summary(tx.assign(customer_id=ids), observation_end="2021-03-10")
        assert list(ours.index.astype(str)) == ["2", "1"]
        assert ours.attrs["purchase_days_after_end"] == 1
        assert ours["frequency"].tolist() == [0, 0]


def test_customer_with_only_late_purchases_is_left_out(small_pieces):
    rows = [(5, "2021-03-20", 1.0), (1, "2021-03-02", 2.0), (3, "2021-03-03", 4.0)] * 3
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    ours = clv.rfm_summary(tx, observation_end="2021-03-10")
    assert list(ours.index) == [1, 3]
    assert ours.index.dtype == np.dtype("int64")


def test_without_amounts(sim):
    tx = shuffled(sim)
    ours = clv.rfm_summary(tx, amount_col=None, observation_end="2024-05-15")
    assert_exact(ours, reference_rfm(tx, "2024-05-15", amount=False))


def test_input_arrays_are_not_modified(sim):
    tx = shuffled(sim)
    before = tx.copy()
    clv.rfm_summary(tx, observation_end="2024-05-15")
    pd.testing.assert_frame_equal(tx, before)


# --------------------------------------------------------------------------------------------------
# rfm_from_file on Parquet: equal to the general route, whatever the column types.
def write_parquet(frame, path, schema=None, row_group_size=97):
    table = pa.Table.from_pandas(frame, preserve_index=False, schema=schema)
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("ids", ID_KINDS)
@pytest.mark.parametrize("observation_end", [None, "2024-05-15"])
@pytest.mark.parametrize("time_unit", ["W", "D"])
def test_file_equals_general_route(
    sim, ids, order, observation_end, time_unit, tmp_path, small_pieces
):
    tx = ORDERS[order](sim.assign(customer_id=ID_KINDS[ids](sim["customer_id"].to_numpy())))
    path = write_parquet(tx, tmp_path / "log.parquet")
    kwargs = {"observation_end": observation_end, "time_unit": time_unit}
    ours = clv.rfm_from_file(path, **kwargs)
    expected = general_route(path, **kwargs)
    assert_exact(ours, expected)
    pd.testing.assert_index_equal(ours.index, expected.index)  # dtype too
    assert ours.attrs == expected.attrs


@pytest.mark.parametrize(
    "date_type",
    [pa.timestamp("ns"), pa.timestamp("us"), pa.timestamp("ms"), pa.timestamp("s"), pa.date32()],
)
def test_file_date_types(date_type, tmp_path):
    # Times of day before and after 1970, so that days are rounded down, not towards zero.
    dates = pd.to_datetime(
        ["1969-12-31 23:59:59", "1969-12-30 01:00:00", "1970-01-01 00:00:01", "1970-01-02 12:00:00"]
    )
    if pa.types.is_date(date_type):
        dates = dates.normalize()
    tx = pd.DataFrame({"customer_id": [1, 1, 1, 2], "date": dates, "amount": [1.0, 2, 3, 4]})
    schema = pa.schema([("customer_id", pa.int64()), ("date", date_type), ("amount", pa.float64())])
    path = write_parquet(tx, tmp_path / "log.parquet", schema=schema)
    ours = clv.rfm_from_file(path, time_unit="D", observation_end="1970-01-05")
    assert_exact(ours, general_route(path, time_unit="D", observation_end="1970-01-05"))
    assert ours.loc[1, "recency"] == 2.0  # 1969-12-30 to 1970-01-01
    assert ours.loc[1, "frequency"] == 2


def test_file_integer_amounts_and_custom_column_names(tmp_path):
    tx = pd.DataFrame(
        {
            "who": np.array([3, 1, 3, 3], dtype="int16"),
            "when": pd.to_datetime(["2021-01-01", "2021-01-02", "2021-01-05", "2021-01-05"]),
            "spent": np.array([10, 20, 30, 5], dtype="int32"),
        }
    )
    path = write_parquet(tx, tmp_path / "log.parquet")
    kwargs = {"customer_col": "who", "date_col": "when", "amount_col": "spent"}
    ours = clv.rfm_from_file(path, **kwargs)
    assert_exact(ours, clv.rfm_summary(read_table(path), **kwargs))
    assert ours.loc[3, "monetary_value"] == 35.0
    assert ours.index.dtype == np.dtype("int16")


def test_file_without_amounts(sim, tmp_path):
    path = write_parquet(shuffled(sim), tmp_path / "log.parquet")
    ours = clv.rfm_from_file(path, amount_col=None)
    assert "monetary_value" not in ours
    assert_exact(ours, general_route(path, amount_col=None))


def test_file_on_cdnow(tmp_path):
    tx = clv.datasets.load_cdnow_sample()
    path = write_parquet(tx, tmp_path / "cdnow.parquet", row_group_size=1000)
    for end in ("1997-09-30", "1998-06-30"):
        ours = clv.rfm_from_file(path, observation_end=end)
        assert_exact(ours, clv.rfm_summary(tx, observation_end=end))


def test_csv_takes_the_general_route(sim, tmp_path):
    path = tmp_path / "log.csv"
    sim.to_csv(path, index=False)
    ours = clv.rfm_from_file(path, observation_end="2024-05-15")
    assert_exact(ours, general_route(path, observation_end="2024-05-15"))


def test_fast_route_reads_parquet_without_pandas(sim, tmp_path):
    """The Parquet route must not fall back to read_table for a clean log."""
    path = write_parquet(sim, tmp_path / "log.parquet")
    with mock.patch("clvmodel.io.read_table", side_effect=AssertionError("general route")):
        clv.rfm_from_file(path)


# --------------------------------------------------------------------------------------------------
# rfm_from_file: the general route's errors and behaviour for what the fast route leaves alone.
def messy(tmp_path, column, values, **types):
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "date": pd.to_datetime(["2021-01-01", "2021-01-02", "2021-01-03"]),
            "amount": [1.0, 2.0, 3.0],
        }
    )
    tx[column] = values
    return write_parquet(tx, tmp_path / f"{column}.parquet")


@pytest.mark.parametrize(
    ("column", "values", "phrase"),
    [
        ("customer_id", pd.array([1, None, 3], dtype="Int64"), "no customer id"),
        ("customer_id", ["a", None, "c"], "no customer id"),
        ("date", pd.to_datetime(["2021-01-01", None, "2021-01-03"]), "not dates"),
        ("date", [19970101, 19970102, 19970103], "ambiguous as dates"),
        ("amount", [1.0, -2.0, 3.0], "negative"),
        ("amount", [1.0, np.nan, 3.0], "not numbers"),
        ("amount", [1.0, np.inf, 3.0], "infinite"),
        ("amount", [1.0, None, 3.0], "missing"),
    ],
)
def test_file_errors_are_those_of_rfm_summary(tmp_path, column, values, phrase):
    path = messy(tmp_path, column, values)
    with pytest.raises(clv.InputError, match=phrase) as ours:
        clv.rfm_from_file(path)
    with pytest.raises(clv.InputError) as general:
        general_route(path)
    assert str(ours.value) == str(general.value)


def test_file_text_and_zoned_dates_take_the_general_route(tmp_path):
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": ["2021-01-01 08:00", "2021-01-05 10:00", "2021-01-02 23:59"],
            "amount": [1.0, 2.0, 3.0],
        }
    )
    text = write_parquet(tx, tmp_path / "text.parquet")
    assert_exact(clv.rfm_from_file(text), general_route(text))
    zoned_tx = tx.assign(date=pd.to_datetime(tx["date"]).dt.tz_localize("Europe/Berlin"))
    zoned = write_parquet(zoned_tx, tmp_path / "zoned.parquet")
    assert_exact(clv.rfm_from_file(zoned), general_route(zoned))


def test_file_missing_things(tmp_path, sim):
    with pytest.raises(clv.InputError, match="does not exist"):
        clv.rfm_from_file(tmp_path / "nothing.parquet")
    with pytest.raises(clv.InputError, match="extension"):
        clv.rfm_from_file(tmp_path / "log.txt")
    path = write_parquet(sim, tmp_path / "log.parquet")
    with pytest.raises(clv.InputError, match="no column 'customer'; its columns are"):
        clv.rfm_from_file(path, customer_col="customer")
    with pytest.raises(clv.InputError, match="time_unit"):
        clv.rfm_from_file(path, time_unit="M")
    with pytest.raises(clv.InputError, match="fall after observation_end"):
        clv.rfm_from_file(path, observation_end="2024-03-01", truncate=False)
    with pytest.raises(clv.InputError, match="before the first transaction"):
        clv.rfm_from_file(path, observation_end="2000-01-01")


def test_unreadable_file_is_an_input_error(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not parquet PAR1")
    with pytest.raises(clv.InputError, match="cannot read"):
        clv.rfm_from_file(path)


def test_file_with_no_rows_is_an_error(tmp_path, sim):
    path = write_parquet(sim.iloc[:0], tmp_path / "empty.parquet")
    with pytest.raises(clv.InputError, match="empty"):
        clv.rfm_from_file(path)


# --------------------------------------------------------------------------------------------------
# Property tests: random small logs, any order, integer or text ids, duplicates on one day.
@st.composite
def logs(draw, max_rows=40):
    n = draw(st.integers(1, max_rows))
    id_pool = draw(
        st.sampled_from(
            [
                [3, 4, 5, 6, 7],  # dense integers
                [-2, 0, 9, 10**9, 10**15],  # sparse integers
                ["a", "b", "c", "d", "e"],
            ]
        )
    )
    customers = draw(st.lists(st.sampled_from(id_pool), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
    seconds = draw(st.lists(st.integers(0, 86_399), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(0, 100_000), min_size=n, max_size=n))
    frame = pd.DataFrame(
        {
            "customer_id": customers,
            "date": BASE + pd.to_timedelta(np.multiply(days, 86_400) + seconds, unit="s"),
            "amount": np.asarray(cents, dtype=float) / 100,
        }
    )
    if draw(st.booleans()):  # half of the logs come in customer/day order
        frame = by_customer_and_day(frame)
    return frame


PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)


@pytest.fixture(scope="module")
def property_folder(tmp_path_factory):
    """One folder for every example of the property test (each overwrites the file before use)."""
    return tmp_path_factory.mktemp("prop")


# One property test for both routes: a random log costs more to draw than to summarise twice.
@PROPERTY
@given(tx=logs(), cut=st.integers(0, 45), pieces=st.sampled_from([2, 5, 1 << 16]))
def test_property_summary_and_file_equal_groupby_reference(tx, cut, pieces, property_folder):
    end = BASE + pd.Timedelta(days=cut)
    if tx["date"].min() >= end + pd.Timedelta(days=1):
        return  # observation ends before the first purchase: an error, tested elsewhere
    # rfm_summary, in days, with the log cut into pieces of a few rows or left whole.
    with mock.patch.object(rows_module, "_PIECE_ROWS", pieces):
        ours = clv.rfm_summary(tx, observation_end=end, time_unit="D")
    assert_exact(ours, reference_rfm(tx, end, unit_days=1.0), rtol=1e-12)
    assert ours.attrs["purchase_days_after_end"] == late_purchase_days(tx, end)
    # rfm_from_file on Parquet, in weeks, with small row groups and pieces of three rows.
    path = property_folder / "log.parquet"
    write_parquet(tx, path, row_group_size=7)
    with mock.patch.object(rows_module, "_PIECE_ROWS", 3):
        ours = clv.rfm_from_file(path, observation_end=end, time_unit="W")
    assert_exact(ours, reference_rfm(tx, end), rtol=1e-12)
