"""Tests of ``from_subscription_table``'s ``keep``: a kept column never replaces the rows it
computes, and one column name given as text is one column."""

from __future__ import annotations

import pandas as pd
import pytest

from clvmodel import subscriptions
from clvmodel.errors import InputError


def _table(**extra):
    return pd.DataFrame(
        {"customer_id": ["a", "b"], "start": ["2024-01-15", "2024-01-15"],
         "end": [None, "2024-03-20"], **extra}
    )  # fmt: skip


@pytest.mark.parametrize("column", ["periods", "cancelled", "observed_periods"])
def test_keep_refuses_a_column_the_rows_compute(column):
    # Before: keep=["periods"] silently replaced the computed periods (11 and 3 by the dates)
    # with the table's own column (here 99).
    table = _table(**{column: [99, 99]})
    with pytest.raises(InputError, match=rf"keep names '{column}'.*rename"):
        subscriptions.from_subscription_table(table, observation_end="2024-12-31", keep=[column])


def test_keep_as_one_column_name():
    # Before: keep="price" was read letter by letter ("no column 'p', 'r', 'i', 'c', 'e'").
    rows = subscriptions.from_subscription_table(
        _table(price=[9.5, 12.0]), observation_end="2024-12-31", keep="price"
    )
    assert rows["price"].tolist() == [9.5, 12.0]
    assert rows["periods"].tolist() == [11, 3]
