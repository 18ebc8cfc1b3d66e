"""One rule for missing cells on every route: a cell that is empty or a missing-value text
(``NA``, ``N/A``, ``null``, ``None``, ``NaN``, ``nat``, ... trimmed of spaces, in any case) is
missing, in every column.

The reading rules (:mod:`clvmodel._reading`), the DuckDB engine and the subscription covariates
compared these texts ignoring case and spaces, but ``read_table`` (and the subscription batches)
read CSV files with pandas' own list, which is case-sensitive: ``null`` was missing but ``Null``
a value, so a Day One attribute or a report segment written ``Null`` became a level of its own
while ``null`` was refused as missing; and a Day One attribute given as text ``"N/A"`` in a
DataFrame or a Parquet file was a level, where the same file as CSV had it missing.
"""

from __future__ import annotations

import pandas as pd
import pytest

import clvmodel as clv
from clvmodel._subscription_stream import read_batches

SAID_MISSING = [
    "NA",
    "None",
    "null",
    "N/A",
    "nan",
    "",
    "Null",
    "NONE",
    "n/a",
    "NaT",
    "NA ",
    " null",
]


def _csv(tmp_path, cells) -> pd.DataFrame:
    path = tmp_path / "table.csv"
    lines = [f"{k},{cell},{cell}" for k, cell in enumerate(cells)]
    path.write_text("key,segment,number\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("cell", SAID_MISSING)
def test_read_table_reads_every_missing_text_as_missing_in_any_case(tmp_path, cell):
    # Before: "Null", "NONE", "NaT" and "NA " were read as values, "null" and "NA" as missing.
    table = clv.read_table(_csv(tmp_path, ["North", cell, "7"]))
    assert table["segment"].isna().tolist() == [False, True, False]
    assert table["number"].isna().tolist() == [False, True, False]
    assert table.loc[0, "segment"] == "North" and table.loc[2, "key"] == "2"


def test_read_table_keeps_texts_that_only_contain_a_missing_text(tmp_path):
    cells = ["NAm", "Nonesuch", "null-1", "-", "0", "n.a."]
    table = clv.read_table(_csv(tmp_path, cells), columns=["segment"])
    assert table["segment"].tolist() == cells


def test_subscription_batches_read_missing_texts_as_read_table_does(tmp_path):
    # Before: a covariate " NA" (after a space) was missing in read_table but a text in batches.
    path = _csv(tmp_path, [*SAID_MISSING, " gold"])
    whole = clv.read_table(path)
    batches = pd.concat(list(read_batches(path, ["key", "segment"], batch_rows=5)))
    assert batches["segment"].isna().tolist() == whole["segment"].isna().tolist()
    assert batches["segment"].isna().sum() == len(SAID_MISSING)


def test_transactions_with_missing_texts_are_rejected_alike_on_every_route(tmp_path):
    from clvmodel.engine import TransactionSource

    path = tmp_path / "log.csv"
    path.write_text(
        "customer_id,date,amount\na,2024-01-01,10\nNull,2024-01-02,5\na,NONE,4\n"
        "b,2024-01-05,n/A\nb,2024-02-05,3\n",
        encoding="utf-8",
    )
    options = {"observation_end": "2024-12-31", "time_unit": "D"}
    from_file = clv.rfm_from_file(path, on_invalid="drop", **options)
    from_frame = clv.rfm_summary(clv.read_table(path), on_invalid="drop", **options)
    engine = TransactionSource(path, **options)
    expected = {"missing customer id": 1, "missing or unparseable date": 1,
                "missing or non-numeric amount": 1}  # fmt: skip
    assert from_file.attrs["rejected_rows"] == expected == from_frame.attrs["rejected_rows"]
    assert sorted(engine.rejects()["reason"]) == sorted(expected)
    assert sorted(engine.rfm().index.map(str)) == list(from_file.index) == ["a", "b"]


@pytest.fixture(scope="module")
def day_one_data():
    transactions = clv.datasets.load_cdnow_sample()
    rfm = clv.rfm_summary(
        transactions, observation_end="1998-06-30", time_unit="W", drop_duplicates=True
    )
    attributes = clv.dayone.first_purchase_attributes(transactions, quantity_col="quantity")
    channels = ["web", "email", "store"]
    attributes["channel"] = [channels[k % 3] for k in range(len(attributes))]
    return rfm, attributes


@pytest.mark.parametrize("text", ["N/A", "null", "NA", " None "])
def test_a_day_one_attribute_written_as_a_missing_text_is_missing_not_a_level(day_one_data, text):
    # Before: "N/A" in a DataFrame (or a Parquet file) became a level of its own, while the same
    # table as CSV had those customers missing.
    rfm, attributes = day_one_data
    attributes = attributes.copy()
    attributes.iloc[:4, attributes.columns.get_loc("channel")] = text
    model = clv.DayOneModel([], ["channel"], first_purchase_col="first_purchase_amount")
    with pytest.raises(clv.InputError, match=r"'channel' .* 4 missing value\(s\).*written"):
        model.fit(rfm, attributes)


def test_a_day_one_attribute_from_csv_written_null_in_any_case_is_missing(day_one_data, tmp_path):
    # Before: "null" was refused as missing but "Null" became a level of its own.
    _, attributes = day_one_data
    table = attributes.copy()
    table.iloc[:2, table.columns.get_loc("channel")] = ["null", "Null"]
    table.reset_index().to_csv(tmp_path / "attributes.csv", index=False)
    read = clv.read_table(tmp_path / "attributes.csv")
    assert read["channel"].isna().sum() == 2
