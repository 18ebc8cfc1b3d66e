"""clvmodel.score_customers, and clv_table (which shares its small RFM table), with the naive
value, segments and spend they are given.

Each test failed before its fix: score_customers echoed a one-time buyer's missing mean spend as
NaN where ``clvmodel score`` wrote 0; the table of clvmodel.naive_clv given as naive_clv= raised a
raw TypeError from float(), text was read as a number and NaN filled the column silently; a
segments Series indexed 0, 1, 2 (not by customer id) was reported as segments missing from the
naive table; a naive Series was refused with its whole repr, and a table without naive_clv raised
a KeyError. Without amounts, score_customers leaves monetary_value empty, as ``clvmodel score``
does: no spend at all, not a spend of 0."""

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.models.bundle import ModelBundle
from clvmodel.scoring import score_customers


@pytest.fixture(scope="module")
def models_file(published_bg, published_gg, tmp_path_factory):
    folder = tmp_path_factory.mktemp("scoring")
    return ModelBundle(published_bg, published_gg).save(folder / "models.json")


def test_score_customers_writes_a_one_time_buyers_missing_spend_as_0_like_the_cli(
    models_file, published_bg, published_gg, tmp_path
):
    """docs/guide/python.md: a missing mean spend where frequency is 0 reads as 0 on every
    route. ``clvmodel score`` wrote 0 while ``score_customers`` echoed NaN."""
    table = pd.DataFrame(
        {
            "frequency": [0, 0, 2, 5],
            "recency": [0.0, 0.0, 5.0, 20.0],
            "T": [10.0, 30.0, 10.0, 38.0],
            "monetary_value": [np.nan, 0.0, 7.0, 31.5],
        },
        index=pd.Index(["once_nan", "once_zero", "twice", "five"], name="customer_id"),
    )
    python = score_customers(published_bg, published_gg, table, horizon="39W")
    assert python.loc["once_nan", "monetary_value"] == 0.0
    assert table.loc["once_nan", "monetary_value"] != 0.0  # the caller's table is not changed
    path, output = tmp_path / "rfm.csv", tmp_path / "scores.parquet"  # Parquet keeps dtypes
    table.to_csv(path)
    result = run_cli("score", models_file, path, "-o", output, "--horizon", "39W")
    assert result.returncode == 0, result.output
    cli = pd.read_parquet(output).set_index("customer_id").loc[python.index]
    pd.testing.assert_frame_equal(cli, python, check_exact=False, rtol=1e-12)


@pytest.fixture()
def small_rfm():
    return pd.DataFrame(
        {
            "frequency": [0, 2, 0],
            "recency": [0.0, 5.0, 0.0],
            "T": [10.0, 10.0, 20.0],
            "monetary_value": [0.0, 7.0, 0.0],
        },
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )


@pytest.mark.parametrize(
    ("naive", "match"),
    [
        (pd.DataFrame({"naive_clv": [50.0]}, index=["all"]), "naive_clv must be one number"),
        (pd.Series([50.0], index=["all"], name="naive_clv"), "naive_clv must be one number"),
        ("50", "naive_clv must be a number"),
        (float("nan"), "naive_clv must be finite"),
    ],
)
def test_score_customers_refuses_a_naive_value_that_is_not_one_number(
    published_bg, published_gg, small_rfm, naive, match
):
    """The table of clvmodel.naive_clv raised a raw TypeError from float(); text was read as a
    number and NaN filled the column silently."""
    with pytest.raises(clv.InputError, match=match):
        score_customers(published_bg, published_gg, small_rfm, horizon="12M", naive_clv=naive)


def test_score_customers_takes_a_naive_number(published_bg, published_gg, small_rfm):
    table = score_customers(
        published_bg, published_gg, small_rfm, horizon="12M", naive_clv=np.float64(-4.5)
    )
    assert (table["naive_clv"] == -4.5).all()  # a naive net CLV may be negative


def test_score_customers_without_amounts_leaves_monetary_value_empty(published_bg, small_rfm):
    """As ``clvmodel score`` on a log without amounts: no spend at all, not a spend of 0."""
    table = score_customers(published_bg, None, small_rfm.drop(columns="monetary_value"), "12M")
    assert table["monetary_value"].isna().all()


def test_clv_table_names_segments_without_the_customers_ids(published_bg, published_gg, small_rfm):
    """A segments Series indexed 0, 1, 2 (not by customer id) was reported as segments missing
    from the naive table."""
    naive = pd.DataFrame({"naive_clv": [1.0, 2.0]}, index=["x", "y"])
    positional = pd.Series(["x", "y", "x"])
    with pytest.raises(clv.InputError, match="segments has no value for 3 customer"):
        clv.clv_table(
            published_bg, published_gg, small_rfm, "12M", naive=naive, segments=positional
        )
    by_id = pd.Series(["x", "y", "x"], index=small_rfm.index)
    table = clv.clv_table(published_bg, published_gg, small_rfm, "12M", naive=naive, segments=by_id)
    assert table["naive_clv"].tolist() == [1.0, 2.0, 1.0]
    with pytest.raises(clv.InputError, match="segment missing from the naive table"):
        clv.clv_table(
            published_bg, published_gg, small_rfm, "12M", naive=naive.iloc[:1], segments=by_id
        )


@pytest.mark.parametrize(
    ("naive", "match"),
    [
        (pd.Series([1.0, 2.0], index=["x", "y"], name="naive_clv"), "got a Series"),
        (pd.DataFrame({"clv": [1.0]}, index=["all"]), "naive has no 'naive_clv' column"),
    ],
)
def test_clv_table_refuses_a_naive_argument_that_is_not_the_naive_table(
    published_bg, published_gg, small_rfm, naive, match
):
    """A Series was refused with its whole repr; a table without naive_clv raised a KeyError."""
    segments = pd.Series(["x", "y", "x"], index=small_rfm.index)
    with pytest.raises(clv.InputError, match=match):
        clv.clv_table(published_bg, published_gg, small_rfm, "12M", naive=naive, segments=segments)
